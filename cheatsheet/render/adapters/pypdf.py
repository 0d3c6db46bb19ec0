"""pypdf's ``PdfWriter._add_object``: the one place that reaches into pypdf's internals.

Joining the pages (:func:`cheatsheet.render.join.assemble`) draws the footers over each page as a form
XObject that several pages share, and wraps each page's content in ``q``/``Q`` streams that all pages
share. pypdf has no public way to add a free-standing object to a writer and get its reference, so
:func:`add_object` uses the private method, after checking that the pinned pypdf is installed.
"""

from __future__ import annotations

from typing import Any

from cheatsheet.render.adapters import AdapterError, require_version

__all__ = ["PINNED", "add_object", "check"]

#: The pypdf release this module was written against (pyproject.toml and constraints.txt pin it).
PINNED = "7.1.1"
_USES = "pypdf.PdfWriter._add_object"


def check() -> None:
    """Raise :class:`AdapterError` unless the pinned pypdf is installed and still has ``PdfWriter._add_object``."""
    require_version("pypdf", PINNED, _USES)
    from pypdf import PdfWriter

    if not callable(getattr(PdfWriter, "_add_object", None)):
        raise AdapterError(f"pypdf {PINNED} has no {_USES}: the pages cannot be joined")


def add_object(writer: Any, obj: Any) -> Any:
    """Add ``obj`` (a pypdf object) to ``writer`` as an indirect object of its own; its reference."""
    check()
    return writer._add_object(obj)
