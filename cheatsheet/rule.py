"""The rule model: frozen dataclasses that describe one derivative rule as data and validate themselves.

A rule states a function, its derivative in textbook form (per input), the conventions at its kinks,
the extra claims its notes make (identities) and its numerically stable form. Everything printed on
the sheet comes from these sympy expressions after :mod:`cheatsheet.verifier` has checked them.

A rule is data. Its methods that compute (``evaluate``, ``derivative_at``, ``to_numpy``, ``verdict``) are thin
facades that import :mod:`cheatsheet.evaluate.numeric` or :mod:`cheatsheet.verifier.record` when called; those
modules, and everything they import, name ``Rule`` only for type hints, so dependencies point one way.
The checks a rule runs on itself when built live in :mod:`cheatsheet.rule_checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.parameters import evaluate

from cheatsheet.names import did_you_mean
from cheatsheet.notation import i as _i
from cheatsheet.rule_checks import FAMILIES, RuleError, validate

if TYPE_CHECKING:
    from cheatsheet.verifier.verdict import Verdict

__all__ = [
    "FAMILIES",
    "Definition",
    "Derivation",
    "Identity",
    "Input",
    "Kink",
    "Param",
    "Rule",
    "RuleError",
    "Step",
]

Shape = Literal["scalar", "vector", "matrix"]


@dataclass(frozen=True)
class Input:
    """One input of a rule.

    ``name`` is the keyword (PyTorch's argument name where it has one: ``input``, ``target``,
    ``weight``); ``symbol`` is what is printed: a ``Symbol`` for a scalar, an ``IndexedBase`` for a
    vector, a ``MatrixSymbol`` for a matrix. ``domain`` is the set each entry lies in; the symbol's
    sympy assumptions must agree with it. ``simplex`` marks a probability vector (entries positive,
    summing to 1; for a matrix, each row is one); ``class_index`` marks an integer class label 1..n of a vector rule; ``symmetric`` a
    symmetric matrix (a constant of the rule: derivatives are never taken w.r.t. it).
    """

    name: str
    symbol: sp.Basic
    domain: sp.Set = sp.S.Reals
    shape: Shape = "scalar"
    simplex: bool = False
    class_index: bool = False
    symmetric: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Param:
    """A keyword parameter with PyTorch's name and default.

    Numeric parameters have a ``symbol`` (what is printed) and a ``domain``; choice parameters (such as
    ``reduction``) have ``choices`` and no symbol. ``samples`` adds values the verifier must check
    besides the default and its random draws (e.g. a negative slope).
    """

    name: str
    default: Any
    symbol: sp.Symbol | None = None
    domain: sp.Set = sp.S.Reals
    choices: tuple[Any, ...] = ()
    samples: tuple[Any, ...] = ()
    doc: str = ""

    @property
    def is_choice(self) -> bool:
        """True for a parameter that selects among named options rather than a number."""
        return bool(self.choices)


@dataclass(frozen=True)
class Definition:
    """An abbreviation used by the printed formulas: ``symbol`` stands for ``value``.

    Constants (SELU's λ and α), abbreviations (p_i = softmax(x)_i, μ, x̂_i). An indexed symbol such as
    ``p[k]`` defines every ``p[a]`` with ``k`` replaced by ``a``. ``stable`` is an equal expression that
    float64 evaluation uses instead (checked to be equal by the verifier).
    """

    symbol: sp.Basic
    value: sp.Expr
    stable: sp.Expr | None = None
    text: str = ""


@dataclass(frozen=True)
class Kink:
    """A point where the derivative w.r.t. ``wrt`` jumps, with the conventions taken there.

    ``left``/``right`` are the one-sided derivatives; the Clarke subdifferential is their convex hull.
    ``torch`` is what PyTorch's autograd returns at the point (the printed derivative must evaluate to
    it), ``jax`` is JAX's value where it differs. ``jump`` marks a point where the function itself is
    discontinuous (the derivative does not exist there at all). ``given`` pins other inputs or parameters
    to values (symbol, value) for a kink that exists only there (hinge_embedding_loss: only for y = −1).
    """

    at: sp.Expr
    left: sp.Expr
    right: sp.Expr
    torch: sp.Expr
    jax: sp.Expr | None = None
    wrt: str | None = None
    jump: bool = False
    note: str = ""
    given: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()

    def subdifferential(self, rule: Rule) -> tuple[sp.Expr, sp.Expr]:
        """The interval [lower, upper] spanned by the one-sided derivatives, for every value of ``rule``'s parameters.

        The ends are ``left`` and ``right`` in the order that holds over the whole domain of the symbols they
        use (definitions such as SELU's λ and α substituted to decide it); where the order depends on a
        parameter (leaky_relu's slope α may exceed 1), the ends are min(left, right) and max(left, right), so
        that the printed interval is never reversed. The verifier checks the result at every parameter set."""
        return _ordered_ends(rule, self)


@dataclass(frozen=True)
class Identity:
    """An extra claim made by a note, checked like the rule itself (e.g. tanh x = 2σ(2x) − 1).

    ``relation`` is ``"="`` for an identity over the rule's inputs, or ``"<="``/``">="`` for a bound.
    ``domains`` gives a domain to any free symbol that is not one of the rule's inputs.
    """

    lhs: sp.Expr
    rhs: sp.Expr
    relation: Literal["=", "<=", ">="] = "="
    note: str = ""
    domains: tuple[tuple[sp.Symbol, sp.Set], ...] = ()


@dataclass(frozen=True)
class Step:
    """One line of a derivation: an expression and why it follows from the line before.

    ``"equal"``: the expression equals the previous line (the line before the first is the derivative of
    the rule's function, written d/dx f); it may contain unevaluated ``Derivative`` objects, so a
    chain-rule step is an equality too. For matrix rules, ``"differential"``: the expression is the
    differential df along the derivation's ``direction`` dX (linear in dX); ``"gradient"``: the
    expression is the gradient G read off the previous line, which must equal tr(Gᵀ dX).
    """

    expr: sp.Basic
    why: str
    kind: Literal["equal", "differential", "gradient"] = "equal"


@dataclass(frozen=True)
class Derivation:
    """A step-by-step derivation of the derivative w.r.t. ``wrt``, every step checked.

    The last step must be the rule's printed derivative. ``direction`` is the matrix symbol dX of
    differential steps (same shape as the input ``wrt``).
    """

    wrt: str
    steps: tuple[Step, ...]
    direction: sp.Basic | None = None


@dataclass(frozen=True)
class Rule:
    """One derivative rule: a function, its derivative per input, conventions, claims and references.

    Shapes: a *scalar* rule has scalar inputs; a *vector* rule has vector inputs written with
    ``IndexedBase`` entries, its function is the component f_i (free index ``i``) or a scalar (sums
    over ``k``), and its derivative is the Jacobian entry J_ij = ∂f_i/∂x_j or the gradient entry
    g_i = ∂f/∂x_i; a *matrix* rule has ``MatrixSymbol`` inputs, a scalar function and a gradient in
    denominator layout (the shape of the input). ``reduction`` marks an element-wise loss that takes
    PyTorch's ``reduction`` keyword. ``examples`` (general rules only) maps each undefined function to
    concrete functions the rule is also checked on.
    """

    id: str
    title: str
    family: str
    inputs: tuple[Input, ...]
    function: sp.Expr
    # derivative, stable_derivative and torch_kwargs accept a dict, a tuple of (name, value) pairs or (the
    # derivatives) a bare expression w.r.t. the first input; __post_init__ stores tuples of pairs.
    derivative: Any
    params: tuple[Param, ...] = ()
    where: tuple[Definition, ...] = ()
    kinks: tuple[Kink, ...] = ()
    identities: tuple[Identity, ...] = ()
    notes: tuple[str, ...] = ()
    stable: sp.Expr | None = None
    stable_derivative: Any = ()
    references: tuple[str, ...] = ()
    torch: str | None = None
    torch_kwargs: Any = ()
    jax: str | None = None
    reduction: bool = False
    examples: tuple[tuple[tuple[sp.Basic, sp.Lambda], ...], ...] = ()
    layout: str = ""
    derivation: Derivation | None = None

    def __post_init__(self) -> None:
        # Accept a bare expression (w.r.t. the first input) or a dict for the per-input fields.
        first = self.inputs[0].name if self.inputs else "input"
        for name in ("derivative", "stable_derivative", "torch_kwargs"):
            value = getattr(self, name)
            if isinstance(value, sp.Basic):
                value = ((first, value),)
            elif isinstance(value, Mapping):
                value = tuple(value.items())
            object.__setattr__(self, name, tuple(value))
        for name in ("inputs", "params", "where", "kinks", "identities", "notes", "references", "examples"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        with evaluate(True):  # catalog modules build rules inside textbook(), i.e. evaluate(False)
            validate(self)

    # ----------------------------------------------------------------- structure
    @property
    def shape(self) -> Shape:
        """The shape of the rule's inputs: 'scalar', 'vector' or 'matrix'."""
        shapes = {inp.shape for inp in self.inputs}
        if "matrix" in shapes:
            return "matrix"
        if "vector" in shapes:
            return "vector"
        return "scalar"

    @property
    def vector_output(self) -> bool:
        """True when the function is a vector (its component f_i has the free index i)."""
        return self.shape == "vector" and _i in self.function.free_symbols

    @property
    def is_general(self) -> bool:
        """True for a general rule stated with undefined functions f(x), g(x)."""
        return bool(self.function.atoms(AppliedUndef))

    def input(self, name: str) -> Input:
        """The input called ``name``; raises ``KeyError`` with a suggestion otherwise."""
        for inp in self.inputs:
            if inp.name == name:
                return inp
        names = [inp.name for inp in self.inputs]
        raise KeyError(f"rule {self.id!r} has no input {name!r}; its inputs are {names}.{did_you_mean(name, names)}")

    def param(self, name: str) -> Param:
        """The parameter called ``name``; raises ``KeyError`` with a suggestion otherwise."""
        for p in self.params:
            if p.name == name:
                return p
        names = [p.name for p in self.params]
        raise KeyError(
            f"rule {self.id!r} has no parameter {name!r}; its parameters are {names}.{did_you_mean(name, names)}"
        )

    @property
    def derivatives(self) -> dict[str, sp.Expr]:
        """The claimed derivative per input name (ordered as declared)."""
        return {w: sp.sympify(e) for w, e in self.derivative}

    @property
    def stable_derivatives(self) -> dict[str, sp.Expr]:
        """The numerically stable form of each derivative that has one."""
        return {w: sp.sympify(e) for w, e in self.stable_derivative}

    def kinks_for(self, wrt: str) -> tuple[Kink, ...]:
        """The kinks of the derivative w.r.t. input ``wrt``."""
        first = self.inputs[0].name
        return tuple(kk for kk in self.kinks if (kk.wrt or first) == wrt)

    def param_defaults(self) -> dict[str, Any]:
        """Parameter name -> default value."""
        return {p.name: p.default for p in self.params}

    # ----------------------------------------------------------------- executable table
    def evaluate(self, *inputs: Any, exact: bool = False, dps: int = 50, **kwargs: Any) -> Any:
        """The function's value: floats (or arrays) in float64 via stable forms, mpmath when ``exact``.

        Inputs are numbers or array-likes of numbers; parameters are numbers or text such as ``'1/3'``
        (read by the safe grammar); ``dps`` (1 to 1000) is the digits of an exact result, which are
        correct or a :class:`~cheatsheet.evaluate.numeric.PrecisionError` is raised (see :mod:`cheatsheet.evaluate.numeric`).
        """
        from cheatsheet.evaluate import numeric

        return numeric.evaluate(self, inputs, kwargs, exact=exact, dps=dps)

    def derivative_at(
        self, *inputs: Any, wrt: str | None = None, exact: bool = False, dps: int = 50, **kwargs: Any
    ) -> Any:
        """The derivative w.r.t. ``wrt`` (default: the first input): a float, gradient or Jacobian.

        At a kink the value is PyTorch's convention. Inputs, parameters, ``exact`` and ``dps`` as for
        :meth:`evaluate`.
        """
        from cheatsheet.evaluate import numeric

        return numeric.derivative_at(self, inputs, kwargs, wrt=wrt, exact=exact, dps=dps)

    def to_numpy(self, wrt: str | None = None) -> tuple[Any, Any]:
        """Plain numpy callables ``(f, df)`` taking the inputs then the parameters as keywords."""
        from cheatsheet.evaluate import numeric

        return numeric.to_numpy(self, wrt=wrt)

    @property
    def verdict(self) -> Verdict:
        """The verdict from the verification record shipped with the package (never re-verifies)."""
        from cheatsheet.verifier.record import verdict_for

        return verdict_for(self)


# --------------------------------------------------------------------------- the order of a kink's ends
def _domains(rule: Rule) -> dict[sp.Basic, sp.Set]:
    """The domain of every scalar input and numeric parameter symbol of ``rule``."""
    out: dict[sp.Basic, sp.Set] = {inp.symbol: inp.domain for inp in rule.inputs if inp.shape == "scalar"}
    out.update({p.symbol: p.domain for p in rule.params if p.symbol is not None})
    return out


def _with_definitions(expr: sp.Expr, rule: Rule) -> sp.Expr:
    """``expr`` with the rule's scalar definitions (SELU's λ, α; rrelu's s) replaced by their values."""
    subs = {d.symbol: d.value for d in rule.where if isinstance(d.symbol, sp.Symbol)}
    for _ in range(len(subs) + 1):  # a definition may use another one
        expr = expr.subs(subs)
    return expr


def _sign_everywhere(diff: sp.Expr, domains: Mapping[sp.Basic, sp.Set]) -> int:
    """1 when ``diff`` ≥ 0 for every value of its symbols in their domains, −1 when ≤ 0, else 0 (undecided)."""
    if diff.is_number:
        return 1 if bool(diff >= 0) else -1
    free = sorted(diff.free_symbols, key=str)
    if len(free) == 1 and free[0] in domains:  # one symbol: solve the inequality over its domain exactly
        (s,) = free
        if sp.solveset(diff < 0, s, domains[s]) is sp.S.EmptySet:
            return 1
        if sp.solveset(diff > 0, s, domains[s]) is sp.S.EmptySet:
            return -1
        return 0
    if diff.is_nonnegative:  # several symbols: only what their assumptions decide
        return 1
    if diff.is_nonpositive:
        return -1
    return 0


def _ordered_ends(rule: Rule, kink: Kink) -> tuple[sp.Expr, sp.Expr]:
    """See :meth:`Kink.subdifferential`."""
    with evaluate(True):  # catalog modules may call this inside textbook(), i.e. evaluate(False)
        lo, hi = sp.sympify(kink.left), sp.sympify(kink.right)
        pinned = dict(kink.given)
        diff = _with_definitions(sp.sympify(hi - lo), rule).subs(pinned)
        sign = _sign_everywhere(sp.simplify(diff), _domains(rule))
    if sign > 0:
        return lo, hi
    if sign < 0:
        return hi, lo
    return sp.Min(lo, hi, evaluate=False), sp.Max(lo, hi, evaluate=False)


# --------------------------------------------------------------------------- validation
