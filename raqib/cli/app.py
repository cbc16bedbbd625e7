"""The ``raqib`` command group, its context and the helpers its commands share."""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from config.loader import load_config, resolve_config_path, resolve_data_dir
from config.problems import ConfigError
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


_as_program = False  # set by ``run``: this process is the command, not a test calling it


def run() -> None:
    """The program's entry point (``python -m raqib``, the ``raqib`` script)."""
    global _as_program
    _as_program = True
    main()


def settle_for_one_crawl() -> None:
    """As the program, about to run one crawl and exit: what was imported and configured so far
    lives until the end (``finish`` skips the teardown), so the collector stops walking it
    (``gc.freeze``), and it runs a tenth as often, the crawl's garbage being short-lived: 15 % of
    the CPU of a cycle of unchanged feeds. A test calling the command keeps its collector as is."""
    if _as_program:
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)


def finish(status: int) -> NoReturn:
    """End a one-shot command whose work is all closed (a crawl: workers stopped, writer joined,
    database disposed). As the program it skips the interpreter's teardown, which frees every
    module of SQLAlchemy, Scrapy and Twisted one object at a time (0.1-0.3 s, a tenth of a cycle
    of unchanged feeds) only for the memory to be returned to the system anyway."""
    if _as_program:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)


# -- shared by the commands ----------------------------------------------------------------


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


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def when_text(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def first_pages(limit: int, fetch: Callable[[int, int], Any]) -> list[Any]:
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


def print_json(models: list[Any]) -> None:
    """The same objects as the JSON API (``/api/…``) prints for them."""
    click.echo(json.dumps([model.model_dump(mode="json") for model in models], ensure_ascii=False, indent=2))


def open_database(config: RaqibConfig) -> Any:
    from storage.db import Database

    database = Database(config.database)
    database.upgrade()
    return database


def explain(event: str, explanation: dict[str, Any], language: str) -> str:
    """One line saying why a report is what it is: what is new (``stories.wording``, in the
    report's language), or why nothing is."""
    return WhatIsNew.from_explanation(event, explanation).sentence(language)
