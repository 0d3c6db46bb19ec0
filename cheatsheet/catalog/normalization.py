"""Normalization layers: input gradients of layer_norm, batch_norm (training statistics), rms_norm,
normalize (L2)."""

from __future__ import annotations

from cheatsheet.rule import Rule

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = ()
