"""What goes wrong when text or values come from outside: the error classes and the parser's resource limits.

Kept apart from the parser (and free of sympy) so that code which only raises or catches these errors, such
as :mod:`cheatsheet.timelimit` or the command line, does not import the grammar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["LIMITS", "InputError", "InputTypeError", "LimitError", "Limits", "ParseError"]


@dataclass(frozen=True)
class Limits:
    """Resource limits of the parser; exceeding one is a :class:`LimitError`, never a hang.

    Besides these, every constant part of an expression must be a finite real number within the
    float range (about 1e308): 2^1000 is accepted, exp(exp(20)) and 2^1100 are not, so that sympy
    never evaluates an enormous number.
    """

    length: int = 2000  #: characters of one expression
    depth: int = 40  #: nesting of parentheses, bars, calls, signs and exponents
    nodes: int = 500  #: numbers, names, operators and calls in one expression
    exponent: int = 1000  #: largest |exponent| of a power with a constant exponent
    growth: int = 10_000  #: largest product of nested constant exponents, as in (x^100)^100
    literal: int = 100  #: digits of one number literal
    literal_exponent: int = 400  #: largest |n| in a literal written 1e<n>
    name: int = 32  #: characters of one name


#: The default limits.
LIMITS = Limits()


class InputError(ValueError):
    """Input that cannot be read or is over a limit: the command line exits with status 2."""

    exit_code = 2


class InputTypeError(InputError, TypeError):
    """A value of a type that is not accepted (a list where a number is expected, None, an object).

    A ``TypeError`` for Python callers and an :class:`InputError` (exit status 2) for the command line.
    """


class ParseError(InputError):
    """Text that is not an expression of the grammar: where (1-based column), what was expected,
    what was found, and a hint. ``source`` names the text (``"F"``, ``"CLAIM"``) in the message."""

    def __init__(
        self,
        message: str,
        *,
        column: int,
        text: str = "",
        expected: str = "",
        found: str = "",
        hint: str = "",
        source: str = "",
    ) -> None:
        self.message = message
        self.column = column
        self.text = text
        self.expected = expected
        self.found = found
        self.hint = hint
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        hint = f". {self.hint}" if self.hint else ""
        where = f"{self.source}, column {self.column}" if self.source else f"column {self.column}"
        return f"{where}: {self.message}{hint}"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes despite keyword arguments
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))

    def pointer(self) -> str:
        """Two lines: the text and a caret under the column."""
        return f"{self.text}\n{' ' * (self.column - 1)}^"


class LimitError(ParseError):
    """An expression over a resource limit (too long, too deep, too many nodes, too large a power)."""


def _rebuild(cls: type[ParseError], message: str, state: dict[str, Any]) -> ParseError:
    err = cls(message, column=int(state.get("column", 1)))
    err.__dict__.update(state)
    return err
