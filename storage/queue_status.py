"""What the distributed mode reads: the database clock, the feeds that crawl jobs already hold,
and the state of procrastinate's queue (its tables are in the ``procrastinate`` schema).

The database clock, not the machine's, says what is due: a worker whose clock is minutes off
schedules exactly what the others would."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import Feed

JOBS = "procrastinate.procrastinate_jobs"
WORKERS = "procrastinate.procrastinate_workers"


def database_now(session: Session) -> datetime:
    now: datetime = session.execute(select(func.now())).scalar_one()
    return now


def database_clock(database: Database) -> Callable[[], datetime]:
    """A clock that reads the database's time: for a deliverer on a machine whose clock is off,
    leases and due times then mean the same on every machine."""

    def now() -> datetime:
        with database.session() as session:
            return database_now(session)

    return now


def feeds_in_flight(session: Session, task_name: str) -> set[str]:
    """The feeds named by crawl jobs that are queued or running (a dead worker's job included,
    until it is retried): the scheduler does not queue them again."""
    rows = session.execute(
        text(f"SELECT args -> 'feeds' FROM {JOBS} WHERE task_name = :task AND status IN ('todo', 'doing')"),
        {"task": task_name},
    ).scalars()
    return {str(name) for names in rows if isinstance(names, list) for name in names}


@dataclass(frozen=True, slots=True)
class WorkerRow:
    id: int
    last_heartbeat: datetime
    seconds_since_heartbeat: float
    running: list[str]  # "task#job_id" of its jobs in progress


@dataclass(frozen=True, slots=True)
class TaskDepth:
    task: str
    queue: str
    todo: int
    doing: int
    failed: int  # in the kept history (finished jobs are pruned after a day, failed after a week)
    succeeded: int


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    task: str
    queue: str
    attempts: int
    args: dict[str, object]
    worker_id: int | None
    at: datetime | None  # stalled: when it started; failed: when it failed


@dataclass(frozen=True, slots=True)
class FeedLag:
    feed: str
    due_at: datetime | None  # None: never crawled
    lag: timedelta  # how long it has been due (zero when nothing is due)


@dataclass(frozen=True, slots=True)
class QueueStatus:
    now: datetime
    workers: list[WorkerRow]
    tasks: list[TaskDepth]
    stalled: list[JobRow]
    failed: list[JobRow]
    oldest_due: FeedLag | None
    due_feeds: int


def queue_status(
    session: Session, enabled_feeds: Collection[str], *, stalled_after: timedelta, failed_limit: int = 10
) -> QueueStatus:
    now = database_now(session)
    cutoff = now - stalled_after
    workers = [
        WorkerRow(row.id, row.last_heartbeat, (now - row.last_heartbeat).total_seconds(), list(row.running or []))
        for row in session.execute(
            text(
                f"SELECT w.id, w.last_heartbeat, "
                f"array_agg(j.task_name || '#' || j.id ORDER BY j.id) FILTER (WHERE j.id IS NOT NULL) AS running "
                f"FROM {WORKERS} w LEFT JOIN {JOBS} j ON j.worker_id = w.id AND j.status = 'doing' "
                f"GROUP BY w.id, w.last_heartbeat ORDER BY w.id"
            )
        )
    ]
    tasks = [
        TaskDepth(row.task_name, row.queue_name, row.todo, row.doing, row.failed, row.succeeded)
        for row in session.execute(
            text(
                f"SELECT task_name, queue_name, "
                f"count(*) FILTER (WHERE status = 'todo') AS todo, "
                f"count(*) FILTER (WHERE status = 'doing') AS doing, "
                f"count(*) FILTER (WHERE status = 'failed') AS failed, "
                f"count(*) FILTER (WHERE status = 'succeeded') AS succeeded "
                f"FROM {JOBS} GROUP BY task_name, queue_name ORDER BY task_name, queue_name"
            )
        )
    ]
    stalled = _jobs(
        session,
        "'started'",
        f"FROM {JOBS} j LEFT JOIN {WORKERS} w ON w.id = j.worker_id "
        f"WHERE j.status = 'doing' AND (w.id IS NULL OR w.last_heartbeat < :cutoff) ORDER BY j.id",
        {"cutoff": cutoff},
    )
    failed = _jobs(
        session,
        "'failed'",
        f"FROM {JOBS} j WHERE j.status = 'failed' ORDER BY j.id DESC LIMIT :limit",
        {"limit": failed_limit},
    )
    oldest, due = _feed_lag(session, enabled_feeds, now)
    return QueueStatus(now, workers, tasks, stalled, failed, oldest, due)


def _jobs(session: Session, event: str, where: str, params: dict[str, object]) -> list[JobRow]:
    """Jobs with the time of their last ``event`` (an event type literal: 'started', 'failed')."""
    rows = session.execute(
        text(
            "SELECT j.id, j.task_name, j.queue_name, j.attempts, j.args, j.worker_id, "
            "(SELECT max(e.at) FROM procrastinate.procrastinate_events e "
            f" WHERE e.job_id = j.id AND e.type = {event}) AS at " + where
        ),
        params,
    )
    return [
        JobRow(row.id, row.task_name, row.queue_name, row.attempts, row.args, row.worker_id, row.at) for row in rows
    ]


def _feed_lag(session: Session, names: Collection[str], now: datetime) -> tuple[FeedLag | None, int]:
    """The enabled feed due the longest (never-crawled feeds count from when they were added)."""
    if not names:
        return None, 0
    due_since = func.coalesce(Feed.next_due_at, Feed.created_at)
    is_due = (Feed.next_due_at.is_(None)) | (Feed.next_due_at <= now)
    rows: Sequence[tuple[str, datetime | None, datetime]] = (
        session.execute(
            select(Feed.name, Feed.next_due_at, due_since).where(Feed.name.in_(list(names)), is_due).order_by(due_since)
        )
        .tuples()
        .all()
    )
    if not rows:
        return None, 0
    name, due_at, since = rows[0]
    return FeedLag(name, due_at, max(now - since, timedelta(0))), len(rows)
