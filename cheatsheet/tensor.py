"""Evaluate index-notation sympy expressions on arrays, in float64 or in mpmath.

A rule's formula is written with entries x_i, sums Σ_k, Kronecker deltas δ_ij and definitions such as
p_i. This module evaluates such an expression directly, without expanding it at a size: every index
becomes an array axis (numpy broadcasting, as in einsum), a sum reduces over its axis, δ_ij is an
identity matrix. The same walk serves both backends: float64 numpy arrays for speed, and object
arrays of mpmath numbers for exact values at any precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import exp2, expm1, log1p, log2, log10

from cheatsheet.notation import Indicator, MaxOver, Notation, n

__all__ = ["Backend", "FLOAT", "MPMATH", "evaluate_indexed"]


@dataclass(frozen=True)
class Backend:
    """How numbers and functions are computed: float64 numpy or mpmath object arrays."""

    name: str
    number: Callable[[Any], Any]
    functions: Mapping[str, Callable[..., Any]]
    dtype: Any


def _vec(f: Callable[..., Any]) -> Callable[..., Any]:
    return np.vectorize(f, otypes=[object])


_FLOAT_FUNCS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "Abs": np.abs, "sign": np.sign, "log1p": np.log1p, "expm1": np.expm1, "exp2": np.exp2,
    "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt,
    "erf": np.vectorize(math.erf, otypes=[float]), "erfc": np.vectorize(math.erfc, otypes=[float]),
    "atan2": np.arctan2,
}

_MP_FUNCS: dict[str, Callable[..., Any]] = {
    "exp": _vec(mpmath.exp), "log": _vec(mpmath.log), "sin": _vec(mpmath.sin), "cos": _vec(mpmath.cos),
    "tan": _vec(mpmath.tan), "asin": _vec(mpmath.asin), "acos": _vec(mpmath.acos), "atan": _vec(mpmath.atan),
    "sinh": _vec(mpmath.sinh), "cosh": _vec(mpmath.cosh), "tanh": _vec(mpmath.tanh),
    "asinh": _vec(mpmath.asinh), "acosh": _vec(mpmath.acosh), "atanh": _vec(mpmath.atanh),
    "Abs": _vec(lambda v: abs(v)), "sign": _vec(mpmath.sign), "log1p": _vec(mpmath.log1p),
    "expm1": _vec(mpmath.expm1), "exp2": _vec(lambda v: mpmath.power(2, v)),
    "log2": _vec(lambda v: mpmath.log(v, 2)), "log10": _vec(mpmath.log10), "sqrt": _vec(mpmath.sqrt),
    "erf": _vec(mpmath.erf), "erfc": _vec(mpmath.erfc), "atan2": _vec(mpmath.atan2),
}

def _mp_number(v: Any) -> Any:
    """mpmath numbers from floats, ints, strings, sympy numbers or arrays of them."""
    if isinstance(v, np.ndarray):
        return np.vectorize(_mp_number, otypes=[object])(v)
    if isinstance(v, sp.Basic):
        return mpmath.mpf(sp.Float(v, mpmath.mp.dps + 10))
    if isinstance(v, (mpmath.mpf, mpmath.mpc)):
        return v
    return mpmath.mpmathify(v)


def _mp_pow_one(base: Any, exponent: Any) -> Any:
    try:
        return base**exponent
    except ZeroDivisionError:
        return mpmath.nan


_mp_pow = np.vectorize(_mp_pow_one, otypes=[object])


FLOAT = Backend("float64", lambda v: np.asarray(v, dtype=float), _FLOAT_FUNCS, float)
MPMATH = Backend("mpmath", _mp_number, _MP_FUNCS, object)

_CFUNC_NAMES = {log1p: "log1p", expm1: "expm1", exp2: "exp2", log2: "log2", log10: "log10"}


@dataclass
class _L:
    """An array with one named axis per index symbol."""

    a: Any
    axes: tuple[sp.Symbol, ...]


def _align(vals: list[_L]) -> tuple[list[Any], tuple[sp.Symbol, ...]]:
    if not any(v.axes for v in vals):  # element-wise values (of any user shape): plain broadcasting
        return [v.a for v in vals], ()
    axes: list[sp.Symbol] = []
    for v in vals:
        for ax in v.axes:
            if ax not in axes:
                axes.append(ax)
    out = []
    for v in vals:
        arr = np.asarray(v.a)
        order = [v.axes.index(ax) for ax in axes if ax in v.axes]
        arr = np.transpose(arr, order) if order else arr
        shape = [arr.shape[order.index(v.axes.index(ax))] if ax in v.axes else 1 for ax in axes]
        out.append(arr.reshape(shape))
    return out, tuple(axes)


class _Eval:
    def __init__(self, backend: Backend, arrays: Mapping[sp.Basic, Any], scalars: Mapping[sp.Basic, Any], size: int) -> None:
        self.b = backend
        self.arrays = {k: np.asarray(backend.number(np.asarray(v)), dtype=backend.dtype) for k, v in arrays.items()}
        self.scalars = dict(scalars)
        self.size = size
        self.bound: dict[sp.Symbol, sp.Symbol] = {}

    def const(self, v: Any) -> _L:
        return _L(np.asarray(self.b.number(v), dtype=self.b.dtype), ())

    def ev(self, e: sp.Basic) -> _L:  # noqa: C901 - one branch per kind of node
        b = self.b
        if isinstance(e, sp.Indexed):
            arr = self.arrays.get(e.base)
            if arr is None:
                raise ValueError(f"no value for vector {e.base}")
            (idx,) = e.indices
            if idx in self.scalars:  # a class index given as an input
                return _L(arr[int(self.scalars[idx]) - 1], ())
            if idx.is_Integer:
                return _L(arr[int(idx) - 1], ())
            if isinstance(idx, sp.Symbol):
                return _L(arr, (self.bound.get(idx, idx),))
            raise ValueError(f"cannot evaluate the index {idx} of {e}")
        if isinstance(e, sp.KroneckerDelta):
            p, q = (self._index(a) for a in e.args)
            if isinstance(p, int) and isinstance(q, int):
                return self.const(1 if p == q else 0)
            if isinstance(p, int) or isinstance(q, int):
                ax = q if isinstance(p, int) else p
                c = p if isinstance(p, int) else q
                v = np.zeros(self.size, dtype=b.dtype)
                v[:] = b.number(0)
                v[int(c) - 1] = b.number(1)
                return _L(v, (ax,))
            eye = np.empty((self.size, self.size), dtype=b.dtype)
            for r in range(self.size):
                for c in range(self.size):
                    eye[r, c] = b.number(1 if r == c else 0)
            return _L(eye, (p, q))
        if isinstance(e, (sp.Sum, MaxOver)):
            (var, lo, hi), = e.limits
            if lo != 1 or sp.sympify(hi).subs(n, self.size) != self.size:
                raise ValueError(f"only sums over 1..n are supported, got {e}")
            fresh = sp.Dummy(str(var))
            saved = self.bound.get(var)
            self.bound[var] = fresh
            try:
                body = self.ev(e.function)
            finally:
                if saved is None:
                    self.bound.pop(var, None)
                else:
                    self.bound[var] = saved
            if fresh in body.axes:
                pos = body.axes.index(fresh)
                arr = np.asarray(body.a)
                if isinstance(e, sp.Sum):
                    red = np.sum(arr, axis=pos) if arr.shape[pos] > 1 else np.take(arr, 0, axis=pos) * b.number(1)
                else:
                    red = np.max(arr, axis=pos)
                return _L(red, body.axes[:pos] + body.axes[pos + 1:])
            if isinstance(e, sp.Sum):
                return _L(np.asarray(body.a) * b.number(self.size), body.axes)
            return body
        if e.is_Number or e in (sp.pi, sp.E):
            return self.const(e if b is MPMATH else float(e))
        if isinstance(e, sp.Symbol):
            if e in self.scalars:
                return self.const(self.scalars[e])
            if e in self.bound or e.is_integer:
                raise ValueError(f"the index {e} is used outside its sum")
            raise ValueError(f"no value for {e}")
        if isinstance(e, sp.Add):
            arrs, axes = _align([self.ev(a) for a in e.args])
            out = arrs[0]
            for a in arrs[1:]:
                out = out + a
            return _L(out, axes)
        if isinstance(e, sp.Mul):
            arrs, axes = _align([self.ev(a) for a in e.args])
            out = arrs[0]
            for a in arrs[1:]:
                out = out * a
            return _L(out, axes)
        if isinstance(e, sp.Pow):
            base, ex = e.args
            if ex == sp.S.Half:
                return self._call("sqrt", [base])
            arrs, axes = _align([self.ev(base), self.ev(ex)])
            if ex.is_Integer and b is FLOAT:
                return _L(np.power(arrs[0], int(ex)) if int(ex) >= 0 else 1.0 / np.power(arrs[0], -int(ex)), axes)
            if b is MPMATH:  # 0**-1 raises in mpmath; nan like float64, so an untaken Piecewise branch is harmless
                return _L(_mp_pow(arrs[0], arrs[1]), axes)
            return _L(arrs[0] ** arrs[1], axes)
        if isinstance(e, sp.Piecewise):
            parts = [(self.ev(v), self.ev_bool(c)) for v, c in e.args]
            arrs, axes = _align([p for v, c in parts for p in (v, c)])
            values, conds = arrs[0::2], arrs[1::2]
            shape = np.broadcast_shapes(*[np.shape(a) for a in arrs])
            out = np.broadcast_to(values[-1], shape).copy()
            taken = np.zeros(shape, dtype=bool)
            for v, c in zip(values, conds):
                mask = np.broadcast_to(c, shape) & ~taken
                out[mask] = np.broadcast_to(v, shape)[mask]
                taken |= mask
            return _L(out, axes)
        if isinstance(e, Indicator):
            c = self.ev_bool(e.args[0])
            one, zero = b.number(1), b.number(0)
            return _L(np.where(c.a, one, zero).astype(b.dtype), c.axes)
        if isinstance(e, (sp.Max, sp.Min)):
            arrs, axes = _align([self.ev(a) for a in e.args])
            out = arrs[0]
            for a in arrs[1:]:
                out = np.where(a > out, a, out) if isinstance(e, sp.Max) else np.where(a < out, a, out)
            return _L(out, axes)
        if isinstance(e, Notation):
            impl = type(e).numpy_impl if b is FLOAT else _vec(type(e).mpmath_impl)
            arrs, axes = _align([self.ev(a) for a in e.args])
            return _L(impl(*arrs), axes)
        if isinstance(e, sp.Function):
            name = _CFUNC_NAMES.get(type(e), type(e).__name__)
            return self._call(name, list(e.args))
        raise ValueError(f"cannot evaluate {type(e).__name__} ({e}) numerically")

    def _call(self, name: str, args: list[sp.Basic]) -> _L:
        fn = self.b.functions.get(name)
        if fn is None:
            raise ValueError(f"no {self.b.name} implementation of {name}")
        arrs, axes = _align([self.ev(a) for a in args])
        return _L(fn(*arrs), axes)

    def _index(self, a: sp.Basic) -> Any:
        if a in self.scalars:
            return int(self.scalars[a])
        if a.is_Integer:
            return int(a)
        return self.bound.get(a, a)

    def ev_bool(self, c: sp.Basic) -> _L:
        if c is sp.true or c == sp.true:
            return _L(np.asarray(True), ())
        if c is sp.false or c == sp.false:
            return _L(np.asarray(False), ())
        if isinstance(c, (sp.And, sp.Or)):
            parts = [self.ev_bool(a) for a in c.args]
            arrs, axes = _align(parts)
            out = arrs[0]
            for a in arrs[1:]:
                out = (out & a) if isinstance(c, sp.And) else (out | a)
            return _L(out, axes)
        if isinstance(c, sp.Not):
            inner = self.ev_bool(c.args[0])
            return _L(~np.asarray(inner.a), inner.axes)
        ops: dict[type, Callable[[Any, Any], Any]] = {
            sp.StrictGreaterThan: lambda p, q: p > q, sp.GreaterThan: lambda p, q: p >= q,
            sp.StrictLessThan: lambda p, q: p < q, sp.LessThan: lambda p, q: p <= q,
            sp.Eq: lambda p, q: p == q, sp.Ne: lambda p, q: p != q,
        }
        op = ops.get(type(c))
        if op is None:
            raise ValueError(f"cannot evaluate the condition {c}")
        arrs, axes = _align([self.ev(c.lhs), self.ev(c.rhs)])
        return _L(np.asarray(op(arrs[0], arrs[1]), dtype=bool), axes)


def evaluate_indexed(
    expr: sp.Basic,
    backend: Backend,
    arrays: Mapping[sp.Basic, Any],
    scalars: Mapping[sp.Basic, Any],
    size: int,
    out_axes: tuple[sp.Symbol, ...] = (),
) -> Any:
    """Evaluate ``expr``; the result's axes follow ``out_axes`` (e.g. ``(i, j)`` for a Jacobian)."""
    ev = _Eval(backend, arrays, scalars, size)
    with np.errstate(all="ignore"):  # np.select-style evaluation computes every branch
        val = ev.ev(sp.sympify(expr))
    extra = [ax for ax in val.axes if ax not in out_axes]
    if extra:
        raise ValueError(f"index {extra[0]} is free in {expr} but not an output index")
    arr = np.asarray(val.a)
    if not out_axes:
        return arr
    if val.axes:
        arr = np.transpose(arr, [val.axes.index(ax) for ax in out_axes if ax in val.axes])
    arr = arr[tuple(slice(None) if ax in val.axes else None for ax in out_axes)]
    return np.broadcast_to(arr, (size,) * len(out_axes)).copy()
