"""Plain values that storage/repo.py takes and returns, so callers never touch ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class FeedSpec(Protocol):
    """What sync_feeds needs of a configured feed (config.schema.FeedConfig fits)."""

    @property
    def name(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def language(self) -> str: ...


class FetchStatus(StrEnum):
    """How one fetch of a feed ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"  # HTTP 304 to a conditional request
    UNCHANGED = "unchanged"  # HTTP 200 but the same body hash as last time
    ERROR = "error"
    DEFERRED = "deferred"  # HTTP 429/503 with Retry-After: not a failure of the feed


@dataclass(slots=True)
class FeedState:
    name: str
    url: str
    language: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_fetch_at: datetime | None
    last_status: str | None
    last_error: str | None
    consecutive_failures: int
    next_due_at: datetime | None
    retry_after_until: datetime | None
    last_new_entry_at: datetime | None
    last_success_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class FetchResult:
    feed: str  # the feed's configured name
    url: str
    started_at: datetime
    finished_at: datetime
    status: FetchStatus
    http_status: int | None
    entries: int = 0
    new: int = 0
    updated: int = 0
    seen: int = 0
    matched: int = 0
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    retry_after_until: datetime | None = None
    next_due_at: datetime | None = None


@dataclass(slots=True)
class FetchLogRow:
    id: int
    feed: str
    started_at: datetime
    finished_at: datetime
    status: str
    http_status: int | None
    url: str
    entries: int
    new: int
    updated: int
    seen: int
    matched: int
    error: str | None


@dataclass(slots=True)
class ArticleRow:
    id: int
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime
    updated_at: datetime
    revisions: int
    watches: dict[str, str] = field(default_factory=dict)  # watch -> event
    terms: dict[str, list[str]] = field(default_factory=dict)  # watch -> matched terms
    story_ids: dict[str, int] = field(default_factory=dict)  # watch -> story id


@dataclass(slots=True)
class StoryArticleRow:
    """An article as one of a story's reports, with the event it was for that story."""

    id: int
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime
    updated_at: datetime
    revisions: int
    event: str
    terms: list[str]
    # Why it is that event: developments, figures, new_facts, reason (stories.decide.Decision)
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class StoryRow:
    id: int
    watch: str
    title: str
    language: str
    first_seen: datetime
    last_seen: datetime
    articles: list[StoryArticleRow] = field(default_factory=list)  # oldest first

    @property
    def article_count(self) -> int:
        return len(self.articles)


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article row to insert (``repo.insert_articles``), with its search text already built."""

    feed_id: int
    identity: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    text: str
    language: str
    published_at: datetime | None
    fetched_at: datetime
    event_at: datetime
    content_hash: str
    search_content: str


@dataclass(frozen=True, slots=True)
class ArticleIndex:
    """What the story stages keep of a matched article: fingerprint, MinHash signature, features."""

    article_id: int
    fingerprint: str
    signature: bytes
    features: dict[str, Any]
    band_keys: list[int]


@dataclass(frozen=True, slots=True)
class Undecided:
    """A stored match waiting for its decision (``repo.add_undecided``)."""

    article_id: int
    watch: str
    terms: list[str]
    event_at: datetime
    history: bool
