"""What a crawl process (``raqib.distributed.crawl_child``) does per batch: ``BatchCrawler``
locks the batch's feeds, keeps those still due by the database clock, crawls and stores them
(the pipeline of ``raqib crawl`` without its decide stage) and answers what it did; see
``crawl_child`` for the protocol and the order of those steps.

Kept out of ``crawl_child``, the process's main module: this one imports Scrapy, Twisted and
SQLAlchemy, and ``crawl_child`` starts its parse processes before importing it, so that they
start and import the parsers beside that import rather than after it.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from config.schema import RaqibConfig
from crawler.runner import CrawlService, scrapy_settings
from ingest.clock import Clock
from ingest.crawl import crawl_cycle
from ingest.workers import WorkerPool
from raqib.compose import story_desk
from storage import feed_repo, queue_status, repo
from storage.crawl_locks import FeedLocks
from storage.db import Database

# The crawl process's commits do not wait for the disk. Safe here: its batch is acknowledged
# (the job marked done) only after its answer, by the worker's own commit, which waits for the
# write-ahead log up to that commit, and so for every earlier commit of this process too. A
# PostgreSQL crash can lose only stores that nothing durable follows yet: their job is not done,
# their feeds are still due, and they are crawled again. The same holds for a decide job or an
# alert built on a lost store: its own commit would have made that store durable first.
ASYNC_COMMIT = "-c synchronous_commit=off"


def crawl_database(url: str) -> Database:
    """The crawl process's database: its connections commit without waiting for the disk."""
    parsed = make_url(url)
    given = parsed.query.get("options")
    options = " ".join(part for part in (given if isinstance(given, str) else "", ASYNC_COMMIT) if part)
    return Database(parsed.update_query_dict({"options": options}).render_as_string(hide_password=False))


def resident_bytes() -> int:
    """This process's resident memory now (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class BatchCrawler:
    """What every batch of this process shares: the config, one database engine, the parse
    pool (started by ``crawl_child`` as the process starts, kept) and the running reactor."""

    def __init__(self, config: RaqibConfig, pool: WorkerPool) -> None:
        self.config = config
        self.database = crawl_database(self.config.database)
        self.pool = pool
        self.service = CrawlService(scrapy_settings(self.config))
        self.service.start()

    def crawl(self, names: list[str]) -> dict[str, object]:
        config = self.config
        configured = {feed.name for feed in config.feeds if feed.enabled}
        locks = FeedLocks(self.database)
        try:
            wanted = [name for name in names if name in configured]
            mine = locks.acquire(wanted)
            with self.database.session() as session:
                now = queue_status.database_now(session)
                due = set(feed_repo.due_feed_names(session, now, mine))
            crawl = [name for name in mine if name in due]
            reports = []
            undecided: list[str] = []
            if crawl:
                batch = set(crawl)
                # On the database's clock: first-seen times, next due times and alert times agree
                # whichever machine (and whichever clock) crawled.
                result = crawl_cycle(
                    # Its own feeds only: the cycle syncs and reads the feeds it is given, and a
                    # 100-feed batch must not cost as much as every configured feed (20,000 feeds:
                    # about a second of CPU per batch).
                    config.model_copy(update={"feeds": [feed for feed in config.feeds if feed.name in batch]}),
                    self.database,
                    self.pool,
                    lambda: story_desk(config),  # only to revise a matched report's story
                    None,  # no decide process: this crawl only stores, decide jobs decide
                    self.service.fetch,
                    crawl,
                    clock=Clock.as_of(now),
                )
                reports = [report.as_dict() for report in result.reports]
                if any(report.matched for report in result.reports):
                    with self.database.session() as session:
                        undecided = repo.undecided_watches(session)
            return {
                "feeds": reports,
                "undecided": undecided,
                "busy": [name for name in wanted if name not in mine],
                "not_due": [name for name in mine if name not in due],
                "unknown": [name for name in names if name not in configured],
                "rss": resident_bytes(),
            }
        finally:
            locks.release()
            # Fresh connections for the next batch, as a process per batch had: a connection's
            # prepared statements keep plans made when the tables were smaller (on a new
            # database, plans for empty tables: PostgreSQL's CPU per item doubled). Keeping the
            # connections and dropping their statements with DEALLOCATE ALL was tried: psycopg
            # notices only the first DEALLOCATE ALL of a connection, and then runs statements
            # it believes prepared ("prepared statement _pg3_3 does not exist").
            self.database.engine.dispose()

    def stop(self) -> None:
        self.service.stop()

    def close(self) -> None:
        self.service.close()
        self.pool.close()
        self.database.dispose()
