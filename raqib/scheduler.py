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
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler

from config.schema import RaqibConfig
from storage import repo
from storage.db import Database

log = logging.getLogger("raqib.scheduler")

TICK_SECONDS = 60
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


def crawl_tick(config: RaqibConfig, database: Database, child: CrawlChild) -> None:
    enabled = [feed.name for feed in config.feeds if feed.enabled]
    with database.session() as session:
        repo.sync_feeds(session, config.feeds)
        due = repo.due_feed_names(session, datetime.now(UTC), enabled)
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


def run_scheduler(config: RaqibConfig, config_path: Path, data_dir: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    database = Database(config.database)
    database.upgrade()
    child = CrawlChild(config_path, data_dir)
    scheduler = BlockingScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_SECONDS // 2},
    )
    scheduler.add_job(
        crawl_tick,
        "interval",
        seconds=TICK_SECONDS,
        args=[config, database, child],
        id="crawl",
        next_run_time=datetime.now(UTC),
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: stopping after the current work", signal.Signals(signum).name)
        child.stop()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    log.info(
        "raqib run: %d feeds, %d watches, database %s; ticking every %d s",
        len(config.feeds),
        len(config.watches),
        database.engine.url.render_as_string(hide_password=True),
        TICK_SECONDS,
    )
    scheduler.start()
    database.dispose()
    log.info("stopped")
