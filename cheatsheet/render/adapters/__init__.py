"""Adapters to other people's code: every use of a third-party library's private API, one module per library.

A private attribute (``PdfWriter._add_object``, WeasyPrint's ``Page._page_box``, ziamath's
``Mrow._get_height_nostretch``) may change in any release without notice. So each use sits in the module
named after its library (:mod:`.pypdf`, :mod:`.weasyprint`, :mod:`.ziamath`), which names the version it
was written against (the one pinned in pyproject.toml and constraints.txt) and, before the first use,
checks that this version is installed and that the attribute is still there. Anything else raises
:class:`AdapterError` naming the library and both versions, rather than drawing something subtly wrong.
tests/test_adapters.py checks every adapter against the installed libraries.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata

__all__ = ["AdapterError", "require_version"]


class AdapterError(RuntimeError):
    """A library we reach into is not the version we were written against, or its private API changed."""


@cache
def _installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def require_version(distribution: str, pinned: str, uses: str) -> None:
    """Raise :class:`AdapterError` unless ``distribution`` is installed at exactly ``pinned``; ``uses`` names
    the private API that depends on it (for the message)."""
    installed = _installed(distribution)
    if installed != pinned:
        raise AdapterError(
            f"{distribution} {installed} is installed, but cheatsheet uses {uses}, a private API of "
            f"{distribution} {pinned} (the version pinned in pyproject.toml); install that version: "
            f"pip install '{distribution}=={pinned}' (or pip install -c constraints.txt .)"
        )
