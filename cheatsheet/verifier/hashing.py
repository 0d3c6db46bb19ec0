"""Content hashes: a rule's verification-relevant content, and the whole catalog's fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sympy as sp

if TYPE_CHECKING:
    from cheatsheet.rule import Rule

__all__ = ["VERIFIER_VERSION", "catalog_fingerprint", "rule_hash"]

#: Bump when the verifier's method changes, so that cached verdicts are recomputed.
VERIFIER_VERSION = "1.5"


def _canon(value: Any) -> str:
    """A value as text that depends only on its content: sympy's srepr, dataclasses field by field (prose left
    out), tuples and lists entry by entry, anything else its repr."""
    if isinstance(value, sp.Basic):
        text: str = sp.srepr(value)
        return text
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_canon(v) for v in value) + ")"
    if hasattr(value, "__dataclass_fields__"):
        fields = [f for f in value.__dataclass_fields__ if f not in ("doc", "note", "text", "why")]
        return type(value).__name__ + "(" + ",".join(f"{f}={_canon(getattr(value, f))}" for f in fields) + ")"
    return repr(value)


_VERIFIED_FIELDS = (
    "id",
    "inputs",
    "function",
    "derivative",
    "params",
    "where",
    "kinks",
    "identities",
    "stable",
    "stable_derivative",
    "reduction",
    "examples",
    "derivation",
)


def rule_hash(rule: Rule) -> str:
    """SHA-256 over what the verifier reads (prose such as titles and notes is left out)."""
    # empty fields are left out, so that adding an optional field to the model does not change old hashes
    text = (
        VERIFIER_VERSION
        + "|"
        + "|".join(
            f"{f}={_canon(getattr(rule, f))}" for f in _VERIFIED_FIELDS if getattr(rule, f) not in (None, (), "", False)
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def catalog_fingerprint(rules: Iterable[Rule]) -> str:
    """A short fingerprint of the whole catalog (printed in the sheet's footer)."""
    h = hashlib.sha256()
    for r in sorted(rules, key=lambda r: r.id):
        h.update(rule_hash(r).encode())
        h.update(_canon((r.title, r.notes, r.references)).encode())
    return h.hexdigest()[:12]
