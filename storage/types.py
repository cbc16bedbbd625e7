"""Plain values that storage/repo.py takes and returns, so callers never touch ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article row to insert (``article_writes.insert_articles``), with its search text already built."""

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
