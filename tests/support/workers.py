"""Distributed-mode helpers: generated loopback feeds, configs on PostgreSQL, and real
``raqib worker`` processes (started, stopped, killed). Used by tests/test_distributed.py and
bench/bench_workers.py.

The feeds are generated so that every count is known in advance: feed ``i`` lists ``items``
entries with their own guid; a share of them report one of a few shared events (the same event
in several feeds, in Arabic and English), which must end as one story each however the feeds
are spread over workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from raqib.feedserver import FeedRequestHandler, FeedServer
from support.pg import SERVER_SETTINGS, PgServer, _server_env, _server_user, find_pg_bindir

# Shared events: each one reported, in its own words, by several feeds (the same report copied:
# one story, the later copies duplicates). They match the default test watch.
EVENTS = [
    (
        "en",
        "North Korean troops deployed to Kursk",
        "Thousands of North Korean soldiers arrived in Russia's Kursk region to fight Ukrainian forces, "
        "officials in Kyiv said on Monday, adding that the troops were moved by train from the far east.",
    ),
    (
        "ar",
        "قوات كورية شمالية تصل إلى كورسك",
        "قالت الاستخبارات الأوكرانية إن آلاف الجنود من كوريا الشمالية وصلوا إلى منطقة كورسك الروسية "
        "للقتال إلى جانب القوات الروسية، وإنهم نقلوا بالقطار من الشرق الأقصى.",
    ),
    (
        "en",
        "Pyongyang sends attack drones to Russia",
        "North Korea has delivered attack drones to Russia for use against Ukraine, according to a report "
        "by Seoul's intelligence service, which said the shipment crossed the border last week.",
    ),
]
FILLER = [
    "Oil prices climb in Asian trading as refiners buy ahead of winter",
    "Heavy snow closes alpine passes after an overnight storm",
    "ارتفاع أسعار الذهب مع ترقب قرار الفائدة في الأسواق العالمية",
    "افتتاح معرض الكتاب الدولي بمشاركة واسعة من دور النشر",
]


def feed_body(index: int, items: int, *, events_every: int = 4) -> bytes:
    """Feed ``index``: ``items`` entries; when ``index % events_every == 0`` its first entries
    carry the shared events (each feed its own guid and link, the same text)."""
    arabic = index % 2 == 1
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0"><channel><title>Feed {index}</title><link>http://example.org/{index}</link>',
        f"<language>{'ar' if arabic else 'en'}</language><description>loopback</description>",
    ]
    shared = EVENTS if index % events_every == 0 else []
    for item in range(items):
        if item < len(shared):
            _, title, text = shared[item]
        else:
            title = f"{FILLER[(index + item) % len(FILLER)]} ({index}-{item})"
            text = f"{title}. " + " ".join(FILLER)
        parts.append(
            f"<item><title>{title}</title><link>http://example.org/{index}/{item}</link>"
            f'<guid isPermaLink="false">feed-{index}-item-{item}</guid>'
            f"<pubDate>Tue, 04 Feb 2025 {10 + item // 60:02d}:{item % 60:02d}:00 GMT</pubDate>"
            f"<description>{text}</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


@dataclass
class GeneratedFeeds:
    """Routes ``/feed/<i>.xml`` on a FeedServer; each answer waits ``delay`` seconds first and
    its time is logged (the fetch times give the due-to-fetched lag)."""

    server: FeedServer
    count: int
    items: int
    delay: float = 0.0
    events_every: int = 4
    fetched: dict[int, list[float]] = field(default_factory=dict)  # index -> time.time() of each GET
    hold: Callable[[int], None] | None = None  # called before answering (a test can block here)

    def install(self) -> None:
        for index in range(self.count):
            self.server.routes[f"/feed/{index}.xml"] = self._route(
                index, feed_body(index, self.items, events_every=self.events_every)
            )

    def _route(self, index: int, body: bytes) -> Callable[[FeedRequestHandler], None]:
        def route(handler: FeedRequestHandler) -> None:
            self.fetched.setdefault(index, []).append(time.time())
            if self.hold is not None:
                self.hold(index)
            if self.delay:
                time.sleep(self.delay)
            handler.send_body(200, body, "application/rss+xml")

        return route

    def specs(self) -> list[dict[str, Any]]:
        return [
            {"name": f"feed-{index:05d}", "url": self.server.url(f"feed/{index}.xml"), "language": "auto"}
            for index in range(self.count)
        ]

    @property
    def matching_events(self) -> int:
        return len(EVENTS)


def use_database(config: Path, database_url: str, *, interval: str | None = None) -> Path:
    """Point a config written by ``write_config`` at another database (and another interval)."""
    lines = config.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("database = ")
    lines[0] = f'database = "{database_url}"'
    if interval is not None:
        lines[lines.index('interval = "1m"')] = f'interval = "{interval}"'
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class Workers:
    """``raqib worker`` processes on one config; each logs to its own file."""

    def __init__(
        self,
        config: Path,
        *,
        heartbeat: float = 1.0,
        concurrency: int = 2,
        batch: int = 50,
        env: dict[str, str] | None = None,
        name: str = "worker",
    ) -> None:
        self.config = config
        self.env = env or {}
        self.name = name
        self.args = ["--heartbeat", str(heartbeat), "--concurrency", str(concurrency), "--batch", str(batch)]
        self.running: list[WorkerProcess] = []

    def start(self, count: int = 1, *extra: str) -> list[WorkerProcess]:
        started = []
        for _ in range(count):
            log = self.config.parent / f"{self.name}-{len(self.running)}.log"
            handle = log.open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "raqib", "--config", str(self.config), "worker", *self.args, *extra],
                stdout=handle,
                stderr=subprocess.STDOUT,
                env={
                    **os.environ,
                    "RAQIB_DATA": str(self.config.parent / "data"),
                    "PYTHONIOENCODING": "utf-8",
                    **self.env,
                },
            )
            handle.close()
            worker = WorkerProcess(process, log)
            self.running.append(worker)
            started.append(worker)
        return started

    def kill(self, worker: WorkerProcess) -> None:
        """``kill -9``: no goodbye, no cleanup; its crawl child dies with it."""
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=30)

    def stop(self, timeout: float = 60) -> None:
        for worker in self.running:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.running:
            try:
                worker.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.output()[-4000:]}" for w in self.running)


@contextmanager
def running_workers(config: Path, count: int, **options: Any) -> Iterator[Workers]:
    workers = Workers(config, **options)
    workers.start(count)
    try:
        yield workers
    finally:
        workers.stop()


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def restart_pg(server: PgServer, down_for: float = 2.0) -> None:
    """Stop the PostgreSQL server (fast shutdown: connections are cut) and start it again on the
    same data and port, as an operator's restart does."""
    server.process.send_signal(signal.SIGINT)
    server.process.wait(timeout=30)
    time.sleep(down_for)
    command = [str(find_pg_bindir() / "postgres"), "-D", str(server.root / "data"), "-p", str(server.port)]  # type: ignore[operator]
    settings = ["listen_addresses=127.0.0.1", f"unix_socket_directories={server.root}", *SERVER_SETTINGS]
    command += [arg for setting in settings for arg in ("-c", setting)]
    with open(server.root / "postgres.log", "ab") as log:
        server.process = subprocess.Popen(
            command, user=_server_user(), cwd=server.root, env=_server_env(), stdout=log, stderr=subprocess.STDOUT
        )
    wait_for(lambda: _accepting(server), 30)


def _accepting(server: PgServer) -> bool:
    try:
        psycopg.connect(server.admin_dsn(), connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False
