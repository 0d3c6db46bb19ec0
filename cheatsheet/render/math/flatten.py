"""ziamath's SVG flattened into plain paths: the same picture, drawn 2x faster by WeasyPrint.

ziamath draws each glyph as a ``<symbol>`` and a ``<use>``; WeasyPrint spends most of a page's time on
these nodes (FINDINGS §4). :func:`flatten` replaces every ``<use>`` by the glyph's outline moved where
the ``<use>`` puts it (the transform SVG applies: viewBox scaling, ``xMidYMid meet``), and the fraction
bars and rules by one more path. Anything it does not know makes it give up (None), and the caller
keeps ziamath's own SVG: a picture is never guessed at.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["flatten", "num"]

_SVG_NS = "{http://www.w3.org/2000/svg}"
_PATH_TOKEN = re.compile(r"[MLQCZmlqcz]|-?\d*\.?\d+(?:[eE][-+]?\d+)?")
_ARITY = {"M": 2, "L": 2, "Q": 4, "C": 6, "Z": 0}


def num(v: float, places: int = 3) -> str:
    """A fixed-precision number without trailing zeros ('-0' becomes '0')."""
    text = f"{v:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _transform_path(d: str, sx: float, sy: float, tx: float, ty: float) -> Iterator[str]:
    """The absolute M/L/Q/C/Z path ``d`` mapped by (x, y) -> (sx x + tx, sy y + ty); ValueError otherwise."""
    cmd = ""
    coords: list[float] = []
    for tok in _PATH_TOKEN.findall(d):
        if tok.isalpha():
            if tok not in _ARITY:
                raise ValueError(f"path command {tok!r} is not absolute M/L/Q/C/Z")
            if coords:
                raise ValueError("dangling coordinates in path")
            cmd = tok
            if cmd == "Z":
                yield "Z"
            continue
        coords.append(float(tok))
        n = _ARITY.get(cmd, 0)
        if n == 0:
            raise ValueError("coordinates without a command")
        if len(coords) == n:
            pts = []
            for j in range(0, n, 2):
                pts.append(num(coords[j] * sx + tx))
                pts.append(num(coords[j + 1] * sy + ty))
            yield cmd + " ".join(pts)
            coords = []
    if coords:
        raise ValueError("dangling coordinates in path")


class _Unknown(Exception):
    """The SVG holds something the flattener does not know: the caller keeps ziamath's own."""


@dataclass
class _Drawing:
    """What the walk over ziamath's SVG has found so far."""

    per_glyph: bool
    symbols: dict[str, tuple[list[float], list[str]]] = field(default_factory=dict)  # id -> (viewBox, paths)
    glyphs: list[str] = field(default_factory=list)  # path data, or whole <path> elements when per_glyph
    rules: list[str] = field(default_factory=list)  # path data of the fraction bars and rules


def _nothing(el: ET.Element, drawing: _Drawing) -> None:
    """The root, and a path (inside a symbol: read there; a free one is refused at the end)."""


def _plain_group(el: ET.Element, drawing: _Drawing) -> None:
    if el.attrib:
        raise _Unknown("a <g> with attributes")


def _symbol(el: ET.Element, drawing: _Drawing) -> None:
    """A glyph's definition: its viewBox and outlines (an assembled glyph, a tall brace, groups its parts
    in a plain ``<g>``)."""
    vb = [float(v) for v in el.get("viewBox", "").split()]
    paths = []
    for child in el.iter():
        tag = child.tag.removeprefix(_SVG_NS)
        if child is el or (tag == "g" and not child.attrib):
            continue
        if tag != "path" or set(child.attrib) != {"d"}:
            raise _Unknown(f"a <{tag}> in a symbol")
        paths.append(child.get("d", ""))
    if len(vb) != 4:
        raise _Unknown("a symbol without a viewBox")
    drawing.symbols.setdefault(el.get("id", ""), (vb, paths))  # SVG uses the first element with an id


def _box(el: ET.Element) -> tuple[float, float, float, float]:
    return float(el.get("x", "0")), float(el.get("y", "0")), float(el.get("width", "0")), float(el.get("height", "0"))


def _use(el: ET.Element, drawing: _Drawing) -> None:
    """A glyph placed: its outlines moved (and scaled) where the ``<use>`` draws them."""
    if el.get("fill", "black") != "black" or set(el.attrib) - {"href", "x", "y", "width", "height", "fill"}:
        raise _Unknown("a <use> with other attributes")
    ref = el.get("href", "")
    if not ref.startswith("#") or ref[1:] not in drawing.symbols:
        raise _Unknown("a <use> of an unknown symbol")
    vb, paths = drawing.symbols[ref[1:]]
    if not paths or vb[2] <= 0 or vb[3] <= 0:
        return  # an empty glyph (a space) or a zero-width viewBox, which SVG does not draw
    x, y, w, h = _box(el)
    if w <= 0 or h <= 0:
        return
    s = min(w / vb[2], h / vb[3])  # preserveAspectRatio xMidYMid meet
    tx = x + (w - vb[2] * s) / 2 - vb[0] * s
    ty = y + (h - vb[3] * s) / 2 - vb[1] * s
    for d in paths:
        if drawing.per_glyph:
            outline = "".join(_transform_path(d, 1.0, 1.0, 0.0, 0.0))
            drawing.glyphs.append(
                f'<path transform="matrix({num(s, 6)} 0 0 {num(s, 6)} {num(tx)} {num(ty)})" d="{outline}"/>'
            )
        else:
            drawing.glyphs.extend(_transform_path(d, s, s, tx, ty))


def _rect(el: ET.Element, drawing: _Drawing) -> None:
    """A fraction bar or rule: a closed path."""
    if el.get("fill", "black") != "black" or set(el.attrib) - {"x", "y", "width", "height", "fill"}:
        raise _Unknown("a <rect> with other attributes")
    x, y, w, h = _box(el)
    drawing.rules.append(f"M{num(x)} {num(y)}H{num(x + w)}V{num(y + h)}H{num(x)}Z")


#: What to do with each element of ziamath's SVG, by tag; any other tag is refused.
_ELEMENTS: dict[str, Callable[[ET.Element, _Drawing], None]] = {
    "svg": _nothing,
    "g": _plain_group,
    "symbol": _symbol,
    "path": _nothing,
    "use": _use,
    "rect": _rect,
}


def _walk(root: ET.Element, per_glyph: bool) -> _Drawing:
    """Every element of the SVG, in document order (a ``<use>`` may refer only to a symbol before it)."""
    drawing = _Drawing(per_glyph)
    for el in root.iter():
        tag = el.tag.removeprefix(_SVG_NS)
        if tag not in _ELEMENTS:
            raise _Unknown(f"a <{tag}>")
        _ELEMENTS[tag](el, drawing)
    # Free paths (outside symbols) are not expected from ziamath; refuse rather than guess.
    in_symbols = sum(len(p) for _, p in drawing.symbols.values())
    if sum(1 for el in root.iter() if el.tag.removeprefix(_SVG_NS) == "path") != in_symbols:
        raise _Unknown("a path outside the symbols")
    return drawing


def flatten(text: str, *, per_glyph: bool = False) -> str | None:
    """ziamath's SVG with each ``<use>`` of a glyph ``<symbol>`` replaced by the transformed glyph path.

    All glyphs become one ``<path>``, fraction bars and rules one more (``per_glyph``: one ``<path>``
    per glyph with the transform as an attribute); the picture is the same. Returns None when the SVG
    holds anything this does not know (then the caller keeps ziamath's SVG with prefixed ids).
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    try:
        drawing = _walk(root, per_glyph)
    except (_Unknown, ValueError):
        return None
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{root.get("width")}" height="{root.get("height")}" '
        f'viewBox="{root.get("viewBox")}">'
    )
    body = ""
    if drawing.glyphs and per_glyph:
        body += "".join(drawing.glyphs)
    elif drawing.glyphs:
        body += f'<path d="{"".join(drawing.glyphs)}"/>'
    if drawing.rules:
        body += f'<path d="{"".join(drawing.rules)}"/>'
    return head + body + "</svg>"
