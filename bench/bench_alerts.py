"""Benchmark: webhook alert delivery (DESIGN §3.4), end to end on loopback.

Run: .venv/bin/python bench/bench_alerts.py [--runs N] [--alerts M] [--repeat R] [--no-profile]

Prints absolute figures and, since the machine is shared and noisy, ratios against baselines run
in this same process against the same receiver:

1. Crawl end to webhook received (target ≤ 1 s). A three-item feed (two items match the default
   watch ``nk-troops-kursk``) is served on loopback by ``FeedServer``; ``raqib crawl`` runs as a
   child process (a fresh database each run) with a signed webhook channel pointing at a loopback
   receiver that stamps each arrival with ``time.time()``. Crawl end is the latest
   ``finished_at`` in the fetch log; latency is arrival minus crawl end, per alert, over N runs
   (default 5): max and median. The stages in between come from the database: the outbox row's
   ``created_at`` (the alert decided and stored), the delivery attempt's ``seconds`` (the POST as
   the deliverer timed it). Baseline: a bare ``httpx.post`` of the same body and headers to the
   same receiver.
2. A burst of M alerts (default 1,000). M matching reports, each a distinct development or a new
   story (figures, places and sources vary), are stored through ``ingest.store.save_article`` with the
   story desk and the channel's ``OutboxWriter``, as a crawl stores them; then one
   ``Deliverer.deliver_due()`` sends them. Wall time, alerts/s, distinct ``webhook-id`` values
   received (must be M), repeats (must be 0), signatures verified, and every outbox row ``sent``.
   Baselines: M sequential ``httpx.post`` calls (a new client each, as the deliverer does) and M
   POSTs through one reused ``httpx.Client``, with the very bodies and headers the deliverer sent.
   The timed delivery runs R times (default 2) on copies of the same database, interleaved with
   the baselines; then once more under cProfile (top 10 by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from alerts.channels import build_deliverer  # noqa: E402
from alerts.webhook import verify  # noqa: E402
from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from ingest.store import save_article  # noqa: E402
from raqib.compose import outbox_writer, story_desk  # noqa: E402
from raqib.feedserver import FeedServer  # noqa: E402
from storage import feed_repo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import DeliveryAttempt, OutboxEntry  # noqa: E402
from stories.analysis import Analyser  # noqa: E402
from stories.types import Entry  # noqa: E402

SECRET = "whsec_" + "YmVuY2gtYWxlcnRzLXNlY3JldC0wMTIzNDU2Nzg5"
SECRET_ENV = "RAQIB_BENCH_WEBHOOK_SECRET"
ENV = {SECRET_ENV: SECRET}
CHANNEL = "bench-hook"
FEED = "Bench Wire"
SEED = 20250304

# --- the loopback receiver ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    webhook_id: str
    at: float  # time.time() once the body was read
    verified: bool
    body: bytes
    headers: dict[str, str]


class Receiver:
    """A threaded HTTP/1.1 server on 127.0.0.1 that answers 204 to every POST and keeps the
    connection open (a reused client gets keep-alive). It verifies each signature, so both the
    deliverer and the baselines pay the same receiver-side CPU in this process."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="bench-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/raqib"

    def record(self, arrival: Arrival) -> None:
        with self._lock:
            self.arrivals.append(arrival)

    def take(self) -> list[Arrival]:
        with self._lock:
            taken, self.arrivals = self.arrivals, []
        return taken

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        at = time.time()
        headers = {name.lower(): value for name, value in self.headers.items()}
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        receiver.record(Arrival(headers.get("webhook-id", ""), at, verify(SECRET, headers, body), body, headers))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


# --- config ------------------------------------------------------------------------------------


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_watch_query() -> str:
    config = load_config(BUNDLED_DEFAULT, data_dir=Path(tempfile.gettempdir()))
    return next(watch.query for watch in config.watches if watch.name == "nk-troops-kursk")


def write_config(folder: Path, feed_url: str, hook_url: str, query: str) -> Path:
    """A config like the tests': one loopback feed, the default watch, one signed webhook."""
    text = f"""database = {_toml("sqlite:///" + str(folder / "raqib.db"))}

[schedule]
interval = "1m"

[network]
allow_private = true
timeout = "5s"

[[watches]]
name = "nk-troops-kursk"
query = {_toml(query)}

[[feeds]]
name = {_toml(FEED)}
url = {_toml(feed_url)}
language = "en"

[[alerts]]
name = {_toml(CHANNEL)}
kind = "webhook"
url = {_toml(hook_url)}
secret_env = {_toml(SECRET_ENV)}
on = ["new_story", "development"]
"""
    path = folder / "raqib.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- baselines ---------------------------------------------------------------------------------


def bare_posts(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> float:
    """Sequential ``httpx.post`` calls: a new client (and connection) for each, like the deliverer."""
    started = time.perf_counter()
    for body, headers in requests:
        httpx.post(url, content=body, headers=headers, timeout=5.0).raise_for_status()
    return time.perf_counter() - started


def reused_client_posts(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> float:
    """The same POSTs through one ``httpx.Client`` (one kept-alive connection)."""
    started = time.perf_counter()
    with httpx.Client(timeout=5.0) as client:
        for body, headers in requests:
            client.post(url, content=body, headers=headers).raise_for_status()
    return time.perf_counter() - started


def replayable(arrivals: list[Arrival]) -> list[tuple[bytes, dict[str, str]]]:
    keep = ("content-type", "webhook-id", "webhook-timestamp", "webhook-signature")
    return [(a.body, {name: a.headers[name] for name in keep if name in a.headers}) for a in arrivals]


# --- 1. crawl end to webhook received ----------------------------------------------------------

FEED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
  <title>Bench Wire</title>
  <link>https://wire.example.com/</link>
  <description>World news from the bench wire.</description>
  <item>
    <title>North Korean soldiers join Russian assaults in Kursk region, Kyiv says</title>
    <link>https://wire.example.com/world/north-korean-soldiers-kursk-{run}</link>
    <guid isPermaLink="false">bench-{run}-0001</guid>
    <pubDate>{first}</pubDate>
    <description>Ukraine's military said about 3,000 North Korean soldiers took part in Russian infantry
    attacks in the Kursk region for the first time and suffered significant losses.</description>
  </item>
  <item>
    <title>Pyongyang ships artillery shells and attack drones to Russia, Seoul says</title>
    <link>https://wire.example.com/world/pyongyang-shells-drones-{run}</link>
    <guid isPermaLink="false">bench-{run}-0002</guid>
    <pubDate>{second}</pubDate>
    <description>South Korea's military said North Korea has sent millions of artillery shells and a
    first batch of 200 attack drones to Russia for its forces fighting Ukraine.</description>
  </item>
  <item>
    <title>Central bank holds interest rates steady</title>
    <link>https://wire.example.com/business/central-bank-rates-{run}</link>
    <guid isPermaLink="false">bench-{run}-0003</guid>
    <pubDate>{third}</pubDate>
    <description>The central bank left its benchmark rate unchanged, saying inflation was easing
    more slowly than expected.</description>
  </item>
</channel>
</rss>
"""


@dataclass
class CrawlRun:
    crawl_end: float  # the latest finished_at in the fetch log, epoch seconds
    stored: list[float]  # outbox rows' created_at
    arrivals: list[Arrival]
    post_seconds: list[float]  # the deliverer's own timing of each POST
    process_exit: float
    process_seconds: float
    returncode: int
    output: str


def crawl_once(run: int, folder: Path, hook: Receiver, query: str) -> CrawlRun:
    feeds = folder / "feeds"
    feeds.mkdir()
    now = datetime.now(UTC)
    dates = [format_datetime(now - timedelta(minutes=m), usegmt=True) for m in (30, 20, 10)]
    (feeds / "wire.xml").write_text(
        FEED_XML.format(run=run, first=dates[0], second=dates[1], third=dates[2]), encoding="utf-8"
    )
    with FeedServer(feeds) as server:
        config = write_config(folder, server.url("wire.xml"), hook.url, query)
        env = {**os.environ, "RAQIB_DATA": str(folder / "data"), "PYTHONIOENCODING": "utf-8", **ENV}
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "raqib", "--config", str(config), "crawl"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=folder,
        )
        exited = time.time()
    database = Database(f"sqlite:///{folder / 'raqib.db'}")
    try:
        with database.session() as session:
            log = feed_repo.fetch_log(session)
            stored = [row.created_at.timestamp() for row in session.scalars(select(OutboxEntry))]
            seconds = [a.seconds for a in session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.ok))]
    finally:
        database.dispose()
    crawl_end = max(row.finished_at for row in log).timestamp() if log else float("nan")
    return CrawlRun(
        crawl_end, stored, hook.take(), seconds, exited, exited - started, done.returncode, done.stdout + done.stderr
    )


def section_latency(runs: int, query: str) -> None:
    print(f"== 1. crawl end -> webhook received, {runs} runs, fresh database each (target <= 1 s)")
    latencies: list[float] = []
    stored_to_arrival: list[float] = []
    end_to_stored: list[float] = []
    arrival_to_exit: list[float] = []
    post_seconds: list[float] = []
    bare: list[float] = []
    bare_arrival: list[float] = []
    warm: list[float] = []
    with (
        Receiver() as hook,
        tempfile.TemporaryDirectory(prefix="raqib-bench-alerts-") as tmp,
        httpx.Client(timeout=5.0) as client,
    ):
        for run in range(runs):
            folder = Path(tmp) / f"run{run}"
            folder.mkdir()
            result = crawl_once(run, folder, hook, query)
            ids = [a.webhook_id for a in result.arrivals]
            if result.returncode != 0 or len(ids) != 2 or not all(a.verified for a in result.arrivals):
                print(f"  run {run}: UNEXPECTED exit {result.returncode}, {len(ids)} webhook(s) received")
                print("  " + result.output.strip().replace("\n", "\n  "))
            run_latencies = [a.at - result.crawl_end for a in result.arrivals]
            latencies += run_latencies
            stored_to_arrival += [a.at - max(result.stored) for a in result.arrivals]
            end_to_stored += [s - result.crawl_end for s in result.stored]
            arrival_to_exit += [result.process_exit - a.at for a in result.arrivals]
            post_seconds += result.post_seconds
            print(
                f"  run {run}: {len(ids)} webhooks ({len(set(ids))} distinct ids, "
                f"{sum(a.verified for a in result.arrivals)} verified); latency "
                + ", ".join(f"{value * 1000:.0f} ms" for value in run_latencies)
                + f"; crawl process {result.process_seconds:.2f} s"
            )
            # The baseline: the same signed request, posted bare to the same receiver.
            for body, headers in replayable(result.arrivals):
                started = time.time()
                httpx.post(hook.url, content=body, headers=headers, timeout=5.0).raise_for_status()
                bare.append(time.time() - started)
                bare_arrival.append(hook.take()[0].at - started)
                started = time.time()
                client.post(hook.url, content=body, headers=headers).raise_for_status()
                warm.append(time.time() - started)
                hook.take()
    if not latencies:
        print("  no webhook received")
        return
    median, worst = statistics.median(latencies), max(latencies)
    bare_median = statistics.median(bare)
    print(
        f"  crawl end -> received, per alert (n={len(latencies)}): median {median * 1000:.0f} ms, "
        f"max {worst * 1000:.0f} ms, min {min(latencies) * 1000:.0f} ms  "
        f"-> target 1 s {'MET' if worst <= 1.0 else 'MISSED'}"
    )
    print(
        f"    crawl end -> outbox row stored: median {statistics.median(end_to_stored) * 1000:.0f} ms; "
        f"last row stored -> received: median {statistics.median(stored_to_arrival) * 1000:.0f} ms, "
        f"max {max(stored_to_arrival) * 1000:.0f} ms"
    )
    if post_seconds:
        print(
            f"    the POST as the deliverer timed it: median {statistics.median(post_seconds) * 1000:.1f} ms; "
            f"received -> crawl process exited: median {statistics.median(arrival_to_exit) * 1000:.0f} ms"
        )
    print(
        f"  baseline bare httpx.post of the same request: median {bare_median * 1000:.1f} ms round trip, "
        f"{statistics.median(bare_arrival) * 1000:.1f} ms to arrival (n={len(bare)}); through one kept-alive "
        f"httpx.Client: median {statistics.median(warm) * 1000:.2f} ms"
    )
    print(f"  ratio crawl-end latency / bare POST: median {median / bare_median:.1f}x, max {worst / bare_median:.1f}x")
    if post_seconds:
        print(f"  ratio deliverer's POST / bare POST: {statistics.median(post_seconds) / bare_median:.2f}x")


# --- 2. a burst of alerts ----------------------------------------------------------------------

PLACES = ["Kursk", "Sudzha", "Belgorod", "Bryansk", "Pokrovsk", "Kherson", "Zaporizhzhia", "Donetsk", "Luhansk"]
SOURCES = ["Kyiv", "Seoul", "the Pentagon", "NATO", "Ukrainian intelligence", "a US official", "Tokyo", "the UN"]
TEMPLATES = [
    (
        "{n} North Korean troops deployed near {place}, {source} says",
        "{source} said about {n} North Korean troops had been deployed to Russia and moved toward {place} "
        "to support Russian forces against Ukraine.",
    ),
    (
        "{n} North Korean soldiers killed near {place}, {source} says",
        "{source} said {n} North Korean soldiers fighting for Russia had been killed near {place} "
        "in the latest assaults on Ukrainian forces.",
    ),
    (
        "{n} North Korean soldiers wounded near {place}, {source} says",
        "{source} said {n} North Korean soldiers fighting for Russia had been wounded near {place}; "
        "many were taken to field hospitals behind the lines against Ukraine.",
    ),
    (
        "North Korea ships {n} attack drones to Russia for use near {place}",
        "{source} said Pyongyang had delivered {n} attack drones to Russian forces, which used them "
        "against Ukrainian troops near {place}.",
    ),
]
# Reports come in eras of ERA_REPORTS, ERA_GAP apart (longer than the story window), so each era
# is its own story; within an era every report gives a figure 8 % above the last (a toll that
# keeps rising), so each is a development rather than a re-report.
ERA_REPORTS = 40
ERA_GAP = timedelta(days=8)
# Background sentences built from word lists, so that no two reports share most of their text
# (the desk would rightly call near-copies duplicates).
SPEAKERS = [
    "A spokesman for the general staff",
    "Colonel Petrenko",
    "An analyst at the Seoul institute",
    "The regional governor",
    "A lawmaker on the intelligence committee",
    "A battalion commander",
    "The foreign ministry",
    "A satellite imagery firm",
    "A defence attaché",
    "A village mayor",
    "A military blogger",
    "The border guard service",
]
CLAIMS = [
    "columns of trucks crossed the bridge at dawn",
    "field hospitals had been expanded twice",
    "radio intercepts pointed to new artillery positions",
    "trains carrying ammunition arrived overnight",
    "residents were told to leave three hamlets",
    "engineers built fresh trenches along the river",
    "communications between the units broke down repeatedly",
    "fuel depots were struck by missiles",
    "interpreters were attached to every company",
    "winter uniforms had been handed out late",
    "the offensive stalled after heavy rain",
    "a command post moved closer to the frontline",
    "bodies were flown back through Vladivostok",
    "air defence batteries were repositioned",
]
WHEN = ["on Monday", "on Tuesday", "late on Wednesday", "on Thursday morning", "on Friday", "over the weekend"]
WHERE = ["in a briefing", "on television", "in a written statement", "to reporters", "in an interview", "online"]


def background(rng: random.Random) -> str:
    picks = rng.sample(CLAIMS, 3)
    return " ".join(
        f"{rng.choice(SPEAKERS)} said {rng.choice(WHERE)} {rng.choice(WHEN)} that {claim}." for claim in picks
    )


def synthetic_entries(rng: random.Random, start: datetime) -> Iterator[Entry]:
    """Matching reports, each with a new figure, place and source: new stories and developments."""
    index = 0
    while True:
        era, position = divmod(index, ERA_REPORTS)
        title, summary = TEMPLATES[index % len(TEMPLATES)]
        values = {
            "n": f"{round(120 * 1.08**position):,}",
            "place": rng.choice(PLACES),
            "source": rng.choice(SOURCES),
        }
        lead = summary.format(**values)
        yield Entry(
            feed=FEED,
            title=title.format(**values),
            summary=lead[0].upper() + lead[1:] + " " + background(rng),
            guid=f"bench-burst-{index:05d}",
            url=f"https://wire.example.com/world/burst-{index:05d}",
            published=start + era * ERA_GAP + position * timedelta(minutes=20),
            language_hint="en",
        )
        index += 1


def build_burst(folder: Path, hook_url: str, alerts: int, query: str) -> tuple[Path, int, Counter[str], float]:
    """Store matching reports as a crawl would until ``alerts`` outbox rows are pending."""
    config_path = write_config(folder, "http://127.0.0.1:9/unused.xml", hook_url, query)
    config = load_config(config_path, data_dir=folder)
    database = Database(config.database)
    database.upgrade()
    desk, writer = story_desk(config), outbox_writer(config)
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    events: Counter[str] = Counter()
    stored = queued = 0
    started = time.perf_counter()
    now = datetime.now(UTC)
    first = now - (alerts // ERA_REPORTS + 1) * ERA_GAP
    entries = synthetic_entries(random.Random(SEED), first)
    try:
        with database.session() as session:
            feed_repo.sync_feeds(session, config.feeds)
        while queued < alerts and stored < alerts * 5:
            with database.session() as session:  # one transaction per 50 entries, like a crawled feed
                for _ in range(50):
                    if queued >= alerts:
                        break
                    entry = next(entries)
                    analysis = analyser.analyse(entry)
                    if not analysis.hits:
                        continue
                    outcome = save_article(
                        session, FEED, entry, analysis, desk=desk, outbox=writer, now=entry.published
                    )
                    stored += 1
                    for event in outcome.events.values():
                        events[str(getattr(event, "value", event))] += 1
                    session.flush()
                    queued = session.scalar(select(func.count()).select_from(OutboxEntry)) or 0
    finally:
        database.dispose()
    return config_path, stored, events, time.perf_counter() - started


@dataclass
class BurstRun:
    seconds: float
    report: str
    arrivals: list[Arrival]
    statuses: Counter[str]


def deliver_burst(config_path: Path, database_file: Path, hook: Receiver, profile: cProfile.Profile | None) -> BurstRun:
    config = load_config(config_path, data_dir=config_path.parent)
    database = Database(f"sqlite:///{database_file}")
    try:
        deliverer = build_deliverer(config, database, ENV)
        hook.take()
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        report = deliverer.deliver_due()
        if profile is not None:
            profile.disable()
        seconds = time.perf_counter() - started
        arrivals = hook.take()
        with database.session() as session:
            statuses = Counter(session.scalars(select(OutboxEntry.status)))
    finally:
        database.dispose()
    return BurstRun(seconds, report.line(), arrivals, statuses)


@contextmanager
def database_copy(source: Path, folder: Path, name: str) -> Iterator[Path]:
    target = folder / name
    shutil.copyfile(source, target)
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def section_burst(alerts: int, repeat: int, profile: bool, query: str) -> None:
    print(f"\n== 2. a burst of {alerts:,} alerts to a loopback receiver")
    with Receiver() as hook, tempfile.TemporaryDirectory(prefix="raqib-bench-burst-") as tmp:
        folder = Path(tmp)
        config_path, stored, events, build_seconds = build_burst(folder, hook.url, alerts, query)
        source = folder / "raqib.db"
        print(
            f"  setup: {stored:,} matching reports stored through ingest.store.save_article in {build_seconds:.1f} s "
            f"({', '.join(f'{k} {v}' for k, v in sorted(events.items()))})"
        )
        runs: list[float] = []
        bares: list[float] = []
        reused: list[float] = []
        replay: list[tuple[bytes, dict[str, str]]] = []
        for attempt in range(repeat):
            with database_copy(source, folder, f"run{attempt}.db") as copy:
                burst = deliver_burst(config_path, copy, hook, None)
            ids = Counter(a.webhook_id for a in burst.arrivals)
            repeats = sum(count - 1 for count in ids.values())
            verified = sum(a.verified for a in burst.arrivals)
            sent = burst.statuses.get("sent", 0)
            ok = len(ids) == alerts and repeats == 0 and sent == alerts and verified == alerts
            runs.append(burst.seconds)
            print(
                f"  deliver_due run {attempt + 1}: {burst.seconds:.2f} s, {alerts / burst.seconds:.0f} alerts/s; "
                f"received {len(burst.arrivals):,} requests, {len(ids):,} distinct webhook-ids, {repeats} repeated, "
                f"{verified:,} verified; outbox {dict(burst.statuses)}; [{burst.report}] -> {'OK' if ok else 'FAILED'}"
            )
            if not replay:
                replay = replayable(sorted(burst.arrivals, key=lambda a: a.at))
            bares.append(bare_posts(hook.url, replay))
            reused.append(reused_client_posts(hook.url, replay))
            hook.take()
            print(
                f"  baseline run {attempt + 1}: {len(replay):,} bare httpx.post {bares[-1]:.2f} s "
                f"({len(replay) / bares[-1]:.0f}/s); one reused httpx.Client {reused[-1]:.2f} s "
                f"({len(replay) / reused[-1]:.0f}/s)"
            )
        best, bare_best, reused_best = min(runs), min(bares), min(reused)
        print(
            f"  best of {repeat}: deliver_due {best:.2f} s ({alerts / best:.0f} alerts/s, "
            f"{best / alerts * 1000:.2f} ms per alert); bare httpx.post {bare_best:.2f} s "
            f"({bare_best / alerts * 1000:.2f} ms each); reused client {reused_best:.2f} s "
            f"({reused_best / alerts * 1000:.2f} ms each)"
        )
        print(
            f"  ratio deliver_due / bare httpx.post: {best / bare_best:.2f}x; "
            f"deliver_due / reused client: {best / reused_best:.2f}x; "
            f"bare httpx.post / reused client: {bare_best / reused_best:.2f}x"
        )
        if profile:
            profiler = cProfile.Profile()
            with database_copy(source, folder, "profile.db") as copy:
                burst = deliver_burst(config_path, copy, hook, profiler)
            print(
                f"\n  cProfile of one more deliver_due ({burst.seconds:.2f} s under the profiler), top 10 cumulative:"
            )
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(10)
            for line in out.getvalue().splitlines():
                if line.strip() and not line.startswith(("   Ordered by", "         ")):
                    print("  " + line)
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(10)
            print("\n  top 10 by own time:")
            for line in out.getvalue().splitlines():
                if line.strip() and not line.startswith(("   Ordered by", "         ")):
                    print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="crawls for section 1 (default 5)")
    parser.add_argument("--alerts", type=int, default=1000, help="alerts in the burst (default 1000)")
    parser.add_argument("--repeat", type=int, default=2, help="timed deliveries of the burst (default 2)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    parser.add_argument("--sections", default="1,2", help="which sections to run (default 1,2)")
    args = parser.parse_args()
    sections = {part.strip() for part in args.sections.split(",")}
    print(f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, {os.cpu_count()} CPUs")
    query = default_watch_query()
    started = time.perf_counter()
    if "1" in sections:
        section_latency(args.runs, query)
    if "2" in sections:
        section_burst(args.alerts, args.repeat, not args.no_profile, query)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
