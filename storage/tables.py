"""The tables, in SQLAlchemy Core: the one definition of the schema.

The pipeline (a crawl, its writer, the decide process) reads and writes these tables with Core
statements and never loads the ORM (~140 ms and ~29 MiB per process); ``storage.models`` maps
ORM classes onto these same ``Table`` objects for the pages and the CLI. Migrations in
``storage/migrations/versions`` describe the schema by hand; ``tests/test_storage.py`` checks that
both agree on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

# Explicit constraint names make migrations reproducible on both backends (SQLite would
# otherwise leave constraints unnamed and batch migrations could not address them).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


def _when(name: str, *, nullable: bool = False, **kw: object) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable, **kw)  # type: ignore[arg-type]


def _count(name: str, *, server_default: str | None = "0") -> Column[int]:
    return Column(name, Integer, nullable=False, default=0, server_default=server_default)


# A configured feed and its health, kept across runs (names come from the config).
feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("language", String(8), nullable=False),
    # HTTP validators for conditional requests, and the hash of the last body for servers
    # that ignore them.
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(128)),
    _when("last_fetch_at", nullable=True),
    Column("last_status", String(20)),
    Column("last_error", Text),
    _count("consecutive_failures"),
    _when("next_due_at", nullable=True),
    _when("retry_after_until", nullable=True),
    _when("last_new_entry_at", nullable=True),
    _when("last_success_at", nullable=True),  # the last answer that was not an error
    _when("created_at", default=utcnow),
)

# One stored entry, matched or not (unmatched ones are kept so re-runs skip them).
articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    # Deterministic (stories.identity): the unique index is what makes a re-run store nothing twice.
    Column("identity", String(255), nullable=False, unique=True),
    Column("guid", Text),
    Column("url", Text),
    Column("canonical_url", Text),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("language", String(8), nullable=False),
    _when("published_at", nullable=True),
    _when("fetched_at"),  # first stored; never changes
    # When the report's event happened as far as we can tell: its publication time when plausible,
    # else ``fetched_at`` (ingest.store.event_time). Stories are decided and windowed by it.
    _when("event_at"),
    _when("updated_at"),
    Column("content_hash", String(128), nullable=False),
    _count("revisions"),
    # Near-duplicate detection (stories.fingerprint): the exact hash of the normalised body, so a
    # re-titled copy is found by index, and the MinHash signature that the band index points to.
    Column("fingerprint", String(32), index=True),
    Column("signature", LargeBinary),
    # What stories/ extracted (concepts, categories, figures), kept for explanations and reprocess.
    Column("features", JSON),
    Index("ix_articles_fetched_at", "fetched_at"),
    Index("ix_articles_feed_id", "feed_id"),
    Index("ix_articles_event_at", "event_at"),
)

# One event followed under one watch; its article count is derived from its matches.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("watch", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("language", String(8), nullable=False),
    _when("first_seen"),
    _when("last_seen"),
    # What the story already holds (stories.memory.StoryMemory as JSON): categories, figures,
    # concepts, known sentences. Novelty is judged against it without re-reading every report.
    Column("state", JSON),
    # Changes with every write of ``state``: a process may keep the parsed memory while it matches.
    Column("state_token", String(32)),
    Index("ix_stories_watch_last_seen", "watch", "last_seen"),
)

# An article that matched a watch, the story it joined and the event it was (DESIGN §3.3).
watch_matches = Table(
    "watch_matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("watch", String(200), nullable=False),
    Column("terms", JSON, nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="SET NULL")),
    Column("event", String(20), nullable=False),  # an EventType value
    # What made it a development (developments, new_facts); filled by the stories issue.
    Column("explanation", JSON, nullable=False),
    _when("created_at", default=utcnow),
    UniqueConstraint("article_id", "watch"),
    Index("ix_watch_matches_watch_created_at", "watch", "created_at"),
    Index("ix_watch_matches_story_id", "story_id"),
)

# A stored article that matched a watch and waits for the decide stage (ingest.decide).
undecided_matches = Table(
    "undecided_matches",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("watch", String(200), primary_key=True),
    Column("terms", JSON, nullable=False),
    _when("event_at"),
    Column("history", Boolean, nullable=False),  # already old when first seen: placed in its story, no alert
    Index("ix_undecided_matches_watch_event_at", "watch", "event_at", "article_id"),
)

# The persisted LSH index: one row per (band hash, article). An article's near-duplicates are the
# articles sharing a band hash with it, found through the primary key's index.
article_bands = Table(
    "article_bands",
    metadata,
    Column("band", BigInteger, primary_key=True, autoincrement=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Index("ix_article_bands_article_id", "article_id"),
    # WITHOUT ROWID on SQLite: the table is its primary-key index, half the size and one lookup.
    sqlite_with_rowid=False,
)

# A configured alert channel's state across runs (its settings stay in the config).
alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    # Set when the receiver said 410 Gone: nothing more is sent until the operator re-enables it.
    _when("disabled_at", nullable=True),
    Column("disabled_reason", Text),
)

# One alert for one channel, written in the transaction that decided the event (the
# transactional outbox), then claimed, sent and marked by the deliverer.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(64), nullable=False),  # stable across retries: webhook-id, Message-ID
    Column("channel", String(200), nullable=False),
    Column("event_type", String(20), nullable=False),
    Column("watch", String(200), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="SET NULL")),
    Column("language", String(8), nullable=False),
    Column("payload", JSON, nullable=False),  # the AlertEvent as it was decided (alerts.types)
    Column("status", String(16), nullable=False),  # pending | sending | sent | dead
    _count("attempts"),
    _when("next_attempt_at"),
    _when("lease_until", nullable=True),
    # Written by each claim: only its holder may send or record (a stale holder is fenced off).
    Column("claim_token", String(32)),
    # The id a group (digest, held-back story) was first sent under: retries keep it.
    Column("message_id", String(64)),
    # Recipients that accepted it while others refused: they are not sent it again.
    Column("delivered_to", JSON),
    Column("last_error", Text),
    _when("created_at"),
    _when("sent_at", nullable=True),
    UniqueConstraint("event_id", "channel"),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_outbox_channel_story_id", "channel", "story_id"),
)

# Every try of every alert: what the channel answered.
delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
    _when("attempted_at"),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("seconds", Float, nullable=False),
    Index("ix_delivery_attempts_outbox_id", "outbox_id"),
)

# One fetch of one feed: what came back and what storing it did.
fetch_log = Table(
    "fetch_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    _when("started_at"),
    _when("finished_at"),
    Column("status", String(20), nullable=False),  # a FetchStatus value
    Column("http_status", Integer),
    Column("url", Text, nullable=False),
    _count("entries", server_default=None),
    _count("new", server_default=None),
    _count("updated", server_default=None),
    _count("seen", server_default=None),
    _count("matched", server_default=None),
    Column("error", Text),
    Index("ix_fetch_log_started_at", "started_at"),
    Index("ix_fetch_log_feed_id_started_at", "feed_id", "started_at"),
)
