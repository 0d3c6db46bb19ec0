"""The executable table: evaluate a rule's function and derivative, fast or exact.

Float64 evaluation uses the rule's numerically stable forms (its ``stable`` expressions and the stable
variants of its definitions) so that values stay accurate to 1e-12 relative at the extremes (softmax of
logits ±1000, logsigmoid(30), gelu(−8), selu(−1e−7)); ``exact=True`` evaluates the printed formulas
with mpmath at ``dps`` digits. Both go through :mod:`cheatsheet.tensor`, so vector rules are evaluated
in index notation without expanding them at a size. Inputs are bound like a Python call: positionally
in the rule's declared order or by name; parameters by PyTorch's names with PyTorch's defaults.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.expand import expand_where, param_values
from cheatsheet.notation import i as I_
from cheatsheet.notation import j as J_
from cheatsheet.notation import n
from cheatsheet.rule import Rule, did_you_mean
from cheatsheet.tensor import FLOAT, MPMATH, Backend, evaluate_indexed

__all__ = ["derivative_at", "evaluate", "to_numpy"]


# ----------------------------------------------------------------------------- binding
def _bind(rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inputs and parameters by name, defaults filled in, checked like a Python call."""
    names = [inp.name for inp in rule.inputs]
    pnames = [p.name for p in rule.params]
    if len(inputs) > len(names):
        raise TypeError(
            f"{rule.id}: takes {len(names)} input(s) ({', '.join(names)}) but {len(inputs)} were given; "
            f"pass parameters by keyword ({', '.join(pnames) or 'none'})"
        )
    values = dict(zip(names, inputs))
    params: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in names:
            if key in values:
                raise TypeError(f"{rule.id}: input {key!r} given twice (positionally and by keyword)")
            values[key] = value
        elif key in pnames:
            params[key] = value
        else:
            raise TypeError(
                f"{rule.id}: unknown keyword {key!r}; inputs are {names}, parameters are {pnames}."
                + did_you_mean(key, names + pnames)
            )
    missing = [nm for nm in names if nm not in values]
    if missing:
        raise TypeError(f"{rule.id}: missing input(s) {missing}; the inputs are, in order, {names}")
    for p in rule.params:
        value = params.setdefault(p.name, p.default)
        if p.is_choice:
            if value not in p.choices:
                raise ValueError(f"{rule.id}: {p.name}={value!r} is not one of {list(p.choices)}")
        else:
            try:
                inside = sp.Rational(str(value)) in p.domain if isinstance(value, (int, float)) else True
            except (TypeError, ValueError):
                raise TypeError(f"{rule.id}: {p.name} must be a number, got {value!r}") from None
            if not inside:
                raise ValueError(f"{rule.id}: {p.name}={value!r} lies outside its domain {p.domain}")
    return values, params


def _wrt(rule: Rule, wrt: str | None) -> str:
    ders = rule.derivatives
    if wrt is None:
        return next(iter(ders))
    if wrt not in ders:
        names = list(ders)
        raise ValueError(
            f"{rule.id}: no derivative w.r.t. {wrt!r}; available: {names}.{did_you_mean(wrt, names)}"
        )
    return wrt


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


def _vector_env(rule: Rule, values: dict[str, Any], backend: Backend) -> tuple[dict[sp.Basic, Any], dict[sp.Basic, Any], int]:
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
    from cheatsheet.matrixeval import evaluate_matrix

    env: dict[sp.Basic, Any] = {}
    dims: dict[sp.Symbol, int] = {}
    for inp in rule.inputs:
        arr = np.asarray(values[inp.name], dtype=object if exact else float)
        if inp.shape == "matrix":
            rows, cols = inp.symbol.shape
            if arr.ndim != 2 or (rows == cols and arr.shape[0] != arr.shape[1]):
                raise ValueError(f"{rule.id}: {inp.name} must be a {'square ' if rows == cols else ''}matrix, got shape {arr.shape}")
            for dim, size in zip((rows, cols), arr.shape):
                if isinstance(dim, sp.Symbol):  # the dimensions (n, d, ...) take the sizes given
                    if dims.setdefault(dim, size) != size:
                        raise ValueError(f"{rule.id}: {inp.name} has {dim} = {size}, but another input has {dim} = {dims[dim]}")
            env[inp.symbol] = MPMATH.number(arr) if exact else arr
        else:
            env[inp.symbol] = MPMATH.number(arr).item() if exact and arr.ndim == 0 else (arr.item() if arr.ndim == 0 else arr)
    env |= _param_scalars(rule, params, MPMATH if exact else FLOAT)
    env |= {d: (MPMATH.number(v) if exact else float(v)) for d, v in dims.items()}
    expr = _expr(rule, which, stable=False)
    expr = expr.subs(dims) if dims else expr  # MatrixSymbol('Q', N, d) -> MatrixSymbol('Q', 3, 2), OneMatrix too
    env = {(sp.MatrixSymbol(k.name, *(sp.sympify(v).subs(dims) for v in k.shape)) if isinstance(k, sp.MatrixSymbol) else k): v
           for k, v in env.items()}
    out = np.asarray(evaluate_matrix(expr, env, exact=exact), dtype=object if exact else float)
    if which == "f" and out.shape == (1, 1):  # the function is a scalar even when written xᵀAx (1x1)
        out = out.reshape(())
    return _result(out, MPMATH if exact else FLOAT)


# ----------------------------------------------------------------------------- evaluation
def _reduce(rule: Rule, loss: Any, params: dict[str, Any], batch: int) -> Any:
    red = params.get("reduction", "mean")
    arr = np.asarray(loss)
    if red == "none":
        return arr
    if red == "sum":
        return np.sum(arr)
    if red == "batchmean":
        return np.sum(arr) / batch
    return np.sum(arr) / arr.size


def _scale(rule: Rule, grad: Any, params: dict[str, Any], count: int, batch: int) -> Any:
    red = params.get("reduction", "mean")
    if red == "mean":
        return grad / count
    if red == "batchmean":
        return grad / batch
    return grad


def _elementwise(rule: Rule, which: str, values: dict[str, Any], params: dict[str, Any], backend: Backend) -> Any:
    scalars: dict[sp.Basic, Any] = {inp.symbol: _to_backend(values[inp.name], backend) for inp in rule.inputs}
    scalars |= _param_scalars(rule, params, backend)
    expr = _expr(rule, which, stable=backend is FLOAT)
    out = evaluate_indexed(expr, backend, {}, scalars, 1)
    shape = np.broadcast_shapes(*[np.shape(values[inp.name]) for inp in rule.inputs])
    return np.broadcast_to(np.asarray(out), shape)


def _vector(rule: Rule, which: str, values: dict[str, Any], params: dict[str, Any], backend: Backend, axes: tuple[sp.Symbol, ...]) -> Any:
    arrays, scalars, size = _vector_env(rule, values, backend)
    scalars |= _param_scalars(rule, params, backend)
    scalars[n] = size
    expr = _expr(rule, which, stable=backend is FLOAT)
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
            out = _reduce(rule, out, params, np.shape(out)[0] if np.ndim(out) else 1)
        return _result(out, backend)
    batch = _batched(rule, values)
    axes = (I_,) if rule.vector_output else ()
    if batch is None:
        return _result(_vector(rule, "f", values, params, backend, axes), backend)
    losses = np.array([_vector(rule, "f", row, params, backend, axes) for row in _rows(rule, values, batch)], dtype=object)
    return _result(_reduce(rule, losses.astype(float) if not exact else losses, params, batch), backend)


def _derivative(rule: Rule, w: str, values: dict[str, Any], params: dict[str, Any], backend: Backend) -> Any:
    exact = backend is MPMATH
    if rule.shape == "matrix":
        return _matrix_eval(rule, w, values, params, exact)
    if rule.shape == "scalar":
        out = _elementwise(rule, w, values, params, backend)
        if rule.reduction:
            out = _scale(rule, np.asarray(out), params, max(np.size(out), 1), np.shape(out)[0] if np.ndim(out) else 1)
        return _result(out, backend)
    wrt_vector = rule.input(w).shape == "vector"
    axes: tuple[sp.Symbol, ...]
    if rule.vector_output:
        axes = (I_, J_) if wrt_vector else (I_,)
    else:
        axes = (I_,) if wrt_vector else ()
    batch = _batched(rule, values)
    if batch is None:
        return _result(_vector(rule, w, values, params, backend, axes), backend)
    rows = [_vector(rule, w, row, params, backend, axes) for row in _rows(rule, values, batch)]
    grads = np.array(rows, dtype=float if not exact else object)
    return _result(_scale(rule, grads, params, batch, batch), backend)


_MAX_DIGITS = 20000
_TRUST_ZERO = 1000


def _adaptive(compute: Callable[[], Any], dps: int) -> Any:
    """``compute()`` in mpmath, correct to ``dps`` digits: the working precision doubles until two
    successive results agree, since a printed formula may cancel (σ(1 − σ) at x = 100 loses 43 digits)."""
    work = dps + 15
    with mpmath.workdps(work):
        previous = np.asarray(compute(), dtype=object)
    while True:
        work *= 2
        with mpmath.workdps(work):
            current = np.asarray(compute(), dtype=object)
            tol = mpmath.mpf(10) ** (-dps - 3)
            # an exact zero may be a total cancellation (1 - σ(1000)): trust it only past 1000 digits
            agree = all(
                ((a == b) and (a != 0 or work > _TRUST_ZERO))
                or (a != 0 and mpmath.isfinite(a) and abs(a - b) <= tol * max(abs(a), abs(b)))
                for a, b in zip(previous.ravel(), current.ravel())
            )
        if agree or work > _MAX_DIGITS:
            break
        previous = current
    with mpmath.workdps(dps):
        rounded = np.vectorize(lambda v: +v, otypes=[object])(current) if current.ndim else +current.item()
    return rounded


def evaluate(rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any], *, exact: bool = False, dps: int = 50) -> Any:
    """The function's value (see :meth:`cheatsheet.rule.Rule.evaluate`)."""
    values, params = _bind(rule, inputs, kwargs)
    if exact:
        return _adaptive(lambda: _value(rule, values, params, MPMATH), dps)
    return _value(rule, values, params, FLOAT)


def derivative_at(
    rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any], *, wrt: str | None = None, exact: bool = False, dps: int = 50
) -> Any:
    """The derivative (see :meth:`cheatsheet.rule.Rule.derivative_at`)."""
    values, params = _bind(rule, inputs, kwargs)
    w = _wrt(rule, wrt)
    if exact:
        return _adaptive(lambda: _derivative(rule, w, values, params, MPMATH), dps)
    return _derivative(rule, w, values, params, FLOAT)


def to_numpy(rule: Rule, wrt: str | None = None) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Plain callables ``f(*inputs, **params)`` and ``df(*inputs, **params)`` on floats or numpy arrays."""
    w = _wrt(rule, wrt)

    def f(*inputs: Any, **kwargs: Any) -> Any:
        return evaluate(rule, inputs, kwargs)

    def df(*inputs: Any, **kwargs: Any) -> Any:
        return derivative_at(rule, inputs, kwargs, wrt=w)

    f.__name__ = rule.id
    df.__name__ = f"d_{rule.id}_d_{w}"
    f.__doc__ = f"{rule.title}: the function, in float64 (stable form)."
    df.__doc__ = f"{rule.title}: the derivative w.r.t. {w}, in float64 (PyTorch's convention at kinks)."
    return f, df
