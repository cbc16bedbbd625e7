"""Feed bytes to ``Entry`` values, without Scrapy and without the network.

The parser is fastfeedparser (libxml2 through lxml, with a native extractor for well-formed RSS and
Atom). It is only ever given bytes: given a ``str`` that looks like a URL it would fetch it. Before
it sees them the bytes are decoded to UTF-8 (``ingest.encoding``), the document type declaration is
cut out and entity references XML does not define are made text or characters (``xml_for_parser``),
so no entity is ever expanded or fetched (fastfeedparser's lxml parsers do not resolve entities and
do not use the network either; this is the second lock). A strict lxml parse of the same bytes says
whether the feed is well-formed: a malformed feed keeps the entries the recovering parser finds and
records why it is malformed.

HTML in titles and summaries is reduced to plain text here, since everything downstream
(matching, storage, alerts) works on text and the web page sanitises again at render time: only
the text ``nh3`` (an HTML5 parser) finds in it, with script and style contents dropped. Entry links
are resolved against the feed's address here (fastfeedparser leaves them as written).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import fastfeedparser
import nh3
from fastfeedparser.main import _parse_date as fastfeedparser_date

from ingest.encoding import decode_feed
from ingest.feed_xml import MarkupTexts, entries_with_ids, malformation, markup_texts, recovered_tree, xml_for_parser
from stories.types import Entry, LanguageHint

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table"}
)
# What nh3 leaves of a fragment: the block tags, bare, and escaped text.
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|table)>")
_SPACE = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Feeds written in windows-1252 and declared Latin-1 carry its quotes, dashes and euro sign as the
# code points 0x80-0x9F (C1 controls): read as the characters meant, as browsers read them.
_WINDOWS_1252_C1 = {
    code: bytes([code]).decode("windows-1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # undefined in windows-1252
}

MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    entries: list[Entry]
    title: str
    encoding: str
    problem: str | None  # why the feed is malformed or was mended, in words; the usable entries are kept
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
    text = _CONTROL.sub("", text.translate(_WINDOWS_1252_C1))
    text = _SPACE.sub(" ", text)
    text = _NEWLINES.sub("\n", text).strip()
    return text[:limit]


def _utc(iso: object) -> datetime | None:
    """fastfeedparser's dates are ISO 8601 strings in UTC."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _published(raw: Any) -> datetime | None:
    """The entry's publication (else update) time. fastfeedparser falls back on the guid read as a
    date when an RSS item has no date: a guid "3" or "2024" or "1700000000" would become a date it
    never had (dateutil fills the rest from today), so a date that is the guid's reading is not
    taken for the publication time."""
    published = raw.get("published")
    guid = raw.get("id")
    if published and guid and _may_be_a_date(guid) and published == fastfeedparser_date(guid):
        published = None
    return _utc(published or raw.get("updated"))


# What a guid read as a date can look like (digits and separators, or a month's name): only such a
# guid is read again (dateutil takes ~40 µs to refuse an ordinary guid).
_DATE_CHARACTERS = re.compile(r"[\d\s:/.,+TZ-]+")
_MONTH = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.IGNORECASE)


def _may_be_a_date(guid: str) -> bool:
    return _DATE_CHARACTERS.fullmatch(guid) is not None or _MONTH.search(guid) is not None


_HAS_IDS = re.compile(rb"<(?:guid|(?:[A-Za-z][\w.-]*:)?id)[\s>]|rdf:about=")
_NOT_PERMALINK = re.compile(rb"isPermaLink\s*=\s*[\"']false", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class _FeedIds:
    """What the document says of its entries' ids, which fastfeedparser's entries do not tell:
    it gives an entry without an id its link as id."""

    has_id: list[bool]  # per entry: whether it has an id element of its own
    permalinks: bool  # the feed's guids are links to the article (no isPermaLink="false" anywhere)

    @classmethod
    def of(cls, xml: bytes, entries: int, tree: Callable[[], Any]) -> _FeedIds:
        permalinks = _NOT_PERMALINK.search(xml) is None
        id_elements = len(_HAS_IDS.findall(xml))
        if id_elements == 0 or id_elements >= entries:  # none has one, or each has (the usual feeds)
            return cls([id_elements > 0] * entries, permalinks)
        # Some have, some have not: which is which, from the document's tree.
        return cls(entries_with_ids(tree(), entries) or [True] * entries, permalinks)


def _guid(raw: Any, has_id: bool, permalinks: bool, base_url: str) -> str | None:
    """The entry's own id. A guid that is a link to the article and relative ("ar-1") is resolved
    against the feed's address, as feed readers (and feedparser, which Raqib used before) read it:
    the identities of entries stored before stay the same."""
    guid = str(raw.get("id") or "").strip()
    if not guid or not has_id:
        return None
    if permalinks and not _SCHEME.match(guid):
        return _clean_link(urljoin(base_url, guid))
    return guid


def _link(raw: Any, guid: str | None, permalinks: bool, base_url: str) -> str | None:
    """The entry's web link, resolved against the feed's address; a guid that is a link stands in
    for a missing one. Only web links are kept: a feed's javascript: or data: "link" is hostile."""
    link = _clean_link(str(raw.get("link") or "").strip())
    if not link and guid and permalinks:
        link = guid
    if link and not link.lower().startswith(("http://", "https://")):
        link = urljoin(base_url, link)  # a relative link, as the feed's readers resolve it
    return link if link.lower().startswith(("http://", "https://")) else None


def _clean_link(link: str) -> str:
    # Tabs and line breaks are not part of a URL (WHATWG URL parsing drops them): kept, a CR LF
    # would reach the headers of the article page's request.
    return link.replace("\t", "").replace("\r", "").replace("\n", "") if _LINK_BREAKS.search(link) else link


_LINK_BREAKS = re.compile(r"[\t\r\n]")


def _entry_body(entry: Any) -> str:
    """The longest text of summary and content: some feeds put the full text in content:encoded.
    Compared as text, since markup would make a short paragraph in many tags look longest."""
    summary = str(entry.get("description") or "")
    contents = {str(content.get("value") or "") for content in entry.get("content") or ()} - {summary, ""}
    texts = [html_to_text(candidate, MAX_SUMMARY_CHARS) for candidate in (summary, *contents)]
    return max(texts, key=len)


# A title, description or summary element holding an element (not CDATA, not escaped markup):
# fastfeedparser's reading of it stops there.
_MARKUP_INSIDE = re.compile(rb"<(?:title|description|summary)(?:\s[^>]*)?>[^<]*<(?![/!])")


def _with_markup(
    texts: list[tuple[str, str]], markup: list[MarkupTexts] | None, *, only_empty: bool
) -> list[tuple[str, str]]:
    """Titles and summaries with the text of their elements' markup where it is longer.
    fastfeedparser reads an element's text up to its first child element: an Atom title or summary
    of type xhtml (a <div>), or an RSS description holding bare HTML tags, would read as empty or
    cut short. In a malformed feed the recovered tree can nest the rest of an item inside an
    unclosed tag, so there only what reads as empty is filled."""
    if markup is None:
        return texts
    mended = []
    for (title, summary), found in zip(texts, markup, strict=True):
        if not (only_empty and title):
            for fragment in found.titles:
                title = max(title, html_to_text(fragment, MAX_TITLE_CHARS), key=len)
        if not (only_empty and summary):
            for fragment in found.bodies:
                summary = max(summary, html_to_text(fragment, MAX_SUMMARY_CHARS), key=len)
        mended.append((title, summary))
    return mended


def read_feed(utf8: bytes) -> Any:
    """fastfeedparser's reading of the bytes: entries and feed fields, as its dicts. Raises
    ``ValueError`` when they are no feed it knows (an HTML page, an unknown root element)."""
    return fastfeedparser.parse(utf8, include_tags=False, include_media=False, include_enclosures=False)


def parse_feed(
    body: bytes,
    content_type: str | None,
    *,
    feed_name: str,
    base_url: str,
    language: LanguageHint = "auto",
) -> ParsedFeed:
    decoded = decode_feed(body, content_type)
    xml, mended = xml_for_parser(decoded.body)
    try:
        parsed = read_feed(xml)
    except ValueError:
        # No feed format recognised: a login page, an error page served as 200, a redesign that
        # dropped the feed. An error, or the feed would look healthy for ever.
        failure = f"not a feed: {_served_as(body, content_type)}"
        return ParsedFeed(entries=[], title="", encoding=decoded.encoding, problem=None, failure=failure)
    entries: list[Entry] = []
    raws = parsed.get("entries") or []
    # The recovered tree, parsed at most once and only when the ids or the markup need it.
    tree = functools.cache(functools.partial(recovered_tree, xml))
    ids = _FeedIds.of(xml, len(raws), tree)
    texts = [(html_to_text(str(raw.get("title") or ""), MAX_TITLE_CHARS), _entry_body(raw)) for raw in raws]
    malformed = malformation(xml)
    if _MARKUP_INSIDE.search(xml) or any(not title or not summary for title, summary in texts):
        texts = _with_markup(texts, markup_texts(tree(), len(raws)), only_empty=malformed is not None)
    for raw, (title, summary), has_id in zip(raws, texts, ids.has_id, strict=True):
        if not title and not summary:
            continue
        guid = _guid(raw, has_id, ids.permalinks, base_url)
        entries.append(
            Entry(
                feed=feed_name,
                title=title,
                summary=summary,
                guid=guid,
                url=_link(raw, guid, ids.permalinks, base_url),
                published=_published(raw),
                language_hint=language,
            )
        )
    problems = [note for note in (decoded.note, mended) if note]
    if malformed:
        problems.append(f"malformed feed: {malformed}")
    problem = "; ".join(problems) or None
    feed_title = html_to_text(str(parsed.get("feed", {}).get("title") or ""), MAX_TITLE_CHARS)
    return ParsedFeed(entries=entries, title=feed_title, encoding=decoded.encoding, problem=problem)


_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


def _served_as(body: bytes, content_type: str | None) -> str:
    """What the answer was, for the error: its media type, or text/html when the body is a page."""
    if _HTML_START.match(body[:4096]):
        return "text/html"
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type or "no content type"
