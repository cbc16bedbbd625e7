"""The problems of a configuration file and their wording: ``Problem`` (file, key path, line,
message), ``ConfigError`` (every problem at once), a TOML syntax error with its line and column
(``syntax_problem``), and the message for each validation error (``validation_message``: a
misspelt key gets a "did you mean", a secret written in the file is refused with the way to name
an environment variable instead, a key of an earlier version says what took its place)."""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from config.cross_rules import Loc
from config.schema import RaqibConfig

__all__ = ["ConfigError", "Problem", "syntax_problem", "validation_message", "watch_named"]


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


_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def syntax_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> Problem:
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


def watch_named(data: Any, loc: Loc) -> str:
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


def validation_message(error: Any, loc: Loc) -> str:
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
