"""The full sheet, built once per test session and shared by test_build, test_pdf, test_browser and test_wheel.

A cold build (every rule verified, every formula typeset, every page drawn) takes minutes, so it runs
once, into a session temporary folder with its own cache folder (never the user's cache; see
:func:`session_cache`). Each
test module wraps :func:`full_build` in a session fixture; the build itself is memoized here, so the
modules share it. The HTML of every drawn page is captured on the way (to test incremental drawing).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

OUTPUTS = (
    "cheatsheet.pdf",
    "cheatsheet-letter.pdf",
    "cheatsheet.html",
    "rules.json",
    "cheatsheet.tex",
    "cheatsheet.md",
)


@dataclass(frozen=True)
class Sheet:
    """A finished full build: its output folder, its cache folder, its report and the HTML of its pages."""

    out: Path
    cache: Path
    report: Any  # cheatsheet.build.BuildReport
    page_htmls: tuple[str, ...]
    sections: tuple[Any, ...]  # the sections the PDF prints (families, derivations, examples, panels)
    seconds: float
    record_writes: tuple[Any, ...]  # attempts to write the shipped verification record during the build

    def path(self, name: str) -> Path:
        return self.out / name

    def copy_to(self, folder: Path) -> Path:
        """A copy of the output folder (tests that modify or rebuild outputs work on a copy)."""
        shutil.copytree(self.out, folder)
        return folder


_SHEET: Sheet | None = None
_FAILED: BaseException | None = None  # a failed build fails every test that needs it, without building again
_CACHE: Path | None = None
_VIEW: CatalogView | None = None


@contextmanager
def cache_env(cache: Path) -> Iterator[None]:
    """CHEATSHEET_CACHE_DIR pointing to ``cache`` for the duration (restored afterwards)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CHEATSHEET_CACHE_DIR", str(cache))
    try:
        yield
    finally:
        mp.undo()


@contextmanager
def capture_pages(into: list[list[str]], sections: list[Any] | None = None) -> Iterator[None]:
    """Record the HTML of the pages each PDF render asks to draw (one list per call of ``draw_pages``), and
    the sections the PDF prints (into ``sections``)."""
    from cheatsheet.render import paged

    draw, render = paged.draw_pages, paged.render_pdf

    def drawing(htmls: Any, *args: Any, **kwargs: Any) -> Any:
        into.append([h for h in htmls if '<body class="footers">' not in h])  # the footers' overlay is no page
        return draw(htmls, *args, **kwargs)

    def rendering(printed: Any, *args: Any, **kwargs: Any) -> Any:
        if sections is not None:
            sections.append(tuple(printed))
        return render(printed, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(paged, "draw_pages", drawing)
    mp.setattr(paged, "render_pdf", rendering)
    try:
        yield
    finally:
        mp.undo()


def full_build(tmp_path_factory: pytest.TempPathFactory) -> Sheet:
    """Build every format, both papers, into a session folder (once per session)."""
    global _SHEET, _FAILED
    if _FAILED is not None:
        raise _FAILED
    if _SHEET is None:
        from cheatsheet.build import BuildOptions, build
        from cheatsheet.verifier import record

        out, cache = tmp_path_factory.mktemp("sheet") / "build", session_cache(tmp_path_factory)
        calls: list[list[str]] = []
        printed: list[Any] = []
        writes: list[Any] = []
        # the shipped record must not be written (the build reads it: it trusts the verdicts it vouches for)
        guard = pytest.MonkeyPatch()
        guard.setattr(record, "write_record", lambda *a, **k: writes.append((a, k)))
        shipped = record.RECORD_PATH.read_bytes()
        start = time.perf_counter()
        try:
            with cache_env(cache), capture_pages(calls, printed):
                report = build(BuildOptions(out=out, jobs=max(1, os.cpu_count() or 1), quiet=True))
        except BaseException as exc:
            _FAILED = exc
            raise
        finally:
            guard.undo()
        if record.RECORD_PATH.read_bytes() != shipped:
            writes.append("RECORD_PATH")
        assert len(calls) == 1 and len(printed) == 1, "the PDF stage rendered more than once"
        _SHEET = Sheet(out, cache, report, tuple(calls[0]), printed[0], time.perf_counter() - start, tuple(writes))
    return _SHEET


def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's cache folder (verdicts, typeset formulas, drawn pages), shared by every build of the
    tests; new and empty, so that the tests that count what a build re-does start from a known state."""
    global _CACHE
    if _CACHE is None:
        _CACHE = tmp_path_factory.mktemp("cache")
    return _CACHE


@dataclass(frozen=True)
class CatalogView:
    """The whole catalog as the build sees it: rules, their verdicts (from the session cache), the sections
    the PDF prints and every card in them (rules, derivations, examples, panels)."""

    rules: tuple[Any, ...]
    verdicts: tuple[Any, ...]
    sections: tuple[Any, ...]

    @property
    def cards(self) -> tuple[Any, ...]:
        return tuple(c for s in self.sections for c in s.cards)

    @property
    def rule_cards(self) -> tuple[Any, ...]:
        return tuple(c for c in self.cards if getattr(c, "kind", "rule") == "rule")


def catalog_view(sheet: Sheet) -> CatalogView:
    """The cards of the full sheet (verdicts come from the cache the session build filled)."""
    global _VIEW
    if _VIEW is None:
        import cheatsheet
        from cheatsheet.verifier import record
        from cheatsheet.verifier.runner import verify_many

        rules = cheatsheet.rules()
        with cache_env(sheet.cache):  # as the build has them: from the shipped record where it vouches for them
            verdicts = record.with_conformance(
                verify_many(rules, jobs=max(1, os.cpu_count() or 1), use_cache=True, record=record.RECORD_PATH),
                record.RECORD_PATH,
            )
        _VIEW = CatalogView(tuple(rules), tuple(verdicts), sheet.sections)
    return _VIEW
