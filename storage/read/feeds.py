"""Feeds out: every stored feed with its state, newest HTTP status and last week's activity."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, Feed, FetchLogEntry

from .common import ReadModel


class FeedRow(ReadModel):
    """A stored feed's state and recent activity (fits storage.health.FeedStateLike). ``health``
    and ``configured`` depend on the config and the clock: the reader fills them in."""

    name: str
    url: str
    language: str
    health: str = Field(default="new", description="new | ok | failing | dead | quiet")
    configured: bool = True
    last_fetch_at: datetime | None
    last_status: str | None
    last_http_status: int | None
    last_error: str | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_new_entry_at: datetime | None
    next_due_at: datetime | None
    created_at: datetime | None = Field(default=None, exclude=True)
    new_last_week: int = 0
    fetches_last_week: int = 0


def feed_rows(session: Session, now: datetime) -> list[FeedRow]:
    """Every stored feed by name, with its newest HTTP status and last week's articles and fetches."""
    week_ago = now - timedelta(days=7)
    last_http = (
        select(FetchLogEntry.http_status)
        .where(FetchLogEntry.feed_id == Feed.id)
        .order_by(FetchLogEntry.started_at.desc(), FetchLogEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Feed.id,
            Feed.name,
            Feed.url,
            Feed.language,
            Feed.last_fetch_at,
            Feed.last_status,
            last_http.label("last_http_status"),
            Feed.last_error,
            Feed.consecutive_failures,
            Feed.last_success_at,
            Feed.last_new_entry_at,
            Feed.next_due_at,
            Feed.created_at,
        ).order_by(Feed.name)
    ).all()
    # Grouped by an expression, not the bare column: given the column, SQLite walks the whole
    # feed_id index to group instead of reading last week's range of the fetched_at index.
    feed_key = Article.feed_id + 0
    new = dict(
        session.execute(
            select(feed_key, func.count(Article.id)).where(Article.fetched_at >= week_ago).group_by(feed_key)
        ).all()
    )
    fetch_key = FetchLogEntry.feed_id + 0  # the same: read the week's range of started_at
    fetches = dict(
        session.execute(
            select(fetch_key, func.count(FetchLogEntry.id))
            .where(FetchLogEntry.started_at >= week_ago)
            .group_by(fetch_key)
        ).all()
    )
    return [
        FeedRow(
            name=r.name,
            url=r.url,
            language=r.language,
            last_fetch_at=r.last_fetch_at,
            last_status=r.last_status,
            last_http_status=r.last_http_status,
            last_error=r.last_error,
            consecutive_failures=r.consecutive_failures,
            last_success_at=r.last_success_at,
            last_new_entry_at=r.last_new_entry_at,
            next_due_at=r.next_due_at,
            created_at=r.created_at,
            new_last_week=int(new.get(r.id, 0)),
            fetches_last_week=int(fetches.get(r.id, 0)),
        )
        for r in rows
    ]
