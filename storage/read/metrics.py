"""What the metrics report, read from the tables at scrape time.

Crawls, decisions and deliveries happen in other processes (each crawl is its own process, and
``raqib serve`` may run beside ``raqib run``), so nothing is counted in memory: every figure is an
aggregate over the fetch log, the watch matches and the outbox, exact after any restart. Each is
one grouped query; the fetch log, the largest table, is read in one pass that also buckets the
fetch durations for the histogram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Float, Row, case, cast, func, select, text
from sqlalchemy.orm import Session

from storage.models import DeliveryAttempt, Feed, FetchLogEntry, OutboxEntry, WatchMatch
from storage.queue_status import JOBS, WORKERS

# Upper bounds, in seconds, of the fetch duration histogram's buckets (+Inf is implied).
FETCH_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
PENDING = ("pending", "sending")
WORKER_ALIVE_SECONDS = 60


@dataclass(slots=True)
class FetchTotals:
    """Fetches of one status (ok, not_modified, unchanged, error, deferred) over the whole log."""

    status: str
    fetches: int
    entries: int
    new: int
    matched: int
    seconds: float
    buckets: list[int]  # fetches at most FETCH_SECONDS_BUCKETS[i] seconds long (cumulative)


@dataclass(slots=True)
class MetricsSnapshot:
    fetches: list[FetchTotals] = field(default_factory=list)
    last_fetch_at: datetime | None = None
    feeds: int = 0
    feeds_failing: int = 0
    decisions: list[tuple[str, str, int]] = field(default_factory=list)  # watch, event, count
    alerts: list[tuple[str, str, int]] = field(default_factory=list)  # channel, status, count
    attempts: list[tuple[str, bool, int]] = field(default_factory=list)  # channel, ok, count
    oldest_due_at: datetime | None = None  # the oldest alert due and not sent yet
    # The distributed mode's job queue (PostgreSQL with procrastinate's schema), else None.
    jobs: list[tuple[str, str, int]] | None = None  # task, status (todo | doing), count
    workers: int | None = None  # workers that sent a heartbeat within WORKER_ALIVE_SECONDS


def _fetch_seconds(session: Session) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(FetchLogEntry.finished_at) - func.julianday(FetchLogEntry.started_at)) * 86400.0
    return cast(func.extract("epoch", FetchLogEntry.finished_at - FetchLogEntry.started_at), Float)


def snapshot(session: Session, now: datetime) -> MetricsSnapshot:
    """Every figure of /metrics, as of ``now`` (the oldest due alert is one due at or before it)."""
    seconds = _fetch_seconds(session)
    bucket_columns = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in FETCH_SECONDS_BUCKETS]
    rows = session.execute(
        select(
            FetchLogEntry.status,
            func.count(FetchLogEntry.id),
            func.coalesce(func.sum(FetchLogEntry.entries), 0),
            func.coalesce(func.sum(FetchLogEntry.new), 0),
            func.coalesce(func.sum(FetchLogEntry.matched), 0),
            func.coalesce(func.sum(seconds), 0.0),
            *bucket_columns,
        ).group_by(FetchLogEntry.status)
    ).all()
    result = MetricsSnapshot(
        fetches=[
            FetchTotals(
                status=row[0],
                fetches=int(row[1]),
                entries=int(row[2]),
                new=int(row[3]),
                matched=int(row[4]),
                seconds=max(0.0, float(row[5])),
                buckets=[int(value or 0) for value in row[6:]],
            )
            for row in rows
        ]
    )
    result.last_fetch_at = session.scalar(select(func.max(FetchLogEntry.started_at)))
    feeds = session.execute(
        select(func.count(Feed.id), func.coalesce(func.sum(case((Feed.consecutive_failures > 0, 1), else_=0)), 0))
    ).one()
    result.feeds, result.feeds_failing = int(feeds[0]), int(feeds[1])
    result.decisions = _triples(
        session.execute(
            select(WatchMatch.watch, WatchMatch.event, func.count(WatchMatch.id)).group_by(
                WatchMatch.watch, WatchMatch.event
            )
        ).all()
    )
    result.alerts = _triples(
        session.execute(
            select(OutboxEntry.channel, OutboxEntry.status, func.count(OutboxEntry.id)).group_by(
                OutboxEntry.channel, OutboxEntry.status
            )
        ).all()
    )
    result.attempts = [
        (channel, bool(ok), int(count))
        for channel, ok, count in session.execute(
            select(OutboxEntry.channel, DeliveryAttempt.ok, func.count(DeliveryAttempt.id))
            .join(OutboxEntry, DeliveryAttempt.outbox_id == OutboxEntry.id)
            .group_by(OutboxEntry.channel, DeliveryAttempt.ok)
        ).all()
    ]
    result.oldest_due_at = session.scalar(
        select(func.min(OutboxEntry.next_attempt_at)).where(
            OutboxEntry.status.in_(PENDING), OutboxEntry.next_attempt_at <= now
        )
    )
    _queue(session, result)
    return result


def _queue(session: Session, result: MetricsSnapshot) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    if session.scalar(text("SELECT to_regclass(:name)"), {"name": JOBS}) is None:
        return  # `raqib db upgrade` has not made the queue (the embedded mode on PostgreSQL)
    result.jobs = _triples(
        session.execute(
            text(
                f"SELECT task_name, status::text, count(*) FROM {JOBS} "
                "WHERE status IN ('todo', 'doing') GROUP BY task_name, status ORDER BY task_name, status"
            )
        ).all()
    )
    result.workers = int(
        session.scalar(
            text(f"SELECT count(*) FROM {WORKERS} WHERE last_heartbeat > now() - make_interval(secs => :alive)"),
            {"alive": WORKER_ALIVE_SECONDS},
        )
        or 0
    )


def _triples(rows: Sequence[Row[str, str, int]]) -> list[tuple[str, str, int]]:
    return [(str(row[0]), str(row[1]), int(row[2])) for row in rows]
