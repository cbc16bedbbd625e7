"""``raqib worker``: run the stages as procrastinate jobs, on any machine with the config and
the PostgreSQL database's address, as many as wanted.

Every worker defers the periodic jobs (the database lets each period through once), sends a
heartbeat every ``heartbeat`` seconds, and retries the jobs of workers silent for three
heartbeats. SIGINT or SIGTERM stops it after its running jobs finish; a second signal stops it
at once (its jobs are then retried by the others, like those of a killed worker)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

from alerts.channels import build_deliverer
from config.schema import RaqibConfig
from raqib.distributed.app import build_app, require_postgres
from raqib.distributed.tasks import QUEUES, Runtime
from storage.db import Database
from storage.queue_status import database_clock

log = logging.getLogger("raqib.worker")

DEFAULT_BATCH = 50  # feeds per crawl job: one Scrapy process each
HEARTBEAT_SECONDS = 10.0


def delivery_lease(config: RaqibConfig) -> timedelta:
    """How long a claimed alert is this worker's: three network timeouts, at least 20 s. A worker
    killed mid-send holds its alerts that long; then another one sends them, same event id."""
    return max(timedelta(seconds=20), 3 * config.network.timeout)


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
) -> None:
    require_postgres(config.database)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    database = Database(config.database)
    database.upgrade()  # Raqib's tables and procrastinate's schema, as `raqib db upgrade`
    deliverer = build_deliverer(config, database, env) if any(a.enabled for a in config.alerts) else None
    if deliverer is not None:
        deliverer.lease = delivery_lease(config)
        # Leases and due times by the database's clock: a worker whose clock runs ahead would
        # otherwise take over alerts another worker is still sending.
        deliverer.clock = database_clock(database)
    stalled_after = timedelta(seconds=3 * heartbeat)
    runtime = Runtime(
        config=config,
        config_path=config_path.resolve(),
        data_dir=data_dir.resolve(),
        database=database,
        deliverer=deliverer,
        batch_size=batch_size,
        stalled_after=stalled_after,
        env=dict(env),
    )
    chosen = list(queues) or None
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
    try:
        app.run_worker(
            name=name,
            queues=chosen,
            concurrency=concurrency,
            additional_context={"raqib": runtime},
            update_heartbeat_interval=heartbeat,
            stalled_worker_timeout=stalled_after.total_seconds(),
            fetch_job_polling_interval=2.0,
        )
    finally:
        database.dispose()
    log.info("worker %s stopped", name)
