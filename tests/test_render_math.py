"""Math typesetting (cheatsheet.render.math): every catalog formula through both engines, ids, boxes,
determinism, and the engine quirks that the rewriting fixes."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache

import pytest

import cheatsheet
from cheatsheet.printing.latex import latex
from cheatsheet.render import math as M
from cheatsheet.render.adapters import ziamath as ziamath_adapter
from cheatsheet.render.math.flatten import flatten
from cheatsheet.render.math.rewrite import for_ziamath
from cheatsheet.render.math.svg import raw_svg, ziamath_mathml
from cheatsheet.render.math.tex import parse
from cheatsheet.render.resources import ResourceError, font_path, templates_dir

SVG_NS = "{http://www.w3.org/2000/svg}"
RELATION = {"=": "=", "<=": r"\le", ">=": r"\ge"}


@cache
def catalog_formulas() -> tuple[tuple[str, str], ...]:
    """(where, LaTeX) for every formula the sheet prints, deduplicated, in catalog order."""
    out: dict[str, str] = {}
    for r in cheatsheet.rules():
        found = [("function", r.function)]
        found += [(f"d/d{w}", e) for w, e in r.derivatives.items()]
        for n, d in enumerate(r.where):
            out.setdefault(latex(d.symbol) + " = " + latex(d.value), f"{r.id} where[{n}]")
        for n, kk in enumerate(r.kinks):
            found += [(f"kink[{n}].{f}", getattr(kk, f)) for f in ("at", "left", "right", "torch")]
        for n, ident in enumerate(r.identities):
            out.setdefault(
                latex(ident.lhs) + f" {RELATION[ident.relation]} " + latex(ident.rhs), f"{r.id} identity[{n}]"
            )
        for what, expr in found:
            out.setdefault(latex(expr), f"{r.id} {what}")
    return tuple((where, tex) for tex, where in out.items())


FORMULAS = catalog_formulas()


@cache
def typeset_all() -> dict[str, tuple[M.SvgMath, str, str]]:
    return {tex: (M.svg(tex, prefix="f-"), M.mathml(tex), M.mathml(tex, display=True)) for _, tex in FORMULAS}


# --------------------------------------------------------------------------- the whole catalog
def test_catalog_has_formulas() -> None:
    assert len(FORMULAS) > 150


@pytest.mark.slow
@pytest.mark.parametrize("where,tex", FORMULAS, ids=[w for w, _ in FORMULAS])
def test_every_catalog_formula_typesets_with_both_engines(where: str, tex: str) -> None:
    pic, inline, block = typeset_all()[tex]
    root = ET.fromstring(pic.svg)
    assert root.tag == SVG_NS + "svg"
    assert 0 < pic.depth < pic.height and pic.width > 0
    # ziamath's stretchy \sum inside \left( \right) once made a 2000 px tall picture
    assert pic.height < 80, f"{where}: {tex!r} is {pic.height}px tall"
    # flattened: glyph outlines only, no <use>/<symbol>, so no ids at all
    tags = {el.tag.removeprefix(SVG_NS) for el in root.iter()}
    assert tags <= {"svg", "path"}, f"{where}: not flattened: {tags}"
    for text in (inline, block):
        m = ET.fromstring(text)
        assert m.tag == "{http://www.w3.org/1998/Math/MathML}math"
        assert m.get("display") == ("block" if text is block else "inline")
        assert "<mo />" not in text and "<mi>\\</mi>" not in text, f"{where}: latex2mathml left debris in {text}"


def test_no_operator_name_reaches_ziamath_unfixed() -> None:
    for _, tex in FORMULAS:
        fixed = for_ziamath(tex)
        assert not re.search(r"\\(tanh|sinh|cosh|sin|cos|tan|ln|log|exp|det)\b(?![_^]?\{?\w*\}?\s*_)", fixed), fixed
        assert r"\operatorname" not in fixed, fixed
        assert not re.search(r"\\max\s*[(]|\\min\s*[(]|\\max\\left|\\min\\left", fixed), fixed


# --------------------------------------------------------------------------- ids, boxes, determinism
def test_ids_are_prefixed_and_unique_across_formulas() -> None:
    a = M.svg(r"\sigma(x) \left(1 - \sigma(x)\right)", prefix="sigmoid-d-input-", draw="symbols")
    b = M.svg(r"\frac{e^{x_{i}}}{\sum_{k} e^{x_{k}}}", prefix="softmax-function-", draw="symbols")
    ids = {}
    for name, pic in (("a", a), ("b", b)):
        found = re.findall(r'\bid="([^"]+)"', pic.svg)
        refs = re.findall(r'href="#([^"]+)"', pic.svg)
        assert found and refs
        prefix = "sigmoid-d-input-" if name == "a" else "softmax-function-"
        assert all(i.startswith(prefix) for i in found + refs)
        assert set(refs) <= set(found), "every reference points into the same picture"
        ids[name] = set(found)
    assert not ids["a"] & ids["b"]
    # the flattened default has no ids at all
    assert "id=" not in M.svg(r"\sigma(x)", prefix="p-").svg


def test_prefix_must_be_an_id_start() -> None:
    with pytest.raises(ValueError, match="prefix"):
        M.svg("x", prefix="1-bad")
    with pytest.raises(ValueError, match="prefix"):
        M.svg("x", prefix='a" onload="')


def test_box_matches_viewbox_and_scales_with_size() -> None:
    pic = M.svg(r"\frac{1}{1 + e^{- x}}", prefix="s-")
    _, y, w, h = (float(v) for v in re.search(r'viewBox="([^"]+)"', pic.svg).group(1).split())
    assert pic.width == pytest.approx(w) and pic.height == pytest.approx(h)
    assert pic.depth == pytest.approx(y + h)  # the baseline is at y = 0
    assert pic.ascent == pytest.approx(-y)
    flat = M.svg("x", prefix="s-")
    assert pic.depth > flat.depth and pic.ascent > flat.ascent  # a fraction reaches further both ways
    big = M.svg(r"\frac{1}{1 + e^{- x}}", prefix="s-", size_px=2 * M.DEFAULT_SIZE_PX)
    assert big.width == pytest.approx(2 * pic.width, rel=0.08)
    assert big.height == pytest.approx(2 * pic.height, rel=0.08)
    inline = M.svg(r"\sum_{k} x_{k}", prefix="s-", display=False)
    display = M.svg(r"\sum_{k} x_{k}", prefix="s-", display=True)
    assert display.height > inline.height  # display style: a big sum, limits below


def test_flattening_keeps_the_picture() -> None:
    # The flattened glyphs are the <use> transforms applied to the glyph outlines: compare the extreme
    # coordinates of both drawings (the rendered PNGs were compared by eye and by pixel diff).
    tex = r"- \frac{2 e^{- x^{2}}}{\sqrt{\pi}} + \begin{cases} x & \text{if } x > 0 \\ \alpha x & \text{otherwise} \end{cases}"
    raw = raw_svg(tex, M.DEFAULT_SIZE_PX, True)
    flat = flatten(raw)
    assert flat is not None
    assert re.search(r'viewBox="[^"]+"', raw).group(0) == re.search(r'viewBox="[^"]+"', flat).group(0)
    n_use = raw.count("<use")
    n_rect = raw.count("<rect")
    assert n_use > 10 and flat.count("<path") == 2 and n_rect >= 1
    # every coordinate of the flattened drawing lies inside the picture
    x, y, w, h = (float(v) for v in re.search(r'viewBox="([^"]+)"', flat).group(1).split())
    glyphs = re.findall(r' d="([^"]+)"', flat)[0]  # absolute M/L/C/Q/Z: numbers come in (x, y) pairs
    numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*", glyphs)]
    xs, ys = numbers[0::2], numbers[1::2]
    assert min(xs) >= x - 0.01 and max(xs) <= x + w + 0.01
    assert min(ys) >= y - 0.01 and max(ys) <= y + h + 0.01


def test_draw_modes() -> None:
    tex = r"\frac{x}{1 + \left|x\right|}"
    paths, glyphs, symbols = (M.svg(tex, prefix="p-", draw=d) for d in M.DRAWS)
    assert paths.height == glyphs.height == symbols.height and paths.depth == glyphs.depth == symbols.depth
    assert paths.svg.count("<path") == 2 and "transform" not in paths.svg
    per_glyph = re.findall(r'<path transform="matrix\(([-\d.]+) 0 0 ([-\d.]+) [-\d.]+ [-\d.]+\)" d="', glyphs.svg)
    assert len(per_glyph) == symbols.svg.count("<use") - symbols.svg.count('width="0"')
    assert all(a == b for a, b in per_glyph)  # a uniform scale, as ziamath's viewBox mapping
    assert "id=" not in glyphs.svg and "<use" in symbols.svg
    with pytest.raises(ValueError, match="draw"):
        M.svg(tex, prefix="p-", draw="bitmap")  # type: ignore[arg-type]


def test_flatten_refuses_what_it_does_not_know() -> None:
    assert flatten('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><circle r="1"/></svg>') is None
    assert flatten("<svg") is None
    bad = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" viewBox="0 0 1 1">'
        '<symbol id="g" viewBox="0 0 1 1"><path d="M 0 0 A 1 1 0 0 1 1 1 Z"/></symbol>'
        '<use href="#g" x="0" y="0" width="1" height="1" fill="black"/></svg>'
    )
    assert flatten(bad) is None  # an arc: not an absolute M/L/Q/C/Z path


_PROBE = r"""
import hashlib, json, sys
from cheatsheet.render import math as M
texs = json.loads(sys.argv[1])
out = [hashlib.sha256((M.svg(t, prefix="p-").svg + M.svg(t, prefix="p-", draw="symbols").svg
        + M.svg(t, prefix="p-", draw="glyphs").svg
        + M.mathml(t) + M.mathml(t, display=True)).encode()).hexdigest() for t in texs]
print(json.dumps(out))
"""


def _digests(texs: list[str]) -> list[str]:
    return [
        hashlib.sha256(
            (
                M.svg(t, prefix="p-").svg
                + M.svg(t, prefix="p-", draw="symbols").svg
                + M.svg(t, prefix="p-", draw="glyphs").svg
                + M.mathml(t)
                + M.mathml(t, display=True)
            ).encode()
        ).hexdigest()
        for t in texs
    ]


@pytest.mark.slow
def test_output_is_deterministic_across_processes() -> None:
    texs = [tex for _, tex in FORMULAS[::17]] + [
        r"\begin{cases} 1 & \text{if } x > 0 \\ 0 & \text{otherwise} \end{cases}"
    ]
    here = _digests(texs)
    assert here == _digests(texs)
    for _ in range(2):  # two fresh processes (different hash seeds)
        run = subprocess.run(
            [sys.executable, "-c", _PROBE, json.dumps(texs)], capture_output=True, text=True, check=True
        )
        assert json.loads(run.stdout) == here


# --------------------------------------------------------------------------- the quirks
@pytest.mark.parametrize(
    "tex,expected",
    [
        (r"\tanh(x)", r"\text{tanh}(x)"),
        (r"\max(0, x)", r"\text{max}(0{,}\,x)"),
        (r"\tan^{2}(x)", r"\text{tan}^{2}(x)"),
        (r"\log_{2}(x)", r"\text{log}_{2}(x)"),
        (r"2 \tanh(x)", r"2 \,\text{tanh}(x)"),  # TeX's thin space between an ordinary symbol and an operator
        (r"\sin x", r"\text{sin}\, x"),
        (r"\log\det X", r"\text{log}\,\text{det}\, X"),
        (r"\operatorname{expm1}(x)", r"\text{expm1}(x)"),
        (r"\max_{k} x_{k}", r"\max_{k} x_{k}"),  # limits below: a large operator, left alone
        (r"(-x)", r"({-}x)"),
        (r"y = - x", r"y = {-} x"),
        (r"- \frac{1}{x}", r"{-} \frac{1}{x}"),
        (r"x < - \lambda", r"x < {-} \lambda"),
        (r"\sum_{k} - p_{k}", r"\sum_{k} {-} p_{k}"),
        (r"\begin{cases} -1 & \text{if } x < 0 \end{cases}", r"\begin{cases} {-}1 & \text{if } x < 0 \end{cases}"),
        (r"x - y", r"x - y"),  # binary: untouched
        (r"\sigma(x) - 1", r"\sigma(x) - 1"),
        (r"e^{- x}", r"e^{{-} x}"),
        (r"\frac{e^{x_{i}}}{\sum_{k} e^{x_{k}}}", r"\frac{e^{x_{i}}}{{\textstyle \sum_{k}}\, e^{x_{k}}}"),
        (r"\ln\left(\sum_{k} e^{x_{k}}\right)", r"\text{ln}\left(\sum_{k} e^{x_{k}}\right)"),  # not in a fraction
        (r"a \sim b", r"a \thicksim b"),
        (r"\mathbb{1}[x > 0]", r"𝟙[x > 0]"),
        (r"𝟙[x > 0]", r"𝟙[x > 0]"),
        (r"\left(\left(1 - y\right) + y\right)", r"\left({\left(1 - y\right)} + y\right)"),
        (r"\text{if } x > 0", r"\text{if } x > 0"),
    ],
)
def test_ziamath_rewrites(tex: str, expected: str) -> None:
    assert for_ziamath(tex) == expected


def test_sum_in_fraction_keeps_limits_below_in_inline_style_untouched() -> None:
    tex = r"\frac{1}{\sum_{k} x_{k}}"
    assert for_ziamath(tex, display=False) == tex


def test_ziamath_mathml_fixes_hat_and_stretchy_sums() -> None:
    root = ziamath_mathml(r"\hat{\sigma} + \left(\sum_{k} x_{k}\right)", True)
    accents = [el[1] for el in root.iter() if el.tag.endswith("mover") and el.get("accent") == "true"]
    assert accents and all(a.text == "\u02c6" and a.get("stretchy") == "false" for a in accents)
    sums = [el for el in root.iter() if el.tag.endswith("mo") and (el.text or "").strip() == "∑"]
    assert sums and all(el.get("stretchy") == "false" for el in sums)
    assert M.svg(r"\left(\sum_{k} x_{k}\right)", prefix="p-").height < 40


def test_operator_spacing_matches_text_form() -> None:
    # \tanh(x) used to get thin spaces on both sides of the name: now as wide as the unspaced word
    fixed = M.svg(r"\tanh(x)", prefix="p-").width
    plain = M.svg(r"\text{tanh}(x)", prefix="p-").width
    assert fixed == pytest.approx(plain, abs=0.01)


@pytest.mark.parametrize(
    "tex,needle",
    [
        (r"\tanh(x)", '<mi>tanh</mi><mo stretchy="false">(</mo>'),
        (r"\operatorname{softplus}(x)", "<mi>softplus</mi>"),
        (r"\operatorname{expm1}(x)", "<mi>expm1</mi>"),
        (r"\max(0, x)", "<mi>max</mi>"),
        (r"a \sin x", '<mi>a</mi><mspace width="0.167em" /><mi>sin</mi><mspace width="0.167em" /><mi>x</mi>'),
        (r"(-x)", '<mrow><mo lspace="0" rspace="0">−</mo></mrow>'),
        (r"f^{\prime}(x)", '<mrow><mi>f</mi><mo lspace="0" rspace="0">′</mo></mrow>'),
        (r"f'(x)", '<mrow><mi>f</mi><mo lspace="0" rspace="0">′</mo></mrow>'),
        (r"f''(x)", '<mrow><mi>f</mi><mo lspace="0" rspace="0">″</mo></mrow>'),
        (r"\mathbb{1}[x > 0]", "<mn>𝟙</mn>"),  # the character, not a plain 1
        (r"a \sim b", "<mo>∼</mo>"),
        (r"X^{-\top}", "<mi>⊤</mi>"),
        (r"p_{i} \left(\delta_{ij} - p_{j}\right)", '<mo stretchy="false">(</mo>'),  # flat content: plain parens
        (r"\left(\frac{1}{x}\right)", 'stretchy="true"'),  # tall content: stretchy fences kept
        (r"\left|x\right|", '<mo stretchy="false">|</mo>'),
        (
            r"\begin{cases} x & \text{if } x > 0 \\ 0 & \text{otherwise} \end{cases}",
            '<mtd columnalign="left"><mtext>if\xa0</mtext>',
        ),
        (r"\delta_{ij}", "<msub><mi>δ</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub>"),
    ],
)
def test_mathml_fixes(tex: str, needle: str) -> None:
    assert needle in M.mathml(tex)


def test_mathml_display_puts_limits_below() -> None:
    block = M.mathml(r"\sum_{k} x_{k} + \max_{k} x_{k}", display=True)
    assert block.count("<munder>") == 2 and "<msub><mo>∑" not in block
    assert "<munder>" not in M.mathml(r"\sum_{k} x_{k}")  # inline: beside, as in TeX's text style


def test_mathml_is_well_formed_with_namespace() -> None:
    text = M.mathml(r"\frac{x}{1 + \left|x\right|}", display=True)
    assert text.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    assert "ns0:" not in text


# --------------------------------------------------------------------------- errors and resources
@pytest.mark.parametrize("tex", [r"\frac{1}{x", r"x}"])
def test_typeset_error_names_the_formula(tex: str) -> None:
    with pytest.raises(M.TypesetError) as svg_err:
        M.svg(tex, prefix="p-")
    assert repr(tex) in str(svg_err.value) and svg_err.value.tex == tex
    with pytest.raises(M.TypesetError) as mml_err:
        M.mathml(tex)
    assert repr(tex) in str(mml_err.value)


def test_svgmath_html_and_img() -> None:
    pic = M.svg(r"\sigma(x)", prefix="p-")
    html = pic.html()
    assert html.startswith('<svg class="math" style="vertical-align:-') and 'aria-hidden="true"' in html
    img = pic.img()
    assert img.startswith('<img class="math" src="data:image/svg+xml;base64,') and 'alt="\\sigma(x)"' in img


@pytest.mark.parametrize(
    ("tex", "breaks_before"),
    [
        ("a + b = c - d", ["+", "=", "-"]),
        ("- a + b", ["+"]),  # a leading (unary) minus is no break
        ("f(x) = - (a + b) (c - d)", ["="]),  # nothing inside brackets, no unary minus after '='
        (r"\frac{a + b}{c} - \left(d + e\right)", ["-"]),  # nor inside a group or \left ... \right
        (r"x^{a + b} y_{c - d}", []),
        (r"a \le b + c", [r"\le", "+"]),
        (r"f = \begin{cases} a + b & \text{if } x > 0 \\ 0 & \text{otherwise} \end{cases} - c", ["=", "-"]),
    ],
)
def test_break_points(tex: str, breaks_before: list[str]) -> None:
    items = parse(tex)
    assert [items[k] for k in M.break_points(tex)] == breaks_before


LONG = r"\frac{\partial f}{\partial X} = 2 B X (A + X^{\top} C X)^{-1} - 2 C X (A + X^{\top} C X)^{-1} X^{\top} B X (A + X^{\top} C X)^{-1}"


def test_a_wide_formula_is_broken_into_lines_that_fit() -> None:
    whole = M.svg(LONG, prefix="p-", size_px=10.4)
    broken = M.svg_within(LONG, whole.width * 0.7, prefix="p-", size_px=10.4)
    assert broken.width <= whole.width * 0.7 and broken.height > 1.5 * whole.height
    assert broken.tex == LONG  # the searchable source stays the formula as written
    assert M.svg_within(LONG, whole.width + 1, prefix="p-", size_px=10.4) == whole  # it fits: unchanged


def test_an_unbreakable_formula_is_left_whole() -> None:
    tex = r"\sigma(x) \sigma(2 x) \sigma(3 x) \sigma(4 x) \sigma(5 x) \sigma(6 x)"
    whole = M.svg(tex, prefix="p-", size_px=10.4)
    assert M.svg_within(tex, whole.width / 2, prefix="p-", size_px=10.4) == whole


@pytest.mark.slow
def test_skipping_unread_row_heights_changes_no_picture() -> None:
    """The ziamath speed-up (no height pass for a row with nothing stretchy below it) gives the same bytes:
    every catalog formula with fences, cases or matrices, and every fourth of the others, both ways."""
    from ziamath.nodes.mrow import Mrow
    from ziamath.zmath import Math

    released = Mrow._get_height_nostretch
    texs = [tex for _, tex in catalog_formulas()]
    tall = [t for t in texs if any(s in t for s in (r"\left", r"\begin", r"\sum"))]
    sample = tall + [t for t in texs if t not in tall][::4]
    assert len(tall) > 30
    font = str(font_path("texgyretermes-math.otf"))

    def typeset(tex: str) -> str:  # what raw_svg does, without entering the speed-up itself
        return str(Math(ziamath_mathml(tex, True), size=10.4, font=font).svg())

    with ziamath_adapter.fast_row_heights():
        assert Mrow._get_height_nostretch is not released, "the pinned ziamath 0.13 is installed: the speed-up applies"
        quick = [typeset(t) for t in sample]
    assert Mrow._get_height_nostretch is released, "ziamath is itself again outside our typesetting"
    slow = [typeset(t) for t in sample]
    assert [k for k, (a, b) in enumerate(zip(quick, slow, strict=True)) if a != b] == []
    assert raw_svg.__wrapped__(sample[0], 10.4, True) == slow[0]  # the typesetting itself uses the speed-up
    assert Mrow._get_height_nostretch is released
    assert any(ziamath_adapter.stretchy_below([ET.fromstring(f"<mrow><mo>{c}</mo></mrow>")]) for c in "([")
    assert not ziamath_adapter.stretchy_below([ET.fromstring('<mrow><mo stretchy="false">(</mo><mi>x</mi></mrow>')])


def test_speed_up_nests_and_is_undone_on_error() -> None:
    """Nested blocks put ziamath's method back only when the outermost ends, also when typesetting fails."""
    from ziamath.nodes.mrow import Mrow

    released = Mrow._get_height_nostretch
    with pytest.raises(RuntimeError, match="inner"), ziamath_adapter.fast_row_heights():
        patched = Mrow._get_height_nostretch
        with ziamath_adapter.fast_row_heights():
            assert Mrow._get_height_nostretch is patched
        assert Mrow._get_height_nostretch is patched  # still inside the outer block
        raise RuntimeError("inner")
    assert patched is not released and Mrow._get_height_nostretch is released


def test_resources_are_found() -> None:
    folder = templates_dir()
    assert (folder / "fonts").is_dir()
    assert font_path("texgyretermes-math.otf").is_file()
    with pytest.raises(ResourceError, match="available"):
        font_path("nosuchfont.otf")
    with pytest.raises(ResourceError, match="plain file name"):
        font_path("../fonts/texgyretermes-math.otf")
