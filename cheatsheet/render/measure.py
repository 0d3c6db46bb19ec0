"""Measuring the sheet's blocks: how tall each card, section heading and the masthead is, and what sticks out.

Pagination (:func:`cheatsheet.render.layout.paginate`) needs every block's height before a page is drawn.
WeasyPrint lays out a measuring document (the cards at the column's width, see
:func:`cheatsheet.render.html.measure_document`) without drawing it, and its box tree gives each block's
margin-box height and, for a card, the first text or formula that reaches past the card's right edge.
Layout costs about a second per dense page, so heights are cached by the measuring HTML of each block
(:func:`measured_heights`) and what is new is measured in parallel.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from cheatsheet import cache as entries
from cheatsheet import pools
from cheatsheet.render.layout import PX_PER_MM
from cheatsheet.sheet import Card, Section

__all__ = ["Heights", "Measured", "measure", "measured_heights"]


@dataclass(frozen=True)
class Measured:
    """What the measuring document says of one element: its margin-box height (CSS px) and, for a card,
    what sticks out of it on the right (empty when nothing does)."""

    height: float
    overflow: str = ""


# ------------------------------------------------------------------------------ reading the box tree
def _text(box: Any) -> str:
    """All the text inside ``box``."""
    return getattr(box, "text", "") + "".join(_text(child) for child in getattr(box, "children", ()))


def _is_tex(box: Any) -> bool:
    """Whether ``box`` is the invisible TeX source printed beside a formula (``<span class="tex">``)."""
    element = getattr(box, "element", None)
    return element is not None and "tex" in (element.get("class") or "").split()


def _tex_after(siblings: Sequence[Any], k: int) -> str:
    """The TeX source printed (invisibly) right after the formula at ``siblings[k]``, if any."""
    return next((_text(box) for box in siblings[k + 1 : k + 3] if _is_tex(box)), "")


def _sticks_out(children: Sequence[Any], k: int, excess: float) -> str:
    """What to say of ``children[k]``, a leaf box that reaches ``excess`` px past the card's right edge."""
    child = children[k]
    tag = str(getattr(child, "element_tag", ""))
    if tag.endswith("svg"):
        return (
            f"the formula {_tex_after(children, k)!r} is {excess / PX_PER_MM:.1f} mm wider than "
            "the card; shorten it, or give it a top-level =, + or - to break at"
        )
    return (
        f"the text {getattr(child, 'text', tag)!r} is {excess / PX_PER_MM:.1f} mm wider than the "
        "card; shorten the word, or put a space or an underscore in it to break at"
    )


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
                    return _sticks_out(children, k, excess)
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


# ------------------------------------------------------------------------------ measuring, in parallel
def measure(html: str, base: Path) -> dict[str, Measured]:
    """Lay out (without drawing) a measuring document: height and overflow by element id."""
    import weasyprint

    from cheatsheet.render.pdf import BundledOnlyFetcher

    document = weasyprint.HTML(string=html, base_url=str(base) + "/", url_fetcher=BundledOnlyFetcher(base)).render()
    return _measure_boxes(document)


def _measure_one(args: tuple[str, str]) -> dict[str, Measured]:
    """:func:`measure` in a worker process (a module-level function, so that a spawned worker can import it)."""
    html, base = args
    return measure(html, Path(base))


def _measure_all(
    cards: Sequence[Card], measure_html: Callable[[Sequence[Card], bool], str], base: Path, jobs: int, masthead: bool
) -> dict[str, Measured]:
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


# ------------------------------------------------------------------------------ the cache of heights
@dataclass(frozen=True)
class Heights:
    """The measured margin-box heights (CSS px) of the cards (by id), the section headings (by section id) and
    the masthead, and what sticks out of each card (by id; empty when nothing does)."""

    cards: dict[str, float]
    headings: dict[str, float]
    masthead: float
    overflows: dict[str, str]


def _height_entry(folder: Path, key: str) -> list[Any] | None:
    """The cached ``[height in px, overflow message]`` of a measured block, or None (none, damaged, wrong shape)."""
    entry = entries.read_json(folder, key)
    if (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], (int, float))
        and not isinstance(entry[0], bool)
        and math.isfinite(entry[0])
        and entry[0] >= 0
        and isinstance(entry[1], str)
    ):
        return entry
    return None


def _key(text: str) -> str:
    """The cache key of a block measured from ``text`` (the layout version tells these [height, overflow] pairs
    from older entries; WeasyPrint's version, because another one may lay out differently)."""
    return hashlib.sha256((metadata.version("weasyprint") + "\0layout 2\0" + text).encode()).hexdigest()


def measured_heights(
    sections: Sequence[Section],
    measure_html: Callable[[Sequence[Card], bool], str],
    *,
    base: Path,
    folder: Path,
    jobs: int,
) -> Heights:
    """Every block's height: from ``folder`` (one entry per measured block, ``[height in px, overflow message
    or ""]``, keyed by its measuring HTML) when measured before, else measured now and stored."""
    cards = [c for s in sections for c in s.cards]
    card_keys = {c.id: _key(measure_html([c], False)) for c in cards}
    masthead_key = _key(measure_html([], True))
    heading_keys = {s.id: _key("heading\0" + s.id + "\0" + s.title + "\0" + measure_html([], False)) for s in sections}
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
        fresh: dict[str, list[Any]] = {
            card_keys[c.id]: [measured[c.id].height, measured[c.id].overflow] for c in missing
        }
        if need_masthead:
            fresh[masthead_key] = [measured["masthead"].height, ""]
        for s in sections:
            fresh[heading_keys[s.id]] = [measured[f"sec-{s.id}"].height, ""]
        for k, entry in fresh.items():
            if known.get(k) != entry:
                entries.write_json(folder, k, entry)
        known.update(fresh)
    return Heights(
        cards={c.id: float(known[card_keys[c.id]][0]) for c in cards},
        headings={s.id: float(known[heading_keys[s.id]][0]) for s in sections},
        masthead=float(known[masthead_key][0]),
        overflows={c.id: str(known[card_keys[c.id]][1]) for c in cards},
    )
