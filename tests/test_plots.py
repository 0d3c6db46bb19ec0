"""Plots of scalar rules (cheatsheet.render.plots): which rules get one, kink dots, ranges, poles,
determinism, size."""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache

import pytest

import cheatsheet
from cheatsheet.render.plots import plot_spec, plot_svg

SVG_NS = "{http://www.w3.org/2000/svg}"


def _plottable(r: cheatsheet.Rule) -> bool:
    return r.shape == "scalar" and len(r.inputs) == 1 and not r.is_general


PLOTTED = [r.id for r in cheatsheet.rules() if _plottable(r)]
NOT_PLOTTED = [r.id for r in cheatsheet.rules() if not _plottable(r)]


@cache
def svg_of(rule_id: str) -> str | None:
    return plot_svg(cheatsheet.get(rule_id))


def markers(rule_id: str) -> dict[str, int]:
    """Drawn markers by class: 'open df', 'filled df', 'open f', 'filled f'."""
    text = svg_of(rule_id)
    assert text is not None
    counts: dict[str, int] = {}
    for cls in re.findall(r'<circle class="([^"]+)"', text):
        counts[cls] = counts.get(cls, 0) + 1
    return counts


def test_rules_split_into_plotted_and_not() -> None:
    assert len(PLOTTED) >= 40
    assert {"relu", "sigmoid", "tan", "log", "binary_step"} <= set(PLOTTED)
    assert {"softmax", "mse_loss", "sum_rule", "logdet"} <= set(NOT_PLOTTED)


@pytest.mark.parametrize("rule_id", PLOTTED)
def test_every_scalar_rule_gets_a_compact_valid_plot(rule_id: str) -> None:
    text = svg_of(rule_id)
    assert text is not None
    root = ET.fromstring(text)
    assert root.tag == SVG_NS + "svg"
    assert not re.search(r"nan|inf", text, re.IGNORECASE), "no NaN or infinity may reach the SVG"
    assert 'id="' not in text  # nothing that could clash with another plot in the page
    assert len(text) < 6000, f"{len(text)} bytes"
    classes = [el.get("class") for el in root.iter()]
    assert "f" in classes and "df" in classes, "f solid and f' dashed are both drawn"
    dashed = [el for el in root.iter() if el.get("class") == "df"]
    assert all(el.get("stroke-dasharray") for el in dashed)
    w, h = float(root.get("width")), float(root.get("height"))
    for el in root.iter():  # every drawn coordinate lies inside the picture
        for attr in ("cx", "cy", "x", "y"):
            if el.get(attr) is not None:
                assert -0.5 <= float(el.get(attr)) <= (w if attr in ("cx", "x") else h) + 0.5
        if el.tag == SVG_NS + "path":
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", el.get("d", ""))]
            assert all(-0.5 <= v <= max(w, h) + 0.5 for v in nums)


@pytest.mark.parametrize("rule_id", NOT_PLOTTED)
def test_other_rules_get_no_plot(rule_id: str) -> None:
    assert svg_of(rule_id) is None


@pytest.mark.parametrize(
    "rule_id,expected",
    [
        # one kink of f': open circles at both one-sided limits, a filled dot at PyTorch's value
        ("relu", {"open df": 2, "filled df": 1}),
        ("leaky_relu", {"open df": 2, "filled df": 1}),
        ("abs", {"open df": 2, "filled df": 1}),
        ("hardtanh", {"open df": 4, "filled df": 2}),
        ("relu6", {"open df": 4, "filled df": 2}),
        # f jumps: open circles at its one-sided limits and a filled dot at its value, on f too
        ("threshold", {"open df": 2, "filled df": 1, "open f": 2, "filled f": 1}),
        ("binary_step", {"open df": 1, "filled df": 1, "open f": 2, "filled f": 1}),
        ("sign", {"open df": 1, "filled df": 1, "open f": 2, "filled f": 1}),
        ("sigmoid", {}),
    ],
)
def test_kink_markers(rule_id: str, expected: dict[str, int]) -> None:
    assert markers(rule_id) == expected


def test_relu_markers_sit_at_the_convention() -> None:
    spec = plot_spec(cheatsheet.get("relu"))
    assert spec is not None
    df = sorted((m.x, m.y, m.filled) for m in spec.markers if m.curve == "df")
    assert df == [(0.0, 0.0, False), (0.0, 0.0, True), (0.0, 1.0, False)]
    # f' is cut at the kink: the left piece ends at its left limit, the right one starts at its right limit
    left, right = spec.df
    assert left[-1] == (0.0, 0.0) and right[0] == (0.0, 1.0)
    assert len(spec.f) == 1  # f is continuous: one piece through the corner


def test_binary_step_jump_dots() -> None:
    spec = plot_spec(cheatsheet.get("binary_step"))
    assert spec is not None
    f = sorted((m.y, m.filled) for m in spec.markers if m.curve == "f")
    assert f == [(0.0, False), (1.0, False), (1.0, True)]  # f(0) = 1 (x >= 0), f(0-) = 0
    assert len(spec.f) == 2 and spec.f[0][-1][1] == pytest.approx(0.0) and spec.f[1][0][1] == pytest.approx(1.0)
    text = svg_of("binary_step")
    assert text is not None
    # f's markers are drawn after f''s, so the open circle of the jump stays visible over f''s dot
    order = re.findall(r'<circle class="(\w+) (f|df)"', text)
    assert [c for _, c in order] == sorted([c for _, c in order], key=lambda c: c == "f")


@pytest.mark.parametrize(
    "rule_id,x_range",
    [
        ("relu", (-4.0, 4.0)),
        ("log", (0.0, 4.0)),
        ("asin", (-1.0, 1.0)),
        ("tan", (-math.pi / 2, math.pi / 2)),
        ("acosh", (1.0, 5.0)),
        ("relu6", (-4.0, 8.0)),  # widened to show the kink at 6
        ("softplus", (-4.0, 4.0)),  # its kink at x = threshold = 20 is out of reach and not drawn
    ],
)
def test_x_range_follows_domain_and_kinks(rule_id: str, x_range: tuple[float, float]) -> None:
    spec = plot_spec(cheatsheet.get(rule_id))
    assert spec is not None
    assert spec.x_range == pytest.approx(x_range)
    xs = [x for piece in spec.f + spec.df for x, _ in piece]
    lo, hi = x_range
    domain = cheatsheet.get(rule_id).inputs[0].domain
    assert min(xs) >= lo and max(xs) <= hi
    if domain.is_Interval and domain.left_open and domain.start.is_finite:
        assert min(xs) > lo  # an open end of the domain is approached, never evaluated
    if domain.is_Interval and domain.right_open and domain.end.is_finite:
        assert max(xs) < hi


def test_softplus_far_kink_not_drawn() -> None:
    assert markers("softplus") == {}


@pytest.mark.parametrize("rule_id", ["tan", "log", "reciprocal", "rsqrt", "atanh", "exp"])
def test_y_range_is_robust_and_curves_are_cut(rule_id: str) -> None:
    spec = plot_spec(cheatsheet.get(rule_id))
    assert spec is not None
    lo, hi = spec.y_range
    assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
    assert hi - lo <= 100, "an outlying tail (a pole) does not set the scale"
    text = svg_of(rule_id)
    assert text is not None
    f_path = re.search(r'<path class="f" d="([^"]+)"', text)
    assert f_path is not None
    assert f_path.group(1).count("M") >= 1


def test_exp_is_not_clipped() -> None:
    spec = plot_spec(cheatsheet.get("exp"))
    assert spec is not None
    assert spec.y_range[1] >= math.exp(4)


def test_pole_is_not_joined() -> None:
    # 1/x: no segment of f may join the negative and the positive branch
    spec = plot_spec(cheatsheet.get("reciprocal"))
    assert spec is not None
    for piece in spec.f:
        xs = [x for x, _ in piece]
        assert max(xs) < 0 or min(xs) > 0
    text = svg_of("reciprocal")
    assert text is not None
    d = re.search(r'<path class="f" d="([^"]+)"', text).group(1)
    assert d.count("M") >= 2


@pytest.mark.slow
def test_plots_are_deterministic_across_processes() -> None:
    ids = ["relu", "tan", "binary_step", "selu", "hardswish"]
    here = [hashlib.sha256((svg_of(i) or "").encode()).hexdigest() for i in ids]
    assert here == [hashlib.sha256((plot_svg(cheatsheet.get(i)) or "").encode()).hexdigest() for i in ids]
    probe = (
        "import hashlib, json, sys, cheatsheet\n"
        "from cheatsheet.render.plots import plot_svg\n"
        "print(json.dumps([hashlib.sha256((plot_svg(cheatsheet.get(i)) or '').encode()).hexdigest()"
        " for i in json.loads(sys.argv[1])]))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe, json.dumps(ids)], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == here


def test_size_and_labels_options() -> None:
    rule = cheatsheet.get("sigmoid")
    small = plot_svg(rule, width_px=120, height_px=60, labels=False)
    assert small is not None
    assert 'width="120" height="60"' in small and "<text" not in small
    labelled = plot_svg(rule)
    assert labelled is not None and labelled.count('class="tick"') == 4
    assert "\u2212" in (plot_svg(cheatsheet.get("tanh")) or "")  # a real minus sign in "−1"
