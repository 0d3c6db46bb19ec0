"""The PDF, page by page: our own pagination, one WeasyPrint document per page, cached, then joined.

WeasyPrint lays out and draws a whole document every time, about 2 s of CPU per dense page, most of
it parsing and drawing the math's SVG paths (FINDINGS §4). So the sheet is paginated here instead:
every card is measured once (its height is cached by its HTML), cards are packed into three columns
per page in catalog order (a card never breaks), and each page becomes a small document of its own
whose PDF is cached by its HTML. An edit to one rule re-draws only the pages whose content changed.
pypdf joins the pages, frames them on the paper (A4 and US Letter share one content box, so the same
drawn pages serve both), and adds the outline, the contents links and the metadata.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from cheatsheet import cache as entries
from cheatsheet import pools
from cheatsheet.sheet import Card, Section

__all__ = ["GEOMETRY", "LINK_SCHEME", "Geometry", "Item", "LayoutError", "Measured", "Page", "assemble", "paginate", "render_pdf"]

_PX_PER_MM = 96 / 25.4
_PT_PER_MM = 72 / 25.4
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
        return (self.column_mm - self.card_inset_mm) * _PX_PER_MM

    @property
    def step_px(self) -> float:
        """The widest a derivation step may be set, beside its justification, in CSS px."""
        return (self.column_mm - self.card_inset_mm - self.reason_mm) * _PX_PER_MM


GEOMETRY = Geometry()

#: Paper name -> (width, height) in mm, landscape.
PAPER_MM = {"a4": (297.0, 210.0), "letter": (279.4, 215.9)}


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


def paginate(sections: Sequence[Section], heights: Mapping[str, float], heading_heights: Mapping[str, float],
             masthead_px: float, geometry: Geometry = GEOMETRY) -> list[Page]:
    """Pack headings and cards into columns and pages, in order, never splitting a card.

    ``heights`` are the cards' margin-box heights in CSS px (by card id), ``heading_heights`` the
    section headings' (by section id); a heading stays with the card that follows it.
    """
    body_px = (geometry.height_mm - geometry.footer_mm) * _PX_PER_MM - 1.0  # 1 px of slack for rounding
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
            if column and used + need > body_px:
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


# ------------------------------------------------------------------------------ measuring
@dataclass(frozen=True)
class Measured:
    """What the measuring document says of one element: its margin-box height (CSS px) and, for a card,
    what sticks out of it on the right (empty when nothing does)."""

    height: float
    overflow: str = ""


def _text(box: Any) -> str:
    """All the text inside ``box``."""
    return getattr(box, "text", "") + "".join(_text(child) for child in getattr(box, "children", ()))


def _is_tex(box: Any) -> bool:
    """Whether ``box`` is the invisible TeX source printed beside a formula (``<span class="tex">``)."""
    element = getattr(box, "element", None)
    return element is not None and "tex" in (element.get("class") or "").split()


def _tex_after(siblings: Sequence[Any], k: int) -> str:
    """The TeX source printed (invisibly) right after the formula at ``siblings[k]``, if any."""
    return next((_text(box) for box in siblings[k + 1:k + 3] if _is_tex(box)), "")


def _overflow(card: Any) -> str:
    """The first text or picture inside ``card`` (a laid-out article) that reaches past its content box
    on the right, with what to do about it. Leaves only: a line box also counts the margins after its
    last inline block."""
    right = card.content_box_x() + card.width

    def walk(box: Any) -> str:
        children = list(getattr(box, "children", ()))
        for k, child in enumerate(children):
            if _is_tex(child):
                continue  # placed out of the flow
            if not getattr(child, "children", None) and hasattr(child, "content_box_x"):
                excess = child.content_box_x() + child.width - right
                if excess > 0.5:
                    tag = str(getattr(child, "element_tag", ""))
                    if tag.endswith("svg"):
                        return (f"the formula {_tex_after(children, k)!r} is {excess / _PX_PER_MM:.1f} mm wider than "
                                "the card; shorten it, or give it a top-level =, + or - to break at")
                    return (f"the text {getattr(child, 'text', tag)!r} is {excess / _PX_PER_MM:.1f} mm wider than the "
                            "card; shorten the word, or put a space or an underscore in it to break at")
            found = walk(child)
            if found:
                return found
        return ""

    return walk(card)


def _measure_boxes(document: Any) -> dict[str, Measured]:
    """Height (and, for cards, overflow) of the elements with an id (the outermost box of each)."""
    from cheatsheet.render.adapters.weasyprint import page_box

    out: dict[str, Measured] = {}

    def walk(box: Any) -> None:
        element = getattr(box, "element", None)
        if element is not None:
            ident = element.get("id")
            tag = getattr(box, "element_tag", "")
            if ident and ident not in out and tag in ("article", "h2", "header"):
                out[ident] = Measured(float(box.margin_height()), _overflow(box) if tag == "article" else "")
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page_box(page))  # WeasyPrint exposes no public box tree: read through the adapter
    return out


def measure(html: str, base: Path) -> dict[str, Measured]:
    """Lay out (without drawing) a measuring document: height and overflow by element id."""
    import weasyprint

    from cheatsheet.render.pdf import BundledOnlyFetcher

    document = weasyprint.HTML(string=html, base_url=str(base) + "/", url_fetcher=BundledOnlyFetcher(base)).render()
    return _measure_boxes(document)


def _measure_one(args: tuple[str, str]) -> dict[str, Measured]:
    html, base = args
    return measure(html, Path(base))


def _measure_all(cards: Sequence[Card], measure_html: Callable[[Sequence[Card], bool], str], base: Path,
                 jobs: int, masthead: bool) -> dict[str, Measured]:
    """Measure ``cards`` and the headings (and the masthead), split over ``jobs`` processes when many."""
    if jobs < 2 or len(cards) < 16:
        return measure(measure_html(cards, masthead), base)
    chunks = [cards[k::jobs] for k in range(jobs)]  # interleaved: later families have the bigger cards
    work = [(measure_html(chunk, masthead and k == 0), str(base)) for k, chunk in enumerate(chunks)]
    out: dict[str, Measured] = {}
    with ProcessPoolExecutor(max_workers=len(work), mp_context=pools.context()) as pool:
        for part in pool.map(_measure_one, work):
            out.update(part)
    return out


# ------------------------------------------------------------------------------ drawing pages
def _draw(args: tuple[str, str]) -> bytes:
    html, base = args
    from cheatsheet.render.pdf import html_to_pdf

    return html_to_pdf(html, Path(base))


def draw_pages(htmls: Sequence[str], base: Path, folders: Sequence[Path], jobs: int) -> list[bytes]:
    """Each document's PDF: from its cache folder (``folders[k]`` for ``htmls[k]``) when its HTML was drawn
    before, else drawn (in parallel)."""
    version = metadata.version("weasyprint")
    keys = [hashlib.sha256((version + "\0" + h).encode()).hexdigest() for h in htmls]
    out: dict[int, bytes] = {}
    todo: list[int] = []
    for k, key in enumerate(keys):
        pdf = entries.read(folders[k], key, ".pdf")
        if pdf is not None and _whole_pdf(pdf):
            out[k] = pdf
        else:  # none, or damaged: drawn again
            todo.append(k)
    work = [(htmls[k], str(base)) for k in todo]
    if jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=pools.context()) as pool:
            drawn = list(pool.map(_draw, work))
    else:
        drawn = [_draw(w) for w in work]
    for k, pdf in zip(todo, drawn, strict=True):
        out[k] = pdf
        entries.write(folders[k], keys[k], pdf, ".pdf")
    return [out[k] for k in range(len(htmls))]


def _whole_pdf(pdf: bytes) -> bool:
    """Whether a cached drawing is a PDF that pypdf reads, with at least one page (a damaged one is drawn
    again rather than stopping the join with a pypdf error)."""
    if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-64:]:
        return False
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(io.BytesIO(pdf)).pages) >= 1
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return False


def _height_entry(folder: Path, key: str) -> list[Any] | None:
    """The cached ``[height in px, overflow message]`` of a measured block, or None (none, damaged, wrong shape)."""
    entry = entries.read_json(folder, key)
    if (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], (int, float))
            and not isinstance(entry[0], bool) and math.isfinite(entry[0]) and entry[0] >= 0 and isinstance(entry[1], str)):
        return entry
    return None


# ------------------------------------------------------------------------------ joining
@dataclass(frozen=True)
class Target:
    """Where an outline entry or a link points: a page index and a point in PDF units (pt)."""

    page: int
    x_pt: float
    y_pt: float


def targets(pages: Sequence[Page], geometry: Geometry = GEOMETRY) -> dict[str, Target]:
    """Section ('sec-<family>') and card ids -> their position on the sheet."""
    out: dict[str, Target] = {}
    height_pt = geometry.height_mm * _PT_PER_MM
    for index, page in enumerate(pages):
        for c, column in enumerate(page.columns):
            x = c * (geometry.column_mm + geometry.gap_mm) * _PT_PER_MM
            for item in column:
                key = item.card.id if item.card is not None else f"sec-{item.section.id}"
                out[key] = Target(index, round(x, 2), round(height_pt - item.top_px * 0.75, 2))
    return out


def _stream(data: bytes) -> Any:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _lay_over(writer: Any, page: Any, overlay: Any, save: Any, restore: Any) -> None:
    """Draw ``overlay`` (a page of the same size) over ``page``, as a form XObject drawn after the page's
    own content: the page's stream is neither parsed nor recompressed (pypdf's merge_page does both,
    about 0.1 s a page)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    from cheatsheet.render.adapters.pypdf import add_object

    form = _stream(overlay.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): overlay.mediabox,
        NameObject("/Resources"): overlay["/Resources"].get_object().clone(writer),
    })
    form_ref = add_object(writer, form.flate_encode())
    resources = page["/Resources"].get_object()
    xobjects = resources.get("/XObject")
    if xobjects is None:
        xobjects = DictionaryObject()
        resources[NameObject("/XObject")] = xobjects
    xobjects.get_object()[NameObject("/CheatsheetFooter")] = form_ref
    contents = page["/Contents"].get_object()
    own = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
    page[NameObject("/Contents")] = ArrayObject([save, *own, restore])


def assemble(page_pdfs: Sequence[bytes], paper: str, pages: Sequence[Page], meta: Mapping[str, str],
             geometry: Geometry = GEOMETRY, footers: bytes | None = None) -> bytes:
    """Join the page PDFs on ``paper``: centred content box, the footers laid over (page k of the
    ``footers`` PDF on page k), outline by family and rule, contents links, metadata. Deterministic:
    the same inputs give the same bytes."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, RectangleObject, TextStringObject

    paper_w, paper_h = PAPER_MM[paper]
    dx = (paper_w - geometry.width_mm) / 2 * _PT_PER_MM
    dy = (paper_h - geometry.height_mm) / 2 * _PT_PER_MM
    box = RectangleObject([-dx, -dy, paper_w * _PT_PER_MM - dx, paper_h * _PT_PER_MM - dy])
    writer = PdfWriter()
    _add_pages(writer, page_pdfs, footers)
    for page in writer.pages:
        for name in ("/MediaBox", "/CropBox", "/TrimBox", "/BleedBox", "/ArtBox"):
            page[NameObject(name)] = box
    where = targets(pages, geometry)
    _link_contents(writer, where)
    _add_outline(writer, pages, where)
    writer.add_metadata({NameObject(k): TextStringObject(v) for k, v in meta.items()})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _add_pages(writer: Any, page_pdfs: Sequence[bytes], footers: bytes | None) -> None:
    """Each one-page PDF as a page of ``writer``, with page k of ``footers`` (if any) laid over page k."""
    from pypdf import PdfReader

    from cheatsheet.render.adapters.pypdf import add_object

    footer_pages = PdfReader(io.BytesIO(footers)).pages if footers is not None else None
    save = restore = None
    if footer_pages is not None:  # shared by every page (pypdf has no public add_object)
        save = add_object(writer, _stream(b"q\n"))
        restore = add_object(writer, _stream(b"Q\nq /CheatsheetFooter Do Q\n"))
    for k, pdf in enumerate(page_pdfs):
        (page,) = PdfReader(io.BytesIO(pdf)).pages
        added = writer.add_page(page)
        if footer_pages is not None:
            _lay_over(writer, added, footer_pages[k], save, restore)


def _link_contents(writer: Any, where: Mapping[str, Target]) -> None:
    """The contents' links (``cheatsheet:<id>`` URIs, across page documents) made GoTo actions to their target."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject

    for page in writer.pages:
        for annot_ref in page.get("/Annots", []) or []:
            annot = annot_ref.get_object()
            action = annot.get("/A")
            uri = action.get_object().get("/URI") if action is not None else None
            if uri is not None and str(uri).startswith(LINK_SCHEME):
                target = where[str(uri)[len(LINK_SCHEME):]]
                dest = ArrayObject([writer.pages[target.page].indirect_reference, NameObject("/XYZ"),
                                    FloatObject(target.x_pt), FloatObject(target.y_pt), FloatObject(0)])
                annot[NameObject("/A")] = DictionaryObject({NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): dest})


def _add_outline(writer: Any, pages: Sequence[Page], where: Mapping[str, Target]) -> None:
    """The outline: a section per family, a rule per card under it."""
    from pypdf.generic import Fit

    headings = [item for page in pages for column in page.columns for item in column if item.card is None]
    for item in headings:
        t = where[f"sec-{item.section.id}"]
        parent = writer.add_outline_item(title=item.section.title, page_number=t.page,
                                         fit=Fit.xyz(left=t.x_pt, top=t.y_pt, zoom=0))
        for card in item.section.cards:
            ct = where[card.id]
            writer.add_outline_item(title=f"{card.title} ({card.id})", page_number=ct.page, parent=parent,
                                    fit=Fit.xyz(left=ct.x_pt, top=ct.y_pt, zoom=0))


# ------------------------------------------------------------------------------ the whole PDF
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
    known = _heights(sections, measure_html, base=base, folder=cache / "heights", jobs=jobs)
    _check_fit(sections, known)
    pages = paginate(sections, known.cards, known.headings, known.masthead)
    htmls = [page_html(p) for p in pages]
    folders = [cache / "pages"] * len(htmls)
    if footer_html:  # drawn beside the pages (an edit redraws a page and the footers: one each per core)
        htmls.append(footer_html(len(pages)))
        folders.append(cache / "footers")
    drawn = draw_pages(htmls, base, folders, jobs)
    page_pdfs, footers = drawn[:len(pages)], (drawn[-1] if footer_html else None)
    return _join(page_pdfs, papers, pages, meta, footers, jobs)


@dataclass(frozen=True)
class _Heights:
    """The measured margin-box heights (CSS px) of the cards (by id), the section headings (by section id) and
    the masthead, and what sticks out of each card (by id; empty when nothing does)."""

    cards: dict[str, float]
    headings: dict[str, float]
    masthead: float
    overflows: dict[str, str]


def _heights(sections: Sequence[Section], measure_html: Callable[[Sequence[Card], bool], str], *, base: Path,
             folder: Path, jobs: int) -> _Heights:
    """Every block's height: from ``folder`` (one entry per measured block, ``[height in px, overflow message
    or ""]``, keyed by its measuring HTML) when measured before, else measured now and stored."""
    cards = [c for s in sections for c in s.cards]

    def key(text: str) -> str:  # (the layout version tells these [height, overflow] pairs from older entries)
        return hashlib.sha256((metadata.version("weasyprint") + "\0layout 2\0" + text).encode()).hexdigest()

    card_keys = {c.id: key(measure_html([c], False)) for c in cards}
    masthead_key = key(measure_html([], True))
    heading_keys = {s.id: key("heading\0" + s.id + "\0" + s.title + "\0" + measure_html([], False)) for s in sections}
    known: dict[str, list[Any]] = {}
    for k in {*card_keys.values(), masthead_key, *heading_keys.values()}:
        entry = _height_entry(folder, k)
        if entry is not None:  # (none, or damaged: measured again)
            known[k] = entry
    missing = [c for c in cards if card_keys[c.id] not in known]
    need_masthead = masthead_key not in known
    need_headings = any(k not in known for k in heading_keys.values())
    if missing or need_masthead or need_headings:
        measured = _measure_all(missing, measure_html, base, jobs, need_masthead)
        fresh: dict[str, list[Any]] = {card_keys[c.id]: [measured[c.id].height, measured[c.id].overflow] for c in missing}
        if need_masthead:
            fresh[masthead_key] = [measured["masthead"].height, ""]
        for s in sections:
            fresh[heading_keys[s.id]] = [measured[f"sec-{s.id}"].height, ""]
        for k, entry in fresh.items():
            if known.get(k) != entry:
                entries.write_json(folder, k, entry)
        known.update(fresh)
    return _Heights(
        cards={c.id: float(known[card_keys[c.id]][0]) for c in cards},
        headings={s.id: float(known[heading_keys[s.id]][0]) for s in sections},
        masthead=float(known[masthead_key][0]),
        overflows={c.id: str(known[card_keys[c.id]][1]) for c in cards},
    )


def _check_fit(sections: Sequence[Section], known: _Heights) -> None:
    """Raise :class:`LayoutError` for the first card that sticks out on the right or is taller than a column."""
    column_px = (GEOMETRY.height_mm - GEOMETRY.footer_mm) * _PX_PER_MM - 1.0
    for c in (c for s in sections for c in s.cards):
        if known.overflows[c.id]:
            raise LayoutError(f"card {c.id!r}: {known.overflows[c.id]}")
        if known.cards[c.id] > column_px:
            raise LayoutError(
                f"card {c.id!r} is {known.cards[c.id] / _PX_PER_MM:.0f} mm tall, more than a column "
                f"({column_px / _PX_PER_MM:.0f} mm): shorten it or split it into several cards"
            )


def _join(page_pdfs: Sequence[bytes], papers: Sequence[str], pages: Sequence[Page], meta: Mapping[str, str],
          footers: bytes | None, jobs: int) -> dict[str, bytes]:
    """:func:`assemble` for each paper, one process per paper when there are several of both."""
    global _JOINING
    if jobs < 2 or len(papers) < 2:
        return {paper: assemble(page_pdfs, paper, pages, meta, footers=footers) for paper in papers}
    import pypdf  # noqa: F401 - imported once here, not in each worker

    if not pools.shares_memory():  # spawned workers see no globals: they get the inputs pickled
        with ProcessPoolExecutor(max_workers=min(jobs, len(papers)), mp_context=pools.context()) as pool:
            joined = pool.map(_assemble_given, [(page_pdfs, paper, pages, meta, footers) for paper in papers])
            return dict(zip(papers, joined, strict=True))
    _JOINING = (page_pdfs, pages, meta, footers)  # read by the forked workers, not pickled to them
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(papers)), mp_context=pools.context()) as pool:
            return dict(zip(papers, pool.map(_assemble_paper, papers), strict=True))
    finally:
        _JOINING = None


_JOINING: tuple[Sequence[bytes], Sequence[Page], Mapping[str, str], bytes | None] | None = None


def _assemble_given(args: tuple[Sequence[bytes], str, Sequence[Page], Mapping[str, str], bytes | None]) -> bytes:
    """:func:`assemble` for one paper in a spawned worker, from its pickled inputs."""
    page_pdfs, paper, pages, meta, footers = args
    return assemble(page_pdfs, paper, pages, meta, footers=footers)


def _assemble_paper(paper: str) -> bytes:
    """:func:`assemble` for one paper, in a forked worker, from the inputs :func:`render_pdf` left in ``_JOINING``."""
    assert _JOINING is not None
    page_pdfs, pages, meta, footers = _JOINING
    return assemble(page_pdfs, paper, pages, meta, footers=footers)
