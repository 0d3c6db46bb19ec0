"""Element-wise activations: every one in torch.nn.functional, and the classics of Wikipedia's table.

Ids, parameter names and defaults are PyTorch's (``torch.nn.functional``). Conventions at kinks are
PyTorch's float64 autograd values (FINDINGS §2, each re-measured), stated as data on each Kink and
checked; JAX's value is given where it differs. Where the printed formula loses float64 accuracy
(σ(1 − σ) at x = 30, e^x − 1 at x = −1e−7, 1 + tanh u at u = −6, x − tanh x at x = 1e−7), a stable
form is given, and a note says which.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1

from cheatsheet.catalog._common import POSITIVE, REAL, pos, real, textbook, x
from cheatsheet.notation import Indicator, Notation, Phi, phi, sigmoid, softplus
from cheatsheet.rule import Definition, Derivation, Identity, Input, Kink, Param, Rule, Step

__all__ = ["RULES"]


# --------------------------------------------------------------------------- float64 helpers
# Two differences that no elementary rewrite keeps accurate near 0 (x − tanh x ≈ x³/3 and
# x cos x − sin x ≈ −x³/3 cancel to nothing at |x| = 1e−7). They appear only in stable forms, never
# on the sheet. The verifier proves each stable form equal to the printed formula through the
# elementary rewrite below (``rewrite(exp)``) and evaluates it through ``_imp_`` (sympy's lambdify
# hook); float64 evaluation uses a Taylor polynomial below |x| = 1/2 and the direct formula above
# (measured against 700-digit values: at most 2e-15 relative over the whole line).
_SMALL = 0.5


def _tanh_series() -> tuple[float, ...]:
    # x − tanh x = −Σ_{m≥2} 2^{2m}(2^{2m} − 1) B_{2m} x^{2m−1}/(2m)!; coefficients of x³, x⁵, ...
    out = []
    with mpmath.workdps(30):
        for m in range(2, 18):
            out.append(float(-(2 ** (2 * m)) * (2 ** (2 * m) - 1) * mpmath.bernoulli(2 * m) / mpmath.factorial(2 * m)))
    return tuple(out)


def _sinc_series() -> tuple[float, ...]:
    # (x cos x − sin x)/x² = Σ_{m≥1} (−1)^m 2m x^{2m−1}/(2m + 1)!; coefficients of x, x³, ...
    return tuple(float(mpmath.mpf((-1) ** m * 2 * m) / mpmath.factorial(2 * m + 1)) for m in range(1, 12))


_TANH_COEFFS = _tanh_series()
_SINC_COEFFS = _sinc_series()


def _horner(coeffs: tuple[float, ...], z: Any) -> Any:
    acc = np.zeros_like(z)
    for c in reversed(coeffs):
        acc = acc * z + c
    return acc


def _np_x_minus_tanh(v: Any) -> Any:
    v = np.asarray(v, dtype=float)
    small = np.abs(v) < _SMALL
    series = v**3 * _horner(_TANH_COEFFS, v * v)
    return np.where(small, series, v - np.tanh(v))


def _np_sinc_slope(v: Any) -> Any:
    v = np.asarray(v, dtype=float)
    small = np.abs(v) < _SMALL
    with np.errstate(all="ignore"):
        direct = (v * np.cos(v) - np.sin(v)) / (v * v)
    return np.where(small, v * _horner(_SINC_COEFFS, v * v), direct)


def _mp_x_minus_tanh(v: Any) -> Any:
    with mpmath.extraprec(2 * mpmath.mp.prec):
        v = mpmath.mpf(v)
        return +(v - mpmath.tanh(v))


def _mp_sinc_slope(v: Any) -> Any:
    with mpmath.extraprec(2 * mpmath.mp.prec):
        v = mpmath.mpf(v)
        return mpmath.mpf(0) if v == 0 else +((v * mpmath.cos(v) - mpmath.sin(v)) / v**2)


class x_minus_tanh(Notation):
    """x − tanh x, accurate in float64 near 0 (stable forms only)."""

    nargs = 1
    latex_name = r"\operatorname{tanhshrink}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return v - sp.tanh(v)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.tanh(self.args[0]) ** 2

    def _eval_rewrite_as_exp(self, *args: sp.Expr, **hints: Any) -> sp.Expr:
        return self.definition(*args).rewrite(sp.exp)

    numpy_impl = staticmethod(_np_x_minus_tanh)
    mpmath_impl = staticmethod(_mp_x_minus_tanh)
    _imp_ = staticmethod(_mp_x_minus_tanh)


class sinc_slope(Notation):
    """(x cos x − sin x)/x² for x ≠ 0, accurate in float64 near 0 (stable forms only)."""

    nargs = 1
    latex_name = r"\operatorname{sinc}'"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return (v * sp.cos(v) - sp.sin(v)) / v**2

    def _eval_rewrite_as_exp(self, *args: sp.Expr, **hints: Any) -> sp.Expr:
        return self.definition(*args).rewrite(sp.exp)

    numpy_impl = staticmethod(_np_sinc_slope)
    mpmath_impl = staticmethod(_mp_sinc_slope)
    _imp_ = staticmethod(_mp_sinc_slope)


# --------------------------------------------------------------------------- symbols
IN = Input("input", x, REAL)

alpha = real("alpha")  # leaky_relu's negative_slope
alpha_pos = pos("alpha")  # elu, celu, isru, isrlu
beta = pos("beta")  # softplus
beta_real = real("beta")  # swish
t = pos("t")  # softplus's threshold
lam = pos("lambda")  # softshrink, hardshrink
theta = real("theta")  # threshold's threshold
v = real("v")  # threshold's value
lo = real("a")  # hardtanh's min_val
hi = real("b")  # hardtanh's max_val
lower = real("l")  # rrelu
upper = real("u")
slope = real("s")  # rrelu's mean slope
b_sq = pos("b")  # squareplus
w = real("a")  # prelu's weight
a_in = real("a")  # glu's halves
b_in = real("b")
z = real("z")  # a free real variable of an identity
t_int = real("t")  # the integration variable of GELU's derivation
NONPOSITIVE = sp.Interval(-sp.oo, 0)

# SELU's constants, exactly as PyTorch's source spells them (FINDINGS §2).
selu_lambda = pos("lambda")
selu_alpha = pos("alpha")
SELU_LAMBDA = Definition(selu_lambda, sp.Rational("1.0507009873554804934193349852946"), text="scale")
SELU_ALPHA = Definition(selu_alpha, sp.Rational("1.6732632423543772848170429916717"), text="alpha")

# GELU's tanh approximation: u = √(2/π)(x + c x³), c = 0.044715.
u = real("u")
c = pos("c")
GELU_C = Definition(c, sp.Rational("0.044715"), text="the cubic coefficient of the tanh approximation")

#: Where σ(x) rounds to 1 in float64: 1 − σ(x) = σ(−x) = 1/(1 + eˣ) is at most half the spacing 2⁻⁵³ of the floats
#: below 1, i.e. 2⁻⁵⁴ (a tie rounds to the even 1), exactly when x ≥ ln(2⁵⁴ − 1). Beyond it ln σ(x) computed from
#: σ(x) is 0; logsigmoid's note prints this threshold and an identity on the rule pins it.
with textbook():  # printed as ln(2⁵⁴ − 1)
    SIGMOID_ROUNDS_TO_ONE = sp.log(sp.Integer(2) ** 54 - 1)

with textbook():
    GELU_U = Definition(u, sp.sqrt(2 / sp.pi) * (x + c * x**3), text="the argument of tanh")
    GELU_DU = sp.sqrt(2 / sp.pi) * (1 + 3 * c * x**2)  # du/dx
    E_NEG = sp.exp(-x)  # e^{−x}, in the derivations of σ and ln σ

    RULES: tuple[Rule, ...] = (
        # ------------------------------------------------------------------ sigmoid-shaped
        Rule(
            id="sigmoid",
            title="Sigmoid",
            family="activation",
            inputs=(IN,),
            function=sigmoid(x),
            derivative=sigmoid(x) * (1 - sigmoid(x)),
            stable_derivative=sigmoid(x) * sigmoid(-x),
            identities=(
                Identity(
                    sp.Subs(sp.Derivative(sigmoid(x), x), x, 0), sp.Rational(1, 4), note="maximum slope 1/4 at x = 0"
                ),
                Identity(sigmoid(x) * (1 - sigmoid(x)), sp.Rational(1, 4), "<=", note="σ′ never exceeds 1/4"),
                Identity(sigmoid(-x), 1 - sigmoid(x), note="symmetry"),
            ),
            notes=(
                "σ′ = σ(1 − σ): the backward pass reuses the forward output.",
                "Float path: σ(x)σ(−x), since 1 − σ(x) cancels for large x.",
            ),
            references=("PyTorch F.sigmoid", "Goodfellow et al., Deep Learning, §3.10"),
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative((1 + E_NEG) ** -1, x), "substitute σ(x) = 1/(1 + e⁻ˣ)"),
                    Step(-((1 + E_NEG) ** -2) * sp.Derivative(1 + E_NEG, x), "chain rule: (u⁻¹)′ = −u⁻² u′"),
                    Step(E_NEG / (1 + E_NEG) ** 2, "(e⁻ˣ)′ = −e⁻ˣ"),
                    Step(1 / (1 + E_NEG) * (E_NEG / (1 + E_NEG)), "split the square"),
                    Step(sigmoid(x) * (1 - sigmoid(x)), "1/(1 + e⁻ˣ) = σ(x) and e⁻ˣ/(1 + e⁻ˣ) = 1 − σ(x)"),
                ),
            ),
            torch="torch.sigmoid",
            jax="jax.nn.sigmoid",
        ),
        Rule(
            id="tanh",
            title="Tanh",
            family="activation",
            inputs=(IN,),
            function=sp.tanh(x),
            derivative=1 - sp.tanh(x) ** 2,
            stable_derivative=4 * sigmoid(2 * x) * sigmoid(-2 * x),
            identities=(
                Identity(sp.tanh(x), 2 * sigmoid(2 * x) - 1, note="a rescaled sigmoid"),
                Identity(1 - sp.tanh(x) ** 2, 1 / sp.cosh(x) ** 2, note="tanh′ = sech²"),
            ),
            notes=(
                "tanh′ = 1 − tanh² = sech²; some tables print −tanh², which is wrong.",
                "tanh x = 2σ(2x) − 1: a sigmoid stretched to (−1, 1).",
                "Float path: sech² x = 4σ(2x)σ(−2x), since 1 − tanh² cancels for large |x|.",
            ),
            references=("PyTorch F.tanh",),
            derivation=Derivation(
                "input",
                (
                    Step(
                        sp.Derivative((sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)), x),
                        "substitute tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)",
                    ),
                    Step(
                        ((sp.exp(x) + sp.exp(-x)) ** 2 - (sp.exp(x) - sp.exp(-x)) ** 2) / (sp.exp(x) + sp.exp(-x)) ** 2,
                        "quotient rule: (eˣ − e⁻ˣ)′ = eˣ + e⁻ˣ and (eˣ + e⁻ˣ)′ = eˣ − e⁻ˣ",
                    ),
                    Step(
                        1 - (sp.exp(x) - sp.exp(-x)) ** 2 / (sp.exp(x) + sp.exp(-x)) ** 2,
                        "divide both terms by (eˣ + e⁻ˣ)²",
                    ),
                    Step(1 - sp.tanh(x) ** 2, "(eˣ − e⁻ˣ)/(eˣ + e⁻ˣ) = tanh x"),
                ),
            ),
            torch="torch.tanh",
            jax="jax.numpy.tanh",
        ),
        Rule(
            id="hardsigmoid",
            title="Hard sigmoid",
            family="activation",
            inputs=(IN,),
            function=sp.Piecewise((0, x <= -3), (1, x >= 3), (sp.Rational(1, 6) * (x + 3), True)),
            derivative=sp.Rational(1, 6) * Indicator(sp.Abs(x) < 3),
            kinks=(
                Kink(at=-3, left=0, right=sp.Rational(1, 6), torch=0),
                Kink(at=3, left=sp.Rational(1, 6), right=0, torch=0),
            ),
            identities=(
                Identity(
                    sp.Piecewise((0, x <= -3), (1, x >= 3), (sp.Rational(1, 6) * (x + 3), True)),
                    sp.Rational(1, 6) * sp.Min(sp.Max(0, x + 3), 6),
                    note="relu6(x + 3)/6",
                ),
            ),
            notes=(
                "hardsigmoid(x) = relu6(x + 3)/6; PyTorch's derivative is 0 at ±3.",
                "PyTorch's backward multiplies by 1/6 rounded to float32 (3e-8 relative error in float64).",
            ),
            references=("PyTorch F.hardsigmoid", "Howard et al. 2019 (MobileNetV3)"),
            torch="F.hardsigmoid",
            jax="jax.nn.hard_sigmoid",
        ),
        Rule(
            id="logsigmoid",
            title="Log-sigmoid",
            family="activation",
            inputs=(IN,),
            function=sp.log(sigmoid(x)),
            derivative=1 - sigmoid(x),
            stable=-softplus(-x),
            stable_derivative=sigmoid(-x),
            identities=(
                Identity(sp.log(sigmoid(x)), -softplus(-x), note="ln σ(x) = −softplus(−x)"),
                Identity(
                    1 - sigmoid(SIGMOID_ROUNDS_TO_ONE),
                    1 / sp.Pow(2, 54, evaluate=False),  # printed 1/2⁵⁴, not its 17 digits
                    note="σ(x) is half a float64 spacing below 1 at x = ln(2⁵⁴ − 1): from there on it rounds to 1",
                ),
            ),
            notes=(
                "ln σ(x) = −softplus(−x): the float path. ln of a rounded σ(x) loses digits as x grows"
                f" and gives 0 once σ(x) rounds to 1, at x ≥ ln(2⁵⁴ − 1)"
                f" ≈ {float(SIGMOID_ROUNDS_TO_ONE):.2f}.",
                "Derivative 1 − σ(x) = σ(−x); the float path uses σ(−x).",
            ),
            references=("PyTorch F.logsigmoid",),
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative(-sp.log(1 + E_NEG), x), "ln σ(x) = ln(1/(1 + e⁻ˣ)) = −ln(1 + e⁻ˣ)"),
                    Step(E_NEG / (1 + E_NEG), "chain rule: (ln u)′ = u′/u and (e⁻ˣ)′ = −e⁻ˣ"),
                    Step(1 - 1 / (1 + E_NEG), "write e⁻ˣ = (1 + e⁻ˣ) − 1"),
                    Step(1 - sigmoid(x), "1/(1 + e⁻ˣ) = σ(x)"),
                ),
            ),
            torch="F.logsigmoid",
            jax="jax.nn.log_sigmoid",
        ),
        Rule(
            id="softsign",
            title="Softsign",
            family="activation",
            inputs=(IN,),
            function=x / (1 + sp.Abs(x)),
            derivative=1 / (1 + sp.Abs(x)) ** 2,
            identities=(
                Identity(
                    (1 - sp.Abs(x / (1 + sp.Abs(x)))) ** 2,
                    1 / (1 + sp.Abs(x)) ** 2,
                    note="softsign′ = (1 − |softsign|)²",
                ),
            ),
            notes=("softsign′ = (1 − |softsign(x)|)², not 1 − softsign² (tanh′'s pattern does not carry over).",),
            references=("PyTorch F.softsign", "Bergstra et al. 2009"),
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative(x / (1 + sp.Abs(x)), x), "softsign(x) = x/(1 + |x|)"),
                    Step(
                        sp.Add(1, sp.Abs(x), -(x * sp.sign(x))) / (1 + sp.Abs(x)) ** 2,
                        "quotient rule: |x|′ = sign x (x ≠ 0)",
                    ),
                    Step(sp.Add(1, sp.Abs(x), -sp.Abs(x)) / (1 + sp.Abs(x)) ** 2, "x sign x = |x|"),
                    Step(1 / (1 + sp.Abs(x)) ** 2, "the |x| cancel: no 1 − softsign² here"),
                ),
            ),
            torch="F.softsign",
            jax="jax.nn.soft_sign",
        ),
        # ------------------------------------------------------------------ rectifiers
        Rule(
            id="relu",
            title="ReLU",
            family="activation",
            inputs=(IN,),
            function=sp.Max(0, x),
            derivative=Indicator(x > 0),
            kinks=(Kink(at=0, left=0, right=1, torch=0),),
            identities=(Identity(sp.Max(0, x) - sp.Max(0, -x), x, note="x = relu(x) − relu(−x)"),),
            notes=("Not differentiable at 0; PyTorch and JAX use 0 there (sympy's Heaviside(0) = 1/2 is neither).",),
            references=("PyTorch F.relu", "Nair & Hinton 2010"),
            torch="torch.relu",
            jax="jax.nn.relu",
        ),
        Rule(
            id="relu6",
            title="ReLU6",
            family="activation",
            inputs=(IN,),
            function=sp.Min(sp.Max(0, x), 6),
            derivative=Indicator(sp.And(x > 0, x < 6)),
            kinks=(
                Kink(at=0, left=0, right=1, torch=0),
                Kink(at=6, left=1, right=0, torch=0),
            ),
            notes=("PyTorch's derivative is 0 at both kinks, 0 and 6; relu6 = hardtanh with bounds 0 and 6.",),
            references=("PyTorch F.relu6", "Krizhevsky 2010"),
            torch="F.relu6",
            jax="jax.nn.relu6",
        ),
        Rule(
            id="leaky_relu",
            title="Leaky ReLU",
            family="activation",
            inputs=(IN,),
            params=(
                Param(
                    "negative_slope",
                    sp.Rational(1, 100),
                    alpha,
                    REAL,
                    samples=(sp.Rational(1, 5), sp.Rational(-1, 2), 2),
                    doc="slope for x ≤ 0",
                ),
            ),
            function=sp.Piecewise((x, x > 0), (alpha * x, True)),
            derivative=sp.Piecewise((1, x > 0), (alpha, True)),
            kinks=(Kink(at=0, left=alpha, right=1, torch=alpha, jax=1),),
            notes=("At 0 PyTorch takes the negative slope, JAX takes 1.",),
            references=("PyTorch F.leaky_relu", "Maas et al. 2013"),
            torch="F.leaky_relu",
            jax="jax.nn.leaky_relu",
        ),
        Rule(
            id="prelu",
            title="PReLU",
            family="activation",
            inputs=(IN, Input("weight", w, REAL, doc="the learned slope for x ≤ 0 (per channel in PyTorch)")),
            function=sp.Piecewise((x, x > 0), (w * x, True)),
            derivative={
                "input": sp.Piecewise((1, x > 0), (w, True)),
                "weight": sp.Min(0, x),
            },
            kinks=(Kink(at=0, left=w, right=1, torch=w, wrt="input"),),
            notes=(
                "Leaky ReLU with a learned slope a; ∂/∂a = min(0, x), summed over the channel's elements.",
                "At x = 0 PyTorch takes the slope a for ∂/∂input.",
            ),
            references=("PyTorch F.prelu", "He et al. 2015"),
            torch="F.prelu",
        ),
        Rule(
            id="rrelu",
            title="RReLU (evaluation mode)",
            family="activation",
            inputs=(IN,),
            params=(
                Param("lower", sp.Rational(1, 8), lower, REAL, samples=(0,), doc="lower bound of the random slope"),
                Param("upper", sp.Rational(1, 3), upper, REAL, samples=(1,), doc="upper bound of the random slope"),
            ),
            where=(Definition(slope, (lower + upper) / 2, text="the mean slope"),),
            function=sp.Piecewise((x, x >= 0), (slope * x, True)),
            derivative=sp.Piecewise((1, x > 0), (slope, True)),
            kinks=(Kink(at=0, left=slope, right=1, torch=slope),),
            notes=(
                "In evaluation mode the slope for x < 0 is the mean s = (l + u)/2 (11/48 by default): a leaky ReLU.",
                "In training mode each element draws its slope from U(l, u); the derivative is that slope.",
            ),
            references=("PyTorch F.rrelu", "Xu et al. 2015"),
            torch="F.rrelu",
            torch_kwargs={"training": False},
        ),
        Rule(
            id="elu",
            title="ELU",
            family="activation",
            inputs=(IN,),
            params=(
                Param(
                    "alpha", 1, alpha_pos, POSITIVE, samples=(2, sp.Rational(1, 2)), doc="saturation value −α as x → −∞"
                ),
            ),
            function=sp.Piecewise((x, x > 0), (alpha_pos * (sp.exp(x) - 1), True)),
            derivative=sp.Piecewise((1, x > 0), (alpha_pos * sp.exp(x), True)),
            stable=sp.Piecewise((x, x > 0), (alpha_pos * expm1(x), True)),
            kinks=(
                Kink(
                    at=0,
                    left=alpha_pos,
                    right=1,
                    torch=alpha_pos,
                    note="a kink only for α ≠ 1; PyTorch takes the lower branch, α",
                ),
            ),
            identities=(
                Identity(
                    alpha_pos * sp.exp(z),
                    alpha_pos * (sp.exp(z) - 1) + alpha_pos,
                    note="ELU′ = ELU + α for x ≤ 0",
                    domains=((z, NONPOSITIVE),),
                ),
            ),
            notes=(
                "For x ≤ 0, ELU′(x) = ELU(x) + α: the backward pass can reuse the output.",
                "Differentiable at 0 only for α = 1; PyTorch's derivative there is α.",
                "Float path: α expm1(x), since eˣ − 1 cancels near 0.",
            ),
            references=("PyTorch F.elu", "Clevert et al. 2016"),
            torch="F.elu",
            jax="jax.nn.elu",
        ),
        Rule(
            id="selu",
            title="SELU",
            family="activation",
            inputs=(IN,),
            where=(SELU_LAMBDA, SELU_ALPHA),
            function=sp.Piecewise((selu_lambda * x, x > 0), (selu_lambda * selu_alpha * (sp.exp(x) - 1), True)),
            derivative=sp.Piecewise((selu_lambda, x > 0), (selu_lambda * selu_alpha * sp.exp(x), True)),
            stable=sp.Piecewise((selu_lambda * x, x > 0), (selu_lambda * selu_alpha * expm1(x), True)),
            kinks=(
                Kink(
                    at=0,
                    left=selu_lambda * selu_alpha,
                    right=selu_lambda,
                    torch=selu_lambda * selu_alpha,
                    note="PyTorch takes the lower branch, λα ≈ 1.7581",
                ),
            ),
            identities=(
                Identity(
                    selu_lambda * selu_alpha * sp.exp(z),
                    selu_lambda * selu_alpha * (sp.exp(z) - 1) + selu_lambda * selu_alpha,
                    note="SELU′ = SELU + λα for x ≤ 0",
                    domains=((z, NONPOSITIVE),),
                ),
            ),
            notes=(
                "λ, α: PyTorch's constants to 32 digits; f and f′ share them, so only PyTorch can catch a rounded one.",
                "For x ≤ 0, SELU′(x) = SELU(x) + λα; λ(SELU(x) + α), seen in some tables, counts λ twice.",
                "PyTorch's derivative at 0 is λα ≈ 1.7581 (the lower branch).",
                "Float path: λα expm1(x), since eˣ − 1 cancels near 0 (selu(−1e−7)).",
            ),
            references=("PyTorch F.selu", "Klambauer et al. 2017"),
            torch="F.selu",
            jax="jax.nn.selu",
        ),
        Rule(
            id="celu",
            title="CELU",
            family="activation",
            inputs=(IN,),
            params=(
                Param(
                    "alpha",
                    1,
                    alpha_pos,
                    POSITIVE,
                    samples=(2, sp.Rational(7, 10)),
                    doc="saturation value −α as x → −∞",
                ),
            ),
            function=sp.Piecewise((x, x > 0), (alpha_pos * (sp.exp(x / alpha_pos) - 1), True)),
            derivative=sp.Piecewise((1, x > 0), (sp.exp(x / alpha_pos), True)),
            stable=sp.Piecewise((x, x > 0), (alpha_pos * expm1(x / alpha_pos), True)),
            identities=(
                Identity(
                    sp.Subs(sp.Derivative(alpha_pos * (sp.exp(x / alpha_pos) - 1), x), x, 0),
                    1,
                    note="slope 1 at 0 from the left too",
                ),
            ),
            notes=(
                "Continuously differentiable for every α (slope 1 at 0 from both sides), unlike ELU; PyTorch gives 1 at 0.",
                "PyTorch's float64 backward divides by α rounded to float32: off by ~1e-8 unless α is a float32 (1, 2, 0.5).",
                "Float path: α expm1(x/α), since exp(x/α) − 1 cancels near 0.",
            ),
            references=("PyTorch F.celu", "Barron 2017"),
            torch="F.celu",
            jax="jax.nn.celu",
        ),
        # ------------------------------------------------------------------ smooth rectifiers
        Rule(
            id="softplus",
            title="Softplus",
            family="activation",
            inputs=(IN,),
            params=(
                Param("beta", 1, beta, POSITIVE, samples=(2,), doc="sharpness"),
                Param("threshold", 20, t, POSITIVE, samples=(5,), doc="above β·x > threshold the function is x"),
            ),
            function=sp.Piecewise((x, beta * x > t), (softplus(beta * x) / beta, True)),
            derivative=sp.Piecewise((1, beta * x > t), (sigmoid(beta * x), True)),
            kinks=(
                Kink(
                    at=t / beta,
                    left=sigmoid(t),
                    right=1,
                    torch=sigmoid(t),
                    jump=True,
                    note="PyTorch switches to the identity above the threshold: a jump of about e^{-t}/β",
                ),
            ),
            identities=(Identity(softplus(x) - softplus(-x), x, note="softplus(x) − softplus(−x) = x"),),
            notes=(
                "softplus′ = σ(βx): the derivative of softplus is the sigmoid.",
                "PyTorch returns x (slope exactly 1) once βx > threshold: a jump of about exp(−t)/β at x = t/β.",
            ),
            references=("PyTorch F.softplus", "Dugas et al. 2001"),
            derivation=Derivation(
                "input",
                (
                    Step(
                        sp.Piecewise((1, beta * x > t), (sp.Derivative(sp.log(1 + sp.exp(beta * x)) / beta, x), True)),
                        "the identity branch has slope 1; softplus(z) = ln(1 + eᶻ)",
                    ),
                    Step(
                        sp.Piecewise(
                            (1, beta * x > t), (1 / beta * (beta * sp.exp(beta * x) / (1 + sp.exp(beta * x))), True)
                        ),
                        "chain rule: (ln u)′ = u′/u and (eᵝˣ)′ = βeᵝˣ",
                    ),
                    Step(
                        sp.Piecewise((1, beta * x > t), (1 / (sp.exp(-beta * x) + 1), True)),
                        "cancel β; multiply by e⁻ᵝˣ/e⁻ᵝˣ",
                    ),
                    Step(sp.Piecewise((1, beta * x > t), (sigmoid(beta * x), True)), "1/(1 + e⁻ᵝˣ) = σ(βx)"),
                ),
            ),
            torch="F.softplus",
        ),
        Rule(
            id="gelu",
            title="GELU (exact)",
            family="activation",
            inputs=(IN,),
            function=x * Phi(x),
            derivative=Phi(x) + x * phi(x),
            identities=(Identity(Phi(x), sp.erfc(-x / sp.sqrt(2)) / 2, note="Φ via erfc"),),
            notes=(
                "PyTorch's default approximate='none'; jax.nn.gelu defaults to the tanh approximation (gelu_tanh).",
                "Float path: Φ(x) = erfc(−x/√2)/2, accurate in the lower tail where 1 + erf cancels (gelu(−8)).",
            ),
            references=("PyTorch F.gelu", "Hendrycks & Gimpel 2016"),
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative(x * Phi(x), x), "GELU(x) = x Φ(x), Φ the standard normal CDF"),
                    Step(Phi(x) + x * sp.Derivative(Phi(x), x), "product rule"),
                    Step(
                        Phi(x) + x * sp.Derivative(sp.Integral(phi(t_int), (t_int, -sp.oo, x)), x),
                        "Φ(x) = ∫ φ(t) dt from −∞ to x",
                    ),
                    Step(Phi(x) + x * phi(x), "fundamental theorem of calculus"),
                ),
            ),
            torch="F.gelu",
        ),
        Rule(
            id="gelu_tanh",
            title="GELU (tanh approximation)",
            family="activation",
            inputs=(IN,),
            where=(GELU_U, GELU_C),
            function=x / 2 * (1 + sp.tanh(u)),
            derivative=(1 + sp.tanh(u)) / 2 + x / 2 * (1 - sp.tanh(u) ** 2) * GELU_DU,
            stable=x * sigmoid(2 * u),
            stable_derivative=sigmoid(2 * u) + 2 * x * sigmoid(2 * u) * sigmoid(-2 * u) * GELU_DU,
            identities=(
                Identity(1 + sp.tanh(z), 2 * sigmoid(2 * z), note="1 + tanh z = 2σ(2z)", domains=((z, REAL),)),
            ),
            notes=(
                "PyTorch F.gelu(approximate='tanh'); jax.nn.gelu's default.",
                "Float path: x σ(2u) and σ(2u) + 2xσ(2u)σ(−2u)u′, since 1 + tanh u = 2σ(2u) cancels for u ≪ 0.",
            ),
            references=("PyTorch F.gelu", "Hendrycks & Gimpel 2016"),
            torch="F.gelu",
            torch_kwargs={"approximate": "tanh"},
            jax="jax.nn.gelu",
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative(x / 2 * (1 + sp.tanh(u)), x), "u = u(x) = √(2/π)(x + cx³)"),
                    Step((1 + sp.tanh(u)) / 2 + x / 2 * sp.Derivative(sp.tanh(u), x), "product rule"),
                    Step(
                        (1 + sp.tanh(u)) / 2 + x / 2 * (1 - sp.tanh(u) ** 2) * sp.Derivative(u, x),
                        "chain rule: tanh′ = 1 − tanh²",
                    ),
                    Step((1 + sp.tanh(u)) / 2 + x / 2 * (1 - sp.tanh(u) ** 2) * GELU_DU, "du/dx = √(2/π)(1 + 3cx²)"),
                ),
            ),
        ),
        Rule(
            id="silu",
            title="SiLU (swish)",
            family="activation",
            inputs=(IN,),
            function=x * sigmoid(x),
            derivative=sigmoid(x) * (1 + x * (1 - sigmoid(x))),
            identities=(
                Identity(
                    sigmoid(x) * (1 + x * (1 - sigmoid(x))),
                    sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)),
                    note="SiLU′ = σ + x σ′",
                ),
            ),
            notes=("SiLU′ = σ(x) + xσ′(x) = σ(x)(1 + x(1 − σ(x))); silu = swish with β = 1.",),
            references=("PyTorch F.silu", "Elfwing et al. 2018", "Ramachandran et al. 2017"),
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative(x * sigmoid(x), x), "SiLU(x) = x σ(x)"),
                    Step(sigmoid(x) + x * sp.Derivative(sigmoid(x), x), "product rule"),
                    Step(sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)), "σ′ = σ(1 − σ)"),
                    Step(sigmoid(x) * (1 + x * (1 - sigmoid(x))), "factor out σ(x)"),
                ),
            ),
            torch="F.silu",
            jax="jax.nn.silu",
        ),
        Rule(
            id="swish",
            title="Swish (β)",
            family="activation",
            inputs=(IN,),
            params=(Param("beta", 1, beta_real, REAL, samples=(2, sp.Rational(-1, 2)), doc="β = 1 is SiLU"),),
            function=x * sigmoid(beta_real * x),
            derivative=sigmoid(beta_real * x) * (1 + beta_real * x * (1 - sigmoid(beta_real * x))),
            notes=("β = 1 is SiLU (F.silu); β is often learned.",),
            references=("Ramachandran et al. 2017",),
        ),
        Rule(
            id="mish",
            title="Mish",
            family="activation",
            inputs=(IN,),
            function=x * sp.tanh(softplus(x)),
            derivative=sp.tanh(softplus(x)) + x * sigmoid(x) * (1 - sp.tanh(softplus(x)) ** 2),
            notes=("Mish′ = tanh(softplus x) + x σ(x) sech²(softplus x), using softplus′ = σ.",),
            references=("PyTorch F.mish", "Misra 2019"),
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative(x * sp.tanh(softplus(x)), x), "Mish(x) = x tanh(softplus x)"),
                    Step(sp.tanh(softplus(x)) + x * sp.Derivative(sp.tanh(softplus(x)), x), "product rule"),
                    Step(
                        sp.tanh(softplus(x)) + x * (1 - sp.tanh(softplus(x)) ** 2) * sp.Derivative(softplus(x), x),
                        "chain rule: tanh′ = 1 − tanh²",
                    ),
                    Step(sp.tanh(softplus(x)) + x * sigmoid(x) * (1 - sp.tanh(softplus(x)) ** 2), "softplus′ = σ"),
                ),
            ),
            torch="F.mish",
        ),
        Rule(
            id="squareplus",
            title="Squareplus",
            family="activation",
            inputs=(IN,),
            params=(Param("b", 4, b_sq, POSITIVE, samples=(1,), doc="smoothness near 0 (b = 0 is ReLU)"),),
            function=(x + sp.sqrt(x**2 + b_sq)) / 2,
            derivative=(1 + x / sp.sqrt(x**2 + b_sq)) / 2,
            stable=sp.Piecewise(
                ((x + sp.sqrt(x**2 + b_sq)) / 2, x >= 0), (b_sq / (2 * (sp.sqrt(x**2 + b_sq) - x)), True)
            ),
            stable_derivative=sp.Piecewise(
                ((1 + x / sp.sqrt(x**2 + b_sq)) / 2, x >= 0),
                (b_sq / (2 * sp.sqrt(x**2 + b_sq) * (sp.sqrt(x**2 + b_sq) - x)), True),
            ),
            identities=(
                Identity(
                    (x + sp.sqrt(x**2 + b_sq)) / 2 - (-x + sp.sqrt(x**2 + b_sq)) / 2,
                    x,
                    note="squareplus(x) − squareplus(−x) = x",
                ),
            ),
            notes=(
                "An algebraic softplus: like it, squareplus(x) − squareplus(−x) = x; b = 0 would be ReLU.",
                "Float path for x < 0: b/(2(√(x² + b) − x)), since x + √(x² + b) cancels.",
            ),
            references=("Barron 2021", "JAX jax.nn.squareplus"),
            jax="jax.nn.squareplus",
        ),
        # ------------------------------------------------------------------ hard (piecewise-linear) family
        Rule(
            id="hardtanh",
            title="Hard tanh",
            family="activation",
            inputs=(IN,),
            params=(
                Param("min_val", -1, lo, sp.Interval(-sp.oo, 0), samples=(-2, 0), doc="lower bound a"),
                Param("max_val", 1, hi, sp.Interval(0, sp.oo), samples=(3, 6), doc="upper bound b"),
            ),
            function=sp.Piecewise((lo, x < lo), (hi, x > hi), (x, True)),
            derivative=Indicator(sp.And(x > lo, x < hi)),
            kinks=(
                Kink(at=lo, left=0, right=1, torch=0, jax=1),
                Kink(at=hi, left=1, right=0, torch=0, jax=1),
            ),
            notes=(
                "F.hardtanh's derivative is 0 at both bounds; torch.clamp's is 1 there, jax.nn.hard_tanh's 1.",
                "PyTorch's bounds need not straddle 0; here a ≤ 0 ≤ b. min_val = 0, max_val = 6 is relu6.",
            ),
            references=("PyTorch F.hardtanh",),
            torch="F.hardtanh",
            jax="jax.nn.hard_tanh",
        ),
        Rule(
            id="hardswish",
            title="Hard swish",
            family="activation",
            inputs=(IN,),
            function=sp.Piecewise((0, x <= -3), (x, x >= 3), (x * (x + 3) / 6, True)),
            derivative=sp.Piecewise((0, x <= -3), (1, x >= 3), ((2 * x + 3) / 6, True)),
            kinks=(
                Kink(at=-3, left=0, right=sp.Rational(-1, 2), torch=0),
                Kink(at=3, left=sp.Rational(3, 2), right=1, torch=1),
            ),
            identities=(
                Identity(
                    sp.Piecewise((0, x <= -3), (x, x >= 3), (x * (x + 3) / 6, True)),
                    x * sp.Min(sp.Max(0, x + 3), 6) / 6,
                    note="x relu6(x + 3)/6",
                ),
            ),
            notes=(
                "hardswish(x) = x·relu6(x + 3)/6; PyTorch's derivative is 0 at −3 and 1 at +3 (the outer branches).",
                "The one-sided slopes are −1/2 and 0 at −3, 3/2 and 1 at +3.",
            ),
            references=("PyTorch F.hardswish", "Howard et al. 2019 (MobileNetV3)"),
            torch="F.hardswish",
            jax="jax.nn.hard_swish",
        ),
        Rule(
            id="softshrink",
            title="Soft shrinkage",
            family="activation",
            inputs=(IN,),
            params=(Param("lambd", sp.Rational(1, 2), lam, POSITIVE, samples=(1,), doc="threshold λ"),),
            function=sp.Piecewise((x - lam, x > lam), (x + lam, x < -lam), (0, True)),
            derivative=Indicator(sp.Abs(x) > lam),
            kinks=(
                Kink(at=-lam, left=1, right=0, torch=0),
                Kink(at=lam, left=0, right=1, torch=0),
            ),
            identities=(
                Identity(
                    sp.Piecewise((x - lam, x > lam), (x + lam, x < -lam), (0, True)),
                    sp.sign(x) * sp.Max(sp.Abs(x) - lam, 0),
                    note="sign(x) max(|x| − λ, 0)",
                ),
            ),
            notes=(
                "sign(x)·max(|x| − λ, 0): the proximal operator of λ|x| (soft thresholding, as in the lasso).",
                "PyTorch's derivative is 0 at ±λ.",
            ),
            references=("PyTorch F.softshrink", "Donoho 1995"),
            torch="F.softshrink",
        ),
        Rule(
            id="hardshrink",
            title="Hard shrinkage",
            family="activation",
            inputs=(IN,),
            params=(Param("lambd", sp.Rational(1, 2), lam, POSITIVE, samples=(1,), doc="threshold λ"),),
            function=sp.Piecewise((x, sp.Abs(x) > lam), (0, True)),
            derivative=Indicator(sp.Abs(x) > lam),
            kinks=(
                Kink(at=-lam, left=1, right=0, torch=0, jump=True),
                Kink(at=lam, left=0, right=1, torch=0, jump=True),
            ),
            notes=("Jumps by λ at ±λ, where it is 0 (PyTorch: value 0, derivative 0).",),
            references=("PyTorch F.hardshrink",),
            torch="F.hardshrink",
        ),
        Rule(
            id="threshold",
            title="Threshold",
            family="activation",
            inputs=(IN,),
            params=(
                Param("threshold", 1, theta, REAL, samples=(-1,), doc="θ: inputs above it pass"),
                Param("value", 0, v, REAL, samples=(20,), doc="v: the output at and below θ"),
            ),
            function=sp.Piecewise((x, x > theta), (v, True)),
            derivative=Indicator(x > theta),
            kinks=(Kink(at=theta, left=0, right=1, torch=0, jump=True, note="a jump from v to θ unless v = θ"),),
            notes=(
                "F.threshold has no defaults; θ = 1, v = 0 here is Keras's ThresholdedReLU.",
                "Jumps at θ unless v = θ (θ = v = 0 is ReLU); PyTorch's derivative at θ is 0.",
            ),
            references=("PyTorch F.threshold",),
            torch="F.threshold",
        ),
        Rule(
            id="tanhshrink",
            title="Tanh shrinkage",
            family="activation",
            inputs=(IN,),
            function=x - sp.tanh(x),
            derivative=sp.tanh(x) ** 2,
            stable=x_minus_tanh(x),
            notes=(
                "tanhshrink′ = tanh² x = 1 − tanh′ x.",
                "Float path: a Taylor polynomial (x³/3 − 2x⁵/15 + …) for |x| < 1/2, where x − tanh x cancels.",
            ),
            references=("PyTorch F.tanhshrink",),
            torch="F.tanhshrink",
        ),
        # ------------------------------------------------------------------ gated
        Rule(
            id="glu",
            title="GLU",
            family="activation",
            inputs=(
                Input("a", a_in, REAL, doc="first half of the input along dim"),
                Input("b", b_in, REAL, doc="second half of the input along dim (the gate)"),
            ),
            function=a_in * sigmoid(b_in),
            derivative={
                "a": sigmoid(b_in),
                "b": a_in * sigmoid(b_in) * (1 - sigmoid(b_in)),
            },
            stable_derivative={"b": a_in * sigmoid(b_in) * sigmoid(-b_in)},
            notes=(
                "F.glu(input, dim) splits input into halves a, b along dim and returns a ⊗ σ(b).",
                "Float path for ∂/∂b: a σ(b)σ(−b), since 1 − σ(b) cancels for large b.",
            ),
            references=("PyTorch F.glu", "Dauphin et al. 2017"),
            torch="F.glu",
            jax="jax.nn.glu",
        ),
        # ------------------------------------------------------------------ classics without a PyTorch functional
        Rule(
            id="identity",
            title="Identity (linear)",
            family="activation",
            inputs=(IN,),
            function=x,
            derivative=sp.Integer(1),
            notes=("The output layer of a regression network; nn.Identity in PyTorch.",),
            references=("Wikipedia, Activation function",),
            jax="jax.nn.identity",
        ),
        Rule(
            id="binary_step",
            title="Binary step",
            family="activation",
            inputs=(IN,),
            function=sp.Piecewise((1, x >= 0), (0, True)),
            derivative=sp.Integer(0),
            kinks=(
                Kink(
                    at=0,
                    left=0,
                    right=0,
                    torch=0,
                    jump=True,
                    note="the convention 0, as for PyTorch's other jumps (torch.heaviside has no derivative at all)",
                ),
            ),
            notes=(
                "Derivative 0 wherever it exists: useless for gradient descent (hence the perceptron rule).",
                "torch.heaviside(x, 1) is this function, but PyTorch implements no derivative for it.",
            ),
            references=("Wikipedia, Activation function", "Rosenblatt 1958"),
        ),
        Rule(
            id="gaussian",
            title="Gaussian",
            family="activation",
            inputs=(IN,),
            function=sp.exp(-(x**2)),
            derivative=-2 * x * sp.exp(-(x**2)),
            notes=("Radial-basis activation; inflection points (steepest slope) at x = ±1/√2.",),
            identities=(
                Identity(
                    sp.Subs(sp.Derivative(sp.exp(-(x**2)), (x, 2)), x, 1 / sp.sqrt(2)), 0, note="inflection at 1/√2"
                ),
            ),
            references=("Wikipedia, Activation function",),
        ),
        Rule(
            id="sinusoid",
            title="Sinusoid",
            family="activation",
            inputs=(IN,),
            function=sp.sin(x),
            derivative=sp.cos(x),
            notes=("Periodic and zero-centred; SIREN networks use sin(ω₀x).",),
            references=("Wikipedia, Activation function", "Sitzmann et al. 2020 (SIREN)"),
        ),
        Rule(
            id="sinc_unnormalized",
            title="Sinc (unnormalized)",
            family="activation",
            inputs=(IN,),
            function=sp.Piecewise((sp.sin(x) / x, sp.Ne(x, 0)), (1, True)),
            derivative=sp.Piecewise(((x * sp.cos(x) - sp.sin(x)) / x**2, sp.Ne(x, 0)), (0, True)),
            stable_derivative=sp.Piecewise((sinc_slope(x), sp.Ne(x, 0)), (0, True)),
            notes=(
                "Unnormalized sin(x)/x, not a PyTorch function (this was the id sinc; sinc is now PyTorch's normalized"
                " sin(πx)/(πx)). The singularity at 0 is removable: value 1, slope 0.",
                "Float path for the slope: a Taylor polynomial (−x/3 + x³/30 − …) for |x| < 1/2, where x cos x − sin x cancels.",
            ),
            references=("Wikipedia, Activation function", "PyTorch torch.sinc (normalized)"),
        ),
        Rule(
            id="bent_identity",
            title="Bent identity",
            family="activation",
            inputs=(IN,),
            function=(sp.sqrt(x**2 + 1) - 1) / 2 + x,
            derivative=x / (2 * sp.sqrt(x**2 + 1)) + 1,
            stable=x**2 / (2 * (sp.sqrt(x**2 + 1) + 1)) + x,
            notes=("Float path: √(x² + 1) − 1 = x²/(√(x² + 1) + 1), which does not cancel near 0.",),
            references=("Wikipedia, Activation function",),
        ),
        Rule(
            id="isru",
            title="Inverse square root unit (ISRU)",
            family="activation",
            inputs=(IN,),
            params=(Param("alpha", 1, alpha_pos, POSITIVE, samples=(3,), doc="α: larger α saturates sooner"),),
            function=x / sp.sqrt(1 + alpha_pos * x**2),
            derivative=(1 / sp.sqrt(1 + alpha_pos * x**2)) ** 3,
            notes=("A cheap tanh-like squashing function; its derivative is the cube of x ↦ 1/√(1 + αx²).",),
            references=("Carlile et al. 2017",),
        ),
        Rule(
            id="isrlu",
            title="Inverse square root linear unit (ISRLU)",
            family="activation",
            inputs=(IN,),
            params=(
                Param("alpha", 1, alpha_pos, POSITIVE, samples=(3,), doc="α: larger α saturates sooner for x < 0"),
            ),
            function=sp.Piecewise((x, x >= 0), (x / sp.sqrt(1 + alpha_pos * x**2), True)),
            derivative=sp.Piecewise((1, x >= 0), ((1 / sp.sqrt(1 + alpha_pos * x**2)) ** 3, True)),
            identities=(
                Identity(
                    sp.Subs(sp.Derivative(x / sp.sqrt(1 + alpha_pos * x**2), x), x, 0),
                    1,
                    note="slope 1 at 0 from the left too",
                ),
            ),
            notes=("An ELU-like unit without exp; slope 1 at 0 from both sides (continuously differentiable).",),
            references=("Carlile et al. 2017",),
        ),
    )
