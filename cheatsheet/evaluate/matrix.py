"""Evaluate sympy matrix expressions (tr(AX), ln det X, X⁻ᵀ, AᵀB ...) on arrays, in float64 or mpmath.

Instantiating a matrix rule with one symbol per entry is what the verifier wants, but evaluating that
way inverts a symbolic matrix (minutes at 4x4). This walk evaluates the expression tree directly:
numpy for float64, object arrays of mpmath numbers (with mpmath's own inverse and determinant) for
exact values.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

__all__ = ["evaluate_matrix"]


def _inv(a: Any, exact: bool) -> Any:
    if not exact:
        return np.linalg.inv(a)
    return np.array(mpmath.inverse(mpmath.matrix(a.tolist())).tolist(), dtype=object)


def _det(a: Any, exact: bool) -> Any:
    if not exact:
        return np.linalg.det(a)
    return mpmath.det(mpmath.matrix(a.tolist()))


_SCALAR_FUNCS = {
    "log": (np.log, mpmath.log), "exp": (np.exp, mpmath.exp), "sqrt": (np.sqrt, mpmath.sqrt),
    "Abs": (np.abs, abs), "tanh": (np.tanh, mpmath.tanh),
}


def evaluate_matrix(expr: sp.Basic, values: Mapping[sp.Basic, Any], *, exact: bool) -> Any:
    """``expr`` with every MatrixSymbol/Symbol replaced by its value (2-D arrays for matrices)."""
    number = (lambda v: mpmath.mpf(sp.Float(v, mpmath.mp.dps + 10))) if exact else float

    def ev(e: sp.Basic) -> Any:
        if e in values:
            v = values[e]
            return np.asarray(v, dtype=object if exact else float) if isinstance(e, sp.MatrixSymbol) else v
        if e.is_Number or e in (sp.pi, sp.E):
            return number(e)
        if isinstance(e, (sp.OneMatrix, sp.ZeroMatrix)):
            rows, cols = (int(v) for v in e.shape)
            fill = number(1 if isinstance(e, sp.OneMatrix) else 0)
            return np.full((rows, cols), fill, dtype=object if exact else float)
        if isinstance(e, ElementwiseApplyFunction):
            from cheatsheet.evaluate.tensor import FLOAT, MPMATH, evaluate_indexed

            lam = e.function
            (var,) = lam.variables
            arr = ev(e.expr)
            return evaluate_indexed(lam.expr, MPMATH if exact else FLOAT, {}, {var: arr}, 1)
        if type(e).__name__ == "RowSoftmax":
            s_ = ev(e.args[0])
            if exact:
                ex = np.vectorize(mpmath.exp, otypes=[object])(s_)
            else:  # shifted by each row's maximum: no overflow
                ex = np.exp(s_ - np.max(s_, axis=1, keepdims=True))
            return ex / np.sum(ex, axis=1, keepdims=True)
        if type(e).__name__ == "DiagMatrix":  # diag(v): the vector on the diagonal
            v = ev(e.args[0])
            return np.diagflat(v) if not exact else np.diagflat(v).astype(object) * number(1)
        if type(e).__name__ == "Vec":  # columns stacked: column-major order
            a = ev(e.args[0])
            return np.reshape(a, (-1, 1), order="F")
        if isinstance(e, sp.KroneckerProduct):
            vals = [ev(a) for a in e.args]
            acc = vals[0]
            for v in vals[1:]:
                acc = np.kron(acc, v)
            return acc
        if isinstance(e, sp.HadamardPower):
            return ev(e.base) ** ev(e.exp)
        if isinstance(e, sp.Identity):
            n = int(e.shape[0])
            return np.eye(n, dtype=float) if not exact else np.array([[mpmath.mpf(int(r == c)) for c in range(n)] for r in range(n)], dtype=object)
        if isinstance(e, sp.Transpose):
            return np.transpose(ev(e.arg))
        if isinstance(e, sp.Inverse):
            return _inv(ev(e.arg), exact)
        if isinstance(e, sp.Trace):
            return np.trace(ev(e.arg))
        if isinstance(e, sp.Determinant):
            return _det(ev(e.arg), exact)
        if isinstance(e, sp.MatMul):
            out: Any = None
            for a in e.args:
                v = ev(a)
                if out is None:
                    out = v
                elif np.ndim(out) == 2 and np.ndim(v) == 2:
                    out = np.dot(out, v)
                else:
                    out = out * v
            return out
        if isinstance(e, (sp.MatAdd, sp.Add)):
            return reduce(operator.add, [ev(a) for a in e.args])
        if isinstance(e, sp.HadamardProduct):
            return reduce(operator.mul, [ev(a) for a in e.args])
        if isinstance(e, sp.MatPow):
            base, p = e.args
            b = ev(base)
            k = int(p)
            if k < 0:
                b, k = _inv(b, exact), -k
            acc = b
            for _ in range(k - 1):
                acc = np.dot(acc, b)
            return acc
        if isinstance(e, sp.Mul):
            acc = number(1)
            for a in e.args:
                acc = acc * ev(a)
            return acc
        if isinstance(e, sp.Pow):
            b, p = (ev(a) for a in e.args)
            return b**p
        name = type(e).__name__
        if name in _SCALAR_FUNCS:
            fn = _SCALAR_FUNCS[name][1 if exact else 0]
            return fn(ev(e.args[0]))
        if isinstance(e, MatrixElement):
            m = ev(e.parent)
            return m[int(e.i), int(e.j)]
        raise ValueError(f"cannot evaluate {type(e).__name__} ({e}) numerically")

    out = ev(sp.sympify(expr))
    if isinstance(out, np.ndarray) and out.shape == (1, 1) and not isinstance(expr, sp.MatrixExpr):
        return out[0, 0]
    return out
