"""Shared fixtures: the catalog, and golden files regenerated with ``pytest --update-goldens``."""

from __future__ import annotations

from pathlib import Path

import pytest

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
        assert text == expected, f"{rel} differs from its golden file; if the change is intended, run pytest --update-goldens"

    return check
