"""Plain values that cross the borders between the crawler, the pure core and storage.

They carry no behaviour and import nothing from Scrapy, SQL or the network, so every layer can
share them: the crawler builds an ``Entry``, ``stories`` turns it into an ``Analysis``, storage
persists both and answers with an ``ArticleOutcome``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

Language = Literal["ar", "en"]
LanguageHint = Literal["ar", "en", "auto"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry as the crawler hands it over: plain text, no HTML, UTC dates."""

    feed: str
    title: str
    summary: str = ""
    guid: str | None = None
    url: str | None = None
    text: str = ""  # the article page's extracted text when fetched, else ""
    published: datetime | None = None  # timezone-aware UTC, or None when the feed gave none
    language_hint: LanguageHint = "auto"


@dataclass(frozen=True, slots=True)
class WatchHit:
    """A watch that matched, with the query terms found in the text (for highlighting)."""

    watch: str
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the pure core decided about an entry before anything is stored."""

    identity: str  # deterministic: GUID, else canonical URL, else title+text hash
    canonical_url: str | None
    language: Language
    content_hash: str  # hash of normalised title + body; changes when the text changes
    hits: tuple[WatchHit, ...] = ()

    @property
    def matched(self) -> bool:
        return bool(self.hits)


class ArticleFate(StrEnum):
    """What storing an entry did; a crawl counts these per feed."""

    NEW = "new"  # first time this identity is stored
    SEEN = "seen"  # identity known and text unchanged: nothing written
    UPDATED = "updated"  # identity known, text changed: the stored article was revised


class EventType(StrEnum):
    """DESIGN §3.3: each article that matches a watch ends as exactly one of these."""

    NEW_STORY = "new_story"
    DEVELOPMENT = "development"
    UPDATE = "update"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class ArticleOutcome:
    fate: ArticleFate
    article_id: int
    events: dict[str, EventType] = field(default_factory=dict)  # watch name -> event
