"""The start method of the build's process pools: ``fork`` where the platform has it, else ``spawn``.

Linux and the other POSIX systems have ``fork``: a worker starts as a copy of the parent and finds the work
the parent left in module globals (the verifier's rules, the papers to join) without pickling them, which
matters because unpickling rebuilds the catalog's unevaluated, textbook-ordered sympy expressions in
canonical form. Windows has only ``spawn`` (and macOS prefers it): a worker starts as a fresh interpreter that
imports the package again and sees none of the parent's globals, so every pool hands its workers their work
as arguments (rule ids rebuilt from the catalog, HTML strings, bytes).

``CHEATSHEET_START_METHOD`` (``fork``, ``spawn`` or ``forkserver``) overrides the choice, so that the spawn
path is tested on Linux too (``tests/test_reproducible.py``).
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import BaseContext

__all__ = ["START_METHOD_ENV", "StartMethodError", "context", "shares_memory", "start_method"]

START_METHOD_ENV = "CHEATSHEET_START_METHOD"


class StartMethodError(ValueError):
    """``CHEATSHEET_START_METHOD`` names a start method this platform does not have."""


def start_method() -> str:
    """``$CHEATSHEET_START_METHOD`` when set, else ``fork`` where it exists, else ``spawn``."""
    available = multiprocessing.get_all_start_methods()
    wanted = os.environ.get(START_METHOD_ENV, "").strip()
    if wanted:
        if wanted not in available:
            raise StartMethodError(
                f"{START_METHOD_ENV}={wanted!r} is not a start method of this platform; expected one of "
                f"{', '.join(available)} (or unset it: fork where it exists, else spawn)"
            )
        return wanted
    return "fork" if "fork" in available else "spawn"


def context() -> BaseContext:
    """The multiprocessing context every pool of the build uses."""
    return multiprocessing.get_context(start_method())


def shares_memory() -> bool:
    """True when workers are forked copies of this process (they see its module globals)."""
    return start_method() == "fork"
