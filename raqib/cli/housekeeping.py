"""`raqib config check`, `export`, `import` and `demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from config.loader import check_config, load_config
from raqib.cli.app import AppContext, main, open_database, pass_app

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


# -- export and import ----------------------------------------------------------------------


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@pass_app
def export_command(app: AppContext, file: Path) -> None:
    """Write the whole history (feeds, articles, stories, decisions, alerts) as JSON lines."""
    from storage.export import export_to

    config = app.load()
    database = open_database(config)
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
    database = open_database(config)
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
