"""Shared fixtures (the full build of the sheet, the catalog as the build sees it, golden files regenerated
with ``pytest --update-goldens``) and the ``slow`` marker.

``slow`` marks what takes more than a few seconds: every test that uses the full build (``sheet``,
``catalog``) or the whole-catalog verification (``full_run``) is marked here, by the fixtures it uses, and
the tests that are slow on their own carry ``@pytest.mark.slow``. ``make test-fast`` (``pytest -m "not
slow"``) is the development loop; ``make test`` runs everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _sheet import CatalogView, Sheet, catalog_view, full_build

GOLDENS = Path(__file__).parent / "goldens"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """``golden(relative_path, text)``: compare with the stored file, or rewrite it with --update-goldens."""
    update = request.config.getoption("--update-goldens")

    def check(rel: str, text: str) -> None:
        path = GOLDENS / rel
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"golden file {path} is missing; run pytest --update-goldens and review it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, (
            f"{rel} differs from its golden file; if the change is intended, run pytest --update-goldens"
        )

    return check


#: Fixtures that make a test slow: the full build of every format and paper, and verifying the whole catalog.
SLOW_FIXTURES = frozenset({"sheet", "catalog", "full_run"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses a slow fixture (directly or through another fixture)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Sheet:
    """Every format and both papers of the whole catalog, built once per session (see :mod:`_sheet`)."""
    return full_build(tmp_path_factory)


@pytest.fixture(scope="session")
def catalog(sheet: Sheet) -> CatalogView:
    """The cards of the full sheet, with the verdicts the session build used."""
    return catalog_view(sheet)
