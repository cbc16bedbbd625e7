"""The value types of the config file: durations, sizes, clock times, names, addresses, terms.

Each is an ``Annotated`` type whose validator says, in the user's words, what was expected;
``config.schema`` builds the sections from them."""

from __future__ import annotations

import re
from datetime import time, timedelta
from email.utils import parseaddr
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
)

from stories.types import Language

MIN_FEED_INTERVAL = timedelta(minutes=1)  # the scheduler ticks once a minute
LANGUAGES: tuple[Language, ...] = ("ar", "en")


# --- durations, sizes, clock times ---------------------------------------------------------

_DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")
_DURATION_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+")
_DURATION_HINT = "expected a duration like '30s', '15m', '2h', '1d' or '1h30m'"


def parse_duration(value: object) -> timedelta:
    """``"30s"``, ``"15m"``, ``"2h"``, ``"1d"``, ``"1w"`` and combinations (``"1h30m"``); a bare
    number is seconds. Units are lower case (``M`` could mean months)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{_DURATION_HINT}, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(f"{_DURATION_HINT}, got {value!r}")
    text = value.strip()
    if not _DURATION_WHOLE.fullmatch(text):
        raise ValueError(f"{_DURATION_HINT}, got {value!r}")
    seconds = sum(float(n) * _DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(text))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest string ``parse_duration`` reads back to the same value (whole seconds)."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        amount, seconds = divmod(seconds, _DURATION_UNITS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def _at_least_a_minute(value: timedelta) -> timedelta:
    if value < MIN_FEED_INTERVAL:
        raise ValueError(f"must be at least 1m (the scheduler ticks once a minute), got {format_duration(value)}")
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0s")
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]
Interval = Annotated[Duration, AfterValidator(_at_least_a_minute)]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]

# KB/MB/GB are decimal and KiB/MiB/GiB binary, as in pydantic's ByteSize.
_SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?", re.IGNORECASE)


def parse_size(value: object) -> object:
    """An integer number of bytes, or a string like ``"512KB"``, ``"10MiB"``."""
    if isinstance(value, str):
        match = _SIZE.fullmatch(value.strip())
        if not match:
            raise ValueError(f"expected a size like 10485760, '512KB' or '10MiB', got {value!r}")
        return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()])
    return value


def parse_clock(value: object) -> object:
    """``"22:00"`` or ``"22:00:00"``, or a TOML local time (``22:00:00``, no quotes)."""
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected a time of day like '22:00', got {value!r}") from None
    return value


ByteCount = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]
ClockTime = Annotated[time, BeforeValidator(parse_clock)]


# --- names, URLs, addresses -----------------------------------------------------------------

_SLUG = re.compile(r"[^\W_-][\w-]*")  # letters (any script), digits, - and _; not starting with - or _
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _display_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (line breaks, tabs)")
    return value


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(f"must be letters, digits, '-' and '_' (like 'nk-troops-kursk'), got {value!r}")
    return value


def _env_name(value: str) -> str:
    if value and not _ENV_NAME.fullmatch(value):
        raise ValueError(f"must be the name of an environment variable (like 'RAQIB_SECRET'), got {value!r}")
    return value


def check_http_url(value: str) -> str:
    """Feeds and webhooks are fetched over HTTP: anything else is a mistake in the file."""
    if _CONTROL.search(value) or " " in value:
        raise ValueError("URL must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"URL scheme must be http or https, got {parts.scheme or value!r}")
    if not parts.hostname:
        raise ValueError(f"URL has no host: {value!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"URL has an invalid port: {value!r}") from None
    return value


def _email_address(value: str) -> str:
    _, address = parseaddr(value)
    if _CONTROL.search(value) or "@" not in address or " " in address:
        raise ValueError(f"not an email address: {value!r}")
    return value


def check_header_safe(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (CR/LF would split the HTTP header)")
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def check_example(value: str) -> str:
    text = " ".join(value.split())
    if len(text) < 8:
        raise ValueError(f"an example is a sentence (a few words at least), got {value!r}")
    return text


def _term(value: str) -> str:
    term = value.strip()
    if not term:
        raise ValueError("a term must not be empty")
    if '"' in term or "(" in term or ")" in term:
        raise ValueError(f"write a term or phrase as plain text, without quotes or parentheses: {value!r}")
    # A term is matched as a quoted phrase of the query language (stories.query): check it is one.
    from stories.query import QuerySyntaxError, parse_query

    try:
        parse_query(f'"{term}"')
    except QuerySyntaxError as exc:
        raise ValueError(f"{exc.message}: {value!r}") from None
    return term


DisplayName = Annotated[str, AfterValidator(_display_name)]
Slug = Annotated[str, AfterValidator(_slug)]
EnvName = Annotated[str, AfterValidator(_env_name)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]
EmailAddress = Annotated[str, AfterValidator(_email_address)]
Term = Annotated[str, AfterValidator(_term)]


def _language_key(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"language must be 'ar' or 'en', got {value!r}")
    return value


LanguageKey = Annotated[str, AfterValidator(_language_key)]
