"""Where a key of a TOML file is written: ``LineIndex`` scans the source text and maps key paths
(``feeds[3].url``) to the line of the key or of its table, so that every problem the loader
reports (``config.loader``) names a line even when tomllib, which keeps no positions, accepted
the file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence

from config.cross_rules import Loc

__all__ = ["LineIndex"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


class LineIndex:
    """Maps key paths to the line where they are written, by scanning the TOML text.

    Best effort and never fatal: it follows table headers (``[network]``, the n-th
    ``[[feeds]]``, ``[alerts.smtp]`` under the last ``[[alerts]]``), keys and dotted keys at
    the start of a line, and skips the insides of multi-line strings and arrays. A path with no
    line of its own (an array item, a key inside an inline table, a missing key) takes the line
    of the nearest enclosing key or table.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[Loc, int] = {}
        self._starts_next_line: set[Loc] = set()  # multi-line strings opened at the end of the line
        self._table: Loc = ()
        self._array_counts: dict[Loc, int] = {}
        self._multiline: str | None = None  # the closing delimiter while inside a multi-line string
        self._depth = 0  # open brackets/braces of a value spanning lines
        for number, line in enumerate(text.splitlines(), start=1):
            self._scan_line(number, line)

    def line_for(self, loc: Sequence[str | int]) -> int | None:
        path = tuple(part for part in loc if part != "[key]")
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def line_in_value(self, loc: Sequence[str | int], key_line: int, value: str, position: object) -> int:
        """The line of character ``position`` (0-based) of a string value written at
        ``key_line``; tomllib drops the newline right after an opening triple quote."""
        if not isinstance(position, int) or tuple(loc) not in self.lines:
            return key_line
        skipped = 1 if tuple(loc) in self._starts_next_line else 0
        return key_line + skipped + value[:position].count("\n")

    def _scan_line(self, number: int, line: str) -> None:
        if self._multiline is not None or self._depth > 0:
            self._scan_value(line, 0)
            return
        stripped = line.lstrip()
        start = len(line) - len(stripped)
        if stripped.startswith("[["):
            parts = _parse_key(line, start + 2, "]")
            if parts:
                parent = self._resolve(parts[0][:-1])
                key = (*parent, parts[0][-1])
                index = self._array_counts.get(key, 0)
                self._array_counts[key] = index + 1
                self._table = (*key, index)
                self.lines.setdefault(key, number)
                self.lines[self._table] = number
            return
        if stripped.startswith("["):
            parts = _parse_key(line, start + 1, "]")
            if parts:
                self._table = self._resolve(parts[0])
                self.lines.setdefault(self._table, number)
            return
        parsed = _parse_key(line, start, "=")
        if parsed is None:
            return
        keys, end = parsed
        for i in range(1, len(keys) + 1):
            self.lines.setdefault((*self._table, *keys[:i]), number)
        if line[end:].strip() in ('"""', "'''"):
            self._starts_next_line.add((*self._table, *keys))
        self._scan_value(line, end)

    def _resolve(self, parts: Sequence[str]) -> Loc:
        """A header's dotted name as a path, stepping into the last element of each array of
        tables on the way (``[alerts.smtp]`` → ``alerts[last].smtp``)."""
        path: Loc = ()
        for part in parts:
            path = (*path, part)
            if path in self._array_counts:
                path = (*path, self._array_counts[path] - 1)
        return path

    def _scan_value(self, line: str, i: int) -> None:
        n = len(line)
        while i < n:
            if self._multiline is not None:
                if self._multiline == '"""' and line[i] == "\\":
                    i += 2
                    continue
                if line.startswith(self._multiline, i):
                    i += 3
                    while i < n and line[i] == self._multiline[0]:  # up to two quotes may end the string
                        i += 1
                    self._multiline = None
                    continue
                i += 1
                continue
            char = line[i]
            if char == "#":
                return
            if line.startswith('"""', i) or line.startswith("'''", i):
                self._multiline = line[i : i + 3]
                i += 3
            elif char == '"':
                i += 1
                while i < n and line[i] != '"':
                    i += 2 if line[i] == "\\" else 1
                i += 1
            elif char == "'":
                close = line.find("'", i + 1)
                i = n if close < 0 else close + 1
            else:
                if char in "[{":
                    self._depth += 1
                elif char in "]}":
                    self._depth = max(0, self._depth - 1)
                i += 1


def _parse_key(line: str, i: int, terminator: str) -> tuple[list[str], int] | None:
    """A dotted key starting at ``i`` and ending at ``terminator``: its parts and the index
    after the terminator; None when the line holds no such key."""
    parts: list[str] = []
    n = len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return None
        if line[i] == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            try:
                parts.append(tomllib.loads(f"k = {line[i : j + 1]}")["k"])
            except tomllib.TOMLDecodeError:
                return None
            i = j + 1
        elif line[i] == "'":
            j = line.find("'", i + 1)
            if j < 0:
                return None
            parts.append(line[i + 1 : j])
            i = j + 1
        else:
            match = _BARE.match(line, i)
            if not match:
                return None
            parts.append(match.group())
            i = match.end()
        while i < n and line[i] in " \t":
            i += 1
        if i < n and line[i] == ".":
            i += 1
            continue
        if i < n and line[i] == terminator:
            return parts, i + 1
        return None
