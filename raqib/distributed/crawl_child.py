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
stdin: the process exits. Per batch (``raqib.distributed.batch_crawl``), in order:

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
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from config.schema import RaqibConfig
    from ingest.workers import WorkerPool
    from raqib.distributed.batch_crawl import BatchCrawler

# Nothing heavy is imported here, at the top of the process's main module: ``main`` starts the
# parse processes first, then imports Scrapy, Twisted and SQLAlchemy while they start.

# The parse process runs this much nicer than the crawl process. Several workers on one machine
# (one per core) want more CPU than there is, and a worker's throughput is that of its store
# (its writer thread and its PostgreSQL backend): parsing runs ahead of the store by up to
# ``ingest.handler.PARSED_AHEAD`` feeds, so it can wait for a core where the store cannot. With
# equal priorities the parse processes (two-fifths of all the CPU) took cores from the stores,
# which then fell behind and held their parse processes up. On free cores (one worker alone)
# the nice value changes nothing.
PARSE_NICENESS = 10


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


def parse_pool(config_path: Path, data_dir: Path, parse_workers: int) -> tuple[RaqibConfig, WorkerPool]:
    """The config (with ``parse_workers`` parse processes) and its parse pool, started: a crawl
    process parses nearly every batch it is given, and the parse processes' own start (a fresh
    interpreter each, importing the parsers) runs beside this process's import of
    Scrapy, Twisted and SQLAlchemy instead of after it, before the first feed can be parsed."""
    from config.loader import load_config
    from ingest.workers import worker_pool

    config = load_config(config_path, data_dir=data_dir)
    config = config.model_copy(update={"pipeline": config.pipeline.model_copy(update={"workers": parse_workers})})
    pool = worker_pool(config, beside_decider=False, niceness=PARSE_NICENESS)
    pool.start()
    return config, pool


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
    config, pool = parse_pool(args.config, args.data, args.parse_workers)
    try:
        from raqib.distributed.batch_crawl import BatchCrawler

        crawler = BatchCrawler(config, pool)
    except BaseException:
        pool.close()
        raise
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
