"""Your own rules: TOML rule files and plugin catalogs, verified exactly like the built-in rules.

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

Every expression goes through the safe parser (:mod:`cheatsheet.checking.parse`); numbers are exact. Kinks
(``[[rule.kinks]]``: at, left, right, torch, jax, wrt, jump, note) and identities
(``[[rule.identities]]``: lhs, rhs, relation, note) are checked like the catalog's. Every key of
the wrong type (a number for the function, a string for a table, a date, ...) is a problem, never a
rule dropped in silence; text may not hold control characters (prose may hold tabs and line breaks).
A rule file is read only if it is a regular file, and no further than :data:`MAX_FILE_BYTES` + 1 bytes.

Packages ship rules through the entry point group ``cheatsheet.catalogs``: each entry point names a
callable (or an iterable) giving :class:`~cheatsheet.rule.Rule` objects and/or paths of TOML rule
files. :func:`plugin_rules` loads them, each under a time limit (:data:`PLUGIN_SECONDS`).

Every problem is collected and reported as one line ``file:line:column: rule 'id', key: what. hint``;
:class:`CustomRuleError` carries the lines and the exit status (2 for unreadable input, 1 for a
false claim with its counterexample).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import sympy as sp

from cheatsheet.fsutil import FileProblem, read_regular_file
from cheatsheet.checking.parse import RESERVED, InputError, ParseError, _close, exact_number, parse_domain, parse_expression
from cheatsheet.rule import FAMILIES, Identity, Input, Kink, Param, Rule, RuleError
from cheatsheet.verifier.verdict import Verdict

__all__ = [
    "ENTRY_POINT_GROUP",
    "MAX_FILE_BYTES",
    "MAX_RULES",
    "PLUGIN_SECONDS",
    "CustomRuleError",
    "Problem",
    "VerifiedRule",
    "load_custom_rules",
    "load_for_build",
    "load_rule_file",
    "plugin_rules",
    "verify_custom",
]

#: The entry point group through which packages ship rules.
ENTRY_POINT_GROUP = "cheatsheet.catalogs"
#: Largest rule file read.
MAX_FILE_BYTES = 1_000_000
#: Most rules in one file.
MAX_RULES = 1000
#: Seconds the verification of one custom rule may take.
VERIFY_SECONDS = 60.0
#: Seconds a plugin catalog may take to import and to give its rules.
PLUGIN_SECONDS = 30.0

_RULE_KEYS = ("id", "title", "family", "inputs", "params", "function", "derivative", "kinks", "identities", "notes", "references")
_INPUT_KEYS = ("name", "symbol", "domain", "doc")
_PARAM_KEYS = ("name", "symbol", "default", "domain", "samples", "doc")
_KINK_KEYS = ("at", "left", "right", "torch", "jax", "wrt", "jump", "note")
_IDENTITY_KEYS = ("lhs", "rhs", "relation", "note")
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")  # \Z, not $: "relu\n" is no id
_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# Control characters refused in text (a NUL breaks the LaTeX export; any of them can garble a page): every
# one in one-line text (titles), all but tab and line breaks in prose (notes, references, docs).
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_PROSE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Path_ = tuple[Any, ...]  # a key path: ("rule", 0, "params", 1, "default")


# ------------------------------------------------------------------------------------------ errors
@dataclass(frozen=True)
class Problem:
    """One problem: where (``file:line:column`` or a plugin) and what, with a hint."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class CustomRuleError(ValueError):
    """Custom rules that cannot be used: every problem, one line each, and the exit status
    (2: unreadable input; 1: a false claim, with its counterexample)."""

    def __init__(self, problems: Sequence[Problem], exit_code: int = 2) -> None:
        self.problems = tuple(problems)
        self.exit_code = exit_code
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class VerifiedRule:
    """A custom rule, its verdict, and where it came from (``file:line`` or ``plugin 'name'``)."""

    rule: Rule
    verdict: Verdict
    source: str


# ------------------------------------------------------------------------------------------ locations
@dataclass
class _Entry:
    line: int
    key_col: int
    value_col: int
    string_col: int | None  # column of the first character inside a one-line string without escapes


class _Locator:
    """Lines and columns of the keys of a TOML text (tomllib does not report them).

    A light scanner: table headers, ``[[array.of.tables]]`` with their running index, and
    ``key = value`` lines (multi-line strings and arrays are skipped). Keys inside inline tables are
    found by searching the line of their parent key.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.entries: dict[Path_, _Entry] = {}
        index: dict[tuple[str, ...], int] = {}
        current: Path_ = ()
        skip_until: str | None = None
        depth = 0
        for no, raw in enumerate(self.lines, start=1):
            if skip_until is not None:
                if skip_until in raw:
                    skip_until = None
                continue
            if depth > 0:
                depth += _bracket_balance(raw)
                continue
            line = raw.strip()
            if line.startswith("[["):
                names = _split_key(line[2:line.find("]]")] if "]]" in line else line[2:])
                plain = tuple(names)
                index[plain] = index.get(plain, -1) + 1
                for other in [k for k in index if len(k) > len(plain) and k[: len(plain)] == plain]:
                    del index[other]
                current = self._indexed(plain, index)
                self.entries.setdefault(current, _Entry(no, raw.find("[[") + 1, raw.find("[[") + 1, None))
                continue
            if line.startswith("["):
                names = _split_key(line[1:line.find("]")] if "]" in line else line[1:])
                current = self._indexed(tuple(names), index)
                self.entries.setdefault(current, _Entry(no, raw.find("[") + 1, raw.find("[") + 1, None))
                continue
            m = re.match(r"^(\s*)((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*=\s*", raw)
            if not m:
                continue
            key_col = len(m.group(1)) + 1
            value_col = m.end() + 1
            value = raw[m.end():]
            path = current + tuple(_split_key(m.group(2)))
            string_col = None
            if value.startswith(('"""', "'''")):
                if value.count(value[:3]) < 2:
                    skip_until = value[:3]
            elif value.startswith('"'):
                end = value.find('"', 1)
                if end > 0 and "\\" not in value[:end]:
                    string_col = value_col + 1
            elif value.startswith("'"):
                string_col = value_col + 1
            elif value.startswith("["):
                depth = _bracket_balance(value)
            self.entries.setdefault(path, _Entry(no, key_col, value_col, string_col))

    @staticmethod
    def _indexed(plain: tuple[str, ...], index: dict[tuple[str, ...], int]) -> Path_:
        out: list[Any] = []
        for k in range(1, len(plain) + 1):
            out.append(plain[k - 1])
            if plain[:k] in index:
                out.append(index[plain[:k]])
        return tuple(out)

    def find(self, path: Path_, column: int | None = None, key: bool = False) -> tuple[int, int] | None:
        """(line, column) of ``path``'s value (or its key), or of character ``column`` of its string;
        None if unknown."""
        entry = self.entries.get(path)
        if entry is not None:
            if key:
                return entry.line, entry.key_col
            if column is not None and entry.string_col is not None:
                return entry.line, entry.string_col + column - 1
            return entry.line, entry.value_col
        # a key inside an inline table or an inline array of tables: search the parent's line(s)
        for cut in range(len(path) - 1, 0, -1):
            parent = self.entries.get(path[:cut])
            if parent is None:
                continue
            want_key = key
            key_name = next((p for p in reversed(path) if isinstance(p, str)), None)
            if key_name is None:
                return parent.line, parent.value_col
            for no in range(parent.line, min(parent.line + 50, len(self.lines)) + 1):
                m = re.search(rf"(?<![A-Za-z0-9_]){re.escape(key_name)}\s*=\s*", self.lines[no - 1])
                if m:
                    if want_key:
                        return no, m.start() + 1
                    col = m.end() + 1
                    rest = self.lines[no - 1][m.end():]
                    if column is not None and rest[:1] in ('"', "'") and "\\" not in rest[: rest.find(rest[0], 1)]:
                        return no, col + column
                    return no, col
            return parent.line, parent.value_col
        return None


def _split_key(text: str) -> list[str]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_\-]+)", text)
    return [a or b or c for a, b, c in parts]


def _bracket_balance(text: str) -> int:
    """Opening minus closing brackets on a line, outside strings and comments."""
    code = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'", "", text).split("#")[0]
    return code.count("[") - code.count("]")


# ------------------------------------------------------------------------------------------ reading a file
class _Reader:
    """Validates the tables of one file and builds its rules, collecting every problem."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.locator = _Locator(text)
        self.problems: list[Problem] = []
        self.rule_id = ""
        self.rule_index = 0

    # -------------------------------------------------------------- reporting
    def where(self, path: Path_, column: int | None = None, key: bool = False) -> str:
        pos = self.locator.find(path, column, key)
        return f"{self.name}:{pos[0]}:{pos[1]}" if pos else self.name

    def key_text(self, path: Path_) -> str:
        out = ""
        for p in path[2:]:  # after ("rule", k)
            out += f"[{p + 1}]" if isinstance(p, int) else (f".{p}" if out else p)
        return out

    def problem(self, path: Path_, message: str, column: int | None = None, at_key: bool = False) -> None:
        who = f"rule {self.rule_id!r}" if self.rule_id else f"rule #{self.rule_index + 1}"
        key = self.key_text(path)
        self.problems.append(Problem(self.where(path, column, at_key), f"{who}{', ' + key if key else ''}: {message}"))

    # -------------------------------------------------------------- typed access
    def keys(self, table: Mapping[str, Any], allowed: Sequence[str], path: Path_, required: Sequence[str] = ()) -> bool:
        ok = True
        suggested: set[str] = set()
        for key in table:
            if key not in allowed:
                hint = _close(key, list(allowed))
                suggested.update(re.findall(r"'([^']*)'", hint))
                self.problem(path + (key,), f"unknown key {key!r}. {hint or 'Allowed keys: ' + ', '.join(allowed) + '.'}", at_key=True)
                ok = False
        for key in required:
            if key not in table and key not in suggested:  # a misspelt key was reported just above
                self.problem(path, f"missing {key!r}{_REQUIRED_HINTS.get(key, '')}")
                ok = False
        return ok

    def string(self, table: Mapping[str, Any], key: str, path: Path_, default: str | None = None) -> str | None:
        """``table[key]`` if it is a string without control characters (``default`` when absent), else None
        after reporting the problem."""
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, str):
            self.problem(path + (key,), f"expected a string, got {_kind(value)}. Put it in quotes: {key} = \"...\"")
            return None
        if not self.printable(value, path + (key,), prose=False):
            return None
        return value

    def prose(self, table: Mapping[str, Any], key: str, path: Path_) -> str | None:
        """A free text (a doc or a note, default ""): a string that may span lines, without other control characters."""
        value = table.get(key, "")
        if not isinstance(value, str):
            self.problem(path + (key,), f"expected a string, got {_kind(value)}. Put it in quotes: {key} = \"...\"")
            return None
        return value if self.printable(value, path + (key,), prose=True) else None

    def strings(self, table: Mapping[str, Any], key: str, path: Path_) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(path + (key,), f"expected a list of strings, got {_kind(value)}. Write {key} = [\"...\", \"...\"]")
            return ()
        if not all(self.printable(v, path + (key,), prose=True) for v in value):
            return ()
        return tuple(value)

    def printable(self, value: str, path: Path_, *, prose: bool) -> bool:
        """Whether ``value`` has no control character (prose may hold tabs and line breaks); reports the first."""
        m = (_CONTROL_PROSE if prose else _CONTROL_LINE).search(value)
        if m is None:
            return True
        allowed = "tabs and line breaks but no other" if prose else "no"
        self.problem(path, f"control character U+{ord(m.group()):04X} at character {m.start() + 1} of the text; "
                     f"text may hold {allowed} control characters. Remove it", m.start() + 1)
        return False

    def tables(self, table: Mapping[str, Any], key: str, path: Path_) -> list[dict[str, Any]]:
        value = table.get(key, [])
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(path + (key,), f"expected tables ([[rule.{key}]]), got {_kind(value)}")
            return []
        return value

    def expression(
        self, value: Any, path: Path_, symbols: Mapping[str, sp.Basic], *, condition: bool = False, new: bool = False,
        numbers: bool = True,
    ) -> Any:
        """A parsed expression (unevaluated: printed as written), or None after reporting a problem. A number
        (``left = 0``) is read as the expression it writes unless ``numbers`` is false (a function)."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float) if numbers else str):
            key = next((p for p in reversed(path) if isinstance(p, str)), "expression")
            self.problem(path, f"expected an expression in quotes, got {_kind(value)}. Write {key} = \"...\", e.g. {key} = \"x^2\"")
            return None
        text = value if isinstance(value, str) else (repr(value) if isinstance(value, float) else str(value))
        try:
            parsed = parse_expression(text, symbols, new_symbols=new, evaluated=False, condition=condition)
        except ParseError as exc:
            self.problem(path, _parse_message(exc), exc.column if isinstance(value, str) else None)
            return None
        return parsed

    def number(self, value: Any, path: Path_) -> sp.Expr | None:
        # TOML gives numbers, text, booleans, dates, arrays and tables: the package's one reader of numbers
        # (cheatsheet.checking.parse.exact_number) takes the numbers and the text; 0.01 is exactly 1/100, as written
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.problem(path, f"expected a number, got {_kind(value)}")
            return None
        try:
            return exact_number(value, "")
        except ParseError as exc:
            self.problem(path, _parse_message(exc), exc.column)
        except InputError as exc:
            self.problem(path, str(exc).removeprefix(": "))
        return None

    def domain(self, table: Mapping[str, Any], path: Path_) -> sp.Set | None:
        value = table.get("domain", "real")
        if not isinstance(value, str):
            self.problem(path + ("domain",), f"expected a domain in quotes such as \"positive\" or \"(0, 1)\", got {_kind(value)}")
            return None
        try:
            return parse_domain(value)
        except ParseError as exc:
            self.problem(path + ("domain",), _parse_message(exc), exc.column)
            return None

    def symbol_name(self, table: Mapping[str, Any], path: Path_, name: str, taken: dict[str, Path_]) -> str | None:
        symbol = self.string(table, "symbol", path, default=name)
        if symbol is None:
            return None
        if not _SYMBOL.match(symbol) or len(symbol) > 32:
            self.problem(path + ("symbol",), f"symbol {symbol!r} is not a name: use letters, digits and '_', starting with a letter")
            return None
        if symbol in RESERVED:
            self.problem(path + ("symbol",), f"symbol {symbol!r} is a reserved name (a function, constant or keyword); choose another")
            return None
        if symbol in taken:
            self.problem(path + ("symbol",), f"symbol {symbol!r} is used twice (also by {self.key_text(taken[symbol])})")
            return None
        taken[symbol] = path
        return symbol

    # -------------------------------------------------------------- one rule
    def rule(self, table: Any, k: int) -> Rule | None:
        path: Path_ = ("rule", k)
        self.rule_index, self.rule_id = k, ""
        if not isinstance(table, dict):
            self.problem(path, f"expected a table [[rule]], got {_kind(table)}")
            return None
        before = len(self.problems)
        rid = self.string(table, "id", path)
        if rid is not None:
            if not _ID.match(rid):
                self.problem(path + ("id",), f"id {rid!r} must be snake_case: lower-case letters, digits and '_', starting with a letter")
            else:
                self.rule_id = rid
        self.keys(table, _RULE_KEYS, path, required=("id", "function", "derivative"))
        title = self.string(table, "title", path, default=(rid or "custom rule").replace("_", " ").capitalize())
        family = self.string(table, "family", path, default="custom")
        if family is not None and family not in FAMILIES:
            hint = _close(family, list(FAMILIES)) or f"Families: {', '.join(FAMILIES)}."
            self.problem(path + ("family",), f"unknown family {family!r}. {hint}")
        taken: dict[str, Path_] = {}
        params, symbols = self._params(table, path, taken)
        inputs = self._inputs(table, path, taken, symbols)
        if inputs is None:
            return None
        names = [inp.name for inp in inputs]
        for inp in inputs:
            symbols[str(inp.symbol)] = inp.symbol
        function = self._function(table, path, symbols)
        derivative = self._derivative(table, path, symbols, names)
        kinks = self._kinks(table, path, symbols, names)
        identities = self._identities(table, path, symbols)
        notes = self.strings(table, "notes", path)
        references = self.strings(table, "references", path)
        if len(self.problems) > before or function is None or derivative is None:
            return None
        try:
            return Rule(
                id=rid or "", title=title or "", family=family or "custom", inputs=tuple(inputs), function=function,
                derivative=derivative, params=tuple(params), kinks=tuple(kinks), identities=tuple(identities),
                notes=notes, references=references,
            )
        except RuleError as exc:
            self.problem(path, str(exc).split(": ", 1)[-1])
            return None

    def _params(self, table: Mapping[str, Any], path: Path_, taken: dict[str, Path_]) -> tuple[list[Param], dict[str, sp.Basic]]:
        params: list[Param] = []
        names: list[str] = []
        symbols: dict[str, sp.Basic] = {}
        for j, pt in enumerate(self.tables(table, "params", path)):
            pp = path + ("params", j)
            if not self.keys(pt, _PARAM_KEYS, pp, required=("name", "default")):
                continue
            name = self.string(pt, "name", pp)
            if name is None:
                continue
            if not _SYMBOL.match(name):
                self.problem(pp + ("name",), f"parameter name {name!r} is not an identifier")
                continue
            if name in names:
                self.problem(pp + ("name",), f"parameter {name!r} is declared twice")
                continue
            names.append(name)
            symbol = self.symbol_name(pt, pp, name, taken)
            domain = self.domain(pt, pp)
            default = self.number(pt["default"], pp + ("default",))
            if symbol is None or domain is None or default is None:
                continue
            if default not in domain:
                self.problem(pp + ("default",), f"default {default} lies outside the parameter's domain {pt.get('domain', 'real')}")
                continue
            samples: list[sp.Expr] = []
            raw = pt.get("samples", [])
            if not isinstance(raw, list):
                self.problem(pp + ("samples",), f"expected a list of numbers, got {_kind(raw)}")
                raw = []
            for v in raw:
                value = self.number(v, pp + ("samples",))
                if value is None:
                    continue
                if value not in domain:
                    self.problem(pp + ("samples",), f"sample {value} lies outside the parameter's domain {pt.get('domain', 'real')}")
                    continue
                samples.append(value)
            sym = _symbol(symbol, domain)
            symbols[symbol] = sym
            doc = self.prose(pt, "doc", pp)
            if doc is None:
                continue
            params.append(Param(name, default, sym, domain, samples=tuple(samples), doc=doc))
        return params, symbols

    def _inputs(self, table: Mapping[str, Any], path: Path_, taken: dict[str, Path_], symbols: dict[str, sp.Basic]) -> list[Input] | None:
        declared = self.tables(table, "inputs", path)
        inputs: list[Input] = []
        if not declared:
            # the function's variables (other than parameters), in order of appearance, each real
            text = table.get("function")
            if not isinstance(text, str):
                return []
            try:
                parsed = parse_expression(text, symbols, new_symbols=True, evaluated=False)
            except ParseError as exc:
                self.problem(path + ("function",), _parse_message(exc), exc.column)
                return None
            fresh = [n for n in parsed.names if n not in symbols]
            if not fresh:
                self.problem(path + ("function",), "the function has no variable: declare its inputs with [[rule.inputs]]")
                return None
            for n in fresh:
                if n in RESERVED:
                    self.problem(path + ("function",), f"{n!r} is a reserved name and cannot be a variable", parsed.positions[n])
                    return None
                inputs.append(Input(n, sp.Symbol(n, real=True), sp.S.Reals))
            return inputs
        names: list[str] = []
        for j, it in enumerate(declared):
            ip = path + ("inputs", j)
            if not self.keys(it, _INPUT_KEYS, ip, required=("name",)):
                continue
            name = self.string(it, "name", ip)
            if name is None:
                continue
            if not _SYMBOL.match(name):
                self.problem(ip + ("name",), f"input name {name!r} is not an identifier (letters, digits, '_')")
                continue
            if name in names:
                self.problem(ip + ("name",), f"input {name!r} is declared twice")
                continue
            names.append(name)
            symbol = self.symbol_name(it, ip, name, taken)
            domain = self.domain(it, ip)
            if symbol is None or domain is None:
                continue
            doc = self.prose(it, "doc", ip)
            if doc is None:
                continue
            inputs.append(Input(name, _symbol(symbol, domain), domain, doc=doc))
        return inputs

    def _function(self, table: Mapping[str, Any], path: Path_, symbols: Mapping[str, sp.Basic]) -> Any:
        if "function" not in table:
            return None
        parsed = self.expression(table["function"], path + ("function",), symbols, numbers=False)
        if parsed is None:
            return None
        from cheatsheet.checking.claim import without_distributions

        return without_distributions(parsed.expr)

    def _derivative(self, table: Mapping[str, Any], path: Path_, symbols: Mapping[str, sp.Basic], names: list[str]) -> dict[str, Any] | None:
        if "derivative" not in table or not names:
            return None
        raw = table["derivative"]
        if not isinstance(raw, dict):
            raw = {names[0]: raw}
            paths = {names[0]: path + ("derivative",)}
        else:
            paths = {}
            for key in raw:
                if key not in names:
                    hint = _close(key, names) or f"The inputs are {', '.join(names)}."
                    self.problem(path + ("derivative", key), f"derivative w.r.t. {key!r}, which is not an input. {hint}", at_key=True)
                else:
                    paths[key] = path + ("derivative", key)
            if not raw:
                self.problem(path + ("derivative",), "no derivative given: derivative.<input> = \"...\"")
        out: dict[str, Any] = {}
        for key, p in paths.items():
            parsed = self.expression(raw[key], p, symbols)
            if parsed is not None:
                out[key] = parsed.expr
        return out if len(out) == len(paths) and out else None

    def _kinks(self, table: Mapping[str, Any], path: Path_, symbols: Mapping[str, sp.Basic], names: list[str]) -> list[Kink]:
        kinks: list[Kink] = []
        for j, kt in enumerate(self.tables(table, "kinks", path)):
            kp = path + ("kinks", j)
            if not self.keys(kt, _KINK_KEYS, kp, required=("at", "left", "right", "torch")):
                continue
            values: dict[str, Any] = {}
            for key in ("at", "left", "right", "torch", "jax"):
                if key in kt:
                    parsed = self.expression(kt[key], kp + (key,), symbols)
                    values[key] = None if parsed is None else parsed.expr
            wrt = self.string(kt, "wrt", kp)
            if wrt is not None and wrt not in names:
                hint = _close(wrt, names) or f"The inputs are {', '.join(names)}."
                self.problem(kp + ("wrt",), f"{wrt!r} is not an input. {hint}")
                continue
            jump = kt.get("jump", False)
            if not isinstance(jump, bool):
                self.problem(kp + ("jump",), f"expected true or false, got {_kind(jump)}")
                continue
            note = self.prose(kt, "note", kp)
            if any(values.get(k) is None for k in ("at", "left", "right", "torch")) or ("jax" in kt and values.get("jax") is None):
                continue
            if note is None or ("wrt" in kt and wrt is None):
                continue
            kinks.append(Kink(values["at"], values["left"], values["right"], values["torch"], jax=values.get("jax"),
                              wrt=wrt, jump=jump, note=note))
        return kinks

    def _identities(self, table: Mapping[str, Any], path: Path_, symbols: Mapping[str, sp.Basic]) -> list[Identity]:
        out: list[Identity] = []
        for j, it in enumerate(self.tables(table, "identities", path)):
            ip = path + ("identities", j)
            if not self.keys(it, _IDENTITY_KEYS, ip, required=("lhs", "rhs")):
                continue
            relation = self.string(it, "relation", ip, default="=")
            if relation is None:
                continue
            if relation not in _RELATIONS:
                self.problem(ip + ("relation",), f"relation {relation!r} is not one of '=', '<=', '>='")
                continue
            lhs = self.expression(it["lhs"], ip + ("lhs",), symbols)
            rhs = self.expression(it["rhs"], ip + ("rhs",), symbols)
            note = self.prose(it, "note", ip)
            if lhs is None or rhs is None or note is None:
                continue
            out.append(Identity(lhs.expr, rhs.expr, _RELATIONS[relation], note=note))
        return out


_RELATIONS: dict[str, Literal["=", "<=", ">="]] = {"=": "=", "<=": "<=", ">=": ">="}

_REQUIRED_HINTS = {
    "id": ": a snake_case id such as id = \"swish_beta\"",
    "function": ": the function in quotes, such as function = \"x*sigmoid(x)\"",
    "derivative": ": the claimed derivative, such as derivative = \"sigmoid(x)*(1 + x*(1 - sigmoid(x)))\"",
    "name": ": name = \"...\"",
    "default": ": the default value, such as default = 1",
    "at": ": where the kink is, such as at = \"0\"",
    "left": ": the derivative just left of the kink",
    "right": ": the derivative just right of the kink",
    "torch": ": the value PyTorch's autograd returns at the kink",
    "lhs": ": the left-hand side",
    "rhs": ": the right-hand side",
}


_KINDS = {bool: ("a boolean", "booleans"), int: ("an integer", "integers"), float: ("a number", "numbers"),
          str: ("a string", "strings"), list: ("a list", "lists"), dict: ("a table", "tables"),
          datetime.datetime: ("a date-time", "date-times"), datetime.date: ("a date", "dates"),
          datetime.time: ("a time", "times")}


def _kind(value: Any) -> str:
    """What a TOML value is, for messages: "an integer (3)", "a list of integers", "a date (1979-05-27)"."""
    one, _ = _KINDS.get(type(value), (type(value).__name__, ""))
    if isinstance(value, list) and value:
        kinds = {_KINDS.get(type(v), (type(v).__name__, type(v).__name__))[1] for v in value}
        return f"a list of {' and '.join(sorted(kinds))}"
    if isinstance(value, (bool, int, float)):
        return f"{one} ({value!r})"
    if isinstance(value, (datetime.date, datetime.time)):
        return f"{one} ({value.isoformat()})"
    return one


def _parse_message(exc: ParseError) -> str:
    return str(exc).split(": ", 1)[1] if str(exc).startswith("column ") else str(exc)


def _symbol(name: str, domain: sp.Set) -> sp.Symbol:
    """The sympy symbol for a name on a domain: positive when the domain is, else real."""
    if domain.is_subset(sp.Interval.open(0, sp.oo)):
        return sp.Symbol(name, positive=True)
    return sp.Symbol(name, real=True)


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CustomRuleError([Problem(f"{name}:{line}:{col}", f"not valid UTF-8 (byte 0x{data[exc.start]:02x}). Save the file as UTF-8")]) from None
    return text.removeprefix("\ufeff")


def _toml(name: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        what = re.sub(r"\s*\(at .*\)$", "", msg)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (len(text.splitlines()) or 1, 1)
        hint = "Check the TOML syntax: key = \"value\", strings in quotes, [[rule]] before each rule."
        source = text.splitlines()[line - 1] if m and line <= len(text.splitlines()) else ""
        if what == "Invalid value" and "=" in source and not source.split("=", 1)[1].strip().startswith(('"', "'", "[", "{")):
            hint = "Put expressions in quotes: function = \"x^2\"."
        elif "Cannot overwrite" in what or "Cannot declare" in what:
            hint = "A key appears twice in the same table."
        raise CustomRuleError([Problem(f"{name}:{line}:{col}", f"malformed TOML: {what}. {hint}")]) from None
    except RecursionError:
        raise CustomRuleError([Problem(f"{name}:1:1", "TOML nested too deeply to read")]) from None


def _read(path: str | os.PathLike[str] | Traversable) -> tuple[str, bytes]:
    """The name and bytes of a rule file: a regular file of at most :data:`MAX_FILE_BYTES` (read no further, so
    that ``/dev/zero`` cannot fill the memory; directories, pipes and devices refused before reading)."""
    name = str(path)
    if isinstance(path, Traversable) and not isinstance(path, Path):  # inside a plugin's package (e.g. a zip)
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise CustomRuleError([Problem(name, "no such file")]) from None
        except OSError as exc:
            raise CustomRuleError([Problem(name, f"cannot be read: {exc.strerror or exc}")]) from None
        if len(data) > MAX_FILE_BYTES:
            raise CustomRuleError([Problem(name, f"is larger than {MAX_FILE_BYTES} bytes; a TOML rule file may have at most {MAX_FILE_BYTES}")])
        return name, data
    try:
        return name, read_regular_file(path, MAX_FILE_BYTES, what="a TOML rule file")
    except FileProblem as exc:
        raise CustomRuleError([Problem(name, exc.reason)]) from None


def _load(path: str | os.PathLike[str] | Traversable) -> tuple[list[Rule], dict[str, str]]:
    """The rules of one file and where each one's table starts (``file:line``)."""
    name, data = _read(path)
    text = _decode(name, data)
    doc = _toml(name, text)
    reader = _Reader(name, text)
    for key in doc:
        if key != "rule":
            hint = _close(key, ["rule"]) or "Each rule is a [[rule]] table."
            pos = reader.locator.find((key,))
            where = f"{name}:{pos[0]}:{pos[1]}" if pos else name
            reader.problems.append(Problem(where, f"unknown top-level key {key!r}. {hint}"))
    tables = doc.get("rule", [])
    if isinstance(tables, dict):
        tables = [tables]
    if not isinstance(tables, list):
        pos = reader.locator.find(("rule",))
        where = f"{name}:{pos[0]}:{pos[1]}" if pos else name
        raise CustomRuleError([Problem(where, f"'rule' must be [[rule]] tables, got {_kind(tables)}")])
    if not tables and not reader.problems:
        raise CustomRuleError([Problem(name, "has no rules; write each rule as a [[rule]] table")])
    if len(tables) > MAX_RULES:
        raise CustomRuleError([Problem(name, f"has {len(tables)} rules; a file may have at most {MAX_RULES}")])
    rules: list[Rule] = []
    sources: dict[str, str] = {}
    seen: dict[str, str] = {}
    for k, table in enumerate(tables):
        rule = reader.rule(table, k)
        if rule is None:
            continue
        where = reader.where(("rule", k, "id"))
        if rule.id in seen:
            reader.problems.append(Problem(where, f"rule id {rule.id!r} is defined twice (first at {seen[rule.id]}); ids must be unique"))
            continue
        seen[rule.id] = where
        rules.append(rule)
        sources[rule.id] = where
    if reader.problems:
        raise CustomRuleError(reader.problems)
    return rules, sources


def load_rule_file(path: str | os.PathLike[str] | Traversable) -> list[Rule]:
    """The rules of one TOML rule file, validated (not verified); raises :class:`CustomRuleError`."""
    return _load(path)[0]


# ------------------------------------------------------------------------------------------ plugins
def _entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    eps = importlib.metadata.entry_points(group=group)
    unique: dict[tuple[str, str], importlib.metadata.EntryPoint] = {}
    for ep in eps:  # the same distribution found twice on sys.path lists its entry point twice
        unique.setdefault((ep.name, ep.value), ep)
    return sorted(unique.values(), key=lambda ep: (ep.name, ep.value))


class _NotCallable(Exception):
    """An entry point that names something other than a callable."""


def _plugin_items(ep: importlib.metadata.EntryPoint) -> list[Any]:
    """What a plugin's entry point gives: its callable's result as a list (Rule objects, paths)."""
    obj = ep.load()
    if not callable(obj):
        raise _NotCallable(type(obj).__name__)
    result = obj()
    single = isinstance(result, (Rule, str, bytes, os.PathLike)) or (isinstance(result, Traversable) and not hasattr(result, "__iter__"))
    return [result] if single else list(result)


def _probe_plugin(ep: importlib.metadata.EntryPoint) -> str:
    """In a forked child: load the plugin and call it, to learn that it finishes (its result stays there);
    returns what is wrong with it, or ""."""
    try:
        _plugin_items(ep)
    except BaseException as exc:  # noqa: BLE001 - reported by name, whatever the plugin raised
        return _plugin_problem(exc)
    return ""


def _plugin_problem(exc: BaseException) -> str:
    if isinstance(exc, _NotCallable):
        return (f"names a {exc}, not a callable; expected a function returning Rule objects or paths of TOML "
                "rule files")
    return f"cannot be loaded: {type(exc).__name__}: {exc}"


def _load_plugin(ep: importlib.metadata.EntryPoint, origin: str) -> list[Any]:
    """The items of one plugin, loaded under :data:`PLUGIN_SECONDS`: first in a forked child that is killed
    when late (an import or a catalog function that hangs, even in C code no signal interrupts, cannot stop
    the build), then, once that finished, in this process (Rule objects keep their unevaluated, as-written
    expressions, which pickling them back from the child would not). Raises CustomRuleError naming the plugin."""
    from cheatsheet.checking.parse import InputError
    from cheatsheet.timelimit import TimeLimitError, run_limited

    try:
        problem = run_limited(_probe_plugin, ep, seconds=PLUGIN_SECONDS, what=origin)
    except TimeLimitError:
        raise CustomRuleError([Problem(origin, f"did not load within {PLUGIN_SECONDS:g} s (its import or its catalog "
                                       "function hangs or is too slow); fix or uninstall it, or build with --no-plugins")]) from None
    except InputError:  # the child died (out of memory, a crash, os._exit)
        raise CustomRuleError([Problem(origin, "cannot be loaded: the process loading it stopped unexpectedly "
                                       "(a crash, an exit, or out of memory)")]) from None
    if problem:
        raise CustomRuleError([Problem(origin, problem)])
    try:
        return _plugin_items(ep)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken plugin is reported, not a traceback
        raise CustomRuleError([Problem(origin, _plugin_problem(exc))]) from None


def _plugins(group: str = ENTRY_POINT_GROUP) -> tuple[list[tuple[Rule, str]], list[Problem]]:
    found: list[tuple[Rule, str]] = []
    problems: list[Problem] = []
    for ep in _entry_points(group):
        dist = getattr(ep, "dist", None)
        origin = f"plugin {ep.name!r} ({ep.value}{', from ' + dist.name if dist is not None else ''})"
        try:
            items = _load_plugin(ep, origin)
        except CustomRuleError as exc:
            problems.extend(exc.problems)
            continue
        for item in items:
            if isinstance(item, Rule):
                found.append((item, origin))
            elif isinstance(item, (str, os.PathLike, Traversable)):
                try:
                    with ExitStack() as stack:
                        if isinstance(item, Traversable) and not isinstance(item, Path):
                            item = stack.enter_context(resources.as_file(item))
                        rules, sources = _load(item)
                    found.extend((r, f"{origin}: {sources[r.id]}") for r in rules)
                except CustomRuleError as exc:
                    problems.extend(Problem(f"{origin}: {p.location}", p.message) for p in exc.problems)
            else:
                problems.append(Problem(origin, f"gave {type(item).__name__!s}; expected Rule objects or paths of TOML rule files"))
    return found, problems


def plugin_rules(group: str = ENTRY_POINT_GROUP) -> list[Rule]:
    """The rules of every installed plugin (entry point group ``cheatsheet.catalogs``), validated;
    raises :class:`CustomRuleError` listing every broken plugin."""
    found, problems = _plugins(group)
    if problems:
        raise CustomRuleError(problems)
    return [r for r, _ in found]


# ------------------------------------------------------------------------------------------ verification
def _not_real(rule: Rule, tries: int = 40) -> str:
    """A point of the declared domains (default parameters) where a scalar rule's function is not a
    finite real number, or ''. The verifier compares derivatives, which can be real where the
    function is not (d/dx log x = 1/x also for x < 0 with a complex logarithm)."""
    import mpmath

    from cheatsheet.evaluate.expand import concrete, param_values
    from cheatsheet.notation import mpmath_namespace
    from cheatsheet.verifier.sampling import draw, rng_for, value_digits

    if rule.shape != "scalar" or rule.is_general:
        return ""
    defaults = param_values(rule, {})
    f = concrete(rule.function, rule).subs(defaults)
    symbols = [inp.symbol for inp in rule.inputs]
    fn = sp.lambdify(symbols, f, modules=[mpmath_namespace(), "mpmath"])
    rng = rng_for(rule.id, "real function")
    for _ in range(tries):
        point = [draw(inp.domain, rng) for inp in rule.inputs]
        with mpmath.workdps(max([30] + [value_digits(v) for v in point])):  # a point near 10^300 carries its digits
            try:
                value = mpmath.mpmathify(fn(*point))
                ok = mpmath.isfinite(value) and (not isinstance(value, mpmath.mpc) or abs(value.imag) <= 1e-25 * (1 + abs(value.real)))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                ok = False
        if not ok:
            at = ", ".join(f"{inp.name} = {mpmath.nstr(v, 6)}" for inp, v in zip(rule.inputs, point))
            with_params = ", ".join(f"{p.name} = {defaults[p.symbol]}" for p in rule.params if p.symbol is not None)
            return at + (f" (with {with_params})" if with_params else "")
    return ""


def _verify_one(rule: Rule, prove: bool) -> dict[str, Any]:
    """In a child process: the verdict, and the correct derivative when a claim is false."""
    from cheatsheet.checking.claim import readable_derivative
    from cheatsheet.checking.parse import to_text
    from cheatsheet.verifier.engine import verify_rule

    outside = _not_real(rule)
    if outside:
        return {"error": f"the function is not a finite real number at {outside}"}
    try:
        verdict = verify_rule(rule, prove=prove)
    except ValueError as exc:
        return {"error": str(exc).split(": ", 1)[-1]}
    out: dict[str, Any] = {"verdict": verdict, "derivative": ""}
    cx = verdict.counterexample
    if verdict.status == "failed" and cx is not None and cx.claim.startswith("∂/∂") and rule.shape == "scalar":
        wrt = cx.claim[3:].split()[0]
        try:
            symbol = rule.input(wrt).symbol
            out["derivative"] = to_text(readable_derivative(sp.diff(rule.function.doit(), symbol)))
        except (KeyError, ValueError, TypeError):
            pass
    return out


def verify_custom(
    rules: Sequence[Rule], sources: Mapping[str, str] | None = None, *, timeout: float | None = VERIFY_SECONDS,
    prove: bool = True,
) -> list[Verdict]:
    """Verify each rule as the catalog is verified (each in a child under ``timeout`` seconds).

    Raises :class:`CustomRuleError`: exit status 1 when a claim is false (with the counterexample and
    the correct derivative), 2 when a rule cannot be verified (e.g. its function is not real on the
    declared domain, or the verification runs past the time limit).
    """
    from cheatsheet.checking.parse import InputError
    from cheatsheet.timelimit import run_limited

    sources = sources or {}
    verdicts: list[Verdict] = []
    false: list[Problem] = []
    broken: list[Problem] = []
    for rule in rules:
        where = sources.get(rule.id, f"rule {rule.id!r}")
        try:
            out = run_limited(_verify_one, rule, prove, seconds=timeout, what=f"the verification of rule {rule.id!r}")
        except InputError as exc:
            broken.append(Problem(where, f"rule {rule.id!r}: {exc}"))
            continue
        if "error" in out:
            broken.append(Problem(where, f"rule {rule.id!r} cannot be verified: {out['error']}. Declare the inputs' domains ([[rule.inputs]] domain = \"positive\", \"(0, 1)\", ...)"))
            continue
        verdict: Verdict = out["verdict"]
        verdicts.append(verdict)
        if verdict.status == "failed":
            cx = verdict.counterexample
            what = f"false claim: {cx.describe()}" if cx is not None else verdict.reason
            hint = f". The derivative is {out['derivative']}" if out.get("derivative") else ""
            false.append(Problem(where, f"rule {rule.id!r}: {what}{hint}"))
    if broken:
        raise CustomRuleError(broken + false, exit_code=2)
    if false:
        raise CustomRuleError(false, exit_code=1)
    return verdicts


def load_custom_rules(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    plugins: bool = True,
    builtin: Iterable[str] | None = None,
    verify: bool = True,
    timeout: float | None = VERIFY_SECONDS,
) -> list[VerifiedRule]:
    """Load, validate and verify the rules of TOML files (and of installed plugins) for the build.

    Ids must be unique and must not clash with the built-in rules (``builtin``: their ids; default
    the catalog's). Raises one :class:`CustomRuleError` with every problem (exit status 2), or with
    every false claim and its counterexample (exit status 1). Nothing is written anywhere.
    """
    if builtin is None:
        from cheatsheet.catalog import load

        builtin_ids = {r.id: r.family for r in load()}
    else:
        builtin_ids = {rid: "" for rid in builtin}
    problems: list[Problem] = []
    loaded: list[tuple[Rule, str]] = []
    for path in paths:
        try:
            rules, sources = _load(path)
        except CustomRuleError as exc:
            problems.extend(exc.problems)
            continue
        loaded.extend((r, sources[r.id]) for r in rules)
    if plugins:
        found, plugin_problems = _plugins()
        loaded.extend(found)
        problems.extend(plugin_problems)
    seen: dict[str, str] = {}
    unique: list[tuple[Rule, str]] = []
    for rule, where in loaded:
        if rule.id in builtin_ids:
            fam = builtin_ids[rule.id]
            problems.append(Problem(where, f"rule id {rule.id!r} clashes with the built-in rule {rule.id!r}"
                                    f"{' (' + FAMILIES.get(fam, fam) + ')' if fam else ''}. Choose another id, e.g. {rule.id + '_custom'!r}"))
        elif rule.id in seen:
            problems.append(Problem(where, f"rule id {rule.id!r} is defined twice (first at {seen[rule.id]}); ids must be unique"))
        else:
            seen[rule.id] = where
            unique.append((rule, where))
    if problems:
        raise CustomRuleError(problems, exit_code=2)
    if not verify:
        return [VerifiedRule(r, Verdict(r.id, "unverified"), where) for r, where in unique]
    verdicts = verify_custom([r for r, _ in unique], {r.id: w for r, w in unique}, timeout=timeout)
    return [VerifiedRule(r, v, where) for (r, where), v in zip(unique, verdicts)]



def load_for_build(
    paths: Iterable[str | os.PathLike[str]],
    builtin: Iterable[Rule] = (),
    *,
    plugins: bool = True,
    verify: bool = True,
    timeout: float | None = VERIFY_SECONDS,
) -> list[Rule]:
    """The rules ``cheatsheet build --rules FILE`` adds: :func:`load_custom_rules` against the built-in
    rules given, returning the rules; raises :class:`CustomRuleError` (``exit_code`` 2 or 1) before
    anything is written."""
    loaded = load_custom_rules(paths, plugins=plugins, builtin=[r.id for r in builtin] or None, verify=verify, timeout=timeout)
    return [v.rule for v in loaded]
