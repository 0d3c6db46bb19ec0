"""The problems of custom rules (rule files and plugins): each one a line with where and what.

Every problem is collected and reported at once as ``file:line:column: rule 'id', key: what. hint``;
:class:`CustomRuleError` carries the lines and the exit status (2 for unreadable input, 1 for a false
claim with its counterexample).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CustomRuleError", "Problem"]


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
