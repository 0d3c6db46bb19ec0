"""Reductions and scans: sum, mean, prod, cumsum, cumprod, logcumsumexp, amax, amin, var, std, norm,
cosine_similarity, dist.

Vector rules in index notation over one dimension (PyTorch's ``dim=-1``): a reduction is a scalar f(x) with the
gradient entry ∂f/∂x_i; a scan is a vector y_i (a sum or product over k = 1..i) with the Jacobian entry
J_ij = ∂y_i/∂x_j. The conventions PyTorch takes where a textbook formula divides by zero (prod with zeros in the
input, amax/amin with ties, norm and dist at 0) are written into the printed derivative, so that the verifier
checks them and the conformance check compares them with PyTorch exactly at such points
(:mod:`cheatsheet.conformance.reductions`).

Float evaluation computes x_k − μ as the mean of the differences (1/n) Σ_l (x_k − x_l), as the normalization
family does: exact for inputs that share a large offset, where x_k − μ with a rounded μ loses its digits.
"""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import REAL, X, Y, i, j, k, n, real, textbook, vec
from cheatsheet.notation import Indicator, MaxOver
from cheatsheet.rule import Definition, Derivation, Identity, Input, Param, Rule, Step

__all__ = ["RULES"]

IN = Input("input", X, REAL, shape="vector")
OTHER = Input("other", Y, REAL, shape="vector")
d = sp.KroneckerDelta
l_ = sp.Symbol("l", integer=True, positive=True)  # summation index of the stable forms (free of i, j, k)
mu = real("mu")
m = real("m")
c = sp.Symbol("c", nonnegative=True)  # correction
s2 = sp.Symbol("s^2", nonnegative=True)
s = sp.Symbol("s", nonnegative=True)
r = sp.Symbol(r"\|x\|", nonnegative=True)
dist_ = sp.Symbol(r"\|x - y\|", nonnegative=True)
r_y = sp.Symbol(r"\|y\|", nonnegative=True)
cos_ = real("C")
p = vec("p")

CORRECTION = Param(
    "correction",
    1,
    c,
    sp.Interval(0, 1),
    samples=(0,),
    doc="subtracted from n in the divisor: 1 is Bessel's correction (unbiased), 0 the biased estimator",
)


def _centred(a: sp.Expr) -> sp.Expr:
    """x_a − μ as the mean of the differences x_a − x_l: exact-ish even for inputs sharing a large offset."""
    return sp.Sum(X[a] - X[l_], (l_, 1, n)) / n


with textbook():
    MU = Definition(mu, sp.Sum(X[k], (k, 1, n)) / n, text="mean")
    VAR = Definition(
        s2,
        sp.Sum((X[k] - mu) ** 2, (k, 1, n)) / (n - c),
        stable=sp.Sum(_centred(k) ** 2, (k, 1, n)) / (n - c),
        text="variance with the correction c",
    )
    STD = Definition(
        s,
        sp.sqrt(sp.Sum((X[k] - mu) ** 2, (k, 1, n)) / (n - c)),
        stable=sp.sqrt(sp.Sum(_centred(k) ** 2, (k, 1, n)) / (n - c)),
        text="standard deviation with the correction c",
    )
    MAX = Definition(m, MaxOver(X[k], (k, 1, n)), text="max_k x_k")
    MIN = Definition(m, -MaxOver(-X[k], (k, 1, n)), text="min_k x_k")
    NORM = Definition(r, sp.sqrt(sp.Sum(X[k] ** 2, (k, 1, n))), text="Euclidean norm")
    NORM_Y = Definition(r_y, sp.sqrt(sp.Sum(Y[k] ** 2, (k, 1, n))), text="Euclidean norm of y")
    COSINE = Definition(cos_, sp.Sum(X[k] * Y[k], (k, 1, n)) / (r * r_y), text="the cosine similarity")
    DIST = Definition(dist_, sp.sqrt(sp.Sum((X[k] - Y[k]) ** 2, (k, 1, n))), text="Euclidean distance")
    # softmax over the prefix 1..i: p_ij = e^{x_j} / Σ_{k≤i} e^{x_k}, stably 1 / Σ_{l≤i} e^{x_l − x_j}
    PREFIX_SOFTMAX = Definition(
        p[j],
        sp.exp(X[j]) / sp.Sum(sp.exp(X[k]), (k, 1, i)),
        stable=1 / sp.Sum(sp.exp(X[l_] - X[j]), (l_, 1, i)),
        text="softmax of x_1..x_i, entry j",
    )
    PREFIX_MAX = MaxOver(X[l_], (l_, 1, i))  # max_{l≤i} x_l: logcumsumexp shifted by it never overflows
    # ties: the indicator of the entries equal to the extremum, shared evenly
    TIE_SHARE_MAX = Indicator(sp.Eq(X[i], m)) / sp.Sum(Indicator(sp.Eq(X[k], m)), (k, 1, n))
    OTHERS_PRODUCT = sp.Product(X[k] ** (1 - d(i, k)), (k, 1, n))
    # every entry equal to x_1, so that x_1 is the maximum (and the minimum) n times
    ALL_TIED = TIE_SHARE_MAX.xreplace({X[i]: X[1], X[k]: X[1], m: X[1]})
    PREFIX_OTHERS = sp.Product(X[k] ** (1 - d(j, k)), (k, 1, i))

    RULES: tuple[Rule, ...] = (
        Rule(
            id="sum",
            title="Sum",
            family="reduction",
            inputs=(IN,),
            function=sp.Sum(X[k], (k, 1, n)),
            derivative=sp.S.One,
            notes=("The backward of a sum broadcasts the upstream gradient to every entry: ∂/∂xᵢ = 1.",),
            references=("PyTorch torch.sum",),
            torch="torch.sum",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="mean",
            title="Mean",
            family="reduction",
            inputs=(IN,),
            function=sp.Sum(X[k], (k, 1, n)) / n,
            derivative=1 / n,
            notes=("Every entry gets the upstream gradient divided by the count n.",),
            references=("PyTorch torch.mean",),
            torch="torch.mean",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="prod",
            title="Product",
            family="reduction",
            inputs=(IN,),
            function=sp.Product(X[k], (k, 1, n)),
            derivative=OTHERS_PRODUCT,
            identities=(
                Identity(
                    X[i] * OTHERS_PRODUCT,
                    sp.Product(X[k], (k, 1, n)),
                    note="xᵢ ∂/∂xᵢ = Π xₖ: away from zeros the gradient is Π xₖ / xᵢ",
                ),
            ),
            notes=(
                "∂/∂xᵢ = Π_{k≠i} xₖ, the product of the other entries (the factor k = i is xᵢ⁰ = 1), exact at zeros.",
                "With zeros in the input PyTorch does not divide Π xₖ by xᵢ: where exactly one xₘ = 0, the gradient is"
                " Π_{k≠m} xₖ at m and 0 elsewhere; where two or more are 0, it is 0 everywhere. Both are this formula.",
            ),
            references=("PyTorch torch.prod",),
            torch="torch.prod",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="cumsum",
            title="Cumulative sum",
            family="reduction",
            inputs=(IN,),
            function=sp.Sum(X[k], (k, 1, i)),
            derivative=Indicator(j <= i),
            notes=(
                "yᵢ = x₁ + … + xᵢ: the Jacobian is the lower triangle of ones, so the backward is a reversed"
                " cumulative sum of the upstream gradient.",
            ),
            references=("PyTorch torch.cumsum",),
            torch="torch.cumsum",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="cumprod",
            title="Cumulative product",
            family="reduction",
            inputs=(IN,),
            function=sp.Product(X[k], (k, 1, i)),
            derivative=Indicator(j <= i) * PREFIX_OTHERS,
            notes=(
                "yᵢ = x₁ ⋯ xᵢ; ∂yᵢ/∂xⱼ (j ≤ i) is the product of x₁..xᵢ without xⱼ, exact at zeros.",
                "PyTorch's backward handles zeros in the input without dividing by them and agrees with this"
                " formula there.",
            ),
            references=("PyTorch torch.cumprod",),
            torch="torch.cumprod",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="logcumsumexp",
            title="Log cumulative sum of exponentials",
            family="reduction",
            inputs=(IN,),
            function=sp.log(sp.Sum(sp.exp(X[k]), (k, 1, i))),
            # a Piecewise, not 𝟙[j ≤ i]·p_j: above the diagonal p_j may overflow (x_j ≫ x_1..x_i), and 0·∞ is nan
            derivative=sp.Piecewise((p[j], j <= i), (0, True)),
            stable=PREFIX_MAX + sp.log(sp.Sum(sp.exp(X[k] - PREFIX_MAX), (k, 1, i))),
            where=(PREFIX_SOFTMAX,),
            notes=(
                "yᵢ = ln Σ_{k≤i} exp(xₖ), the logsumexp of the prefix: its gradient row i is the softmax of x₁..xᵢ.",
            ),
            references=("PyTorch torch.logcumsumexp",),
            torch="torch.logcumsumexp",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="amax",
            title="Maximum (amax)",
            family="reduction",
            inputs=(IN,),
            function=MaxOver(X[k], (k, 1, n)),
            derivative=TIE_SHARE_MAX,
            where=(MAX,),
            identities=(
                Identity(ALL_TIED, 1 / n, note="with all n entries tied (equal to x₁), each gets 1/n"),
                Identity(
                    sp.Sum(TIE_SHARE_MAX.xreplace({X[i]: X[j]}), (j, 1, n)),
                    1,
                    note="the gradient sums to 1",
                ),
            ),
            notes=(
                "The entries equal to the maximum share the gradient evenly: 1/(number of ties) each, 0 elsewhere.",
                "torch.max(x, dim) differs: it sends the whole gradient to the one index it returns.",
            ),
            references=("PyTorch torch.amax",),
            torch="torch.amax",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="amin",
            title="Minimum (amin)",
            family="reduction",
            inputs=(IN,),
            function=-MaxOver(-X[k], (k, 1, n)),
            derivative=TIE_SHARE_MAX,
            where=(MIN,),
            identities=(Identity(ALL_TIED, 1 / n, note="with all n entries tied (equal to x₁), each gets 1/n"),),
            notes=("The entries equal to the minimum share the gradient evenly: 1/(number of ties) each.",),
            references=("PyTorch torch.amin",),
            torch="torch.amin",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="var",
            title="Variance",
            family="reduction",
            inputs=(IN,),
            params=(CORRECTION,),
            function=sp.Sum((X[k] - mu) ** 2, (k, 1, n)) / (n - c),
            derivative=2 * (X[i] - mu) / (n - c),
            stable=s2,
            stable_derivative=2 * _centred(i) / (n - c),
            where=(MU, VAR),
            identities=(Identity(sp.Sum(2 * (X[k] - mu) / (n - c), (k, 1, n)), 0, note="the gradient sums to 0"),),
            notes=(
                "s² = Σₖ (xₖ − μ)²/(n − c); the terms through μ cancel because Σₖ (xₖ − μ) = 0.",
                "PyTorch's default correction=1 (unbiased) differs from layer_norm's and batch_norm's biased variance"
                " (correction=0).",
            ),
            references=("PyTorch torch.var",),
            derivation=Derivation(
                "input",
                (
                    Step(
                        sp.Sum(2 * (X[k] - mu) * (d(k, i) - 1 / n), (k, 1, n)) / (n - c),
                        "chain rule: ∂(xₖ − μ)/∂xᵢ = δₖᵢ − 1/n",
                    ),
                    # one step, not two: a line with the term −2Σₖ(xₖ − μ)/(n(n − c)) = 0 stays true with its sign
                    # flipped, so a wrong sign there could not be caught
                    Step(
                        2 * (X[i] - mu) / (n - c),
                        "δₖᵢ picks the term k = i, and the 1/n terms add up to 0: Σₖ (xₖ − μ) = 0",
                    ),
                ),
            ),
            torch="torch.var",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="std",
            title="Standard deviation",
            family="reduction",
            inputs=(IN,),
            params=(CORRECTION,),
            function=sp.sqrt(sp.Sum((X[k] - mu) ** 2, (k, 1, n)) / (n - c)),
            derivative=sp.Piecewise(((X[i] - mu) / ((n - c) * s), s > 0), (0, True)),
            stable=s,
            stable_derivative=sp.Piecewise((_centred(i) / ((n - c) * s), s > 0), (0, True)),
            where=(MU, STD),
            notes=(
                "s = √var: the variance's gradient divided by 2s.",
                "Where every entry is equal (s = 0) std is not differentiable; PyTorch returns 0 there.",
            ),
            references=("PyTorch torch.std",),
            torch="torch.std",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="norm",
            title="Euclidean norm",
            family="reduction",
            inputs=(IN,),
            function=sp.sqrt(sp.Sum(X[k] ** 2, (k, 1, n))),
            derivative=sp.Piecewise((X[i] / r, r > 0), (0, True)),
            where=(NORM,),
            notes=(
                "p = 2 (torch.norm's default 'fro' is the 2-norm of a vector): the gradient is the unit vector x/‖x‖.",
                "At x = 0 the norm is not differentiable (its subdifferential is the unit ball); PyTorch returns 0.",
            ),
            references=("PyTorch torch.norm", "PyTorch torch.linalg.vector_norm"),
            torch="torch.norm",
            torch_kwargs={"p": 2, "dim": -1},
        ),
        Rule(
            id="cosine_similarity",
            title="Cosine similarity",
            family="reduction",
            inputs=(Input("x1", X, REAL, shape="vector"), Input("x2", Y, REAL, shape="vector")),
            function=sp.Sum(X[k] * Y[k], (k, 1, n)) / (r * r_y),
            derivative={
                "x1": Y[i] / (r * r_y) - cos_ * X[i] / r**2,
                "x2": X[i] / (r * r_y) - cos_ * Y[i] / r_y**2,
            },
            where=(NORM, NORM_Y, COSINE),
            identities=(
                Identity(
                    sp.Sum((Y[k] / (r * r_y) - cos_ * X[k] / r**2) * X[k], (k, 1, n)),
                    0,
                    note="the gradient w.r.t. x is orthogonal to x: scaling x leaves C unchanged",
                ),
            ),
            notes=(
                "F.cosine_similarity(x1, x2, dim=-1) for ‖x‖, ‖y‖ ≥ eps (default 10⁻⁸), the case this rule states.",
                "Below eps PyTorch divides by eps instead of the norm, but its backward still differentiates the"
                " norm: it is not the derivative of the clamped value.",
            ),
            references=("PyTorch F.cosine_similarity",),
            torch="F.cosine_similarity",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="dist",
            title="Euclidean distance",
            family="reduction",
            inputs=(IN, OTHER),
            function=sp.sqrt(sp.Sum((X[k] - Y[k]) ** 2, (k, 1, n))),
            derivative={
                "input": sp.Piecewise(((X[i] - Y[i]) / dist_, dist_ > 0), (0, True)),
                "other": sp.Piecewise(((Y[i] - X[i]) / dist_, dist_ > 0), (0, True)),
            },
            where=(DIST,),
            notes=(
                "torch.dist(input, other) with p = 2: ‖x − y‖; the gradients w.r.t. x and y are opposite unit vectors.",
                "At x = y PyTorch returns 0 for both.",
            ),
            references=("PyTorch torch.dist",),
            torch="torch.dist",
        ),
    )
