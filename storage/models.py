"""ORM classes for the pages and the CLI, mapped onto the Core tables of ``storage.tables`` (the
one definition of the schema): the annotations type the attributes, the columns come from the
tables. The pipeline (a crawl, its writer, the decide process) never imports this module, so it
never loads the ORM.

Only storage/ imports this module, and the tools and tests that build rows by hand.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped

from storage import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class Feed(Base):
    """A configured feed and its health, kept across runs (names come from the config)."""

    __table__ = tables.feeds
    id: Mapped[int]
    name: Mapped[str]
    url: Mapped[str]
    language: Mapped[str]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    body_hash: Mapped[str | None]
    last_fetch_at: Mapped[datetime | None]
    last_status: Mapped[str | None]
    last_error: Mapped[str | None]
    consecutive_failures: Mapped[int]
    next_due_at: Mapped[datetime | None]
    retry_after_until: Mapped[datetime | None]
    last_new_entry_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Article(Base):
    """One stored entry, matched or not (unmatched ones are kept so re-runs skip them)."""

    __table__ = tables.articles
    id: Mapped[int]
    feed_id: Mapped[int]
    identity: Mapped[str]
    guid: Mapped[str | None]
    url: Mapped[str | None]
    canonical_url: Mapped[str | None]
    title: Mapped[str]
    summary: Mapped[str]
    text: Mapped[str]
    language: Mapped[str]
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    event_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    content_hash: Mapped[str]
    revisions: Mapped[int]
    fingerprint: Mapped[str | None]
    signature: Mapped[bytes | None]
    features: Mapped[dict[str, Any] | None]


class Story(Base):
    """One event followed under one watch; its article count is derived from its matches."""

    __table__ = tables.stories
    id: Mapped[int]
    watch: Mapped[str]
    title: Mapped[str]
    language: Mapped[str]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    state: Mapped[dict[str, Any] | None]
    state_token: Mapped[str | None]


class WatchMatch(Base):
    """An article that matched a watch, the story it joined and the event it was (DESIGN §3.3)."""

    __table__ = tables.watch_matches
    id: Mapped[int]
    article_id: Mapped[int]
    watch: Mapped[str]
    terms: Mapped[list[str]]
    story_id: Mapped[int | None]
    event: Mapped[str]
    explanation: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class UndecidedMatch(Base):
    """A stored article that matched a watch and waits for the decide stage (ingest.decide)."""

    __table__ = tables.undecided_matches
    article_id: Mapped[int]
    watch: Mapped[str]
    terms: Mapped[list[str]]
    event_at: Mapped[datetime]
    history: Mapped[bool]


class ArticleBand(Base):
    """The persisted LSH index: one row per (band hash, article). An article's near-duplicates are
    the articles sharing a band hash with it, found through the primary key's index."""

    __table__ = tables.article_bands
    band: Mapped[int]
    article_id: Mapped[int]


class AlertChannel(Base):
    """A configured alert channel's state across runs (its settings stay in the config)."""

    __table__ = tables.alert_channels
    id: Mapped[int]
    name: Mapped[str]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None]


class OutboxEntry(Base):
    """One alert for one channel, written in the transaction that decided the event (the
    transactional outbox), then claimed, sent and marked by the deliverer."""

    __table__ = tables.outbox
    id: Mapped[int]
    event_id: Mapped[str]
    channel: Mapped[str]
    event_type: Mapped[str]
    watch: Mapped[str]
    story_id: Mapped[int | None]
    language: Mapped[str]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    claim_token: Mapped[str | None]
    message_id: Mapped[str | None]
    delivered_to: Mapped[list[str] | None]
    last_error: Mapped[str | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class DeliveryAttempt(Base):
    """Every try of every alert: what the channel answered."""

    __table__ = tables.delivery_attempts
    id: Mapped[int]
    outbox_id: Mapped[int]
    attempted_at: Mapped[datetime]
    ok: Mapped[bool]
    status_code: Mapped[int | None]
    error: Mapped[str | None]
    seconds: Mapped[float]


class FetchLogEntry(Base):
    """One fetch of one feed: what came back and what storing it did."""

    __table__ = tables.fetch_log
    id: Mapped[int]
    feed_id: Mapped[int]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    status: Mapped[str]
    http_status: Mapped[int | None]
    url: Mapped[str]
    entries: Mapped[int]
    new: Mapped[int]
    updated: Mapped[int]
    seen: Mapped[int]
    matched: Mapped[int]
    error: Mapped[str | None]
