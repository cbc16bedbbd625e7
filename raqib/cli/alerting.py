"""`raqib alerts …`: deliver, list, retry, enable and test alert channels."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

import click

from raqib.cli.app import AppContext, first_pages, main, open_database, pass_app, print_json, when_text

# -- alerts ---------------------------------------------------------------------------------


@main.group("alerts")
def alerts_group() -> None:
    """Deliver, inspect and test alerts."""


@alerts_group.command("deliver")
@pass_app
def alerts_deliver(app: AppContext) -> None:
    """Deliver what is due in the outbox now."""
    from alerts.channels import build_deliverer

    config = app.load()
    database = open_database(config)
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
    database = open_database(config)
    status = "dead" if failed else None
    with database.read_session() as session:
        rows = first_pages(
            limit, lambda page, per_page: alerts_page(session, status=status, page=page, per_page=per_page)
        )
    database.dispose()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(
            f"#{row.id} {row.status:<8} {row.channel} {row.event_type} [{row.watch}] {row.article_title} "
            f"(attempts {row.attempts}, created {when_text(row.created_at)}, sent {when_text(row.sent_at)})"
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
    database = open_database(config)
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
    database = open_database(config)
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
