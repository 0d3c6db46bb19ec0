"""The PDF's page model: the content box every paper shares, its columns, and cards packed into pages.

Our own pagination (see :mod:`cheatsheet.render.paged`) needs the geometry before anything is drawn: the
measuring document sets formulas to the column's width, :func:`paginate` packs measured heights into
columns, and the joining step (:mod:`cheatsheet.render.join`) points the outline and the contents links at
where each item landed. This module is that shared model, pure arithmetic, with no WeasyPrint or pypdf.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cheatsheet.sheet import Card, Section

__all__ = [
    "GEOMETRY",
    "LINK_SCHEME",
    "PAPER_MM",
    "PT_PER_MM",
    "PX_PER_MM",
    "Geometry",
    "Item",
    "Page",
    "body_px",
    "paginate",
]

#: CSS px and PDF points per mm.
PX_PER_MM = 96 / 25.4
PT_PER_MM = 72 / 25.4
#: The scheme of the contents links: they point across page documents, and are rewritten into GoTo actions.
LINK_SCHEME = "cheatsheet:"


@dataclass(frozen=True)
class Geometry:
    """The content box shared by every paper (it fits A4 and US Letter landscape), in mm."""

    width_mm: float = 263.0
    height_mm: float = 190.0
    columns: int = 3
    gap_mm: float = 4.5
    footer_mm: float = 4.4  # the footer's height with its border and padding
    card_inset_mm: float = 4.2  # a card's padding and left border and a formula's indent (sheet.css)
    reason_mm: float = 24.0  # the width a derivation step's justification keeps beside the step

    @property
    def column_mm(self) -> float:
        """The width of one column."""
        return (self.width_mm - (self.columns - 1) * self.gap_mm) / self.columns

    @property
    def formula_px(self) -> float:
        """The widest a formula may be set on a card, in CSS px (wider ones are broken into lines)."""
        return (self.column_mm - self.card_inset_mm) * PX_PER_MM

    @property
    def step_px(self) -> float:
        """The widest a derivation step may be set, beside its justification, in CSS px."""
        return (self.column_mm - self.card_inset_mm - self.reason_mm) * PX_PER_MM


GEOMETRY = Geometry()

#: Paper name -> (width, height) in mm, landscape.
PAPER_MM = {"a4": (297.0, 210.0), "letter": (279.4, 215.9)}


def body_px(geometry: Geometry = GEOMETRY) -> float:
    """The height a column can fill, in CSS px: the content box less the footer, less 1 px of slack for
    rounding."""
    return (geometry.height_mm - geometry.footer_mm) * PX_PER_MM - 1.0


@dataclass(frozen=True)
class Item:
    """A section heading (``card`` None) or a card, in a column."""

    section: Section
    card: Card | None
    top_px: float  # distance from the top of the content box


@dataclass
class Page:
    """One page: its columns of items, whether it carries the masthead, its number and the total."""

    columns: list[list[Item]] = field(default_factory=list)
    masthead: bool = False
    number: int = 0
    total: int = 0


def paginate(
    sections: Sequence[Section],
    heights: Mapping[str, float],
    heading_heights: Mapping[str, float],
    masthead_px: float,
    geometry: Geometry = GEOMETRY,
) -> list[Page]:
    """Pack headings and cards into columns and pages, in order, never splitting a card.

    ``heights`` are the cards' margin-box heights in CSS px (by card id), ``heading_heights`` the
    section headings' (by section id); a heading stays with the card that follows it.
    """
    limit = body_px(geometry)
    pages: list[Page] = []
    page = Page(masthead=True)
    column: list[Item] = []
    top0 = masthead_px
    used = top0

    def next_column() -> None:
        nonlocal page, column, used, top0
        page.columns.append(column)
        column = []
        if len(page.columns) == geometry.columns:
            pages.append(page)
            page = Page()
            top0 = 0.0
        used = top0

    for section in sections:
        for k, card in enumerate(section.cards):
            need = heights[card.id] + (heading_heights[section.id] if k == 0 else 0.0)
            if column and used + need > limit:
                next_column()
            if k == 0:
                column.append(Item(section, None, used))
                used += heading_heights[section.id]
            column.append(Item(section, card, used))
            used += heights[card.id]
    if column:
        page.columns.append(column)
    if page.columns:
        pages.append(page)
    for number, p in enumerate(pages, start=1):
        while len(p.columns) < geometry.columns:
            p.columns.append([])
        p.number, p.total = number, len(pages)
    return pages
