"""The checks a rule runs on itself when it is built: ids, families, inputs, parameters, symbols, derivations.

:class:`cheatsheet.rule.Rule` calls :func:`validate` from ``__post_init__``; a failure is a :class:`RuleError`
whose message names the rule, what was expected and what was got, and whose ``field`` points at the key to blame
(a rule file's reader uses it to show the line). Kept apart from the data classes so that each module has one job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.core.function import AppliedUndef

from cheatsheet.names import did_you_mean, is_identifier, is_rule_id
from cheatsheet.notation import i as _i
from cheatsheet.notation import j as _j
from cheatsheet.notation import k as _k
from cheatsheet.notation import n as _n

if TYPE_CHECKING:
    from cheatsheet.rule import Derivation, Param, Rule

__all__ = ["FAMILIES", "RuleError", "validate"]


class RuleError(ValueError):
    """A rule's data is inconsistent; the message says which rule, what was expected and what was got.

    ``field`` names the offending field as a path into the rule where one is to blame, such as ``("family",)``,
    ``("params", 0, "default")`` or ``("derivative", "x")`` (a rule file's reader points at that key), else ``()``.
    """

    def __init__(self, message: str, field: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.field = field


def _fail(rule_id: str, what: str, *field: str | int) -> RuleError:
    return RuleError(f"rule {rule_id!r}: {what}", field)


#: Families in the order the sheet presents them, with their section titles.
FAMILIES: dict[str, str] = {
    "general": "General rules",
    "scalar": "Scalar functions",
    "special": "Special functions",
    "activation": "Activations",
    "softmax": "Softmax family",
    "reduction": "Reductions and scans",
    "loss": "Losses",
    "normalization": "Normalization",
    "matrix": "Matrix calculus",
    "custom": "Custom rules",  # rules a user adds from TOML files or plugins (cheatsheet.checking.rulefile)
}


def _symbols_of(rule: Rule) -> set[sp.Basic]:
    allowed: set[sp.Basic] = {_i, _j, _k, _n}
    for inp in rule.inputs:
        allowed.add(inp.symbol)
        if isinstance(inp.symbol, sp.IndexedBase):
            allowed.add(inp.symbol.label)
        if isinstance(inp.symbol, sp.MatrixSymbol):  # dimensions (n, d, ...) may appear, e.g. 1/√d
            allowed.update(s for dim in inp.symbol.shape for s in sp.sympify(dim).free_symbols)
    for p in rule.params:
        if p.symbol is not None:
            allowed.add(p.symbol)
    for d in rule.where:
        sym = d.symbol
        allowed.add(sym)
        if isinstance(sym, sp.Indexed):
            allowed.add(sym.base)
            allowed.add(sym.base.label)
            allowed.update(sym.indices)
    return allowed


def _free(expr: Any) -> set[sp.Basic]:
    e = sp.sympify(expr)
    out: set[sp.Basic] = set()
    for s in e.free_symbols:
        if not isinstance(s, sp.Indexed):
            out.add(s)
    for ib in e.atoms(sp.Indexed):
        out.add(ib.base)
    return out


def _data_fields(rule: Rule) -> list[tuple[str, Any]]:
    """Every field of the rule that later code passes to ``sympify``, named for an error message."""
    out: list[tuple[str, Any]] = [("function", rule.function), ("stable form", rule.stable)]
    out += [(f"derivative w.r.t. {w!r}", e) for w, e in tuple(rule.derivative) + tuple(rule.stable_derivative)]
    for d in rule.where:
        out += [(f"definition of {d.symbol}", d.value), (f"stable definition of {d.symbol}", d.stable)]
    for kk in rule.kinks:
        out += [(f"kink {name}", getattr(kk, name)) for name in ("at", "left", "right", "torch", "jax")]
        out += [("kink given value", value) for _, value in kk.given]
    for ident in rule.identities:
        out += [("identity", ident.lhs), ("identity", ident.rhs)]
    for p in rule.params:
        out += [(f"parameter {p.name!r} sample", v) for v in p.samples]
    if rule.derivation is not None:
        out += [("derivation step", st.expr) for st in rule.derivation.steps]
    return out


def validate(rule: Rule) -> None:
    """Raise :class:`RuleError` at the first inconsistency of ``rule``'s data, checked in this order."""
    _check_header(rule)
    _check_inputs(rule)
    _check_params(rule)
    _check_derivatives(rule)
    _check_symbols(rule)
    _check_options(rule)
    if rule.derivation is not None:
        _check_derivation(rule, rule.derivation)


def _check_header(rule: Rule) -> None:
    """The id, title and family; every expression a sympy object (text would reach sympify, which runs it)."""
    rid = rule.id
    if not is_rule_id(rid):
        raise _fail(str(rid), f"id must be snake_case (lower-case letters, digits, '_'), got {rid!r}", "id")
    for what, value in _data_fields(rule):
        if value is not None and not isinstance(value, sp.Basic) and (type(value) is not int):
            raise _fail(
                rid,
                f"{what} must be a sympy expression (or an int), got {type(value).__name__}; "
                "read text with cheatsheet.grammar.parse.parse, never sympify",
            )
    if not rule.title.strip():
        raise _fail(rid, "title is empty; expected a short human title such as 'Sigmoid'", "title")
    if rule.family not in FAMILIES:
        hint = did_you_mean(rule.family, list(FAMILIES)) or f" Expected one of {list(FAMILIES)}."
        raise _fail(rid, f"unknown family {rule.family!r}.{hint}", "family")


def _check_inputs(rule: Rule) -> None:
    """At least one input, names distinct identifiers, symbols of the input's shape with agreeing assumptions."""
    rid = rule.id
    if not rule.inputs:
        raise _fail(rid, "has no inputs; expected at least one Input")
    names = [inp.name for inp in rule.inputs]
    if len(set(names)) != len(names):
        raise _fail(rid, f"input names repeat: {names}", "inputs", _first_repeat(names), "name")
    for j, inp in enumerate(rule.inputs):
        if not is_identifier(inp.name):
            raise _fail(rid, f"input name {inp.name!r} is not an identifier", "inputs", j, "name")
        expected_type = {"scalar": sp.Symbol, "vector": sp.IndexedBase, "matrix": sp.MatrixSymbol}[inp.shape]
        if not isinstance(inp.symbol, expected_type):
            raise _fail(
                rid,
                f"input {inp.name!r} has shape {inp.shape!r}: expected a {expected_type.__name__} symbol, got {type(inp.symbol).__name__}",
            )
        if inp.shape == "scalar" and not inp.class_index:
            _check_assumptions(rid, f"input {inp.name!r}", inp.symbol, inp.domain)


def _check_params(rule: Rule) -> None:
    """Parameter names distinct identifiers; a choice's default among its choices, a number's exact and in its domain."""
    rid = rule.id
    pnames = [p.name for p in rule.params]
    if len(set(pnames)) != len(pnames):
        raise _fail(rid, f"parameter names repeat: {pnames}", "params", _first_repeat(pnames), "name")
    for j, p in enumerate(rule.params):
        if not is_identifier(p.name):
            raise _fail(rid, f"parameter name {p.name!r} is not an identifier", "params", j, "name")
        if p.is_choice:
            if p.default not in p.choices:
                raise _fail(
                    rid,
                    f"parameter {p.name!r}: default {p.default!r} is not one of {list(p.choices)}",
                    "params",
                    j,
                    "default",
                )
        else:
            _check_numeric_param(rid, j, p)


def _check_numeric_param(rid: str, j: int, p: Param) -> None:
    if p.symbol is None:
        raise _fail(rid, f"numeric parameter {p.name!r} needs a symbol to print")
    if isinstance(p.default, (bool, float)) or not isinstance(p.default, (int, sp.Basic)):
        raise _fail(
            rid,
            f"parameter {p.name!r}: default must be exact (int or sympy Rational), got {p.default!r}",
            "params",
            j,
            "default",
        )
    if sp.sympify(p.default) not in p.domain:
        raise _fail(
            rid, f"parameter {p.name!r}: default {p.default} lies outside its domain {p.domain}", "params", j, "default"
        )
    _check_assumptions(rid, f"parameter {p.name!r}", p.symbol, p.domain)


def _check_derivatives(rule: Rule) -> None:
    """At least one derivative, each (and each kink) w.r.t. an input; a kink's input has a derivative."""
    rid = rule.id
    names = [inp.name for inp in rule.inputs]
    if not rule.derivative:
        raise _fail(rid, "has no derivative; expected (('input', expr),) naming the input it is taken w.r.t.")
    for wrt, _ in tuple(rule.derivative) + tuple(rule.stable_derivative):
        if wrt not in names:
            raise _fail(
                rid,
                f"derivative w.r.t. {wrt!r}, which is not an input; expected one of the inputs {names}."
                f"{did_you_mean(wrt, names)}",
                "derivative",
                wrt,
            )
    for j, kk in enumerate(rule.kinks):
        if kk.wrt is not None and kk.wrt not in names:
            raise _fail(
                rid,
                f"{kk.wrt!r} is not an input, but the kink at {kk.at} is taken w.r.t. it; expected one of "
                f"the inputs {names}.{did_you_mean(kk.wrt, names)}",
                "kinks",
                j,
                "wrt",
            )
        if (kk.wrt or names[0]) not in dict(rule.derivative):
            raise _fail(
                rid, f"kink at {kk.at} is w.r.t. {kk.wrt or names[0]!r}, which has no derivative", "kinks", j, "wrt"
            )
        _check_given(rule, j)


def _check_given(rule: Rule, j: int) -> None:
    """A kink's ``given`` pins other scalar inputs or numeric parameters to values inside their domains."""
    kk = rule.kinks[j]
    wrt = kk.wrt or rule.inputs[0].name
    domains = {inp.symbol: inp.domain for inp in rule.inputs if inp.shape == "scalar" and inp.name != wrt}
    domains.update({p.symbol: p.domain for p in rule.params if p.symbol is not None})
    for sym, value in kk.given:
        if sym not in domains:
            raise _fail(
                rule.id,
                f"kink at {kk.at} is given {sym} = {value}, but {sym} is neither another scalar input nor a parameter; "
                f"expected one of {sorted(map(str, domains))}",
                "kinks",
                j,
                "given",
            )
        if sp.sympify(value) not in domains[sym]:
            raise _fail(
                rule.id,
                f"kink at {kk.at} is given {sym} = {value}, outside its domain {domains[sym]}",
                "kinks",
                j,
                "given",
            )


def _check_symbols(rule: Rule) -> None:
    """Every free symbol of the formulas is an input, a parameter, a definition or a bound index."""
    allowed = _symbols_of(rule)
    undefined = rule.function.atoms(AppliedUndef)
    exprs: list[tuple[str, Any]] = [("function", rule.function)]
    exprs += [(f"derivative w.r.t. {w!r}", e) for w, e in rule.derivative]
    exprs += [(f"stable derivative w.r.t. {w!r}", e) for w, e in rule.stable_derivative]
    if rule.stable is not None:
        exprs.append(("stable form", rule.stable))
    exprs += [(f"definition of {d.symbol}", d.value) for d in rule.where]
    for what, expr in exprs:
        if not isinstance(sp.sympify(expr), sp.Basic):
            raise _fail(rule.id, f"{what} must be a sympy expression, got {type(expr).__name__}")
        extra = {s for s in _free(expr) if s not in allowed and not _is_bound(s, expr)}
        if undefined:
            extra = {s for s in extra if not isinstance(s, sp.Dummy)}
        if extra:
            raise _fail(
                rule.id, f"{what} uses {sorted(map(str, extra))}, which are neither inputs, parameters nor definitions"
            )


def _check_options(rule: Rule) -> None:
    """A general rule's examples, the reduction parameter, PyTorch's keywords and symmetric inputs."""
    rid = rule.id
    if rule.is_general and not rule.examples:
        raise _fail(rid, "a general rule (undefined f, g) needs examples: concrete functions to check it on")
    if rule.reduction and "reduction" not in [p.name for p in rule.params]:
        raise _fail(rid, "reduction=True needs a 'reduction' choice parameter")
    for a, b in rule.torch_kwargs:
        if not is_identifier(a):
            raise _fail(rid, f"torch keyword {a!r} is not an identifier (value {b!r})")
    for inp in rule.inputs:
        if inp.symmetric and (inp.shape != "matrix" or inp.name in dict(rule.derivative)):
            raise _fail(
                rid, f"input {inp.name!r} is symmetric: only a matrix the rule does not differentiate by can be"
            )


def _check_derivation(rule: Rule, d: Derivation) -> None:
    """The derivation is w.r.t. a derivative's input, has justified steps, and differential steps only for a
    matrix rule, ending with the gradient read off."""
    rid = rule.id
    if d.wrt not in dict(rule.derivative):
        raise _fail(
            rid,
            f"the derivation is w.r.t. {d.wrt!r}, which has no derivative; expected one of {list(dict(rule.derivative))}",
        )
    if not d.steps:
        raise _fail(rid, "the derivation has no steps")
    kinds = [st.kind for st in d.steps]
    if any(k_ != "equal" for k_ in kinds) and (d.direction is None or rule.shape != "matrix"):
        raise _fail(rid, "differential and gradient steps need a matrix rule and the derivation's direction dX")
    if d.direction is not None and kinds[-1] != "gradient":
        raise _fail(rid, "a differential derivation must end with a 'gradient' step (the gradient read off)")
    for st in d.steps:
        if not st.why.strip():
            raise _fail(rid, f"derivation step {st.expr} has no justification; say why it follows")


def _first_repeat(names: list[str]) -> int:
    """The index of the first name that appeared before it."""
    return next(j for j, name in enumerate(names) if name in names[:j])


def _is_bound(sym: sp.Basic, expr: Any) -> bool:
    """True when ``sym`` only appears as a bound (summation / Lambda) variable."""
    e = sp.sympify(expr)
    return any(sym in getattr(node, "variables", ()) for node in sp.preorder_traversal(e) if hasattr(node, "variables"))


def _check_assumptions(rid: str, what: str, symbol: sp.Basic, domain: sp.Set) -> None:
    if not isinstance(symbol, sp.Symbol):
        raise _fail(rid, f"{what} must be a sympy Symbol, got {type(symbol).__name__}")
    if symbol.is_real is not True and domain.is_subset(sp.S.Reals):
        raise _fail(
            rid, f"{what}: symbol {symbol} needs real=True (or positive=True) so that sympy simplifies correctly"
        )
    if domain.is_subset(sp.Interval.open(0, sp.oo)) and symbol.is_positive is not True:
        raise _fail(rid, f"{what}: domain {domain} is positive, so symbol {symbol} needs positive=True")
    if symbol.is_positive and not domain.is_subset(sp.Interval.open(0, sp.oo)):
        raise _fail(rid, f"{what}: symbol {symbol} is declared positive but its domain {domain} is not")
