"""The executable table: evaluate a rule's function and derivative, fast or exact.

Float64 evaluation uses the rule's numerically stable forms (its ``stable`` expressions and the stable
variants of its definitions) so that values stay accurate to 1e-12 relative at the extremes (softmax of
logits ±1000, logsigmoid(30), gelu(−8), selu(−1e−7)); ``exact=True`` evaluates the printed formulas
with mpmath at ``dps`` digits. Both go through :mod:`cheatsheet.evaluate.tensor`, so vector rules are evaluated
in index notation without expanding them at a size. Inputs are bound like a Python call: positionally
in the rule's declared order or by name; parameters by PyTorch's names with PyTorch's defaults.

What is accepted, since these values come from outside: inputs are numbers or array-likes of numbers
(numeric numpy arrays, nested lists); with ``exact=True`` also text in the safe grammar (``'1/3'``).
Parameters are read by :func:`cheatsheet.checking.parse.exact_number` (numbers, or text in the grammar), never by
``sympify``. ``dps`` is an int from 1 to :data:`MAX_DPS`. An exact result has ``dps`` correct digits or
raises :class:`PrecisionError`: where the printed formula cancels (1 − σ(x) at x = 1e4) the working
precision rises past the digits lost, up to 100 000 digits and 30 s, and where even that is not enough
the rule's stable forms (proved equal by the verifier) are evaluated instead.
"""

from __future__ import annotations

import contextvars
import decimal
import fractions
import functools
import math
import time
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.evaluate.expand import expand_where, param_values
from cheatsheet.notation import i as I_
from cheatsheet.notation import j as J_
from cheatsheet.notation import n
from cheatsheet.checking.parse import _module, exact_number, type_name
from cheatsheet.rule import Input, Rule, did_you_mean
from cheatsheet.evaluate.tensor import FLOAT, MPMATH, Backend, evaluate_indexed, lost_digits

__all__ = ["MAX_DPS", "PrecisionError", "derivative_at", "evaluate", "to_numpy"]

#: The most digits ``exact=True`` returns (``dps``); the working precision may go beyond it (see _adaptive).
MAX_DPS = 1000


class PrecisionError(ArithmeticError):
    """``exact=True`` could not reach ``dps`` correct digits within the precision and time limits."""


# ----------------------------------------------------------------------------- checking what is given
def _check_dps(rule: Rule, dps: Any) -> int:
    """``dps`` as an int in 1..MAX_DPS: 0 or -5 gave wrong values and 10**6 ran for minutes."""
    kind = type(dps)
    numpy_int = issubclass(kind, np.integer) and _module(kind) == "numpy"
    if issubclass(kind, (bool, np.bool_)) or not (issubclass(kind, int) or numpy_int):
        raise TypeError(f"{rule.id}: dps must be an int (the significant digits of an exact result), got {type_name(dps)}")
    digits = int.__int__(dps) if issubclass(kind, int) else int(dps)
    if not 1 <= digits <= MAX_DPS:
        raise ValueError(f"{rule.id}: dps={digits} is out of range; expected 1 to {MAX_DPS} significant digits")
    return digits


def _check_exact(rule: Rule, exact: Any) -> bool:
    if not issubclass(type(exact), (bool, np.bool_)):
        raise TypeError(f"{rule.id}: exact must be True or False, got {type_name(exact)}")
    return bool(exact)


def _input_scalar(where: str, value: Any, exact: bool) -> Any:
    """One number of an input: a float or int (float64), or with ``exact`` an int, a float, an mpf or a sympy
    number. Only numbers pass; no method of another object runs (see :func:`cheatsheet.checking.parse.exact_number`)."""
    kind = type(value)
    if issubclass(kind, (bool, np.bool_)):
        raise TypeError(f"{where}: expected a number, got the bool {bool(value)}")
    if issubclass(kind, int):
        number = int.__int__(value)
        if exact:
            return exact_number(number, where)
        if number.bit_length() > 1024:
            raise ValueError(f"{where}: an integer of {number.bit_length()} bits is beyond float64's range")
        return number
    if issubclass(kind, float):
        return float.__float__(value)  # inf and nan pass, as in numpy
    if _module(kind) == "numpy" and issubclass(kind, (np.integer, np.floating)):
        if issubclass(kind, np.integer):
            return _input_scalar(where, int(value), exact)
        if not exact or kind in (np.float64, np.float32, np.float16):
            return float(value)  # exactly the same number (a longdouble in float64 rounds)
        return exact_number(value, where)
    if kind is mpmath.mpf:
        return value if exact else float(value)
    if issubclass(kind, (fractions.Fraction, decimal.Decimal, sp.Basic)):
        number = exact_number(value, where)
        return number if exact else float(number)
    if issubclass(kind, str):
        if exact:
            return exact_number(value, where)  # read by the grammar: '1/3' or '0.1' is exact
        raise TypeError(f"{where}: expected a number or an array of numbers, got the text {str.__str__(value)[:40]!r}; "
                        "text such as '1/3' is read only with exact=True")
    raise TypeError(f"{where}: expected a number or an array of numbers (a numpy array or a list), got {type_name(value)}")


def _collect(where: str, value: Any, exact: bool, depth: int, flat: list[Any]) -> tuple[int, ...]:
    """Append the numbers of a nested list/tuple to ``flat``; return its shape (rows of equal length only)."""
    if type(value) in (list, tuple):
        if depth > 32:
            raise ValueError(f"{where}: nested more than 32 deep")
        shapes = {_collect(where, item, exact, depth + 1, flat) for item in value}
        if len(shapes) > 1:
            raise ValueError(f"{where}: the rows have different shapes {sorted(shapes)}; expected a rectangular array")
        return (len(value), *next(iter(shapes), ()))
    if type(value) is np.ndarray:
        arr = _input_array(where, value, exact)
        flat.extend(arr.ravel().tolist() if arr.dtype != object else list(arr.ravel()))
        return tuple(arr.shape)
    flat.append(_input_scalar(where, value, exact))
    return ()


def _input_array(where: str, value: np.ndarray, exact: bool) -> np.ndarray:
    kind = value.dtype.kind
    if kind in "iuf":
        return value
    if kind == "O":  # e.g. the mpf results of an earlier exact evaluation: each entry must be a number
        out = np.empty(value.shape, dtype=object)
        for pos, item in np.ndenumerate(value):
            out[pos] = _input_scalar(where, item, exact)
        return out if exact else out.astype(float)
    raise TypeError(f"{where}: expected an array of numbers, got dtype {value.dtype}")


def _input(rule: Rule, inp: Input, value: Any, exact: bool) -> Any:
    """An input checked to be a number or an array-like of numbers (None, text in float64, objects: TypeError).

    Scalars stay Python numbers and arrays become numpy arrays, float64 unless ``exact`` keeps the exact
    numbers (object arrays) or the input is a class index (integers).
    """
    where = f"{rule.id}: input {inp.name!r}"
    if issubclass(type(value), np.ndarray):  # a subclass (masked, matrix) counts as its data
        return _input_array(where, np.asarray(value), exact)
    if type(value) in (list, tuple):
        flat: list[Any] = []
        shape = _collect(where, value, exact, 0, flat)
        if inp.class_index:
            return np.array(flat).reshape(shape)
        if exact:
            out = np.empty(len(flat), dtype=object)
            out[:] = flat
            return out.reshape(shape)
        return np.array(flat, dtype=float).reshape(shape)
    return _input_scalar(where, value, exact)


# ----------------------------------------------------------------------------- binding
def _bind(
    rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any], exact: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inputs and parameters by name, defaults filled in, checked like a Python call.

    Inputs must be numbers or array-likes of numbers; a numeric parameter is read by
    :func:`cheatsheet.checking.parse.exact_number` (a number, or text in the safe grammar, never ``sympify``) and
    must lie in its domain; a choice parameter must be one of its choices.
    """
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
    values = {inp.name: _input(rule, inp, values[inp.name], exact) for inp in rule.inputs}
    for p in rule.params:
        if p.name not in params:
            params[p.name] = p.default  # the rule's own default, checked when the rule was built
            continue
        value = params[p.name]
        if p.is_choice:
            if type(value) is not str:
                raise TypeError(f"{rule.id}: {p.name} must be one of {list(p.choices)}, got {type_name(value)}")
            if value not in p.choices:
                raise ValueError(f"{rule.id}: {p.name}={value[:40]!r} is not one of {list(p.choices)}.{did_you_mean(value, list(p.choices))}")
            continue
        number = exact_number(value, f"{rule.id}: parameter {p.name}")
        if p.domain.contains(number) is not sp.true:
            raise ValueError(f"{rule.id}: {p.name}={number} lies outside its domain {p.domain}")
        params[p.name] = number
    return values, params


def _wrt(rule: Rule, wrt: str | None) -> str:
    ders = rule.derivatives
    if wrt is None:
        return next(iter(ders))
    if type(wrt) is not str:
        raise TypeError(f"{rule.id}: wrt must be an input name such as {next(iter(ders))!r}, got {type_name(wrt)}")
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
    from cheatsheet.evaluate.matrix import evaluate_matrix

    env: dict[sp.Basic, Any] = {}
    dims: dict[sp.Symbol, int] = {}
    for inp in rule.inputs:
        arr = np.asarray(values[inp.name], dtype=object if exact else float)
        if inp.shape == "matrix":
            rows, cols = inp.symbol.shape
            if arr.ndim != 2 or (rows == cols and arr.shape[0] != arr.shape[1]):
                raise ValueError(f"{rule.id}: {inp.name} must be a {'square ' if rows == cols else ''}matrix, got shape {arr.shape}")
            for dim, size in zip((rows, cols), arr.shape):
                if isinstance(dim, sp.Symbol) and dims.setdefault(dim, size) != size:  # n, d, ... take the sizes given
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
    expr = _expr(rule, which, stable=backend is FLOAT or _STABLE_EXACT.get())
    out = evaluate_indexed(expr, backend, {}, scalars, 1)
    shape = np.broadcast_shapes(*[np.shape(values[inp.name]) for inp in rule.inputs])
    return np.broadcast_to(np.asarray(out), shape)


def _vector(rule: Rule, which: str, values: dict[str, Any], params: dict[str, Any], backend: Backend, axes: tuple[sp.Symbol, ...]) -> Any:
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


_TRUST_ZERO = 1000  # digits: an exact zero is trusted only past this precision, and past its lost digits
_MAX_WORK = 100_000  # digits of working precision at most (1 − σ(x) at x = 2e5 needs 87 000)
_BUDGET = 30.0  # seconds: a step that would end later is not started
_FLAT = 2000  # digits below which a step costs about the same


def _agree(a: Any, b: Any, work: int, need: float, dps: int, tol: Any) -> bool:
    """Do ``a`` (at a lower precision) and ``b`` (at ``work`` digits) agree to ``dps`` digits?

    Two non-zero finite values agree when close; an exact zero or a non-finite value only when it is the
    same at both precisions and ``work`` is beyond the digits it may have lost (``need``) and beyond
    _TRUST_ZERO, since a total cancellation (1 − σ(1000)) gives an exact 0 at every lower precision.
    """
    if a != 0 and b != 0 and mpmath.isfinite(a) and mpmath.isfinite(b):
        return bool(abs(a - b) <= tol * max(abs(a), abs(b)))
    same = bool(a == b) or bool(mpmath.isnan(a) and mpmath.isnan(b))
    return same and work > need + dps and (work > _TRUST_ZERO or (a != 0 and b != 0))


def _adaptive(rule: Rule, compute: Callable[[], Any], dps: int, deadline: float) -> Any:
    """``compute()`` in mpmath, correct to ``dps`` digits: the working precision doubles until two
    successive results agree, since a printed formula may cancel (σ(1 − σ) at x = 100 loses 43 digits).

    A zero or non-finite entry may come from a total cancellation: σ(1e4) is 1 below 4343 digits, so
    σ(1 − σ) is an exact 0 there, though the value is 1.1e-4343. The evaluator reports how many digits such
    an entry may have lost (:func:`cheatsheet.evaluate.tensor.lost_digits`), and the precision jumps past them.
    Bounded: at most _MAX_WORK digits and no step started that would end after ``deadline``; beyond either,
    :class:`PrecisionError` says so rather than returning digits that are not correct.
    """
    work = dps + 15

    def run(digits: int) -> tuple[Any, float, float]:
        begin = time.perf_counter()
        with mpmath.workdps(digits), lost_digits() as lost:
            value = np.asarray(compute(), dtype=object)
        return value, max(lost, default=0.0), time.perf_counter() - begin

    previous, need, seconds = run(work)
    while True:
        step = 2 * work
        if need + dps >= work:  # a zero or non-finite entry may hide more digits than this precision holds
            if need + dps + 15 > _MAX_WORK:
                raise PrecisionError(
                    f"{rule.id}: cannot give {dps} correct digits here: the printed formula cancels at this point, and "
                    f"resolving it needs up to {need + dps:.3g} digits of working precision (the limit is {_MAX_WORK}); "
                    "evaluate nearer 0, or in float64 (exact=False)"
                )
            step = max(step, math.ceil(need) + dps + 15)
        if step > _MAX_WORK:
            if work >= _MAX_WORK:
                raise PrecisionError(
                    f"{rule.id}: the exact value did not settle to {dps} digits within {_MAX_WORK} digits of working "
                    "precision; evaluate in float64 (exact=False) or with fewer digits (dps)"
                )
            step = _MAX_WORK
        # mpmath's cost is mostly overhead below a few thousand digits, then grows like digits^1.6 (measured)
        estimate = seconds * (max(step, _FLAT) / max(work, _FLAT)) ** 1.7
        if time.perf_counter() + estimate > deadline:
            raise PrecisionError(
                f"{rule.id}: cannot give {dps} correct digits within {_BUDGET:.0f} s: the next step, at {step} digits, "
                f"would take about {estimate:.0f} s; use fewer digits (dps), fewer entries, or float64 (exact=False)"
            )
        current, need_now, seconds = run(step)
        with mpmath.workdps(step):
            tol = mpmath.mpf(10) ** (-dps - 3)
            lost = max(need, need_now)
            agree = all(_agree(a, b, step, lost, dps, tol) for a, b in zip(previous.ravel(), current.ravel()))
        work, need = step, need_now
        if agree:
            break
        previous = current
    with mpmath.workdps(dps):
        rounded = np.vectorize(lambda v: +v, otypes=[object])(current) if current.ndim else +current.item()
    return rounded


#: True while exact evaluation falls back to the rule's stable forms (see _exact)
_STABLE_EXACT: contextvars.ContextVar[bool] = contextvars.ContextVar("cheatsheet_stable_exact", default=False)


def _exact(rule: Rule, which: str, compute: Callable[[], Any], dps: int) -> Any:
    """``compute()`` to ``dps`` digits from the printed formulas, or, where they cancel beyond the precision
    limit, from the rule's stable forms (gelu_tanh at -1000: tanh(u) + 1 with u = -3.6e7 is 1e-31000000 and
    needs 31 million digits as printed; x·σ(2u) needs none). The verifier proves the stable forms equal to
    the printed ones, so the value is the same function's."""
    deadline = time.perf_counter() + _BUDGET
    try:
        return _adaptive(rule, compute, dps, deadline)
    except PrecisionError:
        if _expr(rule, which, stable=True) == _expr(rule, which, stable=False):
            raise
    token = _STABLE_EXACT.set(True)
    try:
        return _adaptive(rule, compute, dps, deadline)
    finally:
        _STABLE_EXACT.reset(token)


def evaluate(rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any], *, exact: bool = False, dps: int = 50) -> Any:
    """The function's value (see :meth:`cheatsheet.rule.Rule.evaluate`)."""
    dps, exact = _check_dps(rule, dps), _check_exact(rule, exact)
    values, params = _bind(rule, inputs, kwargs, exact=exact)
    if exact:
        return _exact(rule, "f", lambda: _value(rule, values, params, MPMATH), dps)
    return _value(rule, values, params, FLOAT)


def derivative_at(
    rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any], *, wrt: str | None = None, exact: bool = False, dps: int = 50
) -> Any:
    """The derivative (see :meth:`cheatsheet.rule.Rule.derivative_at`)."""
    dps, exact = _check_dps(rule, dps), _check_exact(rule, exact)
    values, params = _bind(rule, inputs, kwargs, exact=exact)
    w = _wrt(rule, wrt)
    if exact:
        return _exact(rule, w, lambda: _derivative(rule, w, values, params, MPMATH), dps)
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
