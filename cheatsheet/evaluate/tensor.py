"""Evaluate index-notation sympy expressions on arrays, in float64 or in mpmath.

A rule's formula is written with entries x_i, sums Σ_k, Kronecker deltas δ_ij and definitions such as
p_i. This module evaluates such an expression directly, without expanding it at a size: every index
becomes an array axis (numpy broadcasting, as in einsum), a sum reduces over its axis, δ_ij is an
identity matrix. The same walk serves both backends: float64 numpy arrays for speed, and object
arrays of mpmath numbers for exact values at any precision.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import exp2, expm1, log1p, log2, log10

from cheatsheet.notation import Indicator, MaxOver, Notation, n

__all__ = ["FLOAT", "MPMATH", "Backend", "evaluate_indexed", "lost_digits"]


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
    if isinstance(v, (sp.Rational, sp.Float)):
        return mpmath.mpf(sp.Float(v, mpmath.mp.dps + 10))
    if isinstance(v, sp.Basic):  # an exact constant such as pi/4 (a parameter), to the working precision
        return mpmath.mpf(sp.N(v, mpmath.mp.dps + 10))
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
    """An array with one named axis per index symbol.

    ``h`` (mpmath only; None means zeros) holds, per entry, how many digits the computation may have lost
    to absorption: 1 + e^(-x) is exactly 1 below 0.43·x digits, so 1 − σ(x) is an exact 0 however many
    digits agree. A zero or non-finite result is trusted only at a precision beyond those digits.
    """

    a: Any
    axes: tuple[sp.Symbol, ...]
    h: Any = None


def _align(vals: list[_L]) -> tuple[list[Any], tuple[sp.Symbol, ...]]:
    if not any(v.axes for v in vals):  # element-wise values (of any user shape): plain broadcasting
        return [v.a for v in vals], ()
    axes: list[sp.Symbol] = []
    for v in vals:
        for ax in v.axes:
            if ax not in axes:
                axes.append(ax)
    return [_place(v.a, v.axes, axes) for v in vals], tuple(axes)


def _place(a: Any, own: tuple[sp.Symbol, ...], axes: list[sp.Symbol] | tuple[sp.Symbol, ...]) -> Any:
    """The array ``a`` with axes ``own`` transposed and reshaped to broadcast over ``axes``."""
    arr = np.asarray(a)
    order = [own.index(ax) for ax in axes if ax in own]
    arr = np.transpose(arr, order) if order else arr
    shape = [arr.shape[order.index(own.index(ax))] if ax in own else 1 for ax in axes]
    return arr.reshape(shape)


_LOG10_2 = math.log10(2)
_LOG10_E = math.log10(math.e)
# Functions that saturate, and how fast: σ(a) = 1 − e^(-a) + ..., so σ(a) is exactly 1 below 0.43·a digits
_RATE = {"sigmoid": 1.0, "softplus": 1.0, "logsigmoid": 1.0, "tanh": 2.0, "sinh": 2.0, "cosh": 2.0}
_GAUSSIAN = frozenset({"erf", "erfc", "Phi", "phi"})  # saturate like e^(-a²)
_ALGEBRAIC = frozenset({"atan", "acot"})  # saturate like 1/a
# Functions that are flat at 0 (f(a) = f(0) + small): a tiny argument is absorbed (exp(1e-50) is 1 at 35 digits)
_FLAT_AT_ZERO = frozenset({"exp", "exp2", "cos", "cosh", "acos", "sigmoid", "softplus", "logsigmoid", "Phi", "phi",
                           "erfc", "pow"})


def _digits_one(v: Any) -> float:
    if v == 0:
        return -math.inf
    if not mpmath.isfinite(v):
        return math.nan
    size = abs(float(v)) if isinstance(v, mpmath.mpf) and -1000 < mpmath.mag(v) < 1000 else 0.0
    return math.log10(size) if size > 0 else float(mpmath.mag(v)) * _LOG10_2  # beyond float64: from the exponent


_digits_of = np.frompyfunc(_digits_one, 1, 1)


def _digits(arr: Any) -> Any:
    """log10|v| per entry of an mpmath array, from its binary exponent (no overflow): -inf for 0, nan for inf/nan."""
    return np.asarray(_digits_of(np.asarray(arr, dtype=object)), dtype=float)


def _spread(digits: Any, axis: int) -> Any:
    """Per entry, how many decades separate the largest and the smallest non-zero term along ``axis``: the
    digits a sum at a lower precision absorbs (1 + 1e-50 is 1 at 35 digits)."""
    finite = np.isfinite(digits)
    hi = np.max(np.where(finite, digits, -np.inf), axis=axis)
    lo = np.min(np.where(finite, digits, np.inf), axis=axis)
    with np.errstate(invalid="ignore"):
        out = hi - lo
    return np.where(np.isfinite(out), out, 0.0)


def _function_loss(name: str, args: list[Any]) -> Any:
    """Digits a function may absorb at these arguments: e^(-|a|) next to 1 where it saturates at a large |a|
    (e^(-a²) for the Gaussian family, 1/a for atan), a·f'(0) next to f(0) at a tiny |a| where it is flat at 0.
    An upper bound: it only decides how far a zero or non-finite result is checked."""
    if name not in _RATE and name not in _GAUSSIAN and name not in _ALGEBRAIC and name not in _FLAT_AT_ZERO:
        return None
    out: Any = 0.0
    for a in args:
        d = _digits(a)
        with np.errstate(all="ignore"):
            size = np.where(d > 0, 10.0 ** np.minimum(d, 300.0), 0.0)  # |a| when above 1
            if name in _GAUSSIAN:
                big = size * size * _LOG10_E
            elif name in _ALGEBRAIC:
                big = 2 * np.maximum(d, 0.0)
            else:
                big = _RATE.get(name, 0.0) * size * _LOG10_E
            tiny = np.where(np.isfinite(d) & (d < 0), -2 * d, 0.0) if name in _FLAT_AT_ZERO else 0.0
            loss = np.maximum(big, tiny)
        out = np.maximum(out, np.where(np.isnan(loss), 0.0, loss))
    return out


@functools.cache
def _placeholders(count: int) -> tuple[sp.Symbol, ...]:
    """Index symbols that stand for a sum's free indices in a memo key (names the grammar cannot produce)."""
    return tuple(sp.Symbol(f"_free{m}", integer=True, positive=True) for m in range(count))


class _Eval:
    def __init__(self, backend: Backend, arrays: Mapping[sp.Basic, Any], scalars: Mapping[sp.Basic, Any], size: int) -> None:
        self.b = backend
        self.arrays = {k: np.asarray(backend.number(np.asarray(v)), dtype=backend.dtype) for k, v in arrays.items()}
        self.scalars = dict(scalars)
        self.size = size
        self.bound: dict[sp.Symbol, sp.Symbol] = {}
        # sums already computed in this evaluation, keyed by the sum with its free indices as placeholders
        self.memo: dict[sp.Basic, tuple[Any, Any, tuple[int, ...]]] = {}
        self.track = backend is MPMATH  # lost digits are tracked for exact evaluation only

    @staticmethod
    def _hints(vals: list[_L], axes: tuple[sp.Symbol, ...]) -> list[Any]:
        """The operands' lost digits laid out like their values by :func:`_align` over ``axes`` (None: none)."""
        return [None if v.h is None else (_place(v.h, v.axes, axes) if axes else v.h) for v in vals]

    def _hmax(self, vals: list[_L], axes: tuple[sp.Symbol, ...], shape: tuple[int, ...], extra: Any = None) -> Any:
        """The largest lost digits of the operands and ``extra``, per entry of the result (None: none)."""
        found = [h for h in self._hints(vals, axes) if h is not None] + ([] if extra is None else [extra])
        if not found:
            return None
        out = found[0]
        for h in found[1:]:
            out = np.maximum(out, h)
        return np.broadcast_to(out, shape)

    def const(self, v: Any) -> _L:
        return _L(np.asarray(self.b.number(v), dtype=self.b.dtype), ())

    def ev(self, e: sp.Basic) -> _L:  # one branch per kind of node
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
                v = np.full(self.size, b.number(0), dtype=b.dtype)
                v[int(c) - 1] = b.number(1)
                return _L(v, (ax,))
            # δ_ij as an identity matrix built in one step (filled entry by entry it took 4.8 s at n = 1600);
            # the same numbers as before: float64 1.0/0.0, or one shared mpmath 1 and 0
            eye = np.full((self.size, self.size), b.number(0), dtype=b.dtype)
            diagonal = np.arange(self.size)
            eye[diagonal, diagonal] = b.number(1)
            return _L(eye, (p, q))
        if isinstance(e, (sp.Sum, MaxOver)):
            return self._reduction(e)
        if e.is_Number or e in (sp.pi, sp.E):
            return self.const(e if b is MPMATH else float(e))
        if isinstance(e, sp.Symbol):
            if e in self.scalars:
                return self.const(self.scalars[e])
            if e in self.bound or e.is_integer:
                raise ValueError(f"the index {e} is used outside its sum")
            raise ValueError(f"no value for {e}")
        if isinstance(e, sp.Add):
            vals = [self.ev(a) for a in e.args]
            arrs, axes = _align(vals)
            out = arrs[0]
            for a in arrs[1:]:
                out = out + a
            if not self.track:
                return _L(out, axes)
            shape = np.shape(out)
            spread = _spread(np.stack([np.broadcast_to(_digits(a), shape) for a in arrs]), 0)
            return _L(out, axes, self._hmax(vals, axes, shape, spread))
        if isinstance(e, sp.Mul):
            vals = [self.ev(a) for a in e.args]
            arrs, axes = _align(vals)
            out = arrs[0]
            for a in arrs[1:]:
                out = out * a
            if not self.track:
                return _L(out, axes)
            shape = np.shape(out)
            h = self._hmax(vals, axes, shape)
            if h is not None:  # a product with an exact factor 0 is 0 however inexact the others: its digits are the zero's
                for a, ha in zip(arrs, self._hints(vals, axes)):
                    zero = np.broadcast_to(np.asarray(a == 0, dtype=bool), shape)
                    h = np.where(zero, np.minimum(h, 0.0 if ha is None else ha), h)
            return _L(out, axes, h)
        if isinstance(e, sp.Pow):
            base, ex = e.args
            if ex == sp.S.Half:
                return self._call("sqrt", [base])
            vals = [self.ev(base), self.ev(ex)]
            arrs, axes = _align(vals)
            if ex.is_Integer and b is FLOAT:
                return _L(np.power(arrs[0], int(ex)) if int(ex) >= 0 else 1.0 / np.power(arrs[0], -int(ex)), axes)
            if b is MPMATH:  # 0**-1 raises in mpmath; nan like float64, so an untaken Piecewise branch is harmless
                out = _mp_pow(arrs[0], arrs[1])
                return _L(out, axes, self._hmax(vals, axes, np.shape(out), _function_loss("pow", [arrs[1]])))
            return _L(arrs[0] ** arrs[1], axes)
        if isinstance(e, sp.Piecewise):
            parts = [(self.ev(v), self.ev_bool(c)) for v, c in e.args]
            flat = [p for v, c in parts for p in (v, c)]
            arrs, axes = _align(flat)
            values, conds = arrs[0::2], arrs[1::2]
            shape = np.broadcast_shapes(*[np.shape(a) for a in arrs])
            out = np.broadcast_to(values[-1], shape).copy()
            taken = np.zeros(shape, dtype=bool)
            hints = [0.0 if h is None else h for h in self._hints(flat, axes)] if self.track else []
            chosen: Any = np.broadcast_to(hints[-2], shape).copy() if self.track else None
            seen: Any = np.zeros(shape)  # the lost digits of the conditions tested so far
            for k, (v, c) in enumerate(zip(values, conds)):
                mask = np.broadcast_to(c, shape) & ~taken
                out[mask] = np.broadcast_to(v, shape)[mask]
                if self.track:  # an entry keeps the digits of its branch and of every condition tested up to it
                    seen = np.where(taken, seen, np.maximum(seen, np.broadcast_to(hints[2 * k + 1], shape)))
                    chosen[mask] = np.broadcast_to(hints[2 * k], shape)[mask]
                taken |= mask
            return _L(out, axes, np.maximum(chosen, seen) if self.track else None)
        if isinstance(e, Indicator):
            c = self.ev_bool(e.args[0])
            one, zero = b.number(1), b.number(0)
            return _L(np.where(c.a, one, zero).astype(b.dtype), c.axes, c.h)
        if isinstance(e, (sp.Max, sp.Min)):
            vals = [self.ev(a) for a in e.args]
            arrs, axes = _align(vals)
            out = arrs[0]
            for a in arrs[1:]:
                out = np.where(a > out, a, out) if isinstance(e, sp.Max) else np.where(a < out, a, out)
            return _L(out, axes, self._hmax(vals, axes, np.shape(out)) if self.track else None)
        if isinstance(e, Notation):
            impl = type(e).numpy_impl if b is FLOAT else _vec(type(e).mpmath_impl)
            vals = [self.ev(a) for a in e.args]
            arrs, axes = _align(vals)
            out = impl(*arrs)
            if not self.track:
                return _L(out, axes)
            return _L(out, axes, self._hmax(vals, axes, np.shape(out), _function_loss(type(e).__name__, arrs)))
        if isinstance(e, sp.Function):
            name = _CFUNC_NAMES.get(type(e), type(e).__name__)
            return self._call(name, list(e.args))
        raise ValueError(f"cannot evaluate {type(e).__name__} ({e}) numerically")

    def _reduction(self, e: sp.Basic) -> _L:
        """A sum or maximum over an index, computed once per evaluation for each pattern.

        p_i, p_j and p_k of softmax are the same sum Σ_l exp(x_l − x_k) with a different free index: each
        is an n x n array at its size, so the second and third are the first's array with its axis
        renamed (the same numbers: the array is reused, not recomputed).
        """
        free = sorted(
            (s for s in e.free_symbols
             if isinstance(s, sp.Symbol) and s not in self.scalars and (s in self.bound or s.is_integer)),
            key=sp.default_sort_key,
        )
        labels = [self.bound.get(s, s) for s in free]
        key = e.xreplace(dict(zip(free, _placeholders(len(free)))))
        hit = self.memo.get(key)
        if hit is not None:
            arr, h, slots = hit
            return _L(arr, tuple(labels[m] for m in slots), h)
        val = self._reduce(e)
        if all(ax in labels for ax in val.axes):
            self.memo[key] = (val.a, val.h, tuple(labels.index(ax) for ax in val.axes))
        return val

    def _reduce(self, e: sp.Basic) -> _L:
        b = self.b
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
            h = None
            if self.track:
                hb = np.broadcast_to(np.zeros(arr.shape) if body.h is None else body.h, arr.shape)
                h = np.max(hb, axis=pos)
                if isinstance(e, sp.Sum):
                    h = np.maximum(h, _spread(_digits(arr), pos))
            return _L(red, body.axes[:pos] + body.axes[pos + 1:], h)
        if isinstance(e, sp.Sum):
            return _L(np.asarray(body.a) * b.number(self.size), body.axes, body.h)
        return body

    def _call(self, name: str, args: list[sp.Basic]) -> _L:
        fn = self.b.functions.get(name)
        if fn is None:
            raise ValueError(f"no {self.b.name} implementation of {name}")
        vals = [self.ev(a) for a in args]
        arrs, axes = _align(vals)
        out = fn(*arrs)
        if not self.track:
            return _L(out, axes)
        return _L(out, axes, self._hmax(vals, axes, np.shape(out), _function_loss(name, arrs)))

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
            return _L(out, axes, self._hmax(parts, axes, np.shape(out)) if self.track else None)
        if isinstance(c, sp.Not):
            inner = self.ev_bool(c.args[0])
            return _L(~np.asarray(inner.a), inner.axes, inner.h)
        ops: dict[type, Callable[[Any, Any], Any]] = {
            sp.StrictGreaterThan: lambda p, q: p > q, sp.GreaterThan: lambda p, q: p >= q,
            sp.StrictLessThan: lambda p, q: p < q, sp.LessThan: lambda p, q: p <= q,
            sp.Eq: lambda p, q: p == q, sp.Ne: lambda p, q: p != q,
        }
        op = ops.get(type(c))
        if op is None:
            raise ValueError(f"cannot evaluate the condition {c}")
        sides = [self.ev(c.lhs), self.ev(c.rhs)]
        arrs, axes = _align(sides)
        out = np.asarray(op(arrs[0], arrs[1]), dtype=bool)
        # a comparison is as uncertain as its sides (σ(x) >= 1 holds at 35 digits for x = 1e4)
        return _L(out, axes, self._hmax(sides, axes, np.shape(out)) if self.track else None)


def evaluate_indexed(
    expr: sp.Basic,
    backend: Backend,
    arrays: Mapping[sp.Basic, Any],
    scalars: Mapping[sp.Basic, Any],
    size: int,
    out_axes: tuple[sp.Symbol, ...] = (),
) -> Any:
    """Evaluate ``expr``; the result's axes follow ``out_axes`` (e.g. ``(i, j)`` for a Jacobian).

    In mpmath, inside :func:`lost_digits`, the digits that a zero or non-finite entry of the result may
    have lost to absorption are reported (see :class:`_L`).
    """
    ev = _Eval(backend, arrays, scalars, size)
    with np.errstate(all="ignore"):  # np.select-style evaluation computes every branch
        val = ev.ev(sp.sympify(expr))
    extra = [ax for ax in val.axes if ax not in out_axes]
    if extra:
        raise ValueError(f"index {extra[0]} is free in {expr} but not an output index")
    arr = np.asarray(val.a)
    if ev.track:
        _report(arr, val.h)
    if not out_axes:
        return arr
    if val.axes:
        arr = np.transpose(arr, [val.axes.index(ax) for ax in out_axes if ax in val.axes])
    arr = arr[tuple(slice(None) if ax in val.axes else None for ax in out_axes)]
    return np.broadcast_to(arr, (size,) * len(out_axes)).copy()


_LOST: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("cheatsheet_lost_digits", default=None)


@contextlib.contextmanager
def lost_digits() -> Iterator[list[float]]:
    """Collect, for every mpmath evaluation inside, the digits its zero or non-finite entries may have lost.

    An exact 0 from 1 − σ(1e4) is not a zero: σ(1e4) is 1 − 1.1e-4343, so the difference needs 4343 more
    digits than the answer. The caller raises the precision past the largest figure before trusting a zero.
    """
    found: list[float] = []
    token = _LOST.set(found)
    try:
        yield found
    finally:
        _LOST.reset(token)


def _report(arr: Any, h: Any) -> None:
    found = _LOST.get()
    if found is None or h is None:
        return
    suspect = np.asarray(_suspect(arr), dtype=bool)
    if suspect.any():
        found.append(float(np.max(np.broadcast_to(h, suspect.shape)[suspect])))


def _suspect_one(v: Any) -> bool:
    return bool(v == 0 or not mpmath.isfinite(v))


_suspect = np.frompyfunc(_suspect_one, 1, 1)
