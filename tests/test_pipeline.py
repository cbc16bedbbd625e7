"""The staged pipeline through the real ``raqib crawl`` (a child process, loopback feeds): CPU work
bounded per feed, readers never blocked by a crawl's writes, event time and ``--as-of``."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from support.crawl import crawl_json, raqib, serve_bytes, write_config
from support.tasks import allocate, sleep
from support.web import running_web

from config.loader import load_config
from ingest.workers import OverBudget, TaskFailed, WorkerPool
from raqib.feedserver import FeedRequestHandler, FeedServer
from storage.db import Database
from storage.models import Article, OutboxEntry, Story

MATCH_EN = "North Korean troops deployed to Kursk, Russia, says Seoul"


def rss(items: list[tuple[str, str, str | None]], *, author: str = "") -> bytes:
    """An RSS feed of (guid, title, pubDate) items; ``author`` goes into every item."""
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>']
    for guid, title, published in items:
        date = f"<pubDate>{published}</pubDate>" if published else ""
        who = f"<author>{author}</author>" if author else ""
        parts.append(
            f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>{date}{who}'
            f"<description>{title}.</description></item>"
        )
    return ("".join(parts) + "</channel></rss>").encode("utf-8")


def slow_to_parse(items: int = 500) -> bytes:
    """The feed parser's last-resort date reading (dateutil) takes ~20 ms on each of these dates
    (each one different, so none is remembered): ~10 s for the feed on this machine, under the
    tests' 200 kB size cap."""
    return rss([(f"slow-{n}", f"Slow item {n}", "1 " * 100 + str(n)) for n in range(items)])


def stored(folder: Path) -> Database:
    return Database(f"sqlite:///{folder / 'raqib.db'}")


def test_a_feed_over_its_parse_budget_fails_alone_and_on_time(tmp_path: Path, feed_server: FeedServer) -> None:
    def hang(handler: FeedRequestHandler) -> None:
        time.sleep(15)  # far beyond the 3 s network timeout; bounded so the server thread ends

    feed_server.routes["/slow.xml"] = serve_bytes(slow_to_parse())
    feed_server.routes["/hang.xml"] = hang
    normal = [{"name": f"Normal {n}", "url": feed_server.url(f"/n{n}.xml"), "language": "en"} for n in range(20)]
    for n in range(20):
        feed_server.routes[f"/n{n}.xml"] = serve_bytes(
            rss([(f"n{n}-{k}", f"Normal {n} item {k}", None) for k in range(5)])
        )
    feeds = [
        {"name": "Slow", "url": feed_server.url("/slow.xml")},
        {"name": "Hangs", "url": feed_server.url("/hang.xml")},
        *normal,
    ]
    config = write_config(tmp_path, feeds, timeout="3s", parse_budget="2s")
    started = time.monotonic()
    result = crawl_json(config)
    took = time.monotonic() - started
    assert result.returncode == 1
    slow = result.feed("Slow")
    assert slow["status"] == "error" and slow["error"] == "parse took more than 2 s" and slow["new"] == 0
    hung = result.feed("Hangs")
    # Its timeout fired on time, not after someone's parsing: 3 s from its start, give or take.
    assert hung["status"] == "error" and "timed out" in hung["error"] and hung["seconds"] < 5
    assert all(result.feed(f"Normal {n}")["new"] == 5 for n in range(20))
    # The budget (2 s) and the timeout (3 s) run side by side: the crawl is not their sum plus the
    # slow parsing (which alone is ~10 s here).
    assert took < 15, took
    with stored(tmp_path).read_session() as session:
        assert session.scalar(select(Article.id).where(Article.guid == "slow-0")) is None


def test_pages_answer_while_a_crawl_stores_three_thousand_items(tmp_path: Path, feed_server: FeedServer) -> None:
    items = [
        (f"big-{n}", f"{MATCH_EN} ({n})" if n % 10 == 0 else f"Market report number {n}", None) for n in range(3000)
    ]
    feed_server.routes["/big.xml"] = serve_bytes(rss(items))
    big = [{"name": "Big", "url": feed_server.url("/big.xml"), "language": "en"}]
    config_path = write_config(tmp_path, big, max_bytes=2_000_000)
    database = stored(tmp_path)
    database.upgrade()
    config = load_config(config_path, data_dir=tmp_path / "data")
    statuses: list[int] = []
    done = threading.Event()
    with running_web(config, database) as base:
        crawl = subprocess.Popen(
            [sys.executable, "-m", "raqib", "--config", str(config_path), "crawl", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"RAQIB_DATA": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        )

        def poll() -> None:
            with httpx.Client(timeout=30) as client:
                while not done.is_set():
                    statuses.append(client.get(f"{base}/stories").status_code)
                    time.sleep(0.02)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            out, err = crawl.communicate(timeout=120)
        finally:
            done.set()
            poller.join()
    assert crawl.returncode == 0, err
    assert b'"new": 3000' in out
    assert len(statuses) >= 5 and set(statuses) == {200}, statuses
    with database.read_session() as session:
        assert session.scalar(select(Story.id).limit(1)) is not None


def test_event_time_history_and_as_of(tmp_path: Path, feed_server: FeedServer) -> None:
    """A publication date in 2099 is not an event time; a report already old when first seen is
    history (placed, no alert); the same crawl ``--as-of`` the day after is news and alerts."""
    items = [
        ("future", f"{MATCH_EN} in 2099", "Fri, 01 Jan 2099 00:00:00 GMT"),
        ("old", "North Korean drones used in Kursk, Russia, by troops", "Tue, 04 Feb 2025 10:00:00 GMT"),
    ]
    feed_server.routes["/dated.xml"] = serve_bytes(rss(items))
    hook = '\n[[alerts]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:9/hook"\nsecret_env = "X_SECRET"\n'
    feeds = [{"name": "Dated", "url": feed_server.url("/dated.xml"), "language": "en"}]
    (tmp_path / "now").mkdir()
    (tmp_path / "replay").mkdir()
    live = write_config(tmp_path / "now", feeds, history_after="2d", extra=hook)
    first = crawl_json(live, "--due", env={"X_SECRET": "s"})
    assert first.returncode == 0, first.stderr
    with stored(tmp_path / "now").read_session() as session:
        rows = {a.guid: a for a in session.scalars(select(Article))}
        assert rows["future"].event_at == rows["future"].fetched_at  # 2099 is not believed
        assert rows["old"].event_at == datetime(2025, 2, 4, 10, 0, tzinfo=UTC)
        outbox = list(session.scalars(select(OutboxEntry)))
        assert [row.payload["article"]["title"] for row in outbox] == [f"{MATCH_EN} in 2099"]  # the old one: history

    replay = write_config(tmp_path / "replay", feeds, history_after="2d", extra=hook)
    again = crawl_json(replay, "--due", "--as-of", "2025-02-04T12:00:00Z", env={"X_SECRET": "s"})
    assert again.returncode == 0, again.stderr
    with stored(tmp_path / "replay").read_session() as session:
        rows = {a.guid: a for a in session.scalars(select(Article))}
        assert abs((rows["old"].fetched_at - datetime(2025, 2, 4, 12, 0, tzinfo=UTC)).total_seconds()) < 60
        titles = sorted(row.payload["article"]["title"] for row in session.scalars(select(OutboxEntry)))
        # As of that day, the February report is news and alerts (what the "2099" one, decided
        # after it, adds to its story is the story desk's call).
        assert items[1][1] in titles
        story = session.scalars(select(Story).order_by(Story.first_seen)).first()
        assert story is not None and story.first_seen == datetime(2025, 2, 4, 10, 0, tzinfo=UTC)


def test_raqib_crawl_rejects_an_unreadable_as_of(tmp_path: Path, feed_server: FeedServer) -> None:
    config = write_config(tmp_path, [{"name": "E", "url": feed_server.url("rss_en.xml")}])
    result = raqib(config, "crawl", "--as-of", "yesterday-ish")
    assert result.returncode == 2 and "ISO 8601" in result.stderr


def test_a_worker_over_its_memory_cap_or_time_budget_fails_that_task_and_the_next_runs() -> None:
    with WorkerPool(1, memory_cap=128 * 2**20) as pool:
        with pytest.raises(TaskFailed, match="^extract failed: ran out of memory"):
            pool.submit("extract", 20, allocate, 1024).result()
        assert pool.submit("extract", 20, allocate, 16).result() == 16 * 2**20
        started = time.monotonic()
        with pytest.raises(OverBudget, match="^parse took more than 0.5 s$"):
            pool.submit("parse", 0.5, sleep, 30).result()
        assert time.monotonic() - started < 5
        assert pool.submit("parse", 20, sleep, 0.01).result() == 0.01


def test_the_writer_holds_the_write_lock_only_while_it_writes(tmp_path: Path) -> None:
    # The crawl's writer gathers the stores that follow one another before its transaction: while
    # it waits for the next one, another writer (the decide process) gets the database at once.
    from ingest.writer import Writer
    from storage import feed_repo

    url = f"sqlite:///{tmp_path / 'raqib.db'}"
    crawl, decide = Database(url), Database(url)
    crawl.upgrade()
    feeds = [{"name": "أخبار", "url": "http://example.org/feed.xml", "language": "ar"}]
    config = load_config(write_config(tmp_path, feeds), data_dir=tmp_path)
    # A linger far longer than the other writer's own work, even on a busy machine.
    writer = Writer(crawl, linger=3.0, gather=10.0, max_seconds=10.0)
    try:
        first = writer.submit(lambda session: feed_repo.sync_feeds(session, config.feeds))
        time.sleep(0.2)  # the writer waits for a following task
        started = time.monotonic()
        with decide.session() as session:
            feed_repo.sync_feeds(session, config.feeds)
        took = time.monotonic() - started
        second = writer.submit(lambda session: feed_repo.feed_ids(session, ["أخبار"]))
        first.result(timeout=10)
        assert second.result(timeout=10) == {"أخبار": 1}
    finally:
        writer.close()
        crawl.dispose()
        decide.dispose()
    assert took < 1.5, f"the other writer waited {took:.2f} s for the crawl's writer"
