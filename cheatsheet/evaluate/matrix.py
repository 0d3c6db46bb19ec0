"""Evaluate sympy matrix expressions (tr(AX), ln det X, X⁻ᵀ, AᵀB ...) on arrays, in float64 or mpmath.

Instantiating a matrix rule with one symbol per entry is what the verifier wants, but evaluating that
way inverts a symbolic matrix (minutes at 4x4). This walk evaluates the expression tree directly:
numpy for float64, object arrays of mpmath numbers (with mpmath's own inverse and determinant) for
exact values. One handler per kind of node, found by class (:mod:`cheatsheet.evaluate.dispatch`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from functools import reduce
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.matexpr import MatrixElement

from cheatsheet.evaluate.backends import FLOAT, MPMATH
from cheatsheet.evaluate.dispatch import ByClass
from cheatsheet.evaluate.tensor import evaluate_indexed
from cheatsheet.notation import RowSoftmax, Vec

__all__ = ["evaluate_matrix"]

#: Scalar functions of matrix expressions (ln det X, ...): the float64 and the mpmath implementation.
_SCALAR_FUNCS: dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    sp.log: (np.log, mpmath.log),
    sp.exp: (np.exp, mpmath.exp),
    sp.Abs: (np.abs, abs),
    sp.tanh: (np.tanh, mpmath.tanh),
}

#: The handler of each kind of node (see :meth:`_MatrixEval.ev`).
_NODES: ByClass[Callable[[_MatrixEval, Any], Any]] = ByClass()


def evaluate_matrix(expr: sp.Basic, values: Mapping[sp.Basic, Any], *, exact: bool) -> Any:
    """``expr`` with every MatrixSymbol/Symbol replaced by its value (2-D arrays for matrices)."""
    out = _MatrixEval(values, exact).ev(sp.sympify(expr))
    if isinstance(out, np.ndarray) and out.shape == (1, 1) and not isinstance(expr, sp.MatrixExpr):
        return out[0, 0]
    return out


class _MatrixEval:
    """One evaluation: the values of the symbols and the kind of numbers (float64, or mpmath when ``exact``)."""

    def __init__(self, values: Mapping[sp.Basic, Any], exact: bool) -> None:
        self.values = values
        self.exact = exact
        self.dtype: Any = object if exact else float

    def number(self, v: Any) -> Any:
        """A sympy number in this evaluation's kind: an mpf at the working precision, or a float."""
        return mpmath.mpf(sp.Float(v, mpmath.mp.dps + 10)) if self.exact else float(v)

    def ev(self, e: sp.Basic) -> Any:
        """The value of ``e``: a given value, else by the handler registered for its class (or nearest base)."""
        if e in self.values:
            v = self.values[e]
            return np.asarray(v, dtype=self.dtype) if isinstance(e, sp.MatrixSymbol) else v
        handler = _NODES.find(type(e))
        if handler is None:
            raise ValueError(f"cannot evaluate {type(e).__name__} ({e}) numerically")
        return handler(self, e)

    def _inv(self, a: Any) -> Any:
        if not self.exact:
            return np.linalg.inv(a)
        return np.array(mpmath.inverse(mpmath.matrix(a.tolist())).tolist(), dtype=object)

    # ------------------------------------------------------------------------------------ constants
    @_NODES.register(sp.Number, type(sp.pi), type(sp.E))
    def _number(self, e: sp.Basic) -> Any:
        return self.number(e)

    @_NODES.register(sp.OneMatrix, sp.ZeroMatrix)
    def _filled(self, e: sp.OneMatrix | sp.ZeroMatrix) -> Any:
        rows, cols = (int(v) for v in e.shape)
        fill = self.number(1 if isinstance(e, sp.OneMatrix) else 0)
        return np.full((rows, cols), fill, dtype=self.dtype)

    @_NODES.register(sp.Identity)
    def _identity(self, e: sp.Identity) -> Any:
        size = int(e.shape[0])
        if not self.exact:
            return np.eye(size, dtype=float)
        return np.array([[mpmath.mpf(int(r == c)) for c in range(size)] for r in range(size)], dtype=object)

    # ------------------------------------------------------------------------------------ entry-wise
    @_NODES.register(ElementwiseApplyFunction)
    def _elementwise(self, e: ElementwiseApplyFunction) -> Any:
        lam = e.function
        (var,) = lam.variables
        arr = self.ev(e.expr)
        return evaluate_indexed(lam.expr, MPMATH if self.exact else FLOAT, {}, {var: arr}, 1)

    @_NODES.register(RowSoftmax)
    def _row_softmax(self, e: RowSoftmax) -> Any:
        s_ = self.ev(e.args[0])
        if self.exact:
            ex = np.vectorize(mpmath.exp, otypes=[object])(s_)
        else:  # shifted by each row's maximum: no overflow
            ex = np.exp(s_ - np.max(s_, axis=1, keepdims=True))
        return ex / np.sum(ex, axis=1, keepdims=True)

    @_NODES.register(sp.HadamardProduct)
    def _hadamard(self, e: sp.HadamardProduct) -> Any:
        return reduce(operator.mul, [self.ev(a) for a in e.args])

    @_NODES.register(sp.HadamardPower)
    def _hadamard_power(self, e: sp.HadamardPower) -> Any:
        return self.ev(e.base) ** self.ev(e.exp)

    # ------------------------------------------------------------------------------------ reshaping
    @_NODES.register(DiagMatrix)
    def _diag(self, e: DiagMatrix) -> Any:  # diag(v): the vector on the diagonal
        v = self.ev(e.args[0])
        return np.diagflat(v) if not self.exact else np.diagflat(v).astype(object) * self.number(1)

    @_NODES.register(Vec)
    def _vec(self, e: Vec) -> Any:  # columns stacked: column-major order
        return np.reshape(self.ev(e.args[0]), (-1, 1), order="F")

    @_NODES.register(sp.Transpose)
    def _transpose(self, e: sp.Transpose) -> Any:
        return np.transpose(self.ev(e.arg))

    @_NODES.register(MatrixElement)
    def _element(self, e: MatrixElement) -> Any:
        return self.ev(e.parent)[int(e.i), int(e.j)]

    # ------------------------------------------------------------------------------------ products and sums
    @_NODES.register(sp.KroneckerProduct)
    def _kronecker(self, e: sp.KroneckerProduct) -> Any:
        vals = [self.ev(a) for a in e.args]
        acc = vals[0]
        for v in vals[1:]:
            acc = np.kron(acc, v)
        return acc

    @_NODES.register(sp.MatMul)
    def _matmul(self, e: sp.MatMul) -> Any:
        out: Any = None
        for a in e.args:
            v = self.ev(a)
            if out is None:
                out = v
            elif np.ndim(out) == 2 and np.ndim(v) == 2:
                out = np.dot(out, v)
            else:
                out = out * v
        return out

    @_NODES.register(sp.MatAdd, sp.Add)
    def _add(self, e: sp.MatAdd | sp.Add) -> Any:
        return reduce(operator.add, [self.ev(a) for a in e.args])

    @_NODES.register(sp.Mul)
    def _mul(self, e: sp.Mul) -> Any:
        acc = self.number(1)
        for a in e.args:
            acc = acc * self.ev(a)
        return acc

    @_NODES.register(sp.Pow)
    def _pow(self, e: sp.Pow) -> Any:
        b, p = (self.ev(a) for a in e.args)
        return b**p

    @_NODES.register(sp.MatPow)
    def _matpow(self, e: sp.MatPow) -> Any:
        base, p = e.args
        b = self.ev(base)
        k = int(p)
        if k < 0:
            b, k = self._inv(b), -k
        acc = b
        for _ in range(k - 1):
            acc = np.dot(acc, b)
        return acc

    @_NODES.register(sp.Inverse)
    def _inverse(self, e: sp.Inverse) -> Any:
        return self._inv(self.ev(e.arg))

    # ------------------------------------------------------------------------------------ scalar functions
    @_NODES.register(sp.Trace)
    def _trace(self, e: sp.Trace) -> Any:
        return np.trace(self.ev(e.arg))

    @_NODES.register(sp.Determinant)
    def _det(self, e: sp.Determinant) -> Any:
        a = self.ev(e.arg)
        return mpmath.det(mpmath.matrix(a.tolist())) if self.exact else np.linalg.det(a)

    @_NODES.register(*_SCALAR_FUNCS)
    def _function(self, e: sp.Function) -> Any:
        f64, mp = next(_SCALAR_FUNCS[c] for c in type(e).__mro__ if c in _SCALAR_FUNCS)  # registered: one is
        return (mp if self.exact else f64)(self.ev(e.args[0]))
