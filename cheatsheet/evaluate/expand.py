"""From a rule's printed expressions to concrete ones: definitions substituted, notation made
elementary, vectors and matrices instantiated at an explicit size with one symbol per entry.

The verifier and the exact evaluator both start here, so what they check and what they compute is
exactly what the sheet prints.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.codegen.cfunctions import exp2, expm1, log1p, log2, log10
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from cheatsheet.evaluate.dispatch import ByClass
from cheatsheet.grammar.numbers import exact_number
from cheatsheet.notation import RowSoftmax, Vec, elementary, n

if TYPE_CHECKING:
    from cheatsheet.rule import Definition, Input, Rule

__all__ = [
    "Instance",
    "concrete",
    "dimensions",
    "expand_where",
    "instantiate",
    "param_values",
    "reevaluate",
    "to_elementary",
]

_CFUNCS: tuple[tuple[Any, Any], ...] = (
    (log1p, lambda a: sp.log(1 + a)),
    (expm1, lambda a: sp.exp(a) - 1),
    (exp2, lambda a: 2**a),
    (log2, lambda a: sp.log(a) / sp.log(2)),
    (log10, lambda a: sp.log(a) / sp.log(10)),
)


def to_elementary(expr: sp.Basic) -> sp.Basic:
    """Notation functions and C-style helpers (log1p, expm1, ...) replaced by elementary forms."""
    expr = elementary(sp.sympify(expr))
    for cls, rep in _CFUNCS:
        if expr.has(cls):
            expr = expr.replace(cls, rep)
    return expr


def expand_where(expr: sp.Basic, where: Iterable[Definition], *, stable: bool = False) -> sp.Basic:
    """Substitute the rule's definitions (repeatedly: a definition may use an earlier one).

    With ``stable`` a definition's stable form is used where it has one.
    """
    defs = list(where)
    expr = sp.sympify(expr)
    for _ in range(len(defs) + 1):
        changed = False
        for d in defs:
            value = d.stable if (stable and d.stable is not None) else d.value
            sym = d.symbol
            if isinstance(sym, sp.Indexed):
                base, dummy = sym.base, sym.indices[0]
                if expr.has(base):
                    expr = expr.replace(
                        lambda e, _b=base: isinstance(e, sp.Indexed) and e.base == _b,
                        lambda e, _v=value, _d=dummy: _v.xreplace({_d: e.indices[0]}),
                    )
                    changed = True
            elif expr.has(sym):
                expr = expr.xreplace({sym: value})
                changed = True
        if not changed:
            return expr
    raise ValueError(f"definitions are circular: {[str(d.symbol) for d in defs]}")


def param_values(rule: Rule, values: Mapping[str, Any]) -> dict[sp.Symbol, sp.Expr]:
    """Parameter symbol -> exact value, defaults filled in.

    Every value, given or default, is read by :func:`cheatsheet.grammar.numbers.exact_number` (numbers, or text in
    the safe grammar; 0.1 is 1/10), never by ``sympify``, which runs text and calls ``_sympy_`` on objects.
    """
    out: dict[sp.Symbol, sp.Expr] = {}
    for p in rule.params:
        if p.symbol is not None:
            value = values.get(p.name, p.default)
            out[p.symbol] = exact_number(value, f"{rule.id}: parameter {p.name}")
    return out


def reevaluate(expr: sp.Basic) -> sp.Basic:
    """``expr`` rebuilt with sympy's evaluation on.

    Catalog expressions are built unevaluated (for the printer); left so, a ``6**(-1)`` stays a power
    that lambdify turns into the 15-digit float 0.1666..., and the 50-digit gate fails by 1e-17.
    """
    if not expr.args or isinstance(expr, (sp.Indexed, sp.IndexedBase)):
        return expr
    with sp.evaluate(True):
        return expr.func(*[reevaluate(a) for a in expr.args])


def concrete(expr: sp.Basic, rule: Rule, *, stable: bool = False) -> sp.Basic:
    """Definitions substituted, notation made elementary, the result evaluated, derivatives and
    substitutions carried out."""
    e = reevaluate(to_elementary(expand_where(expr, rule.where, stable=stable)))
    # An expression with vector entries is carried out by Instance.apply once n is explicit: done here, with
    # a symbolic n, sympy tries every sum a derivative produces in closed form (seconds per derivation step).
    if e.has(sp.Derivative, sp.Subs) and not e.has(sp.Indexed):
        e = e.doit()
    return e


@dataclass
class Instance:
    """A vector or matrix rule at an explicit size: one symbol per entry.

    ``entries`` maps each ``Indexed``/``MatrixElement`` of an input to its symbol (or, for the last
    entry of a simplex vector, to 1 minus the others); ``variables`` lists the free symbols with the
    input each belongs to; ``explicit`` maps matrix symbols to explicit matrices.
    """

    size: int
    dims: dict[sp.Symbol, int] = field(default_factory=dict)
    entries: dict[sp.Basic, sp.Expr] = field(default_factory=dict)
    variables: list[tuple[sp.Symbol, Input]] = field(default_factory=list)
    explicit: dict[sp.Basic, sp.Matrix] = field(default_factory=dict)
    by_input: dict[str, list[sp.Expr]] = field(default_factory=dict)
    _expanded: dict[sp.Basic, sp.Basic] = field(default_factory=dict, repr=False)

    def apply(self, expr: sp.Basic, indices: Mapping[sp.Symbol, int] | None = None) -> sp.Basic:
        """``expr`` at this size: sums expanded, free indices fixed, entries replaced by symbols."""
        e = sp.sympify(expr)
        if self.explicit:
            e = e.xreplace(self.explicit)
            sizes = {d: v for d, v in self.dims.items() if e.has(d)}
            e = e.subs(sizes) if sizes else e
            if indices:
                e = e.subs(dict(indices))
            # explicit first: doit() would invert an explicit symbolic matrix by Gaussian elimination
            # with simplification (1 s at 3x3, minutes at 4x4); _explicit uses adjugate/determinant
            e = _explicit(e)
            if not isinstance(e, sp.MatrixBase) and any(_is_symbolic_matrix(a) for a in sp.preorder_traversal(e)):
                e = _explicit(e.doit())
            if isinstance(e, sp.MatrixBase):
                return e.applyfunc(lambda v: self._entries(v))
            return self._entries(e)
        key = e
        base = self._expanded.get(key)
        if base is None:  # expand the sums once per expression, then fix the free indices per entry
            base = e.subs(n, self.size).doit()
            self._expanded[key] = base
        if indices:
            base = base.subs(dict(indices))
            if base.has(sp.Sum, sp.Product):
                base = base.doit()
        return self._entries(base)

    def _entries(self, e: sp.Basic) -> sp.Basic:
        if not self.entries:
            return e
        return e.xreplace(self.entries)


def _is_symbolic_matrix(e: sp.Basic) -> bool:
    return isinstance(e, sp.MatrixExpr) and not isinstance(e, sp.MatrixBase)


def _inverse(m: sp.MatrixBase) -> sp.MatrixBase:
    """The inverse of an explicit matrix as adjugate / determinant: exact, and 1000x faster on symbolic
    entries than sympy's default (Gaussian elimination that simplifies every pivot)."""
    return sp.ImmutableMatrix(m.adjugate() / m.det())


#: How each kind of matrix expression becomes an explicit matrix (see :func:`_explicit`).
_EXPLICIT: ByClass[Callable[[Any], Any]] = ByClass()


def _explicit(e: sp.Basic) -> sp.Basic:
    """A matrix expression over explicit matrices computed as an explicit matrix (or scalar).

    ``doit`` leaves a Hadamard product with a matrix of ones or a softmax of a product symbolic, and
    sympy's own ``as_explicit`` builds a symbolic sum per entry (minutes for attention); this multiplies
    the explicit matrices directly, by the handler of the expression's class (a scalar expression with a
    matrix inside, such as 2·tr(X), is rebuilt from its explicit arguments).
    """
    if isinstance(e, sp.MatrixBase) or not e.has(sp.MatrixExpr):
        return e
    handler = _EXPLICIT.find(type(e))
    if handler is None:
        return e.func(*[_explicit(a) for a in e.args])
    return handler(e)


@_EXPLICIT.register(sp.MatMul)
def _matmul(e: sp.MatMul) -> Any:
    out: Any = sp.Integer(1)
    for a in e.args:
        out = out * _explicit(a)
    return out


@_EXPLICIT.register(sp.MatAdd)
def _matadd(e: sp.MatAdd) -> Any:
    return reduce(operator.add, [_explicit(a) for a in e.args])


@_EXPLICIT.register(sp.HadamardProduct)
def _hadamard(e: sp.HadamardProduct) -> Any:
    return reduce(lambda a, b: a.multiply_elementwise(b), [_explicit(a) for a in e.args])


@_EXPLICIT.register(sp.HadamardPower)
def _hadamard_power(e: sp.HadamardPower) -> Any:
    exp = e.exp
    return _explicit(e.base).applyfunc(lambda v: v**exp)


@_EXPLICIT.register(sp.Transpose)
def _transpose(e: sp.Transpose) -> Any:
    return _explicit(e.arg).T


@_EXPLICIT.register(sp.Inverse)
def _inverse_of(e: sp.Inverse) -> Any:
    return _inverse(_explicit(e.arg))


@_EXPLICIT.register(sp.MatPow)
def _matpow(e: sp.MatPow) -> Any:
    base, exp = _explicit(e.base), e.exp
    if exp.is_Integer and exp < 0:
        base, exp = _inverse(base), -exp
    return base**exp


@_EXPLICIT.register(ElementwiseApplyFunction)
def _elementwise(e: ElementwiseApplyFunction) -> Any:
    fn = e.function
    return _explicit(e.expr).applyfunc(fn)


@_EXPLICIT.register(RowSoftmax)
def _row_softmax(e: RowSoftmax) -> Any:
    return RowSoftmax(_explicit(e.arg)).doit()


@_EXPLICIT.register(Vec)
def _vec(e: Vec) -> Any:
    return Vec(_explicit(e.arg)).doit()


@_EXPLICIT.register(sp.KroneckerProduct)
def _kronecker(e: sp.KroneckerProduct) -> Any:
    return sp.ImmutableMatrix(sp.kronecker_product(*[_explicit(a) for a in e.args]))


@_EXPLICIT.register(sp.Trace)
def _trace(e: sp.Trace) -> Any:
    return _explicit(e.arg).trace()


@_EXPLICIT.register(sp.Determinant)
def _determinant(e: sp.Determinant) -> Any:
    return _explicit(e.arg).det()


@_EXPLICIT.register(MatrixElement)
def _element(e: MatrixElement) -> Any:
    return _explicit(e.parent)[e.i, e.j]


@_EXPLICIT.register(sp.MatrixExpr)  # any other (1, 0, I, a symbol): sympy's own entries
def _as_explicit(e: sp.MatrixExpr) -> Any:
    return sp.ImmutableMatrix(e.as_explicit())


def _entry_symbol(inp: Input, name: str) -> sp.Symbol:
    if inp.domain.is_subset(sp.Interval.open(0, sp.oo)) or inp.simplex:
        return sp.Symbol(name, positive=True)
    return sp.Symbol(name, real=True)


def dimensions(rule: Rule) -> list[sp.Symbol]:
    """The dimension symbols of the rule's matrix inputs (n, m, d, ...), sorted by name."""
    found: set[sp.Symbol] = set()
    for inp in rule.inputs:
        if inp.shape == "matrix":
            for d in inp.symbol.shape:
                found |= set(sp.sympify(d).free_symbols)
    return sorted(found, key=str)


def instantiate(rule: Rule, size: int, dims: Mapping[sp.Symbol, int] | None = None) -> Instance:
    """Symbols for every entry of the rule's vector and matrix inputs at ``size`` (every dimension
    symbol of a matrix shape is ``size`` unless ``dims`` gives it another value)."""
    sizes = dict.fromkeys(dimensions(rule), size) | dict(dims or {})
    sizes.setdefault(n, size)
    inst = Instance(size=size, dims=sizes)
    for inp in rule.inputs:
        if inp.shape == "vector":
            _instantiate_vector(inst, inp, size)
        elif inp.shape == "matrix":
            _instantiate_matrix(inst, inp, sizes)
    return inst


def _instantiate_vector(inst: Instance, inp: Input, size: int) -> None:
    """One symbol per entry of the vector input ``inp`` (the last entry of a simplex is 1 minus the others)."""
    sym = inp.symbol
    assert isinstance(sym, sp.IndexedBase)
    base = str(sym.label)
    syms = [_entry_symbol(inp, f"{base}_{a}") for a in range(1, size + 1)]
    values: list[sp.Expr] = list(syms)
    if inp.simplex:
        values[-1] = 1 - sp.Add(*syms[:-1])
        syms = syms[:-1]
    for a, v in enumerate(values, start=1):
        inst.entries[sym[a]] = v
    inst.variables += [(s, inp) for s in syms]
    inst.by_input[inp.name] = values


def _instantiate_matrix(inst: Instance, inp: Input, sizes: Mapping[sp.Symbol, int]) -> None:
    """An explicit matrix of symbols for the matrix input ``inp``, its free entries among the variables."""
    sym = inp.symbol
    assert isinstance(sym, sp.MatrixSymbol)
    rows, cols = (int(sp.sympify(d).subs(sizes)) for d in sym.shape)
    base = str(sym.name)
    sep = "," if max(rows, cols) > 9 else ""

    def entry(r: int, c: int) -> sp.Symbol:
        if inp.symmetric:  # one symbol per entry on or above the diagonal
            r, c = min(r, c), max(r, c)
        return _entry_symbol(inp, f"{base}_{r + 1}{sep}{c + 1}")

    mat = sp.Matrix(rows, cols, entry)
    if inp.symmetric:
        free = [mat[r, c] for r in range(rows) for c in range(cols) if r <= c]
    elif inp.simplex:  # each row a probability vector: its last entry is 1 minus the others
        free = [mat[r, c] for r in range(rows) for c in range(cols - 1)]
        for r in range(rows):
            mat[r, cols - 1] = 1 - sp.Add(*[mat[r, c] for c in range(cols - 1)])
    else:
        free = list(mat)
    inst.explicit[sym] = mat
    inst.variables += [(s, inp) for s in free]
    inst.by_input[inp.name] = list(mat)
