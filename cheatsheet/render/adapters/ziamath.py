"""ziamath's row layout, sped up while we typeset: the one place that reaches into ziamath's internals.

ziamath 0.13 lays every row (``Mrow``) out twice: first, in ``_get_height_nostretch``, only to learn
how tall the row is for the stretchy operators in it (fences, big braces), then for real; and a nested
row repeats that at every level (2^depth layouts). When no stretchy operator lies anywhere below a
row, that first result is never read. :func:`fast_row_heights` skips it, and only while our own
typesetting runs (a context manager around it), never for the rest of the process. The pictures stay
byte for byte the same (tests/test_render_math.py typesets formulas both ways); the catalog typeset
2.1x faster when this was measured.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cheatsheet.render.adapters import AdapterError, require_version

__all__ = ["PINNED", "check", "fast_row_heights", "stretchy_below"]

#: The ziamath release this module was written against (pyproject.toml and constraints.txt pin it).
PINNED = "0.13"
_USES = "ziamath.nodes.mrow.Mrow._get_height_nostretch"

_RowHeights = Callable[..., tuple[float, float]]
_lock = threading.Lock()
_active = 0  # how many fast_row_heights blocks are open (they nest)
_original: _RowHeights | None = None  # ziamath's own method while one is open


def check() -> None:
    """Raise :class:`AdapterError` unless the pinned ziamath is installed and still has the method we replace."""
    require_version("ziamath", PINNED, _USES)
    from ziamath.nodes.mrow import Mrow

    if not callable(Mrow.__dict__.get("_get_height_nostretch")):
        raise AdapterError(f"ziamath {PINNED} has no {_USES}: the row-height speed-up cannot apply")


def _is_stretchy(el: ET.Element) -> bool:
    """Whether ziamath stretches this ``<mo>``: its operator table's default, unless the element says."""
    from ziamath import operators
    from ziamath.nodes.nodetools import elementtext

    params = operators.get_params(elementtext(el), el.get("form", "infix"))
    params.update(el.attrib)
    return params.get("stretchy", "false") != "false"


def stretchy_below(line: list[ET.Element]) -> bool:
    """Whether a stretchy ``<mo>`` lies anywhere in these elements."""
    return any(_is_stretchy(el) for child in line for el in child.iter() if el.tag == "mo" or el.tag.endswith("}mo"))


def _skipping(measure: _RowHeights) -> _RowHeights:
    """ziamath's ``_get_height_nostretch``, skipped for a row with nothing stretchy below it."""

    def heights(self: Any, line: list[ET.Element], **kwargs: Any) -> tuple[float, float]:
        if not stretchy_below(line):
            # (ymin, ymax) as ziamath starts them, in its order: "nothing yet". No operator below reads them.
            return 9999, -9999
        return measure(self, line, **kwargs)

    return heights


@contextmanager
def fast_row_heights() -> Iterator[None]:
    """Inside this block, ziamath skips the height pass of rows that hold nothing stretchy.

    Blocks nest: the method is put back when the outermost one ends (the count is kept under a lock, so
    threads may open blocks of their own; a thread that uses ziamath outside a block while another is
    inside one gets the speed-up too, with the same pictures). ziamath used outside every block is ziamath
    as released. Raises :class:`AdapterError` on a ziamath other than the pinned one.
    """
    global _active, _original
    check()
    from ziamath.nodes.mrow import Mrow

    with _lock:
        if _active == 0:
            _original = Mrow.__dict__["_get_height_nostretch"]
            Mrow._get_height_nostretch = _skipping(_original)  # type: ignore[method-assign]
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _original is not None:
                Mrow._get_height_nostretch = _original  # type: ignore[method-assign]
                _original = None
