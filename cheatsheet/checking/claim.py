"""Check anyone's derivative: is CLAIM the derivative of F? (``cheatsheet.check``, ``cheatsheet check``)

Both expressions are read by the safe parser (:mod:`cheatsheet.grammar.parse`), parameters are substituted
as exact numbers (:mod:`cheatsheet.checking.claim_inputs`), and the pair becomes a one-off
:class:`~cheatsheet.rule.Rule` that the catalog's own verifier checks (randomized 60-digit identity testing,
a numerical derivative, and a symbolic proof attempt). Nobody declares domains here, so each variable's real
domain is inferred from F (``log(x)`` gives x > 0) unless given, and sample points where F is not real are
skipped. The whole verification runs in a forked child under a hard time limit (:mod:`cheatsheet.timelimit`).
The verdict is worded by :class:`~cheatsheet.checking.check_result.CheckResult`.

>>> r = check("x/(1+|x|)", "1/(1+|x|)^2")
>>> r.holds, r.status
(True, 'proved')
>>> check("x/(1+|x|)", "1 - (x/(1+|x|))^2").derivative_text
'1/(1 + |x|)^2'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, cast

import sympy as sp

from cheatsheet.checking.check_result import CheckResult
from cheatsheet.checking.claim_inputs import read_claim
from cheatsheet.checking.forms import readable_derivative, without_distributions
from cheatsheet.grammar.errors import InputError
from cheatsheet.notation import Indicator
from cheatsheet.printing.grammar import to_text
from cheatsheet.rule import Input, Rule, RuleError
from cheatsheet.timelimit import TimeLimitError, run_limited
from cheatsheet.verifier.verdict import Verdict

__all__ = ["DEFAULT_TIMEOUT", "CheckResult", "check"]

#: Seconds the whole verification of one check may take (the command's --timeout).
DEFAULT_TIMEOUT = 30.0
_PROOF_SECONDS = 4.0  # one symbolic attempt (the verifier's own limit)


def check(
    f: str,
    claim: str,
    wrt: str | None = None,
    *,
    domain: Mapping[str, str | sp.Set] | str | list[str] | tuple[str, ...] | None = None,
    params: Mapping[str, Any] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    prove: bool = True,
    **kwargs: Any,
) -> CheckResult:
    """Is ``claim`` the derivative of ``f`` w.r.t. ``wrt``? Both are text in the safe grammar.

    ``wrt`` defaults to F's only variable (or ``x``). Parameters (``a=2``, or ``params={"a": "1/3"}``)
    are substituted as exact numbers (see :func:`~cheatsheet.grammar.numbers.exact_number`); ``domain={"x": "positive"}``,
    or as on the command line ``domain="x=positive"`` or a list of such strings, gives a variable's domain
    (otherwise it is inferred from F). Names are read as the grammar reads them: ``wrt="α"`` is ``alpha``.
    Returns a :class:`CheckResult` (true or false, with its evidence); raises
    :class:`~cheatsheet.grammar.errors.InputError` (a :class:`~cheatsheet.grammar.errors.ParseError` with the
    column for text that is not in the grammar, a ``TimeLimitError`` when the verification runs past ``timeout``
    seconds).
    """
    given = read_claim(f, claim, wrt, domain, params, kwargs)
    # everything from here on (even substituting a parameter: 10^a with a = 1e10) runs under the time limit
    try:
        out = run_limited(
            _verify,
            given.f.expr,
            given.claim.expr,
            given.params,
            given.variables,
            given.wrt,
            given.domains,
            prove,
            seconds=timeout,
        )
    except TimeLimitError as exc:
        raise TimeLimitError(
            f"{exc}. Steep functions such as sin(exp(exp(x))) need a narrower domain, e.g. --domain {given.wrt}=(-3, 3)"
        ) from None
    verdict: Verdict = out["verdict"]
    holds = verdict.status in ("proved", "checked")
    return CheckResult(
        function=f.strip(),
        claim=claim.strip(),
        wrt=given.wrt,
        holds=holds,
        status=cast(Any, verdict.status) if holds else "false",
        verdict=verdict,
        params={k: str(v) for k, v in given.params.items()},
        domains=out["domains"],
        inferred=tuple(out["inferred"]),
        derivative_text=out["text"],
        derivative_latex=out["latex"],
        points_used=tuple(verdict.extra.get("points_used", ())),
        skipped_points=int(verdict.extra.get("skipped_points", 0)),
    )


# ------------------------------------------------------------------ in the child
def _verify(
    f: sp.Basic,
    claim: sp.Basic,
    pvals: dict[str, sp.Expr],
    names: list[str],
    wrt: str,
    given: dict[str, sp.Set],
    prove: bool,
) -> dict[str, Any]:
    """In the child: substitute the parameters, infer domains, build the one-off rule, verify it, and
    find the correct derivative."""
    from cheatsheet.printing.latex import latex
    from cheatsheet.verifier.engine import verify_rule

    f, claim = _substituted(f, claim, pvals)
    domains, inferred = _domains(f, names, given)
    symbols = {n: _symbol(n, domains[n]) for n in names}
    swap = {sp.Symbol(n, real=True): s for n, s in symbols.items()}
    f, claim = f.xreplace(swap), claim.xreplace(swap)
    rule = _one_off_rule(f, claim, symbols, domains, wrt)
    try:
        verdict = verify_rule(rule, prove=prove, seconds=_PROOF_SECONDS, skip_undefined=True, keep_points=True)
    except ValueError as exc:
        text = str(exc).split(": ", 2)[-1].replace("; give the inputs' domains", "").replace("the function", "F")
        raise InputError(f"{text}; give the domain with --domain NAME=SET (e.g. --domain {wrt}=positive)") from None
    verdict = _jump_causes(verdict, f, symbols[wrt])  # F as written: sign and step are not Piecewise yet
    if verdict.status == "failed":
        verdict = _sharpen(verdict, rule, symbols[wrt])
    out: dict[str, Any] = {
        "verdict": verdict,
        "domains": {n: _set_text(n, d) for n, d in domains.items()},
        "inferred": inferred,
        "text": "",
        "latex": "",
    }
    if verdict.status == "failed":
        d = readable_derivative(sp.diff(rule.function, symbols[wrt]))
        out["text"], out["latex"] = to_text(d), latex(d)
    return out


def _substituted(f: sp.Basic, claim: sp.Basic, pvals: Mapping[str, sp.Expr]) -> tuple[sp.Basic, sp.Basic]:
    """F and CLAIM with the parameters' values; an error when either becomes undefined."""
    subs = {sp.Symbol(n, real=True): v for n, v in pvals.items()}
    f, claim = f.subs(subs), claim.subs(subs)
    for source, e in (("F", f), ("CLAIM", claim)):
        if e.has(sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
            given_text = ", ".join(f"{k} = {v}" for k, v in pvals.items())
            raise InputError(f"{source} is undefined with the given parameters ({given_text})")
    return f, claim


def _domains(f: sp.Basic, names: list[str], given: Mapping[str, sp.Set]) -> tuple[dict[str, sp.Set], list[str]]:
    """Each variable's domain (given, else inferred from F), and the names of those inferred (not all reals)."""
    domains: dict[str, sp.Set] = {}
    inferred: list[str] = []
    for name in names:
        if name in given:
            domains[name] = given[name]
        else:
            domains[name] = _infer_domain(f, sp.Symbol(name, real=True))
            if domains[name] != sp.S.Reals:
                inferred.append(name)
    return domains, inferred


def _symbol(name: str, domain: sp.Set) -> sp.Symbol:
    """The variable's symbol: positive when its domain is, else real."""
    if domain.is_subset(sp.Interval.open(0, sp.oo)):
        return sp.Symbol(name, positive=True)
    return sp.Symbol(name, real=True)


def _one_off_rule(
    f: sp.Basic, claim: sp.Basic, symbols: Mapping[str, sp.Symbol], domains: Mapping[str, sp.Set], wrt: str
) -> Rule:
    """The claim as a rule the verifier checks: F's derivative w.r.t. ``wrt`` is CLAIM on the domains."""
    try:
        return Rule(
            id="check",
            title="check",
            family="custom",
            inputs=tuple(Input(n, s, domains[n]) for n, s in symbols.items()),
            function=without_distributions(f),
            derivative={wrt: claim},
        )
    except RuleError as exc:
        raise InputError(str(exc).replace("rule 'check': ", "")) from None


def _jump_causes(verdict: Verdict, f: sp.Basic, var: sp.Symbol) -> Verdict:
    """The jumps the verifier found, each named by the function of F that switches there ('sign', 'step',
    'indicator'; F for a where) when exactly one kind does (a name for the report, not a verdict: compared to 20 digits)."""
    found = verdict.extra.get("not_differentiable")
    if not found:
        return verdict
    out = []
    for entry in found:
        nd = dict(entry)
        text = nd.get("point", {}).get(var.name)
        if nd.get("what") == "jump" and text is not None:
            names = _switching(f, var, sp.Float(text, 30))
            if len(names) == 1:
                nd["cause"] = names.pop()
        out.append(nd)
    return dataclasses.replace(verdict, extra=dict(verdict.extra) | {"not_differentiable": out})


_SWITCHES: dict[type, str] = {sp.sign: "sign", sp.Heaviside: "step", Indicator: "indicator", sp.Piecewise: "F"}


def _switching(f: sp.Basic, var: sp.Symbol, at: sp.Float) -> set[str]:
    """The kinds of the functions of F that switch at ``var = at`` (their argument, or one side of a
    condition of theirs, is zero there)."""
    names = set()
    for node in sp.preorder_traversal(f):
        name = next((n for cls, n in _SWITCHES.items() if isinstance(node, cls)), None)
        if name is None:
            continue
        if name in ("indicator", "F"):  # their conditions
            args = [r.lhs - r.rhs for r in node.atoms(sp.core.relational.Relational)]
        else:
            args = [node.args[0]]
        if any(_zero_at(a, var, at) for a in args):
            names.add(name)
    return names


def _zero_at(a: sp.Basic, var: sp.Symbol, at: sp.Float) -> bool:
    value = sp.N(sp.sympify(a).subs(var, at), 20)
    return bool(value.is_number and abs(value) <= 1e-9 * (1 + abs(at)))


def _sharpen(verdict: Verdict, rule: Any, var: sp.Symbol) -> Verdict:
    """A counterexample whose two values print alike at 12 digits, reprinted with the digits that differ."""
    from cheatsheet.evaluate.expand import to_elementary

    cx = verdict.counterexample
    if cx is None or cx.expected != cx.got or not cx.claim.startswith("∂/∂"):
        return verdict
    true = sp.diff(to_elementary(rule.function), var)
    claim = to_elementary(rule.derivatives[next(iter(rule.derivatives))])
    # a point beside a breakpoint 1e-70 away is printed with more than 60 digits: read them all
    subs = {
        s: sp.Float(cx.point[s.name], max(60, len(cx.point[s.name])))
        for s in true.free_symbols | claim.free_symbols
        if s.name in cx.point
    }
    for digits in (20, 30, 45):
        a, b = sp.N(true.subs(subs), digits), sp.N(claim.subs(subs), digits)
        if str(a) != str(b):
            return dataclasses.replace(verdict, counterexample=dataclasses.replace(cx, expected=str(a), got=str(b)))
    return verdict


# ------------------------------------------------------------------ domains
def _open_parts(domain: sp.Set) -> sp.Set | None:
    """The interior of a finite union of intervals with numeric ends, or None for anything else."""
    parts = domain.args if isinstance(domain, sp.Union) else (domain,)
    out = []
    for p in parts:
        if p == sp.S.Reals:
            return sp.S.Reals
        if not isinstance(p, sp.Interval) or not (p.start.is_number and p.end.is_number):
            return None
        if p.measure == 0:
            continue
        out.append(sp.Interval.open(p.start, p.end))
    if not out:
        return None
    return sp.Union(*out)


def _infer_domain(f: sp.Basic, var: sp.Symbol) -> sp.Set:
    """Where F is continuous and real along ``var`` (sympy's continuous_domain), when that is a
    finite union of intervals; otherwise all reals (points where F is not real are then skipped)."""
    from sympy.calculus.util import continuous_domain

    from cheatsheet.evaluate.expand import to_elementary
    from cheatsheet.verifier.symbolic import ProofTimeout, time_limit

    if var not in f.free_symbols:
        return sp.S.Reals
    try:
        with time_limit(2.0):
            dom = continuous_domain(to_elementary(f), var, sp.S.Reals)
    except (ProofTimeout, NotImplementedError, TypeError, ValueError, AttributeError, RecursionError):
        return sp.S.Reals
    if dom.free_symbols - {var}:
        return sp.S.Reals
    return _open_parts(dom) or sp.S.Reals


def _set_text(name: str, domain: sp.Set) -> str:
    """'x > 0', '-1 < x < 1', 'x < 0 or x > 0', or 'x real'."""
    if domain == sp.S.Reals:
        return f"{name} real"
    parts = domain.args if isinstance(domain, sp.Union) else (domain,)
    out = []
    for p in parts:
        if not isinstance(p, sp.Interval):
            return f"{name} in {domain}"
        lo = "" if p.start == -sp.oo else f"{to_text(p.start)} {'<' if p.left_open else '<='} "
        hi = "" if p.end == sp.oo else f" {'<' if p.right_open else '<='} {to_text(p.end)}"
        if lo and not hi:  # x > 0 reads better than 0 < x
            out.append(f"{name} {'>' if p.left_open else '>='} {to_text(p.start)}")
        else:
            out.append(f"{lo}{name}{hi}" if lo or hi else f"{name} real")
    return " or ".join(out)
