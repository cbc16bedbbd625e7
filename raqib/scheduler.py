"""``raqib run``: APScheduler 3 ticks every minute and crawls the due feeds in a child process.

Due times live in the database (each feed's ``next_due_at``), not in the scheduler, so a restart
neither skips nor repeats a cycle; a crashed crawl takes only its child process down."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from alerts.channels import build_deliverer
from alerts.deliver import Deliverer
from config.schema import RaqibConfig
from raqib.early_stop import EarlyStop
from raqib.lock import RunLock
from storage import feed_repo, outbox
from storage.db import Database
from storage.health import feed_health
from web.server import make_server, serve_in_background

log = logging.getLogger("raqib.scheduler")

TICK_SECONDS = 60
DELIVER_SECONDS = 30
# A child crawl that runs longer than this is stopped; the next tick retries what is still due.
CRAWL_TIMEOUT_SECONDS = 30 * 60


class CrawlChild:
    """The running crawl process, so a signal can stop it gracefully."""

    def __init__(self, config_path: Path, data_dir: Path) -> None:
        self.config_path = config_path
        self.data_dir = data_dir
        self.process: subprocess.Popen[str] | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> list[dict[str, object]]:
        command = [
            sys.executable,
            "-m",
            "raqib",
            "--config",
            str(self.config_path),
            "crawl",
            "--due",
            "--json",
        ]
        env = {**os.environ, "RAQIB_DATA": str(self.data_dir)}
        with self._lock:
            if self.stopping.is_set():
                return []
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        try:
            output, _ = self.process.communicate(timeout=CRAWL_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            output, _ = self.process.communicate()
            log.error("crawl took longer than %s s and was stopped", CRAWL_TIMEOUT_SECONDS)
        finally:
            with self._lock:
                code, self.process = (self.process.returncode if self.process else None), None
        try:
            feeds: list[dict[str, object]] = json.loads(output)["feeds"] if output.strip() else []
        except (ValueError, KeyError):
            log.error("crawl printed no readable report (exit %s)", code)
            return []
        return feeds

    def stop(self) -> None:
        with self._lock:
            self.stopping.set()
            if self.process is not None and self.process.poll() is None:
                # Scrapy finishes in-flight requests on the first SIGTERM; each feed's articles
                # and fetch record are one transaction, so nothing is half-written.
                self.process.send_signal(signal.SIGTERM)


def deliver_tick(deliverer: Deliverer | None) -> None:
    if deliverer is None:
        return
    report = deliverer.deliver_due()
    if report.sent or report.failed or report.dead or report.held:
        (log.warning if report.failed or report.dead else log.info)("alerts: %s", report.line())


def health_tick(config: RaqibConfig, database: Database) -> None:
    """Say which feeds are dead (failing for days) or quiet (answering, but nothing new)."""
    now = datetime.now(UTC)
    with database.session() as session:
        states = feed_repo.feed_states(session)
    for feed in config.feeds:
        state = states.get(feed.name)
        if state is None or not feed.enabled:
            continue
        verdict = feed_health(state, now, feed.effective_interval(config.schedule))
        if verdict == "dead":
            since = state.last_success_at or state.created_at
            log.warning("feed %s is dead: failing since %s — %s: %s", feed.name, since, feed.url, state.last_error)
        elif verdict == "quiet":
            log.info(
                "feed %s is quiet: it answers, but has had no new entry since %s",
                feed.name,
                state.last_new_entry_at or "it was added",
            )


def crawl_tick(config: RaqibConfig, database: Database, child: CrawlChild, deliverer: Deliverer | None = None) -> None:
    enabled = [feed.name for feed in config.feeds if feed.enabled]
    with database.session() as session:
        feed_repo.sync_feeds(session, config.feeds)
        due = feed_repo.due_feed_names(session, datetime.now(UTC), enabled)
    if not due:
        return
    log.info("crawling %d due feed(s)", len(due))
    reports = child.run()
    for report in reports:
        line = (
            f"{report['feed']}: {report['status']}, {report['entries']} entries, {report['new']} new, "
            f"{report['matched']} matched"
        )
        if report.get("error"):
            log.warning("%s — %s: %s", line, report["url"], report["error"])
        else:
            log.info("%s", line)
    failed = sum(1 for report in reports if report["status"] == "error")
    log.info(
        "crawl done: %d feeds (%d failed), %d new, %d matched",
        len(reports),
        failed,
        sum(int(str(report["new"])) for report in reports),
        sum(int(str(report["matched"])) for report in reports),
    )
    deliver_tick(deliverer)  # alerts leave right after the crawl, not at the next 30-second tick


def run_scheduler(
    config: RaqibConfig, config_path: Path, data_dir: Path, env: Mapping[str, str], early_stop: EarlyStop
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    lock = RunLock(config.database).acquire()  # raises AlreadyRunning: one `raqib run` per database
    database = Database(config.database)
    database.upgrade()
    child = CrawlChild(config_path, data_dir)
    deliverer = build_deliverer(config, database, env) if any(a.enabled for a in config.alerts) else None
    # The web page beside the scheduler; on loopback unless [web] host says otherwise (then a
    # token is required: make_server refuses to start without one).
    web = make_server(config, database, config.web.host, config.web.port, env.get("RAQIB_WEB_TOKEN") or None)
    serve_in_background(web)
    with database.session() as session:
        reclaimed = outbox.expire_leases(session)
    if reclaimed:
        log.warning("%d alert(s) were being sent when the last run stopped; sending them again", reclaimed)
    # Our own handle on the job threads: on a signal the scheduler stops at once, and the run
    # lock is released only after these have finished (a crawl still storing, its delivery).
    jobs = ThreadPoolExecutor()
    scheduler = BlockingScheduler(
        timezone=UTC,
        executors={"default": jobs},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_SECONDS // 2},
    )
    scheduler.add_job(
        crawl_tick,
        "interval",
        seconds=TICK_SECONDS,
        args=[config, database, child, deliverer],
        id="crawl",
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        deliver_tick,
        "interval",
        seconds=DELIVER_SECONDS,
        args=[deliverer],
        id="deliver",
        next_run_time=datetime.now(UTC),
        misfire_grace_time=DELIVER_SECONDS,
    )
    scheduler.add_job(
        health_tick, "interval", hours=1, args=[config, database], id="feed-health", next_run_time=datetime.now(UTC)
    )

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stopping.is_set():
            log.info("received %s again: still finishing the running crawl and delivery", name)
            return
        stopping.set()
        log.info("received %s: stopping after the current work", name)
        child.stop()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if early_stop.signal_name:  # it came while starting: stop before the first crawl
        log.info("received %s while starting: stopping", early_stop.signal_name)
        stopping.set()
    log.info(
        "raqib run: %d feeds, %d watches, database %s; ticking every %d s; web page on http://%s:%d/",
        len(config.feeds),
        len(config.watches),
        database.engine.url.render_as_string(hide_password=True),
        TICK_SECONDS,
        config.web.host,
        config.web.port,
    )
    try:
        if not stopping.is_set():
            scheduler.start()
    finally:
        # Hold the run lock until the last job has finished: a second `raqib run` started now
        # would crawl the same feeds and re-queue alerts this one is still sending.
        log.info("waiting for the running crawl and delivery to finish")
        jobs.shutdown(wait=True)
        web.should_exit = True
        database.dispose()
        lock.release()
    log.info("stopped")
