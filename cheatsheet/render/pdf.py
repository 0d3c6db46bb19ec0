"""HTML to PDF through WeasyPrint, closed to the outside world.

The URL fetcher allows only ``data:`` URLs and files whose real path lies inside the bundled templates
folder: no ``file://`` reads elsewhere, no network, no ``../`` escapes, and so no attachment of an
arbitrary file (FINDINGS §4). Refused URLs are remembered so tests and callers can see them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["BundledOnlyFetcher", "html_to_pdf"]


def _fetcher_base() -> Any:
    from weasyprint.urls import URLFetcher

    return URLFetcher


class BundledOnlyFetcher(_fetcher_base()):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves only ``data:`` URLs and files under ``root``."""

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(os.path.realpath(root))
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(os.path.realpath(unquote(urlsplit(url).path)))
            if path == self.root or self.root in path.parents:
                return super().fetch(url, headers)
        self.refused.append(url)
        raise ValueError(f"refused to fetch {url!r}: only bundled resources are allowed")


def html_to_pdf(html: str, base: Path, fetcher: BundledOnlyFetcher | None = None) -> bytes:
    """Render ``html`` (resources relative to ``base``, which must be the bundled folder) to PDF bytes."""
    import weasyprint

    fetcher = fetcher or BundledOnlyFetcher(base)
    document = weasyprint.HTML(string=html, base_url=str(base) + os.sep, url_fetcher=fetcher)
    pdf = document.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
