"""`raqib worker`, `workers` and `db upgrade`: the distributed mode's commands."""

from __future__ import annotations

import json
import os
import sys

import click

from raqib.cli.app import AppContext, jsonable, main, open_database, pass_app

# -- distributed mode: worker, workers, db upgrade ------------------------------------------


@main.command()
@click.option("--concurrency", default=2, show_default=True, help="jobs this worker runs at once")
@click.option(
    "--queues",
    metavar="Q,...",
    default="",
    help="only these queues (schedule, crawl, decide, deliver; comma-separated); default all",
)
@click.option("--batch", default=100, show_default=True, help="feeds per crawl job")
@click.option(
    "--heartbeat",
    default=10.0,
    show_default=True,
    help="seconds between heartbeats; a worker silent for three is taken for dead and its jobs retried",
)
@click.option(
    "--parse-workers",
    default=1,
    show_default=True,
    help="parse processes per running crawl job: a worker uses about --concurrency cores; run one per core",
)
@click.option(
    "--crawl-batches",
    default=50,
    show_default=True,
    help="crawl jobs one crawl process runs before a fresh one replaces it (it is also replaced past 1 GiB)",
)
@pass_app
def worker(
    app: AppContext, concurrency: int, queues: str, batch: int, heartbeat: float, parse_workers: int, crawl_batches: int
) -> None:
    """Distributed mode: run the stages as jobs shared by every worker on this PostgreSQL database."""
    from raqib.distributed.app import NeedsPostgres
    from raqib.distributed.tasks import QUEUES
    from raqib.distributed.worker import run_worker

    config = app.load()
    chosen = [queue.strip() for queue in queues.split(",") if queue.strip()]
    unknown = [queue for queue in chosen if queue not in QUEUES]
    if unknown:
        raise click.UsageError(f"no queue named {', '.join(unknown)}; queues: {', '.join(QUEUES)}")
    try:
        run_worker(
            config,
            app.config_path,
            app.data_dir,
            os.environ,
            concurrency=max(1, concurrency),
            queues=chosen,
            batch_size=max(1, batch),
            heartbeat=heartbeat,
            parse_workers=max(1, parse_workers),
            crawl_batches=max(1, crawl_batches),
        )
    except NeedsPostgres as error:
        click.echo(f"raqib worker: {error}", err=True)
        sys.exit(2)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option(
    "--heartbeat", default=10.0, show_default=True, help="the workers' --heartbeat: silent for three is stalled"
)
@pass_app
def workers(app: AppContext, as_json: bool, heartbeat: float) -> None:
    """Distributed mode: workers, queue depth per task, stalled and failed jobs, feed lag."""
    from raqib.distributed.app import NeedsPostgres
    from raqib.distributed.status import read_status, status_json, status_lines

    config = app.load()
    try:
        database = open_database(config)
        status = read_status(config, database, heartbeat)
    except NeedsPostgres as error:
        click.echo(f"raqib workers: {error}", err=True)
        sys.exit(2)
    database.dispose()
    if as_json:
        click.echo(json.dumps(status_json(status), ensure_ascii=False, indent=2, default=jsonable))
        return
    for line in status_lines(status):
        click.echo(line)


@main.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Create or migrate Raqib's tables (and, on PostgreSQL, the distributed mode's job queue)."""
    from alembic.script import ScriptDirectory

    from storage.db import Database, alembic_config

    config = app.load()
    database = Database(config.database)
    database.upgrade()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    where = database.engine.url.render_as_string(hide_password=True)
    database.dispose()
    click.echo(f"{where}: schema at revision {head}")
