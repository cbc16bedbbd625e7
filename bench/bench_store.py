"""The store stage alone (``ingest.store.store_items``) against a naive ``INSERT OR IGNORE``, on the
same parsed items, in one run.

The bench_pipeline feeds (300 × 50 items, half Arabic, one item per feed matching the default
watch) are parsed up front as the parse workers do (analysis, search text, matched reports
readied), then stored feed by feed, one transaction per feed:

- naive: sqlite3 ``executemany`` of ``INSERT OR IGNORE`` (guid, title, summary) and a commit;
- raqib: ``store_items`` (identity check, articles, search rows and index, MinHash bands, decide
  queue) and a commit, on a fresh database at the newest migration.

Printed: wall and CPU seconds of each (the store's CPU time is what a crawl's writer thread spends
on it; its wall time in a crawl also holds the waits for the GIL), the ratio, commit time, and the
time per SQL statement kind (those through SQLAlchemy; the identity lookup goes to the driver),
and on PostgreSQL the server's own CPU (its backends included). The crawl around it is in
bench_pipeline.

    .venv/bin/python bench/bench_store.py [--feeds 300] [--items 50] [--postgresql]
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import make_feed, workload_arguments  # noqa: E402

from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from ingest import tasks  # noqa: E402
from ingest.desk import StoryDesk  # noqa: E402
from ingest.prepare import PreparedArticle  # noqa: E402
from ingest.store import EventTimes, store_items  # noqa: E402
from storage import feed_repo  # noqa: E402
from storage.db import Database  # noqa: E402
from stories.types import Entry, Language  # noqa: E402


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str


def parsed_feeds(feeds: int, items: int) -> list[list[tasks.ParsedItem]]:
    watch = load_config(BUNDLED_DEFAULT, data_dir=Path(tempfile.gettempdir())).watches[0]
    tasks.init_worker({watch.name: watch.query})
    return [
        tasks.parse_task(
            f"feed {i}", "ar" if i % 2 == 0 else "en", make_feed(i, items), "application/rss+xml", f"http://x/{i}"
        ).items
        for i in range(feeds)
    ]


def naive(feeds: list[list[tasks.ParsedItem]], path: Path) -> tuple[float, float]:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE items (guid TEXT PRIMARY KEY, title TEXT, summary TEXT)")
    wall, cpu = time.perf_counter(), time.process_time()
    for items in feeds:
        rows = [(item.entry.guid, item.entry.title, item.entry.summary) for item in items]
        connection.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?)", rows)
        connection.commit()
    result = time.perf_counter() - wall, time.process_time() - cpu
    connection.close()
    return result


def not_prepared(entry: Entry, language: Language) -> PreparedArticle:
    raise AssertionError("the parse stage readies every matched report")


def no_desk() -> StoryDesk:
    raise AssertionError("nothing is revised in a first cycle")


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds (user + system) of a PostgreSQL server and its backends so far (Linux), 0 for
    SQLite: the database's own share of the store's cost, which the client's CPU does not show."""
    if postmaster is None:
        return 0.0
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else []
        except OSError:
            continue
        if fields and (int(entry.name) == postmaster or int(fields[1]) == postmaster):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def raqib(feeds: list[list[tasks.ParsedItem]], url: str, postmaster: int | None = None) -> dict[str, Any]:
    database = Database(url)
    database.upgrade()
    with database.session() as session:
        feed_repo.sync_feeds(
            session, [FeedSpec(f"feed {i}", f"http://x/{i}", "ar" if i % 2 == 0 else "en") for i in range(len(feeds))]
        )
        ids = [feed_repo.feed_id(session, f"feed {i}") for i in range(len(feeds))]
    statements: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])

    @event.listens_for(database.engine, "before_cursor_execute")
    def started(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        connection.info["statement_started"] = time.perf_counter()

    @event.listens_for(database.engine, "after_cursor_execute")
    def finished(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        kind = statements[" ".join(statement.split()[:3])[:48]]
        kind[0] += time.perf_counter() - connection.info["statement_started"]
        kind[1] += 1

    now = datetime.now(UTC)
    store = cpu = commit = 0.0
    server_before = server_cpu(postmaster)
    matched = 0
    for feed_id, items in zip(ids, feeds, strict=True):
        with database.session() as session:
            wall, used = time.perf_counter(), time.process_time()
            stored = store_items(
                session, feed_id, items, prepare=not_prepared, desk=no_desk, now=now, rules=EventTimes()
            )
            store += time.perf_counter() - wall
            cpu += time.process_time() - used
            matched += stored.matched
            committing = time.perf_counter()
        commit += time.perf_counter() - committing
    server = server_cpu(postmaster) - server_before
    database.dispose()
    return {
        "store": store,
        "cpu": cpu,
        "server_cpu": server,
        "commit": commit,
        "matched": matched,
        "statements": dict(statements),
    }


def main() -> None:
    args = workload_arguments()
    feeds = parsed_feeds(args.feeds, args.items)
    count = sum(len(items) for items in feeds)
    with tempfile.TemporaryDirectory(prefix="raqib-bench-store-") as scratch:
        naive_wall, naive_cpu = naive(feeds, Path(scratch) / "naive.db")
        if args.postgresql:
            from tests.support.pg import DB_NAME, find_pg_bindir, start_pg_server, stop_pg_server

            bindir = find_pg_bindir()
            if bindir is None:
                raise SystemExit("no PostgreSQL server binaries")
            server = start_pg_server(bindir)
            try:
                measured = raqib(feeds, server.sqlalchemy_url(DB_NAME), server.process.pid)
            finally:
                stop_pg_server(server)
        else:
            measured = raqib(feeds, f"sqlite:///{Path(scratch) / 'raqib.db'}")
    per_item = 1000 / count
    print(f"feeds={args.feeds} items={count} database: {'PostgreSQL' if args.postgresql else 'SQLite'}")
    print(f"naive INSERT OR IGNORE + commit: wall {naive_wall:6.2f} s, cpu {naive_cpu:6.2f} s")
    print(
        f"raqib store_items (+ commit)   : wall {measured['store']:6.2f} s (+ {measured['commit']:.2f} s), "
        f"cpu {measured['cpu']:6.2f} s ({measured['cpu'] * per_item:.3f} ms per item), matched={measured['matched']}"
    )
    if args.postgresql:
        print(
            f"  PostgreSQL server CPU during the stores: {measured['server_cpu']:.2f} s "
            f"({measured['server_cpu'] * per_item:.3f} ms per item)"
        )
    print(
        f"  ratio raqib/naive: wall (with commits) "
        f"{(measured['store'] + measured['commit']) / naive_wall:.2f}x, cpu {measured['cpu'] / naive_cpu:.2f}x"
    )
    print("  time in the database per statement kind (raqib):")
    for kind, (seconds, calls) in sorted(measured["statements"].items(), key=lambda pair: -pair[1][0])[:8]:
        print(f"    {seconds:6.3f} s {calls:6d}x  {kind}")


if __name__ == "__main__":
    main()
