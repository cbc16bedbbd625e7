"""Crawl tests run the real ``raqib`` command in a child process against a loopback feed server.

A Twisted reactor cannot restart, so every crawl is its own process, exactly as in production."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from raqib.feedserver import FeedRequestHandler, FeedServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
WATCH_QUERY = (
    '("North Korea*" OR Pyongyang OR DPRK OR "كوريا الشمالية" OR "الكورية الشمالية" OR "بيونغ يانغ") '
    "AND (Kursk OR Russia* OR Ukrain* OR كورسك OR روسيا OR أوكرانيا) "
    "AND (troop* OR soldier* OR forces OR drone* OR قوات OR جنود OR مسيرات)"
)


@dataclass
class Crawl:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def feed(self, name: str) -> dict[str, Any]:
        for report in self.json()["feeds"]:
            if report["feed"] == name:
                return report
        raise AssertionError(f"no report for feed {name!r} in {self.stdout}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_config(
    folder: Path,
    feeds: list[dict[str, Any]],
    *,
    allow_private: bool = True,
    timeout: str = "3s",
    max_bytes: int = 200_000,
    query: str = WATCH_QUERY,
    extra: str = "",
    history_after: str = "3650d",
    parse_budget: str = "20s",
) -> Path:
    lines = [
        f"database = {toml_string('sqlite:///' + str(folder / 'raqib.db'))}",
        "",
        "[schedule]",
        'interval = "1m"',
        "",
        "[network]",
        f"allow_private = {'true' if allow_private else 'false'}",
        f'timeout = "{timeout}"',
        f"max_bytes = {max_bytes}",
        "",
        # The fixture feeds are dated December 2024: news to these tests unless a test says not.
        "[pipeline]",
        f'history_after = "{history_after}"',
        f'parse_budget = "{parse_budget}"',
        "",
        "[web]",
        f"port = {free_port()}",  # `raqib run` serves the web page: never a fixed, shared port
        "",
        "[[watches]]",
        'name = "nk-troops-kursk"',
        f"query = {toml_string(query)}",
    ]
    for feed in feeds:
        lines += ["", "[[feeds]]"]
        for key, value in feed.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            else:
                lines.append(f"{key} = {toml_string(str(value))}")
    path = folder / "raqib.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def raqib(config: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> Crawl:
    env = {**os.environ, "RAQIB_DATA": str(config.parent / "data"), "PYTHONIOENCODING": "utf-8", **(env or {})}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "raqib", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    return Crawl(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def crawl_json(config: Path, *args: str, env: dict[str, str] | None = None) -> Crawl:
    return raqib(config, "crawl", "--json", *args, env=env)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer(FIXTURES) as server:
        yield server


def serve_bytes(
    body: bytes,
    content_type: str = "application/rss+xml",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Any:
    """A route answering with fixed bytes and no validators (no ETag, no Last-Modified)."""

    def route(handler: FeedRequestHandler) -> None:
        handler.send_body(status, body, content_type, headers)

    return route


def descendants(pid: int) -> list[int]:
    """Every process ``pid`` started and theirs, as they are now (Linux /proc)."""
    found, waiting = [], [pid]
    while waiting:
        parent = waiting.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as children:
                    pids = [int(child) for child in children.read().split()]
                found += pids
                waiting += pids
        except OSError:
            continue
    return found


def named(pid: int) -> str:
    """A process's name as ``ps`` shows it ("" once it is gone)."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as comm:
            return comm.read().strip()
    except OSError:
        return ""
