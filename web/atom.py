"""Atom 1.0 feeds out: the new stories and developments of a watch, and every event of a story.

``GET /feeds/watch/{name}.atom`` and ``GET /feeds/story/{id}.atom``. The documents are written by
feedgen (lxml): feed text is only ever element text or an attribute value, so a title like
``</title><script>`` or ``]]>`` is escaped, never markup. The "what is new" content is XHTML built
here as an element tree from escaped text. Characters XML 1.0 cannot carry (NUL, ESC and the other
C0 controls) are dropped first, so no stored text can make the document ill-formed. Links are
absolute (``[web] base_url``), and an article link is only made for an http(s) address.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import APIRouter, HTTPException, Request, Response
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator

from alerts.render import LANGUAGE_NAMES, changes, is_rtl, new_facts, one_line, safe_link, type_name
from alerts.render import quote as quoted
from alerts.types import AlertEvent, ArticleRef, StoryRef
from config.schema import RaqibConfig
from storage.db import Database
from storage.read.events import NewsItem, watch_events, watch_is_known
from storage.read.stories import StoryHead, story_events
from stories.wording import WhatIsNew

router = APIRouter(tags=["feeds"])

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"  # serialised as xml:lang
# Tag URIs (RFC 4151) stay the same when the server moves to another address.
TAG = "tag:raqib,2025:"
WATCH_FEED_ENTRIES = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the "updated" of a feed with no entry yet: stable
# Everything outside XML 1.0's Char production: a stored title may hold any of these.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class FeedHead:
    id: str
    title: str
    self_url: str
    alternate_url: str
    updated: datetime
    language: str | None = None
    subtitle: str = ""


# --- routes --------------------------------------------------------------------------------


@router.get("/feeds/watch/{name}.atom", response_class=Response, summary="Atom feed of a watch")
def watch_feed(name: str, request: Request) -> Response:
    """The newest new stories and developments of a watch (50), newest first."""
    config: RaqibConfig = request.app.state.config
    database: Database = request.app.state.database
    with database.read_session() as session:
        configured = any(watch.name == name for watch in config.watches)
        if not configured and not watch_is_known(session, name):
            raise HTTPException(status_code=404, detail=f"unknown watch {name!r}")
        events = watch_events(session, name, limit=WATCH_FEED_ENTRIES)
    body = build_watch_feed(config.web.public_url(), name, events)
    return _atom_response(request, body)


@router.get("/feeds/story/{story_id:int}.atom", response_class=Response, summary="Atom feed of a story")
def story_feed(story_id: int, request: Request) -> Response:
    """Every event of a story (new story, developments, updates, duplicates), newest first."""
    config: RaqibConfig = request.app.state.config
    database: Database = request.app.state.database
    with database.read_session() as session:
        found = story_events(session, story_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"unknown story {story_id}")
    body = build_story_feed(config.web.public_url(), *found)
    return _atom_response(request, body)


def _atom_response(request: Request, body: bytes) -> Response:
    # Feed readers poll: a validator lets them get a 304 instead of the whole document.
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(content=body, media_type=MEDIA_TYPE, headers={"ETag": etag})


# --- documents -----------------------------------------------------------------------------


def watch_feed_url(base_url: str, watch: str) -> str:
    return f"{base_url}/feeds/watch/{quote(watch, safe='')}.atom"


def story_feed_url(base_url: str, story_id: int) -> str:
    return f"{base_url}/feeds/story/{story_id}.atom"


def story_page_url(base_url: str, story_id: int) -> str:
    return f"{base_url}/stories/{story_id}"


def build_watch_feed(base_url: str, watch: str, events: Sequence[NewsItem]) -> bytes:
    base_url = base_url.rstrip("/")
    head = FeedHead(
        id=f"{TAG}watch:{watch}",
        title=f"Raqib: {watch}",
        subtitle=f"New stories and developments of the watch {watch}",
        self_url=watch_feed_url(base_url, watch),
        alternate_url=f"{base_url}/stories?watch={quote(watch, safe='')}",
        updated=max((event.created_at for event in events), default=_EPOCH),
    )
    return build_feed(head, events, base_url)


def build_story_feed(base_url: str, story: StoryHead, events: Sequence[NewsItem]) -> bytes:
    base_url = base_url.rstrip("/")
    updated = max((event.created_at for event in events), default=story.last_seen)
    head = FeedHead(
        id=f"{TAG}story:{story.id}",
        title=f"Raqib: {one_line(story.title) or f'story {story.id}'}",
        subtitle=f"Every report of a story of the watch {story.watch}",
        self_url=story_feed_url(base_url, story.id),
        alternate_url=story_page_url(base_url, story.id),
        updated=updated,
        language=story.language,
    )
    return build_feed(head, events, base_url)


def build_feed(head: FeedHead, events: Sequence[NewsItem], base_url: str) -> bytes:
    generator = FeedGenerator()
    generator.id(_xml(head.id))
    generator.title(_xml(head.title))
    if head.subtitle:
        generator.subtitle(_xml(head.subtitle))
    generator.updated(_utc(head.updated))
    generator.link(href=head.self_url, rel="self", type="application/atom+xml")
    generator.link(href=head.alternate_url, rel="alternate", type="text/html")
    generator.generator("Raqib")
    if head.language:
        generator.language(head.language)  # xml:lang on the feed element
    for event in events:
        generator.add_entry(_entry(event, base_url), order="append")
    body: bytes = generator.atom_str(pretty=False)
    return body


class _RaqibEntry(BaseEntryExtension):
    """What feedgen does not write: the entry's language (``xml:lang`` on the entry and its
    content), the writing direction of the content's div, English on the summary (Raqib's own
    words), and the links' attributes (feedgen 1.0.0 drops ``rel``, ``type``, ``hreflang`` and
    ``title`` of an entry's links: it reads them back from the element it has just created)."""

    def __init__(self) -> None:
        self.language = "en"
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        entry.set(XML_LANG, self.language)
        for attributes in self.links:
            link = entry.makeelement("link", attributes)
            entry.append(link)
        content = entry.find("content")
        if content is not None:
            content.set(XML_LANG, self.language)
            div = content.find(f"{{{XHTML_NS}}}div")
            if div is not None:
                div.set("dir", "rtl" if is_rtl(self.language) else "ltr")
        summary = entry.find("summary")
        if summary is not None:
            summary.set(XML_LANG, "en")
        return entry


def _entry(event: NewsItem, base_url: str) -> FeedEntry:
    alert = _alert_event(event, base_url)
    entry = FeedEntry()
    entry.register_extension("raqib", _RaqibEntry, atom=True, rss=False)
    entry.raqib.language = event.language
    entry.id(_xml(f"{TAG}event:{event.event_id}"))
    entry.title(_xml(entry_title(event)))
    entry.updated(_utc(event.created_at))
    if event.published_at is not None:
        # A feed's future date must not make the report look newer than its event.
        entry.published(min(_utc(event.published_at), _utc(event.created_at)))
    entry.author({"name": _xml(one_line(event.feed)) or "unknown feed"})
    article_url = safe_link(event.article_url)
    story_url = story_page_url(base_url, event.story_id) if event.story_id is not None else None
    if article_url:
        link = {"rel": "alternate", "type": "text/html", "href": _xml(article_url), "hreflang": event.language}
        entry.raqib.links.append(link)
    if story_url:
        rel = "related" if article_url else "alternate"
        title = _xml(one_line(event.story_title)) or f"story {event.story_id}"
        entry.raqib.links.append({"rel": rel, "type": "text/html", "href": story_url, "title": title})
    entry.category(term=event.event, label=type_name(event.event), scheme=f"{TAG}event")
    for note in WhatIsNew.from_explanation(event.event, event.explanation).categories:
        term, label = _xml(one_line(note.category)), _xml(one_line(note.label.beside("en")))
        entry.category(term=term, label=label, scheme=f"{TAG}development")
    lines = [change.line for change in changes(alert)]
    if lines:
        entry.summary(_xml("; ".join(lines)))
    entry.content(_xhtml(_content(event, alert, article_url, story_url)), type="xhtml")
    return entry


def _xhtml(content: ET.Element) -> str:
    """The inside of the content's div, serialised: feedgen wraps it in the XHTML div again."""
    drop_unencodable(content)
    div = content[0]
    return (escape(div.text or "")) + "".join(ET.tostring(child, encoding="unicode") for child in div)


def _xml(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (lxml refuses them)."""
    return _NOT_XML.sub("", text)


def entry_title(event: NewsItem) -> str:
    """ "development: <story title> — <article title>"; the article title alone when it is the story's."""
    story = one_line(event.story_title)
    article = one_line(event.article_title)
    label = type_name(event.event)
    if story and article and story != article:
        return f"{label}: {story} — {article}"
    return f"{label}: {story or article or 'untitled report'}"


def _content(event: NewsItem, alert: AlertEvent, article_url: str | None, story_url: str | None) -> ET.Element:
    """The "what is new" as one XHTML div: the article's language and writing direction on the
    div, the labels (Raqib's own words) marked English and left to right inside it."""
    language = event.language
    content = ET.Element("content", {"type": "xhtml", XML_LANG: language})
    div = ET.SubElement(content, "div", {"xmlns": XHTML_NS, "dir": "rtl" if is_rtl(language) else "ltr"})

    heading = ET.SubElement(div, "p")
    _label(heading, "strong", type_name(event.event)).tail = ": "
    story_title = one_line(event.story_title)
    if story_url:
        link = _text(heading, "a", story_title or f"story {event.story_id}")
        link.set("href", story_url)
        if story_title:
            _in_language(link, event.story_language or language)
    elif story_title:
        _in_language(_text(heading, "span", story_title), event.story_language or language)

    found = changes(alert)
    if found:
        _label(div, "p", "What is new:")
        items = ET.SubElement(div, "ul")
        for change in found:
            item = ET.SubElement(items, "li")
            _label(item, "span", change.line)
            if change.evidence:
                ET.SubElement(item, "br")
                _text(item, "q", quoted(change.evidence, language))
    quoted_already = {change.evidence for change in found}
    facts = [fact for fact in new_facts(alert) if fact not in quoted_already]
    if facts:
        _label(div, "p", "New facts:")
        items = ET.SubElement(div, "ul")
        for fact in facts:
            _text(items, "li", fact)
    if not found and not facts:
        reason = one_line(str(event.explanation.get("reason", "")))
        _label(div, "p", reason or ("first report of this story" if event.event == "new_story" else "nothing new"))

    source = ET.SubElement(div, "p")
    _label(source, "span", "Source: ")
    _text(source, "span", one_line(event.feed) or "unknown feed")
    _label(source, "span", f" ({LANGUAGE_NAMES.get(language, language)}) ")
    title = one_line(event.article_title) or "the report"
    if article_url:
        _text(source, "a", title).set("href", article_url)
    else:
        _text(source, "span", title)
    return content


def _alert_event(event: NewsItem, base_url: str) -> AlertEvent:
    """The event as alerts see it, so the feed says "what is new" in the words emails use."""
    explanation = event.explanation
    story_id = event.story_id if event.story_id is not None else 0
    return AlertEvent(
        id=event.event_id,
        type=event.event,
        watch=event.watch,
        story=StoryRef(story_id, event.story_title or "", story_page_url(base_url, story_id)),
        article=ArticleRef(event.article_title, event.article_url, event.feed, event.language, event.published_at),
        created=event.created_at,
        developments=[dict(item) for item in explanation.get("developments", []) if isinstance(item, dict)],
        figures=[dict(item) for item in explanation.get("figures", []) if isinstance(item, dict)],
        new_facts=[str(fact) for fact in explanation.get("new_facts", [])],
    )


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _label(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """Raqib's own words inside possibly right-to-left content: English, left to right."""
    element = _text(parent, tag, text)
    element.set(XML_LANG, "en")
    element.set("dir", "ltr")
    return element


def _in_language(element: ET.Element, language: str) -> None:
    element.set(XML_LANG, language)
    element.set("dir", "rtl" if is_rtl(language) else "ltr")


def drop_unencodable(root: ET.Element) -> None:
    """Remove from every text and attribute the characters XML 1.0 cannot carry."""
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub("", element.text)
        if element.tail:
            element.tail = _NOT_XML.sub("", element.tail)
        for key, value in element.attrib.items():
            element.set(key, _NOT_XML.sub("", value))


def _utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite gives them back without a zone, feedgen needs one."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)
