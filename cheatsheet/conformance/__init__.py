"""Conformance with PyTorch: every rule with a PyTorch counterpart is compared with float64 autograd on
a grid, at random points and exactly at its kinks.

The reference is the rule's own verified formula evaluated exactly (mpmath), so a difference is a
difference between PyTorch and the mathematics, not between two float computations. The tolerance is
strict (1e-12 relative or 1e-14 absolute); PyTorch's own known inaccuracies (FINDINGS §2) are listed
one by one as :class:`Deviation` entries with their reason, never hidden by a looser default.

The package: :mod:`~cheatsheet.conformance.model` (tolerances, :class:`Counterpart`, :class:`Deviation`),
:mod:`~cheatsheet.conformance.counterpart` (a rule's counterpart: an adapter from the family modules
``scalar``, ``activations``, ``softmax``, ``losses``, ``normalization``, ``matrix``, or the callable its
``torch`` field names), :mod:`~cheatsheet.conformance.compare` (the comparison, :func:`check_rule`).
"""

from __future__ import annotations

from cheatsheet.conformance.compare import Result, check_rule
from cheatsheet.conformance.counterpart import counterpart, torch_available
from cheatsheet.conformance.model import ABS_TOL, REL_TOL, Counterpart, Deviation

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
