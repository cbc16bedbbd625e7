"""Read a configuration file and report every problem in it, each with its location.

``check_config`` returns all problems at once (TOML syntax, then each value, then the rules
across entries); ``load_config`` returns the validated ``RaqibConfig`` or raises
``ConfigError`` carrying that same list. Line numbers come from tomllib for syntax errors and,
for everything else, from a scan of the source text that maps key paths (``feeds[3].url``) to
the line where the key or its table is written.

Where the file and the data folder are comes from ``resolve_config_path`` and
``resolve_data_dir``; both take the environment as a mapping so that the command line is the
only place that reads ``os.environ``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from config.schema import (
    BUNDLED_DEFAULT,
    BUNDLED_DEMO,
    CROSS_FIELD_ERROR,
    QUERY_ERROR,
    Loc,
    RaqibConfig,
    cross_check,
    format_loc,
)

__all__ = [
    "BUNDLED_DEFAULT",
    "BUNDLED_DEMO",
    "ConfigError",
    "Problem",
    "check_config",
    "default_database_url",
    "load_config",
    "resolve_config_path",
    "resolve_data_dir",
]

CONFIG_ENV = "RAQIB_CONFIG"
DATA_ENV = "RAQIB_DATA"
LOCAL_CONFIG = "raqib.toml"
DEFAULT_DATA_DIR = "raqib-data"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a configuration file. ``location`` is a key path like
    ``feeds[2].url`` (empty for a file-level problem); ``line`` and ``column`` are 1-based and
    None when unknown."""

    file: Path
    location: str
    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.location:
            return f"{where}: {self.location}: {self.message}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The configuration file has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def resolve_config_path(explicit: str | None, env: Mapping[str, str], cwd: Path) -> Path:
    """``--config`` if given, else ``$RAQIB_CONFIG``, else ``./raqib.toml`` if it exists, else the
    bundled ``config/default.toml``. Relative paths are taken from ``cwd``; an explicit path
    that does not exist is returned anyway so the loader can say so."""
    if explicit:
        return cwd / explicit
    if env.get(CONFIG_ENV):
        return cwd / env[CONFIG_ENV]
    local = cwd / LOCAL_CONFIG
    if local.is_file():
        return local
    return BUNDLED_DEFAULT


def resolve_data_dir(env: Mapping[str, str], cwd: Path) -> Path:
    """``$RAQIB_DATA``, else ``./raqib-data`` (relative to ``cwd``). Not created here."""
    if env.get(DATA_ENV):
        return cwd / env[DATA_ENV]
    return cwd / DEFAULT_DATA_DIR


def default_database_url(data_dir: Path) -> str:
    """SQLite in the data folder, by absolute path so the working directory does not matter."""
    return f"sqlite:///{data_dir.resolve().as_posix()}/raqib.db"


def load_config(path: Path, *, data_dir: Path) -> RaqibConfig:
    """The validated configuration; ``ConfigError`` with every problem otherwise."""
    config, problems = _check(path, data_dir=data_dir)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def check_config(path: Path, *, data_dir: Path) -> list[Problem]:
    """Every problem in the file, in line order; an empty list means it loads."""
    return _check(path, data_dir=data_dir)[1]


def _check(path: Path, *, data_dir: Path) -> tuple[RaqibConfig | None, list[Problem]]:
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        return None, [Problem(path, "", None, f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = raw_bytes[: exc.start].count(b"\n") + 1
        return None, [Problem(path, "", bad_line, "the file is not UTF-8 text")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(path, text, exc)]

    data.setdefault("database", default_database_url(data_dir))
    lines = _LineIndex(text)
    found: list[tuple[Loc, str, int | None]] = []
    config: RaqibConfig | None = None
    try:
        config = RaqibConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] == CROSS_FIELD_ERROR:
                continue  # reported from the raw data below, with precise locations
            loc = tuple(error["loc"])
            line = lines.line_for(loc)
            message = _message(error, loc)
            if error["type"] == QUERY_ERROR:
                message += _watch_named(data, loc)
                if line is not None and isinstance(error["input"], str):
                    line = lines.line_in_value(loc, line, error["input"], error.get("ctx", {}).get("position"))
            found.append((loc, message, line))
    found.extend((loc, message, lines.line_for(loc)) for loc, message in cross_check(data))

    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for loc, message, line in found:
        location = format_loc(loc)
        if (location, message) in seen:
            continue
        seen.add((location, message))
        problems.append(Problem(path, location, line, message))
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else config), problems


_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def _syntax_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    line: int | None = None
    column: int | None = None
    if match := _AT.search(message):
        line, column = int(match.group(1)), int(match.group(2))
        message = message[: match.start()]
    elif match := _AT_END.search(message):
        line = max(1, len(text.splitlines()))
        message = message[: match.start()] + " (at the end of the file)"
    return Problem(path, "", line, f"TOML syntax error: {message}", column)


def _watch_named(data: Any, loc: Loc) -> str:
    """`` in watch 'name'`` for a problem inside ``watches[i]``, so a long file's query error
    names the watch as the user wrote it; empty when the entry has no usable name."""
    if len(loc) < 2 or loc[0] != "watches" or not isinstance(loc[1], int):
        return ""
    watches = data.get("watches") if isinstance(data, dict) else None
    if not isinstance(watches, list) or not loc[1] < len(watches) or not isinstance(watches[loc[1]], dict):
        return ""
    name = watches[loc[1]].get("name")
    return f" in watch {name!r}" if isinstance(name, str) and name else ""


_SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey")


# Keys of earlier versions, and what took their place.
_MOVED = {
    ("developments",): (
        "development categories now belong to a watch: [watches.categories.<id>] with label = "
        "{ en = ..., ar = ... }, examples = [...] and optional terms (see the bundled default.toml)"
    ),
    ("stories", "semantic"): "the multilingual sentence encoder is always on now; remove the key",
}


def _message(error: Any, loc: Loc) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        if any(word in key.lower() for word in _SECRET_WORDS):
            return (
                f"unknown key {key!r}: secrets are never written in the file; name an environment "
                "variable instead (password_env, secret_env)"
            )
        moved = _MOVED.get(tuple(str(part) for part in loc if not isinstance(part, int)))
        if moved:
            return f"unknown key {key!r}: {moved}"
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys the model at ``loc`` accepts (for 'did you mean' hints)."""
    annotation: Any = RaqibConfig
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            if typing.get_origin(annotation) is not list:
                return []
            annotation = typing.get_args(annotation)[0]
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return []
            annotation = field.annotation
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


# --- key path → line ------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


class _LineIndex:
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
