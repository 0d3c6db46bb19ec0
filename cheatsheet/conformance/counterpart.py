"""A rule's PyTorch counterpart: an adapter from the family modules of this package, or a call of the callable
its ``torch`` field names, found by attribute look-up (never eval).

A rule whose ``torch`` field names a callable (``"torch.exp"``, ``"torch.nn.functional.gelu"``, ``"F.gelu"``) is
called with its inputs positionally, its numeric parameters and ``reduction`` as keywords, plus its
``torch_kwargs``. Rules that need more (a different argument layout, a batch dimension) have an adapter in the
``COUNTERPARTS`` table of their family's module.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cheatsheet.catalog import MODULES
from cheatsheet.conformance.model import Counterpart

if TYPE_CHECKING:
    from cheatsheet.rule import Rule

__all__ = ["counterpart", "torch_available"]

#: One adapter module per catalog module (general rules, of abstract f and g, have no PyTorch counterpart).
_FAMILY_MODULES = tuple(m for m in MODULES if m != "general")


def torch_available() -> bool:
    """True when PyTorch can be imported."""
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def _resolve(torch: Any, dotted: str) -> Callable[..., Any]:
    """``"torch.nn.functional.gelu"`` -> the callable, by attribute look-up (never eval)."""
    parts = dotted.split(".")
    if parts[0] == "F":
        parts = ["torch", "nn", "functional", *parts[1:]]
    if parts[0] != "torch":
        raise ValueError(f"PyTorch counterpart {dotted!r} must start with 'torch.' or 'F.'")
    obj: Any = torch
    for p in parts[1:]:
        obj = getattr(obj, p)
    fn: Callable[..., Any] = obj
    return fn


def _adapters() -> dict[str, Counterpart]:
    """Rule id -> adapter, from the ``COUNTERPARTS`` of every family module."""
    out: dict[str, Counterpart] = {}
    for name in _FAMILY_MODULES:
        try:
            module = importlib.import_module(f"cheatsheet.conformance.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"cheatsheet.conformance.{name}":
                raise
            continue
        out.update(getattr(module, "COUNTERPARTS", {}))
    return out


def counterpart(rule: Rule) -> Counterpart | None:
    """The PyTorch counterpart of ``rule``: its adapter, or a call of the callable its ``torch`` names."""
    adapters = _adapters()
    if rule.id in adapters:
        return adapters[rule.id]
    if not rule.torch:
        return None
    dotted = rule.torch
    fixed = dict(rule.torch_kwargs)
    names = [inp.name for inp in rule.inputs]

    def call(torch: Any, tensors: dict[str, Any], params: dict[str, Any]) -> Any:
        fn = _resolve(torch, dotted)
        with warnings.catch_warnings():  # e.g. kl_div's note that 'mean' will change: we test every reduction
            warnings.simplefilter("ignore", UserWarning)
            return fn(*[tensors[nm] for nm in names], **params, **fixed)

    return Counterpart(call)
