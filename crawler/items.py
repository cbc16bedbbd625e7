"""What the feeds spider yields to the storage pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from stories.types import Analysis, Entry, LanguageHint


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One feed to fetch in this crawl, with the validators remembered from the last fetch."""

    name: str
    url: str
    language: LanguageHint
    fetch_articles: bool
    interval: timedelta
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class ArticleItem:
    entry: Entry
    analysis: Analysis
    article_error: str | None = None  # why the article page could not be used, if it could not


@dataclass(frozen=True, slots=True)
class FeedDone:
    """The end of one feed's fetch: its articles were yielded before it."""

    job: FeedJob
    started_at: datetime
    finished_at: datetime
    status: str  # a storage FetchStatus value
    http_status: int | None
    url: str
    entries: int = 0
    skipped_seen: int = 0  # entries known and unchanged, never handed to the pipeline
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    retry_after_until: datetime | None = None
