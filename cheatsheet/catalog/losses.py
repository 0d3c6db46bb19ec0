"""Losses with PyTorch's signatures: element losses ℓ(x, y) reduced by ``reduction`` ('mean' default,
'sum', 'none'), and the class losses over a vector of logits (per sample; a batch (N, C) is mapped row
by row and 'mean' divides by N).

Element losses print the loss of one element: x is ``input``, y is ``target``. Class losses print the
loss of one sample: x is the vector of logits, c the class (1..n here, 0..n−1 in PyTorch), p the
softmax. Float64 evaluation of the log-probabilities uses the log-sum-exp shift by m = max_k x_k and
log1p/expm1, so that a loss of 1e-20 (a confident, correct prediction) keeps its digits.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from cheatsheet.catalog._common import POSITIVE, REAL, REDUCTION, UNIT, X, Y, i, j, k, n, pos, real, textbook, vec, x, y
from cheatsheet.notation import Indicator, MaxOver, sigmoid, softplus
from cheatsheet.rule import Definition, Derivation, Identity, Input, Kink, Param, Rule, Step

__all__ = ["RULES"]

INPUT = Input("input", x, REAL)
TARGET = Input("target", y, REAL)
xp = pos("x")  # a probability or a positive input
yp = pos("y")
PROBABILITY = Input("input", xp, UNIT, doc="a probability, e.g. the output of a sigmoid")
SOFT_LABEL = Input("target", y, sp.Interval(0, 1), doc="a probability (soft label) in [0, 1]")
SIGN_LABEL = Input("target", y, sp.FiniteSet(-1, 1), doc="a label −1 or 1")
LOGITS = Input("input", X, REAL, shape="vector", doc="logits")
c = sp.Symbol("c", integer=True, positive=True)
CLASS = Input("target", c, class_index=True, doc="the class (0-based in PyTorch)")

p = vec("p")
q = vec("q")
m = real("m")
beta = pos("beta")
delta = pos("delta")
pw = pos("p")  # pos_weight
eps = pos("epsilon")
smoothing = real("varepsilon")
margin = real("Delta")
v = pos("v")

LABEL_SMOOTHING = Param(
    "label_smoothing",
    0,
    smoothing,
    sp.Interval(0, 1),
    samples=(sp.Rational(1, 10),),
    doc="mass ε spread uniformly over the n classes",
)
KL_REDUCTION = Param(
    "reduction",
    "mean",
    choices=("mean", "batchmean", "sum", "none"),
    doc="'batchmean' divides the sum by the batch size (the KL divergence per sample); 'mean' by the element count",
)


def _log_sum_exp_shifted() -> sp.Expr:
    """ln Σ_j e^{x_j − m} = log1p(s), s the sum over the entries below the maximum (plus ties − 1, an exact
    integer): keeps its digits when one logit dominates and s ≪ 1e-16."""
    below = sp.Sum(sp.Piecewise((sp.exp(X[j] - m), X[j] < m), (0, True)), (j, 1, n))
    ties = sp.Sum(Indicator(X[j] >= m), (j, 1, n)) - 1
    return log1p(below + ties)


def _neg_log_softmax(a: sp.Expr) -> sp.Expr:
    """−ln p_a in float64-stable form: (m − x_a) + log1p(expm1(x_a − m) + Σ_{j≠a} e^{x_j − m}).

    Exact when x_a is the maximum (expm1(0) = 0 leaves the small sum alone) and a sum of accurately
    computed non-negative terms otherwise; never overflows.
    """
    others = sp.Sum((1 - sp.KroneckerDelta(j, a)) * sp.exp(X[j] - m), (j, 1, n))
    return (m - X[a]) + log1p(expm1(X[a] - m) + others)


with textbook():
    SOFTMAX = Definition(p[k], sp.exp(X[k]) / sp.Sum(sp.exp(X[j]), (j, 1, n)), text="softmax(x)_k")
    MAX = Definition(m, MaxOver(X[k], (k, 1, n)), text="max_k x_k (for stable evaluation)")
    LSE = sp.log(sp.Sum(sp.exp(X[j]), (j, 1, n)))
    residual = x - y  # lower case like x and y: an expression of the inputs, compared as `residual <= -beta`

    SMOOTH_L1 = sp.Piecewise((residual**2 / (2 * beta), sp.Abs(residual) < beta), (sp.Abs(residual) - beta / 2, True))
    HUBER = sp.Piecewise((residual**2 / 2, sp.Abs(residual) < delta), (delta * (sp.Abs(residual) - delta / 2), True))
    HUBER_AS_SMOOTH_L1 = delta * sp.Piecewise(
        (residual**2 / (2 * delta), sp.Abs(residual) < delta), (sp.Abs(residual) - delta / 2, True)
    )
    BCE_LOGITS = -(pw * y * sp.log(sigmoid(x)) + (1 - y) * sp.log(1 - sigmoid(x)))
    HINGE = sp.Max(0, 1 - y * x)
    # softmax + cross-entropy: the gradient p − q, for a class index and for a probability target alike
    CROSS_ENTROPY_DERIVATION = Derivation(
        "input",
        (
            Step(
                sp.Derivative(-sp.Sum(q[k] * (X[k] - LSE), (k, 1, n)), X[i]),
                "ℓ = H(q, p) = −Σₖ qₖ ln pₖ, and ln pₖ = xₖ − ln Σⱼ exp(xⱼ)",
            ),
            Step(
                -sp.Sum(q[k] * (sp.KroneckerDelta(k, i) - p[i]), (k, 1, n)),
                "sum rule over k; ∂ ln pₖ/∂xᵢ = δₖᵢ − pᵢ (log_softmax)",
            ),
            Step(p[i] * sp.Sum(q[k], (k, 1, n)) - q[i], "δₖᵢ picks the term k = i"),
            Step(p[i] - q[i], "Σₖ qₖ = 1"),
        ),
    )

    RULES: tuple[Rule, ...] = (
        Rule(
            id="mse_loss",
            title="Mean squared error",
            family="loss",
            inputs=(INPUT, TARGET),
            params=(REDUCTION,),
            reduction=True,
            function=residual**2,
            derivative={"input": 2 * residual, "target": -2 * residual},
            notes=(
                "reduction='mean' divides by the number of elements N: each gradient entry is 2(x − y)/N.",
                "No ½ in front: PyTorch's gradient is 2(x − y), not the x − y of the ½‖x − y‖² convention.",
            ),
            references=("PyTorch F.mse_loss",),
            torch="F.mse_loss",
        ),
        Rule(
            id="l1_loss",
            title="L1 loss",
            family="loss",
            inputs=(INPUT, TARGET),
            params=(REDUCTION,),
            reduction=True,
            function=sp.Abs(residual),
            derivative={"input": sp.sign(residual), "target": -sp.sign(residual)},
            kinks=(Kink(at=y, left=-1, right=1, torch=0), Kink(at=x, left=-1, right=1, torch=0, wrt="target")),
            notes=("At x = y PyTorch's gradient is sign(0) = 0, the middle of the subdifferential [−1, 1].",),
            references=("PyTorch F.l1_loss",),
            torch="F.l1_loss",
        ),
        Rule(
            id="smooth_l1_loss",
            title="Smooth L1 loss",
            family="loss",
            inputs=(INPUT, TARGET),
            params=(
                REDUCTION,
                Param("beta", 1, beta, POSITIVE, samples=(sp.Rational(1, 4),), doc="width of the quadratic zone"),
            ),
            reduction=True,
            function=SMOOTH_L1,
            derivative={
                "input": sp.Piecewise((-1, residual <= -beta), (residual / beta, residual < beta), (1, True)),
                "target": sp.Piecewise((1, residual <= -beta), ((y - x) / beta, residual < beta), (-1, True)),
            },
            identities=(
                Identity(
                    SMOOTH_L1,
                    sp.Add(sp.Abs(residual), -(beta / 2), sp.Max(0, beta - sp.Abs(residual)) ** 2 / (2 * beta)),
                    note="one formula: within β/2 below |x − y|",
                ),
            ),
            notes=(
                "The gradient clamp((x − y)/β, −1, 1) is continuous: no kink, unlike l1_loss.",
                "|x − y| − β/2 ≤ ℓ ≤ |x − y|, so β → 0 gives l1_loss; PyTorch computes l1_loss when beta=0.",
                "smooth_l1_loss(β) = huber_loss(δ = β)/β: the same curve, gradients scaled by 1/β.",
            ),
            references=("PyTorch F.smooth_l1_loss", "Girshick, Fast R-CNN, 2015"),
            torch="F.smooth_l1_loss",
        ),
        Rule(
            id="huber_loss",
            title="Huber loss",
            family="loss",
            inputs=(INPUT, TARGET),
            params=(
                REDUCTION,
                Param(
                    "delta",
                    1,
                    delta,
                    POSITIVE,
                    samples=(sp.Rational(1, 4),),
                    doc="where the loss turns from quadratic to linear",
                ),
            ),
            reduction=True,
            function=HUBER,
            derivative={
                "input": sp.Piecewise((-delta, residual <= -delta), (residual, residual < delta), (delta, True)),
                "target": sp.Piecewise((delta, residual <= -delta), (y - x, residual < delta), (-delta, True)),
            },
            identities=(Identity(HUBER, HUBER_AS_SMOOTH_L1, note="δ times smooth_l1_loss with β = δ"),),
            notes=(
                "∂ℓ/∂x = clamp(x − y, −δ, δ): quadratic near 0, a bounded gradient (robust to outliers) far away.",
                "huber_loss(δ) = δ · smooth_l1_loss(β = δ); with δ = β = 1 the two coincide.",
            ),
            references=("PyTorch F.huber_loss", "Huber, Robust Estimation of a Location Parameter, 1964"),
            torch="F.huber_loss",
        ),
        Rule(
            id="binary_cross_entropy",
            title="Binary cross-entropy",
            family="loss",
            inputs=(PROBABILITY, SOFT_LABEL),
            params=(REDUCTION,),
            reduction=True,
            function=-(y * sp.log(xp) + (1 - y) * sp.log(1 - xp)),
            derivative={"input": (xp - y) / (xp * (1 - xp)), "target": sp.log(1 - xp) - sp.log(xp)},
            stable=-(y * sp.log(xp) + (1 - y) * log1p(-xp)),
            stable_derivative={"target": log1p(-xp) - sp.log(xp)},
            identities=(
                Identity(
                    -y / xp + (1 - y) / (1 - xp), (xp - y) / (xp * (1 - xp)), note="the two terms over one denominator"
                ),
            ),
            notes=(
                "PyTorch clamps each log at −100, so the loss stays finite (≤ 100) at x = 0 or 1;"
                " its gradient divides by max(x(1 − x), 10⁻¹²).",
                "On logits use binary_cross_entropy_with_logits: σ then BCE loses digits as the logit grows (all"
                " of ln(1 − σ) once σ rounds to 1, at 37).",
                "∂ℓ/∂y = −logit(x): PyTorch differentiates w.r.t. a soft target too.",
            ),
            references=("PyTorch F.binary_cross_entropy",),
            derivation=Derivation(
                "input",
                (
                    Step(
                        -(y * sp.Derivative(sp.log(xp), xp)) - (1 - y) * sp.Derivative(sp.log(1 - xp), xp),
                        "sum rule: y is a constant",
                    ),
                    Step(-(y / xp) + (1 - y) / (1 - xp), "(ln x)′ = 1/x and (ln(1 − x))′ = −1/(1 − x)"),
                    Step((-(y * (1 - xp)) + (1 - y) * xp) / (xp * (1 - xp)), "common denominator x(1 − x)"),
                    Step((xp - y) / (xp * (1 - xp)), "−y(1 − x) + (1 − y)x = x − y"),
                ),
            ),
            torch="F.binary_cross_entropy",
        ),
        Rule(
            id="binary_cross_entropy_with_logits",
            title="Binary cross-entropy with logits",
            family="loss",
            inputs=(Input("input", x, REAL, doc="a logit"), SOFT_LABEL),
            params=(
                REDUCTION,
                Param(
                    "pos_weight",
                    1,
                    pw,
                    POSITIVE,
                    samples=(3, sp.Rational(1, 2)),
                    doc="weight p of the positive term (a tensor in PyTorch; default None = 1)",
                ),
            ),
            reduction=True,
            function=BCE_LOGITS,
            derivative={
                "input": sigmoid(x) * sp.Add(1, -y, pw * y) - pw * y,
                "target": (pw - 1) * softplus(-x) - x,
            },
            stable=pw * y * softplus(-x) + (1 - y) * softplus(x),
            stable_derivative={
                # tanh(x/2) near 0, where σ(x) − σ(−x) would cancel; σ and σ(−x) in the tails
                "input": sp.Piecewise(
                    (((1 - y - pw * y) + (1 - y + pw * y) * sp.tanh(x / 2)) / 2, sp.Abs(x) < 1),
                    ((1 - y) * sigmoid(x) - pw * y * sigmoid(-x), True),
                ),
            },
            identities=(
                Identity(sigmoid(x) * sp.Add(1, -y, y) - y, sigmoid(x) - y, note="p = 1: the gradient is σ(x) − y"),
                Identity(BCE_LOGITS, pw * y * softplus(-x) + (1 - y) * softplus(x), note="the stable form"),
            ),
            notes=(
                "With p = 1 (pos_weight=None) the gradient is σ(x) − y.",
                "Evaluate as p·y·softplus(−x) + (1 − y)·softplus(x), never as log σ(x): exact at x = ±1000.",
                "binary_cross_entropy(σ(x), y) when p = 1, without its clamp at −100.",
            ),
            references=("PyTorch F.binary_cross_entropy_with_logits",),
            derivation=Derivation(
                "input",
                (
                    Step(
                        -(pw * y * sp.Derivative(sp.log(sigmoid(x)), x))
                        - (1 - y) * sp.Derivative(sp.log(1 - sigmoid(x)), x),
                        "sum rule: p and y are constants",
                    ),
                    Step(
                        -(pw * y * sp.Derivative(sigmoid(x), x) / sigmoid(x))
                        + (1 - y) * sp.Derivative(sigmoid(x), x) / (1 - sigmoid(x)),
                        "chain rule: (ln u)′ = u′/u",
                    ),
                    Step(-(pw * y * (1 - sigmoid(x))) + (1 - y) * sigmoid(x), "σ′ = σ(1 − σ)"),
                    Step(sigmoid(x) * sp.Add(1, -y, pw * y) - pw * y, "collect the terms in σ(x)"),
                ),
            ),
            torch="F.binary_cross_entropy_with_logits",
        ),
        Rule(
            id="cross_entropy",
            title="Cross-entropy (class index)",
            family="loss",
            inputs=(LOGITS, CLASS),
            params=(REDUCTION, LABEL_SMOOTHING),
            reduction=True,
            function=LSE - sp.Sum(q[k] * X[k], (k, 1, n)),
            derivative={"input": p[i] - q[i]},
            where=(
                SOFTMAX,
                Definition(
                    q[k], (1 - smoothing) * sp.KroneckerDelta(k, c) + smoothing / n, text="the smoothed one-hot target"
                ),
                MAX,
            ),
            stable=_neg_log_softmax(c) + smoothing / n * sp.Sum(X[c] - X[k], (k, 1, n)),
            stable_derivative={
                "input": (
                    (1 - sp.KroneckerDelta(i, c)) * sp.exp(X[i] - m)
                    - sp.KroneckerDelta(i, c) * sp.Sum((1 - sp.KroneckerDelta(k, c)) * sp.exp(X[k] - m), (k, 1, n))
                )
                / sp.Sum(sp.exp(X[j] - m), (j, 1, n))
                + smoothing * (sp.KroneckerDelta(i, c) - 1 / n),
            },
            identities=(
                Identity(
                    LSE - sp.Sum(q[k] * X[k], (k, 1, n)),
                    -sp.Sum(q[k] * sp.log(p[k]), (k, 1, n)),
                    note="the cross-entropy H(q, p) of the smoothed target and the softmax",
                ),
                Identity(
                    LSE - sp.Sum(q[k] * X[k], (k, 1, n)),
                    (1 - smoothing) * -sp.log(p[c]) + smoothing / n * sp.Sum(-sp.log(p[k]), (k, 1, n)),
                    note="PyTorch's form",
                ),
                Identity(sp.Sum(p[k] - q[k], (k, 1, n)), 0, note="the gradient sums to 0"),
            ),
            notes=(
                "ε = 0 (default): ℓ = −ln p(c) = logsumexp(x) − x(c), and the gradient is p − onehot(c).",
                "PyTorch computes (1 − ε)(−ln p(c)) + (ε/n) Σₖ (−ln pₖ): the same loss.",
                "The gradient sums to 0: adding a constant to every logit leaves ℓ unchanged.",
                "Evaluated as m − x(c) + log1p(·): no overflow, full precision down to ℓ ≈ 1e-300 (PyTorch returns 0"
                " below about 1e-16).",
            ),
            references=("PyTorch F.cross_entropy", "Szegedy et al. 2016 (label smoothing)"),
            derivation=CROSS_ENTROPY_DERIVATION,
            torch="F.cross_entropy",
        ),
        Rule(
            id="cross_entropy_probs",
            title="Cross-entropy (probability target)",
            family="loss",
            inputs=(LOGITS, Input("target", Y, UNIT, shape="vector", simplex=True, doc="class probabilities")),
            params=(REDUCTION, LABEL_SMOOTHING),
            reduction=True,
            function=sp.Sum(q[k] * (LSE - X[k]), (k, 1, n)),
            derivative={"input": p[i] - q[i]},
            where=(
                SOFTMAX,
                Definition(q[k], (1 - smoothing) * Y[k] + smoothing / n, text="the smoothed target"),
                MAX,
            ),
            stable=sp.Sum(q[k] * (m - X[k]), (k, 1, n)) + sp.Sum(q[k], (k, 1, n)) * _log_sum_exp_shifted(),
            stable_derivative={"input": sp.exp(X[i] - m) / sp.Sum(sp.exp(X[j] - m), (j, 1, n)) - q[i]},
            identities=(
                Identity(
                    sp.Sum(q[k] * (LSE - X[k]), (k, 1, n)),
                    -sp.Sum(q[k] * sp.log(p[k]), (k, 1, n)),
                    note="the cross-entropy H(q, p): q-weighted negative log-softmax",
                ),
                Identity(
                    sp.Sum(q[k] * (LSE - X[k]), (k, 1, n)),
                    LSE - sp.Sum(q[k] * X[k], (k, 1, n)),
                    note="only because Σ_k q_k = 1",
                ),
                Identity(sp.Sum(q[k], (k, 1, n)), 1, note="q lies on the simplex because y does"),
            ),
            notes=(
                "ℓ = logsumexp(x) − Σₖ qₖxₖ and the gradient p − q hold only because Σₖ yₖ = 1.",
                "PyTorch does not check Σₖ yₖ = 1: for an unnormalised target the gradient is (Σₖ qₖ) pᵢ − qᵢ.",
                "PyTorch takes this branch when target is a float tensor of the input's shape.",
                "No ∂/∂y here: on the simplex only differences yᵢ − yₙ are free (PyTorch gives −(1 − ε) ln pᵢ).",
            ),
            references=("PyTorch F.cross_entropy",),
            torch="F.cross_entropy",
            derivation=CROSS_ENTROPY_DERIVATION,
        ),
        Rule(
            id="nll_loss",
            title="Negative log-likelihood",
            family="loss",
            inputs=(Input("input", X, REAL, shape="vector", doc="log-probabilities"), CLASS),
            params=(REDUCTION,),
            reduction=True,
            function=-X[c],
            derivative={"input": -sp.KroneckerDelta(i, c)},
            notes=(
                "input holds log-probabilities (F.log_softmax): nll_loss(log_softmax(x), c) is cross_entropy(x, c).",
                "Linear in the input: the gradient −onehot(c) does not depend on x.",
            ),
            references=("PyTorch F.nll_loss",),
            torch="F.nll_loss",
        ),
        Rule(
            id="kl_div",
            title="KL divergence (pointwise)",
            family="loss",
            inputs=(
                Input("input", x, REAL, doc="ln q, a log-probability"),
                Input("target", yp, sp.Interval.Lopen(0, 1), doc="p, a probability"),
            ),
            params=(KL_REDUCTION,),
            reduction=True,
            function=yp * (sp.log(yp) - x),
            derivative={"input": -yp, "target": sp.Add(sp.log(yp), -x, 1)},
            stable_derivative={"target": sp.log(yp) + (1 - x)},
            notes=(
                "Summed over a distribution: Σ p (ln p − ln q) = KL(p ‖ q); input is ln q, not q.",
                "Use reduction='batchmean' for the KL per sample; 'mean' divides by every element (batch × classes).",
                "PyTorch takes 0 · ln 0 = 0 (xlogy) at a zero target.",
            ),
            references=("PyTorch F.kl_div",),
            torch="F.kl_div",
        ),
        Rule(
            id="kl_div_log_target",
            title="KL divergence (log target)",
            family="loss",
            inputs=(Input("input", x, REAL, doc="ln q"), Input("target", y, REAL, doc="ln p")),
            params=(KL_REDUCTION,),
            reduction=True,
            function=sp.exp(y) * (y - x),
            derivative={"input": -sp.exp(y), "target": sp.exp(y) * sp.Add(y, -x, 1)},
            # where y − x + 1 cancels, subtract first the pair that is exact by Sterbenz's lemma
            stable_derivative={
                "target": sp.Piecewise(
                    (sp.exp(y) * ((y + 1) - x), (y >= -2) & (y <= sp.Rational(-1, 2))),
                    (sp.exp(y) * (y - (x - 1)), (x >= sp.Rational(1, 2)) & (x <= 2)),
                    (sp.exp(y) * ((y - x) + 1), True),
                )
            },
            notes=("F.kl_div(..., log_target=True): both arguments are log-probabilities; no 0 · ln 0 to guard.",),
            references=("PyTorch F.kl_div",),
            torch="F.kl_div",
            torch_kwargs={"log_target": True},
        ),
        Rule(
            id="poisson_nll_loss",
            title="Poisson NLL (log input)",
            family="loss",
            inputs=(
                Input("input", x, REAL, doc="ln λ, the log-rate"),
                Input("target", y, sp.Interval(0, sp.oo), doc="a count"),
            ),
            params=(REDUCTION,),
            reduction=True,
            function=sp.exp(x) - y * x,
            derivative={"input": sp.exp(x) - y, "target": -x},
            # near y = 1: expm1(x) − (y − 1), both exact, instead of the cancelling e^x − y
            stable_derivative={
                "input": sp.Piecewise((expm1(x) - (y - 1), sp.Abs(y - 1) < sp.Rational(1, 2)), (sp.exp(x) - y, True))
            },
            notes=(
                "log_input=True (default): the input is ln λ, and the gradient eˣ − y = λ − y.",
                "full=True adds Stirling's y ln y − y + ½ ln(2πy) for y > 1: no change to ∂/∂input.",
            ),
            references=("PyTorch F.poisson_nll_loss",),
            torch="F.poisson_nll_loss",
        ),
        Rule(
            id="poisson_nll_loss_rate",
            title="Poisson NLL (rate input)",
            family="loss",
            inputs=(
                Input("input", x, sp.Interval(0, sp.oo), doc="λ, the rate"),
                Input("target", y, sp.Interval(0, sp.oo), doc="a count"),
            ),
            params=(
                REDUCTION,
                Param(
                    "eps",
                    sp.Rational(1, 10**8),
                    eps,
                    POSITIVE,
                    samples=(sp.Rational(1, 2),),
                    doc="keeps the log finite at λ = 0",
                ),
            ),
            reduction=True,
            function=x - y * sp.log(x + eps),
            derivative={"input": 1 - y / (x + eps), "target": -sp.log(x + eps)},
            stable_derivative={
                "input": ((x - y) + eps) / (x + eps),
                # near λ = 1 the log is small: log1p of the exact difference λ − 1
                "target": sp.Piecewise(
                    (-log1p((x - 1) + eps), sp.Abs(x - 1) < sp.Rational(1, 2)), (-sp.log(x + eps), True)
                ),
            },
            notes=("F.poisson_nll_loss(..., log_input=False): the input is the rate λ itself.",),
            references=("PyTorch F.poisson_nll_loss",),
            torch="F.poisson_nll_loss",
            torch_kwargs={"log_input": False},
        ),
        Rule(
            id="gaussian_nll_loss",
            title="Gaussian NLL",
            family="loss",
            inputs=(
                Input("input", x, REAL, doc="the mean"),
                TARGET,
                Input("var", v, POSITIVE, doc="the variance"),
            ),
            params=(REDUCTION,),
            reduction=True,
            function=sp.log(v) / 2 + residual**2 / (2 * v),
            derivative={
                "input": residual / v,
                "target": (y - x) / v,
                "var": (v - residual**2) / (2 * v**2),
            },
            notes=(
                "PyTorch clamps var to ≥ eps (1e-6) in place under no_grad: below eps it returns the value and"
                " the gradients at var = eps (∂/∂var not 0: a straight-through clamp).",
                "full=True adds the constant ½ ln 2π; the gradients are unchanged.",
            ),
            references=("PyTorch F.gaussian_nll_loss", "Nix & Weigend 1994"),
            torch="F.gaussian_nll_loss",
        ),
        Rule(
            id="soft_margin_loss",
            title="Soft margin loss",
            family="loss",
            inputs=(INPUT, SIGN_LABEL),
            params=(REDUCTION,),
            reduction=True,
            function=sp.log(1 + sp.exp(-y * x)),
            derivative={"input": -y * sigmoid(-y * x)},
            stable=softplus(-y * x),
            notes=(
                "The logistic loss on labels ±1: softplus(−yx), a smooth hinge.",
                "PyTorch does not differentiate w.r.t. the target.",
            ),
            references=("PyTorch F.soft_margin_loss",),
            torch="F.soft_margin_loss",
        ),
        Rule(
            id="hinge_loss",
            title="Hinge loss",
            family="loss",
            inputs=(INPUT, SIGN_LABEL),
            params=(REDUCTION,),
            reduction=True,
            function=HINGE,
            derivative={"input": -y * Indicator(y * x < 1)},
            kinks=(
                Kink(
                    at=1, left=-1, right=0, torch=0, given=((y, 1),), note="y·x = 1: torch.relu(1 − y·x) gives 0 there"
                ),
                Kink(
                    at=-1, left=0, right=1, torch=0, given=((y, -1),), note="y·x = 1: torch.relu(1 − y·x) gives 0 there"
                ),
            ),
            notes=(
                "No PyTorch functional: written torch.relu(1 − y * x) (or F.relu), whose gradient at x·y = 1 is 0.",
                "The SVM loss; multi-class: F.multi_margin_loss.",
            ),
            references=("Cortes & Vapnik, Support-vector networks, 1995",),
        ),
        Rule(
            id="hinge_embedding_loss",
            title="Hinge embedding loss",
            family="loss",
            inputs=(Input("input", x, REAL, doc="a distance"), SIGN_LABEL),
            params=(REDUCTION, Param("margin", 1, margin, REAL, samples=(2, sp.Rational(-1, 2)), doc="Δ")),
            reduction=True,
            function=sp.Piecewise((x, sp.Eq(y, 1)), (sp.Max(0, margin - x), sp.Eq(y, -1))),
            derivative={"input": sp.Piecewise((1, sp.Eq(y, 1)), (-Indicator(x <= margin), sp.Eq(y, -1)))},
            kinks=(
                Kink(
                    at=margin,
                    left=-1,
                    right=0,
                    torch=-1,
                    given=((y, -1),),
                    note="a kink only for y = −1 (for y = 1 the loss is x); PyTorch's clamp_min passes gradient −1 at x = Δ",
                ),
            ),
            notes=(
                "At x = Δ (y = −1) PyTorch's gradient is −1, not 0 as relu would give: clamp_min(Δ − x, 0) keeps"
                " the gradient at its bound.",
                "Pulls similar pairs (y = 1) together and pushes dissimilar ones (y = −1) beyond the margin Δ.",
            ),
            references=("PyTorch F.hinge_embedding_loss",),
            torch="F.hinge_embedding_loss",
        ),
    )
