"""Conformance with PyTorch: every rule with a PyTorch counterpart agrees with float64 autograd on a grid,
at random points and exactly at its kinks; PyTorch's known inaccuracies are listed, used and narrow.

PyTorch is an optional extra. `.ci/run` installs it and sets CHEATSHEET_REQUIRE_TORCH=1, so that in CI a
missing torch fails these tests instead of skipping them.
"""

from __future__ import annotations

import math
import os
from typing import Any

import pytest

import cheatsheet
from cheatsheet.conformance import REL_TOL, check_rule, counterpart

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


def test_special_function_conventions_stated_in_notes_are_pytorchs(torch: Any) -> None:
    """The notes of xlogy, xlog1py, entr, hypot and atan2 state PyTorch's values outside the rules' domains."""

    def grad(fn, *vals):  # type: ignore[no-untyped-def]
        ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in vals]
        out = fn(*ts)
        out.backward()
        return [float(out)] + [float(t.grad) for t in ts]

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

    def grad(fn, *vals):  # type: ignore[no-untyped-def]
        ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in vals]
        out = fn(*ts)
        out.backward()
        return [float(out)] + [float(t.grad) for t in ts]

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
