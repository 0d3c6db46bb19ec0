"""Wrong variants of a rule, generated mechanically, that the verifier must reject.

Operators on the claimed derivative: a perturbed constant, a flipped sign, a dropped term, a swapped
function, a transposed matrix; on the kinks: a wrong convention value; on a derivation: a wrong step. A
mutant that the verifier accepts means the verifier is too weak (or the operator made an equivalent
formula); the mutation test requires every mutant to be rejected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.notation import Phi, phi, sigmoid, softplus
from cheatsheet.rule import Rule

__all__ = ["Mutant", "mutants"]


@dataclass(frozen=True)
class Mutant:
    """A wrong variant of ``original``: which operator made it and what it changed."""

    rule: Rule
    operator: str
    description: str


_SWAPS: dict[type, Callable[[sp.Expr], sp.Expr]] = {
    sp.sin: sp.cos,
    sp.cos: sp.sin,
    sp.sinh: sp.cosh,
    sp.cosh: sp.sinh,
    sp.tanh: sigmoid,
    sigmoid: sp.tanh,
    sp.exp: sp.cosh,
    sp.log: sp.sqrt,
    sp.sqrt: sp.log,
    sp.atan: sp.tanh,
    sp.erf: sp.tanh,
    sp.erfc: sp.exp,
    Phi: sigmoid,
    phi: sigmoid,
    softplus: sp.exp,
    sp.Abs: sp.sqrt,
    sp.sign: sp.tanh,
}


# matrix atoms whose arguments are their dimensions (x is MatrixSymbol("x", n, 1): its 1 is no constant)
_SHAPED: tuple[type, ...] = (sp.MatrixSymbol, sp.Identity, sp.ZeroMatrix, sp.OneMatrix)


def _value_nodes(expr: sp.Basic) -> Iterator[sp.Basic]:
    """Nodes of ``expr`` that carry value (not Piecewise conditions, indices or summation limits)."""
    yield expr
    if isinstance(expr, sp.Piecewise):
        for val, _ in expr.args:
            yield from _value_nodes(val)
        return
    if isinstance(
        expr, (sp.Indexed, sp.KroneckerDelta, sp.Derivative, sp.Subs, sp.Tuple, sp.Inverse, sp.MatPow, *_SHAPED)
    ):
        return  # indices, derivative orders, substitution points, matrix powers and dimensions are not values
    if isinstance(expr, sp.Sum):
        yield from _value_nodes(expr.function)
        return
    for a in expr.args:
        yield from _value_nodes(a)


def _replace_node(expr: sp.Basic, old: sp.Basic, new: sp.Basic) -> sp.Basic:
    """``expr`` with the first occurrence (in value position) of ``old`` replaced by ``new``."""
    done = [False]

    def walk(e: sp.Basic) -> sp.Basic:
        if done[0]:
            return e
        if e is old or (e == old and type(e) is type(old)):
            done[0] = True
            return new
        if isinstance(e, (sp.Indexed, sp.KroneckerDelta, sp.Derivative, sp.Subs, sp.Tuple, *_SHAPED)) or not e.args:
            return e
        if isinstance(e, sp.Piecewise):
            return sp.Piecewise(*[(walk(v), c) for v, c in e.args])
        if isinstance(e, sp.Sum):
            return sp.Sum(walk(e.function), *e.limits)
        return e.func(*[walk(a) for a in e.args])

    with evaluate(True):
        return walk(expr)


def _perturb_constant(expr: sp.Basic) -> tuple[sp.Basic, str] | None:
    if expr.is_zero:
        return sp.Rational(1, 3), "derivative 0 -> 1/3"
    for node in _value_nodes(expr):
        if isinstance(node, sp.Number) and node not in (0,):
            new = node + sp.Rational(1, 3)
            return _replace_node(expr, node, new), f"constant {node} -> {new}"
    with evaluate(True):
        return sp.Rational(3, 2) * expr, "whole derivative scaled by 3/2"


def _flip_sign(expr: sp.Basic) -> tuple[sp.Basic, str] | None:
    if expr.is_zero:
        return None  # -0 is 0: not a mutant
    for node in _value_nodes(expr):
        if isinstance(node, sp.Add) and len(node.args) >= 2:
            term = node.args[-1]
            with evaluate(True):
                new = sp.Add(*node.args[:-1], -term)
            return _replace_node(expr, node, new), f"sign of the term {term} flipped"
    with evaluate(True):
        return -expr, "sign of the whole derivative flipped"


def _drop_term(expr: sp.Basic) -> tuple[sp.Basic, str] | None:
    for node in _value_nodes(expr):
        if isinstance(node, sp.Add) and len(node.args) >= 2:
            # drop a term that is not a bare number, so that the change is not a mere constant shift
            terms = [t for t in node.args if not t.is_Number] or list(node.args)
            term = terms[-1]
            with evaluate(True):
                new = sp.Add(*[t for t in node.args if t is not term])
            return _replace_node(expr, node, new), f"term {term} dropped"
    return None


def _swap_function(expr: sp.Basic) -> tuple[sp.Basic, str] | None:
    for node in _value_nodes(expr):
        if isinstance(node, sp.Function) and type(node) in _SWAPS and len(node.args) == 1:
            other = _SWAPS[type(node)]
            with evaluate(True):
                new = other(node.args[0])
            return _replace_node(
                expr, node, new
            ), f"{type(node).__name__} swapped for {getattr(other, '__name__', other)}"
        if isinstance(node, sp.Pow) and node.exp == sp.S.Half:
            with evaluate(True):
                new = sp.log(1 + node.base)
            return _replace_node(expr, node, new), "sqrt swapped for log(1 + ·)"
    return None


def _transpose(expr: sp.Basic) -> tuple[sp.Basic, str] | None:
    if not isinstance(expr, sp.MatrixExpr):
        return None
    with evaluate(True):
        if isinstance(expr, sp.Transpose):
            return expr.arg, "transpose dropped"
        return expr.T, "result transposed"


_OPERATORS: dict[str, Callable[[sp.Basic], tuple[sp.Basic, str] | None]] = {
    "constant": _perturb_constant,
    "sign": _flip_sign,
    "drop-term": _drop_term,
    "swap-function": _swap_function,
    "transpose": _transpose,
}


def _with_derivative(rule: Rule, wrt: str, expr: sp.Basic) -> Rule:
    derivative = tuple((w, expr if w == wrt else e) for w, e in rule.derivative)
    stable = tuple((w, e) for w, e in rule.stable_derivative if w != wrt)
    return dataclasses.replace(rule, derivative=derivative, stable_derivative=stable)


def _wrong_step(rule: Rule) -> Mutant | None:
    """The derivation with one step perturbed (its middle step: a flipped sign, else a perturbed constant)."""
    d = rule.derivation
    if d is None:
        return None
    middle = len(d.steps) // 2
    for idx in [middle] + [k for k in range(len(d.steps)) if k != middle]:
        step = d.steps[idx]
        expr = sp.sympify(step.expr)
        for op in (_flip_sign, _perturb_constant):
            made = op(expr)
            if made is None or made[0] == expr:
                continue
            steps = list(d.steps)
            steps[idx] = dataclasses.replace(step, expr=made[0])
            wrong = dataclasses.replace(d, steps=tuple(steps))
            return Mutant(
                dataclasses.replace(rule, derivation=wrong),
                "wrong-step",
                f"derivation step {idx + 1} ({step.why}): {made[1]}",
            )
    return None


def mutants(rule: Rule) -> list[Mutant]:
    """Every applicable wrong variant of ``rule`` (one per operator and derivative, plus kink values and a
    wrong derivation step)."""
    out: list[Mutant] = []
    for wrt, expr in rule.derivative:
        expr = sp.sympify(expr)
        for name, op in _OPERATORS.items():
            if name == "transpose" and rule.shape != "matrix":
                continue
            made = op(expr)
            if made is None:
                continue
            new, what = made
            if new == expr:
                continue
            out.append(Mutant(_with_derivative(rule, wrt, new), name, f"∂/∂{wrt}: {what}"))
    for idx, kink in enumerate(rule.kinks):
        with evaluate(True):
            wrong = sp.sympify(kink.torch) + 1
        kinks = list(rule.kinks)
        kinks[idx] = dataclasses.replace(kink, torch=wrong)
        out.append(
            Mutant(
                dataclasses.replace(rule, kinks=tuple(kinks)),
                "kink-value",
                f"PyTorch's value at {kink.at} stated as {wrong} instead of {kink.torch}",
            )
        )
    step = _wrong_step(rule)
    if step is not None:
        out.append(step)
    return out
