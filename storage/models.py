"""The tables, as typed SQLAlchemy 2 models.

Only storage/ imports this module. Migrations in ``storage/migrations/versions`` describe the same
schema by hand; ``tests/test_storage.py`` checks that both agree on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names make migrations reproducible on both backends (SQLite would
# otherwise leave constraints unnamed and batch migrations could not address them).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no timezone type and hands back naive datetimes; storing naive UTC there and
    re-attaching UTC on the way out gives callers the same aware values PostgreSQL returns.
    Naive datetimes are refused on the way in: inside Raqib every timestamp is aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: storage needs timezone-aware UTC")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: one offset-free format keeps ordering correct.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class Feed(Base):
    """A configured feed and its health, kept across runs (names come from the config)."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    # HTTP validators for conditional requests, and the hash of the last body for servers
    # that ignore them.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(128))
    last_fetch_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_due_at: Mapped[datetime | None]
    retry_after_until: Mapped[datetime | None]
    last_new_entry_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]  # the last answer that was not an error
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    """One stored entry, matched or not (unmatched ones are kept so re-runs skip them)."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_fetched_at", "fetched_at"),
        Index("ix_articles_feed_id", "feed_id"),
        Index("ix_articles_event_at", "event_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    # Deterministic (stories.identity): the unique index is what makes a re-run store nothing twice.
    identity: Mapped[str] = mapped_column(String(255), unique=True)
    guid: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8))
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]  # first stored; never changes
    # When the report's event happened as far as we can tell: its publication time when plausible,
    # else ``fetched_at`` (ingest.store.event_time). Stories are decided and windowed by it.
    event_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(128))
    revisions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Near-duplicate detection (stories.fingerprint): the exact hash of the normalised body, so a
    # re-titled copy is found by index, and the MinHash signature that the band index points to.
    fingerprint: Mapped[str | None] = mapped_column(String(32), index=True)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    # What stories/ extracted (concepts, categories, figures), kept for explanations and reprocess.
    features: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Story(Base):
    """One event followed under one watch; its article count is derived from its matches."""

    __tablename__ = "stories"
    __table_args__ = (Index("ix_stories_watch_last_seen", "watch", "last_seen"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    # What the story already holds (stories.memory.StoryMemory as JSON): categories, figures,
    # concepts, known sentences. Novelty is judged against it without re-reading every report.
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Changes with every write of ``state``: a process may keep the parsed memory while it matches.
    state_token: Mapped[str | None] = mapped_column(String(32))


class WatchMatch(Base):
    """An article that matched a watch, the story it joined and the event it was (DESIGN §3.3)."""

    __tablename__ = "watch_matches"
    __table_args__ = (
        UniqueConstraint("article_id", "watch"),
        Index("ix_watch_matches_watch_created_at", "watch", "created_at"),
        Index("ix_watch_matches_story_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    watch: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]]
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(20))  # an EventType value
    # What made it a development (developments, new_facts); filled by the stories issue.
    explanation: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UndecidedMatch(Base):
    """A stored article that matched a watch and waits for the decide stage (ingest.decide)."""

    __tablename__ = "undecided_matches"
    __table_args__ = (Index("ix_undecided_matches_watch_event_at", "watch", "event_at", "article_id"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    watch: Mapped[str] = mapped_column(String(200), primary_key=True)
    terms: Mapped[list[str]]
    event_at: Mapped[datetime]
    history: Mapped[bool]  # already old when first seen: placed in its story, no alert


class ArticleBand(Base):
    """The persisted LSH index: one row per (band hash, article). An article's near-duplicates are
    the articles sharing a band hash with it, found through the primary key's index."""

    __tablename__ = "article_bands"
    # WITHOUT ROWID on SQLite: the table is its primary-key index, half the size and one lookup.
    __table_args__ = (Index("ix_article_bands_article_id", "article_id"), {"sqlite_with_rowid": False})

    band: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )


class AlertChannel(Base):
    """A configured alert channel's state across runs (its settings stay in the config)."""

    __tablename__ = "alert_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Set when the receiver said 410 Gone: nothing more is sent until the operator re-enables it.
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class OutboxEntry(Base):
    """One alert for one channel, written in the transaction that decided the event (the
    transactional outbox), then claimed, sent and marked by the deliverer."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "channel"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_channel_story_id", "channel", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))  # stable across retries: webhook-id, Message-ID
    channel: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(20))
    watch: Mapped[str] = mapped_column(String(200))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]]  # the AlertEvent as it was decided (alerts.types)
    status: Mapped[str] = mapped_column(String(16))  # pending | sending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    # Written by each claim: only its holder may send or record (a stale holder is fenced off).
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # The id a group (digest, held-back story) was first sent under: retries keep it.
    message_id: Mapped[str | None] = mapped_column(String(64))
    # Recipients that accepted it while others refused: they are not sent it again.
    delivered_to: Mapped[list[str] | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class DeliveryAttempt(Base):
    """Every try of every alert: what the channel answered."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_outbox_id", "outbox_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime]
    ok: Mapped[bool]
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)


class FetchLogEntry(Base):
    """One fetch of one feed: what came back and what storing it did."""

    __tablename__ = "fetch_log"
    __table_args__ = (
        Index("ix_fetch_log_started_at", "started_at"),
        Index("ix_fetch_log_feed_id_started_at", "feed_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # a FetchStatus value
    http_status: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
