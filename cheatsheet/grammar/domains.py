"""Domains as people write them: ``positive``, ``(0, 1]``, ``(-inf, 0) U (0, 1)``, read into sympy sets.

The ends of an interval are exact constants read by the grammar (:func:`~cheatsheet.grammar.parse.parse_constant`),
so ``[-pi/2, pi/2]`` is exact; ``inf``, ``oo``, ``infinity`` and ``∞`` are allowed as ends only.
"""

from __future__ import annotations

import re

import sympy as sp

from cheatsheet.grammar.errors import LIMITS, LimitError, Limits, ParseError
from cheatsheet.grammar.functions import INFINITY
from cheatsheet.grammar.parse import parse_constant
from cheatsheet.names import suggestion

__all__ = ["parse_domain"]

_NAMED_SETS: dict[str, sp.Set] = {
    "real": sp.S.Reals,
    "reals": sp.S.Reals,
    "positive": sp.Interval.open(0, sp.oo),
    "negative": sp.Interval.open(-sp.oo, 0),
    "nonnegative": sp.Interval(0, sp.oo),
    "nonpositive": sp.Interval(-sp.oo, 0),
    "nonzero": sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval.open(0, sp.oo)),
    "unit": sp.Interval.open(0, 1),
}
_UNION = r"\s+U\s+|\u222a|\s+or\s+"
_DOMAIN_HINT = (
    "Write real, positive, negative, nonnegative, nonpositive, nonzero, unit, "
    "an interval such as (0, 1] or (-inf, 0), or a union (-1, 0) U (0, 1)."
)


def parse_domain(text: str, *, limits: Limits = LIMITS) -> sp.Set:
    """A domain: ``real``, ``positive``, ``negative``, ``nonnegative``, ``nonpositive``, ``nonzero``,
    ``unit`` (0 < x < 1), an interval such as ``(0, 1]``, ``(-inf, 0)`` or ``[-pi/2, pi/2]``, or a
    union ``(-1, 0) U (0, 1)``."""
    if not isinstance(text, str):
        raise TypeError(f"expected the domain as a str, got {type(text).__name__}")
    if len(text) > limits.length:
        raise LimitError("domain is too long", column=limits.length + 1, text=text[: limits.length])
    parts: list[sp.Set] = []
    pos = 0
    for piece in re.split(f"({_UNION})", text):
        if not re.fullmatch(_UNION, piece):
            parts.append(_one_domain(text, piece, pos, limits))
        pos += len(piece)
    domain = parts[0] if len(parts) == 1 else sp.Union(*parts)
    if domain.is_empty:
        raise ParseError("the domain is empty", column=1, text=text, expected="a non-empty set", found=repr(text))
    return domain


def _one_domain(text: str, piece: str, offset: int, limits: Limits) -> sp.Set:
    """One named set or interval: ``piece``, which starts at ``offset`` in ``text``."""
    stripped = piece.strip()
    lead = offset + len(piece) - len(piece.lstrip()) + 1
    if stripped.lower() in _NAMED_SETS:
        return _NAMED_SETS[stripped.lower()]
    if not stripped or stripped[0] not in "([" or stripped[-1] not in ")]" or stripped.count(",") != 1:
        close = suggestion(stripped, list(_NAMED_SETS), ignore_case=True) if stripped and stripped[0].isalpha() else ""
        raise ParseError(
            f"unknown domain {stripped!r}",
            column=lead,
            text=text,
            expected="a domain",
            found=repr(stripped),
            hint=close or _DOMAIN_HINT,
        )
    left_text, right_text = stripped[1:-1].split(",")
    lo = _end(text, left_text, lead + 1, limits)
    hi = _end(text, right_text, lead + 2 + len(left_text), limits)
    if not bool(lo < hi):
        raise ParseError(
            f"interval {stripped} is empty: {lo} is not below {hi}",
            column=lead,
            text=text,
            expected="a lower end below the upper end",
            found=stripped,
        )
    return sp.Interval(
        lo, hi, left_open=stripped[0] == "(" or lo == -sp.oo, right_open=stripped[-1] == ")" or hi == sp.oo
    )


def _end(text: str, end_text: str, col: int, limits: Limits) -> sp.Expr:
    """One end of an interval, ``end_text`` at column ``col`` of ``text``: ±infinity or an exact constant
    (whose errors point into ``text``)."""
    t = end_text.strip()
    if t.lstrip("+-").strip() in (*INFINITY, "\u221e"):
        return -sp.oo if t.startswith("-") else sp.oo
    try:
        return parse_constant(t, limits=limits)
    except ParseError as exc:
        exc.column += col - 1 + len(end_text) - len(end_text.lstrip())
        exc.text = text
        raise
