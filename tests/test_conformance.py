"""Conformance with PyTorch: every rule with a PyTorch counterpart agrees with float64 autograd on a grid,
at random points and exactly at its kinks; PyTorch's known inaccuracies are listed, used and narrow.

PyTorch is an optional extra. `.ci/run` installs it and sets CHEATSHEET_REQUIRE_TORCH=1, so that in CI a
missing torch fails these tests instead of skipping them.
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any

import pytest

import cheatsheet
from cheatsheet.conformance import REL_TOL, check_rule, counterpart
from cheatsheet.notation import Indicator

#: PyTorch's autograd on every rule with a counterpart takes over a minute: part of `make test`, not of the fast loop.
pytestmark = pytest.mark.slow

WITH_TORCH = [r for r in cheatsheet.rules() if counterpart(r) is not None]


@pytest.fixture(scope="module")
def torch() -> Any:
    """PyTorch, imported when a test runs (not at collection: the import takes seconds)."""
    if os.environ.get("CHEATSHEET_REQUIRE_TORCH") == "1":
        import torch

        return torch
    return pytest.importorskip("torch")


def test_most_rules_have_a_counterpart() -> None:
    """Every family that PyTorch covers is compared (general rules have no counterpart)."""
    covered = {r.family for r in WITH_TORCH}
    assert {"scalar", "activation", "softmax", "loss"} <= covered
    assert len(WITH_TORCH) >= 60


@pytest.mark.parametrize("rule", WITH_TORCH, ids=[r.id for r in WITH_TORCH])
def test_conforms_to_pytorch_autograd(rule: cheatsheet.Rule, torch: Any) -> None:
    result = check_rule(rule, torch)
    assert result.status == "conforms", f"{rule.id}: {result.summary()}"
    assert result.points >= 10


@pytest.mark.parametrize("rule", [r for r in WITH_TORCH if counterpart(r).deviations], ids=lambda r: r.id)
def test_known_deviations_are_needed_and_narrow(rule: cheatsheet.Rule, torch: Any) -> None:
    """Each listed PyTorch inaccuracy is met at least once (no stale entry) and is looser than the default."""
    cp = counterpart(rule)
    result = check_rule(rule, torch)
    for dev in cp.deviations:
        assert dev.tolerance > REL_TOL and dev.reason
        assert dev.reason in result.deviations_used, f"{rule.id}: deviation never needed: {dev.reason}"


def _value_and_grads(torch: Any, fn: Any, *vals: float) -> list[float]:
    """``[fn(*vals), ∂fn/∂vals[0], ...]`` from PyTorch's float64 autograd at one point."""
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in vals]
    out = fn(*ts)
    out.backward()
    return [float(out.detach())] + [float(t.grad) for t in ts]


def test_special_function_conventions_stated_in_notes_are_pytorchs(torch: Any) -> None:
    """The notes of xlogy, xlog1py, entr, hypot and atan2 state PyTorch's values outside the rules' domains."""

    grad = functools.partial(_value_and_grads, torch)

    value, dx, dy = grad(torch.xlogy, 0.0, 0.0)
    assert value == 0.0 and dx == 0.0 and math.isnan(dy)
    value, dx, dy = grad(torch.special.xlog1py, 0.0, -1.0)
    assert value == 0.0 and dx == 0.0 and math.isnan(dy)
    assert grad(torch.special.entr, 0.0) == [0.0, math.inf]
    value, slope = grad(torch.special.entr, -1.0)
    assert value == -math.inf and math.isnan(slope)
    assert all(math.isnan(v) for v in grad(torch.hypot, 0.0, 0.0)[1:])
    assert grad(torch.atan2, 0.0, 0.0)[1:] == [0.0, 0.0]


def test_piecewise_conventions_stated_in_notes_are_pytorchs(torch: Any) -> None:
    """clamp passes 1 at its bounds, the rounding ops pass 0 (frac 1) at their jumps, round ties to even, fmod and
    remainder give -trunc(x/y) and -floor(x/y) w.r.t. y at a jump, copysign 0 at x = 0: PyTorch's values, and the
    rules' printed derivatives give the same."""

    grad = functools.partial(_value_and_grads, torch)

    clamp = cheatsheet.get("clamp")
    for bound in (-1.0, 1.0):
        assert grad(lambda t: torch.clamp(t, min=-1.0, max=1.0), bound)[1] == 1.0 == clamp.derivative_at(bound)
    assert grad(lambda t: torch.clamp(t, min=2.0, max=1.0), 1.5) == [1.0, 0.0]  # min > max: max, slope 0
    for rid, fn, jumps in (
        ("floor", torch.floor, (0.0, 1.0, -3.0)),
        ("ceil", torch.ceil, (0.0, 1.0, -3.0)),
        ("round", torch.round, (0.5, -0.5, 2.5)),
        ("trunc", torch.trunc, (1.0, -1.0, 4.0)),
        ("frac", torch.frac, (1.0, -1.0, 4.0)),
    ):
        rule = cheatsheet.get(rid)
        for at in jumps:
            value, slope = grad(fn, at)
            assert value == rule.evaluate(at) and slope == rule.derivative_at(at), (rid, at)
    assert [grad(torch.round, v)[0] for v in (0.5, 1.5, 2.5, -2.5)] == [0.0, 2.0, 2.0, -2.0]
    for rid, fn in (("fmod", torch.fmod), ("remainder", torch.remainder)):
        rule = cheatsheet.get(rid)
        for x, y in ((3.0, 3.0), (6.0, 2.0), (-6.0, 2.0), (0.0, 3.0)):
            _, dx, dy = grad(fn, x, y)
            assert (dx, dy) == (rule.derivative_at(x, y, wrt="input"), rule.derivative_at(x, y, wrt="other"))
    copysign = cheatsheet.get("copysign")
    for y in (1.0, -1.0, 0.0):
        _, dx, dy = grad(torch.copysign, 0.0, y)
        assert dx == 0.0 == copysign.derivative_at(0.0, y) and dy == 0.0
    assert grad(torch.copysign, -2.0, 0.0)[0] == 2.0 == copysign.evaluate(-2.0, 0.0)  # y = +0 is positive


def test_sinc_is_pytorchs_normalized_sinc_and_the_old_one_is_renamed() -> None:
    """``sinc`` is PyTorch's sin(πx)/(πx) (zero at 1, slope −1 there); the unnormalized sin(x)/x that had the id
    is ``sinc_unnormalized``, and the new rule's note names it."""
    new, old = cheatsheet.get("sinc"), cheatsheet.get("sinc_unnormalized")
    assert new.evaluate(1.0, exact=True) == 0 and abs(new.evaluate(1.0)) < 1e-16  # numpy's sinc rounds sin(π)
    assert new.evaluate(0.0) == 1.0 and new.derivative_at(0.0) == 0.0
    assert new.derivative_at(1.0) == pytest.approx(-1.0, rel=1e-15)
    assert old.evaluate(math.pi / 2) == pytest.approx(2 / math.pi, rel=1e-15)
    assert "sinc_unnormalized" in " ".join(new.notes) and new.torch == "torch.sinc" and old.torch is None


def test_reduction_conventions_are_compared_where_pytorch_takes_them(torch: Any) -> None:
    """prod and cumprod at zeros, amax and amin at ties, std at a constant input, norm at 0 and dist at x = y: the
    rules' printed derivatives give PyTorch's values there, and the conformance check visits those points (random
    ones never do)."""
    for rid in ("prod", "cumprod", "amax", "amin", "std", "norm", "dist"):
        assert counterpart(cheatsheet.get(rid)).points, f"{rid}: no convention points listed"
    prod, amax, amin = cheatsheet.get("prod"), cheatsheet.get("amax"), cheatsheet.get("amin")
    assert prod.derivative_at([2.0, 0.0, -3.0]).tolist() == [0.0, -6.0, 0.0]  # one zero: the others' product there
    assert prod.derivative_at([0.0, 2.0, 0.0]).tolist() == [0.0, 0.0, 0.0]  # two zeros: 0 everywhere
    assert amax.derivative_at([1.0, 3.0, 3.0]).tolist() == [0.0, 0.5, 0.5]  # ties share evenly
    assert amin.derivative_at([2.0, 2.0, 2.0]).tolist() == pytest.approx([1 / 3] * 3, rel=1e-15)
    assert cheatsheet.get("norm").derivative_at([0.0, 0.0]).tolist() == [0.0, 0.0]
    for x, want in (([2.0, 0.0, -3.0], [0.0, -6.0, 0.0]), ([0.0, 2.0, 0.0], [0.0, 0.0, 0.0])):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        torch.prod(t).backward()
        assert t.grad.tolist() == want
    t = torch.tensor([1.0, 3.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.amax(t).backward()
    assert t.grad.tolist() == [0.0, 0.5, 0.5]
    for rid in ("prod", "cumprod", "amax", "amin", "std", "norm", "dist"):
        plain = check_rule(cheatsheet.get(rid), torch)
        assert plain.status == "conforms", f"{rid}: {plain.summary()}"


def test_std_and_cosine_similarity_notes_state_pytorchs_behaviour(torch: Any) -> None:
    """std's note: at a constant input (s = 0) PyTorch's gradient is 0, as the printed derivative says.
    cosine_similarity's note: below eps PyTorch's value divides by eps, but its gradient still differentiates the
    norm (it is not the derivative of the value)."""
    assert any("PyTorch returns 0" in note for note in cheatsheet.get("std").notes)
    t = torch.tensor([2.0, 2.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.std(t).backward()
    assert t.grad.tolist() == [0.0, 0.0, 0.0] == cheatsheet.get("std").derivative_at([2.0, 2.0, 2.0]).tolist()
    eps = 1e-8
    x1 = torch.tensor([1e-9, 2e-9, -1e-9], dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    value = torch.nn.functional.cosine_similarity(x1, x2, dim=-1)
    value.backward()
    x2_hat = x2 / x2.norm()
    assert float(value.detach()) == pytest.approx(float((x1.detach() / eps * x2_hat).sum()), rel=1e-12)
    clamped_derivative = x2_hat / eps  # the value is x1·x̂2/eps: linear in x1
    through_the_norm = clamped_derivative - (x1.detach() * x2_hat).sum() / eps**2 * x1.detach() / x1.detach().norm()
    assert not torch.allclose(x1.grad, clamped_derivative, rtol=1e-3)
    assert torch.allclose(x1.grad, through_the_norm, rtol=1e-12)
    assert "not the derivative of the clamped value" in " ".join(cheatsheet.get("cosine_similarity").notes)


def test_a_wrong_tie_convention_is_caught_at_the_listed_points(torch: Any) -> None:
    """amax with the whole gradient sent to every tied entry (no sharing) agrees with PyTorch at random points
    but differs at the listed ties: the convention points are what checks the convention."""
    import dataclasses

    import sympy as sp

    from cheatsheet.catalog._common import X, i
    from cheatsheet.catalog.reductions import MAX

    rule = cheatsheet.get("amax")
    unshared = dataclasses.replace(rule, derivative=(("input", Indicator(sp.Eq(X[i], MAX.symbol))),))
    result = check_rule(unshared, torch)
    assert result.status == "differs" and "array([1., 3., 3.])" in result.worst, result.summary()
