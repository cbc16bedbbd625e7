"""`raqib stories`, `articles` and `feeds`: what is stored, as the web page's read models give it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from raqib.cli.app import (
    SINCE_HELP,
    AppContext,
    explain,
    first_pages,
    main,
    open_database,
    parse_since,
    pass_app,
    print_json,
    when_text,
)


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
    database = open_database(config)
    with database.read_session() as session:
        details = story_details(session, StoryFilters(watch=watch, active_since=parse_since(since)), limit=limit)
    database.dispose()
    if as_json:
        print_json(details)
        return
    for story in details:
        click.echo(f"#{story.id} [{story.watch}] {story.title}")
        seen = f"first {when_text(story.first_seen)}, last {when_text(story.last_seen)}"
        click.echo(f"    {len(story.articles)} report(s), {seen}")
        for report in story.articles:
            click.echo(f"    - {report.event:<11} {report.feed} ({report.language}): {report.title}")
            explained = explain(report.event, report.explanation.stored(), report.language)
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
    database = open_database(config)
    when = parse_since(since)
    with database.read_session() as session:
        rows = first_pages(
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
        print_json(rows)
        return
    for article in rows:
        watches = ", ".join(f"{name}: {event}" for name, event in article.watches.items()) or "no watch"
        click.echo(f"{when_text(article.fetched_at)}  {article.feed} ({article.language})  {article.title}")
        click.echo(f"    {watches}  {article.url or ''}")
    click.echo(f"{len(rows)} articles")


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
    from storage import feed_repo
    from storage.read.feeds import feed_rows
    from web.health import judge_feeds

    config = app.load()
    database = open_database(config)
    now = datetime.now(UTC)
    with database.session() as session:
        feed_repo.sync_feeds(session, config.feeds)
        stored = feed_rows(session, now)
    database.dispose()
    rows = [row for row in judge_feeds(stored, config, now, reveal=reveal) if row.configured]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        line = f"{row.health:<8} {row.name} (last fetch {when_text(row.last_fetch_at)}, {row.last_status or '-'})"
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
