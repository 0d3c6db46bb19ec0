"""A hard time limit for work on untrusted input: run it in a forked child and kill it when late.

sympy and mpmath can spend unbounded time in C-level big-integer arithmetic (sin of e^(e^20) needs
hundreds of millions of bits of π), which no signal interrupts in-process. A forked child shares the
parent's imported modules and objects (no pickling of rules, no re-import) and can simply be killed.
Where ``fork`` does not exist the work runs in-process, limited only by the verifier's own alarms.
"""

from __future__ import annotations

import decimal
import math
import multiprocessing
import numbers
import os
from collections.abc import Callable
from typing import Any, TypeVar

from cheatsheet.grammar.errors import InputError

__all__ = ["MAX_SECONDS", "TimeLimitError", "check_seconds", "run_limited"]

T = TypeVar("T")

#: Extra address space a child may allocate beyond what the parent already has.
MEMORY_HEADROOM = 2 * 1024**3
#: The longest time limit accepted (an hour): beyond it a limit is no limit, and the OS's poll() overflows.
MAX_SECONDS = 3600.0


class TimeLimitError(InputError):
    """Work on user input ran past its time limit (exit status 2: the input is too large)."""


def check_seconds(seconds: object, name: str = "timeout") -> float:
    """``seconds`` as a float when it is a finite number of seconds in (0, :data:`MAX_SECONDS`].

    Raises ``TypeError`` for what is not a real number (a string, a boolean, None) and
    :class:`~cheatsheet.grammar.errors.InputError` (a ``ValueError``) for nan, infinities, zero, negative or
    larger values; both messages name ``name``.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (numbers.Real, decimal.Decimal)):
        raise TypeError(f"{name} must be a number of seconds, got {type(seconds).__name__} {seconds!r}")
    try:
        value = float(seconds)
    except (OverflowError, ValueError):
        value = math.inf
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise InputError(f"{name} {seconds!r}: expected a number of seconds more than 0 and at most {MAX_SECONDS:g}")
    return value


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
    except BaseException as exc:
        result = (False, exc)
    try:
        conn.send(result)
    except Exception as exc:
        conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def run_limited(fn: Callable[..., T], *args: Any, seconds: float | None, what: str = "the verification") -> T:
    """``fn(*args)`` in a forked child, killed after ``seconds``; its result or exception comes back.

    Raises :class:`TimeLimitError` when the child is late, and :class:`InputError` when it dies
    (out of memory, a crash). ``seconds=None`` (or no ``fork``) runs ``fn`` in this process; any other
    value must pass :func:`check_seconds` (a finite number of seconds, at most an hour).
    """
    if seconds is not None:
        seconds = check_seconds(seconds)
    if seconds is None or not hasattr(os, "fork"):
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, fn, args), daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise TimeLimitError(
                f"{what} ran past its time limit of {seconds:g} s (simplify the input or raise the limit)"
            )
        try:
            ok, value = receiver.recv()
        except (EOFError, OSError):
            proc.join(1)
            raise InputError(
                f"{what} stopped unexpectedly (exit code {proc.exitcode}); the input is probably too large"
            ) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
