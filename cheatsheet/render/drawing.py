"""Drawing the PDF's pages: one small WeasyPrint document per page, each PDF cached by its HTML.

WeasyPrint draws a whole document every time, about 2 s of CPU per dense page, most of it parsing and
drawing the math's SVG paths (FINDINGS §4). A page of its own is a document of its own, so an edit to one
rule re-draws only the pages whose HTML changed; the others come from the cache, and what is new is drawn
in parallel. A damaged cache entry is drawn again rather than stopping the join with a pypdf error.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

from cheatsheet import cache as entries
from cheatsheet import pools

__all__ = ["draw_pages"]


def _draw(args: tuple[str, str]) -> bytes:
    """One document's PDF, in a worker process (module level, so that a spawned worker can import it)."""
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
