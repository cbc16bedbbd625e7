"""Feed bytes to ``Entry`` values, without Scrapy and without the network.

feedparser is always given bytes (never a URL or a path, so it can never fetch anything itself);
HTML in titles and summaries is reduced to plain text here, since everything downstream
(matching, storage, alerts) works on text and the web page sanitises again at render time.

feedparser's own HTML sanitiser and its resolving of relative links inside HTML are switched off
(about a sixth of feedparser's time): no feed HTML leaves this module, only the text ``nh3`` (an
HTML5 parser) finds in it, with script and style contents dropped as the sanitiser dropped them.
The entry's link is still resolved against the feed's address by feedparser (that is not part of
``resolve_relative_uris``, which concerns links inside content).
"""

from __future__ import annotations

import calendar
import html
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser
import nh3

from ingest import feedparser_tuning
from ingest.encoding import DecodedFeed, prepare_for_feedparser
from stories.types import Entry, LanguageHint

feedparser_tuning.apply()

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table"}
)
# What nh3 leaves of a fragment: the block tags, bare, and escaped text.
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|table)>")
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
    """Plain text of an HTML fragment: block tags become line breaks, entities are decoded, script
    and style contents are dropped. Text without a "<" holds no markup and skips the HTML parser."""
    if "<" in fragment:
        # An HTML5 parser, not a regex: "5 < 6 and 7 > 3" is text, "<p onclick=...>" is a tag.
        fragment = nh3.clean(
            fragment, tags=_BLOCK_TAGS, attributes={"*": set()}, clean_content_tags={"script", "style"}, link_rel=None
        )
        fragment = _BLOCK_TAG.sub("\n", fragment)
    text = html.unescape(fragment)
    if text.isprintable() and "  " not in text:  # one line, single spaces: nothing to tidy
        return text.strip()[:limit]
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
    """The longest text of summary and content: some feeds put the full text in content:encoded.
    Compared as text, since markup would make a short paragraph in many tags look longest."""
    summary = str(entry.get("summary") or "")
    contents = {str(content.get("value") or "") for content in entry.get("content") or ()} - {summary, ""}
    texts = [html_to_text(candidate, MAX_SUMMARY_CHARS) for candidate in (summary, *contents)]
    return max(texts, key=len)


def run_feedparser(prepared: DecodedFeed, base_url: str) -> Any:
    """feedparser on the decoded bytes, links resolved against the feed's address, no sanitising."""
    headers = {"content-type": prepared.content_type, "content-location": base_url}
    return feedparser.parse(
        io.BytesIO(prepared.body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def parse_feed(
    body: bytes,
    content_type: str | None,
    *,
    feed_name: str,
    base_url: str,
    language: LanguageHint = "auto",
) -> ParsedFeed:
    prepared = prepare_for_feedparser(body, content_type)
    parsed = run_feedparser(prepared, base_url)
    entries: list[Entry] = []
    for raw in parsed.entries:
        title = html_to_text(str(raw.get("title") or ""), MAX_TITLE_CHARS)
        summary = _entry_body(raw)
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
