"""Feed bytes to ``Entry`` values, without Scrapy and without the network.

feedparser is always given bytes (never a URL or a path, so it can never fetch anything itself);
HTML in titles and summaries is reduced to plain text here, since everything downstream
(matching, storage, alerts) works on text and the web page sanitises again at render time.
"""

from __future__ import annotations

import calendar
import html
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from ingest.encoding import prepare_for_feedparser
from stories.types import Entry, LanguageHint

_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|table)\b[^>]*>", re.IGNORECASE)
_SPACE = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    entries: list[Entry]
    title: str
    encoding: str
    problem: str | None  # feedparser's bozo exception, in words; the usable entries are kept
    # Why the answer is no feed at all (an HTML page served with 200): the feed's error.
    failure: str | None = None


def html_to_text(fragment: str, limit: int) -> str:
    """Plain text of an HTML fragment: block tags become line breaks, entities are decoded."""
    if "<" in fragment:
        fragment = _BLOCK_TAG.sub("\n", fragment)
        fragment = _TAG.sub("", fragment)
    text = html.unescape(fragment)
    text = _CONTROL.sub("", text)
    text = _SPACE.sub(" ", text)
    text = _NEWLINES.sub("\n", text).strip()
    return text[:limit]


def _utc(struct: time.struct_time | None) -> datetime | None:
    if struct is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError):
        return None


def _entry_body(entry: Any) -> str:
    """The longest of summary and content: some feeds put the full text in content:encoded."""
    candidates = [str(entry.get("summary") or "")]
    for content in entry.get("content") or ():
        candidates.append(str(content.get("value") or ""))
    return max(candidates, key=len)


def parse_feed(
    body: bytes,
    content_type: str | None,
    *,
    feed_name: str,
    base_url: str,
    language: LanguageHint = "auto",
) -> ParsedFeed:
    prepared = prepare_for_feedparser(body, content_type)
    headers: Mapping[str, str] = {"content-type": prepared.content_type, "content-location": base_url}
    parsed = feedparser.parse(io.BytesIO(prepared.body), response_headers=dict(headers))
    entries: list[Entry] = []
    for raw in parsed.entries:
        title = html_to_text(str(raw.get("title") or ""), MAX_TITLE_CHARS)
        summary = html_to_text(_entry_body(raw), MAX_SUMMARY_CHARS)
        if not title and not summary:
            continue
        link = str(raw.get("link") or "").strip()
        # Only web links are kept: a feed's javascript: or data: "link" is hostile input.
        link = link if link.lower().startswith(("http://", "https://")) else ""
        entries.append(
            Entry(
                feed=feed_name,
                title=title,
                summary=summary,
                guid=(str(raw.get("id")).strip() or None) if raw.get("id") else None,
                url=link or None,
                # dict.get bypasses feedparser's deprecated updated→published key fallback.
                published=_utc(dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")),
                language_hint=language,
            )
        )
    if not entries and not parsed.get("version"):
        # No feed format recognised and nothing in it: a login page, an error page served as 200,
        # a redesign that dropped the feed. An error, or the feed would look healthy for ever.
        failure = f"not a feed: {_served_as(body, content_type)}"
        return ParsedFeed(entries=[], title="", encoding=prepared.encoding, problem=None, failure=failure)
    problems = [prepared.note] if prepared.note else []
    if parsed.get("bozo"):
        exception = parsed.get("bozo_exception")
        problems.append(f"malformed feed: {exception}" if exception else "malformed feed")
    problem = "; ".join(problems) or None
    feed_title = html_to_text(str(parsed.feed.get("title") or ""), MAX_TITLE_CHARS)
    return ParsedFeed(entries=entries, title=feed_title, encoding=prepared.encoding, problem=problem)


_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


def _served_as(body: bytes, content_type: str | None) -> str:
    """What the answer was, for the error: its media type, or text/html when the body is a page."""
    if _HTML_START.match(body[:4096]):
        return "text/html"
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type or "no content type"
