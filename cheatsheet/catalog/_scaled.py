"""Notation functions for the stable forms of the scaled and logarithmic special functions in
:mod:`cheatsheet.catalog.special`: erfcx, ndtri, log_ndtr, i0e, i1e and their derivatives.

Written out, they overflow or cancel in float64 (e^{x²} erfc(x) is inf·0 at x = 30, e^{−|x|} I₀(x) is 0·inf at
1000, ln(erfc(−x/√2)/2) rounds to 0 at 30, 2x erfcx(x) − 2/√π and i1e − sign·i0e cancel for large x). Each one's
mpmath version evaluates the written-out formula with guard bits for its cancellation (mpmath's exponents do not
overflow); float64 rounds that, computed at 30 digits, to the nearest double. They appear only in stable forms,
never on the sheet. The verifier proves each stable form equal to the printed formula through ``definition`` (the
rewrite below) and evaluates it through ``_imp_``; sympy's evalf goes through the mpmath version too.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.notation import Notation, Phi, elementary, phi

__all__ = [
    "erfcx",
    "erfcx_slope",
    "i0e_pos",
    "i0e_pos_slope",
    "i1e_pos",
    "i1e_pos_slope",
    "log_ndtr",
    "log_ndtr_slope",
    "ndtri",
    "ndtri_slope",
]


def _mag(v: Any) -> int:
    """Bits in the integer part of |v| (0 for |v| < 1)."""
    return max(0, int(mpmath.mag(v))) if v != 0 else 0


def _mp_erfcx(v: Any) -> Any:
    v = mpmath.mpf(v)
    with mpmath.extraprec(2 * _mag(v) + 20):  # e^{v²}: v²'s absolute error becomes a relative one
        return +(mpmath.exp(v * v) * mpmath.erfc(v))


def _mp_erfcx_slope(v: Any) -> Any:
    v = mpmath.mpf(v)
    with mpmath.extraprec(4 * _mag(v) + 20):  # 2v erfcx(v) − 2/√π ≈ −1/(√π v²) for large v: 2 log₂|v| bits cancel
        return +(2 * v * _mp_erfcx(v) - 2 / mpmath.sqrt(mpmath.pi))


def _mp_ndtri(p: Any) -> Any:
    p = mpmath.mpf(p)
    if p <= 0 or p >= 1:
        return mpmath.ninf if p == 0 else (mpmath.inf if p == 1 else mpmath.nan)
    with mpmath.extraprec(max(0, -int(mpmath.mag(p))) + 20):  # 2p − 1 keeps p's digits when p is tiny
        return +(mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1))


def _mp_ndtri_slope(p: Any) -> Any:
    with mpmath.extraprec(20):
        z = _mp_ndtri(p)
        return +(mpmath.sqrt(2 * mpmath.pi) * mpmath.exp(z * z / 2))


def _mp_log_ndtr(v: Any) -> Any:
    v = mpmath.mpf(v)
    with mpmath.extraprec(20):
        if v > 0:  # Φ(v) = 1 − erfc(v/√2)/2: ln(1 − t) as log1p keeps t's digits
            return +mpmath.log1p(-mpmath.erfc(v / mpmath.sqrt(2)) / 2)
        return +mpmath.log(mpmath.erfc(-v / mpmath.sqrt(2)) / 2)


def _mp_log_ndtr_slope(v: Any) -> Any:
    v = mpmath.mpf(v)
    with mpmath.extraprec(20):  # φ/Φ = √(2/π)/erfcx(−v/√2): neither factor underflows
        return +(mpmath.sqrt(2 / mpmath.pi) / _mp_erfcx(-v / mpmath.sqrt(2)))


def _mp_scaled_i(order: int) -> Any:
    def f(v: Any) -> Any:
        v = mpmath.mpf(v)
        with mpmath.extraprec(_mag(v) + 20):
            return +(mpmath.exp(-v) * mpmath.besseli(order, v))

    return f


_mp_i0e = _mp_scaled_i(0)
_mp_i1e = _mp_scaled_i(1)


def _mp_i0e_slope(v: Any) -> Any:
    v = mpmath.mpf(v)
    with mpmath.extraprec(2 * _mag(v) + 20):  # e^{−v}(I₁ − I₀) ≈ −i0e/(2v) for large v: log₂(2v) bits cancel
        return +(_mp_i1e(v) - _mp_i0e(v))


def _mp_i1e_slope(v: Any) -> Any:
    v = mpmath.mpf(v)
    if v == 0:
        return mpmath.mpf(1) / 2
    with mpmath.extraprec(2 * _mag(v) + 20):  # e^{−v}(I₀ − I₁(1 + 1/v)) ≈ −i0e/(2v) for large v
        return +(_mp_i0e(v) - _mp_i1e(v) * (1 + 1 / v))


def _float64(f: Any) -> Any:
    """Float64 values of the mpmath function ``f``, computed at 30 digits and rounded (entry by entry)."""

    def one(v: float) -> float:
        with mpmath.workdps(30):
            return float(f(mpmath.mpf(float(v))))

    return np.vectorize(one, otypes=[float])


class _Scaled(Notation):
    """Base of the notation functions above: numeric values from ``mp`` (set per subclass), rewrite to ``definition``."""

    nargs = 1

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        # through the mpmath function, whose guard bits cover its cancellation; the definition's evalf does not
        # know them (ln Φ(9) through its definition lost digits to sympy's strict evalf)
        (arg,) = self.args
        if not arg.is_number:
            return None
        with mpmath.workprec(prec + 30):
            value = self.mpmath_impl(mpmath.mpf(sp.Float(arg.evalf(mpmath.libmp.prec_to_dps(prec + 30)), prec + 30)))
        return sp.Float(value, precision=prec)

    def _eval_rewrite_as_exp(self, *args: sp.Expr, **hints: Any) -> sp.Expr:
        return elementary(self.definition(*args)).rewrite(sp.exp)  # as the verifier writes Φ and φ out


class erfcx(_Scaled):
    """e^{x²} erfc(x), finite in float64 for large x (stable forms only)."""

    latex_name = r"\operatorname{erfcx}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.exp(v**2) * sp.erfc(v)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return erfcx_slope(self.args[0])

    numpy_impl = staticmethod(_float64(_mp_erfcx))
    mpmath_impl = staticmethod(_mp_erfcx)
    _imp_ = staticmethod(_mp_erfcx)


class erfcx_slope(_Scaled):
    """erfcx′(x) = 2x erfcx(x) − 2/√π without its cancellation for large x (stable forms only)."""

    latex_name = r"\operatorname{erfcx}'"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return 2 * v * sp.exp(v**2) * sp.erfc(v) - 2 / sp.sqrt(sp.pi)

    numpy_impl = staticmethod(_float64(_mp_erfcx_slope))
    mpmath_impl = staticmethod(_mp_erfcx_slope)
    _imp_ = staticmethod(_mp_erfcx_slope)


class ndtri(_Scaled):
    """Φ⁻¹(p) = √2 erfinv(2p − 1), keeping p's digits for tiny p (stable forms only)."""

    latex_name = r"\Phi^{-1}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.sqrt(2) * sp.erfinv(2 * v - 1)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return ndtri_slope(self.args[0])

    numpy_impl = staticmethod(_float64(_mp_ndtri))
    mpmath_impl = staticmethod(_mp_ndtri)
    _imp_ = staticmethod(_mp_ndtri)


class ndtri_slope(_Scaled):
    """(Φ⁻¹)′(p) = √(2π) e^{erfinv(2p − 1)²} (stable forms only)."""

    latex_name = r"(\Phi^{-1})'"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.sqrt(2 * sp.pi) * sp.exp(sp.erfinv(2 * v - 1) ** 2)

    numpy_impl = staticmethod(_float64(_mp_ndtri_slope))
    mpmath_impl = staticmethod(_mp_ndtri_slope)
    _imp_ = staticmethod(_mp_ndtri_slope)


class log_ndtr(_Scaled):
    """ln Φ(x), not rounded to 0 for large x (stable forms only)."""

    latex_name = r"\ln\Phi"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.log(Phi(v))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return log_ndtr_slope(self.args[0])

    numpy_impl = staticmethod(_float64(_mp_log_ndtr))
    mpmath_impl = staticmethod(_mp_log_ndtr)
    _imp_ = staticmethod(_mp_log_ndtr)


class log_ndtr_slope(_Scaled):
    """φ(x)/Φ(x), finite where φ and Φ underflow (stable forms only)."""

    latex_name = r"(\ln\Phi)'"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return phi(v) / Phi(v)

    numpy_impl = staticmethod(_float64(_mp_log_ndtr_slope))
    mpmath_impl = staticmethod(_mp_log_ndtr_slope)
    _imp_ = staticmethod(_mp_log_ndtr_slope)


# The scaled Bessel functions as functions of v = |x| ≥ 0, where e^{−|x|} is e^{−v} without a kink: the stable forms
# are i0e(x) = i0e₊(|x|), i1e(x) = sign(x) i1e₊(|x|) (I₀ is even, I₁ odd) and their slopes sign(x) i0e₊′(|x|),
# i1e₊′(|x|), so that |x| and sign(x) stay outside, where the verifier resolves them region by region.


class i0e_pos(_Scaled):
    """e^{−v} I₀(v), i0e on v = |x| ≥ 0 (stable forms only)."""

    latex_name = r"\operatorname{i0e}_{+}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.exp(-v) * sp.besseli(0, v)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return i0e_pos_slope(self.args[0])

    numpy_impl = staticmethod(_float64(_mp_i0e))
    mpmath_impl = staticmethod(_mp_i0e)
    _imp_ = staticmethod(_mp_i0e)


class i0e_pos_slope(_Scaled):
    """e^{−v}(I₁(v) − I₀(v)), i0e′ on v > 0, without its cancellation for large v (stable forms only)."""

    latex_name = r"\operatorname{i0e}_{+}'"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.exp(-v) * (sp.besseli(1, v) - sp.besseli(0, v))

    numpy_impl = staticmethod(_float64(_mp_i0e_slope))
    mpmath_impl = staticmethod(_mp_i0e_slope)
    _imp_ = staticmethod(_mp_i0e_slope)


class i1e_pos(_Scaled):
    """e^{−v} I₁(v), i1e on v = |x| ≥ 0 (stable forms only)."""

    latex_name = r"\operatorname{i1e}_{+}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.exp(-v) * sp.besseli(1, v)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return i1e_pos_slope(self.args[0])

    numpy_impl = staticmethod(_float64(_mp_i1e))
    mpmath_impl = staticmethod(_mp_i1e)
    _imp_ = staticmethod(_mp_i1e)


class i1e_pos_slope(_Scaled):
    """e^{−v}(I₀(v) − I₁(v)(1 + 1/v)), i1e′ on v > 0; numerically its limit 1/2 at v = 0 (stable forms only)."""

    latex_name = r"\operatorname{i1e}_{+}'"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.exp(-v) * (sp.besseli(0, v) - sp.besseli(1, v) * (1 + 1 / v))

    numpy_impl = staticmethod(_float64(_mp_i1e_slope))
    mpmath_impl = staticmethod(_mp_i1e_slope)
    _imp_ = staticmethod(_mp_i1e_slope)
