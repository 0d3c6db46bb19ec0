"""Worked examples and panels of the sheet, as render-agnostic data plus SVG figures.

- :mod:`cheatsheet.examples.mlp`: backpropagation through a 2-layer MLP with concrete numbers, every local
  derivative taken from a catalog rule (the network and its exact arithmetic in :mod:`.mlp_network`, the
  printed formulas in :mod:`.mlp_formulas`), checked against central finite differences and PyTorch autograd
  (:mod:`.mlp_checks`); a table of rows and an SVG computation graph (:mod:`.mlp_figure`).
- :mod:`cheatsheet.examples.descent`: gradient descent on a 2-D quadratic with a converging and a diverging
  step size, and Newton's step; the gradient and the Hessian come from verified rules (:mod:`.descent_rules`);
  an SVG contour plot (:mod:`.descent_figure`).
- :mod:`cheatsheet.examples.conventions`: the conventions panel (numerator vs denominator layout, JVP vs VJP, the
  kink conventions of the catalog); :mod:`cheatsheet.examples.mistakes_panel`: the "Common mistakes" panel (the
  errata with the verifier's counterexamples).

Everything is computed at build time from the catalog; formulas are LaTeX printed by
:func:`cheatsheet.printing.latex.latex` from sympy expressions (as :class:`cheatsheet.sheet.Formula`, ready for
:func:`cheatsheet.render.math.svg` and :func:`~cheatsheet.render.math.mathml`), numbers are strings already
rounded for display, figures are SVG strings (deterministic, no ids, labels in the bundled "Heros").

They share :mod:`.numbers` (exact inputs, display of numbers) and :mod:`.svg` (the figures' coordinates and
labels); this module re-exports their public names and loads the examples lazily.

**Nothing printed depends on the machine.** float64 results of numpy's matrix products (OpenBLAS picks its
kernels by CPU and thread count) and of its transcendental functions (SIMD loops chosen per CPU: AVX-512 and
AVX2 differ in the last bit; arm64 differs again) are not the same bytes on every machine, and a printed
rounding error such as a finite-difference residual is nothing but such last bits. So every number the
examples and panels print is computed with mpmath at :data:`DPS` digits from exactly defined inputs (the
decimals the examples are written with), through the rules' exact evaluation (``exact=True``); it becomes a
float only to be rounded for print. mpmath is pure Python integer arithmetic, the same on every platform. The
figures' geometry then uses Python floats with + − × ÷ and ``math.sqrt`` only, which IEEE 754 rounds
correctly (the same bits everywhere); angles and logarithms come from mpmath too. ``tests/test_reproducible.py``
perturbs numpy's float64 results by a few ulps and shows the printed bytes unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cheatsheet.examples.numbers import DPS, Value, decimal, floats, number, positive_first
from cheatsheet.examples.svg import FONT

if TYPE_CHECKING:
    from cheatsheet.examples.conventions import (
        ConventionsPanel,
        KinkRow,
        LayoutExample,
        LayoutRow,
        ProductRow,
        conventions,
        kink_rows,
    )
    from cheatsheet.examples.descent import DescentExample, Run, descent
    from cheatsheet.examples.mistakes_panel import Mistake, MistakesPanel, mistakes
    from cheatsheet.examples.mlp import BackpropRow, MLPExample, backprop, torch_agreement
    from cheatsheet.examples.mlp_checks import Agreement
    from cheatsheet.examples.mlp_network import Network

__all__ = [
    "DPS",
    "FONT",
    "Agreement",
    "BackpropRow",
    "ConventionsPanel",
    "DescentExample",
    "KinkRow",
    "LayoutExample",
    "LayoutRow",
    "MLPExample",
    "Mistake",
    "MistakesPanel",
    "Network",
    "ProductRow",
    "Run",
    "Value",
    "backprop",
    "conventions",
    "decimal",
    "descent",
    "floats",
    "kink_rows",
    "mistakes",
    "number",
    "positive_first",
    "torch_agreement",
]

#: The examples' public names, by the module that defines them: imported on first use (they load sympy,
#: mpmath and the catalog), so that importing the shared helpers stays cheap.
_LAZY = {
    "mlp": ("BackpropRow", "MLPExample", "backprop", "torch_agreement"),
    "mlp_checks": ("Agreement",),
    "mlp_network": ("Network",),
    "descent": ("DescentExample", "Run", "descent"),
    "conventions": (
        "ConventionsPanel",
        "KinkRow",
        "LayoutExample",
        "LayoutRow",
        "ProductRow",
        "conventions",
        "kink_rows",
    ),
    "mistakes_panel": ("Mistake", "MistakesPanel", "mistakes"),
}


def __getattr__(name: str) -> Any:
    import importlib

    for module, names in _LAZY.items():
        if name in names:
            return getattr(importlib.import_module(f"cheatsheet.examples.{module}"), name)
    raise AttributeError(f"module 'cheatsheet.examples' has no attribute {name!r}")
