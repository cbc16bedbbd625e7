"""The decide stage alone, per matched article, against an earlier revision in the same run.

The 90 %-matching stream of ``bench_crawl.py`` (the same feeds, built from a handful of
templates, so stories grow to hundreds of reports), stored feed by feed and decided after each
feed as the crawl's writer thread does, with the bundled sentence encoder. Each side runs in its
own process on its own database: this tree, and with ``--baseline REV`` that revision (a
temporary ``git worktree``, ``bench_crawl.baseline_tree``). Prints, per side, the decide stage's
CPU and wall milliseconds per decision, the sentences the model embedded and the events; then
the ratio, and whether both sides made the same decisions and stored the same story memories
(a digest of every match's event, story and explanation and every story's memory as each side
reads its stored state back, whatever form it stores it in, taken with one string hash seed).

    .venv/bin/python bench/bench_decide.py [--feeds 100] [--items 50] [--baseline REV] [--postgresql]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def child(args: argparse.Namespace) -> None:
    """One side: store and decide the stream with the packages found first on the path."""
    from sqlalchemy import select

    from config.loader import load_config
    from ingest.decide import decide_watch
    from ingest.store import EventTimes, store_items
    from ingest.tasks import ParsedItem
    from raqib.compose import story_desk
    from storage import feed_repo
    from storage.db import Database
    from storage.models import Story, WatchMatch
    from stories.analysis import Analyser
    from stories.types import Entry

    @dataclass
    class FeedSpec:
        name: str
        url: str
        language: str

    folder = Path(args.folder)
    stream = json.loads((folder / "stream.json").read_text(encoding="utf-8"))  # bench_crawl's templates
    english, arabic, query = stream["en"], stream["ar"], stream["query"]
    config_file = folder / "bench.toml"
    config_file.write_text(f'database = "{args.database}"\n[[watches]]\nname = "nk"\nquery = \'{query}\'\n')
    config = load_config(config_file, data_dir=folder)
    database = Database(args.database)
    database.upgrade()
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    model = desk.encoder.model if desk.encoder is not None else None
    embedded = 0
    if model is not None:
        encode = model.encode

        def counting(texts: Any) -> Any:
            nonlocal embedded
            embedded += len(texts)
            return encode(texts)

        model.encode = counting
    now = datetime(2026, 1, 10, tzinfo=UTC)
    rng = random.Random(42)
    total = args.feeds * args.items
    with database.session() as session:
        feed_repo.sync_feeds(
            session, [FeedSpec(f"feed {i}", f"https://f{i}.example", "auto") for i in range(args.feeds)]
        )
    prepared: dict[int, Any] = {}
    decided = 0
    cpu = wall = 0.0
    for index in range(args.feeds):
        pool = arabic if index % 2 == 0 else english
        items = []
        for item in range(args.items):
            entry = Entry(
                feed=f"feed {index}",
                title=f"{rng.choice(pool)} ({index}-{item})",
                summary=" ".join(rng.choice(pool) for _ in range(4)),
                guid=f"g{index}-{item}",
                url=f"https://f{index}.example/{item}",
                text="",
                published=now - timedelta(minutes=total - index * args.items - item),
                language_hint="ar" if index % 2 == 0 else "en",
            )
            items.append(ParsedItem(entry, analyser.analyse(entry), entry.summary))
        with database.session() as session:
            stored = store_items(
                session,
                feed_repo.feed_id(session, f"feed {index}"),
                items,
                prepare=desk.prepare,
                desk=lambda: desk,
                now=now,
                rules=EventTimes(),
            )
            prepared.update(stored.prepared)
        started_cpu, started = time.process_time(), time.perf_counter()
        decided += decide_watch(database, desk, None, "nk", now=now, prepared=prepared)
        cpu += time.process_time() - started_cpu
        wall += time.perf_counter() - started
    with database.read_session() as session:
        matches = session.execute(
            select(WatchMatch.article_id, WatchMatch.story_id, WatchMatch.event, WatchMatch.explanation).order_by(
                WatchMatch.article_id
            )
        ).all()
        states = [memory_content(story.state) for story in session.scalars(select(Story).order_by(Story.id))]
    database.dispose()
    digest = hashlib.sha256(
        json.dumps([[list(row) for row in matches], states], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    events = dict(sorted(Counter(row[2] for row in matches).items()))
    print(json.dumps({"decided": decided, "cpu": cpu, "wall": wall, "embedded": embedded, "events": events,
                      "stories": len(states), "digest": digest}))  # fmt: skip


def memory_content(state: Any) -> Any:
    """A story's stored memory as its side reads it (``StoryMemory.from_json``), in a form that
    does not depend on how the state was written: sets sorted, counters as dicts."""
    from dataclasses import fields

    from stories.memory import StoryMemory

    memory = StoryMemory.from_json(state)
    return {item.name: plain(getattr(memory, item.name)) for item in fields(memory) if item.compare}


def plain(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(plain(item) for item in value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def side(tree: Path, env: dict[str, str], args: argparse.Namespace, database: str, folder: Path) -> dict[str, Any]:
    from bench_crawl import AR, EN, WATCH_QUERY

    folder.mkdir(parents=True, exist_ok=True)
    # The child imports nothing of this tree's benchmarks: the baseline's packages come first there.
    (folder / "stream.json").write_text(json.dumps({"en": EN, "ar": AR, "query": WATCH_QUERY}), encoding="utf-8")
    command = [sys.executable, str(BENCH / "bench_decide.py"), "--child", "--root", str(tree)]
    command += ["--feeds", str(args.feeds), "--items", str(args.items), "--database", database, "--folder", str(folder)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PYTHONHASHSEED": "0", "RAQIB_DATA": str(folder)},
        cwd=folder,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"the decide run in {tree} failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(name: str, result: dict[str, Any]) -> str:
    decided = max(result["decided"], 1)
    return (
        f"{name:>12}: decided {result['decided']}  CPU {1000 * result['cpu'] / decided:.2f} ms  "
        f"wall {1000 * result['wall'] / decided:.2f} ms per decision  embedded {result['embedded']} sentences  "
        f"stories {result['stories']}  events {result['events']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--baseline", metavar="REV", help="also decide the stream with this revision")
    parser.add_argument("--postgresql", action="store_true", help="both on a throwaway PostgreSQL server")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, args.root)
        child(args)
        return
    sys.path[:0] = [str(REPO), str(BENCH)]
    from bench_crawl import baseline_tree

    server = None
    if args.postgresql:
        from tests.support.pg import find_pg_bindir, start_pg_server

        bindir = find_pg_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL server binaries (initdb, postgres)")
        server = start_pg_server(bindir)

    def database(name: str, root: Path) -> str:
        if server is None:
            return f"sqlite:///{root / name / 'bench.db'}"
        import psycopg
        from psycopg import sql

        with psycopg.connect(server.admin_dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(f"bench_{name}")))
        return server.sqlalchemy_url(f"bench_{name}")

    try:
        with tempfile.TemporaryDirectory(prefix="raqib-bench-decide-") as scratch:
            root = Path(scratch)
            base = None
            if args.baseline:
                with baseline_tree(args.baseline, root) as env:
                    base = side(Path(env["PYTHONPATH"]), env, args, database("baseline", root), root / "baseline")
            current = side(REPO, {"PYTHONPATH": str(REPO)}, args, database("current", root), root / "current")
    finally:
        if server is not None:
            from tests.support.pg import stop_pg_server

            stop_pg_server(server)
    print(
        f"feeds={args.feeds} items/feed={args.items}  database: {'PostgreSQL' if args.postgresql else 'SQLite'}  "
        f"decided after each feed  load average at end: {os.getloadavg()[0]:.2f}"
    )
    print(report("this tree", current))
    if base is not None:
        print(report(args.baseline, base))
        print(
            f"  decide CPU per decision: {base['cpu'] / max(current['cpu'], 1e-9):.2f}x less than {args.baseline} "
            f"(wall {base['wall'] / max(current['wall'], 1e-9):.2f}x)"
        )
        same = base["digest"] == current["digest"]
        print(f"  same decisions, explanations and story memories as {args.baseline}: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
