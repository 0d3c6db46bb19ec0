"""Math typesetting: the one place that knows the typesetting engines and their quirks.

Both renderers start from the textbook LaTeX of :func:`cheatsheet.printing.latex.latex`:

- :func:`svg` typesets it with ziamath and the bundled TeX Gyre Termes Math font into a small SVG
  picture for the PDF (WeasyPrint renders no MathML); :func:`svg_within` breaks a wide one into lines.
- :func:`mathml` converts it with latex2mathml into MathML Core for the HTML page (Chromium renders it
  with the bundled math font).

The modules, in the order they build on each other:

- :mod:`.tex`: LaTeX as a token tree (tokens, ``{...}`` groups, TeX's atom kinds) and where a line may break;
- :mod:`.rewrite`: the LaTeX each engine is given, rewritten around its quirks (FINDINGS §3);
- :mod:`.flatten`: ziamath's SVG flattened into plain paths (2x faster for WeasyPrint);
- :mod:`.svg`: ziamath typesetting, ids, boxes and line breaking;
- :mod:`.mathml`: latex2mathml and the MathML half of the quirk fixes.

ziamath's internals are touched only through :mod:`cheatsheet.render.adapters.ziamath`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cheatsheet.render.math.mathml import mathml
from cheatsheet.render.math.svg import DEFAULT_SIZE_PX, DRAWS, Draw, SvgMath, svg, svg_within
from cheatsheet.render.math.tex import TypesetError, break_points

__all__ = [
    "DEFAULT_SIZE_PX",
    "DRAWS",
    "Draw",
    "SvgMath",
    "TypesetError",
    "break_points",
    "mathml",
    "source_digest",
    "svg",
    "svg_within",
]


def source_digest() -> str:
    """A digest of the code that decides what a formula looks like: this package and the ziamath adapter
    (the build's cache of typeset formulas is keyed by it, so that a changed quirk fix re-typesets)."""
    here = Path(__file__).parent
    files = [*sorted(here.glob("*.py")), here.parent / "adapters" / "ziamath.py"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
