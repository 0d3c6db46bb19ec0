"""What ``check`` is given, read and checked before anything is verified: F and CLAIM parsed, the parameters
as exact numbers, the variable to differentiate by, and the domains given for the variables.

Values come from Python callers and from the command line alike, so every type is tested on ``type(value)``
(no method of an unexpected object runs) and names are read as the grammar reads them (``α`` is ``alpha``).
Every mistake is an :class:`~cheatsheet.grammar.errors.InputError` (exit status 2) that names the option.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from cheatsheet.grammar.domains import parse_domain
from cheatsheet.grammar.errors import InputError, InputTypeError, ParseError
from cheatsheet.grammar.functions import RESERVED
from cheatsheet.grammar.lexer import variable_name
from cheatsheet.grammar.numbers import exact_number, type_name
from cheatsheet.grammar.parse import Parsed, parse_expression
from cheatsheet.names import suggestion

__all__ = ["ClaimInputs", "read_claim"]


@dataclass(frozen=True)
class ClaimInputs:
    """F and CLAIM parsed, with ``variables`` (``wrt`` first), the parameters' exact values and the domains
    given (the others are inferred)."""

    f: Parsed
    claim: Parsed
    wrt: str
    variables: list[str]
    params: dict[str, sp.Expr]
    domains: dict[str, sp.Set]


def read_claim(f: Any, claim: Any, wrt: Any, domain: Any, params: Any, kwargs: Mapping[str, Any]) -> ClaimInputs:
    """Read and check the arguments of :func:`~cheatsheet.checking.claim.check`."""
    pf, pc = _parse("F", f), _parse("CLAIM", claim)
    values = _params(params, kwargs)
    if wrt is not None:
        wrt = _wrt_name(wrt)
    pvals = _param_values(values, pf, pc)
    variables = [n for n in pf.names if n not in pvals]
    for n in pc.names:
        if n not in pvals and n not in pf.names and n != wrt:
            hint = suggestion(n, variables, ignore_case=True)
            raise ParseError(
                f"CLAIM uses {n!r}, which F does not",
                column=pc.positions[n],
                text=claim,
                hint=hint or "The derivative can only depend on F's variables and parameters.",
                source="CLAIM",
            )
    wrt = _chosen_wrt(wrt, variables, pvals)
    variables = [wrt] + [v for v in variables if v != wrt]  # the derivative w.r.t. a variable F does not use is 0
    return ClaimInputs(pf, pc, wrt, variables, pvals, _given_domains(domain, variables))


def _parse(source: str, text: Any) -> Parsed:
    if not isinstance(text, str):
        raise InputError(f"{source}: expected the expression as text, got {type(text).__name__}")
    try:
        return parse_expression(text)
    except ParseError as exc:
        exc.source = source
        raise


# ------------------------------------------------------------------ names
def _name(key: Any, option: str) -> str:
    """A variable name as the grammar reads it (``α`` is ``alpha``), for a --param or --domain key."""
    if not issubclass(type(key), str):
        raise InputTypeError(f"{option}: expected a variable name as text, got {type_name(key)}")
    text = str.__str__(key)
    return variable_name(text) or text.strip()


def _wrt_name(wrt: Any) -> str:
    """--wrt as the grammar reads it: ``α`` is ``alpha``; a reserved word or anything else is refused."""
    if not issubclass(type(wrt), str):
        raise InputTypeError(f"--wrt: expected a variable name such as x, got {type_name(wrt)}")
    wrt = str.__str__(wrt)
    name = variable_name(wrt)
    if name is None or name in RESERVED:
        raise InputError(f"--wrt {wrt}: expected a variable name such as x")
    return name


def _chosen_wrt(wrt: str | None, variables: list[str], pvals: Mapping[str, sp.Expr]) -> str:
    """The variable to differentiate by: the one given, else F's only variable, else ``x``."""
    if wrt is None:
        if len(variables) == 1:
            wrt = variables[0]
        elif not variables or "x" in variables:
            wrt = "x"
        else:
            raise InputError(f"F has several variables ({', '.join(variables)}); choose one with --wrt")
    if not isinstance(wrt, str) or not wrt.isidentifier() or wrt in RESERVED:
        raise InputError(f"--wrt {wrt}: expected a variable name such as x")
    if wrt in pvals:
        raise InputError(f"--wrt {wrt}: {wrt!r} is also given as a --param; a parameter is a fixed number")
    return wrt


# ------------------------------------------------------------------ parameters
def _params(params: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """NAME -> value from ``params`` (a mapping) and keyword arguments (which win), names as the grammar reads them."""
    if params is not None and not issubclass(type(params), Mapping):
        raise InputTypeError(
            f"params: expected a mapping of names to numbers such as {{'a': 2}}, got {type_name(params)}"
        )
    out: dict[str, Any] = {}
    for key, value in [*(params if params is not None else {}).items(), *kwargs.items()]:
        out[_name(key, "--param")] = value
    return out


def _param_values(values: Mapping[str, Any], pf: Parsed, pc: Parsed) -> dict[str, sp.Expr]:
    """Each parameter as an exact real number (see :func:`~cheatsheet.grammar.numbers.exact_number`: numbers,
    or text in the grammar; never ``sympify``); a name neither F nor CLAIM uses is refused."""
    everywhere = set(pf.names) | set(pc.names)
    pvals: dict[str, sp.Expr] = {}
    for name, value in values.items():
        if name not in everywhere:
            hint = suggestion(name, sorted(everywhere), ignore_case=True) or (
                f"Their variables: {', '.join(sorted(everywhere))}." if everywhere else "They have no variables."
            )
            raise InputError(f"--param {name}: F and CLAIM have no variable {name!r}. {hint}")
        pvals[name] = exact_number(value, f"--param {name}")
    return pvals


# ------------------------------------------------------------------ domains
def _given_domains(domain: Any, variables: list[str]) -> dict[str, sp.Set]:
    """The domains given, each for one of the variables."""
    given: dict[str, sp.Set] = {}
    for name, value in _domains(domain).items():
        if name not in variables:
            hint = suggestion(name, variables, ignore_case=True)
            raise InputError(
                f"--domain {name}: F has no variable {name!r}. {hint or 'Its variables: ' + ', '.join(variables) + '.'}"
            )
        given[name] = _domain_value(name, value)
    return given


def _domains(domain: Any) -> dict[str, Any]:
    """NAME -> SET from a mapping ``{"x": "positive"}``, the command line's ``"x=positive"``, or a list of those strings."""
    if domain is None:
        return {}
    kind = type(domain)  # tested on the type: no method of an unexpected object runs
    if issubclass(kind, Mapping):
        pairs = list(domain.items())
    elif issubclass(kind, str):
        pairs = [_domain_pair(domain)]
    elif kind in (list, tuple):
        pairs = [_domain_pair(item) for item in domain]
    else:
        raise InputTypeError(
            f"domain: expected a mapping such as {{'x': 'positive'}}, a string 'x=positive' or a list of such strings, "
            f"got {type_name(domain)}"
        )
    out: dict[str, Any] = {}
    for key, value in pairs:
        name = _name(key, "--domain")
        if name in out:
            raise InputError(f"--domain {name}: given twice")
        out[name] = value
    return out


def _domain_pair(item: Any) -> tuple[str, str]:
    if not issubclass(type(item), str):
        raise InputTypeError(f"domain: expected strings such as 'x=positive', got {type_name(item)}")
    name, sep, value = str.__str__(item).partition("=")
    if not sep or not name.strip() or not value.strip():
        raise InputError(f"--domain {item!r}: expected NAME=SET, as in --domain x=positive")
    return name.strip(), value.strip()


def _domain_value(name: str, value: Any) -> sp.Set:
    if issubclass(type(value), sp.Set):
        if not value.is_subset(sp.S.Reals):
            raise InputError(f"--domain {name}: expected a set of real numbers, got {value}")
        return value
    if issubclass(type(value), str):
        try:
            return parse_domain(str.__str__(value))
        except ParseError as exc:
            exc.source = f"--domain {name}"
            raise
    raise InputTypeError(f"--domain {name}: expected a domain such as 'positive' or '(0, 1)', got {type_name(value)}")
