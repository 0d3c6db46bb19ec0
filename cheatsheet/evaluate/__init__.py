"""Evaluation of rules: definitions expanded, float64 and exact (mpmath) values, index and matrix notation.

The modules, each one job, in the order they build on each other:

- :mod:`~cheatsheet.evaluate.dispatch`: handlers by class along the MRO, for the tree walks below;
- :mod:`~cheatsheet.evaluate.expand`: a rule's printed expressions made concrete (definitions substituted,
  notation elementary, vectors and matrices at an explicit size), for the verifier and exact evaluation;
- :mod:`~cheatsheet.evaluate.backends`: float64 numpy or mpmath numbers and their elementary functions;
- :mod:`~cheatsheet.evaluate.absorption`: the digits an mpmath result may have lost, so a zero is not trusted early;
- :mod:`~cheatsheet.evaluate.tensor`: index notation (x_i, Σ_k, δ_ij) evaluated on arrays;
- :mod:`~cheatsheet.evaluate.matrix`: matrix expressions (tr, det, ⁻¹, ⊗, vec) evaluated on arrays;
- :mod:`~cheatsheet.evaluate.arguments`: what a caller passes, checked and bound like a Python call;
- :mod:`~cheatsheet.evaluate.precision`: exact values to the requested digits, the precision rising until they settle;
- :mod:`~cheatsheet.evaluate.numeric`: the executable table behind ``Rule.evaluate``, ``derivative_at`` and
  ``to_numpy``.

Nothing here imports :class:`~cheatsheet.rule.Rule` except for type hints, so the rule model's facades
can call in without an import cycle.
"""
