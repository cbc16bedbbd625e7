"""The ``raqib`` command: translate arguments, call the packages, print what happened."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from config.loader import ConfigError, check_config, load_config, resolve_config_path, resolve_data_dir
from config.schema import RaqibConfig
from stories.wording import WhatIsNew

SINCE_HELP = "only what was collected since: an ISO date/time (2025-02-04) or an age (36h, 7d)"


class AppContext:
    """What every command needs: the config file path and the data folder, read once from the
    command line and the environment (the only place that reads the environment)."""

    def __init__(self, explicit_config: str | None) -> None:
        self.config_path = resolve_config_path(explicit_config, os.environ, Path.cwd())
        self.data_dir = resolve_data_dir(os.environ, Path.cwd())

    def load(self) -> RaqibConfig:
        try:
            return load_config(self.config_path, data_dir=self.data_dir)
        except ConfigError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) in {self.config_path}; see `raqib config check`", err=True)
            raise SystemExit(2) from None


pass_app = click.make_pass_decorator(AppContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="config file (default: $RAQIB_CONFIG, else ./raqib.toml, else the bundled default)",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Raqib (رقيب): watch Arabic and English news feeds, fold duplicates, alert on what is new."""
    ctx.obj = AppContext(config_path)


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
    from ingest.crawl import UnknownFeed
    from raqib.compose import run_crawl

    config = app.load()
    try:
        result = run_crawl(config, feeds, only_due=due, as_of=_as_of(as_of))
    except UnknownFeed as error:
        raise click.UsageError(str(error)) from None
    delivery = None
    if any(alert.enabled for alert in config.alerts) and not due:
        # Alerts go out right after the crawl; under `raqib run` the scheduler delivers instead.
        from alerts.channels import build_deliverer

        database = _database(config)
        delivery = build_deliverer(config, database, os.environ).deliver_due()
        database.dispose()
    if as_json:
        payload: dict[str, Any] = {
            "seconds": result.seconds,
            "stages": result.stages,
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
        if delivery is not None:
            click.echo(f"alerts: {delivery.line()}")
    sys.exit(1 if result.failed else 0)


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
    from raqib.lock import AlreadyRunning
    from raqib.scheduler import run_scheduler
    from web.server import TokenRequired

    config = app.load()
    try:
        run_scheduler(config, app.config_path, app.data_dir, os.environ)
    except AlreadyRunning as error:
        click.echo(f"raqib run: {error}", err=True)
        sys.exit(1)
    except TokenRequired as error:
        click.echo(f"raqib run: {error}", err=True)
        sys.exit(2)


# -- distributed mode: worker, workers, db upgrade ------------------------------------------


@main.command()
@click.option("--concurrency", default=2, show_default=True, help="jobs this worker runs at once")
@click.option(
    "--queues",
    metavar="Q,...",
    default="",
    help="only these queues (schedule, crawl, decide, deliver; comma-separated); default all",
)
@click.option(
    "--batch", default=100, show_default=True, help="feeds per crawl job (one crawl process each: ~2 s of start-up)"
)
@click.option(
    "--heartbeat",
    default=10.0,
    show_default=True,
    help="seconds between heartbeats; a worker silent for three is taken for dead and its jobs retried",
)
@pass_app
def worker(app: AppContext, concurrency: int, queues: str, batch: int, heartbeat: float) -> None:
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
        database = _database(config)
        status = read_status(config, database, heartbeat)
    except NeedsPostgres as error:
        click.echo(f"raqib workers: {error}", err=True)
        sys.exit(2)
    database.dispose()
    if as_json:
        click.echo(json.dumps(status_json(status), ensure_ascii=False, indent=2, default=_jsonable))
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
    database = _database(config)
    bind_host, bind_port = host or config.web.host, port or config.web.port
    try:
        server = make_server(config, database, bind_host, bind_port, os.environ.get("RAQIB_WEB_TOKEN") or None)
    except TokenRequired as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Raqib on http://{bind_host}:{bind_port}/ (Ctrl-C stops)")
    server.run()
    database.dispose()


# -- config ---------------------------------------------------------------------------------


@main.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@pass_app
def config_check(app: AppContext) -> None:
    """Report every problem in the config file with its location; exit 1 if any."""
    problems = check_config(app.config_path, data_dir=app.data_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {app.config_path}")
        sys.exit(1)
    config = load_config(app.config_path, data_dir=app.data_dir)
    click.echo(
        f"{app.config_path}: OK ({len(config.feeds)} feeds, {len(config.watches)} watches, "
        f"{len(config.alerts)} alert channels)"
    )


# -- stories and articles -------------------------------------------------------------------


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """An ISO date or date-time (UTC when no zone is given), or an age such as 36h or 7d."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[:-1].isdigit() and value[-1] in units:
        return now - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a date (2025-02-04) nor an age (36h, 7d)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _explain(event: str, explanation: dict[str, Any], language: str) -> str:
    """One line saying why a report is what it is: what is new (``stories.wording``, in the
    report's language), or why nothing is."""
    return WhatIsNew.from_explanation(event, explanation).sentence(language)


def _pages(limit: int, fetch: Callable[[int, int], Any]) -> list[Any]:
    """The first ``limit`` items of a paginated read function (``fetch(page, per_page)``)."""
    from storage.read.common import MAX_PER_PAGE

    per_page, page = max(1, min(limit, MAX_PER_PAGE)), 1
    items: list[Any] = []
    while len(items) < limit:
        result = fetch(page, per_page)
        items += result.items[: limit - len(items)]
        if not result.has_next:
            break
        page += 1
    return items


def _print_json(models: list[Any]) -> None:
    """The same objects as the JSON API (``/api/…``) prints for them."""
    click.echo(json.dumps([model.model_dump(mode="json") for model in models], ensure_ascii=False, indent=2))


@main.command()
@click.option("--watch", metavar="W", help="only this watch")
@click.option("--since", metavar="D", help=SINCE_HELP)
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON (each story as /api/stories/ID gives it)")
@pass_app
def stories(app: AppContext, watch: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """The stories collected, most recently active first, with their reports."""
    from storage.read.stories import StoryFilters, story_details

    config = app.load()
    database = _database(config)
    with database.read_session() as session:
        details = story_details(session, StoryFilters(watch=watch, active_since=parse_since(since)), limit=limit)
    database.dispose()
    if as_json:
        _print_json(details)
        return
    for story in details:
        click.echo(f"#{story.id} [{story.watch}] {story.title}")
        seen = f"first {_when(story.first_seen)}, last {_when(story.last_seen)}"
        click.echo(f"    {len(story.articles)} report(s), {seen}")
        for report in story.articles:
            click.echo(f"    - {report.event:<11} {report.feed} ({report.language}): {report.title}")
            explained = _explain(report.event, report.explanation.stored(), report.language)
            if explained:
                click.echo(f"      {explained}")
    click.echo(f"{len(details)} stories")


@main.command()
@click.option("--watch", metavar="W", help="only articles matching this watch")
@click.option("--since", metavar="D", help=SINCE_HELP)
@click.option("--all", "include_unmatched", is_flag=True, help="also articles that matched no watch")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON (each article as /api/articles lists it)")
@pass_app
def articles(
    app: AppContext, watch: str | None, since: str | None, include_unmatched: bool, limit: int, as_json: bool
) -> None:
    """The articles collected, newest first (matching ones unless --all)."""
    from storage.read.articles import articles_page

    config = app.load()
    database = _database(config)
    when = parse_since(since)
    with database.read_session() as session:
        rows = _pages(
            limit,
            lambda page, per_page: articles_page(
                session,
                watch=watch,
                since=when,
                matched_only=not include_unmatched,
                page=page,
                per_page=per_page,
            ),
        )
    database.dispose()
    if as_json:
        _print_json(rows)
        return
    for article in rows:
        watches = ", ".join(f"{name}: {event}" for name, event in article.watches.items()) or "no watch"
        click.echo(f"{_when(article.fetched_at)}  {article.feed} ({article.language})  {article.title}")
        click.echo(f"    {watches}  {article.url or ''}")
    click.echo(f"{len(rows)} articles")


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


# -- feeds ----------------------------------------------------------------------------------


@main.group("feeds")
def feeds_group() -> None:
    """The configured feeds and their health."""


@feeds_group.command("list")
@click.option("--reveal", is_flag=True, help="show credentials and api keys in feed addresses (masked as ***)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (each feed as /api/feeds gives it)")
@pass_app
def feeds_list(app: AppContext, reveal: bool, as_json: bool) -> None:
    """Each feed's health: last fetch, status, last error; failing, dead or quiet."""
    from storage import repo
    from storage.read.feeds import feed_rows
    from web.health import judge_feeds

    config = app.load()
    database = _database(config)
    now = datetime.now(UTC)
    with database.session() as session:
        repo.sync_feeds(session, config.feeds)
        stored = feed_rows(session, now)
    database.dispose()
    rows = [row for row in judge_feeds(stored, config, now, reveal=reveal) if row.configured]
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        line = f"{row.health:<8} {row.name} (last fetch {_when(row.last_fetch_at)}, {row.last_status or '-'})"
        click.echo(line + (f" — {row.url}: {row.last_error}" if row.last_error else ""))
    unhealthy = sum(row.health in ("failing", "dead") for row in rows)
    click.echo(f"{len(rows)} feeds, {unhealthy} failing or dead")


@feeds_group.command("export")
@click.option("--reveal", is_flag=True, help="keep credentials and api keys in feed addresses (masked as ***)")
@pass_app
def feeds_export(app: AppContext, reveal: bool) -> None:
    """Print the configured feeds as OPML 2.0 (for a feed reader)."""
    from web.opml import export_opml

    config = app.load()
    sys.stdout.buffer.write(export_opml(config.feeds, title="Raqib feeds", reveal=reveal))


@feeds_group.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def feeds_import(app: AppContext, opml_file: Path) -> None:
    """Print [[feeds]] TOML for the feeds of an OPML file (append it to your config)."""
    from web.opml import OpmlError, import_opml, toml_for

    config = app.load()
    try:
        result = import_opml(opml_file.read_bytes(), existing=config.feeds)
    except OpmlError as error:
        click.echo(f"{opml_file}: {error}", err=True)
        sys.exit(1)
    click.echo(toml_for(result.feeds), nl=False)
    for reason in result.skipped:
        click.echo(f"skipped: {reason}", err=True)
    click.echo(f"# {len(result.feeds)} feeds from {opml_file}, {len(result.skipped)} skipped", err=True)


# -- alerts ---------------------------------------------------------------------------------


@main.group("alerts")
def alerts_group() -> None:
    """Deliver, inspect and test alerts."""


def _database(config: RaqibConfig) -> Any:
    from storage.db import Database

    database = Database(config.database)
    database.upgrade()
    return database


@alerts_group.command("deliver")
@pass_app
def alerts_deliver(app: AppContext) -> None:
    """Deliver what is due in the outbox now."""
    from alerts.channels import build_deliverer

    config = app.load()
    database = _database(config)
    report = build_deliverer(config, database, os.environ).deliver_due()
    database.dispose()
    click.echo(report.line())
    sys.exit(1 if report.failed or report.dead else 0)


@alerts_group.command("list")
@click.option("--failed", is_flag=True, help="only dead-lettered alerts (retries exhausted or channel gone)")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON (each alert as /api/alerts gives it)")
@pass_app
def alerts_list(app: AppContext, failed: bool, limit: int, as_json: bool) -> None:
    """The newest alerts with their delivery status and attempts."""
    from storage.read.alerts import alerts_page

    config = app.load()
    database = _database(config)
    status = "dead" if failed else None
    with database.read_session() as session:
        rows = _pages(limit, lambda page, per_page: alerts_page(session, status=status, page=page, per_page=per_page))
    database.dispose()
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        click.echo(
            f"#{row.id} {row.status:<8} {row.channel} {row.event_type} [{row.watch}] {row.article_title} "
            f"(attempts {row.attempts}, created {_when(row.created_at)}, sent {_when(row.sent_at)})"
        )
        if row.last_error:
            click.echo(f"    last error: {row.last_error}")
    click.echo(f"{len(rows)} alerts")


@alerts_group.command("retry")
@click.argument("alert_id", type=int)
@pass_app
def alerts_retry(app: AppContext, alert_id: int) -> None:
    """Send a dead-lettered alert again (same event id), then deliver what is due."""
    from alerts.channels import build_deliverer
    from storage import outbox

    config = app.load()
    database = _database(config)
    with database.session() as session:
        if not outbox.retry_now(session, alert_id, datetime.now(UTC)):
            raise click.UsageError(f"no unsent alert #{alert_id}; see `raqib alerts list`")
    report = build_deliverer(config, database, os.environ).deliver_due()
    database.dispose()
    click.echo(report.line())
    sys.exit(1 if report.failed or report.dead else 0)


@alerts_group.command("enable")
@click.argument("channel")
@pass_app
def alerts_enable(app: AppContext, channel: str) -> None:
    """Send through a channel again after its receiver answered 410 Gone."""
    from storage import outbox

    config = app.load()
    database = _database(config)
    with database.session() as session:
        enabled = outbox.enable_channel(session, channel)
    database.dispose()
    if not enabled:
        raise click.UsageError(f"alert channel {channel!r} is not disabled; see `raqib alerts list --failed`")
    click.echo(
        f"{channel}: enabled again; alerts dead-lettered while it was disabled stay so (`raqib alerts retry ID`)"
    )


@alerts_group.command("test")
@click.argument("channel")
@pass_app
def alerts_test(app: AppContext, channel: str) -> None:
    """Send a clearly marked test message through one channel."""
    from alerts.channels import send_test

    config = app.load()
    names = [alert.name for alert in config.alerts]
    if channel not in names:
        raise click.UsageError(f"no alert channel named {channel!r}; configured: {', '.join(names) or 'none'}")
    result = send_test(config, channel, os.environ)
    if result.ok:
        click.echo(f"{channel}: test message delivered")
        return
    click.echo(f"{channel}: test message failed: {result.error}", err=True)
    sys.exit(1)


# -- export and import ----------------------------------------------------------------------


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@pass_app
def export_command(app: AppContext, file: Path) -> None:
    """Write the whole history (feeds, articles, stories, decisions, alerts) as JSON lines."""
    from storage.export import export_to

    config = app.load()
    database = _database(config)
    if str(file) == "-":
        counts = export_to(database, sys.stdout)
    else:
        with file.open("w", encoding="utf-8") as out:
            counts = export_to(database, out)
    database.dispose()
    summary = ", ".join(f"{count} {table}" for table, count in counts.items()) or "nothing stored yet"
    click.echo(f"exported {summary}" + ("" if str(file) == "-" else f" to {file}"), err=str(file) == "-")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@pass_app
def import_command(app: AppContext, file: Path) -> None:
    """Read an export into this config's database, keeping ids; rows already there are kept."""
    from storage.export import ExportError, import_from

    config = app.load()
    database = _database(config)
    try:
        if str(file) == "-":
            report = import_from(database, sys.stdin)
        else:
            with file.open(encoding="utf-8") as lines:
                report = import_from(database, lines)
    except ExportError as error:
        click.echo(f"raqib import: {file}: {error}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(report.line())


# -- demo -----------------------------------------------------------------------------------


@main.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="keep the demo data in this folder")
@click.option("--serve", is_flag=True, help="then serve the web page on the demo data (until Ctrl-C)")
@click.option("--port", type=int, default=None, help="port for --serve (default 8080, else a free one)")
def demo(keep: Path | None, serve: bool, port: int | None) -> None:
    """The whole loop offline: serve bundled feeds on loopback, crawl them twice, show the result."""
    from raqib.demo import run_demo

    sys.exit(run_demo(keep, serve=serve, port=port))


if __name__ == "__main__":
    main()
