"""Benchmark: one Prometheus scrape of /metrics's figures over a long fetch log.

Run: .venv/bin/python bench/bench_metrics.py [--rows 1000000] [--feeds 300] [--scrapes 20]

Builds a SQLite database (``Database.upgrade``) whose fetch log holds ``--rows`` fetches of
``--feeds`` feeds, one every 15 minutes per feed back from now (a million rows: about a month of
300 feeds), then times in the same run:

- baseline: ``SELECT count(*) FROM fetch_log``, the cheapest full read of the log;
- first scrape: ``storage.read.metrics.snapshot`` with fresh running totals (a process start: the
  settled log is summed once);
- steady scrape: the same totals on the next scrapes, after one crawl cycle (``--feeds`` new
  rows) was written between each: what every scrape of a running server costs.

Prints each in ms (median of ``--scrapes`` for the repeated ones) and as a ratio to the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

from storage.db import Database  # noqa: E402
from storage.models import Feed, FetchLogEntry  # noqa: E402
from storage.read.metrics import FetchLogTotals, snapshot  # noqa: E402

INTERVAL = timedelta(minutes=15)


def build(database: Database, rows: int, feeds: int, now: datetime) -> None:
    with database.session() as session:
        session.execute(
            insert(Feed),
            [{"name": f"feed {n}", "url": f"https://f{n}.example/rss", "language": "en"} for n in range(feeds)],
        )
    cycles = rows // feeds
    batch: list[dict[str, object]] = []
    for cycle in range(cycles, 0, -1):
        started = now - cycle * INTERVAL
        for feed in range(feeds):
            status = "not_modified" if feed % 3 else ("error" if feed % 50 == 0 else "ok")
            batch.append(
                {
                    "feed_id": feed + 1,
                    "started_at": started,
                    "finished_at": started + timedelta(milliseconds=50 + (feed * 37) % 4000),
                    "status": status,
                    "http_status": 304 if status == "not_modified" else 200,
                    "url": f"https://f{feed}.example/rss",
                    "entries": 0 if status != "ok" else 50,
                    "new": 0 if status != "ok" else 2,
                }
            )
        if len(batch) >= 50_000:
            with database.session() as session:
                session.execute(insert(FetchLogEntry), batch)
            batch = []
    if batch:
        with database.session() as session:
            session.execute(insert(FetchLogEntry), batch)


def one_cycle(database: Database, feeds: int, started: datetime) -> None:
    with database.session() as session:
        session.execute(
            insert(FetchLogEntry),
            [
                {
                    "feed_id": feed + 1,
                    "started_at": started,
                    "finished_at": started + timedelta(milliseconds=80),
                    "status": "not_modified",
                    "http_status": 304,
                    "url": f"https://f{feed}.example/rss",
                }
                for feed in range(feeds)
            ],
        )


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="raqib-bench-metrics-") as folder:
        database = Database(f"sqlite:///{Path(folder) / 'metrics.db'}")
        database.upgrade()
        began = time.perf_counter()
        build(database, args.rows, args.feeds, now)
        print(f"built a fetch log of {args.rows:,} rows ({args.feeds} feeds) in {time.perf_counter() - began:.1f}s")

        def count() -> None:
            with database.session() as session:
                session.scalar(text("SELECT count(*) FROM fetch_log"))

        count()
        baseline = statistics.median(timed(count) for _ in range(args.scrapes))
        totals = FetchLogTotals()

        def scrape() -> None:
            with database.session() as session:
                snapshot(session, datetime.now(UTC), totals)

        first = timed(scrape)
        steady = []
        for index in range(args.scrapes):
            one_cycle(database, args.feeds, now + INTERVAL * (index + 1) - timedelta(hours=1))
            steady.append(timed(scrape))
        with database.session() as session:
            fetched = sum(t.fetches for t in snapshot(session, datetime.now(UTC), totals).fetches)
        assert fetched == args.rows // args.feeds * args.feeds + args.scrapes * args.feeds, fetched
        database.dispose()
    median = statistics.median(steady)
    print(f"baseline  SELECT count(*) FROM fetch_log: {baseline:8.1f} ms")
    print(f"first scrape (sums the settled log once): {first:8.1f} ms  ({first / baseline:.1f}x the baseline)")
    print(f"steady scrape (median of {args.scrapes}): {median:8.1f} ms  ({median / baseline:.2f}x the baseline)")


if __name__ == "__main__":
    main()
