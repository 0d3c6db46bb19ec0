"""Your own rules in a TOML file: one file read into validated :class:`~cheatsheet.rule.Rule` objects.

A rule file holds one ``[[rule]]`` table per rule (see ``tests/data/rules/swish_beta.toml``)::

    [[rule]]
    id = "swish_beta"
    title = "Swish with slope β"
    family = "activation"              # optional; default "custom"
    function = "x*sigmoid(beta*x)"
    derivative = "sigmoid(beta*x) + beta*x*sigmoid(beta*x)*(1 - sigmoid(beta*x))"
    notes = ["β = 1 is SiLU."]
    references = ["Ramachandran et al. 2017"]

    [[rule.inputs]]                     # optional; default: F's variables, real
    name = "input"
    symbol = "x"
    domain = "real"                     # positive, (0, 1), [0, inf), (-1, 0) U (0, 1), ...

    [[rule.params]]
    name = "beta"
    default = 1
    domain = "positive"
    samples = [2, "1/2"]

Every expression goes through the safe parser (:mod:`cheatsheet.grammar.parse`); numbers are exact. Kinks
(``[[rule.kinks]]``: at, left, right, torch, jax, wrt, jump, note) and identities
(``[[rule.identities]]``: lhs, rhs, relation, note) are checked like the catalog's. Every key of
the wrong type (a number for the function, a string for a table, a date, ...) is a problem, never a
rule dropped in silence; text may not hold control characters (prose may hold tabs and line breaks).
A rule file is read only if it is a regular file, and no further than :data:`MAX_FILE_BYTES` + 1 bytes.

This module reads the file (its bytes, UTF-8, TOML) and its top level; :mod:`cheatsheet.checking.rule_tables`
reads each ``[[rule]]`` table. Every problem is collected and reported as one line
``file:line:column: rule 'id', key: what. hint`` in one :class:`~cheatsheet.checking.problems.CustomRuleError`.
Verifying the rules and loading them for the build is :mod:`cheatsheet.checking.custom`'s job; rules from
installed packages are :mod:`cheatsheet.checking.plugins`'.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from cheatsheet.checking.problems import CustomRuleError, Problem
from cheatsheet.checking.rule_tables import RuleReader, toml_kind
from cheatsheet.checking.toml_positions import TomlPositions
from cheatsheet.fsutil import FileProblem, read_regular_file
from cheatsheet.names import suggestion
from cheatsheet.rule import Rule

__all__ = ["MAX_FILE_BYTES", "MAX_RULES", "CustomRuleError", "RuleSource", "load_rule_file", "read_rule_file"]

#: Largest rule file read.
MAX_FILE_BYTES = 1_000_000
#: Most rules in one file.
MAX_RULES = 1000

#: What a rule file is given as: a path, or a file inside a plugin's package (possibly in a zip).
RuleSource = str | os.PathLike[str] | Traversable


def load_rule_file(path: RuleSource) -> list[Rule]:
    """The rules of one TOML rule file, validated (not verified); raises :class:`CustomRuleError`."""
    return read_rule_file(path)[0]


def read_rule_file(path: RuleSource) -> tuple[list[Rule], dict[str, str]]:
    """The rules of one file and where each one's id is (``file:line:column``, by rule id); raises
    :class:`CustomRuleError` with every problem of the file."""
    name, data = _read(path)
    text = _decode(name, data)
    doc = _toml(name, text)
    reader = RuleReader(name, TomlPositions(text))
    _top_level(doc, reader)
    tables = _rule_tables(doc, reader)
    rules: list[Rule] = []
    sources: dict[str, str] = {}
    for k, table in enumerate(tables):
        rule = reader.rule(table, k)
        if rule is None:
            continue
        where = reader.where(("rule", k, "id"))
        if rule.id in sources:
            reader.problems.append(
                Problem(
                    where, f"rule id {rule.id!r} is defined twice (first at {sources[rule.id]}); ids must be unique"
                )
            )
            continue
        rules.append(rule)
        sources[rule.id] = where
    if reader.problems:
        raise CustomRuleError(reader.problems)
    return rules, sources


def _top_level(doc: dict[str, Any], reader: RuleReader) -> None:
    """Report every top-level key other than ``rule``."""
    for key in doc:
        if key != "rule":
            hint = suggestion(key, ["rule"], ignore_case=True) or "Each rule is a [[rule]] table."
            reader.problems.append(Problem(reader.where((key,)), f"unknown top-level key {key!r}. {hint}"))


def _rule_tables(doc: dict[str, Any], reader: RuleReader) -> list[Any]:
    """The ``[[rule]]`` tables of the document: at least one (unless the top level had problems), at most
    :data:`MAX_RULES`."""
    name = reader.name
    tables = doc.get("rule", [])
    if isinstance(tables, dict):
        tables = [tables]
    if not isinstance(tables, list):
        raise CustomRuleError(
            [Problem(reader.where(("rule",)), f"'rule' must be [[rule]] tables, got {toml_kind(tables)}")]
        )
    if not tables and not reader.problems:
        raise CustomRuleError([Problem(name, "has no rules; write each rule as a [[rule]] table")])
    if len(tables) > MAX_RULES:
        raise CustomRuleError([Problem(name, f"has {len(tables)} rules; a file may have at most {MAX_RULES}")])
    return tables


# ------------------------------------------------------------------ bytes, text, TOML
def _read(path: RuleSource) -> tuple[str, bytes]:
    """The name and bytes of a rule file: a regular file of at most :data:`MAX_FILE_BYTES` (read no further, so
    that ``/dev/zero`` cannot fill the memory; directories, pipes and devices refused before reading)."""
    name = str(path)
    if isinstance(path, Traversable) and not isinstance(path, Path):  # inside a plugin's package (e.g. a zip)
        return name, _read_resource(path, name)
    try:
        return name, read_regular_file(path, MAX_FILE_BYTES, what="a TOML rule file")
    except FileProblem as exc:
        raise CustomRuleError([Problem(name, exc.reason)]) from None


def _read_resource(path: Traversable, name: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CustomRuleError([Problem(name, "no such file")]) from None
    except OSError as exc:
        raise CustomRuleError([Problem(name, f"cannot be read: {exc.strerror or exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise CustomRuleError(
            [
                Problem(
                    name, f"is larger than {MAX_FILE_BYTES} bytes; a TOML rule file may have at most {MAX_FILE_BYTES}"
                )
            ]
        )
    return data


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CustomRuleError(
            [Problem(f"{name}:{line}:{col}", f"not valid UTF-8 (byte 0x{data[exc.start]:02x}). Save the file as UTF-8")]
        ) from None
    return text.removeprefix("\ufeff")


def _toml(name: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CustomRuleError([_toml_problem(name, text, str(exc))]) from None
    except RecursionError:
        raise CustomRuleError([Problem(f"{name}:1:1", "TOML nested too deeply to read")]) from None


def _toml_problem(name: str, text: str, msg: str) -> Problem:
    """tomllib's complaint at its line and column, with a hint for the usual mistakes."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    what = re.sub(r"\s*\(at .*\)$", "", msg)
    lines = text.splitlines()
    line, col = (int(m.group(1)), int(m.group(2))) if m else (len(lines) or 1, 1)
    hint = 'Check the TOML syntax: key = "value", strings in quotes, [[rule]] before each rule.'
    source = lines[line - 1] if m and line <= len(lines) else ""
    if (
        what == "Invalid value"
        and "=" in source
        and not source.split("=", 1)[1].strip().startswith(('"', "'", "[", "{"))
    ):
        hint = 'Put expressions in quotes: function = "x^2".'
    elif "Cannot overwrite" in what or "Cannot declare" in what:
        hint = "A key appears twice in the same table."
    return Problem(f"{name}:{line}:{col}", f"malformed TOML: {what}. {hint}")
