"""The catalog: one data module per family, each exporting a ``RULES`` tuple.

Modules hold data only (pygments-style: no registration magic). :func:`load` collects them in the
sheet's family order and checks that ids are unique.
"""

from __future__ import annotations

import functools
import importlib

from cheatsheet.rule import FAMILIES, Rule, RuleError

__all__ = ["MODULES", "load"]

#: The catalog modules, in the order their rules appear on the sheet.
MODULES: tuple[str, ...] = (
    "general",
    "scalar",
    "piecewise",
    "special",
    "activations",
    "softmax",
    "reductions",
    "losses",
    "normalization",
    "matrix",
)


@functools.cache
def load() -> tuple[Rule, ...]:
    """Every rule of the catalog, grouped by family in the sheet's order, then in declaration order."""
    rules: list[Rule] = []
    for name in MODULES:
        module = importlib.import_module(f"cheatsheet.catalog.{name}")
        rules.extend(module.RULES)
    seen: dict[str, Rule] = {}
    for r in rules:
        if r.id in seen:
            raise RuleError(f"rule id {r.id!r} is defined twice (families {seen[r.id].family!r} and {r.family!r})")
        seen[r.id] = r
    order = {f: k for k, f in enumerate(FAMILIES)}
    return tuple(sorted(rules, key=lambda r: order[r.family]))
