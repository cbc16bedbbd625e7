"""Benchmark: the distributed mode (``raqib worker`` processes on PostgreSQL) over loopback feeds.

Run: .venv/bin/python bench/bench_workers.py [--feeds 2000] [--items 50] [--delay 0.1]
     [--workers 1,2,4] [--concurrency 1] [--batch 100] [--per-host 16]

A throwaway PostgreSQL (tests/support/pg.py) and one loopback feed server: ``--feeds`` generated
RSS feeds of ``--items`` entries each (tests/support/workers.py: distinct guids, about 1.5 % of
the entries report shared events that match the default test watch), every answer delayed
``--delay`` seconds. For each worker count, on a fresh database: ``raqib db upgrade``, then the
workers start and the clock runs until every feed is stored and every match decided. Printed
per run:

- cycle wall time (workers started → last match decided) and items stored per second;
- due-to-fetched lag: every feed is due when the workers start; its lag is the time its first
  request reached the feed server, p50 and p95;
- duplicates (must all be 0): feeds fetched more than once, articles stored twice (identity),
  stories opened twice (same watch and title), fetch-log rows beyond one per feed;
- where the time went: CPU seconds per class of process (the workers themselves, their crawl
  processes, their parse processes, PostgreSQL, and this benchmark's own feed server, which
  shares the cores), as cores kept busy, and what ran out first.

The baseline is the first worker count (1 by default), run in the same process on the same
feeds; the others print their throughput ratio to it, and the most that more workers could give
on this machine (its cores over the cores one worker kept busy). The loopback server is one
host: Scrapy's per-host limit (``[network] per_host_concurrency``) is raised to ``--per-host`` so
the run models feeds spread over many hosts, as real ones are.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from support.crawl import raqib, write_config  # noqa: E402
from support.pg import PgServer, find_pg_bindir, start_pg_server, stop_pg_server  # noqa: E402
from support.workers import GeneratedFeeds, Workers, use_database, wait_for  # noqa: E402

from raqib.feedserver import FeedServer  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def counts(server: PgServer, dbname: str) -> dict[str, float]:
    queries = {
        "feeds_stored": "SELECT count(DISTINCT feed_id) FROM fetch_log",
        "fetch_rows": "SELECT count(*) FROM fetch_log",
        "articles": "SELECT count(*) FROM articles",
        "identities": "SELECT count(DISTINCT identity) FROM articles",
        "stories": "SELECT count(*) FROM stories",
        "story_titles": "SELECT count(DISTINCT (watch, title)) FROM stories",
        "matches": "SELECT count(*) FROM watch_matches",
        "failed_jobs": "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status = 'failed'",
        "undecided": "SELECT count(*) FROM undecided_matches",
        "decide_pending": "SELECT count(*) FROM procrastinate.procrastinate_jobs "
        "WHERE task_name = 'raqib:decide' AND status IN ('todo', 'doing')",
        "fetch_seconds": "SELECT coalesce(sum(extract(epoch FROM finished_at - started_at)), 0) FROM fetch_log",
        "last_stored": "SELECT coalesce(extract(epoch FROM max(finished_at)), 0) FROM fetch_log",
    }
    with psycopg.connect(server.admin_dsn(dbname)) as connection:
        return {name: float(connection.execute(query).fetchone()[0]) for name, query in queries.items()}  # type: ignore[index]


PROCESS_CLASSES = ("workers", "crawl processes", "parse processes", "PostgreSQL")


class ProcessCpu:
    """CPU seconds (user + system) per class of process, sampled from /proc every half second
    while a run lasts: the crawl's parse processes are the crawl process's children, which no
    worker reaps, so the workers' own child counters miss them. ``classify`` names a process's class
    from its pid, environment and command line, or None to leave it out; it is asked once per
    process. A process's last sample counts, so one that lives less than half a second is missed.
    The sampler's own CPU is kept apart (it runs in the benchmark's process, beside the feed
    server)."""

    def __init__(self, classify: Callable[[int, bytes, bytes], str | None]) -> None:
        self.classify = classify
        self.kind: dict[int, str | None] = {}
        self.seen: dict[int, float] = {}
        self.baseline: dict[int, float] = {}
        self.sampler_cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ProcessCpu:
        self.baseline = self._read()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def seconds(self) -> dict[str, float]:
        self.seen.update(self._read())
        spent = dict.fromkeys(PROCESS_CLASSES, 0.0)
        for pid, cpu in self.seen.items():
            kind = self.kind.get(pid)
            if kind is not None:
                spent[kind] = spent.get(kind, 0.0) + cpu - self.baseline.get(pid, 0.0)
        return spent

    def processes(self) -> dict[str, int]:
        """How many processes of each class ran (were sampled) during the run."""
        started = dict.fromkeys(PROCESS_CLASSES, 0)
        for pid in self.seen:
            kind = self.kind.get(pid)
            if kind is not None:
                started[kind] += 1
        return started

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.seen.update(self._read())
        self.sampler_cpu = time.thread_time()

    def _read(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if pid not in self.kind:
                    self.kind[pid] = self.classify(
                        pid, (entry / "environ").read_bytes(), (entry / "cmdline").read_bytes()
                    )
                if self.kind[pid] is None:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return found


def process_class(marker: bytes, postmaster: int, bench_backend: int) -> Callable[[int, bytes, bytes], str | None]:
    """The class of a run's process: PostgreSQL's (the server and its backends), or one the run's
    workers started (every such process inherits the run's ``RAQIB_DATA``): a worker, a crawl
    process, or a parse process (the crawl process's parse workers)."""

    def classify(pid: int, environ: bytes, cmdline: bytes) -> str | None:
        if pid == postmaster or _parent(pid) == postmaster:
            return "PostgreSQL"
        if marker not in environ.split(b"\0"):
            return None
        if b"raqib.distributed.crawl_child" in cmdline:
            return "crawl processes"
        if b"worker" in cmdline.split(b"\0"):
            return "workers"
        return "parse processes"

    return classify


def run(
    server: PgServer, feeds: GeneratedFeeds, workers: int, args: argparse.Namespace, folder: Path
) -> dict[str, float]:
    dbname = f"bench_w{workers}_{int(time.time())}"
    with psycopg.connect(server.admin_dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    folder.mkdir()
    config = write_config(folder, feeds.specs(), timeout="20s", max_bytes=2_000_000)
    text = config.read_text(encoding="utf-8").replace(
        "[network]\n", f"[network]\nper_host_concurrency = {args.per_host}\n"
    )
    config.write_text(text, encoding="utf-8")
    use_database(config, server.sqlalchemy_url(dbname), interval="6h")
    upgraded = raqib(config, "db", "upgrade", timeout=300)
    assert upgraded.returncode == 0, upgraded.stderr
    feeds.fetched.clear()
    pool = Workers(config, heartbeat=5.0, concurrency=args.concurrency, batch=args.batch)
    started = time.time()
    pool.start(workers)
    marker = f"RAQIB_DATA={folder / 'data'}".encode()
    watch = CycleWatch(server, dbname, args.feeds)
    sampler = ProcessCpu(process_class(marker, server.process.pid, watch.pid))
    own_before, polling_before = resource.getrusage(resource.RUSAGE_SELF), time.thread_time()
    with sampler:
        try:
            done = wait_for(watch.done, args.timeout, interval=0.5)
            settled = time.time()
            # Read while the workers run: a worker's row, and so its jobs' worker ids, goes as it stops.
            activity = worker_activity(server, dbname, started, settled) if done else {}
            spent = sampler.seconds()
            processes = sampler.processes()
            own = resource.getrusage(resource.RUSAGE_SELF)
            polling = time.thread_time() - polling_before
        finally:
            pool.stop()
            watch.close()
    # This process: the feed server's threads, the sampler and the polling for the cycle's end.
    bench_cpu = own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime
    spent["feed server"] = max(0.0, bench_cpu - sampler.sampler_cpu - polling)
    spent["sampling and polling"] = sampler.sampler_cpu + polling
    if not done:
        print(pool.logs()[-3000:])
        raise SystemExit(f"{workers} worker(s): not every feed stored and decided within {args.timeout} s")
    result = counts(server, dbname)
    wall = settled - started
    if workers == 1 and args.concurrency == 1:
        result.update(
            {
                f"timeline {phase}": seconds
                for phase, seconds in job_timeline(server, dbname, feeds.fetched, started).items()
            }
        )
    result.update({f"activity {phase}": seconds for phase, seconds in activity.items()})
    lags = [times[0] - started for times in feeds.fetched.values()]
    result.update(
        wall=wall,
        fetched_wall=max(times[-1] for times in feeds.fetched.values()) - started,
        items_per_s=result["articles"] / wall,
        lag_p50=percentile(lags, 0.50),
        lag_p95=percentile(lags, 0.95),
        fetched_twice=sum(len(times) > 1 for times in feeds.fetched.values()),
        cpu=sum(spent[kind] for kind in PROCESS_CLASSES[:3]),
        pg_cpu=spent["PostgreSQL"],
        load=os.getloadavg()[0],
        **{f"cpu {kind}": seconds for kind, seconds in spent.items()},
        **{f"processes {kind}": float(count) for kind, count in processes.items()},
    )
    return result


TIMELINE = (
    "to first crawl",
    "crawl start to first GET",
    "first GET to first store",
    "first to last store",
    "last store to job end",
    "other jobs",
    "no job running",
)


ACTIVITY = ("crawl jobs", "other jobs", "before its first job", "between jobs", "after its last job")


def worker_activity(server: PgServer, dbname: str, started: float, settled: float) -> dict[str, float]:
    """What the workers' job slots did during the cycle, in seconds summed over the workers (any
    count, from procrastinate's job events and the jobs' worker ids): running crawl jobs, running
    other jobs (decide, schedule), and none: before a worker's first job (its start), between
    jobs (fetching the next one, or nothing queued) and after its last job (the tail: nothing left
    for it while another worker still crawled or decided). Meaningful at concurrency 1."""
    query = (
        "SELECT j.worker_id, j.task_name, extract(epoch FROM min(e.at) FILTER (WHERE e.type = 'started')), "
        "extract(epoch FROM max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed'))) "
        "FROM procrastinate.procrastinate_jobs j JOIN procrastinate.procrastinate_events e ON e.job_id = j.id "
        "WHERE j.worker_id IS NOT NULL "
        "GROUP BY j.id HAVING min(e.at) FILTER (WHERE e.type = 'started') IS NOT NULL ORDER BY 3"
    )
    with psycopg.connect(server.admin_dsn(dbname)) as connection:
        rows = [
            (int(worker), task, float(start), float(end or settled))
            for worker, task, start, end in connection.execute(query)
        ]
    figures = dict.fromkeys(ACTIVITY, 0.0)
    for worker in {row[0] for row in rows}:
        jobs = [row for row in rows if row[0] == worker]
        figures["before its first job"] += jobs[0][2] - started
        busy_until = jobs[0][2]
        for _, task, start, end in jobs:
            figures["between jobs"] += max(0.0, start - busy_until)
            figures["crawl jobs" if task == "raqib:crawl" else "other jobs"] += max(0.0, end - max(start, busy_until))
            busy_until = max(busy_until, end)
        figures["after its last job"] += max(0.0, settled - busy_until)
    figures["workers seen"] = float(len({row[0] for row in rows}))
    return figures


def job_timeline(server: PgServer, dbname: str, fetched: dict[int, list[float]], started: float) -> dict[str, float]:
    """Where one worker's wall time goes (meaningful with one worker, concurrency 1, where jobs run
    one after another), from procrastinate's job events, the feed server's GET times and the
    articles' store times (``fetched_at`` is taken as a feed's items are stored). The phases add
    up to the cycle: workers started to the first crawl job; per crawl job, its start to its
    batch's first GET (feed locks, due check, the crawl's start), to its first store (an answer,
    parsed, stored: the pipeline filling), to its last store (the pipeline running), to the job's
    end (the answer, the job's bookkeeping); the other jobs (decide, schedule) between crawls; and
    the hand-off gaps when no job runs. Beside them, not a phase: how long fetching a batch took
    (first to last GET)."""
    query = (
        "SELECT j.task_name, j.args, extract(epoch FROM min(e.at) FILTER (WHERE e.type = 'started')), "
        "extract(epoch FROM max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed'))) "
        "FROM procrastinate.procrastinate_jobs j JOIN procrastinate.procrastinate_events e ON e.job_id = j.id "
        "GROUP BY j.id HAVING min(e.at) FILTER (WHERE e.type = 'started') IS NOT NULL ORDER BY 3"
    )
    stores = (
        "SELECT f.name, extract(epoch FROM min(a.fetched_at)), extract(epoch FROM max(a.fetched_at)) "
        "FROM articles a JOIN feeds f ON f.id = a.feed_id GROUP BY f.name"
    )
    with psycopg.connect(server.admin_dsn(dbname)) as connection:
        jobs = [(task, args, float(start), float(end or start)) for task, args, start, end in connection.execute(query)]
        stored = {name: (float(first), float(last)) for name, first, last in connection.execute(stores)}
    crawls = [job for job in jobs if job[0] == "raqib:crawl"]
    if not crawls:
        return {}
    figures = dict.fromkeys(TIMELINE, 0.0)
    figures["to first crawl"] = crawls[0][2] - started
    fetching = 0.0
    busy_until = crawls[0][2]
    for task, args, start, end in jobs:
        if end <= crawls[0][2]:
            continue
        figures["no job running"] += max(0.0, start - busy_until)
        if task != "raqib:crawl":
            figures["other jobs"] += max(0.0, end - max(start, busy_until))
        else:
            names = [name for name in args["feeds"] if name in stored]
            gets = [fetched[index][0] for index in (int(name.rsplit("-", 1)[1]) for name in names) if index in fetched]
            if gets and names:
                first_get, first_store = min(gets), min(stored[name][0] for name in names)
                last_store = max(stored[name][1] for name in names)
                figures["crawl start to first GET"] += first_get - start
                figures["first GET to first store"] += first_store - first_get
                figures["first to last store"] += last_store - first_store
                figures["last store to job end"] += end - last_store
                fetching += max(gets) - first_get
            else:  # nothing of it stored (its feeds were stored by another job): all bookkeeping
                figures["last store to job end"] += end - start
        busy_until = max(busy_until, end)
    figures["fetching a batch (first to last GET, per job)"] = fetching / len(crawls)
    figures["crawl jobs"] = len(crawls)
    return figures


PACKAGES = ("config", "net", "crawler", "ingest", "stories", "storage", "alerts", "web", "raqib")
ROLES = ("workers", "crawl processes", "parse processes", "PostgreSQL")
TARGET_RATIO = 1.7  # issue 11: two workers against one, on this machine
MACHINES, MACHINE_FEEDS = 5, 20_000  # issue 11: what the figures say for 20,000 feeds on 5 machines


def per_item_ms(result: dict[str, float]) -> dict[str, float]:
    """CPU milliseconds per stored item, per role."""
    return {role: 1000 * result[f"cpu {role}"] / max(result["articles"], 1) for role in ROLES}


def scaling_arithmetic(base: dict[str, float], workers: int, cores: int, items_per_feed: int = 50) -> list[str]:
    """Why n workers give what they give here: the run's work per item has to fit the cores.
    ``ratio x base items/s x CPU per item <= cores`` bounds the ratio; the cores one worker kept
    busy bound it the same way (more workers add at most cores / busy)."""
    per_item = per_item_ms(base)
    total = sum(per_item.values())
    rate = base["items_per_s"]
    busy = rate * total / 1000
    target_cores = TARGET_RATIO * busy
    fitting_total = cores * 1000 / (TARGET_RATIO * rate)
    items = MACHINE_FEEDS * items_per_feed
    worker_cpu = items * (total - per_item["PostgreSQL"]) / 1000
    pg_cpu = items * per_item["PostgreSQL"] / 1000
    machine_cores = MACHINES * cores
    return [
        f"CPU per item ({workers} worker(s)): "
        + ", ".join(f"{role} {ms:.3f} ms" for role, ms in per_item.items())
        + f"; {total:.3f} ms in all",
        f"{workers} worker(s): {rate:.0f} items/s x {total:.3f} ms = {busy:.2f} cores busy, so on {cores} cores "
        f"more workers give at most {cores / busy:.2f}x",
        f"{TARGET_RATIO}x needs {TARGET_RATIO} x {rate:.0f} items/s x {total:.3f} ms = {target_cores:.2f} cores "
        f"of {cores}: the work per item would have to be <= {fitting_total:.3f} ms at this one-worker rate "
        f"(and a faster worker needs it smaller still)",
        f"per crawl job one parse process parses, one item at a time: it was busy "
        f"{rate * per_item['parse processes'] / 1000:.0%} of the time (its ceiling: "
        f"{1000 / max(per_item['parse processes'], 1e-9):.0f} items/s per crawl job running)",
        f"{MACHINE_FEEDS:,} feeds x {items_per_feed} items on {MACHINES} machines of {cores} cores: a first cycle of "
        f"{items:,} items is {worker_cpu:.0f} worker CPU-seconds, {worker_cpu / machine_cores:.0f} s on "
        f"{machine_cores} cores kept busy, and {pg_cpu:.0f} PostgreSQL CPU-seconds "
        f"({pg_cpu / (worker_cpu / machine_cores):.1f} cores for PostgreSQL during it)",
    ]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


class CycleWatch:
    """Asks, on one connection of its own, whether every feed is stored and every match decided
    (the cycle's last stage here: no alert channel). Only cheap questions, and its server process
    (``pid``) is left out of PostgreSQL's CPU: counting all the articles twice a second cost
    PostgreSQL about a sixth of what the workers made it do, and was charged to them."""

    def __init__(self, server: PgServer, dbname: str, feeds: int) -> None:
        self.connection = psycopg.connect(server.admin_dsn(dbname), autocommit=True)
        self.pid = int(self.connection.info.backend_pid)
        self.feeds = feeds

    def done(self) -> bool:
        row = self.connection.execute(
            "SELECT (SELECT count(DISTINCT feed_id) FROM fetch_log), "
            "EXISTS (SELECT 1 FROM undecided_matches), "
            "EXISTS (SELECT 1 FROM procrastinate.procrastinate_jobs "
            "WHERE task_name = 'raqib:decide' AND status IN ('todo', 'doing'))"
        ).fetchone()
        assert row is not None
        stored, undecided, deciding = row
        return int(stored) >= self.feeds and not undecided and not deciding

    def close(self) -> None:
        self.connection.close()


MEASURED = (*PROCESS_CLASSES, "feed server", "sampling and polling")


def bottleneck(result: dict[str, float], cores: int) -> str:
    """Where the cycle's time went: the cores each class of process kept busy, of those there are
    (the rest went to other programs, see the load average, or nothing was ready to run)."""
    busy = {kind: result[f"cpu {kind}"] / result["wall"] for kind in MEASURED}
    workers = sum(busy[kind] for kind in PROCESS_CLASSES[:3])
    rest = max(0.0, cores - sum(busy.values()))
    if rest > 0.5 * cores:
        verdict = (
            "waiting (network latency, per-host limit, job hand-off), or other programs held the "
            "cores (see the load average): more concurrency, not more machines"
        )
    elif busy["PostgreSQL"] > workers:
        verdict = "PostgreSQL"
    elif busy["feed server"] > 0.5 * workers:
        verdict = "this benchmark's own feed server, which shares the cores: the figures understate the workers"
    else:
        biggest = max(PROCESS_CLASSES[:3], key=lambda kind: busy[kind])
        verdict = f"the workers' CPU, most of it in the {biggest}: more machines"
    shares = ", ".join(f"{kind} {busy[kind]:.2f}" for kind in MEASURED)
    return (
        f"cores busy: {shares}; idle or other programs {rest:.2f} of {cores} "
        f"(load average {result['load']:.1f}); next bottleneck: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds before each feed answer")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, the first is the baseline")
    parser.add_argument("--concurrency", type=int, default=1, help="jobs at once per worker")
    parser.add_argument("--batch", type=int, default=100, help="feeds per crawl job")
    parser.add_argument("--per-host", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    counts_to_run = [int(value) for value in args.workers.split(",")]

    # Raqib's modules compiled once, as an installed package's are: where PYTHONDONTWRITEBYTECODE
    # is set (this machine's sessions), every worker, crawl and parse process would otherwise
    # compile them again as it starts (0.3-0.4 s of CPU each, and two workers start twice as many).
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)
    bindir = find_pg_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found (Debian package postgresql)")
    server = start_pg_server(bindir)
    root = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    results: dict[int, dict[str, float]] = {}
    try:
        with FeedServer(ROOT / "tests" / "fixtures" / "feeds") as feed_server:
            feeds = GeneratedFeeds(feed_server, count=args.feeds, items=args.items, delay=args.delay)
            feeds.install()
            print(
                f"{args.feeds} loopback feeds x {args.items} items, {args.delay * 1000:.0f} ms per answer; "
                f"concurrency {args.concurrency} per worker, {args.batch} feeds per crawl job, "
                f"per-host limit {args.per_host}; PostgreSQL {server.port}"
            )
            for workers in counts_to_run:
                results[workers] = result = run(server, feeds, workers, args, root / f"w{workers}")
                base = results[counts_to_run[0]]
                print(
                    f"{workers} worker(s): cycle {result['wall']:.1f} s, {result['items_per_s']:.0f} items/s "
                    f"({result['items_per_s'] / base['items_per_s']:.2f}x the {counts_to_run[0]}-worker run), "
                    f"lag p50 {result['lag_p50']:.1f} s p95 {result['lag_p95']:.1f} s; "
                    f"{result['articles']:.0f} articles, {result['matches']:.0f} matches, "
                    f"{result['stories']:.0f} stories; "
                    f"duplicates: fetched twice {result['fetched_twice']:.0f}, "
                    f"articles {result['articles'] - result['identities']:.0f}, "
                    f"stories {result['stories'] - result['story_titles']:.0f}, "
                    f"fetch rows {result['fetch_rows'] - result['feeds_stored']:.0f}; "
                    f"failed jobs {result['failed_jobs']:.0f}; "
                    f"last feed fetched after {result['fetched_wall']:.1f} s, "
                    f"fetch+store per feed {result['fetch_seconds'] / max(result['feeds_stored'], 1):.2f} s; "
                    f"CPU: workers with their crawl and parse processes {result['cpu']:.0f} s "
                    f"({result['cpu'] / result['articles'] * 1000:.2f} ms/item: "
                    + ", ".join(f"{kind} {result[f'cpu {kind}']:.1f} s" for kind in PROCESS_CLASSES[:3])
                    + f"), PostgreSQL {result['pg_cpu']:.1f} s, feed server {result['cpu feed server']:.1f} s"
                )
                print(f"  {bottleneck(result, os.cpu_count() or 1)}")
                print("  CPU per item: " + ", ".join(f"{role} {ms:.3f} ms" for role, ms in per_item_ms(result).items()))
                # What the workers started: per crawl job running at once, a crawl process and its
                # parse pool (one parse worker, started by ingest.processes); two workers
                # start twice as many, each pool sized for one job, not for the machine's cores.
                print(
                    "  processes seen: "
                    + ", ".join(f"{kind} {result[f'processes {kind}']:.0f}" for kind in PROCESS_CLASSES[:3])
                    + " (per crawl process, the parse processes are its parse workers, DEFAULT_PARSE_WORKERS = 1)"
                )
                if result.get("activity workers seen"):
                    seen = result["activity workers seen"]
                    print(
                        f"  job slots of {seen:.0f} worker(s), seconds summed over them "
                        f"(of {seen * result['wall']:.1f}): "
                        + ", ".join(f"{phase} {result[f'activity {phase}']:.1f}" for phase in ACTIVITY)
                    )
                if "timeline crawl jobs" in result:
                    phases = {phase: result[f"timeline {phase}"] for phase in TIMELINE}
                    fetching = result["timeline fetching a batch (first to last GET, per job)"]
                    print(
                        f"  one worker, {result['timeline crawl jobs']:.0f} crawl jobs in {result['wall']:.1f} s: "
                        + ", ".join(f"{phase} {s:.1f} s ({s / result['wall']:.0%})" for phase, s in phases.items())
                        + f"; fetching a batch took {fetching:.2f} s"
                    )
            if len(counts_to_run) > 1:
                base = results[counts_to_run[0]]
                ratios = ", ".join(
                    f"{n} vs {counts_to_run[0]}: {results[n]['items_per_s'] / base['items_per_s']:.2f}x"
                    for n in counts_to_run[1:]
                )
                print(f"throughput ratio {ratios}; load average at the end {os.getloadavg()[0]:.1f}")
                for line in scaling_arithmetic(base, counts_to_run[0], os.cpu_count() or 1):
                    print(f"  {line}")
    finally:
        stop_pg_server(server)
        shutil.rmtree(root, ignore_errors=True)  # configs and worker logs (a failed run printed its logs)
    print(json.dumps({str(k): v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
