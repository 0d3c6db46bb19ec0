"""Where each key of a TOML text is: line and column (``tomllib`` parses the values but does not report them).

A light scanner, enough for rule files: table headers, ``[[array.of.tables]]`` with their running index,
and ``key = value`` lines (multi-line strings and arrays are skipped). Keys inside inline tables are found
by searching the line of their parent key. A key is named by its path, as the parsed document nests it:
``("rule", 0, "params", 1, "default")``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KeyPath", "TomlPositions"]

#: A key path: ("rule", 0, "params", 1, "default").
KeyPath = tuple[str | int, ...]

_BARE_OR_QUOTED = r"(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')"
_KEY_LINE = re.compile(rf"^(\s*)({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=\s*")
_SEARCH_LINES = 50  # how far below its parent an inline key is looked for


@dataclass
class _Entry:
    line: int
    key_col: int
    value_col: int
    string_col: int | None  # column of the first character inside a one-line string without escapes


class TomlPositions:
    """The positions of the keys of one TOML text: ``TomlPositions(text).find(path)``."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.entries: dict[KeyPath, _Entry] = {}
        self._index: dict[tuple[str, ...], int] = {}  # running index of each array of tables
        self._current: KeyPath = ()  # the table the lines belong to
        self._skip_until: str | None = None  # the closing quotes of a multi-line string
        self._depth = 0  # open brackets of a multi-line array
        for no, raw in enumerate(self.lines, start=1):
            self._scan(no, raw)

    def find(self, path: KeyPath, column: int | None = None, key: bool = False) -> tuple[int, int] | None:
        """(line, column) of ``path``'s value (or its key), or of character ``column`` of its string;
        None if unknown."""
        entry = self.entries.get(path)
        if entry is None:
            return self._find_inline(path, column, key)
        if key:
            return entry.line, entry.key_col
        if column is not None and entry.string_col is not None:
            return entry.line, entry.string_col + column - 1
        return entry.line, entry.value_col

    # ------------------------------------------------------------------ scanning
    def _scan(self, no: int, raw: str) -> None:
        if self._skip_until is not None:
            if self._skip_until in raw:
                self._skip_until = None
            return
        if self._depth > 0:
            self._depth += _bracket_balance(raw)
            return
        line = raw.strip()
        if line.startswith("["):
            self._header(no, raw, line)
        else:
            self._key_value(no, raw)

    def _header(self, no: int, raw: str, line: str) -> None:
        """A ``[table]`` or ``[[array.of.tables]]`` header: the table the next lines belong to."""
        array = line.startswith("[[")
        opener, closer = ("[[", "]]") if array else ("[", "]")
        inner = line[len(opener) : line.find(closer)] if closer in line else line[len(opener) :]
        plain = tuple(_split_key(inner))
        if array:
            self._index[plain] = self._index.get(plain, -1) + 1
            for nested in [k for k in self._index if len(k) > len(plain) and k[: len(plain)] == plain]:
                del self._index[nested]  # a new element: its own arrays of tables count from 0 again
        self._current = self._indexed(plain)
        col = raw.find(opener) + 1
        self.entries.setdefault(self._current, _Entry(no, col, col, None))

    def _indexed(self, plain: tuple[str, ...]) -> KeyPath:
        """The path of a table header: each array of tables in it followed by its running index."""
        out: list[str | int] = []
        for k in range(1, len(plain) + 1):
            out.append(plain[k - 1])
            if plain[:k] in self._index:
                out.append(self._index[plain[:k]])
        return tuple(out)

    def _key_value(self, no: int, raw: str) -> None:
        m = _KEY_LINE.match(raw)
        if not m:
            return
        value_col = m.end() + 1
        value = raw[m.end() :]
        path = self._current + tuple(_split_key(m.group(2)))
        self.entries.setdefault(path, _Entry(no, len(m.group(1)) + 1, value_col, _string_col(value, value_col)))
        if value.startswith(('"""', "'''")):
            if value.count(value[:3]) < 2:
                self._skip_until = value[:3]
        elif value.startswith("["):
            self._depth = _bracket_balance(value)

    # ------------------------------------------------------------------ keys inside inline tables
    def _find_inline(self, path: KeyPath, column: int | None, key: bool) -> tuple[int, int] | None:
        """A key inside an inline table or an inline array of tables: searched on the lines of its parent."""
        parent = next(
            (self.entries[path[:cut]] for cut in range(len(path) - 1, 0, -1) if path[:cut] in self.entries), None
        )
        if parent is None:
            return None
        key_name = next((p for p in reversed(path) if isinstance(p, str)), None)
        found = None if key_name is None else self._search(key_name, parent.line)
        if found is None:
            return parent.line, parent.value_col
        no, m = found
        if key:
            return no, m.start() + 1
        rest = self.lines[no - 1][m.end() :]
        if column is not None and rest[:1] in ('"', "'") and "\\" not in rest[: rest.find(rest[0], 1)]:
            return no, m.end() + 1 + column
        return no, m.end() + 1

    def _search(self, key_name: str, first: int) -> tuple[int, re.Match[str]] | None:
        pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(key_name)}\s*=\s*")
        for no in range(first, min(first + _SEARCH_LINES, len(self.lines)) + 1):
            m = pattern.search(self.lines[no - 1])
            if m:
                return no, m
        return None


def _string_col(value: str, value_col: int) -> int | None:
    """The column of the first character inside a one-line string value without escapes, else None."""
    if value.startswith(('"""', "'''")):
        return None
    if value.startswith('"'):
        end = value.find('"', 1)
        return value_col + 1 if end > 0 and "\\" not in value[:end] else None
    if value.startswith("'"):
        return value_col + 1
    return None


def _split_key(text: str) -> list[str]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_\-]+)", text)
    return [a or b or c for a, b, c in parts]


def _bracket_balance(text: str) -> int:
    """Opening minus closing brackets on a line, outside strings and comments."""
    code = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'", "", text).split("#")[0]
    return code.count("[") - code.count("]")
