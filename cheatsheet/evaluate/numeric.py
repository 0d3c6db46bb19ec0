"""The executable table: evaluate a rule's function and derivative, fast or exact.

Float64 evaluation uses the rule's numerically stable forms (its ``stable`` expressions and the stable
variants of its definitions) so that values stay accurate to 1e-12 relative at the extremes (softmax of
logits ±1000, logsigmoid(30), gelu(−8), selu(−1e−7)); ``exact=True`` evaluates the printed formulas
with mpmath at ``dps`` digits. Both go through :mod:`cheatsheet.evaluate.tensor` (matrix rules through
:mod:`cheatsheet.evaluate.matrix`), so vector rules are evaluated in index notation without expanding them at
a size. What is passed is checked and bound like a Python call (:mod:`cheatsheet.evaluate.arguments`).

``dps`` is an int from 1 to :data:`MAX_DPS`. An exact result has ``dps`` correct digits or raises
:class:`PrecisionError` (:mod:`cheatsheet.evaluate.precision`): where the printed formula cancels (1 − σ(x) at
x = 1e4) the working precision rises past the digits lost, up to 100 000 digits and 30 s, and where even that
is not enough the rule's stable forms (proved equal by the verifier) are evaluated instead.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from cheatsheet.evaluate.arguments import MAX_DPS, bind, check_dps, check_exact, derivative_wrt
from cheatsheet.evaluate.backends import FLOAT, MPMATH, Backend
from cheatsheet.evaluate.expand import expand_where, param_values
from cheatsheet.evaluate.precision import BUDGET, PrecisionError, adaptive
from cheatsheet.evaluate.tensor import evaluate_indexed
from cheatsheet.notation import i as I_
from cheatsheet.notation import j as J_
from cheatsheet.notation import n

if TYPE_CHECKING:
    from cheatsheet.rule import Rule

__all__ = ["MAX_DPS", "PrecisionError", "derivative_at", "evaluate", "fixed_precision", "to_numpy"]


# ----------------------------------------------------------------------------- expressions
@functools.lru_cache(maxsize=4096)
def _expr(rule: Rule, which: str, stable: bool) -> sp.Basic:
    """The function (``which='f'``) or the derivative w.r.t. ``which`` with definitions substituted."""
    if which == "f":
        expr = rule.stable if (stable and rule.stable is not None) else rule.function
    else:
        expr = rule.stable_derivatives.get(which) if stable else None
        if expr is None:
            expr = rule.derivatives[which]
    with sp.evaluate(True):
        out = expand_where(sp.sympify(expr), rule.where, stable=stable)
        return out.doit() if out.has(sp.Derivative, sp.Subs) else out


def _param_scalars(rule: Rule, params: dict[str, Any], backend: Backend) -> dict[sp.Basic, Any]:
    out: dict[sp.Basic, Any] = {}
    exact = param_values(rule, params)
    for sym, value in exact.items():
        out[sym] = value if backend is MPMATH else float(value)
    return out


def _to_backend(value: Any, backend: Backend) -> Any:
    return backend.number(np.asarray(value)) if backend is MPMATH else np.asarray(value, dtype=float)


def _result(value: Any, backend: Backend) -> Any:
    arr = np.asarray(value)
    if arr.ndim == 0:
        item = arr.item()
        return float(item) if backend is FLOAT else item
    return arr


def _class_scalar(rule: Rule, name: str, value: Any, size: int) -> int:
    v = int(value)
    if v != value or not 0 <= v < size:
        raise ValueError(f"{rule.id}: {name} must be a class index in 0..{size - 1} (PyTorch's 0-based), got {value!r}")
    return v + 1  # the printed formulas index classes 1..n


def _vector_env(
    rule: Rule, values: dict[str, Any], backend: Backend
) -> tuple[dict[sp.Basic, Any], dict[sp.Basic, Any], int]:
    arrays: dict[sp.Basic, Any] = {}
    scalars: dict[sp.Basic, Any] = {}
    size = None
    for inp in rule.inputs:
        if inp.shape == "vector":
            arr = np.asarray(values[inp.name], dtype=float if backend is FLOAT else object)
            if arr.ndim != 1:
                raise ValueError(f"{rule.id}: {inp.name} must be a 1-D vector, got shape {arr.shape}")
            if size is not None and len(arr) != size:
                raise ValueError(f"{rule.id}: {inp.name} has length {len(arr)}, expected {size} like the other vectors")
            size = len(arr)
            if inp.simplex:
                total = float(np.sum(np.asarray(values[inp.name], dtype=float)))
                if abs(total - 1) > 1e-9 or np.any(np.asarray(values[inp.name], dtype=float) < 0):
                    raise ValueError(
                        f"{rule.id}: {inp.name} must be a probability vector (entries >= 0, sum 1), got sum {total:.6g}"
                    )
            arrays[inp.symbol] = _to_backend(values[inp.name], backend)
    assert size is not None
    for inp in rule.inputs:
        if inp.shape == "scalar":
            if inp.class_index:
                scalars[inp.symbol] = _class_scalar(rule, inp.name, values[inp.name], size)
            else:
                scalars[inp.symbol] = _to_backend(values[inp.name], backend)
    return arrays, scalars, size


# ----------------------------------------------------------------------------- matrix rules
def _matrix_eval(rule: Rule, which: str, values: dict[str, Any], params: dict[str, Any], exact: bool) -> Any:
    from cheatsheet.evaluate.matrix import evaluate_matrix

    env: dict[sp.Basic, Any] = {}
    dims: dict[sp.Symbol, int] = {}
    for inp in rule.inputs:
        arr = np.asarray(values[inp.name], dtype=object if exact else float)
        if inp.shape == "matrix":
            rows, cols = inp.symbol.shape
            if arr.ndim != 2 or (rows == cols and arr.shape[0] != arr.shape[1]):
                raise ValueError(
                    f"{rule.id}: {inp.name} must be a {'square ' if rows == cols else ''}matrix, got shape {arr.shape}"
                )
            for dim, size in zip((rows, cols), arr.shape, strict=True):
                if isinstance(dim, sp.Symbol) and dims.setdefault(dim, size) != size:  # n, d, ... take the sizes given
                    raise ValueError(
                        f"{rule.id}: {inp.name} has {dim} = {size}, but another input has {dim} = {dims[dim]}"
                    )
            env[inp.symbol] = MPMATH.number(arr) if exact else arr
        else:
            env[inp.symbol] = (
                MPMATH.number(arr).item() if exact and arr.ndim == 0 else (arr.item() if arr.ndim == 0 else arr)
            )
    env |= _param_scalars(rule, params, MPMATH if exact else FLOAT)
    env |= {d: (MPMATH.number(v) if exact else float(v)) for d, v in dims.items()}
    expr = _expr(rule, which, stable=False)
    expr = expr.subs(dims) if dims else expr  # MatrixSymbol('Q', N, d) -> MatrixSymbol('Q', 3, 2), OneMatrix too
    env = {
        (
            sp.MatrixSymbol(k.name, *(sp.sympify(v).subs(dims) for v in k.shape))
            if isinstance(k, sp.MatrixSymbol)
            else k
        ): v
        for k, v in env.items()
    }
    out = np.asarray(evaluate_matrix(expr, env, exact=exact), dtype=object if exact else float)
    if which == "f" and out.shape == (1, 1):  # the function is a scalar even when written xᵀAx (1x1)
        out = out.reshape(())
    return _result(out, MPMATH if exact else FLOAT)


# ----------------------------------------------------------------------------- evaluation
def _reduce(loss: Any, params: dict[str, Any], batch: int) -> Any:
    """The element losses reduced as PyTorch's ``reduction`` says ('batchmean' divides by the batch size)."""
    red = params.get("reduction", "mean")
    arr = np.asarray(loss)
    if red == "none":
        return arr
    if red == "sum":
        return np.sum(arr)
    if red == "batchmean":
        return np.sum(arr) / batch
    return np.sum(arr) / arr.size


def _scale(grad: Any, params: dict[str, Any], count: int, batch: int) -> Any:
    """The element gradients of the reduced loss: divided as the reduction divides the losses."""
    red = params.get("reduction", "mean")
    if red == "mean":
        return grad / count
    if red == "batchmean":
        return grad / batch
    return grad


def _elementwise(rule: Rule, which: str, values: dict[str, Any], params: dict[str, Any], backend: Backend) -> Any:
    scalars: dict[sp.Basic, Any] = {inp.symbol: _to_backend(values[inp.name], backend) for inp in rule.inputs}
    scalars |= _param_scalars(rule, params, backend)
    expr = _expr(rule, which, stable=backend is FLOAT or _STABLE_EXACT.get())
    out = evaluate_indexed(expr, backend, {}, scalars, 1)
    shape = np.broadcast_shapes(*[np.shape(values[inp.name]) for inp in rule.inputs])
    return np.broadcast_to(np.asarray(out), shape)


def _vector(
    rule: Rule,
    which: str,
    values: dict[str, Any],
    params: dict[str, Any],
    backend: Backend,
    axes: tuple[sp.Symbol, ...],
) -> Any:
    arrays, scalars, size = _vector_env(rule, values, backend)
    scalars |= _param_scalars(rule, params, backend)
    scalars[n] = size
    expr = _expr(rule, which, stable=backend is FLOAT or _STABLE_EXACT.get())
    return evaluate_indexed(expr, backend, arrays, scalars, size, axes)


def _batched(rule: Rule, values: dict[str, Any]) -> int | None:
    """Batch size when a reducible vector rule gets a batch of rows (N, n), else None."""
    if not rule.reduction:
        return None
    first = next(inp for inp in rule.inputs if inp.shape == "vector")
    arr = np.asarray(values[first.name])
    return arr.shape[0] if arr.ndim == 2 else None


def _rows(rule: Rule, values: dict[str, Any], batch: int) -> list[dict[str, Any]]:
    rows = []
    for r in range(batch):
        row = {}
        for inp in rule.inputs:
            v = np.asarray(values[inp.name], dtype=object)
            row[inp.name] = v[r] if v.ndim >= 1 and v.shape[0] == batch else values[inp.name]
        rows.append(row)
    return rows


def _value(rule: Rule, values: dict[str, Any], params: dict[str, Any], backend: Backend) -> Any:
    exact = backend is MPMATH
    if rule.shape == "matrix":
        return _matrix_eval(rule, "f", values, params, exact)
    if rule.shape == "scalar":
        out = _elementwise(rule, "f", values, params, backend)
        if rule.reduction:
            out = _reduce(out, params, np.shape(out)[0] if np.ndim(out) else 1)
        return _result(out, backend)
    batch = _batched(rule, values)
    axes = (I_,) if rule.vector_output else ()
    if batch is None:
        return _result(_vector(rule, "f", values, params, backend, axes), backend)
    losses = np.array(
        [_vector(rule, "f", row, params, backend, axes) for row in _rows(rule, values, batch)], dtype=object
    )
    return _result(_reduce(losses.astype(float) if not exact else losses, params, batch), backend)


def _derivative(rule: Rule, w: str, values: dict[str, Any], params: dict[str, Any], backend: Backend) -> Any:
    exact = backend is MPMATH
    if rule.shape == "matrix":
        return _matrix_eval(rule, w, values, params, exact)
    if rule.shape == "scalar":
        out = _elementwise(rule, w, values, params, backend)
        if rule.reduction:
            out = _scale(np.asarray(out), params, max(np.size(out), 1), np.shape(out)[0] if np.ndim(out) else 1)
        return _result(out, backend)
    wrt_vector = rule.input(w).shape == "vector"
    # a Jacobian J_ij, a gradient g_i (of a scalar, or of a vector w.r.t. a scalar input) or a number
    axes = (I_, J_)[: int(rule.vector_output) + int(wrt_vector)]
    batch = _batched(rule, values)
    if batch is None:
        return _result(_vector(rule, w, values, params, backend, axes), backend)
    rows = [_vector(rule, w, row, params, backend, axes) for row in _rows(rule, values, batch)]
    grads = np.array(rows, dtype=float if not exact else object)
    return _result(_scale(grads, params, batch, batch), backend)


#: True while exact evaluation falls back to the rule's stable forms (see _exact)
_STABLE_EXACT: contextvars.ContextVar[bool] = contextvars.ContextVar("cheatsheet_stable_exact", default=False)


def _exact(rule: Rule, which: str, compute: Callable[[], Any], dps: int) -> Any:
    """``compute()`` to ``dps`` digits from the printed formulas, or, where they cancel beyond the precision
    limit, from the rule's stable forms (gelu_tanh at -1000: tanh(u) + 1 with u = -3.6e7 is 1e-31000000 and
    needs 31 million digits as printed; x·σ(2u) needs none). The verifier proves the stable forms equal to
    the printed ones, so the value is the same function's."""
    deadline = time.perf_counter() + BUDGET
    try:
        return adaptive(rule.id, compute, dps, deadline)
    except PrecisionError:
        if _expr(rule, which, stable=True) == _expr(rule, which, stable=False):
            raise
    token = _STABLE_EXACT.set(True)
    try:
        return adaptive(rule.id, compute, dps, deadline)
    finally:
        _STABLE_EXACT.reset(token)


def evaluate(rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any], *, exact: bool = False, dps: int = 50) -> Any:
    """The function's value (see :meth:`cheatsheet.rule.Rule.evaluate`)."""
    dps, exact = check_dps(rule, dps), check_exact(rule, exact)
    values, params = bind(rule, inputs, kwargs, exact=exact)
    if exact:
        return _exact(rule, "f", lambda: _value(rule, values, params, MPMATH), dps)
    return _value(rule, values, params, FLOAT)


def derivative_at(
    rule: Rule,
    inputs: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    wrt: str | None = None,
    exact: bool = False,
    dps: int = 50,
) -> Any:
    """The derivative (see :meth:`cheatsheet.rule.Rule.derivative_at`)."""
    dps, exact = check_dps(rule, dps), check_exact(rule, exact)
    values, params = bind(rule, inputs, kwargs, exact=exact)
    w = derivative_wrt(rule, wrt)
    if exact:
        return _exact(rule, w, lambda: _derivative(rule, w, values, params, MPMATH), dps)
    return _derivative(rule, w, values, params, FLOAT)


def fixed_precision(rule: Rule, which: str, inputs: tuple[Any, ...]) -> Any:
    """The function (``which='f'``) or the derivative w.r.t. input ``which`` at ``inputs`` (default parameters),
    from the printed formulas in mpmath, evaluated once at the working precision of the caller's
    ``mpmath.workdps``: not adaptively, so the cost is fixed and the digits the same on every machine (the
    sheet's plots). Inputs are checked as for :func:`evaluate`."""
    values, params = bind(rule, inputs, {})
    if which == "f":
        return _value(rule, values, params, MPMATH)
    return _derivative(rule, which, values, params, MPMATH)


def to_numpy(rule: Rule, wrt: str | None = None) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Plain callables ``f(*inputs, **params)`` and ``df(*inputs, **params)`` on floats or numpy arrays."""
    w = derivative_wrt(rule, wrt)

    def f(*inputs: Any, **kwargs: Any) -> Any:
        return evaluate(rule, inputs, kwargs)

    def df(*inputs: Any, **kwargs: Any) -> Any:
        return derivative_at(rule, inputs, kwargs, wrt=w)

    f.__name__ = rule.id
    df.__name__ = f"d_{rule.id}_d_{w}"
    f.__doc__ = f"{rule.title}: the function, in float64 (stable form)."
    df.__doc__ = f"{rule.title}: the derivative w.r.t. {w}, in float64 (PyTorch's convention at kinks)."
    return f, df
