"""Check anyone's derivative: is CLAIM the derivative of F? (``cheatsheet.check``, ``cheatsheet check``)

Both expressions are read by the safe parser (:mod:`cheatsheet.checking.parse`), parameters are substituted
as exact numbers, and the pair becomes a one-off :class:`~cheatsheet.rule.Rule` that the catalog's
own verifier checks (randomized 60-digit identity testing, a numerical derivative, and a symbolic
proof attempt). Nobody declares domains here, so each variable's real domain is inferred from F
(``log(x)`` gives x > 0) unless given, and sample points where F is not real are skipped. The whole
verification runs in a forked child under a hard time limit (:mod:`cheatsheet.timelimit`).

>>> r = check("x/(1+|x|)", "1/(1+|x|)^2")
>>> r.holds, r.status
(True, 'proved')
>>> check("x/(1+|x|)", "1 - (x/(1+|x|))^2").derivative_text
'1/(|x| + 1)^2'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import mpmath
import sympy as sp

from cheatsheet.checking.parse import (
    RESERVED,
    InputError,
    InputTypeError,
    Parsed,
    ParseError,
    _close,
    exact_number,
    parse_domain,
    parse_expression,
    to_text,
    type_name,
    variable_name,
)
from cheatsheet.timelimit import TimeLimitError, run_limited
from cheatsheet.verifier.verdict import Counterexample, Verdict

__all__ = ["DEFAULT_TIMEOUT", "CheckResult", "check", "readable_derivative", "without_distributions"]

#: Seconds the whole verification of one check may take (the command's --timeout).
DEFAULT_TIMEOUT = 30.0
_PROOF_SECONDS = 4.0  # one symbolic attempt (the verifier's own limit)
_SIMPLIFY_SECONDS = 3.0  # looking for a readable form of the correct derivative


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one claim, with its evidence.

    ``holds`` is True when CLAIM is the derivative (``status`` 'proved': symbolically, and at every
    sample point; 'checked': at every sample point, with ``reason`` saying why no proof went
    through). Otherwise ``status`` is 'false' and ``counterexample`` holds the point, the true
    derivative there and the claimed value; ``derivative_text``/``derivative_latex`` give the
    correct derivative. ``points_used`` lists the sample points (60-digit values, shortened).
    """

    function: str
    claim: str
    wrt: str
    holds: bool
    status: Literal["proved", "checked", "false"]
    verdict: Verdict
    params: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    inferred: tuple[str, ...] = ()
    derivative_text: str = ""
    derivative_latex: str = ""
    points_used: tuple[dict[str, str], ...] = ()
    skipped_points: int = 0

    def __bool__(self) -> bool:
        return self.holds

    @property
    def exit_code(self) -> int:
        """0 when the claim holds, 1 when it is false (the command's exit status)."""
        return 0 if self.holds else 1

    @property
    def counterexample(self) -> Counterexample | None:
        """Where the claim fails: the point, the true derivative and the claimed value."""
        return self.verdict.counterexample

    @property
    def points(self) -> int:
        """How many sample points were compared."""
        return self.verdict.points

    @property
    def reason(self) -> str:
        """Why a true claim is only 'checked' (no symbolic proof), or why a claim is false."""
        return self.verdict.reason

    def report(self) -> str:
        """The verdict and its evidence as lines for a terminal."""
        d = f"d/d{self.wrt}"
        given = "".join(f", {k} = {v}" for k, v in self.params.items())
        lines: list[str] = []
        if self.holds:
            lines.append(f"TRUE: {d} [{self.function}] = {self.claim}{given}")
            if self.status == "proved":
                how = [c.method.replace("symbolic (", "symbolically (") for c in self.verdict.checks
                       if c.status == "proved" and c.method != _AT_BREAKPOINT]
                lines.append(f"  proved {'; '.join(dict.fromkeys(how)) or 'symbolically'}")
            else:
                lines.append(f"  checked numerically, not proved ({self.reason})")
            lines += [f"  {_not_differentiable_text(nd)}" for nd in self.not_differentiable]
            exact = [c.claim.rpartition(" at ")[2] for c in self.verdict.checks
                     if c.method == _AT_BREAKPOINT and c.detail.startswith("F is differentiable")]
            if exact:
                lines.append(f"  exactly at the breakpoint{'s' if len(exact) > 1 else ''} {', '.join(exact)}: "
                             f"F is differentiable and the claim gives its derivative")
        else:
            lines.append(f"FALSE: {d} [{self.function}] is not {self.claim}{given}")
            cx = self.counterexample
            if cx is not None:
                at = ", ".join(f"{k} = {v}" for k, v in cx.point.items())
                lines.append(f"  counterexample: at {at}, the derivative is {cx.expected} but the claim gives {cx.got}")
            if self.derivative_text:
                lines.append(f"  the derivative is: {self.derivative_text}")
                lines.append(f"  LaTeX: {self.derivative_latex}")
        lines.append("  evidence: " + self._evidence())
        if self.inferred:
            doms = ", ".join(self.domains[v] for v in self.inferred)
            lines.append(f"  domain inferred from F: {doms} (set it with --domain)")
        return "\n".join(lines)

    @property
    def not_differentiable(self) -> tuple[dict[str, Any], ...]:
        """The breakpoints where F has no derivative, each a dict: ``point``, ``what`` ('jump', 'kink',
        'infinite slope' or 'undefined'), ``detail``, for a jump the ``cause`` (the function that jumps, e.g.
        'sign'), for a kink the ``subdifferential`` and the claim's ``value`` there (which lies inside it)."""
        return tuple(self.verdict.extra.get("not_differentiable", ()))

    def _evidence(self) -> str:
        v = self.verdict
        if self.holds:
            text = f"compared at {v.points} points with 60-digit arithmetic, largest relative difference {v.max_residual:.1e}"
        elif "below the 60-digit gate" in v.reason:
            return v.reason.removeprefix("false claim: ")
        elif self.counterexample is not None and "where the residue of the proof attempt shows" in self.counterexample.claim:
            text = (f"the {v.points} sample points agreed; the proof attempt left a residue, and the verifier found "
                    "where it is not zero")
        elif self.counterexample is not None and ("at a breakpoint" in self.counterexample.claim
                                                  or "at a kink" in self.counterexample.claim):
            text = f"the {v.points} sample points agreed; exactly on the breakpoint, the claim is wrong"
        elif self.counterexample is not None and v.points == 0:
            text = "found at the first sample point of randomized 60-digit testing"
        else:
            text = f"{v.points} sample points agreed before this one"
        if self.skipped_points:
            text += f"; {self.skipped_points} points where F is not real were skipped"
        if self.points_used:
            per: dict[str, list[float]] = {}
            for pt in self.points_used:
                for name, value in pt.items():
                    per.setdefault(name, []).append(float(mpmath.mpf(value)))
            ranges = "; ".join(f"{name} from {_g(min(vals))} to {_g(max(vals))}" for name, vals in per.items())
            first = ", ".join(
                "(" + ", ".join(f"{k} = {_g(float(mpmath.mpf(x)))}" for k, x in pt.items()) + ")"
                for pt in self.points_used[:3]
            )
            text += f"; {ranges}; e.g. {first}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the command's ``--format json``)."""
        cx = self.counterexample
        return {
            "function": self.function,
            "claim": self.claim,
            "wrt": self.wrt,
            "holds": self.holds,
            "status": self.status,
            "params": dict(self.params),
            "domains": dict(self.domains),
            "inferred_domains": list(self.inferred),
            "points": self.points,
            "max_residual": self.verdict.max_residual,
            "skipped_points": self.skipped_points,
            "points_used": [dict(p) for p in self.points_used],
            "methods": list(self.verdict.methods),
            "not_differentiable": [dict(nd) for nd in self.not_differentiable],
            "reason": self.reason,
            "counterexample": asdict(cx) if cx is not None else None,
            "derivative": {"text": self.derivative_text, "latex": self.derivative_latex} if self.derivative_text else None,
        }


def _g(v: float) -> str:
    return f"{v:.4g}"


_AT_BREAKPOINT = "exact value at the breakpoint"  # the verifier's method name for its checks on the breakpoints


def _not_differentiable_text(nd: Mapping[str, Any]) -> str:
    """One report line for a breakpoint where F has no derivative: 'except at x = 0, where sign jumps'."""
    at = ", ".join(f"{k} = {v}" for k, v in nd.get("point", {}).items())
    what = nd.get("what")
    if what == "jump":
        return f"except at {at}, where {nd.get('cause') or 'F'} jumps (F has no derivative there)"
    if what == "infinite slope":
        return f"except at {at}, where F is not differentiable (its slope is infinite)"
    if what == "undefined":
        return f"except at {at}, where F is not defined"
    lo, hi = nd.get("subdifferential", ("?", "?"))
    value = nd.get("value")
    said = f"the claim gives {value}, inside the subdifferential [{lo}, {hi}]" if value is not None else (
        f"the claim gives no value there (the subdifferential is [{lo}, {hi}])")
    return f"at {at}, where F has a kink (it is not differentiable there): {said}"


def _jump_causes(verdict: Verdict, f: sp.Basic, var: sp.Symbol) -> Verdict:
    """The jumps the verifier found, each named by the function of F that switches there ('sign', 'step',
    'indicator'; F for a where) when exactly one kind does (a name for the report, not a verdict: compared to 20 digits)."""
    import dataclasses

    from cheatsheet.notation import Indicator

    found = verdict.extra.get("not_differentiable")
    if not found:
        return verdict
    kinds: dict[type, str] = {sp.sign: "sign", sp.Heaviside: "step", Indicator: "indicator", sp.Piecewise: "F"}
    out = []
    for entry in found:
        nd = dict(entry)
        text = nd.get("point", {}).get(var.name)
        if nd.get("what") == "jump" and text is not None:
            at = sp.Float(text, 30)
            names = set()
            for node in sp.preorder_traversal(f):
                name = next((n for cls, n in kinds.items() if isinstance(node, cls)), None)
                if name in ("indicator", "F"):  # their conditions
                    args = [r.lhs - r.rhs for r in node.atoms(sp.core.relational.Relational)]
                elif name is not None:
                    args = [node.args[0]]
                else:
                    continue
                for a in args:
                    value = sp.N(sp.sympify(a).subs(var, at), 20)
                    if value.is_number and abs(value) <= 1e-9 * (1 + abs(at)):
                        names.add(name)
            if len(names) == 1:
                nd["cause"] = names.pop()
        out.append(nd)
    return dataclasses.replace(verdict, extra=dict(verdict.extra) | {"not_differentiable": out})


# ----------------------------------------------------------------------------------------- helpers
def without_distributions(expr: sp.Basic) -> sp.Basic:
    """sign(u) and step(u) written as Piecewise, so that their derivative is 0 away from u = 0 (sympy
    would give a Dirac delta, which has no value to compare at a sample point)."""
    if expr.has(sp.sign):
        expr = expr.replace(sp.sign, lambda u: sp.Piecewise((1, u > 0), (-1, u < 0), (0, True)))
    if expr.has(sp.Heaviside):
        expr = expr.replace(sp.Heaviside, lambda u, *h: sp.Piecewise((1, u > 0), (0, u < 0), (h[0] if h else sp.S.Half, True)))
    return expr


def _has_u_sign_u(e: sp.Basic) -> bool:
    return isinstance(e, sp.Mul) and any(isinstance(f, sp.sign) and f.args[0] in e.args for f in e.args)


def _u_sign_u_to_abs(e: sp.Mul) -> sp.Basic:
    """u·sign(u) = |u| for real u (also at u = 0): the form a textbook prints."""
    factors = list(e.args)
    for f in list(factors):
        if isinstance(f, sp.sign) and f.args[0] in factors and f in factors:
            factors.remove(f)
            factors.remove(f.args[0])
            factors.append(sp.Abs(f.args[0]))
    return sp.Mul(*factors)


def readable_derivative(d: sp.Basic, seconds: float = _SIMPLIFY_SECONDS) -> sp.Basic:
    """A short, readable form of a derivative: the simplest of sympy's forms within ``seconds``.

    Steps become indicators 𝟙[u > 0]; a Piecewise that sympy invents (e.g. ``Eq(x, 0)`` branches of
    simplify) is not preferred over a form without one.
    """
    from cheatsheet.notation import Indicator
    from cheatsheet.verifier.symbolic import ProofTimeout, time_limit

    if d.has(sp.Heaviside):
        d = d.replace(sp.Heaviside, lambda u, *h: Indicator(u > 0))
    starts = [d]
    if d.has(sp.sign):
        starts.append(d.replace(_has_u_sign_u, _u_sign_u_to_abs))
    candidates = list(starts)
    try:
        with time_limit(seconds):
            for start in starts:
                for transform in (sp.cancel, sp.factor, sp.simplify):
                    try:
                        candidates.append(transform(start))
                    except (NotImplementedError, TypeError, ValueError, ZeroDivisionError, RecursionError, sp.PolynomialError):
                        continue
    except ProofTimeout:
        pass

    def cost(e: sp.Basic) -> tuple[int, int]:
        invented = 1 if (e.has(sp.Piecewise) and not d.has(sp.Piecewise)) else 0
        return (invented, int(sp.count_ops(e)) * 100 + len(str(e)))

    return min(candidates, key=cost)


def _param_value(name: str, value: Any) -> sp.Expr:
    """An exact real number for ``--param name`` (see :func:`cheatsheet.checking.parse.exact_number`: numbers, or
    text in the grammar; never ``sympify``)."""
    return exact_number(value, f"--param {name}")


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


def _params(params: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """NAME -> value from ``params`` (a mapping) and keyword arguments (which win), names as the grammar reads them."""
    if params is not None and not issubclass(type(params), Mapping):
        raise InputTypeError(f"params: expected a mapping of names to numbers such as {{'a': 2}}, got {type_name(params)}")
    out: dict[str, Any] = {}
    for key, value in list((params if params is not None else {}).items()) + list(kwargs.items()):
        out[_name(key, "--param")] = value
    return out


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


def _parse(source: str, text: str) -> Parsed:
    if not isinstance(text, str):
        raise InputError(f"{source}: expected the expression as text, got {type(text).__name__}")
    try:
        return parse_expression(text)
    except ParseError as exc:
        exc.source = source
        raise


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


# ----------------------------------------------------------------------------------------- domains
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


# ----------------------------------------------------------------------------------------- the work
def _verify(
    f: sp.Basic, claim: sp.Basic, pvals: dict[str, sp.Expr], names: list[str], wrt: str, given: dict[str, sp.Set],
    prove: bool,
) -> dict[str, Any]:
    """In the child: substitute the parameters, infer domains, build the one-off rule, verify it, and
    find the correct derivative."""
    from cheatsheet.printing.latex import latex
    from cheatsheet.rule import Input, Rule, RuleError
    from cheatsheet.verifier.engine import verify_rule

    subs = {sp.Symbol(n, real=True): v for n, v in pvals.items()}
    f, claim = f.subs(subs), claim.subs(subs)
    for source, e in (("F", f), ("CLAIM", claim)):
        if e.has(sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
            given_text = ", ".join(f"{k} = {v}" for k, v in pvals.items())
            raise InputError(f"{source} is undefined with the given parameters ({given_text})")
    domains: dict[str, sp.Set] = {}
    inferred: list[str] = []
    for name in names:
        if name in given:
            domains[name] = given[name]
        else:
            domains[name] = _infer_domain(f, sp.Symbol(name, real=True))
            if domains[name] != sp.S.Reals:
                inferred.append(name)
    symbols = {}
    for name in names:
        positive = domains[name].is_subset(sp.Interval.open(0, sp.oo))
        symbols[name] = sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)
    swap = {sp.Symbol(n, real=True): s for n, s in symbols.items()}
    f_, c_ = f.xreplace(swap), claim.xreplace(swap)
    try:
        rule = Rule(
            id="check", title="check", family="custom",
            inputs=tuple(Input(n, symbols[n], domains[n]) for n in names),
            function=without_distributions(f_), derivative={wrt: c_},
        )
    except RuleError as exc:
        raise InputError(str(exc).replace("rule 'check': ", "")) from None
    try:
        verdict = verify_rule(rule, prove=prove, seconds=_PROOF_SECONDS, skip_undefined=True, keep_points=True)
    except ValueError as exc:
        text = str(exc).split(": ", 2)[-1].replace("; give the inputs' domains", "").replace("the function", "F")
        raise InputError(f"{text}; give the domain with --domain NAME=SET (e.g. --domain {wrt}=positive)") from None
    verdict = _jump_causes(verdict, f_, symbols[wrt])
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


def _sharpen(verdict: Verdict, rule: Any, var: sp.Symbol) -> Verdict:
    """A counterexample whose two values print alike at 12 digits, reprinted with the digits that differ."""
    import dataclasses

    from cheatsheet.evaluate.expand import to_elementary

    cx = verdict.counterexample
    if cx is None or cx.expected != cx.got or not cx.claim.startswith("∂/∂"):
        return verdict
    true = sp.diff(to_elementary(rule.function), var)
    claim = to_elementary(rule.derivatives[next(iter(rule.derivatives))])
    # a point beside a breakpoint 1e-70 away is printed with more than 60 digits: read them all
    subs = {s: sp.Float(cx.point[s.name], max(60, len(cx.point[s.name])))
            for s in true.free_symbols | claim.free_symbols if s.name in cx.point}
    for digits in (20, 30, 45):
        a, b = sp.N(true.subs(subs), digits), sp.N(claim.subs(subs), digits)
        if str(a) != str(b):
            return dataclasses.replace(verdict, counterexample=dataclasses.replace(cx, expected=str(a), got=str(b)))
    return verdict


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
    are substituted as exact numbers (see :func:`~cheatsheet.checking.parse.exact_number`); ``domain={"x": "positive"}``,
    or as on the command line ``domain="x=positive"`` or a list of such strings, gives a variable's domain
    (otherwise it is inferred from F). Names are read as the grammar reads them: ``wrt="α"`` is ``alpha``. Returns a :class:`CheckResult` (true or false, with its evidence); raises
    :class:`~cheatsheet.checking.parse.InputError` (a :class:`~cheatsheet.checking.parse.ParseError` with the column for
    text that is not in the grammar, a ``TimeLimitError`` when the verification runs past ``timeout``
    seconds).
    """
    pf, pc = _parse("F", f), _parse("CLAIM", claim)
    values = _params(params, kwargs)
    if wrt is not None:
        wrt = _wrt_name(wrt)
    names_f = list(pf.names)
    everywhere = set(pf.names) | set(pc.names)
    pvals: dict[str, sp.Expr] = {}
    for name, value in values.items():
        if name not in everywhere:
            hint = _close(name, sorted(everywhere)) or (
                f"Their variables: {', '.join(sorted(everywhere))}." if everywhere else "They have no variables."
            )
            raise InputError(f"--param {name}: F and CLAIM have no variable {name!r}. {hint}")
        pvals[name] = _param_value(name, value)
    variables = [n for n in names_f if n not in pvals]
    for n in pc.names:
        if n not in pvals and n not in pf.names and n != wrt:
            hint = _close(n, variables)
            raise ParseError(f"CLAIM uses {n!r}, which F does not", column=pc.positions[n], text=claim,
                             hint=hint or "The derivative can only depend on F's variables and parameters.", source="CLAIM")
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
    if wrt not in variables:
        variables.insert(0, wrt)  # the derivative w.r.t. a variable F does not use is 0
    else:
        variables.remove(wrt)
        variables.insert(0, wrt)
    given: dict[str, sp.Set] = {}
    for name, value in _domains(domain).items():
        if name not in variables:
            hint = _close(name, variables)
            raise InputError(f"--domain {name}: F has no variable {name!r}. {hint or 'Its variables: ' + ', '.join(variables) + '.'}")
        given[name] = _domain_value(name, value)
    # everything from here on (even substituting a parameter: 10^a with a = 1e10) runs under the time limit
    try:
        out = run_limited(_verify, pf.expr, pc.expr, pvals, variables, wrt, given, prove, seconds=timeout)
    except TimeLimitError as exc:
        raise TimeLimitError(
            f"{exc}. Steep functions such as sin(exp(exp(x))) need a narrower domain, e.g. --domain {wrt}=(-3, 3)"
        ) from None
    verdict: Verdict = out["verdict"]
    holds = verdict.status in ("proved", "checked")
    return CheckResult(
        function=f.strip(),
        claim=claim.strip(),
        wrt=wrt,
        holds=holds,
        status=verdict.status if holds else "false",  # type: ignore[arg-type]
        verdict=verdict,
        params={k: str(v) for k, v in pvals.items()},
        domains=out["domains"],
        inferred=tuple(out["inferred"]),
        derivative_text=out["text"],
        derivative_latex=out["latex"],
        points_used=tuple(verdict.extra.get("points_used", ())),
        skipped_points=int(verdict.extra.get("skipped_points", 0)),
    )
