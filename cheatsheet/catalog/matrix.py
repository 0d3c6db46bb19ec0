"""Matrix calculus: scalar functions of matrices, gradients in denominator layout (the shape of the
input), checked on explicit generic matrices and random non-symmetric ones (FINDINGS §1)."""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import n
from cheatsheet.rule import Input, Rule

__all__ = ["RULES"]

A = sp.MatrixSymbol("A", n, n)
X = sp.MatrixSymbol("X", n, n)

RULES: tuple[Rule, ...] = (
    Rule(
        id="trace_ax",
        title="Trace of a product",
        family="matrix",
        inputs=(Input("A", A, shape="matrix"), Input("X", X, shape="matrix")),
        function=sp.Trace(A * X),
        derivative={"X": A.T},
        layout="denominator",
        notes=("∂ tr(AX)/∂X = Aᵀ; printing A is a common error (numerator layout gives A).",),
        references=("Matrix Cookbook (100)",),
    ),
    Rule(
        id="logdet",
        title="Log-determinant",
        family="matrix",
        inputs=(Input("X", X, shape="matrix", doc="invertible, det X > 0"),),
        function=sp.log(sp.Determinant(X)),
        derivative={"X": X.inv().T},
        layout="denominator",
        notes=("∂ ln det X/∂X = X⁻ᵀ; it equals X⁻¹ only for symmetric X.",),
        references=("Matrix Cookbook (57)",),
        torch="torch.logdet",
    ),
)
