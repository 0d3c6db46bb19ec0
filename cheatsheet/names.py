"""Names: what a rule id and an identifier are, and which known name a mistyped one was meant to be.

Every "Did you mean ...?" of the package (an unknown rule id, family, input, parameter, function, keyword
of a rule file) comes from here, so a suggestion is found the same way wherever a name is mistyped. The
rule id's pattern is here too: the rule model, rule files and the JSON schema must agree on it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = ["IDENTIFIER", "RULE_ID", "close_names", "did_you_mean", "is_identifier", "is_rule_id", "suggestion"]

#: A rule id: snake_case, starting with a letter. Matched with ``fullmatch`` (``$`` would also accept a
#: trailing newline: "relu\n" is no id). The same pattern is in ``data/rules.schema.json``.
RULE_ID = re.compile(r"[a-z][a-z0-9_]*")
#: The name of an input, a parameter or a keyword of PyTorch: an ASCII Python identifier (``fullmatch`` too).
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: How alike a mistyped name and a known one must be (difflib's ratio) to be suggested.
_CUTOFF = 0.6


def is_rule_id(text: object) -> bool:
    """True when ``text`` is a str that is a valid rule id (see :data:`RULE_ID`)."""
    return isinstance(text, str) and RULE_ID.fullmatch(text) is not None


def is_identifier(text: object) -> bool:
    """True when ``text`` is a str that is an ASCII identifier (see :data:`IDENTIFIER`)."""
    return isinstance(text, str) and IDENTIFIER.fullmatch(text) is not None


def close_names(name: str, choices: Iterable[str], *, n: int = 1, ignore_case: bool = False) -> list[str]:
    """Up to ``n`` of ``choices`` spelled like ``name``, closest first (as spelled in ``choices``).

    With ``ignore_case`` the spelling is compared in lower case, so ``Sigmoid`` finds ``sigmoid``.
    """
    if not ignore_case:
        return difflib.get_close_matches(name, list(choices), n=n, cutoff=_CUTOFF)
    lower = {c.lower(): c for c in choices}
    return [lower[hit] for hit in difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=_CUTOFF)]


def suggestion(name: str, choices: Iterable[str], *, ignore_case: bool = False) -> str:
    """``"Did you mean 'x'?"`` naming the closest of ``choices``, or ``""`` when none is close."""
    close = close_names(name, choices, ignore_case=ignore_case)
    return f"Did you mean {close[0]!r}?" if close else ""


def did_you_mean(name: str, choices: Iterable[str], *, ignore_case: bool = False) -> str:
    """The :func:`suggestion` as a suffix for a sentence (``" Did you mean 'x'?"``), or ``""``."""
    hint = suggestion(name, choices, ignore_case=ignore_case)
    return f" {hint}" if hint else ""
