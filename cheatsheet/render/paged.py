"""The PDF, page by page: our own pagination, one WeasyPrint document per page, cached, then joined.

WeasyPrint lays out and draws a whole document every time, about 2 s of CPU per dense page, most of
it parsing and drawing the math's SVG paths (FINDINGS §4). So the sheet is paginated here instead:
every card is measured once (its height is cached by its HTML), cards are packed into three columns
per page in catalog order (a card never breaks), and each page becomes a small document of its own
whose PDF is cached by its HTML. An edit to one rule re-draws only the pages whose content changed.
pypdf joins the pages, frames them on the paper (A4 and US Letter share one content box, so the same
drawn pages serve both), and adds the outline, the contents links and the metadata.

This module runs those steps in order (:func:`render_pdf`); each step has a module of its own:
:mod:`~cheatsheet.render.layout` (the geometry, the page model, pagination), :mod:`~cheatsheet.render.measure`
(heights, cached and in parallel), :mod:`~cheatsheet.render.drawing` (page PDFs, cached and in parallel) and
:mod:`~cheatsheet.render.join` (the papers' PDFs with pypdf).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cheatsheet.render.drawing import draw_pages
from cheatsheet.render.join import join
from cheatsheet.render.layout import PX_PER_MM, Page, body_px, paginate
from cheatsheet.render.measure import Heights, measured_heights
from cheatsheet.sheet import Card, Section

__all__ = ["LayoutError", "draw_pages", "render_pdf"]


class LayoutError(ValueError):
    """A card that cannot be placed: taller than a column (the message names it)."""


def render_pdf(
    sections: Sequence[Section],
    page_html: Callable[[Page], str],
    measure_html: Callable[[Sequence[Card], bool], str],
    papers: Sequence[str],
    meta: Mapping[str, str],
    *,
    base: Path,
    cache: Path,
    jobs: int,
    footer_html: Callable[[int], str] | None = None,
) -> dict[str, bytes]:
    """The PDF for each paper: measure what is new, paginate, draw changed pages, join."""
    known = measured_heights(sections, measure_html, base=base, folder=cache / "heights", jobs=jobs)
    _check_fit(sections, known)
    pages = paginate(sections, known.cards, known.headings, known.masthead)
    htmls = [page_html(p) for p in pages]
    folders = [cache / "pages"] * len(htmls)
    if footer_html:  # drawn beside the pages (an edit redraws a page and the footers: one each per core)
        htmls.append(footer_html(len(pages)))
        folders.append(cache / "footers")
    drawn = draw_pages(htmls, base, folders, jobs)  # (the module's name, so that a test can wrap it)
    page_pdfs, footers = drawn[: len(pages)], (drawn[-1] if footer_html else None)
    return join(page_pdfs, papers, pages, meta, footers, jobs)


def _check_fit(sections: Sequence[Section], known: Heights) -> None:
    """Raise :class:`LayoutError` for the first card that sticks out on the right or is taller than a column."""
    column_px = body_px()
    for c in (c for s in sections for c in s.cards):
        if known.overflows[c.id]:
            raise LayoutError(f"card {c.id!r}: {known.overflows[c.id]}")
        if known.cards[c.id] > column_px:
            raise LayoutError(
                f"card {c.id!r} is {known.cards[c.id] / PX_PER_MM:.0f} mm tall, more than a column "
                f"({column_px / PX_PER_MM:.0f} mm): shorten it or split it into several cards"
            )
