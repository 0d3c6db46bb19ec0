"""File I/O that fails cleanly: bounded reads of regular files only, atomic writes, and a write of several
outputs that readers see all old or all new.

Every temporary file this module makes is named ``.<target name>.cheatsheet-<pid>-<token>.tmp`` in the
target's folder, so that the temporary files of a killed process can be recognised (by that pattern and a
process id that no longer runs) and removed by a later run, and a user's own files never are.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["FileProblem", "WriteError", "atomic_write", "read_regular_file", "remove_stale_temps", "write_all"]

#: Our temporary files: ``.<name>.cheatsheet-<pid>-<token>.tmp`` (see the module docstring).
TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.cheatsheet-(?P<pid>[0-9]+)-(?P<token>[0-9a-f]{8,32})\.tmp$")
# What tempfile.mkstemp named them before (``.<name>.<8 characters>.tmp``): no process id to ask, so only
# removed once they are old.
_LEGACY_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<token>[A-Za-z0-9_]{8})\.tmp$")
#: A temporary file older than this is stale even when a process with its id runs (ids are reused).
STALE_SECONDS = 3600.0

_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a named pipe (FIFO)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)


class FileProblem(ValueError):
    """A file that cannot be read as asked: ``str()`` is ``<path>: <reason>``; ``path`` and ``reason`` apart."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class WriteError(OSError):
    """Writing ``target`` failed (and nothing of the write it belonged to was left behind)."""

    def __init__(self, target: Path, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.target = target


def _not_regular(mode: int, what: str) -> str:
    for test, kind in _KINDS:
        if test(mode):
            return f"{kind}, not a regular file; expected {what}"
    return f"is not a regular file; expected {what}"


def read_regular_file(path: str | os.PathLike[str], limit: int, *, what: str = "a file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; raises :class:`FileProblem`.

    Reads at most ``limit + 1`` bytes, so that ``/dev/zero`` or a growing file cannot exhaust memory, and
    refuses directories, pipes, devices and sockets before reading (a FIFO is opened without blocking).
    ``what`` names the expected file in the messages ("a TOML rule file").
    """
    name = os.fspath(path)
    try:
        st = os.stat(name)  # before opening: opening a device or a FIFO can block or have side effects
        if not stat.S_ISREG(st.st_mode):
            raise FileProblem(name, _not_regular(st.st_mode, what))
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)  # what was opened, in case the path changed since the stat above
            if not stat.S_ISREG(st.st_mode):
                raise FileProblem(name, _not_regular(st.st_mode, what))
            chunks: list[bytes] = []
            size = 0
            while size <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise FileProblem(name, "no such file") from None
    except IsADirectoryError:
        raise FileProblem(name, f"is a directory, not a regular file; expected {what}") from None
    except PermissionError:
        raise FileProblem(name, "cannot be read: permission denied") from None
    except OSError as exc:
        raise FileProblem(name, f"cannot be read: {exc.strerror or exc}") from None
    if size > limit:
        raise FileProblem(name, f"is larger than {limit} bytes; {what} may have at most {limit}")
    return b"".join(chunks)


def _temp_path(target: Path) -> Path:
    return target.parent / f".{target.name}.cheatsheet-{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _write_new(path: Path, raw: bytes, durable: bool) -> None:
    """Create ``path`` (which must not exist) holding ``raw``; fsync it when ``durable``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _sync_folder(folder: Path) -> None:
    """fsync a folder, so that the renames in it survive a power cut (best effort: not every system can)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, durable: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (creating parent folders); returns the path.

    A temporary file in the same folder, then a rename: a reader sees the old bytes or the new ones, never
    a part. ``durable`` also fsyncs the file and its folder (outputs; a cache entry need not survive a
    power cut).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = _temp_path(target)
    try:
        _write_new(tmp, raw, durable)
        os.replace(tmp, target)
    except BaseException:
        _unlink(tmp)
        raise
    if durable:
        _sync_folder(target.parent)
    return target


def _backup(target: Path) -> Path | None:
    """A second name for ``target``'s current bytes (a hard link, else a copy), or None when it has none."""
    if not target.exists():
        return None
    backup = _temp_path(target)
    try:
        os.link(target, backup)
    except OSError:  # a file system without hard links
        shutil.copyfile(target, backup)
    return backup


def write_all(files: Mapping[Path, bytes]) -> None:
    """Write several files so that a failure leaves every one of them as it was.

    First every new content goes to a temporary file next to its target and is fsynced; only when all of
    them are written are they renamed over their targets, one after another (microseconds). When a rename
    fails, the ones already renamed are put back from hard-link backups, so an error leaves the old files
    (and no temporary file). Only a process killed during the renames themselves can leave some files new
    and others old; each file is still whole, and its temporary files are removed by
    :func:`remove_stale_temps`. Raises :class:`WriteError` naming the file that failed.
    """
    temps: dict[Path, Path] = {}
    try:
        for target, data in files.items():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = _temp_path(target)
                temps[target] = tmp
                _write_new(tmp, data, durable=True)
            except OSError as exc:
                raise WriteError(target, exc) from exc
    except BaseException:
        for tmp in temps.values():
            _unlink(tmp)
        raise
    backups: dict[Path, Path | None] = {}
    done: list[Path] = []
    try:
        for target, tmp in temps.items():
            try:
                backups[target] = _backup(target)
                os.replace(tmp, target)
            except OSError as exc:
                raise WriteError(target, exc) from exc
            done.append(target)
    except BaseException:
        for target in reversed(done):  # put back what was already replaced
            old = backups.get(target)
            try:
                if old is None:
                    os.unlink(target)
                else:
                    os.replace(old, target)
            except OSError:
                pass
        for tmp in temps.values():
            _unlink(tmp)
        raise
    finally:
        for old in backups.values():
            if old is not None:
                _unlink(old)
    for folder in {t.parent for t in temps}:
        _sync_folder(folder)


def _process_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False  # it exists (another user's), or we cannot tell: keep its files
    return False


def remove_stale_temps(folder: Path, names: Iterable[str] | None = None, *, now: float | None = None) -> list[str]:
    """Remove the temporary files that killed runs left in ``folder``; returns the names removed.

    Only files named by this module's pattern (for targets in ``names``, when given), and of those only
    the ones whose process no longer runs, or that are older than :data:`STALE_SECONDS`. A user's file
    never matches the pattern; a running build's files are kept.
    """
    wanted = set(names) if names is not None else None
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        ours = TEMP_PATTERN.match(entry.name)
        legacy = None if ours else _LEGACY_TEMP.match(entry.name)
        match = ours or legacy
        if match is None or (wanted is not None and match.group("name") not in wanted):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        old = now - st.st_mtime > STALE_SECONDS
        if not (old or (ours is not None and _process_gone(int(ours.group("pid"))))):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(entry.name)
    return sorted(removed)
