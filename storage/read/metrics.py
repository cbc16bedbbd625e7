"""What the metrics report, read from the tables at scrape time.

Crawls, decisions and deliveries happen in other processes (each crawl is its own process, and
``raqib serve`` may run beside ``raqib run``), so nothing is counted in memory: every figure is an
aggregate over the fetch log, the watch matches and the outbox, exact after any restart. Each is
one grouped query.

The fetch log is the one table that grows without end (300 feeds every 15 minutes: ten million
rows a year), and its rows are never changed once written. ``FetchLogTotals`` therefore keeps the
totals of its settled part (rows older than ``SETTLE``, read once, by id range) and reads only the
rows since at each scrape, in one pass that also buckets the fetch durations for the histogram.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Float, Row, case, cast, func, select, text
from sqlalchemy.orm import Session

from storage.models import DeliveryAttempt, Feed, FetchLogEntry, OutboxEntry, WatchMatch
from storage.queue_status import JOBS, WORKERS

# Upper bounds, in seconds, of the fetch duration histogram's buckets (+Inf is implied).
FETCH_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
PENDING = ("pending", "sending")
WORKER_ALIVE_SECONDS = 60
# A fetch log row started this long ago is committed: no writer holds a transaction that long.
SETTLE = timedelta(minutes=10)


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


def _fetch_totals(session: Session, *conditions: ColumnElement[bool]) -> dict[str, FetchTotals]:
    """The fetch log rows meeting ``conditions``, summed per status."""
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
        )
        .where(*conditions)
        .group_by(FetchLogEntry.status)
    ).all()
    return {
        row[0]: FetchTotals(
            status=row[0],
            fetches=int(row[1]),
            entries=int(row[2]),
            new=int(row[3]),
            matched=int(row[4]),
            seconds=max(0.0, float(row[5])),
            buckets=[int(value or 0) for value in row[6:]],
        )
        for row in rows
    }


def _add(into: dict[str, FetchTotals], more: dict[str, FetchTotals]) -> dict[str, FetchTotals]:
    for status, totals in more.items():
        known = into.get(status)
        if known is None:
            into[status] = FetchTotals(status, 0, 0, 0, 0, 0.0, [0] * len(FETCH_SECONDS_BUCKETS))
            known = into[status]
        known.fetches += totals.fetches
        known.entries += totals.entries
        known.new += totals.new
        known.matched += totals.matched
        known.seconds += totals.seconds
        known.buckets = [a + b for a, b in zip(known.buckets, totals.buckets, strict=True)]
    return into


class FetchLogTotals:
    """Cumulative fetch figures: the settled rows (up to ``settled_id``) summed once and kept,
    the rows after them summed at each read. One per process; safe across threads."""

    def __init__(self, settle: timedelta = SETTLE) -> None:
        self.settle = settle
        self.settled_id = 0
        self.settled: dict[str, FetchTotals] = {}
        self._lock = threading.Lock()

    def read(self, session: Session, now: datetime) -> list[FetchTotals]:
        with self._lock:
            # The newest row started before the settle time, found through the started_at index.
            boundary = session.scalar(
                select(FetchLogEntry.id)
                .where(FetchLogEntry.started_at < now - self.settle)
                .order_by(FetchLogEntry.started_at.desc(), FetchLogEntry.id.desc())
                .limit(1)
            )
            if boundary is not None and boundary > self.settled_id:
                newly = _fetch_totals(session, FetchLogEntry.id > self.settled_id, FetchLogEntry.id <= boundary)
                _add(self.settled, newly)
                self.settled_id = boundary
            recent = _fetch_totals(session, FetchLogEntry.id > self.settled_id)
            totals = _add(_add({}, self.settled), recent)
        return [totals[status] for status in sorted(totals)]


def snapshot(session: Session, now: datetime, fetch_log: FetchLogTotals | None = None) -> MetricsSnapshot:
    """Every figure of /metrics, as of ``now`` (the oldest due alert is one due at or before it).
    ``fetch_log``: the process's running totals of the fetch log (a fresh one reads it whole)."""
    result = MetricsSnapshot(fetches=(fetch_log or FetchLogTotals()).read(session, now))
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
