"""The one way into and out of the caches (verdicts, typeset formulas, plots, card heights, drawn pages and
footers, rules.json entries, build manifests): an entry that is damaged or edited is a miss, never an error and
never printed.

An entry is the file ``<folder>/<name><suffix>``, where ``name`` is the sha256 of the kind (the folder's last two
names, such as ``build/math``) and the key, holding one header line and the payload::

    cheatsheet-cache/1 <sha256 of the name and the payload>\\n<payload>

So the digest covers the kind, the key (through the name) and the content, and an entry can be checked from the
file alone (:func:`read_entry`). :func:`read` returns the payload only when the file is a regular file, not
larger than :data:`MAX_ENTRY_BYTES`, its header is this format and the digest matches its name and payload;
anything else (truncated, a flipped byte, another key's entry copied over, an edit, an old format) is
``None``: the caller recomputes and overwrites it. :func:`read_json` also requires valid UTF-8 JSON, and
its callers check the value's type and fields.

What the digest protects against: damage (a disk, a killed writer, a full file system, a careless edit) and an
entry served for the wrong input. It is not a signature: whoever can write the cache folder can also compute
a digest, just as they could edit the installed package.

This module imports nothing heavy: the build's no-change path reads its manifest through it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cheatsheet.fsutil import FileProblem, atomic_write, read_regular_file

__all__ = [
    "MAX_ENTRY_BYTES",
    "base_dir",
    "entry_path",
    "read",
    "read_entry",
    "read_json",
    "read_text",
    "write",
    "write_entry",
    "write_json",
]

_MAGIC = b"cheatsheet-cache/1"
#: The largest entry read (a drawn page's PDF is about 0.1–1 MB).
MAX_ENTRY_BYTES = 256 * 1024 * 1024


def base_dir() -> Path:
    """``$CHEATSHEET_CACHE_DIR``, else ``$XDG_CACHE_HOME/cheatsheet``, else ``~/.cache/cheatsheet``."""
    root = os.environ.get("CHEATSHEET_CACHE_DIR")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cheatsheet"


def _kind(folder: Path) -> bytes:
    return "/".join(folder.parts[-2:]).encode("utf-8", "surrogateescape")


def _digest(name: str, payload: bytes) -> bytes:
    return hashlib.sha256(_MAGIC + b"\0" + name.encode("ascii") + b"\0" + payload).hexdigest().encode("ascii")


def _name(path: Path) -> str | None:
    """The name hash of an entry's file (its name up to the first dot), or None when the name is not one."""
    name = path.name.split(".", 1)[0]
    return name if len(name) == 64 and all(c in "0123456789abcdef" for c in name) else None


def entry_path(folder: Path, key: str, suffix: str = "") -> Path:
    """Where the entry for ``key`` lives in ``folder`` (a name derived from the folder's kind and the key)."""
    name = hashlib.sha256(_kind(folder) + b"\0" + key.encode("utf-8", "surrogateescape")).hexdigest()
    return folder / f"{name}{suffix}"


def read_entry(path: Path) -> bytes | None:
    """The payload of the entry file ``path`` if it checks out (format, size, digest of its name and payload)."""
    name = _name(path)
    if name is None:
        return None
    try:
        raw = read_regular_file(path, MAX_ENTRY_BYTES + 200, what="a cache entry")
    except FileProblem:
        return None
    header, newline, payload = raw.partition(b"\n")
    magic, space, digest = header.partition(b" ")
    if not newline or not space or magic != _MAGIC or digest != _digest(name, payload):
        return None
    return payload


def read(folder: Path, key: str, suffix: str = "") -> bytes | None:
    """The payload stored for ``key`` in ``folder``, or None when there is none or it does not check out."""
    return read_entry(entry_path(folder, key, suffix))


def write_entry(path: Path, payload: bytes) -> None:
    """Store ``payload`` as the entry file ``path`` (named by :func:`entry_path`), atomically; a cache that
    cannot be written only costs time."""
    name = _name(path)
    if name is None or len(payload) > MAX_ENTRY_BYTES:
        return
    with contextlib.suppress(OSError):
        atomic_write(path, _MAGIC + b" " + _digest(name, payload) + b"\n" + payload)


def write(folder: Path, key: str, payload: bytes, suffix: str = "") -> None:
    """Store ``payload`` for ``key`` in ``folder``."""
    write_entry(entry_path(folder, key, suffix), payload)


def read_text(folder: Path, key: str, suffix: str = "") -> str | None:
    """:func:`read`, decoded as UTF-8 (None when it is not)."""
    payload = read(folder, key, suffix)
    if payload is None:
        return None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_json(folder: Path, key: str, suffix: str = ".json") -> Any:
    """:func:`read`, parsed as JSON; None when missing or not JSON. The caller checks the value's type."""
    text = read_text(folder, key, suffix)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def write_json(folder: Path, key: str, value: Any, suffix: str = ".json") -> None:
    """Store ``value`` as JSON (sorted keys, UTF-8) for ``key``."""
    write(folder, key, json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8"), suffix)
