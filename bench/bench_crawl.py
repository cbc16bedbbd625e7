"""The 90 %-matching stream: one crawl cycle of N loopback feeds × M items where most items match
the watch, then a second cycle of the same unchanged feeds; optionally the same first cycle by an
earlier revision of Raqib (``--baseline REV``), in the same run, on the same feeds.

Prints both wall times and their ratio, the store time (the crawl's writer thread) plus the decide
time (the decide process) per matched article (from parsed entry to decision), the crawl's peak
memory (the crawl process, its worker processes included), and with a baseline the first cycle of
both and their ratio. Each cycle is the real `raqib crawl` in its own process, as the scheduler
runs it. The baseline runs from a temporary `git worktree` of REV with this interpreter, its
packages first on PYTHONPATH (checked: the benchmark stops if any of them would be imported from
elsewhere).

    .venv/bin/python bench/bench_crawl.py [--feeds 300] [--items 50] [--baseline 1be2027] [--postgresql]

1be2027 is the last revision before the staged pipeline (issue 9 measured it at 204 s).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import TreeMemory, rss_feed  # noqa: E402

from raqib.feedserver import FeedServer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("raqib", "config", "crawler", "stories", "storage", "alerts", "web")
WATCH_QUERY = (
    '("North Korea*" OR Pyongyang OR "كوريا الشمالية" OR "بيونغ يانغ" OR كورية) '
    "AND (Kursk OR Russia* OR كورسك OR روسيا) AND (troop* OR soldier* OR قوات OR جنود)"
)


EN = [
    "North Korean troops reported near Kursk as Russia presses its counteroffensive",
    "Pyongyang sends more soldiers to Russia, Seoul's intelligence says",
    "Oil prices steady as markets await central bank decision",
    "Local elections see record turnout in coastal towns",
    "Scientists map a new deep-sea ecosystem off the Pacific coast",
]
AR = [
    "قوات كورية شمالية تنتشر في كورسك بحسب الاستخبارات الأوكرانية",
    "بيونغ يانغ ترسل مزيدا من الجنود إلى روسيا",
    "ارتفاع أسعار الذهب مع ترقب قرار الفائدة",
    "افتتاح معرض الكتاب الدولي بمشاركة واسعة",
    "منتخب الشباب يتأهل إلى نهائي البطولة الإقليمية",
]


def make_feed(index: int, items: int, rng: random.Random) -> bytes:
    arabic = index % 2 == 0
    pool = AR if arabic else EN
    entries = []
    for item in range(items):
        title = f"{rng.choice(pool)} ({index}-{item})"
        entries.append((title, " ".join(rng.choice(pool) for _ in range(4))))
    return rss_feed(index, arabic, entries)


def crawl(config: Path, env: dict[str, str]) -> tuple[float, dict[str, object], tuple[int, int]]:
    """One `raqib crawl` cycle: wall seconds, its JSON report, peak summed RSS and PSS of the
    process tree (PSS counts pages the forked workers share with the crawl once)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "raqib", "--config", str(config), "crawl", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "RAQIB_DATA": str(config.parent)},
        # Not this checkout's folder: ``python -m`` puts the working folder first on the path,
        # ahead of PYTHONPATH, and the baseline would then run this checkout's code.
        cwd=config.parent,
    )
    memory = TreeMemory(process.pid)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if not stdout.strip():
        raise SystemExit(f"crawl failed: {stderr[-3000:]}")
    return seconds, json.loads(stdout), peak


def write_config(folder: Path, database: str, urls: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f'database = "{database}"',
        "[network]",
        "allow_private = true",
        # All bench feeds share one loopback host; real feeds are spread over many hosts.
        "per_host_concurrency = 16",
        "[[watches]]",
        'name = "nk"',
        f"query = '{WATCH_QUERY}'",
    ]
    for index, url in enumerate(urls):
        lines += ["[[feeds]]", f'name = "feed {index}"', f'url = "{url}"']
    config = folder / "bench.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@contextlib.contextmanager
def baseline_tree(revision: str, scratch: Path) -> Iterator[dict[str, str]]:
    """A temporary worktree of ``revision``; yields the environment that runs Raqib from it."""
    tree = scratch / "baseline-tree"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision], check=True, capture_output=True
    )
    try:
        env = {"PYTHONPATH": str(tree)}
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import {', '.join(PACKAGES)}; print('\\n'.join(m.__file__ for m in ({', '.join(PACKAGES)})))",
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env},
            cwd=scratch,
        )
        stray = [path for path in probe.stdout.split() if not Path(path).resolve().is_relative_to(tree.resolve())]
        if stray:
            raise SystemExit(f"the baseline would import from outside its worktree: {stray}")
        yield env
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False, capture_output=True
        )


def total(report: dict[str, object], key: str) -> int:
    return sum(int(feed[key]) for feed in report["feeds"])  # type: ignore[attr-defined]


def writer_time(report: dict[str, object], matched: int) -> str:
    """A crawl report's store seconds (the crawl's writer thread) and decide seconds (the decide
    process since it has one; the writer thread before), and their sum per matched article; with
    what the decide process says of its time (CPU, waiting for the write lock, transactions)."""
    stages: dict[str, float] = report.get("stages", {})  # type: ignore[assignment]
    store = float(stages.get("store", 0))
    decide = float(stages.get("decide", 0))
    per_article = 1000 * (store + decide) / matched
    line = f"store {store:.2f} s + decide {decide:.2f} s = {per_article:.2f} ms per matched article"
    if "decide_cpu" in stages:
        cpu, longest = stages["decide_cpu"], stages.get("decide_longest", 0)
        line += (
            f"\n    decide process: CPU {cpu:.2f} s ({1000 * cpu / matched:.2f} ms per matched article), "
            f"waited for the write lock {stages['decide_waited']:.2f} s, "
            f"held it {float(stages.get('decide_held', 0)):.2f} s in "
            f"{int(stages['decide_transactions'])} transactions, longest {1000 * longest:.0f} ms"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--baseline", metavar="REV", help="also run the first cycle of this revision (e.g. 1be2027)")
    parser.add_argument("--postgresql", action="store_true", help="both on a throwaway PostgreSQL server")
    args = parser.parse_args()
    if not args.postgresql:
        run(args, lambda name, root: f"sqlite:///{root / name / 'bench.db'}")
        return
    import psycopg
    from psycopg import sql

    from tests.support.pg import find_pg_bindir, start_pg_server, stop_pg_server

    bindir = find_pg_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries (initdb, postgres)")
    server = start_pg_server(bindir)

    def database(name: str, root: Path) -> str:
        with psycopg.connect(server.admin_dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(f"bench_{name}")))
        return server.sqlalchemy_url(f"bench_{name}")

    try:
        run(args, database)
    finally:
        stop_pg_server(server)


def run(args: argparse.Namespace, database: Callable[[str, Path], str]) -> None:
    rng = random.Random(42)
    baseline: tuple[float, dict[str, object], tuple[int, int]] | None = None
    with tempfile.TemporaryDirectory(prefix="raqib-bench-") as scratch:
        root = Path(scratch)
        (root / "feeds").mkdir()
        for index in range(args.feeds):
            (root / "feeds" / f"f{index}.xml").write_bytes(make_feed(index, args.items, rng))
        with FeedServer(root / "feeds") as server:
            urls = [server.url(f"f{index}.xml") for index in range(args.feeds)]
            if args.baseline:
                with baseline_tree(args.baseline, root) as env:
                    baseline = crawl(write_config(root / "baseline", database("baseline", root), urls), env)
            config = write_config(root / "current", database("current", root), urls)
            current = {"PYTHONPATH": str(REPO)}
            first_s, first, peak1 = crawl(config, current)
            second_s, second, peak2 = crawl(config, current)

    items = args.feeds * args.items
    matched = max(total(first, "matched"), 1)
    print(
        f"feeds={args.feeds} items/feed={args.items} items={items}  database: "
        f"{'PostgreSQL' if args.postgresql else 'SQLite'}  load average at end: {os.getloadavg()[0]:.2f}"
    )
    print(
        f"first cycle : {first_s:7.2f} s  new={total(first, 'new')} matched={total(first, 'matched')} "
        f"({1000 * first_s / matched:.2f} ms per matched article end to end)"
    )
    statuses = sorted({str(feed["status"]) for feed in second["feeds"]})  # type: ignore[index]
    print(f"second cycle: {second_s:7.2f} s  new={total(second, 'new')} statuses={statuses}")
    print(f"ratio first/second: {first_s / second_s:.1f}x")
    print(f"parsed entry to decision (target <= 2 ms; store + decide): {writer_time(first, matched)}")
    print(
        f"peak memory, crawl + workers: first RSS {peak1[0] / 2**20:.0f} MiB (PSS {peak1[1] / 2**20:.0f} MiB), "
        f"second RSS {peak2[0] / 2**20:.0f} MiB (PSS {peak2[1] / 2**20:.0f} MiB)"
    )
    if baseline is not None:
        base_s, base, _ = baseline
        base_matched = max(total(base, "matched"), 1)
        print(
            f"baseline {args.baseline} first cycle: {base_s:7.2f} s  new={total(base, 'new')} "
            f"matched={total(base, 'matched')} ({1000 * base_s / base_matched:.2f} ms per matched article end to end)"
        )
        print(f"  speed-up of the first cycle over {args.baseline}: {base_s / first_s:.2f}x (target >= 8x)")
        if "stages" in base:  # a revision with the staged pipeline reports its stages too
            print(f"  {args.baseline} parsed entry to decision (store + decide): {writer_time(base, base_matched)}")


if __name__ == "__main__":
    main()
