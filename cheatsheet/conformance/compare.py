"""The comparison with PyTorch: a rule's exact values and derivatives (mpmath) against PyTorch's float64 forward
values and autograd, on a grid, at random points and exactly at (and beside) its kinks.

The reference is the rule's own verified formula evaluated exactly, so a difference is a difference between
PyTorch and the mathematics, not between two float computations. The tolerance is strict (1e-12 relative or
1e-14 absolute); PyTorch's own known inaccuracies (FINDINGS §2) are listed one by one as
:class:`~cheatsheet.conformance.model.Deviation` entries with their reason, never hidden by a looser default.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.conformance.counterpart import counterpart
from cheatsheet.conformance.model import ABS_TOL, REL_TOL, Counterpart, Deviation
from cheatsheet.evaluate.expand import dimensions
from cheatsheet.rule import Input, Rule
from cheatsheet.verifier.sampling import draw, rng_for

__all__ = ["Result", "check_rule"]


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

    def add(self, ok: bool, rel: float, where: str, deviation: Deviation | None) -> None:
        """One point compared: ``rel`` its relative error, ``ok`` within the tolerance that applies there."""
        self.points += 1
        if deviation is not None and ok and rel > REL_TOL:  # the deviation was needed at this point
            self.deviations_used.append(deviation.reason)
        elif rel > self.max_error and math.isfinite(rel):
            self.max_error = rel
        if not ok:
            if self.status == "conforms":
                self.worst = where
            self.status = "differs"
            if not math.isfinite(rel):
                self.max_error = math.inf


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


# ------------------------------------------------------------------------------------------ points
def _param_sets(rule: Rule) -> list[dict[str, Any]]:
    """The defaults (choices such as ``reduction`` aside), then each listed sample of each parameter."""
    base = {p.name: p.default for p in rule.params if not p.is_choice}
    sets = [dict(base)]
    for p in rule.params:
        sets += [base | {p.name: s} for s in p.samples]
    return sets


def _float_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, (int, sp.Basic)) and not isinstance(v, bool) else v for k, v in params.items()}


def _with_reduction(params: dict[str, Any], reduction: str | None) -> dict[str, Any]:
    return dict(params) | ({"reduction": reduction} if reduction is not None else {})


def _reductions(rule: Rule) -> tuple[str | None, ...]:
    """Every ``reduction`` the rule takes, or (None,) when it takes none."""
    return next((tuple(p.choices) for p in rule.params if p.name == "reduction"), (None,))


def _scalar_points(rule: Rule, params: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per input: a grid, random draws, and every kink exactly and at ±1e-6 (other inputs random)."""
    rng = rng_for(rule.id, "torch", tuple(sorted(map(str, params.items()))))
    first = rule.inputs[0]
    cols: dict[str, list[float]] = {inp.name: [] for inp in rule.inputs}
    grid = [float(v) for v in np.linspace(-6, 6, 49)]
    cols[first.name] = [
        v for v in grid + [float(draw(first.domain, rng)) for _ in range(40)] if sp.Float(v) in first.domain
    ]
    for inp in rule.inputs[1:]:
        cols[inp.name] = [float(draw(inp.domain, rng)) for _ in range(len(cols[first.name]))]
    sym_params = {p.symbol: sp.Rational(str(params[p.name])) for p in rule.params if p.symbol is not None}
    for kink in rule.kinks:
        wrt = kink.wrt or first.name
        for offset in (0.0, -1e-6, 1e-6):
            pinned = dict(kink.given)  # a kink that exists only at these values of other inputs
            others = {
                inp.name: float(pinned[inp.symbol]) if inp.symbol in pinned else float(draw(inp.domain, rng))
                for inp in rule.inputs
                if inp.name != wrt
            }
            at = (
                sp.sympify(kink.at)
                .subs(sym_params)
                .subs({rule.input(k).symbol: sp.Float(v, 30) for k, v in others.items()})
            )
            if not at.is_number:
                continue
            for inp in rule.inputs:
                cols[inp.name].append(float(at) + offset if inp.name == wrt else others[inp.name])
    return {k: np.array(v, dtype=float) for k, v in cols.items()}


def _points_iter(rule: Rule) -> Iterator[tuple[dict[str, Any], dict[str, np.ndarray]]]:
    for params in _param_sets(rule):
        yield params, _scalar_points(rule, params)


def _vector_inputs(rule: Rule, size: int, rng: random.Random) -> dict[str, Any]:
    """Random values of a vector rule's inputs: vectors of length ``size`` (simplex ones normalised), a class
    index below ``size``, scalars from their domains."""
    values: dict[str, Any] = {}
    for inp in rule.inputs:
        if inp.shape == "vector" and inp.simplex:
            raw = np.array([rng.uniform(0.05, 1.0) for _ in range(size)])
            values[inp.name] = raw / raw.sum()
        elif inp.shape == "vector":
            values[inp.name] = np.array([float(draw(inp.domain, rng)) for _ in range(size)])
        elif inp.class_index:
            values[inp.name] = rng.randrange(size)
        else:
            values[inp.name] = float(draw(inp.domain, rng))
    return values


def _matrix_value(inp: Input, sizes: dict[Any, int], rng: np.random.Generator) -> Any:
    """A random value of a matrix rule's input at ``sizes`` (see :func:`_check_matrix`)."""
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


# ------------------------------------------------------------------------------------------ comparing
def _close(ours: float, theirs: float, tol: float) -> tuple[bool, float]:
    """Relative error, with magnitudes below ABS_TOL/REL_TOL (0.01) counted as 0.01; ok when <= tol."""
    if math.isnan(theirs) or math.isinf(theirs):
        return ours == theirs, (0.0 if ours == theirs else math.inf)
    err = abs(ours - theirs) / max(abs(ours), ABS_TOL / REL_TOL)
    return err <= tol, err


def _exact(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> np.ndarray:
    """``fn`` (the rule's evaluate or derivative_at) exactly at 40 digits, as float64."""
    with mpmath.workdps(40):
        out = fn(*args, exact=True, dps=40, **kwargs)
    return np.asarray(np.vectorize(float, otypes=[float])(np.asarray(out, dtype=object)), dtype=float)


def _tolerance(cp: Counterpart, values: dict[str, Any], params: dict[str, Any]) -> tuple[float, Deviation | None]:
    """The tolerance at a point: the first deviation that applies there, else REL_TOL."""
    for d in cp.deviations:
        if d.applies(values, params):
            return d.tolerance, d
    return REL_TOL, None


def _check_scalar(rule: Rule, cp: Counterpart, torch: Any, result: Result) -> None:
    """Every parameter set and reduction, element-wise over the points of :func:`_scalar_points`."""
    for params, cols in _points_iter(rule):
        fparams = _float_params(params)
        for red in _reductions(rule):
            _compare_scalar(rule, cp, torch, result, cols, _with_reduction(fparams, red))


def _compare_scalar(
    rule: Rule, cp: Counterpart, torch: Any, result: Result, cols: dict[str, np.ndarray], kw: dict[str, Any]
) -> None:
    """Forward values and each derivative at the points ``cols`` (one array per input) with the keywords ``kw``."""
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
        result.add(
            ok,
            rel,
            f"value at {vals or 'all points'} {kw}: ours {float(f_ours[pos])!r}, PyTorch {float(f_torch[pos])!r}",
            dev,
        )
    for wrt in rule.derivatives:
        grad = tensors[wrt].grad
        if grad is not None:
            _compare_gradient(
                rule, cp, result, cols, kw, wrt, _exact(rule.derivative_at, *values, wrt=wrt, **kw), grad.numpy()
            )


def _compare_gradient(
    rule: Rule,
    cp: Counterpart,
    result: Result,
    cols: dict[str, np.ndarray],
    kw: dict[str, Any],
    wrt: str,
    ours: np.ndarray,
    theirs: np.ndarray,
) -> None:
    """Each element of our derivative ∂/∂``wrt`` against PyTorch's gradient."""
    for idx in range(len(theirs)):
        vals = {k: float(v[idx]) for k, v in cols.items()}
        tol, dev = _tolerance(cp, vals, kw)
        ok, rel = _close(float(ours[idx]), float(theirs[idx]), tol)
        result.add(ok, rel, f"d/d{wrt} at {vals} {kw}: ours {float(ours[idx])!r}, PyTorch {float(theirs[idx])!r}", dev)


def _check_vector(rule: Rule, cp: Counterpart, torch: Any, result: Result) -> None:
    """Every parameter set, at lengths 2, 3 and 5, four random points each, and the counterpart's listed points
    (ties, zeros), every reduction."""
    for params in _param_sets(rule):
        fparams = _float_params(params)
        for size in (2, 3, 5):
            rng = rng_for(rule.id, "torch-vector", size, tuple(sorted(map(str, params.items()))))
            for _ in range(4):
                values = _vector_inputs(rule, size, rng)
                for red in _reductions(rule):
                    _compare_vector(rule, cp, torch, result, values, _with_reduction(fparams, red))
        for point in cp.points:
            values = {k: np.asarray(v, dtype=float) for k, v in point.items()}
            for red in _reductions(rule):
                _compare_vector(rule, cp, torch, result, values, _with_reduction(fparams, red))


def _check_matrix(rule: Rule, cp: Counterpart, torch: Any, result: Result) -> None:
    """Random non-symmetric matrices: square ones 2I + 0.3N (invertible, positive determinant), others 0.3N;
    symmetric inputs symmetrized, simplex inputs with rows of probabilities. Every dimension is 2, 3, 4, and
    with several dimensions also alternately one larger, so that products are non-square."""
    dims = dimensions(rule)
    for size in (2, 3, 4):
        for shift in (0, 1) if len(dims) > 1 else (0,):
            sizes = {d: size + shift * (k % 2) for k, d in enumerate(dims)}
            rng = np.random.default_rng(size + 10 * shift)
            for _ in range(3):
                values = {inp.name: _matrix_value(inp, sizes, rng) for inp in rule.inputs}
                for params in _param_sets(rule):
                    _compare_vector(rule, cp, torch, result, values, _float_params(params))


def _compare_vector(
    rule: Rule, cp: Counterpart, torch: Any, result: Result, values: dict[str, Any], kw: dict[str, Any]
) -> None:
    """Forward values and each Jacobian (autograd's) at one point of a vector or matrix rule."""

    def tensor(name: str, v: Any) -> Any:
        if rule.input(name).class_index:
            return torch.tensor(v, dtype=torch.long)
        return torch.tensor(v, dtype=torch.float64)

    tol, dev = _tolerance(cp, values, kw)  # vector inputs are arrays, scalar inputs floats
    f_ours = _exact(rule.evaluate, **values, **kw)
    f_torch = cp.call(torch, {k: tensor(k, v) for k, v in values.items()}, kw).detach().numpy()
    for pos in np.ndindex(np.shape(f_ours)):
        ok, rel = _close(float(f_ours[pos]), float(np.reshape(f_torch, np.shape(f_ours))[pos]), tol)
        result.add(ok, rel, f"value at {values} {kw}", dev)
    for wrt in rule.derivatives:
        if rule.input(wrt).class_index:
            continue

        def fn(t: Any, _wrt: str = wrt) -> Any:
            tensors = {k: (t if k == _wrt else tensor(k, v)) for k, v in values.items()}
            return cp.call(torch, tensors, kw).reshape(np.shape(f_ours))

        theirs = torch.autograd.functional.jacobian(fn, tensor(wrt, values[wrt])).numpy()
        ours = _exact(rule.derivative_at, wrt=wrt, **values, **kw)
        theirs = np.reshape(theirs, np.shape(ours))
        for pos in np.ndindex(np.shape(ours)):
            ok, rel = _close(float(ours[pos]), float(theirs[pos]), tol)
            result.add(
                ok,
                rel,
                f"d/d{wrt}{list(pos)} at {values} {kw}: ours {float(ours[pos])!r}, PyTorch {float(theirs[pos])!r}",
                dev,
            )
