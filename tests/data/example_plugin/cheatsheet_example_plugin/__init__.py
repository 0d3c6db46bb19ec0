"""An example plugin catalog: the entry point ``cheatsheet.catalogs`` -> ``catalog``."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.rule import Input, Rule

__all__ = ["catalog"]


def catalog() -> list[Rule | Traversable]:
    """The plugin's rules: one written in Python, and a TOML file shipped inside the package."""
    x = sp.Symbol("x", real=True)
    with evaluate(False):  # keep the order of terms as written, like the built-in catalog
        cube = Rule(
            id="example_cube",
            title="Cube (example plugin)",
            family="custom",
            inputs=(Input("input", x, sp.S.Reals),),
            function=x**3,
            derivative=3 * x**2,
            notes=("Shipped by the example plugin as a Python Rule object.",),
            references=("tests/data/example_plugin",),
        )
    return [cube, resources.files(__name__) / "rules.toml"]
