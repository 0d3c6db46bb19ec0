"""Exact values to a requested number of correct digits: the working precision rises until results settle.

A printed formula may cancel (σ(1 − σ) at x = 100 loses 43 digits; 1 − σ(1e4) is an exact 0 below 4343
digits), so one evaluation at ``dps`` digits is not ``dps`` correct digits. :func:`adaptive` doubles the
working precision until two successive results agree, jumps past the digits an exact zero may hide (as
bounded by :mod:`cheatsheet.evaluate.absorption`), and gives up with :class:`PrecisionError`, never with
wrong digits, beyond 100 000 digits or the time budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

from cheatsheet.evaluate.absorption import lost_digits

__all__ = ["BUDGET", "PrecisionError", "adaptive"]

#: Seconds an exact evaluation may take: a step that would end later is not started.
BUDGET = 30.0
_TRUST_ZERO = 1000  # digits: an exact zero is trusted only past this precision, and past its lost digits
_MAX_WORK = 100_000  # digits of working precision at most (1 − σ(x) at x = 2e5 needs 87 000)
_FLAT = 2000  # digits below which a step costs about the same


class PrecisionError(ArithmeticError):
    """``exact=True`` could not reach ``dps`` correct digits within the precision and time limits."""


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


def _run(compute: Callable[[], Any], digits: int) -> tuple[Any, float, float]:
    """``compute()`` at ``digits`` digits: its value, the most digits a zero in it may hide, the seconds taken."""
    begin = time.perf_counter()
    with mpmath.workdps(digits), lost_digits() as lost:
        value = np.asarray(compute(), dtype=object)
    return value, max(lost, default=0.0), time.perf_counter() - begin


def _next_step(name: str, work: int, need: float, dps: int, seconds: float, deadline: float) -> int:
    """The working precision to try after ``work`` digits (which took ``seconds``), or PrecisionError when the
    digits a zero may hide (``need``), the precision limit or the ``deadline`` rule the next step out."""
    step = 2 * work
    if need + dps >= work:  # a zero or non-finite entry may hide more digits than this precision holds
        if need + dps + 15 > _MAX_WORK:
            raise PrecisionError(
                f"{name}: cannot give {dps} correct digits here: the printed formula cancels at this point, and "
                f"resolving it needs up to {need + dps:.3g} digits of working precision (the limit is {_MAX_WORK}); "
                "evaluate nearer 0, or in float64 (exact=False)"
            )
        step = max(step, math.ceil(need) + dps + 15)
    if step > _MAX_WORK:
        if work >= _MAX_WORK:
            raise PrecisionError(
                f"{name}: the exact value did not settle to {dps} digits within {_MAX_WORK} digits of working "
                "precision; evaluate in float64 (exact=False) or with fewer digits (dps)"
            )
        step = _MAX_WORK
    # mpmath's cost is mostly overhead below a few thousand digits, then grows like digits^1.6 (measured)
    estimate = seconds * (max(step, _FLAT) / max(work, _FLAT)) ** 1.7
    if time.perf_counter() + estimate > deadline:
        raise PrecisionError(
            f"{name}: cannot give {dps} correct digits within {BUDGET:.0f} s: the next step, at {step} digits, "
            f"would take about {estimate:.0f} s; use fewer digits (dps), fewer entries, or float64 (exact=False)"
        )
    return step


def adaptive(name: str, compute: Callable[[], Any], dps: int, deadline: float) -> Any:
    """``compute()`` in mpmath, correct to ``dps`` digits: the working precision doubles until two
    successive results agree, since a printed formula may cancel (σ(1 − σ) at x = 100 loses 43 digits).

    A zero or non-finite entry may come from a total cancellation: σ(1e4) is 1 below 4343 digits, so
    σ(1 − σ) is an exact 0 there, though the value is 1.1e-4343. The evaluator reports how many digits such
    an entry may have lost (:func:`cheatsheet.evaluate.absorption.lost_digits`), and the precision jumps past them.
    Bounded: at most _MAX_WORK digits and no step started that would end after ``deadline`` (a
    ``time.perf_counter`` value); beyond either, :class:`PrecisionError` (its message starting with ``name``)
    says so rather than returning digits that are not correct.
    """
    work = dps + 15
    previous, need, seconds = _run(compute, work)
    while True:
        step = _next_step(name, work, need, dps, seconds, deadline)
        current, need_now, seconds = _run(compute, step)
        with mpmath.workdps(step):
            tol = mpmath.mpf(10) ** (-dps - 3)
            lost = max(need, need_now)
            agree = all(
                _agree(a, b, step, lost, dps, tol) for a, b in zip(previous.ravel(), current.ravel(), strict=True)
            )
        work, need = step, need_now
        if agree:
            break
        previous = current
    with mpmath.workdps(dps):
        rounded = np.vectorize(lambda v: +v, otypes=[object])(current) if current.ndim else +current.item()
    return rounded
