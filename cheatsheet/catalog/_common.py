"""Symbols, inputs and parameters shared by the catalog modules.

Write every printed expression inside ``with textbook():`` (sympy's ``evaluate(False)``): sympy then
keeps terms and factors in the order written, and the printer shows them that way, so that σ′ reads
σ(x)(1 − σ(x)) rather than sympy's canonical (1 − σ(x))σ(x). The verifier evaluates everything anyway.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.notation import i, j, k, n
from cheatsheet.rule import Input, Param

__all__ = [
    "POSITIVE",
    "REAL",
    "REDUCTION",
    "UNIT",
    "X",
    "Y",
    "a",
    "i",
    "j",
    "k",
    "n",
    "pos",
    "real",
    "textbook",
    "vec",
    "x",
    "y",
]


def textbook() -> evaluate:
    """Context in which sympy keeps expressions as written (see the module docstring)."""
    return evaluate(False)


def real(name: str) -> sp.Symbol:
    """A real scalar symbol."""
    return sp.Symbol(name, real=True)


def pos(name: str) -> sp.Symbol:
    """A positive scalar symbol."""
    return sp.Symbol(name, positive=True)


def vec(name: str, positive: bool = False) -> sp.IndexedBase:
    """A vector symbol whose entries are real (or positive)."""
    return sp.IndexedBase(name, positive=True) if positive else sp.IndexedBase(name, real=True)


x = real("x")
y = real("y")
a = pos("a")
X = vec("x")
Y = vec("y")

REAL = sp.S.Reals
POSITIVE = sp.Interval.open(0, sp.oo)
UNIT = sp.Interval.open(0, 1)

#: PyTorch's ``reduction`` keyword of the losses.
REDUCTION = Param(
    "reduction",
    "mean",
    choices=("mean", "sum", "none"),
    doc="'mean' averages the element losses, 'sum' adds them, 'none' returns them",
)

_ = (i, j, k, n, Input)  # re-exported for the catalog modules
