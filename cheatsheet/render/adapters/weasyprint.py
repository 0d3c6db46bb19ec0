"""WeasyPrint's laid-out box tree (``Page._page_box``): the one place that reaches into WeasyPrint's internals.

Measuring a card (:func:`cheatsheet.render.measure.measure`) needs the height of its box and whatever sticks
out of it, which WeasyPrint keeps in the box tree of each laid-out page; it exposes the tree to no public
API. :func:`page_box` reads it, after checking that the pinned WeasyPrint is installed. (The boxes' own
attributes we read, ``children``, ``element``, ``element_tag``, ``margin_height()``, ``content_box_x()``,
``width``, ``text``, are public.)
"""

from __future__ import annotations

from typing import Any

from cheatsheet.render.adapters import AdapterError, require_version

__all__ = ["PINNED", "check", "page_box"]

#: The WeasyPrint release this module was written against (pyproject.toml and constraints.txt pin it).
PINNED = "70.0"
_USES = "weasyprint.document.Page._page_box"


def check() -> None:
    """Raise :class:`AdapterError` unless the pinned WeasyPrint is installed."""
    require_version("weasyprint", PINNED, _USES)


def page_box(page: Any) -> Any:
    """The root box of a laid-out page (a ``weasyprint.document.Page``)."""
    check()
    box = getattr(page, "_page_box", None)
    if box is None or not hasattr(box, "children"):
        raise AdapterError(f"weasyprint {PINNED}'s pages have no {_USES} box tree: the cards cannot be measured")
    return box
