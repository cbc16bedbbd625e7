"""One distributed crawl over a batch of feeds, in a process of its own (a Twisted reactor cannot
restart, and a crashed crawl must not take the worker down).

Run by the crawl task as ``python -m raqib.distributed.crawl_child --config PATH``, with the
feed names as JSON on stdin; prints one JSON object: the per-feed reports and the feeds it left
alone (being crawled elsewhere, or no longer due). In order:

1. lock the batch's feeds (PostgreSQL advisory locks, one per feed, held by this process: they
   end with it, ``kill -9`` included); a feed another process holds is skipped;
2. keep those still due by the database clock: a retried job, or one that waited in the queue
   while another crawl stored the feed, crawls nothing twice;
3. crawl and store them (the pipeline of ``raqib crawl`` without its decide stage) on the
   database's clock: a machine whose clock is off stores the same times as the others. Matches
   wait in ``undecided_matches``; the report names the watches that have some, and the crawl task
   queues a decide job for each (decisions per watch, under the watch's job lock, in parallel
   across watches: store transactions of parallel crawls never wait for a decision).

The worker sets a parent-death signal: when its worker dies, this process dies with it, so its
open transaction rolls back and the retried job finds the feed still due.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from config.loader import load_config
from raqib.compose import run_crawl
from storage import feed_repo, queue_status, repo
from storage.crawl_locks import FeedLocks
from storage.db import Database


def crawl_batch(config_path: Path, data_dir: Path, names: list[str], parse_workers: int) -> dict[str, object]:
    config = load_config(config_path, data_dir=data_dir)
    configured = {feed.name for feed in config.feeds if feed.enabled}
    database = Database(config.database)
    locks = FeedLocks(database)
    try:
        wanted = [name for name in names if name in configured]
        mine = locks.acquire(wanted)
        with database.session() as session:
            now = queue_status.database_now(session)
            due = set(feed_repo.due_feed_names(session, now, mine))
        crawl = [name for name in mine if name in due]
        reports = []
        undecided: list[str] = []
        if crawl:
            # On the database's clock: first-seen times, next due times and alert times agree
            # whichever machine (and whichever clock) crawled.
            result = run_crawl(config, crawl, as_of=now, decide=False, parse_workers=parse_workers)
            reports = [report.as_dict() for report in result.reports]
            if any(report.matched for report in result.reports):
                with database.session() as session:
                    undecided = repo.undecided_watches(session)
        return {
            "feeds": reports,
            "undecided": undecided,
            "busy": [name for name in wanted if name not in mine],
            "not_due": [name for name in mine if name not in due],
            "unknown": [name for name in names if name not in configured],
        }
    finally:
        locks.release()
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m raqib.distributed.crawl_child")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--parse-workers", required=True, type=int)
    args = parser.parse_args()
    names = json.load(sys.stdin)
    outcome = crawl_batch(args.config, args.data, [str(name) for name in names], args.parse_workers)
    sys.stdout.write(json.dumps(outcome, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
