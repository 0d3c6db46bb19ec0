"""Dispatch by class: the handler of an expression node is the one registered for the nearest class in its MRO.

The evaluators walk sympy trees with one handler per kind of node, as sympy's printers do with their
``_print_<Class>`` methods. A table keyed by class (rather than by class name) cannot be fooled by an unrelated
class of the same name, and walking the MRO lets a subclass (``Inverse`` is a ``MatPow``, ``MatMul`` a ``Mul``)
take its own handler when it has one and its base's otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["ByClass"]

H = TypeVar("H", bound=Callable[..., Any])


class ByClass(Generic[H]):
    """Handlers registered per class, found along a class's MRO (the most specific class first)."""

    def __init__(self) -> None:
        self._table: dict[type, H] = {}
        self._found: dict[type, H | None] = {}  # per concrete class: the walks of the MRO already done

    def register(self, *classes: type) -> Callable[[H], H]:
        """A decorator registering its function as the handler of each of ``classes``."""

        def add(handler: H) -> H:
            for cls in classes:
                self._table[cls] = handler
            self._found.clear()
            return handler

        return add

    def find(self, cls: type) -> H | None:
        """The handler of the first class in ``cls.__mro__`` that has one, or None."""
        try:
            return self._found[cls]
        except KeyError:
            pass
        handler = next((self._table[c] for c in cls.__mro__ if c in self._table), None)
        self._found[cls] = handler
        return handler
