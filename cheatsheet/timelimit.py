"""A hard time limit for work on untrusted input: run it in a forked child and kill it when late.

sympy and mpmath can spend unbounded time in C-level big-integer arithmetic (sin of e^(e^20) needs
hundreds of millions of bits of π), which no signal interrupts in-process. A forked child shares the
parent's imported modules and objects (no pickling of rules, no re-import) and can simply be killed.
Where ``fork`` does not exist the work runs in-process, limited only by the verifier's own alarms.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any, TypeVar

from cheatsheet.parse import InputError

__all__ = ["TimeLimitError", "run_limited"]

T = TypeVar("T")

#: Extra address space a child may allocate beyond what the parent already has.
MEMORY_HEADROOM = 2 * 1024**3


class TimeLimitError(InputError):
    """Work on user input ran past its time limit (exit status 2: the input is too large)."""


def _limit_memory() -> None:
    """Cap the child's address space at the parent's size plus a headroom (Linux; best effort)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = current + MEMORY_HEADROOM
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError, ImportError):
        pass


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        _limit_memory()
        result: tuple[bool, Any] = (True, fn(*args))
    except MemoryError:
        result = (False, InputError("the work ran out of memory; the input is too large"))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which re-raises it
        result = (False, exc)
    try:
        conn.send(result)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
        conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def run_limited(fn: Callable[..., T], *args: Any, seconds: float | None, what: str = "the verification") -> T:
    """``fn(*args)`` in a forked child, killed after ``seconds``; its result or exception comes back.

    Raises :class:`TimeLimitError` when the child is late, and :class:`InputError` when it dies
    (out of memory, a crash). ``seconds=None`` (or no ``fork``) runs ``fn`` in this process.
    """
    if seconds is None or not hasattr(os, "fork"):
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, fn, args), daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise TimeLimitError(f"{what} ran past its time limit of {seconds:g} s (simplify the input or raise the limit)")
        try:
            ok, value = receiver.recv()
        except (EOFError, OSError):
            proc.join(1)
            raise InputError(f"{what} stopped unexpectedly (exit code {proc.exitcode}); the input is probably too large") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
