"""Jinja2 rendering of the sheet: the print document that WeasyPrint turns into the PDF, and the
self-contained HTML page. Templates autoescape; only typeset math and plots (produced by our own
code from verified expressions) are marked safe."""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from cheatsheet.render.resources import templates_dir

if TYPE_CHECKING:  # (not at run time: sheet imports sympy, and the no-change build needs only PAPERS from here)
    from cheatsheet.sheet import Section

__all__ = [
    "PAPERS",
    "Meta",
    "Paper",
    "environment",
    "footer_document",
    "hollow",
    "identifier",
    "measure_document",
    "print_page",
    "prose",
    "render_page",
]


@dataclass(frozen=True)
class Paper:
    """A paper size: the CSS name and the file-name suffix of its PDF."""

    name: str
    css: str
    suffix: str


PAPERS: dict[str, Paper] = {"a4": Paper("a4", "A4", ""), "letter": Paper("letter", "letter", "-letter")}


@dataclass(frozen=True)
class Meta:
    """Document metadata (fixed: no clock, no machine-dependent values)."""

    title: str
    subtitle: str
    subject: str
    keywords: str
    author: str
    version: str
    fingerprint: str
    conventions: str
    counts: Mapping[str, int]


_SUPERSCRIPTS = dict(
    zip("⁰⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵝᵞᵟᵠᵡ", "0456789+−=()niTabcdefghjklmoprstuvwxyzβγδφχ", strict=True)
)
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ₐₑₒₓᵢⱼₖₗₘₙₚₛₜᵦᵧᵨᵩᵪ", "0123456789+−aeoxijklmnpstβγρφχ", strict=True))


def prose(text: str) -> Markup:
    """Escaped prose, with Unicode super- and subscript letters (ᵀ, xᵢ, ⁻¹) set as <sup>/<sub>: the bundled
    text fonts have no glyphs for them, and a fallback would pull in a system font. A long identifier in
    the text may break after an underscore (``<wbr>``, as :func:`identifier`)."""
    out: list[str] = []
    mode = ""
    for ch in text:
        kind = "sup" if ch in _SUPERSCRIPTS else "sub" if ch in _SUBSCRIPTS else ""
        if kind != mode:
            if mode:
                out.append(f"</{mode}>")
            if kind:
                out.append(f"<{kind}>")
            mode = kind
        out.append(str(Markup.escape(_SUPERSCRIPTS.get(ch) or _SUBSCRIPTS.get(ch) or ch)))
        if ch == "_":
            out.append("<wbr>")
    if mode:
        out.append(f"</{mode}>")
    return Markup("".join(out))


def identifier(text: str) -> Markup:
    """An identifier (a rule id) as ``<code>``, escaped, that may break after each underscore: one ``<code>``
    per piece with ``<wbr>`` between them (WeasyPrint ignores a ``<wbr>`` inside the code element; no character
    is added, so the id is still found whole by search and in the PDF's text)."""
    pieces = [str(Markup.escape(p)) for p in re.split(r"(?<=_)", text) if p]
    return Markup("<wbr>".join(f"<code>{p}</code>" for p in pieces))


@functools.cache
def environment() -> jinja2.Environment:
    """The template environment: autoescaping, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        # HTML templates autoescape; the LaTeX and Markdown templates escape through their own filters.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["prose"] = prose
    env.filters["identifier"] = identifier
    return env


_FONTS = (
    ("Termes", "normal", "normal", "texgyretermes-regular.otf"),
    ("Termes", "bold", "normal", "texgyretermes-bold.otf"),
    ("Termes", "normal", "italic", "texgyretermes-italic.otf"),
    ("Termes", "bold", "italic", "texgyretermes-bolditalic.otf"),
    ("Heros", "normal", "normal", "texgyreheros-regular.otf"),
    ("Heros", "bold", "normal", "texgyreheros-bold.otf"),
    ("Cursor", "normal", "normal", "texgyrecursor-regular.otf"),
    ("Termes Math", "normal", "normal", "texgyretermes-math.otf"),
)


def fonts_css(*, inline: bool) -> str:
    """@font-face rules for the bundled fonts: relative URLs (PDF) or data URLs (self-contained HTML)."""
    rules = []
    for family, weight, style, file in _FONTS:
        if inline:
            data = base64.b64encode((templates_dir() / "fonts" / file).read_bytes()).decode("ascii")
            src = f'url("data:font/otf;base64,{data}") format("opentype")'
        else:
            src = f'url("fonts/{file}") format("opentype")'
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; src: {src}; }}'
        )
    return "\n".join(rules)


def _read(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")


def print_page(
    sections: Sequence[Section], meta: Meta, page: Any, math: Mapping[str, str], plots: Mapping[str, str]
) -> str:
    """One page of the PDF as its own document (see :mod:`cheatsheet.render.paged`)."""
    from cheatsheet.render.layout import GEOMETRY, LINK_SCHEME

    return (
        environment()
        .get_template("print.html.j2")
        .render(
            sections=sections,
            meta=meta,
            page=page,
            geometry=GEOMETRY,
            link=LINK_SCHEME,
            css=Markup(_read("sheet.css")),
            fonts_css=Markup(fonts_css(inline=False)),
            math=_Pictures(math),
            plots=_Pictures(plots),
        )
    )


def footer_document(meta: Meta, total: int) -> str:
    """The footers of all pages (title, version, catalog fingerprint, page x of y), one per page, to be
    laid over the drawn pages: they change with the catalog, the pages' drawings need not."""
    from cheatsheet.render.layout import GEOMETRY

    return (
        environment()
        .get_template("footer.html.j2")
        .render(
            meta=meta,
            total=total,
            geometry=GEOMETRY,
            css=Markup(_read("sheet.css")),
            fonts_css=Markup(fonts_css(inline=False)),
        )
    )


def measure_document(
    sections: Sequence[Section],
    meta: Meta,
    cards: Sequence[Any],
    with_masthead: bool,
    math: Mapping[str, str],
    plots: Mapping[str, str],
) -> str:
    """A document that lays out ``cards`` (and the headings, and the masthead) exactly as printed.

    Its pictures are hollow (:func:`hollow`): the same boxes without the drawing, which is all that
    layout reads; parsing the glyph outlines took most of the time of measuring the sheet."""
    from cheatsheet.render.layout import GEOMETRY, LINK_SCHEME

    return (
        environment()
        .get_template("measure.html.j2")
        .render(
            sections=sections,
            meta=meta,
            cards=cards,
            with_masthead=with_masthead,
            geometry=GEOMETRY,
            link=LINK_SCHEME,
            css=Markup(_read("sheet.css")),
            fonts_css=Markup(fonts_css(inline=False)),
            math=_Pictures(math, hollow=True),
            plots=_Pictures(plots, hollow=True),
        )
    )


def hollow(snippet: str) -> str:
    """``snippet`` with the content of its (outermost) ``<svg>`` removed: the element and its attributes
    (size, viewBox, baseline) stay, so it lays out in the same box. Without an svg, unchanged."""
    start = snippet.find("<svg")
    if start < 0:
        return snippet
    open_end = snippet.find(">", start) + 1
    close = snippet.rfind("</svg>")
    if open_end <= 0 or close < open_end or snippet[open_end - 2] == "/":
        return snippet
    return snippet[:open_end] + snippet[close:]


def render_page(
    sections: Sequence[Section], meta: Meta, math: Mapping[str, str], plots: Mapping[str, str], links: Mapping[str, str]
) -> str:
    """The self-contained HTML page: MathML formulas, inline plots, styles, script and fonts."""
    template = environment().get_template("page.html.j2")
    return template.render(
        sections=sections,
        meta=meta,
        css=Markup(_read("page.css")),
        script=Markup(_read("page.js")),
        fonts_css=Markup(fonts_css(inline=True)),
        math=_Pictures(math),
        plots=_Pictures(plots),
        links=links,
    )


class _Pictures(Mapping[str, Markup]):
    """Our own typeset formulas or plots by key, as trusted markup; hollowed (:func:`hollow`) as they are
    looked up when ``hollow`` (a measuring document looks up a few of about 900)."""

    def __init__(self, items: Mapping[str, str], *, hollow: bool = False) -> None:
        self._items = items
        self._hollow = hollow

    def __getitem__(self, key: str) -> Markup:
        value = self._items[key]
        return Markup(hollow(value) if self._hollow else value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
