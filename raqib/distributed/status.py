"""``raqib workers``: the workers and their heartbeats, queue depth per task, stalled and failed
jobs, and how late the longest-due feed is."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from config.schema import RaqibConfig
from raqib.distributed.app import require_postgres
from raqib.distributed.worker import HEARTBEAT_SECONDS
from storage import feed_repo
from storage.db import Database
from storage.queue_status import QueueStatus, queue_status


def read_status(config: RaqibConfig, database: Database, heartbeat: float = HEARTBEAT_SECONDS) -> QueueStatus:
    require_postgres(config.database)
    with database.session() as session:
        feed_repo.sync_feeds(session, config.feeds)
        return queue_status(
            session,
            [feed.name for feed in config.feeds if feed.enabled],
            stalled_after=timedelta(seconds=3 * heartbeat),
        )


def status_json(status: QueueStatus) -> dict[str, Any]:
    data = asdict(status)
    if status.oldest_due is not None:
        data["oldest_due"]["lag"] = status.oldest_due.lag.total_seconds()
    return data


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def status_lines(status: QueueStatus) -> list[str]:
    lines = [f"workers ({len(status.workers)}):"]
    for worker in status.workers:
        running = ", ".join(worker.running) or "idle"
        lines.append(f"  #{worker.id}  heartbeat {_age(worker.seconds_since_heartbeat)} ago  {running}")
    if not status.workers:
        lines.append("  none: start one with `raqib worker`")
    lines.append("queue (todo / doing / failed / succeeded):")
    for task in status.tasks:
        lines.append(
            f"  {task.task:<22} {task.todo:>6} {task.doing:>6} {task.failed:>6} {task.succeeded:>9}   [{task.queue}]"
        )
    if not status.tasks:
        lines.append("  empty")
    lines.append(f"stalled jobs: {len(status.stalled)}")
    for job in status.stalled:
        lines.append(f"  {job.task}#{job.id} (worker #{job.worker_id}, attempt {job.attempts + 1}) since {job.at}")
    lines.append(f"failed jobs: {sum(task.failed for task in status.tasks)}")
    for job in status.failed:
        lines.append(f"  {job.task}#{job.id} at {job.at}: {_args(job.args)}")
    if status.oldest_due is None:
        lines.append("feeds: none due")
    else:
        lag = status.oldest_due
        lines.append(
            f"feeds: {status.due_feeds} due; the longest due, {lag.feed}, for {_age(lag.lag.total_seconds())}"
            + ("" if lag.due_at else " (never crawled)")
        )
    return lines


def _args(args: dict[str, object]) -> str:
    feeds = args.get("feeds")
    if isinstance(feeds, list):
        return f"{len(feeds)} feed(s): " + ", ".join(map(str, feeds[:3])) + (" …" if len(feeds) > 3 else "")
    return ", ".join(f"{key}={value}" for key, value in args.items()) or "-"
