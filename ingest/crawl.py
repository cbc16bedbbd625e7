"""One crawl cycle, stage by stage: the due feeds become fetch jobs, the crawler fetches them and
hands every answer to the ``IngestHandler``, which parses in worker processes and stores through
the writer thread; the decide process (``ingest.decider``) decides per watch beside it. Built from
parts made by the composition root (raqib.compose).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from config.schema import RaqibConfig
from crawler.handler import FetchHandler
from crawler.items import FeedJob
from ingest.clock import Clock
from ingest.decider import DecideFigures, DecideProcess
from ingest.handler import Budgets, IngestHandler
from ingest.report import FeedReport
from ingest.store import EventTimes
from ingest.workers import WorkerPool
from ingest.writer import Writer
from storage import feed_repo, repo
from storage.db import Database

if TYPE_CHECKING:
    from ingest.desk import StoryDesk  # built only when a matched report is revised


class UnknownFeed(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CrawlResult:
    reports: list[FeedReport]
    seconds: float
    # Seconds per stage: "store" (the crawl's writer thread), "decide" (the decide process,
    # "desk" its loading the encoder, "decide_longest" its longest transaction) and how many
    # matches were "decided"; when (Unix time) the "first_answer" and "last_answer" came, the
    # "last_store" ended and the decide process "finished".
    stages: dict[str, float] = field(default_factory=dict)
    decide_error: str | None = None  # why the decide process did not decide everything

    @property
    def failed(self) -> bool:
        return self.decide_error is not None or any(report.failed for report in self.reports)


Fetch = Callable[[list[FeedJob], FetchHandler], None]  # the crawler's door (crawler.runner.fetch)

# How long a thread of the crawl's process may hold the interpreter lock while another waits for
# it (Python's default is 5 ms). The threads that hand a feed to a parse worker and take its result
# back wait for the lock while the reactor or the writer computes: up to 5 ms twice per feed, the
# worker idle meanwhile (a feed parses in ~12 ms). Handing it over within 1 ms keeps the worker fed.
SWITCH_SECONDS = 0.001


def select_feeds(config: RaqibConfig, names: Sequence[str]) -> list[str]:
    enabled = [feed.name for feed in config.feeds if feed.enabled]
    if not names:
        return enabled
    configured = {feed.name for feed in config.feeds}
    unknown = [name for name in names if name not in configured]
    if unknown:
        raise UnknownFeed(f"no feed named {', '.join(map(repr, unknown))}; configured: {', '.join(sorted(configured))}")
    return list(dict.fromkeys(names))


def build_jobs(
    config: RaqibConfig, database: Database, names: Sequence[str], *, only_due: bool, clock: Clock
) -> tuple[list[FeedJob], dict[str, int], list[str]]:
    """The fetch jobs, with each feed's remembered validators, the feeds' ids and the watches with
    matches still queued (an earlier cycle's decide process died before deciding them)."""
    by_name = {feed.name: feed for feed in config.feeds}
    with database.transaction() as connection:
        feed_repo.sync_feeds(connection, config.feeds)
        if only_due:
            names = feed_repo.due_feed_names(connection, clock.now(), names)
        states = feed_repo.feed_states(connection, names)
        ids = feed_repo.feed_ids(connection, names)
        leftover = repo.undecided_watches(connection)
    jobs = []
    for name in names:
        feed, state = by_name[name], states.get(name)
        jobs.append(
            FeedJob(
                name=name,
                url=feed.url,
                language=feed.language,
                fetch_articles=feed.fetch_articles,
                interval=feed.effective_interval(config.schedule),
                etag=state.etag if state else None,
                last_modified=state.last_modified if state else None,
                body_hash=state.body_hash if state else None,
                consecutive_failures=state.consecutive_failures if state else 0,
            )
        )
    return jobs, ids, leftover


def crawl_cycle(
    config: RaqibConfig,
    database: Database,
    pool: WorkerPool,
    desk: Callable[[], StoryDesk],
    decider: DecideProcess | None,
    fetch: Fetch,
    names: Sequence[str] = (),
    *,
    only_due: bool = False,
    clock: Clock | None = None,
) -> CrawlResult:
    """Crawl the named feeds (all enabled ones when empty) once and report per feed. ``decider``:
    the decide process deciding beside it (started by its first notice unless started already),
    finished here; None: only store (the matches wait in undecided_matches for a decide job).
    ``desk`` is this process's story desk, wanted only to revise the story of a matched report
    that changed."""
    started = time.monotonic()
    clock = clock or Clock()
    jobs, ids, leftover = build_jobs(config, database, select_feeds(config, names), only_due=only_due, clock=clock)
    if decider is not None:
        decider.notify(leftover)  # decided first, beside this cycle's fetching
    if not jobs:  # nothing to fetch; what an earlier cycle left is still decided
        figures = decider.finish() if decider is not None else DecideFigures()
        return CrawlResult([], time.monotonic() - started, figures.stages() if decider else {}, figures.error)
    if any(job.etag is None and job.last_modified is None and job.body_hash is None for job in jobs):
        # A feed never fetched will need parsing: the workers start and import now, beside the
        # crawler's own start, rather than when its answer arrives. (A cycle of known feeds
        # leaves them to the first answer that needs them; all 304 starts none.)
        pool.start()
    writer = Writer(database)
    handler = IngestHandler(
        pool=pool,
        writer=writer,
        desk=desk,
        decider=decider,
        feed_ids=ids,
        clock=clock,
        rules=EventTimes(oldest=config.pipeline.oldest_event, history_after=config.pipeline.history_after),
        budgets=Budgets(
            parse=config.pipeline.parse_budget.total_seconds(), extract=config.pipeline.extract_budget.total_seconds()
        ),
    )
    figures = DecideFigures()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_SECONDS)
    try:
        fetch(jobs, handler)
    finally:
        handler.wait()  # the fetch records still waiting too, even when the crawl failed
        sys.setswitchinterval(switch)
        writer.close()
        if decider is not None:
            figures = decider.finish()  # every match stored is decided (or the reason it is not)
            handler.stages["finished"] = time.time()
    reports = list(handler.reports)
    answered = {report.feed for report in reports}
    reports += [_unanswered(job) for job in jobs if job.name not in answered]
    order = {job.name: index for index, job in enumerate(jobs)}
    reports.sort(key=lambda report: order.get(report.feed, len(order)))
    stages = dict(handler.stages) | (figures.stages() if decider is not None else {})
    return CrawlResult(reports, time.monotonic() - started, stages, figures.error)


def _unanswered(job: FeedJob) -> FeedReport:
    return FeedReport(
        feed=job.name,
        url=job.url,
        status="error",
        http_status=None,
        entries=0,
        new=0,
        updated=0,
        seen=0,
        matched=0,
        seconds=0.0,
        error="the crawl ended before this feed was answered",
    )
