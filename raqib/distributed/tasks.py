"""The jobs of the distributed mode, registered on a procrastinate blueprint.

- ``schedule`` (periodic, every 15 s, deferred once across all workers, one at a time): syncs the
  configured feeds, takes those due by the database clock that no queued or running crawl job
  names, and queues them in batches (oldest due first); and a decide job for each watch with
  undecided matches.
- ``crawl``: one crawl over its batch in one of the worker's crawl processes (``crawl_child``,
  started once and fed batch after batch: ``crawl_children``): fetch, parse and store, as
  ``raqib crawl`` does, without deciding: the matches wait in ``undecided_matches``; then a
  decide job for each watch that has some.
- ``decide``, per watch (procrastinate ``lock`` on the watch: never two at once for one watch,
  watches in parallel on any workers): decides the watch's undecided matches, oldest event
  first, then queues a delivery so alerts leave right after the decision that caused them.
- ``deliver`` (also periodic, every 10 s: retries, quiet hours and the alerts of a dead worker's
  lease come due on their own): sends what is due in the outbox through the alerts deliverer
  (claims with ``SKIP LOCKED``, leases and a fencing token: never two sends of one alert at once).
- ``retry_stalled`` (periodic, every 10 s): jobs of a worker whose heartbeat stopped (killed,
  machine gone) are queued again, procrastinate's own recovery.
- ``prune`` (hourly): finished jobs are deleted after a day, failed ones after a week.

Each job is idempotent: a crawl skips what is no longer due and what another process holds;
articles are unique by identity; an alert is marked sent once and a resend keeps its event id.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from procrastinate import App, Blueprint, JobContext, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.manager import JobManager

from alerts.deliver import Deliverer
from alerts.outbox import OutboxWriter
from config.schema import RaqibConfig
from ingest.decide import decide_watch
from ingest.desk import StoryDesk
from raqib.distributed.crawl_children import CrawlChildren
from storage import feed_repo, queue_status, repo
from storage.db import Database

log = logging.getLogger("raqib.worker")

NAMESPACE = "raqib"
SCHEDULE = f"{NAMESPACE}:schedule"
CRAWL = f"{NAMESPACE}:crawl"
DECIDE = f"{NAMESPACE}:decide"
DELIVER = f"{NAMESPACE}:deliver"
QUEUES = ("schedule", "crawl", "decide", "deliver")
# Six fields: the sixth is seconds (croniter's order: minute hour day month weekday second).
SCHEDULE_CRON = "* * * * * */15"
DELIVER_CRON = "* * * * * */10"
RETRY_STALLED_CRON = "* * * * * */10"
# Decide and deliver jobs go before waiting crawl jobs (procrastinate takes the highest priority
# first): they are short, alerts wait on them, and behind a backlog of crawls they would all
# run at the end, one watch on one worker while the others sit idle.
FOLLOW_UP_PRIORITY = 10
KEEP_FINISHED_HOURS = 24
KEEP_FAILED_HOURS = 7 * 24


@dataclass
class Decider:
    """The decide stage's parts (raqib.compose): the story desk, built by the first decide job
    (a worker that only crawls or delivers never loads the sentence encoder, and workers start
    faster), and the outbox writer. One per worker process; its decide jobs take turns on it
    (``turn``): they share the desk's encoder and story cache, and Python's GIL would not let two
    run at once anyway. Decide jobs of different workers run in parallel, one per watch at a time
    (the job lock)."""

    make_desk: Callable[[], StoryDesk]
    outbox: OutboxWriter | None
    turn: threading.Lock = field(default_factory=threading.Lock)
    _desk: StoryDesk | None = None

    def desk(self) -> StoryDesk:
        """The desk; call with ``turn`` held."""
        if self._desk is None:
            self._desk = self.make_desk()
        return self._desk


@dataclass
class Runtime:
    """What every job of this worker process needs, built once at start."""

    config: RaqibConfig
    database: Database
    deliverer: Deliverer | None
    decider: Decider
    crawl_children: CrawlChildren
    batch_size: int
    stalled_after: timedelta


def runtime_of(context: JobContext) -> Runtime:
    runtime: Runtime = context.additional_context["raqib"]
    return runtime


def batch_lock(names: list[str]) -> str:
    """The queueing lock of a batch: the same batch cannot wait in the queue twice."""
    return "crawl:" + hashlib.blake2b("\n".join(sorted(names)).encode(), digest_size=8).hexdigest()


def plan_crawls(runtime: Runtime) -> tuple[list[list[str]], list[str]]:
    """The due feeds no crawl job holds, in batches; and the watches with undecided matches."""
    config = runtime.config
    enabled = [feed.name for feed in config.feeds if feed.enabled]
    with runtime.database.session() as session:
        feed_repo.sync_feeds(session, config.feeds)
        due = feed_repo.due_feed_names(session, queue_status.database_now(session), enabled)
        held = queue_status.feeds_in_flight(session, CRAWL)
        undecided = repo.undecided_watches(session)
    ready = [name for name in due if name not in held]
    size = max(1, runtime.batch_size)
    return [ready[start : start + size] for start in range(0, len(ready), size)], undecided


def decide_now(runtime: Runtime, watch: str) -> int:
    """Decide what is queued for ``watch``, oldest event first, on the database's clock."""
    decider = runtime.decider
    with decider.turn:
        with runtime.database.session() as session:
            now = queue_status.database_now(session)
            if watch not in repo.undecided_watches(session):
                # Decided already: the schedule's safety net and the crawl that stored the matches
                # can both queue a decision; the second finds nothing and loads no encoder for it.
                return 0
        return decide_watch(runtime.database, decider.desk(), decider.outbox, watch, now=now)


def blueprint() -> Blueprint:
    """A fresh blueprint with every task (``App.add_tasks_from`` renames the tasks it is given)."""
    tasks = Blueprint()

    @tasks.periodic(cron=SCHEDULE_CRON, periodic_id="schedule")
    @tasks.task(name="schedule", queue="schedule", queueing_lock="schedule", lock="schedule", pass_context=True)
    async def schedule(context: JobContext, timestamp: int) -> int:
        batches, undecided = await asyncio.to_thread(plan_crawls, runtime_of(context))
        await defer_decisions(context, undecided)  # left by a crawl that died between store and decide
        queued = 0
        for batch in batches:
            try:
                await context.app.configure_task(CRAWL, queueing_lock=batch_lock(batch)).defer_async(
                    feeds=list[Any](batch)
                )
                queued += len(batch)
            except AlreadyEnqueued:
                continue
        if queued:
            log.info("queued %d due feed(s) in %d crawl job(s)", queued, len(batches))
        return queued

    @tasks.task(name="crawl", queue="crawl", pass_context=True)
    async def crawl(context: JobContext, feeds: list[str]) -> str:
        runtime = runtime_of(context)
        outcome, pid, batch = await runtime.crawl_children.crawl(feeds)
        reports: list[dict[str, Any]] = outcome.get("feeds", [])
        for report in reports:
            if report.get("error"):
                log.warning("%s: %s — %s: %s", report["feed"], report["status"], report["url"], report["error"])
        summary = (
            f"{len(reports)} crawled ({sum(r['status'] == 'error' for r in reports)} failed), "
            f"{sum(int(r['new']) for r in reports)} new, {sum(int(r['matched']) for r in reports)} matched; "
            f"{len(outcome.get('busy', []))} busy elsewhere, {len(outcome.get('not_due', []))} no longer due"
        )
        log.info("crawl job %s: %s (crawl process %d, its batch %d)", context.job.id, summary, pid, batch)
        # The crawl stored its matches undecided: a decide job per watch decides them (if this
        # worker dies first, the schedule task finds them undecided and queues the jobs).
        await defer_decisions(context, list(outcome.get("undecided", [])))
        return summary

    @tasks.task(name="decide", queue="decide", pass_context=True, retry=RetryStrategy(max_attempts=5, wait=5))
    async def decide(context: JobContext, watch: str) -> int:
        runtime = runtime_of(context)
        decided = await asyncio.to_thread(decide_now, runtime, watch)
        if decided:
            log.info("decided %d report(s) for watch %s", decided, watch)
        if runtime.deliverer is not None:
            await defer_delivery(context)
        return decided

    @tasks.periodic(cron=DELIVER_CRON, periodic_id="deliver")
    @tasks.task(name="deliver", queue="deliver", queueing_lock="deliver", pass_context=True)
    async def deliver(context: JobContext, timestamp: int | None = None) -> str:
        deliverer = runtime_of(context).deliverer
        if deliverer is None:
            return "no alert channel"
        report = await asyncio.to_thread(deliverer.deliver_due)
        if report.sent or report.failed or report.dead or report.held:
            (log.warning if report.failed or report.dead else log.info)("alerts: %s", report.line())
        return report.line()

    @tasks.periodic(cron=RETRY_STALLED_CRON, periodic_id="retry_stalled")
    @tasks.task(name="retry_stalled", queue="schedule", queueing_lock="retry_stalled", pass_context=True)
    async def retry_stalled(context: JobContext, timestamp: int) -> int:
        manager = context.app.job_manager
        seconds = runtime_of(context).stalled_after.total_seconds()
        stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=seconds))
        retried = 0
        for job in stalled:
            log.warning("job %s#%s was running on a worker that stopped answering: queued again", job.task_name, job.id)
            try:
                await retry_in_place_of_waiting_copy(manager, job)
                retried += 1
            except Exception as error:  # noqa: BLE001 - one job's trouble must not keep the others stalled
                log.warning("job %s#%s could not be queued again (next round): %s", job.task_name, job.id, error)
        return retried

    @tasks.periodic(cron="17 * * * *", periodic_id="prune")
    @tasks.task(name="prune", queue="schedule", queueing_lock="prune", pass_context=True)
    async def prune(context: JobContext, timestamp: int) -> None:
        manager = context.app.job_manager
        await manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS)
        await manager.delete_old_jobs(nb_hours=KEEP_FAILED_HOURS, include_failed=True)

    return tasks


async def retry_in_place_of_waiting_copy(manager: JobManager, job: Job) -> None:
    """Retry a stalled job. Our queueing locks name the work (a watch's decision, a batch, the
    delivery), so one of the same lock may be waiting already (the schedule queues a decision for
    a watch whose matches the dead worker left undecided); procrastinate allows one waiting job per
    queueing lock, and that copy could never start while the stalled job holds the watch's lock.
    The waiting copy is dropped and the stalled job itself retried: the same work, done once."""
    if job.queueing_lock is not None:
        for waiting in await manager.list_jobs_async(queueing_lock=job.queueing_lock, status="todo"):
            if waiting.id is not None:
                await manager.cancel_job_by_id_async(waiting.id, delete_job=True)
    await manager.retry_job(job)


async def defer_decisions(context: JobContext, watches: list[str]) -> None:
    """One decide job per watch: the lock keeps two from running at once for a watch (no story
    opened twice), the queueing lock keeps one waiting at most (it decides all that is queued)."""
    for watch in watches:
        key = f"decide:{watch}"
        try:
            await context.app.configure_task(
                DECIDE, lock=key, queueing_lock=key, priority=FOLLOW_UP_PRIORITY
            ).defer_async(watch=watch)
        except AlreadyEnqueued:
            continue


async def schedule_now(app: App) -> None:
    """Queue a schedule run now (a worker starting: its machine has work at once, not at the next
    quarter minute of the periodic run; the queueing lock keeps it to one waiting)."""
    try:
        await app.configure_task(SCHEDULE, queueing_lock="schedule").defer_async(timestamp=int(time.time()))
    except AlreadyEnqueued:
        pass  # one is waiting already


async def defer_delivery(context: JobContext) -> None:
    try:
        await context.app.configure_task(DELIVER, queueing_lock="deliver", priority=FOLLOW_UP_PRIORITY).defer_async()
    except AlreadyEnqueued:
        pass  # a delivery is already waiting: it sends these alerts too
