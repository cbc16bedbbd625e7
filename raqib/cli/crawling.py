"""`raqib crawl`, `run`, `serve` and `reprocess`: the embedded runner's commands."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import click

from raqib.cli.app import (
    SINCE_HELP,
    AppContext,
    finish,
    main,
    open_database,
    parse_since,
    pass_app,
    settle_for_one_crawl,
)
from raqib.cli.startup import collector_paused

# -- crawl ----------------------------------------------------------------------------------


@main.command()
@click.option("--feed", "feeds", multiple=True, metavar="NAME", help="crawl only this feed (repeatable)")
@click.option("--due", is_flag=True, help="only the feeds whose interval has passed (the scheduler uses this)")
@click.option("--json", "as_json", is_flag=True, help="print the per-feed results as JSON")
@click.option(
    "--as-of",
    "as_of",
    metavar="TIME",
    help="run the cycle as if the clock read TIME (ISO 8601, e.g. 2025-02-04T10:00Z): first-seen, windows, alerts",
)
@pass_app
def crawl(app: AppContext, feeds: tuple[str, ...], due: bool, as_json: bool, as_of: str | None) -> None:
    """One crawl cycle now, then exit (status 1 if any feed failed)."""
    from raqib.compose import early_start, run_crawl

    config = app.load()
    when = _as_of(as_of)
    early = early_start(config, when, feeds)  # a first crawl: workers and deciding start beside the imports below
    with collector_paused():
        import crawler.runner  # noqa: F401  (Scrapy and Twisted, imported here without collections)
        from ingest.crawl import UnknownFeed

    settle_for_one_crawl()
    try:
        result = run_crawl(config, feeds, only_due=due, as_of=when, early=early)
    except UnknownFeed as error:
        raise click.UsageError(str(error)) from None
    if result.decide_error is not None:  # on stderr too: `raqib run` logs its crawl's stderr
        click.echo(f"raqib crawl: {result.decide_error}", err=True)
    delivery = None
    if any(alert.enabled for alert in config.alerts) and not due:
        # Alerts go out right after the crawl; under `raqib run` the scheduler delivers instead.
        from alerts.channels import build_deliverer

        database = open_database(config)
        delivery = build_deliverer(config, database, os.environ).deliver_due()
        database.dispose()
    if as_json:
        payload: dict[str, Any] = {
            "seconds": result.seconds,
            "stages": result.stages,
            "decide_error": result.decide_error,
            "feeds": [r.as_dict() for r in result.reports],
        }
        if delivery is not None:
            payload["alerts"] = {"sent": delivery.sent, "failed": delivery.failed, "dead": delivery.dead}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        from ingest.report import summary_line

        for report in result.reports:
            click.echo(report.line())
        click.echo(summary_line(result.reports, result.seconds))
        if result.stages.get("decided"):
            click.echo(f"decided: {result.stages['decided']:.0f} matches")
        if delivery is not None:
            click.echo(f"alerts: {delivery.line()}")
    finish(1 if result.failed else 0)


def _as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected an ISO 8601 time like 2025-02-04T10:00Z, got {value!r}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# -- run ------------------------------------------------------------------------------------


@main.command()
@pass_app
def run(app: AppContext) -> None:
    """The scheduler: crawl due feeds every minute until stopped (Ctrl-C or SIGTERM)."""
    from raqib.early_stop import EarlyStop

    early_stop = EarlyStop().install()  # before the slow imports and start-up below
    from raqib.lock import AlreadyRunning
    from raqib.scheduler import run_scheduler
    from web.server import TokenRequired

    config = app.load()
    try:
        run_scheduler(config, app.config_path, app.data_dir, os.environ, early_stop)
    except AlreadyRunning as error:
        click.echo(f"raqib run: {error}", err=True)
        sys.exit(1)
    except TokenRequired as error:
        click.echo(f"raqib run: {error}", err=True)
        sys.exit(2)


# -- serve ----------------------------------------------------------------------------------


@main.command()
@click.option(
    "--host", default=None, help="address to bind (default from [web], 127.0.0.1); any other needs RAQIB_WEB_TOKEN"
)
@click.option("--port", type=int, default=None, help="port (default from [web], 8080)")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None) -> None:
    """The web page and the JSON API alone."""
    from web.server import TokenRequired, make_server

    config = app.load()
    database = open_database(config)
    bind_host, bind_port = host or config.web.host, port or config.web.port
    try:
        server = make_server(config, database, bind_host, bind_port, os.environ.get("RAQIB_WEB_TOKEN") or None)
    except TokenRequired as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Raqib on http://{bind_host}:{bind_port}/ (Ctrl-C stops)")
    server.run()
    database.dispose()


# -- reprocess ------------------------------------------------------------------------------


@main.command()
@click.option("--since", metavar="D", help="replay the reports collected since: " + SINCE_HELP.split(": ", 1)[1])
@click.option("--watch", metavar="W", help="rebuild this watch only")
@pass_app
def reprocess(app: AppContext, since: str | None, watch: str | None) -> None:
    """Rebuild stories and decisions after lexicons, thresholds or watches changed."""
    from ingest.reprocess import reprocess as run_reprocess
    from raqib.compose import story_desk
    from storage.db import Database
    from stories.analysis import Analyser

    config = app.load()
    if watch and watch not in {w.name for w in config.watches}:
        raise click.UsageError(f"no watch named {watch!r} in {app.config_path}")
    database = Database(config.database)
    database.upgrade()
    analyser = Analyser({w.name: w.query for w in config.watches})
    with click.progressbar(length=1, label="replaying reports", show_pos=True, file=sys.stderr) as bar:

        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done)

        result = run_reprocess(
            database, analyser, story_desk(config), since=parse_since(since), watch=watch, progress=advance
        )
    database.dispose()
    click.echo(
        f"replayed {result.articles} reports: {result.matches_before} → {result.matches_after} watch matches, "
        f"{result.stories_before} → {result.stories_after} stories"
    )
