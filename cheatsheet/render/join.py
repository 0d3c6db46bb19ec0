"""Joining the drawn pages into the PDF of each paper, with pypdf.

The pages are drawn once for a content box that fits both papers (:data:`cheatsheet.render.layout.GEOMETRY`);
here each one-page PDF becomes a page of the sheet, framed on the paper (A4 or US Letter landscape), with
its footer laid over it as a form XObject (the page's own stream is neither parsed nor recompressed), and
the sheet gets its outline (a section per family, a rule per card), its contents links (rewritten from
``cheatsheet:<id>`` URIs into GoTo actions) and its metadata. The same inputs give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from cheatsheet import pools
from cheatsheet.render.layout import GEOMETRY, LINK_SCHEME, PAPER_MM, PT_PER_MM, Geometry, Page

__all__ = ["Target", "assemble", "join", "targets"]


@dataclass(frozen=True)
class Target:
    """Where an outline entry or a link points: a page index and a point in PDF units (pt)."""

    page: int
    x_pt: float
    y_pt: float


def targets(pages: Sequence[Page], geometry: Geometry = GEOMETRY) -> dict[str, Target]:
    """Section ('sec-<family>') and card ids -> their position on the sheet."""
    out: dict[str, Target] = {}
    height_pt = geometry.height_mm * PT_PER_MM
    for index, page in enumerate(pages):
        for c, column in enumerate(page.columns):
            x = c * (geometry.column_mm + geometry.gap_mm) * PT_PER_MM
            for item in column:
                key = item.card.id if item.card is not None else f"sec-{item.section.id}"
                out[key] = Target(index, round(x, 2), round(height_pt - item.top_px * 0.75, 2))
    return out


# ------------------------------------------------------------------------------ one paper
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
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): overlay.mediabox,
            NameObject("/Resources"): overlay["/Resources"].get_object().clone(writer),
        }
    )
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


def assemble(
    page_pdfs: Sequence[bytes],
    paper: str,
    pages: Sequence[Page],
    meta: Mapping[str, str],
    geometry: Geometry = GEOMETRY,
    footers: bytes | None = None,
) -> bytes:
    """Join the page PDFs on ``paper``: centred content box, the footers laid over (page k of the
    ``footers`` PDF on page k), outline by family and rule, contents links, metadata. Deterministic:
    the same inputs give the same bytes."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, RectangleObject, TextStringObject

    paper_w, paper_h = PAPER_MM[paper]
    dx = (paper_w - geometry.width_mm) / 2 * PT_PER_MM
    dy = (paper_h - geometry.height_mm) / 2 * PT_PER_MM
    box = RectangleObject([-dx, -dy, paper_w * PT_PER_MM - dx, paper_h * PT_PER_MM - dy])
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
                target = where[str(uri)[len(LINK_SCHEME) :]]
                dest = ArrayObject(
                    [
                        writer.pages[target.page].indirect_reference,
                        NameObject("/XYZ"),
                        FloatObject(target.x_pt),
                        FloatObject(target.y_pt),
                        FloatObject(0),
                    ]
                )
                annot[NameObject("/A")] = DictionaryObject(
                    {NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): dest}
                )


def _add_outline(writer: Any, pages: Sequence[Page], where: Mapping[str, Target]) -> None:
    """The outline: a section per family, a rule per card under it."""
    from pypdf.generic import Fit

    headings = [item for page in pages for column in page.columns for item in column if item.card is None]
    for item in headings:
        t = where[f"sec-{item.section.id}"]
        parent = writer.add_outline_item(
            title=item.section.title, page_number=t.page, fit=Fit.xyz(left=t.x_pt, top=t.y_pt, zoom=0)
        )
        for card in item.section.cards:
            ct = where[card.id]
            writer.add_outline_item(
                title=f"{card.title} ({card.id})",
                page_number=ct.page,
                parent=parent,
                fit=Fit.xyz(left=ct.x_pt, top=ct.y_pt, zoom=0),
            )


# ------------------------------------------------------------------------------ every paper, in parallel
def join(
    page_pdfs: Sequence[bytes],
    papers: Sequence[str],
    pages: Sequence[Page],
    meta: Mapping[str, str],
    footers: bytes | None,
    jobs: int,
) -> dict[str, bytes]:
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
    """:func:`assemble` for one paper, in a forked worker, from the inputs :func:`join` left in ``_JOINING``."""
    assert _JOINING is not None
    page_pdfs, pages, meta, footers = _JOINING
    return assemble(page_pdfs, paper, pages, meta, footers=footers)
