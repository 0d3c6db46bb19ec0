"""The verification record shipped with the package: the verdict of every rule, keyed by id and
stamped with the rule's content hash, so that importing the package never runs the verifier.

A verdict whose hash no longer matches its rule is reported as ``unverified``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cheatsheet.fsutil import atomic_write
from cheatsheet.verifier.hashing import VERIFIER_VERSION, rule_hash
from cheatsheet.verifier.verdict import Verdict

if TYPE_CHECKING:
    from cheatsheet.rule import Rule

__all__ = [
    "RECORD_PATH",
    "load_record",
    "load_record_file",
    "record_json",
    "verdict_for",
    "with_conformance",
    "write_record",
]

RECORD_PATH = Path(__file__).resolve().parent.parent / "data" / "verdicts.json"


@functools.cache
def load_record(path: Path = RECORD_PATH) -> dict[str, dict[str, Any]]:
    """Rule id -> verdict dict, from the shipped record (empty when there is none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    rules: dict[str, dict[str, Any]] = data.get("rules", {})
    return rules


def load_record_file(path: Path) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The rules table of the record at ``path`` and the verifier version it was written by, read now (not
    memoized: a build must see the file as it is). A missing, unreadable or malformed file is an empty table:
    a record is evidence to reuse, so without one every rule is simply verified."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        return {}, None
    version = data.get("verifier_version")
    return data["rules"], version if isinstance(version, str) else None


def verdict_for(rule: Rule) -> Verdict:
    """The shipped verdict for ``rule``, or an ``unverified`` one when the record is stale or silent."""
    entry = load_record().get(rule.id)
    if entry is None:
        return Verdict(rule.id, "unverified", reason="no verdict in the shipped record; run `cheatsheet verify`")
    if entry.get("content_hash") != rule_hash(rule):
        return Verdict(
            rule.id,
            "unverified",
            reason="the rule changed since it was verified (content hash differs); run `cheatsheet verify`",
        )
    return Verdict.from_dict(entry)


def with_conformance(verdicts: Iterable[Verdict], path: Path) -> list[Verdict]:
    """Each verdict with the PyTorch comparison (``extra["torch"]``) that the record at ``path`` holds for the
    same rule content and verifier version, as a verdict read from the record has it: a rule verified now
    (``cheatsheet build --reverify``, an edited rule back to its recorded form) prints the same card as one
    read from the record."""
    import dataclasses

    table, version = load_record_file(path)
    out = []
    for v in verdicts:
        entry = table.get(v.rule_id) if version == VERIFIER_VERSION else None
        torch = entry.get("extra", {}).get("torch") if isinstance(entry, dict) else None
        if (
            torch is not None
            and "torch" not in v.extra
            and entry is not None
            and entry.get("content_hash") == v.content_hash
            and entry.get("verifier_version") == VERIFIER_VERSION
        ):
            v = dataclasses.replace(v, extra={**v.extra, "torch": torch})
        out.append(v)
    return out


def record_json(
    verdicts: Iterable[Verdict],
    previous: dict[str, dict[str, Any]] | None = None,
    keep: Iterable[str] = (),
    conformance: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The record's text: sorted, without timings, so that the same catalog gives the same bytes.

    ``conformance`` (rule id -> PyTorch comparison summary) is stored as ``extra["torch"]``; a rule
    whose content did not change keeps the comparison recorded earlier.
    """
    previous = previous or {}
    rules = {k: v for k, v in previous.items() if k in set(keep)}
    for v in verdicts:
        entry = v.to_dict(timing=False)
        old = previous.get(v.rule_id, {})
        torch = (conformance or {}).get(v.rule_id)
        if torch is None and old.get("content_hash") == v.content_hash:
            torch = old.get("extra", {}).get("torch")
        if torch is not None:
            entry["extra"] = dict(entry.get("extra", {}), torch=torch)
        rules[v.rule_id] = entry
    body = {"verifier_version": VERIFIER_VERSION, "rules": dict(sorted(rules.items()))}
    return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_record(
    verdicts: Iterable[Verdict],
    catalog_ids: Iterable[str],
    path: Path = RECORD_PATH,
    conformance: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """Update the record with ``verdicts`` (and PyTorch comparisons); other catalog rules are kept."""
    text = record_json(verdicts, load_record(path), keep=catalog_ids, conformance=conformance)
    atomic_write(path, text)
    load_record.cache_clear()
    return path
