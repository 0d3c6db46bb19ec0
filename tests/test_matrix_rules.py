"""Matrix calculus: the notation the matrix rules need (vec, ⊗, diag, 𝟏) in the printer and both evaluators,
and the verifier's checks that only matrix rules exercise (sizes checked numerically, symmetric inputs)."""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

import cheatsheet
from cheatsheet.catalog import matrix as mx
from cheatsheet.evaluate.expand import _explicit
from cheatsheet.evaluate.matrix import evaluate_matrix
from cheatsheet.notation import Vec
from cheatsheet.printing.latex import latex
from cheatsheet.verifier.engine import verify_rule

m, n = sp.symbols("m n", integer=True, positive=True)
A, B, X = sp.MatrixSymbol("A", 2, 3), sp.MatrixSymbol("B", 2, 2), sp.MatrixSymbol("X", 3, 2)


def _values() -> dict[sp.Basic, np.ndarray]:
    rng = np.random.default_rng(1)
    return {A: rng.standard_normal((2, 3)), B: rng.standard_normal((2, 2)), X: rng.standard_normal((3, 2))}


def test_vec_kronecker_and_diag_evaluate_like_numpy() -> None:
    """vec stacks columns; ⊗ is np.kron; diag(v) puts v on the diagonal: in float64 and in mpmath."""
    vals = _values()
    expr = sp.MatMul(sp.KroneckerProduct(B.T, A), Vec(X))  # = vec(A X B)
    want = (vals[A] @ vals[X] @ vals[B]).reshape(-1, 1, order="F")
    np.testing.assert_allclose(evaluate_matrix(expr, vals, exact=False), want, rtol=1e-13)
    exact = {k: np.vectorize(mpmath.mpf, otypes=[object])(v) for k, v in vals.items()}
    got = np.asarray(evaluate_matrix(expr, exact, exact=True), dtype=float)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    v = sp.MatrixSymbol("v", 3, 1)
    np.testing.assert_array_equal(
        evaluate_matrix(DiagMatrix(v), {v: np.array([[1.0], [2.0], [3.0]])}, exact=False), np.diag([1.0, 2.0, 3.0])
    )


def test_explicit_instances_of_vec_kronecker_and_inverse() -> None:
    """The verifier's explicit instances: vec, ⊗ and X⁻¹ (as adjugate/determinant) on symbolic entries."""
    ex = sp.Matrix(2, 2, sp.symbols("x11 x12 x21 x22"))
    assert sp.Matrix([[ex[0, 0], ex[1, 0], ex[0, 1], ex[1, 1]]]) == _explicit(Vec(sp.ImmutableMatrix(ex))).T
    inv = _explicit(sp.Inverse(sp.ImmutableMatrix(ex)))
    assert sp.simplify(inv * ex - sp.eye(2)) == sp.zeros(2, 2)
    k = _explicit(sp.KroneckerProduct(sp.ImmutableMatrix(ex), sp.ImmutableMatrix(sp.eye(2))))
    assert k.shape == (4, 4) and k[2, 0] == ex[1, 0]


@pytest.mark.parametrize(
    "expr,tex",
    [
        (sp.MatMul(sp.MatrixSymbol("G", n, m), sp.OneMatrix(m, 1), sp.Transpose(sp.OneMatrix(m, 1))), r"G 𝟏 𝟏^{\top}"),
        (
            sp.MatMul(sp.HadamardProduct(sp.MatrixSymbol("G", n, m), sp.MatrixSymbol("H", n, m)), sp.OneMatrix(m, 1)),
            r"(G \odot H) 𝟏",
        ),
        (
            sp.MatMul(sp.Transpose(Vec(X)), sp.KroneckerProduct(B, sp.MatrixSymbol("C", 3, 3)), Vec(X)),
            r"\operatorname{vec}(X)^{\top} (B \otimes C) \operatorname{vec}(X)",
        ),
        (sp.Trace(sp.MatMul(sp.Transpose(sp.MatrixSymbol("x", n, 1)), sp.MatrixSymbol("x", n, 1))), r"x^{\top} x"),
        (sp.OneMatrix(n, m), r"𝟏 𝟏^{\top}"),
    ],
)
def test_matrix_notation_prints_unambiguously(expr: sp.Basic, tex: str) -> None:
    """𝟏𝟏ᵀ never collapses to 𝟏, ⊙ and ⊗ inside a product get parentheses, tr of a 1×1 matrix is its entry."""
    with sp.evaluate(False):
        e = expr
    assert latex(e) == tex


def test_negative_terms_keep_their_factors() -> None:
    """A sum prints its terms as written: −G𝟏𝟏ᵀ/D stays, sympy would have merged 𝟏𝟏ᵀ into one matrix."""
    d = sp.Symbol("D", integer=True, positive=True)
    g = sp.MatrixSymbol("G", n, d)
    with sp.evaluate(False):
        e = sp.MatAdd(g, sp.MatMul(-1, g, sp.OneMatrix(d, 1), sp.Transpose(sp.OneMatrix(d, 1)), 1 / d))
    assert latex(e) == r"G - \frac{G 𝟏 𝟏^{\top}}{D}"


def test_scalar_valued_matrix_function_evaluates_to_a_number() -> None:
    """xᵀAx is a 1×1 matrix; evaluate returns a number, derivative_at the gradient of the input's shape."""
    r = cheatsheet.get("quadratic_form")
    x, a = np.array([[1.0], [2.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    assert r.evaluate(x=x, A=a) == pytest.approx(27.0)
    assert np.asarray(r.evaluate(x=x, A=a, exact=True)).shape == ()
    np.testing.assert_allclose(r.derivative_at(x=x, A=a), (a + a.T) @ x)
    np.testing.assert_allclose(r.derivative_at(x=x, A=a, wrt="A"), x @ x.T)


def test_error_only_at_rectangular_sizes_is_caught() -> None:
    """Layer norm's gradient with 1/N instead of 1/D is right when N = D: the numeric check at N ≠ D fails it."""
    r = cheatsheet.get("layer_norm_backward")
    with sp.evaluate(False):
        wrong = mx.mul(
            1 / mx.N,
            mx.inv(mx.diag(mx.sig)),
            mx.add(
                mx.mul(mx.N, mx.Gn),
                mx.mul(-1, mx.Gn, mx.ones(mx.D), mx.T(mx.ones(mx.D))),
                mx.mul(-1, mx.had(mx.Xhat, mx.mul(mx.had(mx.Gn, mx.Xhat), mx.ones(mx.D), mx.T(mx.ones(mx.D))))),
            ),
        )
    v = verify_rule(dataclasses.replace(r, derivative=(("input", wrong),)), prove=False)
    assert v.status == "failed" and "D=2, N=3" in v.reason


def test_transposed_vector_gradient_is_a_false_claim() -> None:
    """aᵀ instead of a: a shape error reported as a counterexample, not a crash."""
    r = cheatsheet.get("linear_form")
    v = verify_rule(dataclasses.replace(r, derivative=(("x", mx.a.T),)), prove=False)
    assert v.status == "failed" and "gradient" in v.reason and "1×2" in v.reason


@pytest.mark.parametrize("rule_id", [r.id for r in cheatsheet.rules("matrix") if any(i.symmetric for i in r.inputs)])
def test_symmetric_only_formula_fails_on_non_symmetric_input(rule_id: str) -> None:
    """Every symmetric special case is rejected once its matrices may be non-symmetric."""
    r = cheatsheet.get(rule_id)
    loose = dataclasses.replace(r, inputs=tuple(dataclasses.replace(i, symmetric=False) for i in r.inputs))
    assert verify_rule(loose, prove=False).status == "failed"


def test_cookbook_127_needs_a_symmetric_a() -> None:
    """The Cookbook's (127) assumes B and C symmetric; with a non-symmetric A its formula is false."""
    r = cheatsheet.get("trace_inv_a_xtcx_xtbx")
    loose = dataclasses.replace(
        r, inputs=tuple(dataclasses.replace(i, symmetric=False) if i.name == "A" else i for i in r.inputs)
    )
    assert verify_rule(loose, prove=False).status == "failed"
