"""Evaluate index-notation sympy expressions on arrays, in float64 or in mpmath.

A rule's formula is written with entries x_i, sums Σ_k, Kronecker deltas δ_ij and definitions such as
p_i. This module evaluates such an expression directly, without expanding it at a size: every index
becomes an array axis (numpy broadcasting, as in einsum), a sum reduces over its axis, δ_ij is an
identity matrix. The same walk serves both backends (:mod:`cheatsheet.evaluate.backends`): float64 numpy
arrays for speed, and object arrays of mpmath numbers for exact values at any precision, where it also
bounds the digits each entry may have lost to absorption (:mod:`cheatsheet.evaluate.absorption`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import exp2, expm1, log1p, log2, log10

from cheatsheet.evaluate.absorption import digits, function_loss, report, spread
from cheatsheet.evaluate.backends import FLOAT, MPMATH, Backend, mp_power, object_vectorize
from cheatsheet.evaluate.dispatch import ByClass
from cheatsheet.notation import Indicator, MaxOver, Notation, n

__all__ = ["evaluate_indexed"]

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


@functools.cache
def _placeholders(count: int) -> tuple[sp.Symbol, ...]:
    """Index symbols that stand for a sum's free indices in a memo key (names the grammar cannot produce)."""
    return tuple(sp.Symbol(f"_free{m}", integer=True, positive=True) for m in range(count))


#: The handler of each kind of node (see :meth:`_Eval.ev`).
_NODES: ByClass[Callable[[_Eval, Any], _L]] = ByClass()

_COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {
    sp.StrictGreaterThan: lambda p, q: p > q,
    sp.GreaterThan: lambda p, q: p >= q,
    sp.StrictLessThan: lambda p, q: p < q,
    sp.LessThan: lambda p, q: p <= q,
    sp.Eq: lambda p, q: p == q,
    sp.Ne: lambda p, q: p != q,
}


class _Eval:
    """One evaluation: the values of the inputs, the indices bound by the sums being evaluated, a memo."""

    def __init__(
        self, backend: Backend, arrays: Mapping[sp.Basic, Any], scalars: Mapping[sp.Basic, Any], size: int
    ) -> None:
        self.b = backend
        self.arrays = {k: np.asarray(backend.number(np.asarray(v)), dtype=backend.dtype) for k, v in arrays.items()}
        self.scalars = dict(scalars)
        self.size = size
        self.bound: dict[sp.Symbol, sp.Symbol] = {}
        # sums already computed in this evaluation, keyed by the sum with its free indices as placeholders
        self.memo: dict[sp.Basic, tuple[Any, Any, tuple[int, ...]]] = {}
        self.track = backend is MPMATH  # lost digits are tracked for exact evaluation only

    def ev(self, e: sp.Basic) -> _L:
        """The value of ``e``, by the handler registered for its class (or the nearest base class)."""
        handler = _NODES.find(type(e))
        if handler is None:
            raise ValueError(f"cannot evaluate {type(e).__name__} ({e}) numerically")
        return handler(self, e)

    # ------------------------------------------------------------------------------------ lost digits
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

    def _tracked(self, out: Any, axes: tuple[sp.Symbol, ...], vals: list[_L], extra: Any = None) -> _L:
        """``out`` with the largest lost digits of its operands ``vals`` and ``extra`` (when tracking)."""
        if not self.track:
            return _L(out, axes)
        return _L(out, axes, self._hmax(vals, axes, np.shape(out), extra))

    # ------------------------------------------------------------------------------------ leaves
    def const(self, v: Any) -> _L:
        return _L(np.asarray(self.b.number(v), dtype=self.b.dtype), ())

    @_NODES.register(sp.Number, type(sp.pi), type(sp.E))
    def _number(self, e: sp.Basic) -> _L:
        return self.const(e if self.b is MPMATH else float(e))

    @_NODES.register(sp.Symbol)
    def _symbol(self, e: sp.Symbol) -> _L:
        if e in self.scalars:
            return self.const(self.scalars[e])
        if e in self.bound or e.is_integer:  # an index as a number (cumsum's 𝟙[j ≤ i]): 1..n along its axis
            positions = np.array([self.b.number(v) for v in range(1, self.size + 1)], dtype=self.b.dtype)
            return _L(positions, (self.bound.get(e, e),))
        raise ValueError(f"no value for {e}")

    @_NODES.register(sp.Indexed)
    def _indexed(self, e: sp.Indexed) -> _L:
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

    @_NODES.register(sp.KroneckerDelta)
    def _delta(self, e: sp.KroneckerDelta) -> _L:
        b = self.b
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

    def _index(self, a: sp.Basic) -> Any:
        if a in self.scalars:
            return int(self.scalars[a])
        if a.is_Integer:
            return int(a)
        return self.bound.get(a, a)

    # ------------------------------------------------------------------------------------ arithmetic
    @_NODES.register(sp.Add)
    def _add(self, e: sp.Add) -> _L:
        vals = [self.ev(a) for a in e.args]
        arrs, axes = _align(vals)
        out = arrs[0]
        for a in arrs[1:]:
            out = out + a
        if not self.track:
            return _L(out, axes)
        shape = np.shape(out)
        absorbed = spread(np.stack([np.broadcast_to(digits(a), shape) for a in arrs]), 0)
        return _L(out, axes, self._hmax(vals, axes, shape, absorbed))

    @_NODES.register(sp.Mul)
    def _mul(self, e: sp.Mul) -> _L:
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
            for a, ha in zip(arrs, self._hints(vals, axes), strict=True):
                zero = np.broadcast_to(np.asarray(a == 0, dtype=bool), shape)
                h = np.where(zero, np.minimum(h, 0.0 if ha is None else ha), h)
        return _L(out, axes, h)

    @_NODES.register(sp.Pow)
    def _pow(self, e: sp.Pow) -> _L:
        base, ex = e.args
        if ex == sp.S.Half:
            return self._call("sqrt", [base])
        vals = [self.ev(base), self.ev(ex)]
        arrs, axes = _align(vals)
        if ex.is_Integer and self.b is FLOAT:
            return _L(np.power(arrs[0], int(ex)) if int(ex) >= 0 else 1.0 / np.power(arrs[0], -int(ex)), axes)
        if self.b is MPMATH:  # 0**-1 raises in mpmath; nan like float64, so an untaken Piecewise branch is harmless
            out = mp_power(arrs[0], arrs[1])
            return _L(out, axes, self._hmax(vals, axes, np.shape(out), function_loss("pow", [arrs[1]])))
        return _L(arrs[0] ** arrs[1], axes)

    # ------------------------------------------------------------------------------------ branches and extrema
    @_NODES.register(sp.Piecewise)
    def _piecewise(self, e: sp.Piecewise) -> _L:
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
        for k, (v, c) in enumerate(zip(values, conds, strict=True)):
            mask = np.broadcast_to(c, shape) & ~taken
            out[mask] = np.broadcast_to(v, shape)[mask]
            if self.track:  # an entry keeps the digits of its branch and of every condition tested up to it
                seen = np.where(taken, seen, np.maximum(seen, np.broadcast_to(hints[2 * k + 1], shape)))
                chosen[mask] = np.broadcast_to(hints[2 * k], shape)[mask]
            taken |= mask
        return _L(out, axes, np.maximum(chosen, seen) if self.track else None)

    @_NODES.register(Indicator)
    def _indicator(self, e: Indicator) -> _L:
        c = self.ev_bool(e.args[0])
        one, zero = self.b.number(1), self.b.number(0)
        return _L(np.where(c.a, one, zero).astype(self.b.dtype), c.axes, c.h)

    @_NODES.register(sp.Max, sp.Min)
    def _extremum(self, e: sp.Max | sp.Min) -> _L:
        vals = [self.ev(a) for a in e.args]
        arrs, axes = _align(vals)
        out = arrs[0]
        for a in arrs[1:]:
            out = np.where(a > out, a, out) if isinstance(e, sp.Max) else np.where(a < out, a, out)
        return _L(out, axes, self._hmax(vals, axes, np.shape(out)) if self.track else None)

    # ------------------------------------------------------------------------------------ functions
    @_NODES.register(Notation)
    def _notation(self, e: Notation) -> _L:
        impl = type(e).numpy_impl if self.b is FLOAT else object_vectorize(type(e).mpmath_impl)
        vals = [self.ev(a) for a in e.args]
        arrs, axes = _align(vals)
        out = impl(*arrs)
        return self._tracked(out, axes, vals, function_loss(type(e).__name__, arrs) if self.track else None)

    @_NODES.register(sp.Function)
    def _function(self, e: sp.Function) -> _L:
        return self._call(_CFUNC_NAMES.get(type(e), type(e).__name__), list(e.args))

    def _call(self, name: str, args: list[sp.Basic]) -> _L:
        fn = self.b.functions.get(name)
        if fn is None:
            raise ValueError(f"no {self.b.name} implementation of {name}")
        vals = [self.ev(a) for a in args]
        arrs, axes = _align(vals)
        out = fn(*arrs)
        return self._tracked(out, axes, vals, function_loss(name, arrs) if self.track else None)

    # ------------------------------------------------------------------------------------ sums and maxima
    @_NODES.register(sp.Sum, sp.Product, MaxOver)
    def _reduction(self, e: sp.Sum | sp.Product | MaxOver) -> _L:
        """A sum, product or maximum over an index, computed once per evaluation for each pattern.

        p_i, p_j and p_k of softmax are the same sum Σ_l exp(x_l − x_k) with a different free index: each
        is an n x n array at its size, so the second and third are the first's array with its axis
        renamed (the same numbers: the array is reused, not recomputed).
        """
        free = sorted(
            (
                s
                for s in e.free_symbols
                if isinstance(s, sp.Symbol) and s not in self.scalars and (s in self.bound or s.is_integer)
            ),
            key=sp.default_sort_key,
        )
        labels = [self.bound.get(s, s) for s in free]
        key = e.xreplace(dict(zip(free, _placeholders(len(free)), strict=True)))
        hit = self.memo.get(key)
        if hit is not None:
            arr, h, slots = hit
            return _L(arr, tuple(labels[m] for m in slots), h)
        val = self._reduce(e)
        if all(ax in labels for ax in val.axes):
            self.memo[key] = (val.a, val.h, tuple(labels.index(ax) for ax in val.axes))
        return val

    def _reduce(self, e: sp.Sum | sp.Product | MaxOver) -> _L:
        ((var, lo, hi),) = e.limits
        prefix = _prefix_index(hi) if sp.sympify(hi).subs(n, self.size) != self.size else None
        if lo != 1 or (prefix is None and sp.sympify(hi).subs(n, self.size) != self.size):
            raise ValueError(f"only sums over 1..n or 1..(an index) are supported, got {e}")
        fresh = sp.Dummy(str(var))
        body = self._body(e.function, var, fresh)
        if prefix is not None:  # k = 1..i: every k, the terms k > i replaced by the operation's neutral element
            body = self._prefix(e, body, fresh, self.bound.get(prefix, prefix))
        if fresh in body.axes:
            return self._over_axis(e, body, body.axes.index(fresh))
        if isinstance(e, sp.Sum):  # the body does not depend on the index: n equal terms
            return _L(np.asarray(body.a) * self.b.number(self.size), body.axes, body.h)
        if isinstance(e, sp.Product):
            return _L(np.asarray(body.a) ** self.size, body.axes, body.h)
        return body

    def _prefix(self, e: sp.Sum | sp.Product | MaxOver, body: _L, fresh: sp.Dummy, upper: sp.Symbol) -> _L:
        """``body`` over the axes (``fresh``, ``upper``) with the entries fresh > upper set to the neutral element
        of the reduction (0 for a sum, 1 for a product, −∞ for a maximum): selected, never multiplied by a 0/1
        mask, so that an infinite term beyond the range cannot turn the result into nan."""
        positions = np.arange(1, self.size + 1)
        mask = _L(positions[:, None] <= positions[None, :], (fresh, upper))
        arrs, axes = _align([body, mask])
        neutral = {sp.Sum: 0, sp.Product: 1}.get(type(e))
        fill = self.b.number(neutral) if neutral is not None else self.b.number(-np.inf)
        shape = np.broadcast_shapes(np.shape(arrs[0]), np.shape(arrs[1]))
        out = np.where(np.broadcast_to(arrs[1], shape), np.broadcast_to(arrs[0], shape), fill).astype(self.b.dtype)
        h = None if body.h is None else np.broadcast_to(_place(body.h, body.axes, axes), shape)
        return _L(out, axes, h)

    def _body(self, function: sp.Basic, var: sp.Symbol, fresh: sp.Dummy) -> _L:
        """``function`` with the index ``var`` bound to the axis ``fresh`` (restored afterwards, sums nest)."""
        saved = self.bound.get(var)
        self.bound[var] = fresh
        try:
            return self.ev(function)
        finally:
            if saved is None:
                self.bound.pop(var, None)
            else:
                self.bound[var] = saved

    def _over_axis(self, e: sp.Sum | sp.Product | MaxOver, body: _L, pos: int) -> _L:
        """The sum, product or maximum of ``body`` along its axis ``pos``."""
        arr = np.asarray(body.a)
        if isinstance(e, sp.Sum):
            red = np.sum(arr, axis=pos) if arr.shape[pos] > 1 else np.take(arr, 0, axis=pos) * self.b.number(1)
        elif isinstance(e, sp.Product):
            red = np.prod(arr, axis=pos) if arr.shape[pos] > 1 else np.take(arr, 0, axis=pos) * self.b.number(1)
        else:
            red = np.max(arr, axis=pos)
        h = None
        if self.track:
            hb = np.broadcast_to(np.zeros(arr.shape) if body.h is None else body.h, arr.shape)
            h = np.max(hb, axis=pos)
            if isinstance(e, sp.Sum):
                h = np.maximum(h, spread(digits(arr), pos))
        return _L(red, body.axes[:pos] + body.axes[pos + 1 :], h)

    # ------------------------------------------------------------------------------------ conditions
    def ev_bool(self, c: sp.Basic) -> _L:
        """The truth of a condition per entry (a bool array), with the lost digits of its sides."""
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
        op = _COMPARISONS.get(type(c))
        if op is None:
            raise ValueError(f"cannot evaluate the condition {c}")
        sides = [self.ev(c.lhs), self.ev(c.rhs)]
        arrs, axes = _align(sides)
        out = np.asarray(op(arrs[0], arrs[1]), dtype=bool)
        # a comparison is as uncertain as its sides (σ(x) >= 1 holds at 35 digits for x = 1e4)
        return _L(out, axes, self._hmax(sides, axes, np.shape(out)) if self.track else None)


def _prefix_index(hi: sp.Basic) -> sp.Symbol | None:
    """The index i of a range k = 1..i (cumulative sums and products), or None for any other upper limit."""
    return hi if isinstance(hi, sp.Symbol) and hi.is_integer and hi != n else None


def evaluate_indexed(
    expr: sp.Basic,
    backend: Backend,
    arrays: Mapping[sp.Basic, Any],
    scalars: Mapping[sp.Basic, Any],
    size: int,
    out_axes: tuple[sp.Symbol, ...] = (),
) -> Any:
    """Evaluate ``expr``; the result's axes follow ``out_axes`` (e.g. ``(i, j)`` for a Jacobian).

    In mpmath, inside :func:`cheatsheet.evaluate.absorption.lost_digits`, the digits that a zero or
    non-finite entry of the result may have lost to absorption are reported (see :class:`_L`).
    """
    ev = _Eval(backend, arrays, scalars, size)
    with np.errstate(all="ignore"):  # np.select-style evaluation computes every branch
        val = ev.ev(sp.sympify(expr))
    extra = [ax for ax in val.axes if ax not in out_axes]
    if extra:
        raise ValueError(f"index {extra[0]} is free in {expr} but not an output index")
    arr = np.asarray(val.a)
    if ev.track:
        report(arr, val.h)
    if not out_axes:
        return arr
    if val.axes:
        arr = np.transpose(arr, [val.axes.index(ax) for ax in out_axes if ax in val.axes])
    arr = arr[tuple(slice(None) if ax in val.axes else None for ax in out_axes)]
    return np.broadcast_to(arr, (size,) * len(out_axes)).copy()
