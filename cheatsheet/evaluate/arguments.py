"""What a caller passes to a rule's executable table, checked and bound like a Python call.

These values come from outside, so only numbers pass: inputs are numbers or array-likes of numbers (numeric
numpy arrays, nested lists; with ``exact=True`` also text in the safe grammar such as ``'1/3'``); no method of
another object runs. Parameters are read by :func:`cheatsheet.grammar.numbers.exact_number` (numbers, or text in
the grammar), never by ``sympify``, and must lie in their domains. Inputs bind positionally in the rule's
declared order or by name; parameters by PyTorch's names, with PyTorch's defaults.
"""

from __future__ import annotations

import decimal
import fractions
from typing import TYPE_CHECKING, Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.grammar.numbers import exact_number, module_of, type_name
from cheatsheet.names import did_you_mean

if TYPE_CHECKING:
    from cheatsheet.rule import Input, Param, Rule

__all__ = ["MAX_DPS", "bind", "check_dps", "check_exact", "derivative_wrt"]

#: The most digits ``exact=True`` returns (``dps``); the working precision may go beyond it.
MAX_DPS = 1000


def check_dps(rule: Rule, dps: Any) -> int:
    """``dps`` as an int in 1..MAX_DPS: 0 or -5 gave wrong values and 10**6 ran for minutes."""
    kind = type(dps)
    numpy_int = issubclass(kind, np.integer) and module_of(kind) == "numpy"
    if issubclass(kind, (bool, np.bool_)) or not (issubclass(kind, int) or numpy_int):
        raise TypeError(
            f"{rule.id}: dps must be an int (the significant digits of an exact result), got {type_name(dps)}"
        )
    digits = int.__int__(dps) if issubclass(kind, int) else int(dps)
    if not 1 <= digits <= MAX_DPS:
        raise ValueError(f"{rule.id}: dps={digits} is out of range; expected 1 to {MAX_DPS} significant digits")
    return digits


def check_exact(rule: Rule, exact: Any) -> bool:
    """``exact`` as a bool: True or False (numpy's too), nothing merely truthy."""
    if not issubclass(type(exact), (bool, np.bool_)):
        raise TypeError(f"{rule.id}: exact must be True or False, got {type_name(exact)}")
    return bool(exact)


def _input_scalar(where: str, value: Any, exact: bool) -> Any:
    """One number of an input: a float or int (float64), or with ``exact`` an int, a float, an mpf or a sympy
    number. Only numbers pass; no method of another object runs (see :func:`cheatsheet.grammar.numbers.exact_number`)."""
    kind = type(value)
    if issubclass(kind, (bool, np.bool_)):
        raise TypeError(f"{where}: expected a number, got the bool {bool(value)}")
    if issubclass(kind, int):
        number = int.__int__(value)
        if exact:
            return exact_number(number, where)
        if number.bit_length() > 1024:
            raise ValueError(f"{where}: an integer of {number.bit_length()} bits is beyond float64's range")
        return number
    if issubclass(kind, float):
        return float.__float__(value)  # inf and nan pass, as in numpy
    if module_of(kind) == "numpy" and issubclass(kind, (np.integer, np.floating)):
        if issubclass(kind, np.integer):
            return _input_scalar(where, int(value), exact)
        if not exact or kind in (np.float64, np.float32, np.float16):
            return float(value)  # exactly the same number (a longdouble in float64 rounds)
        return exact_number(value, where)
    if kind is mpmath.mpf:
        return value if exact else float(value)
    if issubclass(kind, (fractions.Fraction, decimal.Decimal, sp.Basic)):
        number = exact_number(value, where)
        return number if exact else float(number)
    if issubclass(kind, str):
        if exact:
            return exact_number(value, where)  # read by the grammar: '1/3' or '0.1' is exact
        raise TypeError(
            f"{where}: expected a number or an array of numbers, got the text {str.__str__(value)[:40]!r}; "
            "text such as '1/3' is read only with exact=True"
        )
    raise TypeError(
        f"{where}: expected a number or an array of numbers (a numpy array or a list), got {type_name(value)}"
    )


def _collect(where: str, value: Any, exact: bool, depth: int, flat: list[Any]) -> tuple[int, ...]:
    """Append the numbers of a nested list/tuple to ``flat``; return its shape (rows of equal length only)."""
    if type(value) in (list, tuple):
        if depth > 32:
            raise ValueError(f"{where}: nested more than 32 deep")
        shapes = {_collect(where, item, exact, depth + 1, flat) for item in value}
        if len(shapes) > 1:
            raise ValueError(f"{where}: the rows have different shapes {sorted(shapes)}; expected a rectangular array")
        return (len(value), *next(iter(shapes), ()))
    if type(value) is np.ndarray:
        arr = _input_array(where, value, exact)
        flat.extend(arr.ravel().tolist() if arr.dtype != object else list(arr.ravel()))
        return tuple(arr.shape)
    flat.append(_input_scalar(where, value, exact))
    return ()


def _input_array(where: str, value: np.ndarray, exact: bool) -> np.ndarray:
    kind = value.dtype.kind
    if kind in "iuf":
        return value
    if kind == "O":  # e.g. the mpf results of an earlier exact evaluation: each entry must be a number
        out = np.empty(value.shape, dtype=object)
        for pos, item in np.ndenumerate(value):
            out[pos] = _input_scalar(where, item, exact)
        return out if exact else out.astype(float)
    raise TypeError(f"{where}: expected an array of numbers, got dtype {value.dtype}")


def _input(rule: Rule, inp: Input, value: Any, exact: bool) -> Any:
    """An input checked to be a number or an array-like of numbers (None, text in float64, objects: TypeError).

    Scalars stay Python numbers and arrays become numpy arrays, float64 unless ``exact`` keeps the exact
    numbers (object arrays) or the input is a class index (integers).
    """
    where = f"{rule.id}: input {inp.name!r}"
    if issubclass(type(value), np.ndarray):  # a subclass (masked, matrix) counts as its data
        return _input_array(where, np.asarray(value), exact)
    if type(value) in (list, tuple):
        flat: list[Any] = []
        shape = _collect(where, value, exact, 0, flat)
        if inp.class_index:
            return np.array(flat).reshape(shape)
        if exact:
            out = np.empty(len(flat), dtype=object)
            out[:] = flat
            return out.reshape(shape)
        return np.array(flat, dtype=float).reshape(shape)
    return _input_scalar(where, value, exact)


def bind(
    rule: Rule, inputs: tuple[Any, ...], kwargs: dict[str, Any], exact: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inputs and parameters by name, defaults filled in, checked like a Python call.

    Inputs must be numbers or array-likes of numbers; a numeric parameter is read by
    :func:`cheatsheet.grammar.numbers.exact_number` (a number, or text in the safe grammar, never ``sympify``) and
    must lie in its domain; a choice parameter must be one of its choices.
    """
    names = [inp.name for inp in rule.inputs]
    pnames = [p.name for p in rule.params]
    if len(inputs) > len(names):
        raise TypeError(
            f"{rule.id}: takes {len(names)} input(s) ({', '.join(names)}) but {len(inputs)} were given; "
            f"pass parameters by keyword ({', '.join(pnames) or 'none'})"
        )
    values = dict(zip(names, inputs, strict=False))  # fewer inputs may be given positionally
    params: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in names:
            if key in values:
                raise TypeError(f"{rule.id}: input {key!r} given twice (positionally and by keyword)")
            values[key] = value
        elif key in pnames:
            params[key] = value
        else:
            raise TypeError(
                f"{rule.id}: unknown keyword {key!r}; inputs are {names}, parameters are {pnames}."
                + did_you_mean(key, names + pnames)
            )
    missing = [nm for nm in names if nm not in values]
    if missing:
        raise TypeError(f"{rule.id}: missing input(s) {missing}; the inputs are, in order, {names}")
    values = {inp.name: _input(rule, inp, values[inp.name], exact) for inp in rule.inputs}
    # the rule's own default where none is given (checked when the rule was built)
    params = {p.name: _param(rule, p, params[p.name]) if p.name in params else p.default for p in rule.params}
    return values, params


def _param(rule: Rule, p: Param, value: Any) -> Any:
    """A given parameter: one of its choices, or an exact number in its domain."""
    if p.is_choice:
        if type(value) is not str:
            raise TypeError(f"{rule.id}: {p.name} must be one of {list(p.choices)}, got {type_name(value)}")
        if value not in p.choices:
            raise ValueError(
                f"{rule.id}: {p.name}={value[:40]!r} is not one of {list(p.choices)}.{did_you_mean(value, list(p.choices))}"
            )
        return value
    number = exact_number(value, f"{rule.id}: parameter {p.name}")
    if p.domain.contains(number) is not sp.true:
        raise ValueError(f"{rule.id}: {p.name}={number} lies outside its domain {p.domain}")
    return number


def derivative_wrt(rule: Rule, wrt: str | None) -> str:
    """The input a derivative is taken w.r.t.: ``wrt`` checked to name one, or the rule's first."""
    ders = rule.derivatives
    if wrt is None:
        return next(iter(ders))
    if type(wrt) is not str:
        raise TypeError(f"{rule.id}: wrt must be an input name such as {next(iter(ders))!r}, got {type_name(wrt)}")
    if wrt not in ders:
        names = list(ders)
        raise ValueError(f"{rule.id}: no derivative w.r.t. {wrt!r}; available: {names}.{did_you_mean(wrt, names)}")
    return wrt
