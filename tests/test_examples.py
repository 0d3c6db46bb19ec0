"""Worked examples and panels (cheatsheet.examples): backpropagation checked against finite differences and
PyTorch, gradient descent converging and diverging as stated, Newton's step, the conventions panel generated
from the catalog, every erratum refuted, valid deterministic figures, formulas that typeset.

PyTorch is an optional extra; with CHEATSHEET_REQUIRE_TORCH=1 (as `.ci/run` sets it) a missing torch fails the
PyTorch test instead of skipping it, as in tests/test_conformance.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

import cheatsheet
from cheatsheet.examples import Value, number
from cheatsheet.examples.conventions import ConventionsPanel, conventions
from cheatsheet.examples.descent import DescentExample, descent, local_rule
from cheatsheet.examples.mistakes_panel import MistakesPanel, mistakes
from cheatsheet.examples.mlp import FD_STEP, MLPExample, backprop, finite_differences, torch_agreement
from cheatsheet.sheet import Formula
from cheatsheet.verifier import errata

SVG_NS = "{http://www.w3.org/2000/svg}"
#: Central differences with step 1e-6 in float64: truncation ~h²·f‴/6 ≈ 1e-13, rounding ~ε·|ℓ|/h ≈ 1e-10.
FD_TOLERANCE = 1e-8
#: PyTorch float64 autograd does the same arithmetic in another order: a few ulps.
TORCH_TOLERANCE = 1e-14


@cache
def mlp() -> MLPExample:
    return backprop()


@cache
def gd() -> DescentExample:
    return descent()


@cache
def panel() -> ConventionsPanel:
    return conventions()


@cache
def errors() -> MistakesPanel:
    return mistakes()


def _formulas(obj: Any) -> list[Formula]:
    """Every Formula inside a result (dataclasses, tuples, dicts), in order."""
    if isinstance(obj, Formula):
        return [obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [f for fld in dataclasses.fields(obj) for f in _formulas(getattr(obj, fld.name))]
    if isinstance(obj, (tuple, list)):
        return [f for x in obj for f in _formulas(x)]
    if isinstance(obj, dict):
        return [f for x in obj.values() for f in _formulas(x)]
    return []


# ================================================================================ backpropagation
def test_mlp_gradients_equal_central_differences() -> None:
    """Every gradient entry (x, W₁, b₁, W₂, b₂) within 1e-8 of central differences with step 1e-6."""
    ex = mlp()
    fd = finite_differences(ex.network, FD_STEP)
    for name, grad in ex.gradients.items():
        np.testing.assert_allclose(grad, fd[name], rtol=0, atol=FD_TOLERANCE, err_msg=name)
    assert ex.finite_differences.max_abs_error <= FD_TOLERANCE
    assert "1×10⁻⁶" in ex.finite_differences.text


def test_mlp_gradients_equal_pytorch_autograd() -> None:
    if os.environ.get("CHEATSHEET_REQUIRE_TORCH") != "1":
        pytest.importorskip("torch")
    result = torch_agreement(mlp())
    assert result is not None, "PyTorch is required (CHEATSHEET_REQUIRE_TORCH=1) but cannot be imported"
    assert result.max_abs_error <= TORCH_TOLERANCE, result.text
    assert {name for name, _ in result.errors} == {"x", "W1", "b1", "W2", "b2"}


def test_mlp_local_derivatives_come_from_the_catalog_rules() -> None:
    """The loss's and the activation's local derivatives are the rules' derivative_at at the node's value."""
    ex = mlp()
    act, loss = cheatsheet.get(ex.network.activation), cheatsheet.get(ex.network.loss)
    assert ex.rules == (act.id, loss.id)
    rows = {r.node: r for r in ex.rows}
    assert rows["z1"].rule == act.id and rows["z2"].rule == loss.id
    z1 = np.array(ex.network.W1) @ np.array(ex.network.x) + np.array(ex.network.b1)
    assert rows["z1"].local_value == Value.of(act.derivative_at(z1))
    z2 = float(np.array(ex.network.W2)[0] @ np.tanh(z1) + ex.network.b2)
    assert rows["z2"].local_value == Value.of(loss.derivative_at(z2, ex.network.y))
    assert math.isclose(ex.loss_value, float(loss.evaluate(z2, ex.network.y)), rel_tol=1e-15)


def test_mlp_table_lists_every_node_backwards_with_its_gradient() -> None:
    ex = mlp()
    assert [r.node for r in ex.rows] == ["loss", "z2", "b2", "W2", "h", "z1", "b1", "W1", "x"]
    shapes = {r.node: r.shape for r in ex.rows}
    assert shapes == {
        "loss": "1×1",
        "z2": "1×1",
        "b2": "1×1",
        "W2": "1×3",
        "h": "3×1",
        "z1": "3×1",
        "b1": "3×1",
        "W1": "3×2",
        "x": "2×1",
    }
    for r in ex.rows:
        assert r.gradient.tex.startswith(r"\bar{"), r.gradient.tex
        if r.node != "loss":
            assert r.upstream is not None and r.upstream_value is not None and r.local is not None
    rows = {r.node: r for r in ex.rows}
    assert rows["W1"].gradient_value == Value.of(ex.gradients["W1"])
    assert rows["x"].gradient_value == Value.of(ex.gradients["x"])
    assert r"\odot" in rows["z1"].gradient.tex and r"\tanh" in rows["z1"].local.tex  # type: ignore[union-attr]


def test_mlp_works_with_another_activation_and_loss() -> None:
    """The example is generic over a smooth catalog activation and a scalar loss."""
    net = dataclasses.replace(mlp().network, activation="sigmoid", loss="mse_loss", y=0.25)
    ex = backprop(net)
    fd = finite_differences(net)
    for name, grad in ex.gradients.items():
        np.testing.assert_allclose(grad, fd[name], rtol=0, atol=FD_TOLERANCE, err_msg=name)
    assert ex.rules == ("sigmoid", "mse_loss")


# ================================================================================ gradient descent
def test_descent_gradient_and_hessian_are_the_rules() -> None:
    """∇f from the verified rule equals Ax − b at random points; the Hessian read off it is A."""
    ex = gd()
    A, b = np.array(ex.problem.A), np.array(ex.problem.b)
    assert np.allclose(np.array([[float(v.replace("\u2212", "-")) for v in row] for row in ex.hessian.entries]), A)
    rule = local_rule()
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.normal(size=2)
        g = np.asarray(rule.derivative_at(x=x.reshape(-1, 1), A=A, b=b.reshape(-1, 1)), dtype=float).reshape(-1)
        np.testing.assert_allclose(g, A @ x - b, rtol=1e-14, atol=1e-14)
    assert ex.rules and all(status in ("proved", "checked") for _, _, status in ex.rules)


def test_descent_rule_is_proved_and_needs_symmetric_a() -> None:
    """The example's own rule is proved; without declaring A symmetric the claim ∇f = Ax − b is refuted."""
    from cheatsheet.verifier.engine import verify_rule

    rule = local_rule()
    assert verify_rule(rule).status == "proved"
    general = dataclasses.replace(rule, inputs=tuple(dataclasses.replace(i, symmetric=False) for i in rule.inputs))
    assert verify_rule(general, prove=False).status == "failed"


def test_descent_converges_below_two_over_lambda_max_and_diverges_above() -> None:
    ex = gd()
    A, b = np.array(ex.problem.A), np.array(ex.problem.b)
    lam = np.linalg.eigvalsh(A)
    xstar = np.linalg.solve(A, b)
    slow, fast = ex.runs
    assert slow.eta_value < 2 / lam[-1] < fast.eta_value
    assert slow.converges and not fast.converges
    assert slow.style == "solid" and fast.style == "dashed"
    d_slow = [np.linalg.norm(np.array(p) - xstar) for p in slow.iterates]
    d_fast = [np.linalg.norm(np.array(p) - xstar) for p in fast.iterates]
    rate = max(abs(1 - slow.eta_value * lam))
    assert all(b_ <= rate * a + 1e-12 for a, b_ in pairwise(d_slow)), "each step shrinks the error by max|1 − ηλ|"
    assert d_slow[-1] < 1e-2 * d_slow[0]
    assert all(b_ > a for a, b_ in pairwise(d_fast[1:])), "the error grows once the steep component dominates"
    assert d_fast[-1] > 10 * d_fast[0]
    # the iterates are x_{k+1} = x_k − η(Ax_k − b)
    for run in ex.runs:
        for p, q in zip(run.iterates, run.iterates[1:], strict=False):
            np.testing.assert_allclose(q, np.array(p) - run.eta_value * (A @ np.array(p) - b), rtol=1e-13, atol=1e-13)
    assert ex.lambda_max == number(lam[-1]) and ex.eta_limit == number(2 / lam[-1])


def test_newton_lands_on_the_minimum_in_one_step() -> None:
    ex = gd()
    A, b = np.array(ex.problem.A), np.array(ex.problem.b)
    assert ex.newton_error <= 1e-12
    assert ex.newton == Value.of(np.linalg.solve(A, b)) == ex.minimum


def _fake_matrix_family(monkeypatch: pytest.MonkeyPatch, extra: list[cheatsheet.Rule]) -> None:
    """The matrix family reduced to its seeds (trace_ax, logdet) plus ``extra``."""
    real = cheatsheet.rules
    seeds = [cheatsheet.get("trace_ax"), cheatsheet.get("logdet")]
    monkeypatch.setattr(cheatsheet, "rules", lambda family=None: seeds + extra if family == "matrix" else real(family))


def test_descent_uses_catalog_quadratic_and_linear_form_rules_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    """With xᵀAx and aᵀx rules in the matrix family (found by what they compute, whatever their ids), the
    gradient comes from them; the iterates are the same."""
    import sympy as sp

    from cheatsheet.catalog._common import n
    from cheatsheet.examples import descent as module
    from cheatsheet.rule import Input, Rule

    x, A, a = sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("a", n, 1)
    quad = Rule(
        id="some_quadratic",
        title="Quadratic form",
        family="matrix",
        inputs=(Input("A", A, shape="matrix"), Input("x", x, shape="matrix")),
        function=x.T * A * x,
        derivative={"x": (A + A.T) * x, "A": x * x.T},
        layout="denominator",
    )
    lin = Rule(
        id="some_linear",
        title="Linear form",
        family="matrix",
        inputs=(Input("a", a, shape="matrix"), Input("x", x, shape="matrix")),
        function=x.T * a,
        derivative={"x": a},
        layout="denominator",
    )
    _fake_matrix_family(monkeypatch, [lin, quad])
    ex = module.descent()
    assert [(rid, src) for rid, src, _ in ex.rules] == [
        ("some_quadratic", "catalog"),
        ("some_linear", "catalog"),
        ("quadratic_objective", "local"),
    ]
    assert any(f.key == "descent-rule-some_quadratic" for f in ex.formulas)
    for mine, ref in zip(ex.runs, gd().runs, strict=False):
        np.testing.assert_allclose(mine.iterates, ref.iterates, rtol=1e-12, atol=1e-12)


def test_descent_falls_back_on_its_own_verified_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without those rules in the catalog, the example's own rule (verified) gives the same numbers."""
    from cheatsheet.examples import descent as module

    _fake_matrix_family(monkeypatch, [])
    ex = module.descent()
    assert ex.rules == (("quadratic_objective", "local", "proved"),)
    assert not any(f.key.startswith("descent-rule-") for f in ex.formulas)
    for mine, ref in zip(ex.runs, gd().runs, strict=False):
        np.testing.assert_allclose(mine.iterates, ref.iterates, rtol=1e-12, atol=1e-12)


# ================================================================================ conventions panel
def test_kink_table_lists_every_kink_of_the_catalog() -> None:
    rows = panel().kinks
    kinked = [r for r in cheatsheet.rules() if r.kinks]
    assert [k.rule_id for k in rows] == [r.id for r in kinked for _ in r.kinks]
    assert {k.rule_id for k in rows} >= {"relu", "leaky_relu", "abs", "hardtanh", "l1_loss"}
    from cheatsheet.printing.latex import latex

    for row, kink in zip(rows, [k for r in kinked for k in r.kinks], strict=False):
        assert row.jump == kink.jump and (row.subdifferential is None) == kink.jump
        assert (
            row.torch.tex == latex(kink.torch)
            and row.left.tex == latex(kink.left)
            and row.right.tex == latex(kink.right)
        )
        assert (row.jax is None) == (kink.jax is None)
    relu = next(k for k in rows if k.rule_id == "relu")
    assert (relu.at_value, relu.left_value, relu.right_value, relu.torch_value) == ("0", "0", "1", "0")
    leaky = next(k for k in rows if k.rule_id == "leaky_relu")
    assert (leaky.torch_value, leaky.jax_value) == ("0.01", "1")


def test_layout_table_and_catalog_example() -> None:
    p = panel()
    assert len(p.layout) == 4
    for row in p.layout:
        assert row.numerator.tex != row.denominator.tex
    # scalar of vector: a row in numerator layout, a column in denominator layout
    assert r"\\" not in p.layout[0].numerator.tex and r"\\" in p.layout[0].denominator.tex
    ex = p.layout_example
    assert ex is not None and ex.rule_id == "trace_ax"
    assert ex.denominator.tex.endswith(r"A^{\top}") and ex.numerator.tex.endswith("= A")
    assert "denominator" in p.catalog_layout


def test_jvp_and_vjp_through_the_softmax_rule() -> None:
    """J from the rule equals softmax's numerical Jacobian; J v and gᵀJ are as printed; the VJP rule agrees."""
    from cheatsheet.examples.conventions import SOFTMAX_G, SOFTMAX_V, SOFTMAX_X, products

    x, v, g = (np.array(a) for a in (SOFTMAX_X, SOFTMAX_V, SOFTMAX_G))

    def softmax(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max())
        return e / e.sum()

    h = 1e-6
    J_fd = np.column_stack([(softmax(x + h * e) - softmax(x - h * e)) / (2 * h) for e in np.eye(3)])
    pr = products()
    np.testing.assert_allclose(pr["J"], J_fd, atol=1e-9)
    np.testing.assert_allclose(pr["jvp"], J_fd @ v, atol=1e-9)
    np.testing.assert_allclose(pr["vjp"], g @ J_fd, atol=1e-9)
    np.testing.assert_allclose(pr["vjp_from_rule"], pr["vjp"], atol=1e-15)
    jvp, vjp = panel().products
    assert (jvp.kind, vjp.kind) == ("JVP", "VJP")
    assert jvp.value == Value.of(J_fd @ v) and vjp.value == Value.of(g @ J_fd)
    assert jvp.formula.tex == "J v" and vjp.formula.tex == r"g^{\top} J"
    assert panel().symmetric  # softmax's J = diag(p) − ppᵀ


# ================================================================================ common mistakes
def test_every_erratum_yields_a_counterexample() -> None:
    ms = errors().mistakes
    assert [m.rule_id for m in ms] == [e.rule_id for e in errata.ERRATA]
    for m in ms:
        assert m.wrong.tex != m.correct.tex
        assert m.expected != m.claimed
        assert m.point_text and m.found
        assert m.wrong.tex.split(" = ")[0] == m.correct.tex.split(" = ")[0]  # the same left-hand side


def test_counterexample_numbers_agree_with_the_rules_at_the_printed_point() -> None:
    """The true value printed is the rule's derivative at the rounded point shown (scalar errata)."""
    for m in errors().mistakes:
        rule = cheatsheet.get(m.rule_id)
        if rule.shape != "scalar":
            continue
        x = float(m.point_text.split(" = ")[1].replace("\u2212", "-"))
        true = float(rule.derivative_at(x, exact=True))
        assert number(true) == m.expected, m.rule_id


def test_matrix_errata_name_the_failing_entry() -> None:
    by_id = {m.rule_id: m for m in errors().mistakes}
    assert by_id["trace_ax"].where.startswith("entry (")
    assert by_id["trace_ax"].wrong.tex.endswith("= A") and by_id["trace_ax"].correct.tex.endswith(r"A^{\top}")
    assert by_id["logdet"].point.tex.startswith("X = ")


# ================================================================================ figures and formulas
def _figures() -> dict[str, str]:
    return {"mlp": mlp().figure, "descent": gd().figure}


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|nan|inf", re.IGNORECASE)
_GEOMETRY = ("x", "y", "cx", "cy", "r", "rx", "ry", "width", "height", "d", "transform", "viewBox", "dy")


@pytest.mark.parametrize("name", ["mlp", "descent"])
def test_figures_are_valid_finite_svg(name: str) -> None:
    text = _figures()[name]
    root = ET.fromstring(text)
    assert root.tag == SVG_NS + "svg" and root.get("viewBox")
    assert 'id="' not in text, "no ids: nothing can clash with another figure on the page"
    for el in root.iter():
        for attr in _GEOMETRY:
            value = el.get(attr)
            if value is None:
                continue
            for token in _NUMBER.findall(value):
                assert math.isfinite(float(token)), f"{el.tag} {attr}={value!r}"
        assert el.get("font-family") in (None, "Heros")
    assert len(text) < 12000, f"{len(text)} bytes"


def test_figures_have_their_parts() -> None:
    mlp_svg, gd_svg = _figures()["mlp"], _figures()["descent"]
    texts = "".join(ET.fromstring(mlp_svg).itertext())
    for label in ("x", "W", "b", "z", "h", "\u2113", "y"):
        assert label in texts
    assert "0.4538" in texts  # the loss value above ℓ
    root = ET.fromstring(gd_svg)
    assert len(root.findall(f"{SVG_NS}ellipse")) >= 4
    assert root.find(f"{SVG_NS}path[@class='solid']") is not None
    dashed = root.find(f"{SVG_NS}path[@class='dashed']")
    assert dashed is not None and dashed.get("stroke-dasharray")
    assert root.find(f"{SVG_NS}path[@class='newton']") is not None


@pytest.mark.slow
def test_figures_and_data_are_deterministic() -> None:
    """Two calls give the same bytes, and so does a fresh process with another hash seed."""
    assert backprop().figure == mlp().figure and descent().figure == gd().figure
    assert backprop().rows == mlp().rows and conventions() == panel()
    here = hashlib.sha256((mlp().figure + gd().figure + repr(panel())).encode()).hexdigest()
    code = (
        "import hashlib; from cheatsheet.examples.mlp import backprop; from cheatsheet.examples.descent import descent;"
        "from cheatsheet.examples.conventions import conventions;"
        "print(hashlib.sha256((backprop().figure + descent().figure + repr(conventions())).encode()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert out.stdout.strip() == here


def test_every_formula_typesets_as_svg_and_mathml() -> None:
    """Every LaTeX string of the examples and panels goes through ziamath (PDF) and latex2mathml (HTML)."""
    from cheatsheet.render import math as tmath

    formulas = _formulas(mlp()) + _formulas(gd()) + _formulas(panel()) + _formulas(errors())
    keys = [f.key for f in formulas]
    assert len(keys) == len(set(keys)), "formula keys are the SVG id prefixes: they must be unique"
    assert len(formulas) > 150
    for f in formulas:
        svg = tmath.svg(f.tex, prefix=f"{f.key}-")
        assert svg.width > 0 and svg.height > 0, f.tex
        assert tmath.mathml(f.tex).startswith("<math"), f.tex
    values = [mlp().rows[3].forward, gd().A, panel().example[-1][1]]
    for v in values:
        tmath.svg(v.tex, prefix="value-")
        tmath.mathml(v.tex)


def test_number_formatting() -> None:
    assert [number(v) for v in (0.5, -0.42555748, 2.0, -0.0, 1 / 3, 1e-6, -2.8e-17, 123456.7)] == [
        "0.5",
        "\u22120.4256",
        "2",
        "0",
        "0.3333",
        "1\u00d710\u207b\u2076",
        "\u22122.8\u00d710\u207b\u00b9\u2077",
        "123457",
    ]
    assert Value.of(np.array([[0.1, -2.0]])).text == "[[0.1, \u22122]]"
    assert Value.of(np.array([0.5, -1.0])).tex == r"\left[\begin{matrix}0.5\\-1\end{matrix}\right]"
    with pytest.raises(ValueError):
        Value.of(float("nan"))


def test_mistakes_panel_names_the_entry_once() -> None:
    """The printed counterexample of a matrix erratum reads '(entry (1,2) at m = 2, n = 2)'."""
    from collections import defaultdict

    from cheatsheet.render.html import environment
    from cheatsheet.render.panels import panel_sections

    (card,) = [c for s in panel_sections() for c in s.cards if c.kind == "panel" and "mistake" in c.id]
    html = str(environment().get_template("panels.html.j2").module.panel(card, defaultdict(str)))  # type: ignore[attr-defined]
    assert "(entry (1,2) at m = 2, n = 2)" in html and "entry entry" not in html
