"""Conformance with PyTorch: every rule with a PyTorch counterpart agrees with float64 autograd on a grid,
at random points and exactly at its kinks; PyTorch's known inaccuracies are listed, used and narrow.

PyTorch is an optional extra. `.ci/run` installs it and sets CHEATSHEET_REQUIRE_TORCH=1, so that in CI a
missing torch fails these tests instead of skipping them.
"""

from __future__ import annotations

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
