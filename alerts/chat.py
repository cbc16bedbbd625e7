"""Chat and push alerts through Apprise (Telegram, Slack, Matrix, ntfy, ... ~190 services).

A channel's URLs carry tokens, so they come from the environment variable its ``urls_env``
names, several separated by spaces or commas. Each URL is a recipient of its own: when one
service refuses, the others keep what they got (``SendResult.delivered`` names them by a
hash of the URL, never the URL itself) and only the refused ones are tried again.

Apprise sends with ``requests``, outside our webhook client, so three of our rules are applied
around it: the host of every URL that names one is vetted by the address guard (private
addresses refused unless ``[network] allow_private``), redirects are not followed, and a 429 or
503 with ``Retry-After`` is read from the response (Apprise reports only success or failure) so
the outbox waits as long as the service asked.

Messages fit a chat: a short title, what is new in one or two lines, the links. Arabic lines
start with a right-to-left mark (U+200F), which chat clients honour in plain text; feed text
is sent as plain text, never as markup.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import apprise
from requests.adapters import HTTPAdapter

from alerts import render
from alerts.types import AlertEvent
from alerts.webhook import _retry_after as parse_retry_after  # the webhook's reading of the header
from net.guard import RefusedURL, URLGuard

RLM = "\u200f"  # RIGHT-TO-LEFT MARK: sets the direction of a plain-text line that starts with it
MAX_WHAT_IS_NEW = 180
MAX_FACT = 160
MAX_DIGEST_LINES = 10
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_SEPARATORS = re.compile(r"[\s,]+")


def split_urls(value: str) -> list[str]:
    """The URLs of a channel's environment variable: separated by spaces, commas or new lines."""
    return [url for url in _SEPARATORS.split(value.strip()) if url]


def recipient_key(url: str) -> str:
    """How a URL is remembered in the outbox: a hash, since the URL holds the service's token."""
    return "apprise:" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


# --- the words ---------------------------------------------------------------------------------


def _rtl(line: str) -> str:
    """A line that holds Arabic starts with a right-to-left mark."""
    return RLM + line if _ARABIC.search(line) else line


def chat_title(events: Sequence[AlertEvent], *, digest_title: str | None = None) -> str:
    return _rtl(render.subject(events, digest_title=digest_title))


def _what_is_new(event: AlertEvent) -> str:
    """The changes in a few words; new sentences are quoted on a line of their own instead."""
    found = [change.line for change in render.changes(event)]
    if not found and event.type == "new_story":
        found.append("first report of this story")
    return "; ".join(found)


def _event_lines(event: AlertEvent) -> list[str]:
    lines = []
    new = _what_is_new(event)
    if new:
        lines.append(_rtl(render.shorten(f"What is new: {new}", MAX_WHAT_IS_NEW)))
    facts = render.new_facts(event)
    if facts:
        lines.append(_rtl(render.quote(render.shorten(facts[0], MAX_FACT), event.article.language)))
    article = render.safe_link(event.article.url)
    source = render.one_line(event.article.source) or "source"
    if article:
        lines.append(_rtl(f"{source}: {article}"))
    story = render.safe_link(event.story.url)
    if story:
        lines.append(f"Raqib: {story}")
    return lines


def chat_body(events: Sequence[AlertEvent], *, digest_title: str | None = None) -> str:
    """One event: what is new, a quoted new sentence, the article's and the story's links.
    Several: one line per event (type, story, what is new, link), at most ten."""
    if len(events) == 1 and digest_title is None:
        return "\n".join(_event_lines(events[0]))
    lines = []
    for event in events[:MAX_DIGEST_LINES]:
        facts = render.new_facts(event)
        new = _what_is_new(event) or (render.shorten(facts[0], 80) if facts else "")
        line = render.shorten(f"• {render.headline(event)}" + (f" — {new}" if new else ""), MAX_WHAT_IS_NEW)
        link = render.safe_link(event.story.url) or render.safe_link(event.article.url)
        lines.append(_rtl(line) + (f" {link}" if link else ""))
    if len(events) > MAX_DIGEST_LINES:
        lines.append(f"… and {len(events) - MAX_DIGEST_LINES} more")
    return "\n".join(lines)


def test_message(channel: str) -> tuple[str, str]:
    """Title and body of ``raqib alerts test CHANNEL``, with an Arabic line to show it arrives."""
    name = render.shorten(render.one_line(channel), 60)
    body = (
        f"Test message from {render.BRAND} for the alert channel {name!r}: if you can read this, "
        "chat alerts from this channel reach you.\n"
        + _rtl("رسالة اختبار من رقيب: إذا ظهر هذا النص العربي سليمًا فالترميز يعمل.")
    )
    return f"{render.SUBJECT_PREFIX} test message ({name})", body


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UrlOutcome:
    key: str  # recipient_key(url)
    shown: str  # the URL as Apprise shows it with its secrets hidden
    ok: bool
    error: str | None = None
    retry_after: float | None = None
    permanent: bool = False  # refused before sending: a URL Apprise does not know, or a private address


@dataclass
class _Seen:
    statuses: list[tuple[int, str | None]]


_observed = threading.local()
_install_lock = threading.Lock()
_installed = False


def _watch_responses() -> None:
    """Let this module see the status and ``Retry-After`` of the responses Apprise receives.

    Apprise turns every answer into True or False; the outbox needs to know when a service said
    "429, wait 30 s". Every ``requests`` call goes through ``HTTPAdapter.send``: the wrapper only
    looks at a response, and only in a thread that is inside :func:`notify_url`."""
    global _installed
    with _install_lock:
        if _installed:
            return
        original: Callable[..., Any] = HTTPAdapter.send

        def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
            response = original(self, request, *args, **kwargs)
            seen: _Seen | None = getattr(_observed, "seen", None)
            if seen is not None:
                seen.statuses.append((int(response.status_code), response.headers.get("Retry-After")))
            return response

        HTTPAdapter.send = send  # type: ignore[method-assign]
        _installed = True


def _names_host(plugin: Any) -> bool:
    """Whether the URL names the server (json://, form://, ntfy://, matrix://, mailto:// ...).
    The others (Telegram, Slack ...) talk to their service's own public address, and what
    stands where a host would is a token."""
    return any("{host}" in template for template in getattr(plugin, "templates", ()))


def _vet(plugin: Any, guard: URLGuard) -> None:
    """Refuse a URL whose server is at a private address (unless allowed)."""
    host = str(getattr(plugin, "host", "") or "")
    if _names_host(plugin) and host:
        guard.check(f"https://{host}/")


def _shown(plugin: Any, url: str) -> str:
    """The URL as errors and logs show it: scheme and server, or Apprise's own privacy form;
    never a path or query (where tokens live)."""
    scheme = url.split("://", 1)[0]
    if _names_host(plugin) and getattr(plugin, "host", None):
        port = f":{plugin.port}" if getattr(plugin, "port", None) else ""
        return f"{scheme}://{plugin.host}{port}/…"
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def notify_url(url: str, title: str, body: str, *, guard: URLGuard, timeout_seconds: float) -> UrlOutcome:
    """Send one message to one Apprise URL and say what happened. Never raises."""
    key = recipient_key(url)
    try:
        plugin = apprise.Apprise.instantiate(url)
    except Exception:  # noqa: BLE001 - a URL a plugin cannot parse is a refusal, not a crash
        plugin = None
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else "(none)"
        return UrlOutcome(key, f"{scheme}://…", False, f"Apprise does not know this URL ({scheme}://…)", permanent=True)
    shown = _shown(plugin, url)
    try:
        _vet(plugin, guard)
    except RefusedURL as refused:
        return UrlOutcome(key, shown, False, f"refused: {refused}", permanent=True)
    plugin.redirects = False  # a redirect could lead past the address check
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout_seconds
    _watch_responses()
    seen = _Seen([])
    _observed.seen = seen
    try:
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
            sent = bool(plugin.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
        logged = render.one_line(log.getvalue())
    except Exception as crash:  # noqa: BLE001 - a plugin's bug must not stop the deliverer
        sent, logged = False, f"{type(crash).__name__}: {render.one_line(str(crash))}"
    finally:
        _observed.seen = None
    if sent:
        return UrlOutcome(key, shown, True)
    retry_after = None
    status = seen.statuses[-1][0] if seen.statuses else None
    if seen.statuses and status in (429, 503):
        retry_after = parse_retry_after(seen.statuses[-1][1])
    if status is not None:
        wait = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
        error = f"HTTP {status} from {shown}{wait}"
    else:
        error = f"{shown}: {render.shorten(logged, 200) or 'not delivered'}"
    return UrlOutcome(key, shown, False, error, retry_after)
