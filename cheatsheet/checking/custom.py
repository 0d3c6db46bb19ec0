"""Custom rules for the build: rule files and plugin catalogs, loaded, validated and verified like the catalog.

:func:`load_for_build` is what ``cheatsheet build --rules FILE`` adds to the sheet: the rules of the files
(:mod:`cheatsheet.checking.rulefile`) and of the installed plugins (:mod:`cheatsheet.checking.plugins`), with
unique ids that do not clash with the built-in ones, each verified in a child process under a time limit
(:data:`VERIFY_SECONDS`). Every problem is collected first and reported at once in one
:class:`~cheatsheet.checking.problems.CustomRuleError`: exit status 2 for input that cannot be used, 1 for a
false claim (with its counterexample and the correct derivative). Nothing is written anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from cheatsheet.checking.forms import readable_derivative
from cheatsheet.checking.plugins import load_plugins
from cheatsheet.checking.problems import CustomRuleError, Problem
from cheatsheet.checking.rulefile import read_rule_file
from cheatsheet.grammar.errors import InputError
from cheatsheet.printing.grammar import to_text
from cheatsheet.rule import FAMILIES, Rule
from cheatsheet.timelimit import run_limited
from cheatsheet.verifier.verdict import Verdict

__all__ = ["VERIFY_SECONDS", "CustomRuleError", "VerifiedRule", "load_custom_rules", "load_for_build", "verify_custom"]

#: Seconds the verification of one custom rule may take.
VERIFY_SECONDS = 60.0


@dataclass(frozen=True)
class VerifiedRule:
    """A custom rule, its verdict, and where it came from (``file:line`` or ``plugin 'name'``)."""

    rule: Rule
    verdict: Verdict
    source: str


def load_for_build(
    paths: Iterable[str | os.PathLike[str]],
    builtin: Iterable[Rule] = (),
    *,
    plugins: bool = True,
    verify: bool = True,
    timeout: float | None = VERIFY_SECONDS,
) -> list[Rule]:
    """The rules ``cheatsheet build --rules FILE`` adds: :func:`load_custom_rules` against the built-in
    rules given, returning the rules; raises :class:`CustomRuleError` (``exit_code`` 2 or 1) before
    anything is written."""
    loaded = load_custom_rules(
        paths, plugins=plugins, builtin=[r.id for r in builtin] or None, verify=verify, timeout=timeout
    )
    return [v.rule for v in loaded]


def load_custom_rules(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    plugins: bool = True,
    builtin: Iterable[str] | None = None,
    verify: bool = True,
    timeout: float | None = VERIFY_SECONDS,
) -> list[VerifiedRule]:
    """Load, validate and verify the rules of TOML files (and of installed plugins) for the build.

    Ids must be unique and must not clash with the built-in rules (``builtin``: their ids; default
    the catalog's). Raises one :class:`CustomRuleError` with every problem (exit status 2), or with
    every false claim and its counterexample (exit status 1). Nothing is written anywhere.
    """
    problems: list[Problem] = []
    loaded = _loaded(paths, plugins, problems)
    unique = _unique(loaded, _builtin_families(builtin), problems)
    if problems:
        raise CustomRuleError(problems, exit_code=2)
    if not verify:
        return [VerifiedRule(r, Verdict(r.id, "unverified"), where) for r, where in unique]
    verdicts = verify_custom([r for r, _ in unique], {r.id: w for r, w in unique}, timeout=timeout)
    return [VerifiedRule(r, v, where) for (r, where), v in zip(unique, verdicts, strict=True)]


def verify_custom(
    rules: Sequence[Rule],
    sources: Mapping[str, str] | None = None,
    *,
    timeout: float | None = VERIFY_SECONDS,
    prove: bool = True,
) -> list[Verdict]:
    """Verify each rule as the catalog is verified (each in a child under ``timeout`` seconds).

    Raises :class:`CustomRuleError`: exit status 1 when a claim is false (with the counterexample and
    the correct derivative), 2 when a rule cannot be verified (e.g. its function is not real on the
    declared domain, or the verification runs past the time limit).
    """
    sources = sources or {}
    verdicts: list[Verdict] = []
    false: list[Problem] = []
    broken: list[Problem] = []
    for rule in rules:
        where = sources.get(rule.id, f"rule {rule.id!r}")
        try:
            out = run_limited(_verify_one, rule, prove, seconds=timeout, what=f"the verification of rule {rule.id!r}")
        except InputError as exc:
            broken.append(Problem(where, f"rule {rule.id!r}: {exc}"))
            continue
        if "error" in out:
            broken.append(
                Problem(
                    where,
                    f"rule {rule.id!r} cannot be verified: {out['error']}. Declare the inputs' "
                    'domains ([[rule.inputs]] domain = "positive", "(0, 1)", ...)',
                )
            )
            continue
        verdict: Verdict = out["verdict"]
        verdicts.append(verdict)
        if verdict.status == "failed":
            false.append(Problem(where, f"rule {rule.id!r}: {_false_claim(verdict, out.get('derivative', ''))}"))
    if broken:
        raise CustomRuleError(broken + false, exit_code=2)
    if false:
        raise CustomRuleError(false, exit_code=1)
    return verdicts


# ------------------------------------------------------------------ loading
def _builtin_families(builtin: Iterable[str] | None) -> dict[str, str]:
    """The built-in rule ids (default: the catalog's), each with its family where known."""
    if builtin is not None:
        return dict.fromkeys(builtin, "")
    from cheatsheet.catalog import load

    return {r.id: r.family for r in load()}


def _loaded(paths: Iterable[str | os.PathLike[str]], plugins: bool, problems: list[Problem]) -> list[tuple[Rule, str]]:
    """The rules of the files and (when ``plugins``) of the installed plugins, each with where it came from;
    the problems of those that cannot be read are added to ``problems``."""
    loaded: list[tuple[Rule, str]] = []
    for path in paths:
        try:
            rules, sources = read_rule_file(path)
        except CustomRuleError as exc:
            problems.extend(exc.problems)
            continue
        loaded.extend((r, sources[r.id]) for r in rules)
    if plugins:
        found, plugin_problems = load_plugins()
        loaded.extend(found)
        problems.extend(plugin_problems)
    return loaded


def _unique(
    loaded: list[tuple[Rule, str]], builtin: Mapping[str, str], problems: list[Problem]
) -> list[tuple[Rule, str]]:
    """The rules whose ids are new: a clash with a built-in rule or an id seen before is added to ``problems``."""
    seen: dict[str, str] = {}
    unique: list[tuple[Rule, str]] = []
    for rule, where in loaded:
        if rule.id in builtin:
            fam = builtin[rule.id]
            family = f" ({FAMILIES.get(fam, fam)})" if fam else ""
            problems.append(
                Problem(
                    where,
                    f"rule id {rule.id!r} clashes with the built-in rule {rule.id!r}{family}. "
                    f"Choose another id, e.g. {rule.id + '_custom'!r}",
                )
            )
        elif rule.id in seen:
            problems.append(
                Problem(where, f"rule id {rule.id!r} is defined twice (first at {seen[rule.id]}); ids must be unique")
            )
        else:
            seen[rule.id] = where
            unique.append((rule, where))
    return unique


# ------------------------------------------------------------------ verification
def _false_claim(verdict: Verdict, derivative: str) -> str:
    cx = verdict.counterexample
    what = f"false claim: {cx.describe()}" if cx is not None else verdict.reason
    hint = f". The derivative is {derivative}" if derivative else ""
    return what + hint


def _verify_one(rule: Rule, prove: bool) -> dict[str, Any]:
    """In a child process: the verdict, and the correct derivative when a claim is false."""
    from cheatsheet.verifier.engine import verify_rule

    outside = _not_real(rule)
    if outside:
        return {"error": f"the function is not a finite real number at {outside}"}
    try:
        verdict = verify_rule(rule, prove=prove)
    except ValueError as exc:
        return {"error": str(exc).split(": ", 1)[-1]}
    return {"verdict": verdict, "derivative": _correct_derivative(rule, verdict)}


def _correct_derivative(rule: Rule, verdict: Verdict) -> str:
    """The correct derivative as text when a scalar rule's derivative claim is false, else ''."""
    cx = verdict.counterexample
    if verdict.status != "failed" or cx is None or not cx.claim.startswith("∂/∂") or rule.shape != "scalar":
        return ""
    wrt = cx.claim[3:].split()[0]
    try:
        symbol = rule.input(wrt).symbol
        return to_text(readable_derivative(sp.diff(rule.function.doit(), symbol)))
    except (KeyError, ValueError, TypeError):
        return ""


def _not_real(rule: Rule, tries: int = 40) -> str:
    """A point of the declared domains (default parameters) where a scalar rule's function is not a
    finite real number, or ''. The verifier compares derivatives, which can be real where the
    function is not (d/dx log x = 1/x also for x < 0 with a complex logarithm)."""
    import mpmath

    from cheatsheet.evaluate.expand import concrete, param_values
    from cheatsheet.notation import mpmath_namespace
    from cheatsheet.verifier.sampling import draw, rng_for

    if rule.shape != "scalar" or rule.is_general:
        return ""
    defaults = param_values(rule, {})
    f = concrete(rule.function, rule).subs(defaults)
    fn = sp.lambdify([inp.symbol for inp in rule.inputs], f, modules=[mpmath_namespace(), "mpmath"])
    rng = rng_for(rule.id, "real function")
    for _ in range(tries):
        point = [draw(inp.domain, rng) for inp in rule.inputs]
        if not _real_at(fn, point):
            at = ", ".join(f"{inp.name} = {mpmath.nstr(v, 6)}" for inp, v in zip(rule.inputs, point, strict=True))
            with_params = ", ".join(f"{p.name} = {defaults[p.symbol]}" for p in rule.params if p.symbol is not None)
            return at + (f" (with {with_params})" if with_params else "")
    return ""


def _real_at(fn: Any, point: list[Any]) -> bool:
    """Whether ``fn`` is a finite real number at ``point`` (computed with the digits the point carries)."""
    import mpmath

    from cheatsheet.verifier.sampling import value_digits

    with mpmath.workdps(max(30, *(value_digits(v) for v in point))):  # a point near 10^300 carries its digits
        try:
            value = mpmath.mpmathify(fn(*point))
            return bool(mpmath.isfinite(value)) and (
                not isinstance(value, mpmath.mpc) or abs(value.imag) <= 1e-25 * (1 + abs(value.real))
            )
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return False
