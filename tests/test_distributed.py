"""Distributed mode on the throwaway PostgreSQL: real ``raqib worker`` processes over loopback
feeds, a loopback webhook receiver, and ``kill -9`` where it hurts."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from support.crawl import raqib, write_config
from support.pg import MISSING_BINARIES, PgServer, find_pg_bindir, start_pg_server, stop_pg_server
from support.receiver import Receiver, Reply
from support.workers import GeneratedFeeds, Workers, restart_pg, running_workers, use_database, wait_for
from test_alerts import ENV, SECRET, webhook_alert
from test_watch_lock import FeedSpec

from raqib.distributed.batch_crawl import crawl_database
from raqib.distributed.crawl_child import PARSE_NICENESS
from raqib.feedserver import FeedServer
from storage import feed_repo
from storage.crawl_locks import FeedLocks
from storage.db import Database

# Several workers and their crawl processes share a busy machine: a generous fetch timeout keeps a
# starved crawl from timing out on loopback feeds (the timeout also sets the delivery lease).
TIMEOUT = "8s"
MIGRATION = Path(__file__).resolve().parent.parent / "storage/migrations/versions/0006_distributed_procrastinate.py"


def _dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_db_upgrade_creates_raqibs_tables_and_the_job_queue(
    tmp_path: Path, fresh_pg_url: str, pg_server: PgServer
) -> None:
    config = use_database(write_config(tmp_path, []), fresh_pg_url)
    done = raqib(config, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "schema at revision" in done.stdout
    with psycopg.connect(pg_server.admin_dsn(_dbname(fresh_pg_url))) as connection:
        tables = {
            (schema, name)
            for schema, name in connection.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('public', 'procrastinate')"
            )
        }
    assert ("public", "articles") in tables and ("public", "outbox") in tables
    assert ("procrastinate", "procrastinate_jobs") in tables
    assert ("procrastinate", "procrastinate_workers") in tables
    assert not any(schema == "public" and name.startswith("procrastinate") for schema, name in tables)
    again = raqib(config, "db", "upgrade")
    assert again.returncode == 0, again.stderr


def test_db_upgrade_on_sqlite_makes_no_job_queue(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    done = raqib(config, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "raqib.db").exists()


def test_worker_and_workers_on_sqlite_say_they_need_postgresql(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    for command in ("worker", "workers"):
        done = raqib(config, command, timeout=60)
        assert done.returncode == 2
        assert "distributed mode needs PostgreSQL" in done.stderr
        assert "sqlite" in done.stderr


def test_the_migration_applies_the_installed_procrastinates_schema() -> None:
    """A procrastinate release with a newer migration needs an Alembic revision first (see 0006)."""
    newest = sorted(p.name for p in Path(SchemaManager.get_migrations_path()).glob("*.sql"))[-1]
    assert f'PROCRASTINATE_MIGRATION = "{newest}"' in MIGRATION.read_text(encoding="utf-8")


def test_workers_on_an_empty_queue(tmp_path: Path, fresh_pg_url: str) -> None:
    config = use_database(write_config(tmp_path, [{"name": "Wire", "url": "http://127.0.0.1:9/rss"}]), fresh_pg_url)
    done = raqib(config, "workers", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["workers"] == [] and status["tasks"] == [] and status["stalled"] == []
    assert status["oldest_due"]["feed"] == "Wire" and status["oldest_due"]["due_at"] is None
    text = raqib(config, "workers")
    assert "none: start one with `raqib worker`" in text.stdout
    assert "feeds: 1 due; the longest due, Wire" in text.stdout


def test_feed_locks_keep_two_crawl_processes_off_the_same_feeds(fresh_pg_url: str) -> None:
    """What each crawl process takes of a batch: the named feeds no other process holds, in the
    batch's order; let go, they are free for the next one."""
    database = Database(fresh_pg_url)
    database.upgrade()
    with database.session() as session:
        feed_repo.sync_feeds(
            session,
            [
                FeedSpec(name, f"https://{index}.example/rss", "ar")
                for index, name in enumerate(("الجزيرة", "BBC عربي", "Reuters"))
            ],
        )
    first, second = FeedLocks(database), FeedLocks(database)
    try:
        assert first.acquire(["BBC عربي", "الجزيرة"]) == ["BBC عربي", "الجزيرة"]
        assert second.acquire(["Reuters", "الجزيرة", "not configured", "BBC عربي"]) == ["Reuters"]
        first.release()
        third = FeedLocks(database)
        assert third.acquire(["الجزيرة", "Reuters", "BBC عربي"]) == ["الجزيرة", "BBC عربي"]
        third.release()
    finally:
        second.release()
    again = FeedLocks(database)
    assert again.acquire(["Reuters"]) == ["Reuters"]
    again.release()
    database.dispose()


def test_the_crawl_processs_commits_do_not_wait_for_the_disk_and_keep_the_urls_options(fresh_pg_url: str) -> None:
    """Its batch is acknowledged by the worker's own (waiting) commit, which makes these durable
    first (batch_crawl.ASYNC_COMMIT); the options a user put in the URL are kept beside it."""
    database = crawl_database(f"{fresh_pg_url}?options=-c%20statement_timeout%3D1234")
    with database.session() as session:
        query = "SELECT name, setting || ' ' || source FROM pg_settings WHERE name IN (:commit, :timeout)"
        rows = {
            str(name): str(value)
            for name, value in session.execute(
                text(query), {"commit": "synchronous_commit", "timeout": "statement_timeout"}
            )
        }
    assert rows == {"synchronous_commit": "off client", "statement_timeout": "1234 client"}
    database.dispose()
    plain = Database(fresh_pg_url)
    with plain.session() as session:
        source = session.scalar(text("SELECT source FROM pg_settings WHERE name = 'synchronous_commit'"))
    assert source != "client", "only the crawl process commits this way"
    plain.dispose()


# -- a full cycle on three workers ------------------------------------------------------------


def counts(pg_server: PgServer, url: str) -> dict[str, int]:
    queries = {
        "articles": "SELECT count(*) FROM articles",
        "identities": "SELECT count(DISTINCT identity) FROM articles",
        "matches": "SELECT count(*) FROM watch_matches",
        "stories": "SELECT count(*) FROM stories",
        "story_titles": "SELECT count(DISTINCT (watch, title)) FROM stories",
        "new_story": "SELECT count(*) FROM watch_matches WHERE event = 'new_story'",
        "outbox": "SELECT count(*) FROM outbox",
        "outbox_events": "SELECT count(DISTINCT event_id) FROM outbox",
        "sent": "SELECT count(*) FROM outbox WHERE status = 'sent'",
        "fetches": "SELECT count(*) FROM fetch_log",
        "fetched_feeds": "SELECT count(DISTINCT feed_id) FROM fetch_log",
        "failed_jobs": "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status = 'failed'",
        "undecided": "SELECT count(*) FROM undecided_matches",
    }
    with psycopg.connect(pg_server.admin_dsn(_dbname(url))) as connection:
        return {name: int(connection.execute(query).fetchone()[0]) for name, query in queries.items()}  # type: ignore[index]


@pytest.fixture
def hook(receiver: Receiver) -> Iterator[Receiver]:
    receiver.secret = SECRET
    yield receiver


def alerting_config(folder: Path, feeds: GeneratedFeeds, database_url: str, hook: Receiver) -> Path:
    """A config on ``database_url`` (upgraded) with the feeds and a signed webhook to ``hook``."""
    config = use_database(
        write_config(folder, feeds.specs(), extra=webhook_alert(hook.url), timeout=TIMEOUT),
        database_url,
        interval="1h",
    )
    assert raqib(config, "db", "upgrade").returncode == 0
    return config


def embedded_reference(folder: Path, feeds: GeneratedFeeds) -> dict[str, int]:
    """The same feeds through `raqib crawl` on SQLite, one process: what the workers must match."""
    folder.mkdir()
    config = write_config(folder, feeds.specs(), timeout=TIMEOUT)
    crawled = raqib(config, "crawl", "--json", timeout=180)
    assert crawled.returncode == 0, crawled.stderr
    connection = sqlite3.connect(folder / "raqib.db")
    try:
        return {
            "articles": connection.execute("SELECT count(*) FROM articles").fetchone()[0],
            "matches": connection.execute("SELECT count(*) FROM watch_matches").fetchone()[0],
            "stories": connection.execute("SELECT count(*) FROM stories").fetchone()[0],
        }
    finally:
        connection.close()
        feeds.fetched.clear()


def test_three_workers_crawl_every_feed_once_store_once_and_alert_once(
    tmp_path: Path, fresh_pg_url: str, pg_server: PgServer, feed_server: FeedServer, hook: Receiver
) -> None:
    feeds = GeneratedFeeds(feed_server, count=24, items=10)
    feeds.install()
    reference = embedded_reference(tmp_path / "embedded", feeds)
    assert reference["articles"] == 24 * 10 and reference["stories"] >= 2

    folder = tmp_path / "distributed"
    folder.mkdir()
    config = alerting_config(folder, feeds, fresh_pg_url, hook)
    with running_workers(config, 3, batch=8, env=ENV) as workers:
        finished = wait_for(lambda: _cycle_done(pg_server, fresh_pg_url, 24), 120, interval=0.5)
        status = raqib(config, "workers", "--json")
        seen_workers = len(json.loads(status.stdout)["workers"]) if status.returncode == 0 else 0
    assert finished, workers.logs()
    final = counts(pg_server, fresh_pg_url)

    assert all(len(times) == 1 for times in feeds.fetched.values()) and len(feeds.fetched) == 24, "each feed once"
    assert final["fetches"] == 24
    assert final["articles"] == final["identities"] == reference["articles"], "every article stored once"
    assert final["matches"] == reference["matches"]
    assert final["stories"] == final["story_titles"] == reference["stories"], "every story once"
    assert final["new_story"] == final["stories"]
    received = [request.headers["webhook-id"] for request in hook.requests]
    assert len(received) == len(set(received)) == final["outbox_events"] == final["stories"], "each alert once"
    assert all(request.verified for request in hook.requests)
    assert final["failed_jobs"] == 0, workers.logs()
    assert seen_workers == 3, status.stdout + status.stderr

    # The reading commands work unchanged on the distributed database.
    listed = json.loads(raqib(config, "feeds", "list", "--json").stdout)
    assert len(listed) == 24 and all(row["last_status"] == "ok" for row in listed)
    assert len(json.loads(raqib(config, "articles", "--all", "--json", "--limit", "1000").stdout)) == 240
    alerts = json.loads(raqib(config, "alerts", "list", "--json").stdout)
    assert len(alerts) == final["stories"] and {row["status"] for row in alerts} == {"sent"}


def _cycle_done(pg_server: PgServer, url: str, feeds: int) -> bool:
    now = counts(pg_server, url)
    return now["fetched_feeds"] == feeds and now["outbox"] > 0 and now["sent"] == now["outbox"]


# -- kill -9 mid-crawl and mid-delivery ---------------------------------------------------------


def test_kill_9_mid_crawl_and_mid_delivery_then_the_rest_finish_with_nothing_doubled(
    tmp_path: Path, fresh_pg_url: str, pg_server: PgServer, feed_server: FeedServer, hook: Receiver
) -> None:
    feeds = GeneratedFeeds(feed_server, count=12, items=8, delay=1.5)  # slow: a crawl to kill
    feeds.install()
    config = alerting_config(tmp_path, feeds, fresh_pg_url, hook)
    workers = Workers(config, batch=6, env=ENV)
    try:
        # 1. The only worker takes the crawl jobs; it dies while its crawl child is fetching.
        (first,) = workers.start(1)
        assert wait_for(lambda: len(feeds.fetched) >= 1, 60), workers.logs()
        workers.kill(first)
        feeds.delay = 0.0
        assert wait_for(lambda: _stalled(config) >= 1, 20), "its running job shows as stalled"
        assert counts(pg_server, fresh_pg_url)["articles"] == 0, "nothing half-stored"

        # 2. Another worker retries the stalled job (procrastinate's own recovery) and crawls
        #    and decides everything; a delivery-only worker starts sending, slowly, and dies mid-send.
        hook.default = Reply(delay=3.0)
        workers.start(1, "--queues", "schedule,crawl,decide")
        (sender,) = workers.start(1, "--queues", "deliver")
        assert wait_for(lambda: len(hook.requests) >= 1, 90), workers.logs()
        workers.kill(sender)
        in_flight = {request.headers["webhook-id"] for request in hook.requests}

        # 3. A new delivery worker sends what is left once the dead one's lease has run out.
        hook.default = Reply()
        workers.start(1, "--queues", "deliver")
        assert wait_for(lambda: _cycle_done(pg_server, fresh_pg_url, 12), 90, interval=0.5), workers.logs()
    finally:
        workers.stop()

    final = counts(pg_server, fresh_pg_url)
    assert final["articles"] == final["identities"] == 12 * 8, "every article stored once"
    assert final["stories"] == final["story_titles"] == final["new_story"], "every story once"
    assert final["fetched_feeds"] == 12
    received = [request.headers["webhook-id"] for request in hook.requests]
    repeated = {event for event in received if received.count(event) > 1}
    assert set(received) == {row for row in _outbox_events(pg_server, fresh_pg_url)}, "every alert delivered"
    assert repeated <= in_flight, "only the message in flight when its sender died came twice, same id"
    assert all(request.verified for request in hook.requests)


def _stalled(config: Path) -> int:
    done = raqib(config, "workers", "--heartbeat", "1", "--json")
    return len(json.loads(done.stdout)["stalled"]) if done.returncode == 0 else 0


def _outbox_events(pg_server: PgServer, url: str) -> set[str]:
    with psycopg.connect(pg_server.admin_dsn(_dbname(url))) as connection:
        return {row[0] for row in connection.execute("SELECT event_id FROM outbox")}


# -- the crawl processes: kept between jobs, replaced when killed or spent --------------------


def _crawl_processes(worker_pid: int) -> list[int]:
    """The worker's crawl processes now (its children running ``raqib.distributed.crawl_child``)."""
    try:
        children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for pid in children:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"raqib.distributed.crawl_child" in command:
            found.append(int(pid))
    return found


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _nice(pid: int) -> int:
    """A process's nice value (field 19 of /proc/PID/stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _batches_per_process(log: str) -> dict[int, list[int]]:
    """From the worker's log: each crawl process's pid and the numbers of the batches it ran."""
    served: dict[int, list[int]] = {}
    for match in re.finditer(r"\(crawl process (\d+), its batch (\d+)\)", log):
        served.setdefault(int(match[1]), []).append(int(match[2]))
    return served


def test_a_crawling_worker_starts_its_crawl_process_before_any_crawl_job(tmp_path: Path, fresh_pg_url: str) -> None:
    """Its start (imports, Scrapy, the parse process) is not paid in the first job's time; a
    worker that does not crawl starts none, and none outlives its worker."""
    config = use_database(write_config(tmp_path, [{"name": "Wire", "url": "http://127.0.0.1:9/rss"}]), fresh_pg_url)
    assert raqib(config, "db", "upgrade").returncode == 0
    workers = Workers(config, concurrency=1)
    try:
        crawling, other = workers.start(1, "--queues", "crawl") + workers.start(1, "--queues", "decide,deliver")
        # No schedule runs here, so no crawl job is ever queued.
        assert wait_for(lambda: len(_crawl_processes(crawling.process.pid)) == 1, 60, 0.2), workers.logs()
        (prestarted,) = _crawl_processes(crawling.process.pid)
        assert wait_for(lambda: "raqib worker" in other.output(), 60, 0.2), workers.logs()
        assert wait_for(lambda: _children(prestarted) != [], 60, 0.2), "its parse process starts with it"
        assert _crawl_processes(other.process.pid) == []
    finally:
        workers.stop()
    assert not Path(f"/proc/{prestarted}").exists(), "the crawl process ended with its worker"


def test_one_crawl_process_runs_batch_after_batch_and_a_killed_one_fails_only_its_job(
    tmp_path: Path, fresh_pg_url: str, pg_server: PgServer, feed_server: FeedServer
) -> None:
    feeds = GeneratedFeeds(feed_server, count=10, items=5)
    held, answering = 6, threading.Event()
    release = threading.Event()

    def hold(index: int) -> None:
        if index == held and not release.is_set():
            answering.set()
            release.wait(60)

    feeds.hold = hold
    feeds.install()
    config = use_database(write_config(tmp_path, feeds.specs(), timeout=TIMEOUT), fresh_pg_url, interval="1h")
    assert raqib(config, "db", "upgrade").returncode == 0
    workers = Workers(config, batch=1, concurrency=1)
    try:
        (worker,) = workers.start(1, "--crawl-batches", "4")
        assert answering.wait(120), workers.logs()
        (victim,) = _crawl_processes(worker.process.pid)
        # Its parse process (its child) runs nicer: with several workers on a machine, the
        # stores go first and parsing waits for a free core.
        parsing = _children(victim)
        assert parsing, "the crawl process parses in a process of its own"
        assert all(_nice(pid) == _nice(victim) + PARSE_NICENESS for pid in parsing), [_nice(p) for p in parsing]
        os.kill(victim, signal.SIGKILL)  # mid-crawl: feed 6 asked for, not answered
        release.set()
        assert wait_for(lambda: counts(pg_server, fresh_pg_url)["fetched_feeds"] == 10, 120, 0.5), workers.logs()
        assert wait_for(lambda: counts(pg_server, fresh_pg_url)["undecided"] == 0, 60, 0.5), workers.logs()
        assert worker.process.poll() is None, "the worker outlives its crawl process"
    finally:
        workers.stop()

    final = counts(pg_server, fresh_pg_url)
    assert final["articles"] == final["identities"] == 10 * 5, "every article stored once"
    assert final["fetches"] == 10, "one fetch row per feed: the killed crawl stored nothing"
    assert final["stories"] == final["story_titles"] == final["new_story"], "every story once"
    assert sorted(index for index, times in feeds.fetched.items() if len(times) > 1) == [held]
    assert final["failed_jobs"] == 1, "the killed process's job failed (its feed was queued again)"
    log = worker.output()
    _, died, after = log.partition("the crawl process exited with status -9")
    assert died, log
    assert f"(crawl process {victim}, " not in after, "a fresh process took the next batches"
    served = _batches_per_process(log)
    assert sum(len(batches) for batches in served.values()) == 10, "ten batches answered"
    assert all(batches == list(range(1, len(batches) + 1)) for batches in served.values())
    assert max(len(batches) for batches in served.values()) == 4, "a process runs batch after batch, then retires"
    assert all(len(batches) <= 4 for batches in served.values())


# -- kill -9 mid-decision -------------------------------------------------------------------------


def test_kill_9_mid_decision_then_the_stalled_decision_is_retried_and_nothing_is_doubled(
    tmp_path: Path, fresh_pg_url: str, pg_server: PgServer, feed_server: FeedServer, hook: Receiver
) -> None:
    feeds = GeneratedFeeds(feed_server, count=8, items=6, events_every=2)  # 4 feeds x 3 shared events
    feeds.install()
    config = alerting_config(tmp_path, feeds, fresh_pg_url, hook)
    workers = Workers(config, batch=4, env=ENV)
    # The seam: this transaction lets stories be read but not written, so the first decision
    # stops at its first new story, mid-transaction, holding its watch (the job's lock).
    holder = psycopg.connect(pg_server.admin_dsn(_dbname(fresh_pg_url)))
    try:
        holder.execute("LOCK TABLE stories IN SHARE MODE")
        (first,) = workers.start(1)
        stuck = wait_for(lambda: _decision_waiting(pg_server, fresh_pg_url) is not None, 90, interval=0.5)
        assert stuck and wait_for(lambda: counts(pg_server, fresh_pg_url)["fetched_feeds"] == 8, 60), workers.logs()
        job = _decision_waiting(pg_server, fresh_pg_url)
        workers.kill(first)
        before = counts(pg_server, fresh_pg_url)
        holder.rollback()  # the dead worker's transaction goes on, finds its client gone, rolls back
        assert before["matches"] == before["stories"] == 0 and before["undecided"] == 4 * 3, "nothing decided yet"

        # Two more workers: procrastinate's stalled-job recovery queues the killed decision again
        # (in place of the copy the schedule queued meanwhile), and it decides every match once.
        workers.start(2)
        assert wait_for(lambda: _cycle_done(pg_server, fresh_pg_url, 8), 120, interval=0.5), workers.logs()
    finally:
        holder.close()
        workers.stop()

    final = counts(pg_server, fresh_pg_url)
    assert final["undecided"] == 0 and final["matches"] == 4 * 3
    assert final["stories"] == final["story_titles"] == final["new_story"] <= 3, "every story once"
    assert final["articles"] == final["identities"] == 8 * 6
    received = [request.headers["webhook-id"] for request in hook.requests]
    assert len(received) == len(set(received)) == final["outbox_events"] == final["stories"], "each alert once"
    with psycopg.connect(pg_server.admin_dsn(_dbname(fresh_pg_url))) as connection:
        status, attempts = connection.execute(
            "SELECT status, attempts FROM procrastinate.procrastinate_jobs WHERE id = %s", (job,)
        ).fetchone()  # type: ignore[misc]
    # procrastinate counts the killed run (when it queues the job again) and the one that succeeded.
    assert (status, attempts) == ("succeeded", 2), "the killed decision itself was retried, once"
    assert f"raqib:decide#{job} was running on a worker that stopped answering" in workers.logs()
    assert final["failed_jobs"] == 0, workers.logs()


def _decision_waiting(pg_server: PgServer, url: str) -> int | None:
    """The running decide job, once its transaction waits to write a story."""
    with psycopg.connect(pg_server.admin_dsn(_dbname(url))) as connection:
        waiting = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO stories%'"
        ).fetchone()[0]  # type: ignore[index]
        running = connection.execute(
            "SELECT id FROM procrastinate.procrastinate_jobs WHERE task_name = 'raqib:decide' AND status = 'doing'"
        ).fetchall()
    return int(running[0][0]) if waiting and len(running) == 1 else None


# -- two workers racing for one watch -----------------------------------------------------------


def test_two_workers_racing_for_one_watch_create_no_story_twice(
    tmp_path: Path, fresh_pg_url: str, pg_server: PgServer, feed_server: FeedServer
) -> None:
    # Every feed reports the same events: four crawl jobs of two feeds each, all at once on two
    # workers, all deciding the same stories of one watch at the same time.
    feeds = GeneratedFeeds(feed_server, count=8, items=4, events_every=1)
    feeds.install()
    config = use_database(write_config(tmp_path, feeds.specs(), timeout=TIMEOUT), fresh_pg_url, interval="1h")
    assert raqib(config, "db", "upgrade").returncode == 0
    with running_workers(config, 2, batch=2) as workers:
        done = wait_for(lambda: counts(pg_server, fresh_pg_url)["matches"] == 8 * 3, 90, interval=0.5)
    assert done, workers.logs()
    final = counts(pg_server, fresh_pg_url)
    assert final["fetched_feeds"] == 8 and final["undecided"] == 0
    assert final["stories"] == final["story_titles"] == final["new_story"], "no story created twice"
    assert final["stories"] <= 3


# -- PostgreSQL restarted -----------------------------------------------------------------------


@pytest.fixture
def own_pg() -> Iterator[PgServer]:
    """A PostgreSQL server of this test's own: it is restarted under the workers."""
    bindir = find_pg_bindir()
    assert bindir is not None, MISSING_BINARIES
    server = start_pg_server(bindir)
    try:
        yield server
    finally:
        stop_pg_server(server)


def test_workers_come_back_after_postgresql_restarts_and_finish_the_cycle(
    tmp_path: Path, own_pg: PgServer, feed_server: FeedServer
) -> None:
    feeds = GeneratedFeeds(feed_server, count=8, items=5, delay=3.0)  # slow: still crawling at the restart
    feeds.install()
    url = own_pg.sqlalchemy_url("raqib_test")
    config = use_database(write_config(tmp_path, feeds.specs(), timeout=TIMEOUT), url, interval="1h")
    assert raqib(config, "db", "upgrade").returncode == 0
    with running_workers(config, 2, batch=2) as workers:
        assert wait_for(lambda: len(feeds.fetched) >= 1, 60), workers.logs()
        restart_pg(own_pg)  # mid-crawl: connections cut, crawls and heartbeats fail
        feeds.delay = 0.0
        back = wait_for(lambda: all("worker running again" in w.output() for w in workers.running), 60)
        stored = wait_for(lambda: counts(own_pg, url)["articles"] == 8 * 5, 120, interval=1.0)
        status = json.loads(raqib(config, "workers", "--heartbeat", "1", "--json").stdout)
        alive = all(worker.process.poll() is None for worker in workers.running)
    assert back and alive, workers.logs()
    assert stored, workers.logs()
    assert len(status["workers"]) == 2 and all(w["seconds_since_heartbeat"] < 5 for w in status["workers"])
    final = counts(own_pg, url)
    assert final["articles"] == final["identities"] == 8 * 5
    assert final["stories"] == final["story_titles"] == final["new_story"]


# -- a worker whose clock is two minutes off ------------------------------------------------------

FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")


def test_a_worker_whose_clock_is_two_minutes_ahead_doubles_nothing(
    tmp_path: Path, fresh_pg_url: str, pg_server: PgServer, feed_server: FeedServer, hook: Receiver
) -> None:
    assert FAKETIME.exists(), "libfaketime is missing: run scripts/test, which installs the Debian package"
    feeds = GeneratedFeeds(feed_server, count=16, items=6, delay=0.3)
    feeds.install()
    config = alerting_config(tmp_path, feeds, fresh_pg_url, hook)
    skewed = {"LD_PRELOAD": str(FAKETIME), "FAKETIME": "+2m", "FAKETIME_DONT_FAKE_MONOTONIC": "1", **ENV}
    ahead = Workers(config, batch=4, env=skewed, name="ahead")
    workers = Workers(config, batch=4, env=ENV)
    try:
        ahead.start(1)  # first, so that it crawls, decides and delivers its share
        assert wait_for(lambda: len(feeds.fetched) >= 1, 60), ahead.logs()
        workers.start(2)
        finished = wait_for(lambda: _cycle_done(pg_server, fresh_pg_url, 16), 120, interval=0.5)
    finally:
        ahead.stop()
        workers.stop()
    assert finished, ahead.logs() + workers.logs()
    assert "crawl job" in ahead.logs()
    final = counts(pg_server, fresh_pg_url)
    assert all(len(times) == 1 for times in feeds.fetched.values()) and len(feeds.fetched) == 16, "each feed once"
    assert final["articles"] == final["identities"] == 16 * 6
    assert final["stories"] == final["story_titles"] == final["new_story"]
    received = [request.headers["webhook-id"] for request in hook.requests]
    assert len(received) == len(set(received)) == final["outbox_events"], "each alert once"
