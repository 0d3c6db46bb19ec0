"""Where the bundled templates and fonts are, in a source checkout and in an installed wheel.

A source checkout keeps them in ``templates/`` at the top of the repository; the wheel ships the same
folder inside the package as ``cheatsheet/templates/``. :func:`templates_dir` finds whichever exists
(the packaged copy first, so that an installed wheel never reads a stray checkout).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["ResourceError", "font_path", "templates_dir"]

_PACKAGE = Path(__file__).resolve().parent.parent  # .../cheatsheet
_CANDIDATES = (_PACKAGE / "templates", _PACKAGE.parent / "templates")


class ResourceError(FileNotFoundError):
    """A bundled resource is missing; the message says where it was looked for."""


@cache
def templates_dir() -> Path:
    """The folder of the bundled templates (it holds ``fonts/``)."""
    for folder in _CANDIDATES:
        if (folder / "fonts").is_dir():
            return folder
    raise ResourceError(
        "bundled templates not found; looked in "
        + ", ".join(str(c) for c in _CANDIDATES)
        + " (a source checkout has templates/ at the repository top; a wheel has cheatsheet/templates/)"
    )


def font_path(name: str) -> Path:
    """The bundled font file ``name`` (e.g. ``"texgyretermes-math.otf"``); raises :class:`ResourceError`."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ResourceError(f"font name {name!r} must be a plain file name inside templates/fonts/")
    path = templates_dir() / "fonts" / name
    if not path.is_file():
        have = sorted(p.name for p in (templates_dir() / "fonts").iterdir() if p.suffix in (".otf", ".ttf", ".woff2"))
        raise ResourceError(f"bundled font {name!r} not found in {path.parent}; available: {have}")
    return path
