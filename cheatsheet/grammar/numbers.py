"""The package's one reader of numbers that come from outside: an API argument, an option, a file.

:func:`exact_number` turns a number of any common type, or text in the grammar, into an exact sympy
number, without ever calling a method of the value (an overridden ``__float__``, ``__index__``,
``__repr__`` or ``_sympy_`` never runs) and without ``sympify``. Each accepted type has its own reader,
found from the value's type.
"""

from __future__ import annotations

import decimal
import fractions
import math
from collections.abc import Callable
from typing import Any, cast

import sympy as sp

from cheatsheet.grammar.errors import LIMITS, InputError, InputTypeError, ParseError
from cheatsheet.grammar.lower import short
from cheatsheet.grammar.parse import parse_constant

__all__ = ["NUMBER_TYPES", "exact_number", "module_of", "type_name"]

#: What :func:`exact_number` accepts, for its error messages.
NUMBER_TYPES = "an int, float, Fraction, Decimal, numpy or sympy real number, or text such as '1/3' or 'pi/4'"

_MAX_BITS = 4096  # numerator and denominator of an exact number (about 1233 digits): no enormous integers
_FLOAT_MAX = sp.Integer(2) ** 1024  # the float range, as for the grammar's constants
_TOO_LARGE = "expected a number within the float range (about 1.8e308)"


def exact_number(value: object, where: str) -> sp.Expr:
    """An exact real number from a value that came from outside: an API argument, an option, a file.

    Accepted: ``int``; ``float`` (its shortest decimal: 0.1 is 1/10); ``fractions.Fraction``;
    ``decimal.Decimal``; numpy integer and floating scalars and 0-d arrays of them; mpmath ``mpf``; sympy
    integers, rationals, floats and exact real constants such as ``pi/4`` or ``sqrt(2)``; and text read
    by :func:`~cheatsheet.grammar.parse.parse_constant` (our grammar, never ``sympify``). Anything else (bool,
    None, bytes, lists, other objects) is an :class:`InputTypeError` (a ``TypeError``); nan and ±inf, complex
    values and numbers beyond the float range are an :class:`InputError` (a ``ValueError``); text outside the
    grammar is a :class:`ParseError`. ``where`` starts every message (``"softplus: parameter beta"``, ``"--param a"``).

    No method of an object of another type is ever called: types are tested on ``type(value)``, and a
    subclass of ``int`` or ``float`` is read through the base class, so an overridden ``__float__``,
    ``__index__``, ``__repr__`` or ``_sympy_`` never runs.
    """
    import numpy as np

    kind = type(value)
    if issubclass(kind, (bool, np.bool_)):
        raise InputTypeError(
            f"{where}: expected a number, got the bool {bool.__repr__(bool(value))}; give {NUMBER_TYPES}"
        )
    if kind is np.ndarray:  # a 0-d array of a numeric dtype holds one number
        value = _array_item(cast(Any, value), where)
        kind = type(value)
    reader = _reader_for(kind)
    if reader is None:
        raise InputTypeError(f"{where}: expected a number, got {type_name(value)}; give {NUMBER_TYPES}")
    return reader(value, where)


def type_name(value: object) -> str:
    """'None' or 'a value of type list' for a message, from the type alone (no method of the value runs)."""
    if value is None:
        return "None"
    kind = type(value)
    module = module_of(kind)
    qualname = type.__dict__["__qualname__"].__get__(kind, type)  # type's own getter, as in module_of
    name = qualname if module in ("builtins", "") else f"{module}.{qualname}"
    return f"a value of type {name}"


def module_of(kind: type) -> str:
    """The module that defines ``kind`` ('' for a class made at run time, such as sympy's Function('f'))."""
    module = type.__dict__["__module__"].__get__(kind, type)  # type's own getter: a metaclass cannot override it
    return module if isinstance(module, str) else ""


# ------------------------------------------------------------------ one reader per type
_Reader = Callable[[Any, str], sp.Expr]


def _reader_for(kind: type) -> _Reader | None:
    """The reader of values of type ``kind`` (tested on the type, in this order: a subclass of int is an int)."""
    import mpmath
    import numpy as np

    if issubclass(kind, int):
        return _from_int
    if issubclass(kind, float):
        return _from_float
    if module_of(kind) == "numpy" and issubclass(kind, (np.integer, np.floating)):
        return _from_numpy
    if issubclass(kind, fractions.Fraction):
        return _from_fraction
    if issubclass(kind, decimal.Decimal):
        return _from_decimal
    if kind is mpmath.mpf:
        return _from_mpf
    if issubclass(kind, sp.Basic) and module_of(kind).startswith("sympy."):
        return _from_sympy
    if issubclass(kind, str):
        return _from_text
    return None


def _rational(p: int, q: int, where: str, shown: str) -> sp.Rational:
    if p.bit_length() > _MAX_BITS or q.bit_length() > _MAX_BITS:
        raise InputError(
            f"{where}: {shown} has more than {_MAX_BITS} bits in its numerator or denominator; "
            "expected a number of float range and a few hundred digits at most"
        )
    value = sp.Rational(p, q)
    if abs(value) >= _FLOAT_MAX:
        raise InputError(f"{where}: {shown} is too large; {_TOO_LARGE}")
    return value


def _array_item(arr: Any, where: str) -> Any:
    """The number a 0-d numpy array of a numeric dtype holds."""
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise InputTypeError(
            f"{where}: expected one number, got an array of shape {arr.shape} and dtype {arr.dtype}; "
            f"give {NUMBER_TYPES}"
        )
    return arr[()]


def _from_int(value: Any, where: str) -> sp.Expr:
    return _rational(int.__int__(value), 1, where, "the integer")


def _from_float(value: Any, where: str) -> sp.Expr:
    v = float.__float__(value)
    if not math.isfinite(v):
        raise InputError(f"{where}: expected a finite number, got {v!r}")
    return sp.Rational(float.__repr__(v))  # 0.1 is 1/10: the shortest decimal that reads back as this float


def _from_numpy(value: Any, where: str) -> sp.Expr:
    import numpy as np

    if isinstance(value, np.integer):
        return _rational(int(value), 1, where, "the integer")
    if not np.isfinite(value):
        raise InputError(f"{where}: expected a finite number, got {value!r}")
    # float32 0.1 is 1/10 as for floats: numpy's shortest decimal that reads back as this value
    exact = sp.Rational(np.format_float_positional(value, unique=True, trim="0"))
    return _rational(int(exact.p), int(exact.q), where, "the number")


def _from_fraction(value: Any, where: str) -> sp.Expr:
    p, q = fractions.Fraction.numerator.fget(value), fractions.Fraction.denominator.fget(value)  # type: ignore[attr-defined]
    if type(p) is not int or type(q) is not int:
        raise InputTypeError(f"{where}: a Fraction whose parts are not integers; give {NUMBER_TYPES}")
    return _rational(p, q, where, "the fraction")


def _from_decimal(d: decimal.Decimal, where: str) -> sp.Expr:
    if not decimal.Decimal.is_finite(d):
        raise InputError(f"{where}: expected a finite number, got Decimal({decimal.Decimal.__str__(d)!r})")
    if not -1300 <= decimal.Decimal.adjusted(d) <= 308 or len(decimal.Decimal.as_tuple(d).digits) > 1000:
        raise InputError(
            f"{where}: the Decimal is out of range; expected a number within the float range with at most 1000 digits"
        )
    p, q = decimal.Decimal.as_integer_ratio(d)
    return _rational(p, q, where, "the Decimal")


def _from_mpf(value: Any, where: str) -> sp.Expr:
    import mpmath

    if not mpmath.isfinite(value):
        raise InputError(f"{where}: expected a finite number, got {value}")
    man, exp = value.man_exp
    if man == 0:
        return sp.Integer(0)
    if exp > 1024 or exp < -_MAX_BITS:
        raise InputError(f"{where}: the mpf is out of range; expected a number within the float range")
    return _rational(man * 2**exp, 1, where, "the mpf") if exp >= 0 else _rational(man, 2**-exp, where, "the mpf")


def _sympy_only(value: sp.Basic) -> bool:
    """True when every node of ``value`` is one of sympy's own classes (none defined elsewhere, whose
    methods could run anything) and there are at most as many as the grammar allows. Checked first:
    even comparing or printing ``value`` would call the methods of its nodes."""
    for count, node in enumerate(sp.preorder_traversal(value)):
        if count > LIMITS.nodes or not module_of(type(node)).startswith("sympy."):
            return False
    return True


def _from_sympy(value: sp.Basic, where: str) -> sp.Expr:
    kind = type(value)
    if not _sympy_only(value):
        raise InputTypeError(
            f"{where}: expected a number, got a sympy {kind.__name__} with parts defined outside sympy "
            f"(or over {LIMITS.nodes} parts); give {NUMBER_TYPES}"
        )
    if value in (sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise InputError(f"{where}: expected a finite number, got {value}")
    if isinstance(value, sp.Rational):
        return _rational(int(value.p), int(value.q), where, "the number")
    if isinstance(value, sp.Float):
        if not value.is_finite:
            raise InputError(f"{where}: expected a finite number, got {value}")
        if abs(value) >= _FLOAT_MAX:
            raise InputError(f"{where}: {short(value)} is too large; {_TOO_LARGE}")
        return value
    if not isinstance(value, sp.Expr) or value.free_symbols:
        raise InputTypeError(
            f"{where}: expected a number, got the sympy {kind.__name__} {short(value)}; give {NUMBER_TYPES}"
        )
    return _sympy_constant(value, where)


def _sympy_constant(value: sp.Expr, where: str) -> sp.Expr:
    """An exact constant such as pi/4, printed and read back by the grammar under its limits (sympy's own
    printer on sympy's own classes; a value the grammar cannot read is refused)."""
    try:
        text = sp.sstr(value)
    except ValueError:  # an integer too long to print
        raise InputError(f"{where}: the sympy number is too large; expected a number within the float range") from None
    try:
        return parse_constant(text)
    except ParseError as exc:
        raise InputError(
            f"{where}: {short(text)} is not a real number the grammar can read ({exc.message}); give {NUMBER_TYPES}"
        ) from None


def _from_text(value: Any, where: str) -> sp.Expr:
    try:
        number = parse_constant(str.__str__(value))  # a plain copy of a subclass
    except ParseError as exc:
        exc.source = where
        raise
    if isinstance(number, sp.Rational):
        return _rational(int(number.p), int(number.q), where, "the number")
    return number
