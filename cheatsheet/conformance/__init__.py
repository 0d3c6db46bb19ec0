"""Conformance with PyTorch: every rule with a PyTorch counterpart is compared with float64 autograd on
a grid, at random points and exactly at its kinks.

The reference is the rule's own verified formula evaluated exactly (mpmath), so a difference is a
difference between PyTorch and the mathematics, not between two float computations. The tolerance is
strict (1e-12 relative or 1e-14 absolute); PyTorch's own known inaccuracies (FINDINGS §2) are listed
one by one as :class:`Deviation` entries with their reason, never hidden by a looser default.

Counterparts: a rule whose ``torch`` field names a callable (``"torch.exp"``,
``"torch.nn.functional.gelu"``) is called with its inputs positionally, its numeric parameters and
``reduction`` as keywords, plus its ``torch_kwargs``. Rules that need more (a different argument
layout, a batch dimension) have an adapter in ``COUNTERPARTS`` of the family modules of this package.
"""

from __future__ import annotations

import importlib
import math
import random
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.rule import Rule
from cheatsheet.verifier.sampling import draw, rng_for

__all__ = [
    "ABS_TOL",
    "REL_TOL",
    "Counterpart",
    "Deviation",
    "Result",
    "check_rule",
    "counterpart",
    "torch_available",
]

REL_TOL = 1e-12
ABS_TOL = 1e-14
_FAMILY_MODULES = ("scalar", "activations", "softmax", "losses", "normalization", "matrix")

Call = Callable[[Any, dict[str, Any], dict[str, Any]], Any]


@dataclass(frozen=True)
class Deviation:
    """A known inaccuracy of PyTorch (not of the mathematics), with the looser tolerance it needs.

    ``applies`` picks the points it covers, from the input values and the parameters; ``reason`` says
    where the error comes from (e.g. "hardsigmoid's backward uses 1/6 as a float32 constant").
    """

    reason: str
    tolerance: float
    applies: Callable[[dict[str, float], dict[str, Any]], bool] = lambda values, params: True


@dataclass(frozen=True)
class Counterpart:
    """How to call PyTorch for a rule: ``call(torch, tensors_by_input_name, params) -> output``."""

    call: Call
    deviations: tuple[Deviation, ...] = ()
    note: str = ""


@dataclass
class Result:
    """The outcome of comparing one rule with PyTorch."""

    rule_id: str
    status: str  # 'conforms', 'differs', 'no counterpart'
    points: int = 0
    max_error: float = 0.0
    worst: str = ""
    deviations_used: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: status, points, worst relative error and where."""
        if self.status == "no counterpart":
            return "no PyTorch counterpart"
        line = f"{self.status}: {self.points} points, max error {self.max_error:.1e} (relative; below 0.01 absolute)"
        if self.deviations_used:
            line += "; known PyTorch deviations: " + "; ".join(sorted(set(self.deviations_used)))
        if self.status == "differs":
            line += f"; {self.worst}"
        return line


def torch_available() -> bool:
    """True when PyTorch can be imported."""
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def _resolve(torch: Any, dotted: str) -> Callable[..., Any]:
    """``"torch.nn.functional.gelu"`` -> the callable, by attribute look-up (never eval)."""
    parts = dotted.split(".")
    if parts[0] == "F":
        parts = ["torch", "nn", "functional"] + parts[1:]
    if parts[0] != "torch":
        raise ValueError(f"PyTorch counterpart {dotted!r} must start with 'torch.' or 'F.'")
    obj: Any = torch
    for p in parts[1:]:
        obj = getattr(obj, p)
    return obj  # type: ignore[no-any-return]


def _adapters() -> dict[str, Counterpart]:
    out: dict[str, Counterpart] = {}
    for name in _FAMILY_MODULES:
        try:
            module = importlib.import_module(f"cheatsheet.conformance.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"cheatsheet.conformance.{name}":
                raise
            continue
        out.update(getattr(module, "COUNTERPARTS", {}))
    return out


def counterpart(rule: Rule) -> Counterpart | None:
    """The PyTorch counterpart of ``rule``: its adapter, or a call of the callable its ``torch`` names."""
    adapters = _adapters()
    if rule.id in adapters:
        return adapters[rule.id]
    if not rule.torch:
        return None
    dotted = rule.torch
    fixed = dict(rule.torch_kwargs)
    names = [inp.name for inp in rule.inputs]

    def call(torch: Any, tensors: dict[str, Any], params: dict[str, Any]) -> Any:
        fn = _resolve(torch, dotted)
        with warnings.catch_warnings():  # e.g. kl_div's note that 'mean' will change: we test every reduction
            warnings.simplefilter("ignore", UserWarning)
            return fn(*[tensors[nm] for nm in names], **params, **fixed)

    return Counterpart(call)


# ------------------------------------------------------------------------------ points
def _param_sets(rule: Rule) -> list[dict[str, Any]]:
    base = {p.name: p.default for p in rule.params if not p.is_choice}
    sets = [dict(base)]
    for p in rule.params:
        for s in p.samples:
            d = dict(base)
            d[p.name] = s
            sets.append(d)
    return sets


def _float_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, (int, sp.Basic)) and not isinstance(v, bool) else v for k, v in params.items()}


def _scalar_points(rule: Rule, params: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per input: a grid, random draws, and every kink exactly and at ±1e-6 (other inputs random)."""
    rng = rng_for(rule.id, "torch", tuple(sorted(map(str, params.items()))))
    first = rule.inputs[0]
    count = 0
    cols: dict[str, list[float]] = {inp.name: [] for inp in rule.inputs}
    grid = [float(v) for v in np.linspace(-6, 6, 49)]
    for v in grid + [float(draw(first.domain, rng)) for _ in range(40)]:
        if sp.Float(v) in first.domain:
            cols[first.name].append(v)
            count += 1
    for inp in rule.inputs[1:]:
        cols[inp.name] = [float(draw(inp.domain, rng)) for _ in range(count)]
    sym_params = {p.symbol: sp.Rational(str(params[p.name])) for p in rule.params if p.symbol is not None}
    for kink in rule.kinks:
        wrt = kink.wrt or first.name
        for offset in (0.0, -1e-6, 1e-6):
            others = {inp.name: float(draw(inp.domain, rng)) for inp in rule.inputs if inp.name != wrt}
            at = sp.sympify(kink.at).subs(sym_params).subs({rule.input(k).symbol: sp.Float(v, 30) for k, v in others.items()})
            if not at.is_number:
                continue
            for inp in rule.inputs:
                cols[inp.name].append(float(at) + offset if inp.name == wrt else others[inp.name])
    return {k: np.array(v, dtype=float) for k, v in cols.items()}


def _close(ours: float, theirs: float, tol: float) -> tuple[bool, float]:
    """Relative error, with magnitudes below ABS_TOL/REL_TOL (0.01) counted as 0.01; ok when <= tol."""
    if math.isnan(theirs) or math.isinf(theirs):
        return ours == theirs, (0.0 if ours == theirs else math.inf)
    err = abs(ours - theirs) / max(abs(ours), ABS_TOL / REL_TOL)
    return err <= tol, err


def _exact(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> np.ndarray:
    with mpmath.workdps(40):
        out = fn(*args, exact=True, dps=40, **kwargs)
    return np.asarray(np.vectorize(float, otypes=[float])(np.asarray(out, dtype=object)), dtype=float)


def _points_iter(rule: Rule) -> Iterator[tuple[dict[str, Any], dict[str, np.ndarray]]]:
    for params in _param_sets(rule):
        yield params, _scalar_points(rule, params)


def check_rule(rule: Rule, torch: Any) -> Result:
    """Compare ``rule`` with PyTorch's float64 autograd (forward values and every derivative)."""
    cp = counterpart(rule)
    if cp is None:
        return Result(rule.id, "no counterpart")
    torch.set_default_dtype(torch.float64)
    result = Result(rule.id, "conforms")
    if rule.shape == "scalar":
        _check_scalar(rule, cp, torch, result)
    elif rule.shape == "matrix":
        _check_matrix(rule, cp, torch, result)
    else:
        _check_vector(rule, cp, torch, result)
    return result


def _record(result: Result, ok: bool, rel: float, where: str, deviation: Deviation | None) -> None:
    result.points += 1
    if deviation is not None and ok and rel > REL_TOL:  # the deviation was needed at this point
        result.deviations_used.append(deviation.reason)
    elif rel > result.max_error and math.isfinite(rel):
        result.max_error = rel
    if not ok:
        if result.status == "conforms":
            result.worst = where
        result.status = "differs"
        if not math.isfinite(rel):
            result.max_error = math.inf


def _tolerance(cp: Counterpart, values: dict[str, float], params: dict[str, Any]) -> tuple[float, Deviation | None]:
    for d in cp.deviations:
        if d.applies(values, params):
            return d.tolerance, d
    return REL_TOL, None


def _check_scalar(rule: Rule, cp: Counterpart, torch: Any, result: Result) -> None:
    reductions = next((p.choices for p in rule.params if p.name == "reduction"), (None,))
    for params, cols in _points_iter(rule):
        fparams = _float_params(params)
        for red in reductions:
            kw = dict(fparams) | ({"reduction": red} if red is not None else {})
            tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in cols.items()}
            out = cp.call(torch, tensors, kw)
            # Element-wise output: summing gives each element's derivative (mean/sum already reduce).
            (out.sum() if out.dim() else out).backward()
            values = [cols[inp.name] for inp in rule.inputs]
            f_ours = _exact(rule.evaluate, *values, **kw)
            f_torch = out.detach().numpy()
            for pos in np.ndindex(f_torch.shape):
                vals = {k: float(v[pos]) if v.ndim else float(v) for k, v in cols.items()} if f_torch.shape else {}
                tol, dev = _tolerance(cp, vals, kw)
                ok, rel = _close(float(f_ours[pos]), float(f_torch[pos]), tol)
                _record(result, ok, rel, f"value at {vals or 'all points'} {kw}: ours {float(f_ours[pos])!r}, PyTorch {float(f_torch[pos])!r}", dev)
            for wrt in rule.derivatives:
                grad = tensors[wrt].grad
                if grad is None:
                    continue
                ours = _exact(rule.derivative_at, *values, wrt=wrt, **kw)
                theirs = grad.numpy()
                for idx in range(len(theirs)):
                    vals = {k: float(v[idx]) for k, v in cols.items()}
                    tol, dev = _tolerance(cp, vals, kw)
                    ok, rel = _close(float(ours[idx]), float(theirs[idx]), tol)
                    _record(result, ok, rel, f"d/d{wrt} at {vals} {kw}: ours {float(ours[idx])!r}, PyTorch {float(theirs[idx])!r}", dev)


def _vector_inputs(rule: Rule, size: int, rng: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for inp in rule.inputs:
        if inp.shape == "vector":
            if inp.simplex:
                raw = np.array([rng.uniform(0.05, 1.0) for _ in range(size)])
                values[inp.name] = raw / raw.sum()
            else:
                values[inp.name] = np.array([float(draw(inp.domain, rng)) for _ in range(size)])
        elif inp.class_index:
            values[inp.name] = rng.randrange(size)
        else:
            values[inp.name] = float(draw(inp.domain, rng))
    return values


def _check_vector(rule: Rule, cp: Counterpart, torch: Any, result: Result) -> None:
    reductions = next((p.choices for p in rule.params if p.name == "reduction"), (None,))
    for params in _param_sets(rule):
        fparams = _float_params(params)
        for size in (2, 3, 5):
            rng = rng_for(rule.id, "torch-vector", size, tuple(sorted(map(str, params.items()))))
            for _ in range(4):
                values = _vector_inputs(rule, size, rng)
                for red in reductions:
                    kw = dict(fparams) | ({"reduction": red} if red is not None else {})
                    _compare_vector(rule, cp, torch, result, values, kw)


def _compare_vector(rule: Rule, cp: Counterpart, torch: Any, result: Result, values: dict[str, Any], kw: dict[str, Any]) -> None:
    def tensor(name: str, v: Any) -> Any:
        if rule.input(name).class_index:
            return torch.tensor(v, dtype=torch.long)
        return torch.tensor(v, dtype=torch.float64)

    tol, dev = _tolerance(cp, values, kw)  # vector inputs are arrays, scalar inputs floats
    f_ours = _exact(rule.evaluate, **values, **kw)
    f_torch = cp.call(torch, {k: tensor(k, v) for k, v in values.items()}, kw).detach().numpy()
    for pos in np.ndindex(np.shape(f_ours)):
        ok, rel = _close(float(f_ours[pos]), float(np.reshape(f_torch, np.shape(f_ours))[pos]), tol)
        _record(result, ok, rel, f"value at {values} {kw}", dev)
    for wrt in rule.derivatives:
        inp = rule.input(wrt)
        if inp.class_index:
            continue

        def fn(t: Any, _wrt: str = wrt) -> Any:
            tensors = {k: (t if k == _wrt else tensor(k, v)) for k, v in values.items()}
            return cp.call(torch, tensors, kw).reshape(np.shape(f_ours))

        theirs = torch.autograd.functional.jacobian(fn, tensor(wrt, values[wrt])).numpy()
        ours = _exact(rule.derivative_at, wrt=wrt, **values, **kw)
        theirs = np.reshape(theirs, np.shape(ours))
        for pos in np.ndindex(np.shape(ours)):
            ok, rel = _close(float(ours[pos]), float(theirs[pos]), tol)
            _record(result, ok, rel, f"d/d{wrt}{list(pos)} at {values} {kw}: ours {float(ours[pos])!r}, PyTorch {float(theirs[pos])!r}", dev)


def _check_matrix(rule: Rule, cp: Counterpart, torch: Any, result: Result) -> None:
    """Random non-symmetric matrices: square ones 2I + 0.3N (invertible, positive determinant), others 0.3N;
    symmetric inputs symmetrized, simplex inputs with rows of probabilities. Every dimension is 2, 3, 4, and
    with several dimensions also alternately one larger, so that products are non-square."""
    from cheatsheet.evaluate.expand import dimensions

    dims = dimensions(rule)
    for size in (2, 3, 4):
        for shift in (0, 1) if len(dims) > 1 else (0,):
            sizes = {d: size + shift * (k % 2) for k, d in enumerate(dims)}
            rng = np.random.default_rng(size + 10 * shift)
            for _ in range(3):
                values = {inp.name: _matrix_value(inp, sizes, rng) for inp in rule.inputs}
                for params in _param_sets(rule):
                    _compare_vector(rule, cp, torch, result, values, _float_params(params))


def _matrix_value(inp: Any, sizes: dict[Any, int], rng: Any) -> Any:
    if inp.shape != "matrix":  # a scalar input of a matrix rule
        return float(draw(inp.domain, random.Random(int(rng.integers(1 << 30)))))
    rows, cols = (int(sp.sympify(d).subs(sizes)) for d in inp.symbol.shape)
    if inp.simplex:
        raw = rng.uniform(0.05, 1.0, (rows, cols))
        return raw / raw.sum(axis=1, keepdims=True)
    if isinstance(inp.domain, sp.FiniteSet):  # e.g. a 0/1 mask
        return rng.choice([float(v) for v in inp.domain], (rows, cols))
    noise = 0.3 * rng.standard_normal((rows, cols))
    if inp.symmetric:
        noise = (noise + noise.T) / 2
    return noise + (2 * np.eye(rows) if rows == cols else 0)
