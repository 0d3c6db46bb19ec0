"""SVG helpers of the examples' figures: coordinates, labels with sub- and superscripts, the opening tag.

The figures are SVG strings, deterministic (coordinates rounded to 2 decimals, no ids) and labelled in the
bundled TeX Gyre Heros (:data:`FONT`). WeasyPrint ignores ``baseline-shift``, so scripts are ``<tspan>``
elements shifted with ``dy`` (:func:`svg_label`); label widths are estimated (:func:`text_width`) to size the
boxes around them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from cheatsheet.examples.numbers import FROM_SUPER, MINUS

__all__ = ["FONT", "fmt", "polyline", "svg_label", "svg_open", "text_width"]

#: The label font of the figures: the bundled TeX Gyre Heros, as an SVG attribute (WeasyPrint applies no page
#: CSS inside inline SVG; the HTML page's CSS may add a generic fallback).
FONT = "Heros"


def fmt(v: float) -> str:
    """An SVG coordinate: at most 2 decimals, no trailing zeros, no negative zero."""
    if not math.isfinite(v):
        raise ValueError(f"non-finite SVG coordinate {v!r}")
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def svg_label(text: str, size: float) -> str:
    """SVG text content for a label with TeX-like sub- and superscripts: ``W_1``, ``x^T``, ``z_{12}``.

    Scripts become ``<tspan>`` elements shifted with ``dy`` (WeasyPrint ignores ``baseline-shift``) at 70%
    of the size, the baseline restored after each; everything is XML-escaped.
    """
    text = _scripts(text)
    out: list[str] = []
    small = fmt(size * 0.7)
    k = 0
    shift = 0.0
    while k < len(text):
        ch = text[k]
        if ch in "_^" and k + 1 < len(text):
            if text[k + 1] == "{":
                end = text.index("}", k + 2)
                body, k = text[k + 2 : end], end + 1
            else:
                body, k = text[k + 1], k + 2
            dy = size * 0.28 if ch == "_" else -size * 0.38
            out.append(f'<tspan dy="{fmt(dy - shift)}" font-size="{small}">{escape(body)}</tspan>')
            shift = dy
            continue
        start = k
        while k < len(text) and not (text[k] in "_^" and k + 1 < len(text)):
            k += 1
        chunk = escape(text[start:k])
        if shift:
            out.append(f'<tspan dy="{fmt(-shift)}">{chunk}</tspan>')
            shift = 0.0
        else:
            out.append(chunk)
    return "".join(out)


def _scripts(text: str) -> str:
    """Unicode superscript runs (10⁻⁶, xᵀ) as ^{...}: the bundled Heros has no glyphs for most of them."""
    out, k = [], 0
    while k < len(text):
        if text[k] in FROM_SUPER or text[k] == "\u1d40":
            end = k
            while end < len(text) and (text[end] in FROM_SUPER or text[end] == "\u1d40"):
                end += 1
            body = "".join("T" if c == "\u1d40" else FROM_SUPER[c] for c in text[k:end]).replace("-", MINUS)
            out.append("^{" + body + "}")
            k = end
        else:
            out.append(text[k])
            k += 1
    return "".join(out)


def text_width(text: str, size: float) -> float:
    """A rough width of a label in px (Heros averages about 0.55 em per character; scripts 70%)."""
    text = _scripts(text)
    plain = 0
    scripts = 0
    k = 0
    while k < len(text):
        if text[k] in "_^" and k + 1 < len(text):
            if text[k + 1] == "{":
                end = text.index("}", k + 2)
                scripts += end - k - 2
                k = end + 1
            else:
                scripts += 1
                k += 2
            continue
        plain += 1
        k += 1
    return (plain + 0.7 * scripts) * 0.55 * size


def svg_open(width: float, height: float, cls: str, label: str) -> str:
    """The opening ``<svg>`` tag of a figure (size in CSS px, a role and an accessible label)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(cls)}" width="{fmt(width)}" height="{fmt(height)}" '
        f'viewBox="0 0 {fmt(width)} {fmt(height)}" role="img" aria-label="{escape(label, {chr(34): "&quot;"})}">'
    )


def polyline(points: Sequence[tuple[float, float]]) -> str:
    """SVG path data through ``points``."""
    return "M" + "L".join(f"{fmt(x)} {fmt(y)}" for x, y in points)
