"""Formulas as SVG pictures for the PDF: ziamath typesetting, flattening, and breaking into lines.

:func:`svg` typesets textbook LaTeX (rewritten by :func:`cheatsheet.render.math.rewrite.for_ziamath`)
with ziamath and the bundled TeX Gyre Termes Math font into a small SVG picture (WeasyPrint renders no
MathML). The picture's baseline is at y = 0 of its viewBox, so the caller aligns it with
``vertical-align: -{depth}px``. :func:`svg_within` breaks a formula that is too wide into lines.

Speed: the picture is flattened into plain paths (:mod:`cheatsheet.render.math.flatten`), 2.0x faster
for WeasyPrint to draw at the cost of a 3x larger PDF; ``draw="glyphs"`` is the compromise (1.7x faster,
PDF as small). ziamath itself runs with its row-height pass skipped where nothing reads it
(:func:`cheatsheet.render.adapters.ziamath.fast_row_heights`), only while we typeset.

Output is deterministic: the same LaTeX gives the same bytes in every process (no counters, no clock,
no random ids; ids are derived from the caller's prefix).
"""

from __future__ import annotations

import base64
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal

from cheatsheet.render.math.flatten import flatten, num
from cheatsheet.render.math.rewrite import for_ziamath
from cheatsheet.render.math.tex import LARGE_OPERATOR_CHARS, TypesetError, break_points, parse, unparse

__all__ = ["DEFAULT_SIZE_PX", "DRAWS", "Draw", "SvgMath", "svg", "svg_within"]

#: Default size of formulas: 8.5 pt in CSS px.
DEFAULT_SIZE_PX = 8.5 * 96 / 72
MATH_FONT = "texgyretermes-math.otf"


@dataclass(frozen=True)
class SvgMath:
    """A typeset formula: the SVG text and its box in CSS px.

    ``width`` and ``height`` are the picture's size; ``depth`` is how far it reaches below the
    baseline (the caller writes ``vertical-align: -{depth}px``); ``height - depth`` lies above it.
    ``tex`` is the LaTeX that was typeset (for a searchable text layer).
    """

    svg: str
    width: float
    height: float
    depth: float
    tex: str = field(default="", compare=False)

    @property
    def ascent(self) -> float:
        """Height above the baseline."""
        return self.height - self.depth

    @property
    def data_uri(self) -> str:
        """The SVG as a ``data:image/svg+xml;base64,...`` URI (for an ``<img src>``)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")

    def html(self, *, cls: str = "math") -> str:
        """The inline ``<svg>`` element, baseline-aligned with ``vertical-align``, hidden from screen readers.

        (The caller puts the TeX source next to it as text for search and accessibility.)
        """
        from html import escape

        style = f"vertical-align:{num(-self.depth)}px"
        return self.svg.replace("<svg ", f'<svg class="{escape(cls)}" style="{style}" aria-hidden="true" ', 1)

    def img(self, *, alt: str | None = None, cls: str = "math") -> str:
        """An ``<img>`` with the SVG as a data URI, sized and baseline-aligned (``alt`` defaults to the LaTeX).

        In WeasyPrint this is no faster than the inline :meth:`html` for a flattened formula (same CPU
        time on a 4-page sheet); for ziamath's own SVG (``draw="symbols"``) it is 1.4x faster.
        """
        from html import escape

        text = self.tex if alt is None else alt
        return (
            f'<img class="{escape(cls)}" src="{self.data_uri}" alt="{escape(text)}" '
            f'width="{num(self.width)}" height="{num(self.height)}" '
            f'style="vertical-align:{num(-self.depth)}px">'
        )


# ------------------------------------------------------------------------------ ziamath
@cache
def _font() -> str:
    from cheatsheet.render.resources import font_path

    return str(font_path(MATH_FONT))


class _Collect(logging.Handler):
    """Keeps the warnings logged while ziamath typesets (a missing glyph is only logged)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def ziamath_mathml(tex: str, display: bool) -> ET.Element:
    """The MathML element handed to ziamath: the rewritten LaTeX through latex2mathml, with ``\\hat`` fixed."""
    from ziamath.tex import tex2mml

    mml = tex2mml(for_ziamath(tex, display), inline=not display)
    root = ET.fromstring(mml)
    for el in root.iter():
        if el.tag.endswith("mo") and (el.text or "").strip() in LARGE_OPERATOR_CHARS and "stretchy" not in el.attrib:
            # ziamath's operator table makes ∑ stretchy: inside \left( \right) the sum and the fences
            # then stretch each other to a 2000 px tall picture. Large operators never stretch in TeX.
            el.set("stretchy", "false")
        if el.tag.endswith("mover") and el.get("accent") == "true" and len(el) == 2:
            acc = el[1]
            if acc.tag.endswith("mo") and (acc.text or "") == "\u0302":  # ziamath's tex2mml made \hat stretchy
                acc.text = "\u02c6"
                acc.set("stretchy", "false")
    return root


@lru_cache(maxsize=4096)
def raw_svg(tex: str, size_px: float, display: bool) -> str:
    """ziamath's SVG for ``tex`` (quirks fixed), unprefixed; raises :class:`TypesetError`."""
    from ziamath.zmath import Math

    from cheatsheet.render.adapters.ziamath import fast_row_heights

    try:
        element = ziamath_mathml(tex, display)
    except Exception as exc:  # any parser failure names the formula
        raise TypesetError("latex2mathml", tex, f"{type(exc).__name__}: {exc}") from exc
    handler = _Collect()
    logger = logging.getLogger()
    logger.addHandler(handler)
    try:
        with fast_row_heights():
            text: str = Math(element, size=size_px, font=_font()).svg()
    except Exception as exc:  # an engine's failure names the formula
        raise TypesetError("ziamath", tex, f"{type(exc).__name__}: {exc}") from exc
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise TypesetError("ziamath", tex, "; ".join(handler.messages))
    return text


# ------------------------------------------------------------------------------ the picture
_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]*)"')
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")


def _prefix_ids(text: str, prefix: str) -> str:
    """Every ``id`` and same-document ``href`` prefixed with ``prefix``."""
    return _ID.sub(lambda m: f'{m.group(1)}="{m.group(2)}{prefix}{m.group(3)}"', text)


def _viewbox(text: str) -> tuple[float, float, float, float]:
    m = re.search(r'viewBox="([^"]+)"', text)
    if m is None:
        raise TypesetError("ziamath", "", "SVG without a viewBox")
    x, y, w, h = (float(v) for v in m.group(1).split())
    return x, y, w, h


#: How :func:`svg` draws the glyphs (figures: a 4-page sheet of 221 formulas, WeasyPrint 70, 2 cores).
Draw = Literal["paths", "glyphs", "symbols"]
DRAWS: tuple[str, ...] = ("paths", "glyphs", "symbols")


def svg(
    tex: str, *, prefix: str, size_px: float = DEFAULT_SIZE_PX, display: bool = True, draw: Draw = "paths"
) -> SvgMath:
    """Typeset ``tex`` with ziamath and the bundled TeX Gyre Termes Math font.

    ``prefix`` (e.g. ``"softplus-d-input-"``, a letter first) is put before every id of the SVG so
    that many formulas in one page never share ids; ``size_px`` is the font size in CSS px (8.5 pt =
    11.33 px); ``display`` selects display style (limits below sums, full-size fractions).

    ``draw`` chooses the SVG's structure; the picture is the same (PNG renderings compared):

    - ``"paths"`` (default): all glyph outlines in one ``<path>``, rules in another, no ids at all.
      WeasyPrint renders a page of math 2.0x faster than ziamath's own SVG; the PDF is 3.1x larger
      (glyph outlines at absolute positions no longer repeat byte for byte, so they compress less).
    - ``"glyphs"``: one ``<path transform=...>`` per glyph, no ids: 1.7x faster, the PDF as small
      as ziamath's own.
    - ``"symbols"``: ziamath's ``<symbol>`` per glyph and ``<use>`` per occurrence, ids prefixed.

    An SVG that the flattener does not understand is kept as ziamath wrote it, with prefixed ids.
    Raises :class:`TypesetError` naming the formula when an engine fails.
    """
    if not _PREFIX.match(prefix):
        raise ValueError(
            f"prefix {prefix!r} must start with a letter and hold only letters, digits, '_', '-', '.', ':'"
        )
    if draw not in DRAWS:
        raise ValueError(f"draw={draw!r}: expected one of {list(DRAWS)}")
    text = raw_svg(tex, float(size_px), display)
    flat = flatten(text, per_glyph=draw == "glyphs") if draw != "symbols" else None
    text = flat if flat is not None else _prefix_ids(text, prefix)
    _, y, w, h = _viewbox(text)
    return SvgMath(svg=text, width=round(w, 3), height=round(h, 3), depth=round(y + h, 3), tex=tex)


# ------------------------------------------------------------------------------ line breaking
def svg_within(
    tex: str, max_width_px: float, *, prefix: str, size_px: float = DEFAULT_SIZE_PX, display: bool = True
) -> SvgMath:
    """:func:`svg`, broken into lines when the formula is wider than ``max_width_px``.

    Lines break before a top-level relation or binary ``+``/``-`` (:func:`break_points`), each line
    as long as fits, continuation lines indented by a quad and set flush left in an ``aligned``
    environment. A formula with no break point that fits is returned unbroken (wider than asked:
    the caller's layout check reports it). ``tex`` of the result stays the original formula.
    """
    whole = svg(tex, prefix=prefix, size_px=size_px, display=display)
    if whole.width <= max_width_px:
        return whole
    items = parse(tex)
    cuts = break_points(tex)
    if not cuts:
        return whole

    def width(line: str) -> float:
        return svg(line, prefix=prefix, size_px=size_px, display=display).width

    lines = _fill_lines(items, cuts, lambda line: width(line) <= max_width_px)
    if len(lines) == 1:
        return whole
    broken = r"\begin{aligned}&" + r"\\&".join(lines) + r"\end{aligned}"
    result = svg(broken, prefix=prefix, size_px=size_px, display=display)
    return SvgMath(svg=result.svg, width=result.width, height=result.height, depth=result.depth, tex=tex)


def _fill_lines(items: list[Any], cuts: list[int], fits: Callable[[str], bool]) -> list[str]:
    """The lines of ``items`` cut at some of ``cuts``, each as long as ``fits`` allows (at least one piece);
    continuation lines start with a quad."""

    def line(a: int, b: int, first: bool) -> str:
        body = unparse(items[a:b]).strip()
        return body if first else r"\quad {}" + body

    lines: list[str] = []
    start, ends = 0, [*cuts, len(items)]
    while start < len(items):
        first = not lines
        later = [e for e in ends if e > start]
        end = next((e for e in reversed(later) if fits(line(start, e, first))), later[0])
        lines.append(line(start, end, first))
        start = end
    return lines
