"""Matrix calculus: scalar functions of vectors and matrices, gradients in denominator layout (the shape of
the input), checked on explicit generic matrices and random non-symmetric ones (FINDINGS §1).

Vectors are n×1 matrices, so xᵀAx is a 1×1 matrix (a scalar). The layer rules are vector–Jacobian
products: the function is tr(Gᵀ Y) for the layer's output Y and an upstream gradient G of Y's shape, so the
gradient w.r.t. an input is exactly what the layer's backward pass returns. Dimensions are symbols (m, n,
p, q, N, ...): the verifier gives them different sizes, so every product is checked with non-square
factors wherever the formula allows them. Equation numbers are those of the Matrix Cookbook (Petersen &
Pedersen, version of November 15, 2012).

Expressions are built with the helpers below (unevaluated MatAdd/MatMul/Transpose) so that the sheet prints
x − a, (Ax − b)ᵀ and Bᵀ ⊗ A as written, not sympy's canonical −a + x, −bᵀ + xᵀAᵀ.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from cheatsheet.catalog._common import POSITIVE, n, pos, textbook
from cheatsheet.notation import RowSoftmax, Vec, sigmoid
from cheatsheet.rule import Definition, Derivation, Identity, Input, Param, Rule, Step

__all__ = ["RULES"]


def _dim(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


m, p, q = _dim("m"), _dim("p"), _dim("q")
N, M, C, D, d, e = _dim("N"), _dim("M"), _dim("C"), _dim("D"), _dim("d"), _dim("e")
d_in, d_out = _dim("d_in"), _dim("d_out")
LAYOUT = "denominator"


def mat(name: str, rows: sp.Expr, cols: sp.Expr = sp.S.One) -> sp.MatrixSymbol:
    """A matrix symbol (a column vector when ``cols`` is omitted)."""
    return sp.MatrixSymbol(name, rows, cols)


def arg(
    name: str,
    symbol: sp.MatrixSymbol,
    doc: str = "",
    *,
    symmetric: bool = False,
    simplex: bool = False,
    domain: sp.Set = sp.S.Reals,
) -> Input:
    return Input(name, symbol, domain, shape="matrix", doc=doc, symmetric=symmetric, simplex=simplex)


# Unevaluated constructors (used inside textbook()): the sheet prints what is written, in that order.
def add(*terms: sp.Basic) -> sp.Basic:
    """A sum of matrices, or of scalars (traces)."""
    if any(isinstance(t_, sp.MatrixExpr) for t_ in terms):
        return sp.MatAdd(*terms)
    return sp.Add(*terms)


def sub(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    return sp.MatAdd(a, sp.MatMul(-1, b))


def mul(*factors: sp.Basic) -> sp.Basic:
    return sp.MatMul(*factors)


def T(a: sp.Basic) -> sp.Basic:  # the transpose, as textbooks write it
    return sp.Transpose(a)


def inv(a: sp.Basic) -> sp.Basic:
    return sp.Inverse(a)


def invT(a: sp.Basic) -> sp.Basic:
    """A⁻ᵀ = (A⁻¹)ᵀ."""
    return sp.Transpose(sp.Inverse(a))


def tr(a: sp.Basic) -> sp.Basic:
    return sp.Trace(a)


def det(a: sp.Basic) -> sp.Basic:
    return sp.Determinant(a)


def had(*factors: sp.Basic) -> sp.Basic:
    return sp.HadamardProduct(*factors)


def ones(k: sp.Expr) -> sp.Basic:
    """𝟏, the all-ones column of length k."""
    return sp.OneMatrix(k, 1)


def diag(v: sp.Basic) -> sp.Basic:
    return DiagMatrix(v)


_z = sp.Symbol("z", real=True)


def each(body: sp.Expr, a: sp.Basic) -> sp.Basic:
    """The scalar function z ↦ body applied to every entry of ``a`` (printed f(A))."""
    return a.applyfunc(sp.Lambda(_z, body))


def cookbook(*numbers: int) -> str:
    return "Matrix Cookbook " + ", ".join(f"({k})" for k in numbers)


_DOT, _TRACE, _SOLVE, _DET = "torch.linalg.multi_dot", "torch.trace", "torch.linalg.solve", "torch.det"
#: The PyTorch callable each rule is compared with (the adapters are in cheatsheet/conformance/matrix.py).
TORCH: dict[str, str] = {
    "linear_form": "torch.inner",
    "bilinear_form": _DOT,
    "bilinear_form_transposed": _DOT,
    "quadratic_form": _DOT,
    "quadratic_form_symmetric": _DOT,
    "affine_bilinear_form": _DOT,
    "squared_norm": "torch.linalg.vector_norm",
    "euclidean_norm": "torch.linalg.vector_norm",
    "gram_bilinear_form": _DOT,
    "weighted_gram_form": _DOT,
    "affine_quadratic_form": _DOT,
    "least_squares": "F.mse_loss",
    "weighted_least_squares": _DOT,
    "trace_ax": _TRACE,
    "trace_axb": _TRACE,
    "trace_axtb": _TRACE,
    "trace_xta": _TRACE,
    "trace_x2": _TRACE,
    "trace_x2b": _TRACE,
    "trace_xtbx": _TRACE,
    "trace_xtbx_symmetric": _TRACE,
    "trace_xbxt": _TRACE,
    "trace_axbx": _TRACE,
    "frobenius_norm_squared": "torch.linalg.matrix_norm",
    "trace_btxtcxb": _TRACE,
    "trace_xtbxc": _TRACE,
    "trace_axbxtc": _TRACE,
    "frobenius_affine": "torch.linalg.matrix_norm",
    "trace_inv_xtcx_a": _SOLVE,
    "trace_inv_a_xtcx_xtbx": _SOLVE,
    "inverse_bilinear": _SOLVE,
    "trace_axinvb": _SOLVE,
    "trace_inverse": "torch.linalg.inv",
    "det": _DET,
    "logdet": "torch.logdet",
    "logabsdet": "torch.linalg.slogdet",
    "det_axb": _DET,
    "det_inverse": _DET,
    "logdet_xtx": "torch.logdet",
    "det_xtax": _DET,
    "frobenius_norm": "torch.linalg.matrix_norm",
    "vec_kronecker": "torch.kron",
    "kronecker_quadratic_form": "torch.kron",
    "linear": "F.linear",
    "sigmoid_backward": "torch.sigmoid",
    "tanh_backward": "torch.tanh",
    "cross_entropy_batch": "F.cross_entropy",
    "layer_norm_backward": "F.layer_norm",
    "rms_norm_backward": "F.rms_norm",
    "batch_norm_backward": "F.batch_norm",
    "scaled_dot_product_attention": "F.scaled_dot_product_attention",
    "dropout": "torch.ops.aten.native_dropout_backward",
}


def rule(
    id: str, title: str, inputs: tuple[Input, ...], function: sp.Basic, derivative: dict[str, sp.Basic], **kw: Any
) -> Rule:
    return Rule(
        id=id,
        title=title,
        family="matrix",
        inputs=inputs,
        function=function,
        derivative=derivative,
        layout=LAYOUT,
        torch=TORCH.get(id),
        **kw,
    )


with textbook():
    # ================================================================== linear and quadratic forms
    x, a, b, c = mat("x", n), mat("a", n), mat("b", n), mat("c", n)
    A, B = mat("A", n, n), mat("B", n, n)
    X = mat("X", m, n)  # rectangular wherever the formula allows it
    am, bm, cm = mat("a", m), mat("b", m), mat("c", m)
    Amn, Dmm = mat("A", m, n), mat("D", m, m)
    dx = mat("dx", n)
    NORM = sp.Symbol(r"\|x - a\|", positive=True)

    FORMS: tuple[Rule, ...] = (
        rule(
            "linear_form",
            "Linear form",
            (arg("x", x), arg("a", a, "constant vector")),
            mul(T(a), x),
            {"x": a},
            identities=(Identity(mul(T(a), x), mul(T(x), a), note="aᵀx = xᵀa"),),
            notes=("The gradient of a linear function is its coefficient vector, whether written aᵀx or xᵀa.",),
            references=(cookbook(69),),
        ),
        rule(
            "bilinear_form",
            "Bilinear form aᵀXb",
            (arg("a", am, "constant vector"), arg("X", X), arg("b", b, "constant vector")),
            mul(T(am), X, b),
            {"X": mul(am, T(b))},
            notes=("An outer product: entry (i, j) is aᵢbⱼ, the coefficient of Xᵢⱼ in aᵀXb.",),
            references=(cookbook(70),),
        ),
        rule(
            "bilinear_form_transposed",
            "Bilinear form aᵀXᵀb",
            (arg("a", a, "constant vector"), arg("X", X), arg("b", bm, "constant vector")),
            mul(T(a), T(X), bm),
            {"X": mul(bm, T(a))},
            identities=(Identity(mul(T(a), T(X), bm), mul(T(bm), X, a), note="aᵀXᵀb = bᵀXa"),),
            notes=("aᵀXᵀb = bᵀXa, so the gradient is baᵀ, not abᵀ.",),
            references=(cookbook(71),),
        ),
        rule(
            "quadratic_form",
            "Quadratic form",
            (arg("x", x), arg("A", A, "any square matrix, not necessarily symmetric")),
            mul(T(x), A, x),
            {"x": mul(add(A, T(A)), x), "A": mul(x, T(x))},
            identities=(
                Identity(
                    mul(T(x), A, x),
                    mul(T(x), add(A, T(A)), x, sp.Rational(1, 2)),
                    note="only the symmetric part (A + Aᵀ)/2 enters xᵀAx",
                ),
            ),
            notes=(
                "For a general A the gradient is (A + Aᵀ)x; 2Ax holds only for symmetric A.",
                "Only the symmetric part of A enters xᵀAx, so ∂/∂A = xxᵀ is symmetric too.",
            ),
            references=(cookbook(81, 72),),
            derivation=Derivation(
                "x",
                (
                    Step(
                        add(mul(T(dx), A, x), mul(T(x), A, dx)),
                        "product rule: d(xᵀAx) = dxᵀAx + xᵀA dx",
                        "differential",
                    ),
                    Step(
                        add(mul(T(x), T(A), dx), mul(T(x), A, dx)),
                        "dxᵀAx is a scalar, equal to its transpose xᵀAᵀdx",
                        "differential",
                    ),
                    Step(mul(T(x), add(T(A), A), dx), "factor out xᵀ on the left and dx on the right", "differential"),
                    Step(mul(T(mul(add(A, T(A)), x)), dx), "xᵀ(Aᵀ + A) = ((A + Aᵀ)x)ᵀ", "differential"),
                    Step(mul(add(A, T(A)), x), "read off the gradient g from df = gᵀdx", "gradient"),
                ),
                direction=dx,
            ),
        ),
        rule(
            "quadratic_form_symmetric",
            "Quadratic form, symmetric matrix",
            (arg("x", x), arg("B", B, "symmetric: Bᵀ = B", symmetric=True)),
            mul(T(x), B, x),
            {"x": mul(2, B, x)},
            notes=("Symmetric B only (covariances, Hessians); for any other B the gradient is (B + Bᵀ)x.",),
            references=(cookbook(81) + " with Bᵀ = B",),
        ),
        rule(
            "affine_bilinear_form",
            "Product of two affine forms",
            (
                arg("x", x),
                arg("B", mat("B", m, n)),
                arg("b", bm),
                arg("C", mat("C", m, p)),
                arg("D", mat("D", p, n)),
                arg("d", mat("d", p)),
            ),
            mul(T(add(mul(mat("B", m, n), x), bm)), mat("C", m, p), add(mul(mat("D", p, n), x), mat("d", p))),
            {
                "x": add(
                    mul(T(mat("B", m, n)), mat("C", m, p), add(mul(mat("D", p, n), x), mat("d", p))),
                    mul(T(mat("D", p, n)), T(mat("C", m, p)), add(mul(mat("B", m, n), x), bm)),
                )
            },
            notes=("Product rule: each affine factor gives its matrix, transposed, times the rest.",),
            references=(cookbook(78),),
        ),
        rule(
            "squared_norm",
            "Squared Euclidean norm",
            (arg("x", x),),
            mul(T(x), x),
            {"x": mul(2, x)},
            notes=("‖x‖² = xᵀx. Weight decay (λ/2)‖w‖² therefore adds λw to the gradient.",),
            references=(cookbook(131), "PyTorch torch.linalg.vector_norm"),
        ),
        rule(
            "euclidean_norm",
            "Euclidean distance",
            (arg("x", x, "x ≠ a"), arg("a", a, "constant vector")),
            NORM,
            {"x": mul(sub(x, a), 1 / NORM)},
            where=(Definition(NORM, sp.sqrt(tr(mul(T(sub(x, a)), sub(x, a)))), text="Euclidean norm"),),
            notes=(
                "The unit vector from a towards x; undefined at x = a, where PyTorch's vector_norm backward gives 0.",
            ),
            references=(cookbook(129), "PyTorch torch.linalg.vector_norm"),
        ),
        rule(
            "gram_bilinear_form",
            "Bilinear form of XᵀX",
            (arg("X", X), arg("b", b, "constant vector"), arg("c", c, "constant vector")),
            mul(T(b), T(X), X, c),
            {"X": mul(X, add(mul(b, T(c)), mul(c, T(b))))},
            notes=("bᵀXᵀXc = (Xb)ᵀ(Xc); with c = b it is ‖Xb‖², gradient 2Xbbᵀ.",),
            references=(cookbook(77),),
        ),
        rule(
            "weighted_gram_form",
            "Bilinear form of XᵀDX",
            (arg("X", X), arg("b", b, "constant vector"), arg("c", c, "constant vector"), arg("D", Dmm)),
            mul(T(b), T(X), Dmm, X, c),
            {"X": add(mul(T(Dmm), X, b, T(c)), mul(Dmm, X, c, T(b)))},
            notes=("With D = I it is bᵀXᵀXc, gradient X(bcᵀ + cbᵀ).",),
            references=(cookbook(82),),
        ),
        rule(
            "affine_quadratic_form",
            "Quadratic form of Xb + c",
            (arg("X", X), arg("b", b, "constant vector"), arg("c", cm, "constant vector"), arg("D", Dmm)),
            mul(T(add(mul(X, b), cm)), Dmm, add(mul(X, b), cm)),
            {"X": mul(add(Dmm, T(Dmm)), add(mul(X, b), cm), T(b))},
            notes=("A rank-one gradient: the vector (D + Dᵀ)(Xb + c) times bᵀ.",),
            references=(cookbook(83),),
        ),
        rule(
            "least_squares",
            "Least squares",
            (arg("x", x), arg("A", Amn), arg("b", bm, "targets")),
            mul(T(sub(mul(Amn, x), bm)), sub(mul(Amn, x), bm)),
            {"x": mul(2, T(Amn), sub(mul(Amn, x), bm)), "A": mul(2, sub(mul(Amn, x), bm), T(x))},
            notes=(
                "‖Ax − b‖²; the gradient in x vanishes at the normal equations AᵀAx = Aᵀb.",
                "F.mse_loss(Ax, b, reduction='sum') is this function; 'mean' divides it and its gradients by m.",
            ),
            references=(cookbook(84, 88) + " with W = I", "PyTorch F.mse_loss"),
        ),
        rule(
            "weighted_least_squares",
            "Weighted least squares",
            (
                arg("x", mat("x", m)),
                arg("A", Amn),
                arg("s", mat("s", n)),
                arg("W", mat("W", m, m), "symmetric weight, e.g. an inverse covariance", symmetric=True),
            ),
            mul(T(sub(mat("x", m), mul(Amn, mat("s", n)))), mat("W", m, m), sub(mat("x", m), mul(Amn, mat("s", n)))),
            {
                "s": mul(-2, T(Amn), mat("W", m, m), sub(mat("x", m), mul(Amn, mat("s", n)))),
                "x": mul(2, mat("W", m, m), sub(mat("x", m), mul(Amn, mat("s", n)))),
                "A": mul(-2, mat("W", m, m), sub(mat("x", m), mul(Amn, mat("s", n))), T(mat("s", n))),
            },
            notes=("Symmetric W only; for any other W replace 2W by W + Wᵀ.",),
            references=(cookbook(84, 87, 88),),
        ),
    )

    # ================================================================== traces
    Xnm, Xnn = mat("X", n, m), mat("X", n, n)
    Apm, Bnp = mat("A", p, m), mat("B", n, p)
    Bmm, Cmm, Bnn, Cnn = mat("B", m, m), mat("C", m, m), mat("B", n, n), mat("C", n, n)
    dX = mat("dX", m, n)
    TRACES: tuple[Rule, ...] = (
        rule(
            "trace_ax",
            "Trace of a product",
            (arg("A", Amn), arg("X", Xnm)),
            tr(mul(Amn, Xnm)),
            {"X": T(Amn)},
            identities=(Identity(tr(mul(Amn, Xnm)), tr(mul(Xnm, Amn)), note="tr(AX) = tr(XA)"),),
            notes=("∂ tr(AX)/∂X = Aᵀ; printing A is a common error (it is the numerator-layout form).",),
            references=(cookbook(100),),
        ),
        rule(
            "trace_axb",
            "Trace of AXB",
            (arg("A", Apm), arg("X", X), arg("B", Bnp)),
            tr(mul(Apm, X, Bnp)),
            {"X": mul(T(Apm), T(Bnp))},
            notes=("The pattern behind every trace rule: move the constants beside dX cyclically, then transpose.",),
            references=(cookbook(101),),
            derivation=Derivation(
                "X",
                (
                    Step(tr(mul(Apm, dX, Bnp)), "A and B are constant: d(AXB) = A dX B", "differential"),
                    Step(tr(mul(Bnp, Apm, dX)), "cyclic property: tr(A dX B) = tr(BA dX)", "differential"),
                    Step(tr(mul(T(mul(T(Apm), T(Bnp))), dX)), "BA = (AᵀBᵀ)ᵀ", "differential"),
                    Step(mul(T(Apm), T(Bnp)), "read off the gradient G from df = tr(Gᵀ dX)", "gradient"),
                ),
                direction=dX,
            ),
        ),
        rule(
            "trace_axtb",
            "Trace of AXᵀB",
            (arg("A", mat("A", p, n)), arg("X", X), arg("B", mat("B", m, p))),
            tr(mul(mat("A", p, n), T(X), mat("B", m, p))),
            {"X": mul(mat("B", m, p), mat("A", p, n))},
            notes=("tr(AXᵀB) = tr(BᵀXAᵀ), so the gradient is (AᵀBᵀ)ᵀ = BA.",),
            references=(cookbook(102),),
        ),
        rule(
            "trace_xta",
            "Frobenius inner product tr(XᵀA)",
            (arg("X", X), arg("A", Amn)),
            tr(mul(T(X), Amn)),
            {"X": Amn},
            identities=(Identity(tr(mul(T(X), Amn)), tr(mul(Amn, T(X))), note="tr(XᵀA) = tr(AXᵀ)"),),
            notes=("tr(XᵀA) = Σᵢⱼ XᵢⱼAᵢⱼ: a gradient G is read off from df = tr(Gᵀ dX).",),
            references=(cookbook(103, 104),),
        ),
        rule(
            "trace_x2",
            "Trace of X²",
            (arg("X", Xnn),),
            tr(Xnn**2),
            {"X": mul(2, T(Xnn))},
            notes=("Not 2X: d tr(X²) = 2 tr(X dX), so the gradient is 2Xᵀ.",),
            references=(cookbook(106),),
        ),
        rule(
            "trace_x2b",
            "Trace of X²B",
            (arg("X", Xnn), arg("B", Bnn)),
            tr(mul(Xnn**2, Bnn)),
            {"X": T(add(mul(Xnn, Bnn), mul(Bnn, Xnn)))},
            notes=("With B = I it is tr(X²), gradient 2Xᵀ.",),
            references=(cookbook(107),),
        ),
        rule(
            "trace_xtbx",
            "Trace of XᵀBX",
            (arg("X", X), arg("B", Bmm)),
            tr(mul(T(X), Bmm, X)),
            {"X": add(mul(Bmm, X), mul(T(Bmm), X))},
            identities=(
                Identity(tr(mul(T(X), Bmm, X)), tr(mul(Bmm, X, T(X))), note="= tr(BXXᵀ)"),
                Identity(tr(mul(T(X), Bmm, X)), tr(mul(X, T(X), Bmm)), note="= tr(XXᵀB)"),
            ),
            notes=("tr(XᵀBX) = tr(BXXᵀ) = tr(XXᵀB) by the cyclic property: one gradient for all three.",),
            references=(cookbook(108, 109, 110),),
            derivation=Derivation(
                "X",
                (
                    Step(add(tr(mul(T(dX), Bmm, X)), tr(mul(T(X), Bmm, dX))), "product rule", "differential"),
                    Step(
                        add(tr(mul(T(X), T(Bmm), dX)), tr(mul(T(X), Bmm, dX))),
                        "a trace equals the trace of the transpose: tr(dXᵀBX) = tr(XᵀBᵀdX)",
                        "differential",
                    ),
                    Step(tr(mul(T(X), add(T(Bmm), Bmm), dX)), "linearity of the trace", "differential"),
                    Step(tr(mul(T(add(mul(Bmm, X), mul(T(Bmm), X))), dX)), "Xᵀ(Bᵀ + B) = (BX + BᵀX)ᵀ", "differential"),
                    Step(add(mul(Bmm, X), mul(T(Bmm), X)), "read off the gradient G from df = tr(Gᵀ dX)", "gradient"),
                ),
                direction=dX,
            ),
        ),
        rule(
            "trace_xtbx_symmetric",
            "Trace of XᵀBX, symmetric B",
            (arg("X", X), arg("B", Bmm, "symmetric: Bᵀ = B", symmetric=True)),
            tr(mul(T(X), Bmm, X)),
            {"X": mul(2, Bmm, X)},
            notes=("Symmetric B only; otherwise (B + Bᵀ)X. With B = I: ∂‖X‖²_F/∂X = 2X.",),
            references=(cookbook(108) + " with Bᵀ = B",),
        ),
        rule(
            "trace_xbxt",
            "Trace of XBXᵀ",
            (arg("X", X), arg("B", Bnn)),
            tr(mul(X, Bnn, T(X))),
            {"X": add(mul(X, T(Bnn)), mul(X, Bnn))},
            identities=(
                Identity(tr(mul(X, Bnn, T(X))), tr(mul(Bnn, T(X), X)), note="= tr(BXᵀX)"),
                Identity(tr(mul(X, Bnn, T(X))), tr(mul(T(X), X, Bnn)), note="= tr(XᵀXB)"),
            ),
            notes=("The mirror image of tr(XᵀBX): B now acts on the columns' side.",),
            references=(cookbook(111, 112, 113),),
        ),
        rule(
            "trace_axbx",
            "Trace of AXBX",
            (arg("A", Amn), arg("X", Xnm), arg("B", mat("B", m, n))),
            tr(mul(Amn, Xnm, mat("B", m, n), Xnm)),
            {"X": add(mul(T(Amn), T(Xnm), T(mat("B", m, n))), mul(T(mat("B", m, n)), T(Xnm), T(Amn)))},
            notes=("X appears twice: one term per occurrence, each with the rest of the cycle transposed.",),
            references=(cookbook(114),),
        ),
        rule(
            "frobenius_norm_squared",
            "Squared Frobenius norm",
            (arg("X", X),),
            tr(mul(T(X), X)),
            {"X": mul(2, X)},
            identities=(Identity(tr(mul(T(X), X)), tr(mul(X, T(X))), note="tr(XᵀX) = tr(XXᵀ) = Σᵢⱼ Xᵢⱼ²"),),
            notes=("‖X‖²_F = tr(XᵀX): the matrix analogue of ∂‖x‖²/∂x = 2x.",),
            references=(cookbook(115, 132), "PyTorch torch.linalg.matrix_norm"),
        ),
        rule(
            "trace_btxtcxb",
            "Trace of BᵀXᵀCXB",
            (arg("X", X), arg("B", Bnp), arg("C", Cmm)),
            tr(mul(T(Bnp), T(X), Cmm, X, Bnp)),
            {"X": add(mul(T(Cmm), X, Bnp, T(Bnp)), mul(Cmm, X, Bnp, T(Bnp)))},
            identities=(
                Identity(tr(mul(T(Bnp), T(X), Cmm, X, Bnp)), tr(mul(T(X), Cmm, X, Bnp, T(Bnp))), note="= tr(XᵀCX BBᵀ)"),
            ),
            notes=("= tr(XᵀCX BBᵀ): the rule for tr(XᵀBXC) with BBᵀ as the right factor.",),
            references=(cookbook(116),),
        ),
        rule(
            "trace_xtbxc",
            "Trace of XᵀBXC",
            (arg("X", X), arg("B", Bmm), arg("C", Cnn)),
            tr(mul(T(X), Bmm, X, Cnn)),
            {"X": add(mul(Bmm, X, Cnn), mul(T(Bmm), X, T(Cnn)))},
            notes=("With C = I it is tr(XᵀBX), gradient (B + Bᵀ)X.",),
            references=(cookbook(117),),
        ),
        rule(
            "trace_axbxtc",
            "Trace of AXBXᵀC",
            (arg("A", Apm), arg("X", X), arg("B", Bnn), arg("C", mat("C", m, p))),
            tr(mul(Apm, X, Bnn, T(X), mat("C", m, p))),
            {"X": add(mul(T(Apm), T(mat("C", m, p)), X, T(Bnn)), mul(mat("C", m, p), Apm, X, Bnn))},
            identities=(
                Identity(
                    tr(mul(Apm, X, Bnn, T(X), mat("C", m, p))),
                    tr(mul(T(X), mat("C", m, p), Apm, X, Bnn)),
                    note="= tr(XᵀCAXB)",
                ),
            ),
            notes=("= tr(XᵀCAXB), the rule for tr(XᵀBXC) with CA in place of B.",),
            references=(cookbook(118),),
        ),
        rule(
            "frobenius_affine",
            "Squared Frobenius norm of AXB + C",
            (arg("A", Apm), arg("X", X), arg("B", mat("B", n, q)), arg("C", mat("C", p, q))),
            tr(
                mul(
                    add(mul(Apm, X, mat("B", n, q)), mat("C", p, q)),
                    T(add(mul(Apm, X, mat("B", n, q)), mat("C", p, q))),
                )
            ),
            {"X": mul(2, T(Apm), add(mul(Apm, X, mat("B", n, q)), mat("C", p, q)), T(mat("B", n, q)))},
            notes=("‖AXB + C‖²_F: the residual sandwiched between Aᵀ and Bᵀ; least squares in matrix form.",),
            references=(cookbook(119), "PyTorch torch.linalg.matrix_norm"),
        ),
    )

    # ================================================================== inverses inside traces (symmetric cases)
    Xt = mat("X", n, m)  # n ≥ m: XᵀCX is m×m and invertible
    Ct, Bt, At = mat("C", n, n), mat("B", n, n), mat("A", m, m)
    XCX = mul(T(Xt), Ct, Xt)
    AXCX = add(At, mul(T(Xt), Ct, Xt))
    SYMMETRIC_TRACES: tuple[Rule, ...] = (
        rule(
            "trace_inv_xtcx_a",
            "Trace of (XᵀCX)⁻¹A, symmetric C",
            (arg("X", Xt, "full column rank"), arg("C", Ct, "symmetric", symmetric=True), arg("A", At)),
            tr(mul(inv(XCX), At)),
            {"X": mul(-1, mul(Ct, Xt, inv(XCX)), add(At, T(At)), inv(XCX))},
            notes=("Needs Cᵀ = C; A may be any matrix.",),
            references=(cookbook(125),),
        ),
        rule(
            "trace_inv_a_xtcx_xtbx",
            "Trace of (A + XᵀCX)⁻¹XᵀBX, symmetric A, B, C",
            (
                arg("X", Xt),
                arg("A", At, "symmetric", symmetric=True),
                arg("B", Bt, "symmetric", symmetric=True),
                arg("C", Ct, "symmetric", symmetric=True),
            ),
            tr(mul(inv(AXCX), mul(T(Xt), Bt, Xt))),
            {"X": add(mul(-2, Ct, Xt, inv(AXCX), T(Xt), Bt, Xt, inv(AXCX)), mul(2, Bt, Xt, inv(AXCX)))},
            notes=(
                (
                    "The Cookbook assumes only B and C symmetric; the formula also needs Aᵀ = A (the verifier finds "
                    "a counterexample with a non-symmetric A)."
                ),
            ),
            references=(cookbook(127),),
        ),
    )

    # ================================================================== inverses and determinants
    dXn = mat("dX", n, n)
    Amn_ = mat("A", m, n)
    INVERSES: tuple[Rule, ...] = (
        rule(
            "inverse_bilinear",
            "Bilinear form of X⁻¹",
            (arg("a", a, "constant vector"), arg("X", Xnn, "invertible"), arg("b", b, "constant vector")),
            mul(T(a), inv(Xnn), b),
            {"X": mul(-1, invT(Xnn), a, T(b), invT(Xnn))},
            notes=("From dX⁻¹ = −X⁻¹ dX X⁻¹; in code, solve with X instead of forming X⁻¹.",),
            references=(cookbook(61),),
        ),
        rule(
            "trace_axinvb",
            "Trace of AX⁻¹B",
            (arg("A", Amn_), arg("X", Xnn, "invertible"), arg("B", mat("B", n, m))),
            tr(mul(Amn_, inv(Xnn), mat("B", n, m))),
            {"X": mul(-1, invT(Xnn), T(Amn_), T(mat("B", n, m)), invT(Xnn))},
            notes=("= −(X⁻¹BAX⁻¹)ᵀ.",),
            references=(cookbook(63, 124),),
        ),
        rule(
            "trace_inverse",
            "Trace of an inverse",
            (arg("X", Xnn), arg("A", A, "X + A invertible")),
            tr(inv(add(Xnn, A))),
            {"X": mul(-1, T(mul(inv(add(Xnn, A)), inv(add(Xnn, A)))))},
            notes=("With A = 0: ∂ tr(X⁻¹)/∂X = −(X⁻²)ᵀ.",),
            references=(cookbook(64),),
        ),
        rule(
            "det",
            "Determinant",
            (arg("X", Xnn, "invertible"),),
            det(Xnn),
            {"X": mul(det(Xnn), invT(Xnn))},
            notes=(
                "det(X)X⁻ᵀ is the cofactor matrix, which also gives the gradient of a singular X.",
                "Jacobi's formula: d det X = det X · tr(X⁻¹ dX).",
            ),
            references=(cookbook(49), "PyTorch torch.det"),
            derivation=Derivation(
                "X",
                (
                    Step(mul(det(Xnn), tr(mul(inv(Xnn), dXn))), "Jacobi's formula", "differential"),
                    Step(tr(mul(T(mul(det(Xnn), invT(Xnn))), dXn)), "det(X) X⁻¹ = (det(X) X⁻ᵀ)ᵀ", "differential"),
                    Step(mul(det(Xnn), invT(Xnn)), "read off the gradient G from df = tr(Gᵀ dX)", "gradient"),
                ),
                direction=dXn,
            ),
        ),
        rule(
            "logdet",
            "Log-determinant",
            (arg("X", Xnn, "invertible, det X > 0"),),
            sp.log(det(Xnn)),
            {"X": invT(Xnn)},
            notes=("∂ ln det X/∂X = X⁻ᵀ; it equals X⁻¹ only for symmetric X (covariances).",),
            references=(cookbook(57), "PyTorch torch.logdet"),
            derivation=Derivation(
                "X",
                (
                    Step(
                        det(Xnn) * tr(mul(inv(Xnn), dXn)) / det(Xnn),
                        "chain rule d ln u = du/u, with Jacobi's formula d det X = det X · tr(X⁻¹ dX)",
                        "differential",
                    ),
                    Step(tr(mul(inv(Xnn), dXn)), "cancel det X", "differential"),
                    Step(tr(mul(T(invT(Xnn)), dXn)), "X⁻¹ = (X⁻ᵀ)ᵀ", "differential"),
                    Step(invT(Xnn), "read off the gradient G from df = tr(Gᵀ dX)", "gradient"),
                ),
                direction=dXn,
            ),
        ),
        rule(
            "logabsdet",
            "Log absolute determinant",
            (arg("X", Xnn, "invertible"),),
            sp.log(sp.Abs(det(Xnn))),
            {"X": invT(Xnn)},
            notes=("slogdet's logabsdet; X⁻ᵀ for either sign of det X (the samples here all have det X > 0).",),
            references=(cookbook(57), "PyTorch torch.linalg.slogdet"),
        ),
        rule(
            "det_axb",
            "Determinant of AXB",
            (arg("A", A), arg("X", Xnn, "invertible"), arg("B", B)),
            det(mul(A, Xnn, B)),
            {"X": mul(det(mul(A, Xnn, B)), invT(Xnn))},
            identities=(
                Identity(det(mul(A, Xnn, B)), det(A) * det(Xnn) * det(B), note="det(AXB) = det A det X det B"),
            ),
            notes=("det(AXB) = det A · det X · det B, so A and B only scale the gradient of det X.",),
            references=(cookbook(51),),
        ),
        rule(
            "det_inverse",
            "Determinant of the inverse",
            (arg("X", Xnn, "invertible"),),
            det(inv(Xnn)),
            {"X": mul(-1, det(inv(Xnn)), invT(Xnn))},
            identities=(Identity(det(inv(Xnn)), 1 / det(Xnn), note="det X⁻¹ = 1/det X"),),
            notes=("det X⁻¹ = 1/det X.",),
            references=(cookbook(62),),
        ),
        rule(
            "logdet_xtx",
            "Log-determinant of XᵀX",
            (arg("X", Xt, "full column rank (n ≥ m)"),),
            sp.log(det(mul(T(Xt), Xt))),
            {"X": mul(2, Xt, inv(mul(T(Xt), Xt)))},
            notes=("= 2(X⁺)ᵀ with the pseudo-inverse X⁺ = (XᵀX)⁻¹Xᵀ; X may be rectangular.",),
            references=(cookbook(55),),
        ),
        rule(
            "det_xtax",
            "Determinant of XᵀAX",
            (arg("X", Xt, "full column rank (n ≥ m)"), arg("A", mat("A", n, n))),
            det(mul(T(Xt), mat("A", n, n), Xt)),
            {
                "X": mul(
                    det(mul(T(Xt), mat("A", n, n), Xt)),
                    add(
                        mul(mat("A", n, n), Xt, inv(mul(T(Xt), mat("A", n, n), Xt))),
                        mul(T(mat("A", n, n)), Xt, inv(mul(T(Xt), T(mat("A", n, n)), Xt))),
                    ),
                )
            },
            notes=("X may be rectangular (full column rank) and A need not be symmetric.",),
            references=(cookbook(54),),
        ),
        rule(
            "frobenius_norm",
            "Frobenius norm",
            (arg("X", X, "X ≠ 0"),),
            sp.Symbol(r"\|X\|_F", positive=True),
            {"X": mul(X, 1 / sp.Symbol(r"\|X\|_F", positive=True))},
            where=(Definition(sp.Symbol(r"\|X\|_F", positive=True), sp.sqrt(tr(mul(T(X), X))), text="Frobenius norm"),),
            notes=(
                "The unit matrix in the direction of X; undefined at X = 0, where PyTorch's matrix_norm backward gives 0.",
            ),
            references=("PyTorch torch.linalg.matrix_norm",),
        ),
    )

    # ================================================================== vec and Kronecker
    Akr, Xkr, Bkr, Gkr = mat("A", p, m), mat("X", m, n), mat("B", n, q), mat("G", p, q)
    Aq, Bq = mat("A", m, m), mat("B", n, n)
    KRONECKER: tuple[Rule, ...] = (
        rule(
            "vec_kronecker",
            "vec(AXB) = (Bᵀ ⊗ A) vec(X)",
            (arg("A", Akr), arg("X", Xkr), arg("B", Bkr), arg("G", Gkr, "upstream gradient of AXB")),
            mul(T(Vec(Gkr)), sp.KroneckerProduct(T(Bkr), Akr), Vec(Xkr)),
            {
                "X": mul(T(Akr), Gkr, T(Bkr)),
                "A": mul(Gkr, T(Bkr), T(Xkr)),
                "B": mul(T(Xkr), T(Akr), Gkr),
            },
            identities=(
                Identity(
                    mul(T(Vec(Gkr)), sp.KroneckerProduct(T(Bkr), Akr), Vec(Xkr)),
                    tr(mul(T(Gkr), Akr, Xkr, Bkr)),
                    note="= tr(Gᵀ AXB): the Jacobian ∂vec(AXB)/∂vec(X)ᵀ is Bᵀ ⊗ A",
                ),
                Identity(
                    mul(T(Vec(T(Gkr))), sp.KroneckerProduct(Akr, T(Bkr)), Vec(T(Xkr))),
                    tr(mul(T(Gkr), Akr, Xkr, Bkr)),
                    note="row-major flattening vec(Xᵀ): the factors swap, A ⊗ Bᵀ",
                ),
            ),
            notes=(
                "The VJP of Y = AXB: never form the pq×mn Kronecker matrix, compute AᵀGBᵀ.",
                "vec stacks the columns (column-major, Fortran order); for row-major flattening the factors swap.",
            ),
            references=("Magnus & Neudecker, Matrix Differential Calculus, Thm 2.2",),
        ),
        rule(
            "kronecker_quadratic_form",
            "Quadratic form with a Kronecker matrix",
            (arg("X", Xkr), arg("A", Aq), arg("B", Bq)),
            mul(T(Vec(Xkr)), sp.KroneckerProduct(Bq, Aq), Vec(Xkr)),
            {"X": add(mul(Aq, Xkr, T(Bq)), mul(T(Aq), Xkr, Bq))},
            identities=(
                Identity(
                    mul(T(Vec(Xkr)), sp.KroneckerProduct(Bq, Aq), Vec(Xkr)),
                    tr(mul(T(Xkr), Aq, Xkr, T(Bq))),
                    note="= tr(XᵀAXBᵀ), since (B ⊗ A) vec(X) = vec(AXBᵀ)",
                ),
            ),
            notes=(
                "The exponent of the matrix normal density (A, B inverse covariances) without the Kronecker matrix.",
            ),
            references=("Magnus & Neudecker, Matrix Differential Calculus, Thm 2.2",),
        ),
    )

    # ================================================================== layers (vector–Jacobian products)
    Xl, W, bl, Gl = mat("X", N, d_in), mat("W", d_out, d_in), mat("b", d_out), mat("G", N, d_out)
    dW = mat("dW", d_out, d_in)
    Z, Gz = mat("Z", N, D), mat("G", N, D)
    # attention
    Q, K, V, Ga = mat("Q", N, d), mat("K", M, d), mat("V", M, e), mat("G", N, e)
    P, Pbar, Sbar = mat("P", N, M), mat("Pbar", N, M), mat("Sbar", N, M)
    dQ = mat("dQ", N, d)
    SOFTMAX_P = Definition(P, RowSoftmax(mul(Q, T(K), 1 / sp.sqrt(d))), text="attention weights, softmax of each row")
    PBAR = Definition(Pbar, mul(Ga, T(V)), text="∂f/∂P")
    SBAR = Definition(
        Sbar,
        had(P, sub(Pbar, mul(had(Pbar, P), ones(M), T(ones(M))))),
        text="∂f/∂S for the scores S = QKᵀ/√d (the softmax VJP, row by row)",
    )
    dQK = mul(dQ, T(K))  # √d dS: the scores' differential without its constant factor
    DP = had(P, sub(dQK, mul(had(P, dQK), ones(M), T(ones(M)))))  # √d dP, by the softmax differential
    # normalization
    eps = pos("varepsilon")
    LN_EPS = Param("eps", sp.Rational(1, 10**5), eps, POSITIVE, doc="added to the variance inside the square root")
    RMS_EPS = Param(
        "eps",
        sp.Rational(1, 2**52),
        eps,
        POSITIVE,
        doc="added to the mean square (PyTorch's eps=None: torch.finfo(dtype).eps)",
    )
    Xn, Gn = mat("X", N, D), mat("G", N, D)
    mu, sig, Xhat = mat("mu", N), mat("sigma", N), mat("Xhat", N, D)
    LN_DEFS = (
        Definition(mu, mul(Xn, ones(D), 1 / D), text="row means"),
        Definition(
            sig,
            each(
                sp.sqrt(_z),
                add(mul(sp.HadamardPower(sub(Xn, mul(mu, T(ones(D)))), 2), ones(D), 1 / D), mul(eps, ones(N))),
            ),
            text="row standard deviations (biased variance, ε inside)",
        ),
        Definition(Xhat, mul(inv(diag(sig)), sub(Xn, mul(mu, T(ones(D))))), text="normalized rows"),
    )
    r_rms = mat("r", N)
    RMS_DEFS = (
        Definition(
            r_rms,
            each(sp.sqrt(_z), add(mul(sp.HadamardPower(Xn, 2), ones(D), 1 / D), mul(eps, ones(N)))),
            text="root mean square of each row, ε inside",
        ),
        Definition(Xhat, mul(inv(diag(r_rms)), Xn), text="normalized rows"),
    )
    Xb, Gb, gam, bet = mat("X", N, C), mat("G", N, C), mat("gamma", C), mat("beta", C)
    mub, sigb, Xhatb = mat("mu", C), mat("sigma", C), mat("Xhat", N, C)
    BN_DEFS = (
        Definition(mub, mul(T(Xb), ones(N), 1 / N), text="batch means of the channels"),
        Definition(
            sigb,
            each(
                sp.sqrt(_z),
                add(mul(T(sp.HadamardPower(sub(Xb, mul(ones(N), T(mub))), 2)), ones(N), 1 / N), mul(eps, ones(C))),
            ),
            text="batch standard deviations (biased variance, ε inside)",
        ),
        Definition(Xhatb, mul(sub(Xb, mul(ones(N), T(mub))), inv(diag(sigb))), text="normalized columns"),
    )
    # cross-entropy
    Zc, Yc, Pc = mat("Z", N, C), mat("Y", N, C), mat("P", N, C)
    # dropout
    Xd, Md, Gd = mat("X", N, D), mat("M", N, D), mat("G", N, D)
    p_drop = pos("p")

    LAYERS: tuple[Rule, ...] = (
        rule(
            "linear",
            "Linear layer Y = XWᵀ + 𝟏bᵀ",
            (
                arg("input", Xl, "a batch of N rows"),
                arg("weight", W),
                arg("bias", bl),
                arg("grad_output", Gl, "upstream gradient ∂L/∂Y"),
            ),
            tr(mul(T(Gl), add(mul(Xl, T(W)), mul(ones(N), T(bl))))),
            {"input": mul(Gl, W), "weight": mul(T(Gl), Xl), "bias": mul(T(Gl), ones(N))},
            notes=(
                "The backward pass of F.linear: grad_input = GW, grad_weight = GᵀX, grad_bias = column sums of G.",
                "The bias gradient sums over the batch because 𝟏bᵀ broadcasts b to every row.",
            ),
            references=("PyTorch F.linear",),
            derivation=Derivation(
                "weight",
                (
                    Step(tr(mul(T(Gl), Xl, T(dW))), "only XWᵀ depends on W: d(XWᵀ + 𝟏bᵀ) = X dWᵀ", "differential"),
                    Step(tr(mul(dW, T(Xl), Gl)), "a trace equals the trace of the transpose", "differential"),
                    Step(tr(mul(T(Xl), Gl, dW)), "cyclic property", "differential"),
                    Step(tr(mul(T(mul(T(Gl), Xl)), dW)), "XᵀG = (GᵀX)ᵀ", "differential"),
                    Step(mul(T(Gl), Xl), "read off the gradient from df = tr(Gᵀ dW)", "gradient"),
                ),
                direction=dW,
            ),
        ),
        rule(
            "sigmoid_backward",
            "Element-wise activation: sigmoid",
            (arg("input", Z), arg("grad_output", Gz, "upstream gradient ∂L/∂Y")),
            tr(mul(T(Gz), each(sigmoid(_z), Z))),
            {"input": had(Gz, each(sigmoid(_z), Z), each(1 - sigmoid(_z), Z))},
            notes=(
                "An element-wise f backpropagates as G ⊙ f′(Z): the Jacobian is diagonal, never formed.",
                "PyTorch's backward reuses the output Y = σ(Z): grad_input = G ⊙ Y ⊙ (1 − Y).",
            ),
            references=("PyTorch torch.sigmoid",),
        ),
        rule(
            "tanh_backward",
            "Element-wise activation: tanh",
            (arg("input", Z), arg("grad_output", Gz, "upstream gradient ∂L/∂Y")),
            tr(mul(T(Gz), each(sp.tanh(_z), Z))),
            {"input": had(Gz, each(1 - sp.tanh(_z) ** 2, Z))},
            notes=("grad_input = G ⊙ (1 − Y²) with the output Y = tanh(Z).",),
            references=("PyTorch torch.tanh",),
        ),
        rule(
            "cross_entropy_batch",
            "Softmax cross-entropy over a batch",
            (
                arg("input", Zc, "logits, one row per example"),
                arg("target", Yc, "class probabilities, each row sums to 1 (one-hot or soft labels)", simplex=True),
            ),
            -tr(mul(T(Yc), each(sp.log(_z), Pc))) / N,
            {"input": mul(sub(Pc, Yc), 1 / N)},
            where=(Definition(Pc, RowSoftmax(Zc), text="softmax of each row"),),
            notes=(
                "F.cross_entropy with probability targets and reduction='mean' (divides by the batch size N).",
                "P − Y needs rows of Y that sum to 1 (one-hot or probability targets).",
            ),
            references=("PyTorch F.cross_entropy",),
        ),
        rule(
            "layer_norm_backward",
            "Layer normalization (backward)",
            (arg("input", Xn, "a batch of N rows of D features"), arg("grad_output", Gn, "upstream gradient ∂L/∂Y")),
            tr(mul(T(Gn), Xhat)),
            {
                "input": mul(
                    1 / D,
                    inv(diag(sig)),
                    add(
                        mul(D, Gn),
                        mul(-1, Gn, ones(D), T(ones(D))),
                        mul(-1, had(Xhat, mul(had(Gn, Xhat), ones(D), T(ones(D))))),
                    ),
                )
            },
            params=(LN_EPS,),
            where=LN_DEFS,
            notes=(
                "Each row: grad = (g − mean(g) − x̂ · mean(g ⊙ x̂))/σ, the formula of PyTorch's layer-norm backward.",
                "Without the affine weight; with it, replace G by G diag(γ).",
            ),
            references=("PyTorch F.layer_norm", "Ba, Kiros & Hinton 2016"),
        ),
        rule(
            "rms_norm_backward",
            "RMS normalization (backward)",
            (arg("input", Xn, "a batch of N rows of D features"), arg("grad_output", Gn, "upstream gradient ∂L/∂Y")),
            tr(mul(T(Gn), Xhat)),
            {
                "input": mul(
                    1 / D, inv(diag(r_rms)), sub(mul(D, Gn), had(Xhat, mul(had(Gn, Xhat), ones(D), T(ones(D)))))
                )
            },
            params=(RMS_EPS,),
            where=RMS_DEFS,
            notes=("Layer norm's backward without the mean terms: no centring, so no − mean(g).",),
            references=("PyTorch F.rms_norm", "Zhang & Sennrich 2019"),
        ),
        rule(
            "batch_norm_backward",
            "Batch normalization (training, backward)",
            (
                arg("input", Xb, "a batch of N rows, C channels"),
                arg("weight", gam),
                arg("bias", bet),
                arg("grad_output", Gb, "upstream gradient ∂L/∂Y"),
            ),
            tr(mul(T(Gb), add(mul(Xhatb, diag(gam)), mul(ones(N), T(bet))))),
            {
                "input": mul(
                    1 / N,
                    add(
                        mul(N, Gb),
                        mul(-1, ones(N), T(ones(N)), Gb),
                        mul(-1, had(Xhatb, mul(ones(N), T(ones(N)), had(Gb, Xhatb)))),
                    ),
                    diag(gam),
                    inv(diag(sigb)),
                ),
                "weight": mul(T(had(Gb, Xhatb)), ones(N)),
                "bias": mul(T(Gb), ones(N)),
            },
            params=(LN_EPS,),
            where=BN_DEFS,
            notes=(
                "Statistics over the batch (columns): each channel's gradient flows through its μ and σ.",
                "grad_weight = Σ over the batch of G ⊙ X̂, grad_bias = Σ of G; in eval mode μ, σ are constants.",
            ),
            references=("PyTorch F.batch_norm", "Ioffe & Szegedy 2015"),
        ),
        rule(
            "scaled_dot_product_attention",
            "Scaled dot-product attention",
            (arg("query", Q), arg("key", K), arg("value", V), arg("grad_output", Ga, "upstream gradient ∂L/∂Y")),
            tr(mul(T(Ga), P, V)),
            {"query": mul(Sbar, K, 1 / sp.sqrt(d)), "key": mul(T(Sbar), Q, 1 / sp.sqrt(d)), "value": mul(T(P), Ga)},
            where=(SOFTMAX_P, PBAR, SBAR),
            notes=(
                "Y = softmax(QKᵀ/√d)V with one query per row; S̄ is the softmax VJP of each row of P̄.",
                "One head, no mask, no dropout; batched heads apply it to each (batch, head) slice.",
            ),
            references=("PyTorch F.scaled_dot_product_attention", "Vaswani et al. 2017", "Dao et al. 2022"),
            derivation=Derivation(
                "query",
                (
                    Step(
                        tr(mul(T(Ga), DP, V)) / sp.sqrt(d),
                        "only P depends on Q; the softmax differential of each row is p ⊙ (ds − (pᵀds)𝟏), "
                        "with dS = dQ Kᵀ/√d",
                        "differential",
                    ),
                    Step(tr(mul(V, T(Ga), DP)) / sp.sqrt(d), "cyclic property", "differential"),
                    Step(tr(mul(T(Pbar), DP)) / sp.sqrt(d), "VGᵀ = (GVᵀ)ᵀ = P̄ᵀ", "differential"),
                    Step(
                        tr(mul(T(Sbar), dQK)) / sp.sqrt(d),
                        "tr(Aᵀ(P ⊙ B)) = tr((A ⊙ P)ᵀB); the row sums (P̄ ⊙ P)𝟏 collect the (P ⊙ dQKᵀ)𝟏𝟏ᵀ term",
                        "differential",
                    ),
                    Step(tr(mul(T(K), T(Sbar), dQ)) / sp.sqrt(d), "cyclic property", "differential"),
                    Step(tr(mul(T(mul(Sbar, K, 1 / sp.sqrt(d))), dQ)), "KᵀS̄ᵀ/√d = (S̄K/√d)ᵀ", "differential"),
                    Step(mul(Sbar, K, 1 / sp.sqrt(d)), "read off the gradient from df = tr(Gᵀ dQ)", "gradient"),
                ),
                direction=dQ,
            ),
        ),
        rule(
            "dropout",
            "Dropout with a fixed mask",
            (
                arg("input", Xd),
                arg("mask", Md, "the sampled mask, entries 0 or 1", domain=sp.FiniteSet(0, 1)),
                arg("grad_output", Gd, "upstream gradient ∂L/∂Y"),
            ),
            tr(mul(T(Gd), had(Md, Xd))) / (1 - p_drop),
            {"input": mul(had(Md, Gd), 1 / (1 - p_drop))},
            params=(
                Param(
                    "p",
                    sp.Rational(1, 2),
                    p_drop,
                    sp.Interval.open(0, 1),
                    samples=(sp.Rational(1, 10),),
                    doc="probability of zeroing an element",
                ),
            ),
            notes=(
                "Training mode: Y = M ⊙ X/(1 − p); the backward pass reuses the same mask.",
                "In eval mode dropout is the identity, and so is its gradient.",
            ),
            references=("PyTorch F.dropout", "Srivastava et al. 2014"),
        ),
    )

RULES: tuple[Rule, ...] = FORMS + TRACES + SYMMETRIC_TRACES + INVERSES + KRONECKER + LAYERS
