"""The composition root: every part of Raqib built once from the validated config.

Nothing else constructs the database, the story desk, the outbox writer, the worker pool or the
crawler's settings; commands and runners ask here.

Importing this module is cheap (the database layer, the crawl and the desk are imported by the
functions that build them): a first crawl starts its parse workers and decide process here first
(``early_start``) and imports SQLAlchemy and Scrapy while they start.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from config.schema import RaqibConfig
from crawler.handler import FetchHandler
from crawler.items import FeedJob
from ingest.clock import Clock
from ingest.decider import DecideParts, DecideProcess
from ingest.workers import WorkerPool, worker_pool

if TYPE_CHECKING:
    # What deciding needs is imported where it is built: a crawl's own process, and every cycle
    # that decides nothing, never load the desk, the encoder or the alert channels.
    from alerts.outbox import OutboxWriter
    from ingest.crawl import CrawlResult
    from ingest.desk import StoryDesk
    from storage.db import Database


def database(config: RaqibConfig) -> Database:
    from storage.db import Database

    return Database(config.database)


@dataclass(frozen=True, slots=True)
class EarlyStart:
    """What a crawl sure to parse and decide started before its own slow start (``early_start``)."""

    clock: Clock
    pool: WorkerPool
    decider: DecideProcess | None  # None: no watch, nothing to decide


def early_start(config: RaqibConfig, as_of: datetime | None = None, names: Sequence[str] = ()) -> EarlyStart | None:
    """The parse workers and the decide process, started now, when the crawl (of ``names``, all
    enabled feeds when empty) will surely parse: its database is a SQLite file not made yet, or
    one where some of its feeds were never fetched (the first crawl under ``raqib run``, whose
    scheduler creates the database first). The workers import and
    initialise (~0.3 s), the decide process loads the sentence encoder (~0.5 s), on the other core
    while this process imports SQLAlchemy and Scrapy, creates the schema and starts the crawler:
    not after all that, beside the parsing. None otherwise: ``run_crawl`` starts the workers with
    the first feed to parse and the decide process with the first match, and a cycle of unchanged
    feeds starts neither."""
    wanted = list(names) or [feed.name for feed in config.feeds if feed.enabled]
    if not _new_sqlite_file(config.database) and not _never_fetched(config.database, wanted):
        return None
    clock = Clock.as_of(as_of)
    pool = worker_pool(config)
    pool.start()
    decider = None
    if config.watches:
        decider = DecideProcess(partial(decide_parts, config), clock)
        decider.start()
    return EarlyStart(clock, pool, decider)


def _sqlite_path(url: str) -> str | None:
    """The file a ``sqlite:///`` URL names; None for anything else (PostgreSQL, in-memory, a
    ``file:`` URI)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def _new_sqlite_file(url: str) -> bool:
    """Whether ``url`` names a SQLite file that does not exist yet (or is empty), read without
    SQLAlchemy; False for anything else (PostgreSQL, in-memory, a ``file:`` URI)."""
    path = _sqlite_path(url)
    if path is None:
        return False
    try:
        return Path(path).expanduser().stat().st_size == 0
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _never_fetched(url: str, names: Sequence[str]) -> bool:
    """Whether one of ``names`` was never fetched (no row yet, or no fetch recorded) in the SQLite
    file ``url`` names; read with the standard library, before SQLAlchemy is imported. False when
    the file cannot be read so (PostgreSQL, an old schema): the crawl then starts its workers with
    the first feed to parse, as before. A feed that failed has a fetch recorded: a feed failing
    for days does not start workers ahead of every cycle."""
    import sqlite3

    path = _sqlite_path(url)
    if path is None or not names:
        return False
    try:
        connection = sqlite3.connect(f"{Path(path).expanduser().resolve().as_uri()}?mode=ro", uri=True)
        try:
            fetched = {name for (name,) in connection.execute("SELECT name FROM feeds WHERE last_fetch_at IS NOT NULL")}
        finally:
            connection.close()
    except (sqlite3.Error, ValueError):
        return False
    return any(name not in fetched for name in names)


def story_desk(config: RaqibConfig) -> StoryDesk:
    """The story desk as the config sets it: the sentence encoder (loaded once per process),
    each watch's development categories and the story window."""
    # One thread: a report's few sentences are a small batch, and BLAS threads fighting over the
    # cores made it ~7x slower per article (bench/bench_encoder.py 2 against 1).
    from ingest.desk import StoryDesk, StorySettings
    from stories.concepts import Lexicon
    from stories.semantic import load_encoder

    encoder = load_encoder(1, encoder_table_cache())
    categorisers = {watch.name: watch.categoriser(encoder) for watch in config.watches}
    settings = StorySettings(window=config.stories.window)
    return StoryDesk(Lexicon(), settings, encoder=encoder, categorisers=categorisers)


def encoder_table_cache() -> Path | None:
    """Where the encoder's unpacked embedding table is kept (stories.encoder_table): the user's
    cache folder, ``$XDG_CACHE_HOME/raqib`` else ``~/.cache/raqib``. One copy per installed
    version serves every data folder and process of the user. None (the table is loaded in
    memory) for a user without a home folder."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(base) / "raqib"


def outbox_writer(config: RaqibConfig) -> OutboxWriter | None:
    """Alert rows for the enabled channels, written with each decision (None: no channel)."""
    if not any(alert.enabled for alert in config.alerts):
        return None  # and the email, chat and webhook clients are not even imported
    from alerts.channels import active_channels
    from alerts.outbox import OutboxWriter

    channels = active_channels(config)
    return OutboxWriter(list(channels.values()), config.web.public_url()) if channels else None


def decide_parts(config: RaqibConfig) -> DecideParts:
    """What the embedded crawl's decide process decides with; called in that process."""
    return DecideParts(database(config), lambda: story_desk(config), outbox_writer(config))


def run_crawl(
    config: RaqibConfig,
    names: Sequence[str] = (),
    *,
    only_due: bool = False,
    log_level: str = "WARNING",
    as_of: datetime | None = None,
    decide: bool = True,
    parse_workers: int | None = None,
    early: EarlyStart | None = None,
) -> CrawlResult:
    """One crawl cycle in this process (a Twisted reactor cannot restart: one per process).
    ``decide=False``: store only, a decide job decides (the distributed mode); ``parse_workers``
    overrides ``[pipeline] workers``, the parse pool's size; ``early``: what ``early_start``
    started for this crawl (and ``as_of`` it was given), finished and closed here."""
    from ingest.crawl import crawl_cycle

    if parse_workers is not None:
        config = config.model_copy(update={"pipeline": config.pipeline.model_copy(update={"workers": parse_workers})})

    db = database(config)
    clock = early.clock if early is not None else Clock.as_of(as_of)
    decider = early.decider if early is not None else None
    if early is None and decide:
        decider = DecideProcess(partial(decide_parts, config), clock)  # started by its first notice
    with early.pool if early is not None else worker_pool(config, beside_decider=decide) as pool:
        if not db.at_head():
            # A new database: every feed will need parsing, so the workers start (and import)
            # beside the migration and the crawler's own imports.
            pool.start()
        db.upgrade()
        from crawler.runner import fetch, scrapy_settings

        settings = scrapy_settings(config, log_level)

        def fetch_jobs(jobs: list[FeedJob], handler: FetchHandler) -> None:
            fetch(settings, jobs, handler)

        try:
            return crawl_cycle(
                config,
                db,
                pool,
                lambda: story_desk(config),  # only to revise a matched report's story
                decider,
                fetch_jobs,
                names,
                only_due=only_due,
                clock=clock,
            )
        finally:
            db.dispose()
