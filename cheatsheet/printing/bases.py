"""Typed views of sympy's printer base classes, for the printers of this package to subclass.

sympy ships no type information, so to mypy its ``LatexPrinter`` and ``StrPrinter`` are ``Any``: a
subclass of them "cannot subclass Any" and every ``super()._print_...`` call returns ``Any``. Under
type checking the two names below are small classes that declare the parts of sympy's printers our
printers use, with their types; at run time they are sympy's classes themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["LatexPrinterBase", "StrPrinterBase"]

if TYPE_CHECKING:

    class _Printer:
        """What every sympy printer offers (``sympy.printing.printer.Printer``)."""

        _settings: dict[str, Any]
        printmethod: str

        def __init__(self, settings: dict[str, Any] | None = None) -> None: ...

        def doprint(self, expr: Any) -> str: ...

        def _print(self, expr: Any, **kwargs: Any) -> str: ...

        def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]: ...

    class LatexPrinterBase(_Printer):
        """``sympy.printing.latex.LatexPrinter``: the methods our LaTeX printer extends."""

        def parenthesize(self, item: Any, level: int, is_neg: bool = False, strict: bool = False) -> str: ...

        def _print_Mul(self, expr: Any) -> str: ...

        def _print_Rational(self, expr: Any) -> str: ...

        def _print_Derivative(self, expr: Any) -> str: ...

        def _print_Subs(self, subs: Any) -> str: ...

    class StrPrinterBase(_Printer):
        """``sympy.printing.str.StrPrinter``: the methods our text printers extend."""

        def parenthesize(self, item: Any, level: int, strict: bool = False) -> str: ...

        def _print_Pow(self, expr: Any, rational: bool = False) -> str: ...

else:
    from sympy.printing.latex import LatexPrinter as LatexPrinterBase
    from sympy.printing.str import StrPrinter as StrPrinterBase
