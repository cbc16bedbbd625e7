"""Rules across the entries of a configuration (unique names, an alert naming a watch or a
category that exists, each alert kind with its own keys), and how a place in the file is written
(``feeds[3].url``).

They run on the raw parsed file, tolerant of entries that are malformed (the models report
those), so the loader reports every problem in one pass; ``RaqibConfig`` runs them again on a
model built in code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

Loc = tuple[str | int, ...]

# The error type the model-level check raises; the loader reports these rules from the raw file
# instead (see ``cross_check``) and skips errors of this type to avoid saying things twice.
CROSS_FIELD_ERROR = "raqib_cross_field"

ALERT_KINDS = ("email", "webhook", "apprise")
# The keys that belong to one kind of alert channel.
_ALERT_KEYS = {"to": "email", "smtp": "email", "url": "webhook", "secret_env": "webhook", "urls_env": "apprise"}


def cross_check(data: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Rules across entries, on the raw parsed file or a dumped model: tolerant of entries
    that are malformed (those are reported by the models themselves). An alert's categories
    must be categories of some watch."""
    problems: list[tuple[Loc, str]] = []

    def tables(key: str) -> list[tuple[int, Mapping[str, Any]]]:
        value = data.get(key)
        if not isinstance(value, list):
            return []
        return [(i, item) for i, item in enumerate(value) if isinstance(item, Mapping)]

    for key, what in (("feeds", "feed"), ("watches", "watch"), ("alerts", "alert")):
        first: dict[str, int] = {}
        for i, table in tables(key):
            name = table.get("name")
            if not isinstance(name, str):
                continue
            if name in first:
                message = f"duplicate {what} name {name!r} (first used by {key}[{first[name]}])"
                problems.append(((key, i, "name"), message))
            else:
                first[name] = i

    watch_names = [t["name"] for _, t in tables("watches") if isinstance(t.get("name"), str)]
    known_categories: set[str] = set()
    for _, watch in tables("watches"):
        categories = watch.get("categories")
        if isinstance(categories, Mapping):
            known_categories.update(str(key) for key in categories)

    for i, alert in tables("alerts"):
        kind = alert.get("kind")
        if kind == "webhook":
            if not alert.get("url"):
                problems.append((("alerts", i, "url"), "a webhook alert needs url"))
        elif kind == "email":
            if not alert.get("to"):
                problems.append((("alerts", i, "to"), "an email alert needs at least one address in to"))
            if not alert.get("smtp"):
                problems.append((("alerts", i, "smtp"), "an email alert needs smtp = { host = ... }"))
        elif kind == "apprise" and not alert.get("urls_env"):
            message = "an apprise alert needs urls_env: the environment variable that holds its URLs"
            problems.append((("alerts", i, "urls_env"), message))
        for key, owner in _ALERT_KEYS.items():
            if kind in ALERT_KINDS and kind != owner and alert.get(key):
                message = f"{key} is for {owner} alerts, not {kind}"
                problems.append((("alerts", i, key), message))
        for key, known, what in (
            ("watches", watch_names, "watch"),
            ("categories", sorted(known_categories), "development category"),
        ):
            named = alert.get(key)
            if not isinstance(named, list):
                continue
            for j, name in enumerate(named):
                if isinstance(name, str) and name not in known:
                    choices = ", ".join(known) or "none"
                    message = f"unknown {what} {name!r} (defined: {choices})"
                    problems.append((("alerts", i, key, j), message))
    return problems


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_loc(loc: Sequence[str | int]) -> str:
    """``("feeds", 3, "url")`` → ``feeds[3].url`` (indices count from 0, like the TOML arrays)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":  # pydantic's marker for an invalid mapping key: the key is the place
            continue
        else:
            text = part if _BARE_KEY.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
            out += f".{text}" if out else text
    return out
