"""``raqib worker``: run the stages as procrastinate jobs, on any machine with the config and
the PostgreSQL database's address, as many as wanted.

Every worker defers the periodic jobs (the database lets each period through once), sends a
heartbeat every ``heartbeat`` seconds, and retries the jobs of workers silent for three
heartbeats. SIGINT or SIGTERM stops it after its running jobs finish; a second signal stops it
at once (its jobs are then retried by the others, like those of a killed worker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from procrastinate import App

from config.schema import RaqibConfig
from raqib import compose
from raqib.distributed.app import build_app, require_postgres
from raqib.distributed.crawl_children import CrawlChildren
from raqib.distributed.tasks import QUEUES, Decider, Runtime, schedule_now
from storage.db import Database
from storage.queue_status import database_clock

log = logging.getLogger("raqib.worker")

DEFAULT_BATCH = 100  # feeds per crawl job
# A crawl process is kept for this many batches, or until it holds more than this much memory;
# then a fresh one starts (Python gives little memory back, and a parser's leak must not last).
CRAWL_PROCESS_BATCHES = 50
CRAWL_PROCESS_MEMORY = 1024 * 2**20
CRAWL_TIMEOUT_SECONDS = 30 * 60  # a batch running longer: its process is killed, its feeds stay due
# Parse processes per running crawl job. A worker is the unit of scale, about one core per job it
# runs at once (its crawl process stores while its parse process parses): a machine runs one
# worker per core (or one with --concurrency at its cores), not one worker whose every crawl
# spreads over all the cores and fights the others for them.
DEFAULT_PARSE_WORKERS = 1
HEARTBEAT_SECONDS = 10.0
RESTART_SECONDS = 5


def delivery_lease(config: RaqibConfig) -> timedelta:
    """How long a claimed alert is this worker's: three network timeouts, at least 20 s. A worker
    killed mid-send holds its alerts that long; then another one sends them, same event id."""
    return max(timedelta(seconds=20), 3 * config.network.timeout)


async def _serve(app: App, options: dict[str, Any]) -> None:
    """Run the procrastinate worker until SIGINT or SIGTERM, starting it again when it stops on
    its own: it does when its database connection breaks (PostgreSQL restarted), and its running
    jobs are then retried by the others. The first signal lets running jobs finish; a second one
    ends the process at once (its jobs are retried by the other workers)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    current: asyncio.Task[None] | None = None
    restarts = 0

    def on_signal(signum: int) -> None:
        if stopping.is_set():
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        log.info("received %s: stopping after the running jobs", signal.Signals(signum).name)
        stopping.set()
        if current is not None:
            current.cancel()  # procrastinate stops fetching and waits for the running jobs

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    while not stopping.is_set():
        try:
            async with app.open_async():
                if "schedule" in (options["queues"] or QUEUES):
                    await schedule_now(app)
                current = asyncio.create_task(app.run_worker_async(**options))
                if restarts:
                    log.info("worker running again (restart %d)", restarts)
                await current
        except asyncio.CancelledError:
            if not stopping.is_set():
                raise
        except Exception as error:  # noqa: BLE001 - the database may be gone: wait and retry
            log.warning("worker stopped: %s: %s", type(error).__name__, error)
        finally:
            current = None
        if not stopping.is_set():
            restarts += 1
            log.warning(
                "the worker stopped on its own (database connection lost?); starting again in %d s",
                RESTART_SECONDS,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), RESTART_SECONDS)


def crawl_children(
    config_path: Path, data_dir: Path, env: Mapping[str, str], *, parse_workers: int, max_batches: int
) -> CrawlChildren:
    """The worker's crawl processes, each with its own parse pool of ``parse_workers``."""
    data = data_dir.resolve()
    command = [
        sys.executable,
        "-m",
        "raqib.distributed.crawl_child",
        "--config",
        str(config_path.resolve()),
        "--data",
        str(data),
        "--parse-workers",
        str(parse_workers),
    ]
    return CrawlChildren(
        command,
        {**env, "RAQIB_DATA": str(data)},
        max_batches=max_batches,
        max_rss=CRAWL_PROCESS_MEMORY,
        timeout=CRAWL_TIMEOUT_SECONDS,
    )


def run_worker(
    config: RaqibConfig,
    config_path: Path,
    data_dir: Path,
    env: Mapping[str, str],
    *,
    concurrency: int = 2,
    queues: Iterable[str] = (),
    batch_size: int = DEFAULT_BATCH,
    heartbeat: float = HEARTBEAT_SECONDS,
    parse_workers: int = DEFAULT_PARSE_WORKERS,
    crawl_batches: int = CRAWL_PROCESS_BATCHES,
) -> None:
    require_postgres(config.database)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    chosen = list(queues) or None
    children = crawl_children(config_path, data_dir, env, parse_workers=parse_workers, max_batches=crawl_batches)
    with asyncio.Runner() as loop:
        if "crawl" in (chosen or QUEUES):
            # The first crawl process starts now and waits idle for the first crawl job: its own
            # start (imports, Scrapy, its parse process: about a second) runs beside this worker's
            # (the schema check, the deliverer, the job queue, the first schedule) instead of in
            # the first job's time.
            loop.run(children.prestart())
        database = Database(config.database)
        try:
            database.upgrade()  # Raqib's tables and procrastinate's schema, as `raqib db upgrade`
            deliverer = None
            if any(a.enabled for a in config.alerts):
                from alerts.channels import build_deliverer  # the channels' libraries: only where alerts are sent

                deliverer = build_deliverer(config, database, env)
                deliverer.lease = delivery_lease(config)
                # Leases and due times by the database's clock: a worker whose clock runs ahead
                # would otherwise take over alerts another worker is still sending.
                deliverer.clock = database_clock(database)
            decider = Decider(lambda: compose.story_desk(config), compose.outbox_writer(config))
            stalled_after = timedelta(seconds=3 * heartbeat)
            runtime = Runtime(
                config=config,
                database=database,
                deliverer=deliverer,
                decider=decider,
                crawl_children=children,
                batch_size=batch_size,
                stalled_after=stalled_after,
            )
            name = f"{socket.gethostname()}:{os.getpid()}"
            app = build_app(config.database, max_connections=concurrency + 4)
            log.info(
                "raqib worker %s: %d feeds, %d watches, queues %s, concurrency %d, database %s",
                name,
                len(config.feeds),
                len(config.watches),
                ", ".join(chosen or QUEUES),
                concurrency,
                database.engine.url.render_as_string(hide_password=True),
            )
            options: dict[str, Any] = {
                "name": name,
                "queues": chosen,
                "concurrency": concurrency,
                "additional_context": {"raqib": runtime},
                "update_heartbeat_interval": heartbeat,
                "stalled_worker_timeout": stalled_after.total_seconds(),
                "fetch_job_polling_interval": 2.0,
                "install_signal_handlers": False,  # ours: see _serve
            }
            loop.run(_serve(app, options))
        finally:
            loop.run(children.close())  # the crawl processes read the end of their input and exit
            database.dispose()
    log.info("worker %s stopped", name)
