"""The distributed mode's crawl process: a worker starts one per crawl job it runs at once and
feeds it batch after batch over its pipe (a crashed crawl must not take the worker down, and
fetch, parse hand-off and store keep a core busy beside the worker's own loop). Scrapy, the
reactor, the parse processes and the database connections start once, not once per batch: that
start cost about a second of CPU per 100-feed batch.

Run by the worker as ``python -m raqib.distributed.crawl_child --config PATH --data DIR
--parse-workers N``. Protocol, one JSON document per line: the worker writes a batch's feed
names on stdin; the process answers on stdout with the per-feed reports, the feeds it left
alone (being crawled elsewhere, or no longer due), the watches with undecided matches and its
resident memory (the worker retires a process past its memory cap or batch count). End of
stdin: the process exits. Per batch, in order:

1. lock the batch's feeds (PostgreSQL advisory locks, one per feed, held by this process until
   the batch is stored: they end with the process too, ``kill -9`` included); a feed another
   process holds is skipped;
2. keep those still due by the database clock: a retried job, or one that waited in the queue
   while another crawl stored the feed, crawls nothing twice;
3. crawl and store them (the pipeline of ``raqib crawl`` without its decide stage) on the
   database's clock: a machine whose clock is off stores the same times as the others. Matches
   wait in ``undecided_matches``; the report names the watches that have some, and the crawl task
   queues a decide job for each.

The worker sets a parent-death signal: when its worker dies, this process dies with it, so its
open transaction rolls back and the retried job finds the feed still due. SIGTERM or SIGINT
stops the running crawl (requests in flight finish and are stored), answers for it and exits; a
second one exits at once.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TextIO

from sqlalchemy.engine import make_url

from config.loader import load_config
from crawler.runner import CrawlService, scrapy_settings
from ingest.clock import Clock
from ingest.crawl import crawl_cycle
from ingest.workers import worker_pool
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
    pool (its processes start with the first feed to parse and stay) and the running reactor."""

    def __init__(self, config_path: Path, data_dir: Path, parse_workers: int) -> None:
        config = load_config(config_path, data_dir=data_dir)
        self.config = config.model_copy(
            update={"pipeline": config.pipeline.model_copy(update={"workers": parse_workers})}
        )
        self.database = crawl_database(self.config.database)
        self.pool = worker_pool(self.config, beside_decider=False)
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
            # database, plans for empty tables: PostgreSQL's CPU per item doubled).
            self.database.engine.dispose()

    def stop(self) -> None:
        self.service.stop()

    def close(self) -> None:
        self.service.close()
        self.pool.close()
        self.database.dispose()


def serve(crawler: BatchCrawler, batches: TextIO, replies: TextIO) -> None:
    """Answer batch after batch until the end of ``batches`` or a stop signal."""
    busy = False
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping or not busy:
            raise SystemExit(0)  # idle, or asked twice: nothing to finish
        stopping = True
        crawler.stop()  # the batch ends early; its answer goes out, then the loop ends

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    while line := batches.readline():
        busy = True
        names = [str(name) for name in json.loads(line)]
        outcome = crawler.crawl(names)
        replies.write(json.dumps(outcome, ensure_ascii=False) + "\n")
        replies.flush()
        busy = False
        if stopping:
            return


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m raqib.distributed.crawl_child")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--parse-workers", required=True, type=int)
    args = parser.parse_args()
    # The answers get a descriptor of their own, and stdout becomes stderr: a library's stray
    # print (here or in a parse process) goes to the log instead of into the protocol.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    crawler = BatchCrawler(args.config, args.data, args.parse_workers)
    # What was imported and started so far lives as long as the process: the collector stops
    # walking it, and runs a tenth as often (a batch's garbage is short-lived; the writer collects
    # fully every few commits). Without this, the writer's full collections walked every module of
    # Scrapy, Twisted and SQLAlchemy: a third of the writer thread's CPU.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    try:
        serve(crawler, sys.stdin, replies)
    finally:
        crawler.close()


if __name__ == "__main__":
    main()
