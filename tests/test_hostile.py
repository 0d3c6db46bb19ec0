"""Hostile and careless values through every public entry point of the Python API.

A parameter, an input, ``dps``, ``wrt``, a domain or a rule field that comes from outside is read as a
number (or as text by the package's own grammar), never by ``sympify``/``eval``: code in a string never
runs, a huge power is refused rather than computed, and no conversion hook of a foreign object
(``__float__``, ``__index__``, ``_sympy_``, ``__str__``, ``__array__``, ...) is ever called. Each refusal is
a ``TypeError`` or ``ValueError`` that names where the value went.
"""

from __future__ import annotations

import decimal
import fractions
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp

import cheatsheet
from cheatsheet.checking.claim import check
from cheatsheet.checking.problems import CustomRuleError
from cheatsheet.checking.rulefile import load_rule_file
from cheatsheet.evaluate.expand import param_values
from cheatsheet.grammar.errors import InputError
from cheatsheet.grammar.numbers import exact_number
from cheatsheet.rule import Input, Rule, RuleError

#: Files an exploit would create are made in this folder (set per test).
MARKER: list[Path] = []
#: Every conversion hook of a hostile object that ran.
CALLS: list[str] = []


def _payload() -> str:
    return f"__import__('os').system('touch {MARKER[0]}') or 2"


EXPLOITS = [
    "__import__('os').system('touch {p}') or 2",
    "(lambda: __import__('os').system('touch {p}'))() or 2",
    "getattr(getattr(__import__('os'), 'system'), '__call__')('touch {p}') or 2",
    "().__class__.__bases__[0].__subclasses__()",
    "exec(\"open('{p}', 'w')\") or 2",
    "eval('2')",
    "open('{p}', 'w') and 2",
    "os.system('touch {p}')",
    "Integer(2)",  # sympify reads it; the grammar has no such function
    "Symbol('x')",
    "9**9**9",  # a power with 370 million digits: refused by the grammar's limits, never computed
    "10^10^10",
    "1e999999",
    "2\x00",
    "",
]


class Evil:
    """Every hook numpy, sympy, mpmath or Python might call to turn an object into a number records itself."""

    def _record(self, name: str) -> Any:
        CALLS.append(name)
        if MARKER:
            MARKER[0].touch()
        return 2

    def __float__(self) -> float:
        return float(self._record("__float__"))

    def __int__(self) -> int:
        return int(self._record("__int__"))

    def __index__(self) -> int:
        return int(self._record("__index__"))

    def __complex__(self) -> complex:
        return complex(self._record("__complex__"))

    def __str__(self) -> str:
        self._record("__str__")
        return _payload()

    def __repr__(self) -> str:
        self._record("__repr__")
        return _payload()

    def __format__(self, spec: str) -> str:
        self._record("__format__")
        return _payload()

    def __bool__(self) -> bool:
        self._record("__bool__")
        return True

    def __len__(self) -> int:
        return int(self._record("__len__"))

    def __iter__(self) -> Iterator[Any]:
        self._record("__iter__")
        return iter([2.0])

    def __getitem__(self, key: Any) -> Any:
        return self._record("__getitem__")

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        self._record("__array__")
        return np.array(2.0)

    def _sympy_(self) -> Any:
        self._record("_sympy_")
        return sp.Integer(2)

    def _mpmath_(self, prec: int, rounding: str) -> Any:
        self._record("_mpmath_")
        return mpmath.mpf(2)


class EvilInt(int):
    """An int whose own conversions run code: read through int's, they never do."""

    def __int__(self) -> int:
        CALLS.append("EvilInt.__int__")
        return 2

    def __index__(self) -> int:
        CALLS.append("EvilInt.__index__")
        return 2

    def __float__(self) -> float:
        CALLS.append("EvilInt.__float__")
        return 2.0

    def __repr__(self) -> str:
        CALLS.append("EvilInt.__repr__")
        return _payload()

    __str__ = __repr__


class EvilFloat(float):
    def __float__(self) -> float:
        CALLS.append("EvilFloat.__float__")
        return 2.0

    def __repr__(self) -> str:
        CALLS.append("EvilFloat.__repr__")
        return _payload()

    __str__ = __repr__


class EvilFraction(fractions.Fraction):
    def __float__(self) -> float:
        CALLS.append("EvilFraction.__float__")
        return 2.0

    def __str__(self) -> str:
        CALLS.append("EvilFraction.__str__")
        return _payload()


class Disguised:
    """Claims to be a float through ``__class__`` (isinstance believes it); only its type tells the truth."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        CALLS.append("Disguised.__class__")
        return float

    def __float__(self) -> float:
        CALLS.append("Disguised.__float__")
        return 2.0


class EvilExpr(sp.Expr):  # type: ignore[misc]
    """A sympy expression class defined outside sympy: its methods are not sympy's."""

    is_number = True
    is_real = True

    def _eval_evalf(self, prec: int) -> Any:
        CALLS.append("EvilExpr._eval_evalf")
        return sp.Float(2)

    def __float__(self) -> float:
        CALLS.append("EvilExpr.__float__")
        return 2.0

    def _sympystr(self, printer: Any) -> str:
        CALLS.append("EvilExpr._sympystr")
        return _payload()


def _numbers() -> list[Any]:
    """Numbers of subclasses whose own conversions would record themselves: accepted, read through the base class."""
    return [EvilInt(3), EvilFloat(0.5), EvilFraction(1, 3)]


def _objects() -> list[Any]:
    """Values that are not numbers: refused, and none of their methods is called."""
    return [
        Evil(),
        Disguised(),
        EvilExpr(),
        sp.Add(EvilExpr(), 1, evaluate=False),
        None,
        b"2",
        bytearray(b"2"),
        [2.0],
        (2.0,),
        {2.0},
        {"a": 2},
        1j,
        np.complex128(1),
        True,
        np.True_,
        np.array([1.0, 2.0]),
        np.array(["2"]),
        np.array(2.0, dtype=object),
        sp.Symbol("x"),
        sp.I,
        sp.oo,
        sp.nan,
        sp.Function("f")(1),
        sp.Eq(sp.Symbol("x"), 1),
        float("nan"),
        float("inf"),
        decimal.Decimal("nan"),
        decimal.Decimal("1e999999999"),
        10**400,
        mpmath.mpf("inf"),
        mpmath.mpc(1, 1),
        object(),
        print,
        Evil,
    ]


@pytest.fixture(autouse=True)
def _marker(tmp_path: Path) -> Iterator[Path]:
    """A file no exploit may create, and no hook that ran; both checked after every test."""
    target = tmp_path / "pwned"
    MARKER[:] = [target]
    CALLS.clear()
    yield target
    assert CALLS == [], f"a hook of a hostile object ran: {CALLS}"
    assert not target.exists(), "an exploit created its file"
    MARKER.clear()


def _texts() -> list[str]:
    return [t.format(p=MARKER[0]) for t in EXPLOITS]


# ------------------------------------------------------------------------------------------------ parameters
def _parameter_calls(value: Any) -> list[Callable[[], Any]]:
    softplus, leaky = cheatsheet.get("softplus"), cheatsheet.get("leaky_relu")
    f, df = softplus.to_numpy()
    return [
        lambda: f(1.0, beta=value),
        lambda: softplus.evaluate(1.0, beta=value),
        lambda: softplus.derivative_at(1.0, beta=value),
        lambda: softplus.derivative_at(1.0, beta=value, exact=True, dps=20),
        lambda: softplus.evaluate(1.0, threshold=value, exact=True),
        lambda: leaky.derivative_at(-0.5, negative_slope=value),
        lambda: leaky.derivative_at(-0.5, negative_slope=value, exact=True),
        lambda: cheatsheet.get("mse_loss").evaluate([1.0], [2.0], reduction=value),
        lambda: df(np.array([1.0, 2.0]), beta=value),
        lambda: param_values(softplus, {"beta": value}),
    ]


def test_the_issues_exploit_does_not_run(_marker: Path) -> None:
    """The issue's line: softplus's beta given as code raised nothing and created the file."""
    with pytest.raises(ValueError, match="softplus: parameter beta, column 1"):
        cheatsheet.get("softplus").derivative_at(1.0, beta=f"__import__('os').system('touch {_marker}') or 2")
    with pytest.raises(ValueError, match="leaky_relu: parameter negative_slope"):
        cheatsheet.get("leaky_relu").derivative_at(
            1.0, negative_slope=f"__import__('os').system('touch {_marker}') or 2", exact=True
        )


@pytest.mark.parametrize("index", range(len(EXPLOITS)), ids=[repr(t[:24]) for t in EXPLOITS])
def test_code_in_a_parameter_never_runs(index: int) -> None:
    text = _texts()[index]
    for call in _parameter_calls(text):
        with pytest.raises((TypeError, ValueError)):
            call()


@pytest.mark.parametrize("index", range(len(_objects())), ids=[type(v).__name__ for v in _objects()])
def test_foreign_objects_as_parameters_are_refused_untouched(index: int) -> None:
    value = _objects()[index]
    for call in _parameter_calls(value):
        with pytest.raises((TypeError, ValueError)) as info:
            call()
        assert any(name in str(info.value) for name in ("beta", "threshold", "negative_slope", "reduction")), info.value


def test_parameter_errors_say_what_is_expected() -> None:
    sp_ = cheatsheet.get("softplus")
    with pytest.raises(TypeError, match=r"softplus: parameter beta: expected a number, got None; give an int, float"):
        sp_.evaluate(1.0, beta=None)
    with pytest.raises(TypeError, match=r"softplus: parameter beta: expected a number, got the bool True"):
        sp_.evaluate(1.0, beta=True)
    with pytest.raises(TypeError, match=r"softplus: parameter beta: expected a number, got a value of type list"):
        sp_.evaluate(1.0, beta=[2])
    with pytest.raises(ValueError, match=r"softplus: parameter beta: expected a finite number, got nan"):
        sp_.evaluate(1.0, beta=float("nan"))
    with pytest.raises(ValueError, match=r"softplus: parameter beta: expected a finite number, got inf"):
        sp_.derivative_at(1.0, beta=np.float64("inf"), exact=True)
    with pytest.raises(
        TypeError, match=r"mse_loss: reduction must be one of \['mean', 'sum', 'none'\], got a value of type int"
    ):
        cheatsheet.get("mse_loss").evaluate([1.0], [2.0], reduction=3)
    with pytest.raises(ValueError, match="lies outside its domain"):
        sp_.evaluate(1.0, beta="-1/2")


def test_every_kind_of_number_is_a_parameter() -> None:
    """Numbers of every accepted type give the same value as the exact number they stand for."""
    sp_ = cheatsheet.get("softplus")
    want = sp_.derivative_at(1.0, beta=0.5)
    for value in (
        fractions.Fraction(1, 2),
        decimal.Decimal("0.5"),
        np.float32(0.5),
        np.float64(0.5),
        np.array(0.5),
        mpmath.mpf("0.5"),
        sp.Rational(1, 2),
        sp.Float(0.5),
        "1/2",
        "0.5",
        EvilFloat(0.5),
    ):
        assert sp_.derivative_at(1.0, beta=value) == want, value
    assert (
        sp_.derivative_at(1.0, beta=np.int64(2))
        == sp_.derivative_at(1.0, beta=2)
        == sp_.derivative_at(1.0, beta=EvilInt(2))
    )
    assert sp_.derivative_at(1.0, beta=sp.pi / 4) == pytest.approx(
        sp_.derivative_at(1.0, beta=float(sp.pi / 4)), rel=1e-15
    )
    exact = sp_.derivative_at(1.0, beta="pi/4", exact=True, dps=30)
    assert float(exact) == pytest.approx(sp_.derivative_at(1.0, beta=float(sp.pi / 4)), rel=1e-15)
    assert param_values(sp_, {"beta": 0.1})[sp_.param("beta").symbol] == sp.Rational(1, 10)  # 0.1 is 1/10


# ------------------------------------------------------------------------------------------------ inputs
def _input_calls(value: Any) -> list[Callable[[], Any]]:
    sig, soft = cheatsheet.get("sigmoid"), cheatsheet.get("softmax")
    matrix = cheatsheet.get("quadratic_form")
    f, df = sig.to_numpy()
    return [
        lambda: sig.evaluate(value),
        lambda: sig.derivative_at(value),
        lambda: sig.derivative_at(input=value, exact=True, dps=20),
        lambda: f(value),
        lambda: df(value),
        lambda: soft.derivative_at([1.0, value]),
        lambda: soft.evaluate(_object_array(1.0, value), exact=True),
        lambda: cheatsheet.get("cross_entropy").evaluate([1.0, 2.0], value),
        lambda: matrix.evaluate(x=[[1.0], [value]], A=np.eye(2)),
    ]


def _object_array(*items: Any) -> Any:
    """An object array holding ``items`` as they are (np.array would call their sequence hooks)."""
    out = np.empty(len(items), dtype=object)
    for k, item in enumerate(items):
        out[k] = item
    return out


def _bad_inputs() -> list[Any]:
    """Not numbers, nor arrays of numbers (nan and inf are float64 inputs, a list is an array)."""
    numbers = (float, list, tuple, np.ndarray, mpmath.mpf)  # inf and nan are float64 inputs, a list an array
    return [v for v in _objects() if type(v) not in numbers] + [np.array([1.0, 2.0]).astype(str)]


@pytest.mark.parametrize("index", range(len(_bad_inputs())), ids=[type(v).__name__ for v in _bad_inputs()])
def test_foreign_objects_as_inputs_are_refused_untouched(index: int) -> None:
    value = _bad_inputs()[index]
    for call in _input_calls(value):
        with pytest.raises((TypeError, ValueError)):
            call()


def test_number_subclasses_are_read_through_their_base_class() -> None:
    """An int or float subclass is a number; its own (overridden) conversions never run."""
    sig = cheatsheet.get("sigmoid")
    assert sig.evaluate(EvilFloat(0.5)) == sig.evaluate(0.5)
    assert sig.derivative_at([EvilInt(1), EvilFloat(0.5)]).tolist() == sig.derivative_at([1, 0.5]).tolist()
    assert sig.evaluate(EvilInt(2), exact=True, dps=20) == sig.evaluate(2, exact=True, dps=20)
    assert cheatsheet.get("softplus").evaluate(1.0, beta=EvilFraction(1, 3)) == cheatsheet.get("softplus").evaluate(
        1.0, beta="1/3"
    )


@pytest.mark.parametrize("index", range(len(EXPLOITS)), ids=[repr(t[:24]) for t in EXPLOITS])
def test_code_as_an_input_never_runs(index: int) -> None:
    text = _texts()[index]
    for call in _input_calls(text):
        with pytest.raises((TypeError, ValueError)):
            call()


def test_none_and_text_inputs_are_type_errors_naming_the_input() -> None:
    """evaluate(None) returned nan; text in float64 was read by numpy."""
    sig = cheatsheet.get("sigmoid")
    with pytest.raises(TypeError, match="sigmoid: input 'input': expected a number or an array of numbers"):
        sig.evaluate(None)
    with pytest.raises(TypeError, match=r"sigmoid: input 'input': .*got None"):
        sig.derivative_at([1.0, None])
    with pytest.raises(TypeError, match="read only with exact=True"):
        sig.evaluate("1.5")
    with pytest.raises(TypeError, match="mse_loss: input 'target'"):
        cheatsheet.get("mse_loss").evaluate(1.0, object())
    with pytest.raises(ValueError, match="rows have different shapes"):
        cheatsheet.get("softmax").evaluate([[1.0, 2.0], [3.0]])
    # with exact=True, text is read by the grammar: exact decimals and fractions, nothing else
    assert sig.evaluate("1/2", exact=True, dps=30) == sig.evaluate(0.5, exact=True, dps=30)
    assert sig.evaluate([0, "0.1"], exact=True, dps=30)[1] == sig.evaluate(decimal.Decimal("0.1"), exact=True, dps=30)


# ------------------------------------------------------------------------------------------------ dps, exact, wrt
def test_dps_exact_and_wrt_of_a_wrong_type_are_refused_untouched() -> None:
    sig = cheatsheet.get("sigmoid")
    value: Any
    for value in (Evil(), EvilFloat(20.0), Disguised(), "20", 20.0, None, True, np.float64(20)):
        with pytest.raises(TypeError, match="dps must be an int"):
            sig.derivative_at(1.0, exact=True, dps=value)
    for value in (Evil(), "yes", 1, None):
        with pytest.raises(TypeError, match="exact must be True or False"):
            sig.evaluate(1.0, exact=value)
    for value in (Evil(), 0, b"input", ["input"]):
        with pytest.raises(TypeError, match="wrt must be an input name"):
            sig.derivative_at(1.0, wrt=value)


# ------------------------------------------------------------------------------------------------ check
def test_check_refuses_hostile_parameters_domains_and_wrt() -> None:
    def calls(v: Any, whole: bool) -> list[Callable[[], Any]]:
        out: list[Callable[[], Any]] = [
            lambda: check("a*x", "a", a=v),
            lambda: check("a*x", "a", params={"a": v}),
            lambda: check("log(x)", "1/x", domain={"x": v}),
        ]
        if whole:  # None (the default) and a mapping are valid values of wrt, domain and params themselves
            out += [
                lambda: check("x^2", "2*x", wrt=v),
                lambda: check("x^2", "2*x", domain=v),
                lambda: check("x^2", "2*x", params=v),
            ]
        return out

    def text_calls(t: str) -> list[Callable[[], Any]]:
        return [*calls(t, False), lambda: check("x^2", "2*x", wrt=t), lambda: check("log(x)", "1/x", domain=f"x={t}")]

    call: Callable[[], Any]
    for text in _texts():
        for call in text_calls(text):
            with pytest.raises(InputError):
                call()
    for value in _objects():
        for call in calls(value, whole=type(value) is not dict and value is not None):
            with pytest.raises((TypeError, ValueError)):
                call()


def test_check_parameter_hooks_never_run() -> None:
    """An int subclass given as a parameter is read through int's own methods (its __index__ ran before)."""
    r = check("a*x", "a", a=EvilInt(3), prove=False)
    assert r.holds and r.params == {"a": "3"}


# ------------------------------------------------------------------------------------------------ look-up, rules
def test_lookup_with_hostile_ids() -> None:
    for text in _texts():
        with pytest.raises(KeyError):
            cheatsheet.get(text)
        with pytest.raises(ValueError):
            cheatsheet.rules(text)
    value: Any
    for value in (None, 3, Evil(), b"sigmoid", ["sigmoid"]):
        with pytest.raises(TypeError, match="get: expected a rule id as text"):
            cheatsheet.get(value)
        if value is not None:  # rules(None) is every rule
            with pytest.raises(TypeError, match="rules: expected a family id as text"):
                cheatsheet.rules(value)


def test_a_rule_refuses_text_where_an_expression_belongs() -> None:
    """Rule fields are sympy objects: text there reached sympify during validation (and ran)."""
    x = sp.Symbol("x", real=True)
    for field in ("function", "derivative", "stable"):
        kwargs: dict[str, Any] = {"function": x**2, "derivative": {"input": 2 * x}}
        kwargs[field] = {"input": _payload()} if field == "derivative" else _payload()
        with pytest.raises(RuleError, match="must be a sympy expression"):
            Rule(id="t", title="T", family="custom", inputs=(Input("input", x),), **kwargs)


def test_a_rule_file_with_code_as_a_number_is_refused(tmp_path: Path) -> None:
    """TOML numbers (defaults, samples, kinks) go through the grammar: an error, never run."""
    payload = _payload()
    for table in (
        f'default = "{payload}"',
        f'default = 1\nsamples = ["{payload}"]',
        'default = 1\ndomain = "__import__"',
    ):
        path = tmp_path / "r.toml"
        path.write_text(
            '[[rule]]\nid = "scaled"\nfunction = "beta*x"\nderivative = "beta"\n'
            f'[[rule.params]]\nname = "beta"\n{table}\n',
            encoding="utf-8",
        )
        with pytest.raises(CustomRuleError):
            load_rule_file(path)


def test_exact_number_is_the_one_reader() -> None:
    """The shared reader gives the exact number or refuses, naming where."""
    assert exact_number(0.1, "w") == sp.Rational(1, 10)
    assert exact_number(np.float32(0.1), "w") == sp.Rational(1, 10)
    assert exact_number(decimal.Decimal("2.50"), "w") == sp.Rational(5, 2)
    assert exact_number(sp.sqrt(2) / 2, "w") == sp.sqrt(2) / 2
    for value in _objects():
        with pytest.raises((TypeError, ValueError), match=r"^w"):
            exact_number(value, "w")
