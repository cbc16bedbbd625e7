"""Storage on a real SQLite file and a real PostgreSQL server (the `database` fixture runs both)."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection, make_url

from ingest.desk import StoryDesk
from ingest.store import save_article
from storage import feed_repo, repo, search_tables
from storage.db import Database, alembic_config, head_revision
from storage.models import Article, Base, WatchMatch
from storage.read.articles import article_detail, articles_page
from storage.read.stories import StoryFilters, stories_page, story_details
from storage.types import FetchResult, FetchStatus
from stories.concepts import Lexicon
from stories.types import Analysis, ArticleFate, ArticleOutcome, Entry, EventType, WatchHit

T0 = datetime(2025, 2, 4, 10, 0, tzinfo=UTC)
WATCH = "nk-troops-kursk"
OTHER_WATCH = "drones"


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str = "en"


FEEDS = [
    FeedSpec("Wire", "https://wire.example/rss"),
    FeedSpec("Al Jazeera Arabic", "https://aj.example/ar", "ar"),
]


def entry(title: str = "North Korean troops in Kursk", text: str = "Soldiers were seen.", **kw: object) -> Entry:
    fields: dict[str, object] = {
        "feed": "Wire",
        "title": title,
        "text": text,
        "url": "https://wire.example/1",
    }
    fields.update(kw)
    return Entry(**fields)  # type: ignore[arg-type]


def analysis(
    identity: str = "u:1", content_hash: str = "c1", watches: tuple[str, ...] = (WATCH,), language: str = "en"
) -> Analysis:
    hits = tuple(WatchHit(watch, ("north korea", "kursk")) for watch in watches)
    return Analysis(identity, "https://wire.example/1", language, content_hash, hits)  # type: ignore[arg-type]


DESK = StoryDesk(Lexicon())
UNRELATED = [
    ("Oil prices climb in Asian trading", "Crude futures rose two percent as refiners bought ahead of winter."),
    ("Heavy snow closes alpine passes", "Several roads across the Alps were shut after a storm overnight."),
    ("Central bank keeps rates on hold", "Policy makers left borrowing costs unchanged and signalled patience."),
    ("Telescope maps distant galaxies", "Astronomers released a survey charting a million faint galaxies."),
    ("Football club appoints new coach", "The league leaders named their former captain as head coach."),
]


def save(db: Database, an: Analysis, en: Entry | None = None, *, now: datetime = T0, feed: str = "Wire"):
    with db.session() as session:
        return save_article(session, feed, en or entry(), an, desk=DESK, now=now)


def article_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Article)) or 0


@pytest.fixture
def db(database: Database) -> Database:
    with database.session() as session:
        feed_repo.sync_feeds(session, FEEDS)
    return database


# --- schema --------------------------------------------------------------------------------


def test_upgrade_from_empty_creates_the_schema_the_models_describe(database: Database) -> None:
    database.upgrade()  # a second run is a no-op
    with database.engine.connect() as connection:
        # The search index (an FTS5 table on SQLite, a GIN index on PostgreSQL) lives outside the
        # models on purpose; storage.search_tables names it.
        options = {"compare_type": True, "include_name": search_tables.is_search_index_object}
        context = MigrationContext.configure(connection, opts=options)
        assert compare_metadata(context, Base.metadata) == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert head is not None and context.get_current_revision() == head


def test_a_new_database_is_created_as_the_migrations_would_leave_it(database_url: str, tmp_path: Path) -> None:
    # A new database is created from the models in one step (storage.schema) instead of running
    # every migration; naming the newest revision runs them. Both must give the same schema,
    # down to the search index, the queue's schema and the recorded version.
    created = Database(database_url)
    migrated_url = (
        f"sqlite:///{tmp_path / 'migrated.db'}" if created.is_sqlite else _sibling_database(database_url, "migrated")
    )
    migrated = Database(migrated_url)
    try:
        created.upgrade()
        migrated.upgrade(head_revision())
        with created.engine.connect() as connection:
            created_schema = _schema(connection)
        with migrated.engine.connect() as connection:
            migrated_schema = _schema(connection)
        assert created_schema["tables"]["articles"]["columns"]  # the description reads real tables
        assert "alembic_version" in created_schema["tables"]
        for part in created_schema:
            assert created_schema[part] == migrated_schema[part], part
        assert created.at_head() and migrated.at_head()
    finally:
        created.dispose()
        migrated.dispose()
        if not created.is_sqlite:
            _drop_database(migrated_url)


def _sibling_database(url: str, suffix: str) -> str:
    """A new empty PostgreSQL database on the same server as ``url``."""
    sibling = make_url(url)
    sibling = sibling.set(database=f"{sibling.database}_{suffix}")
    _as_admin(url, f'CREATE DATABASE "{sibling.database}"')
    return sibling.render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    _as_admin(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _as_admin(url: str, statement: str) -> None:
    """Run ``statement`` outside a transaction on the server of ``url``, in its ``postgres`` database."""
    admin = Database(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(statement)
    finally:
        admin.dispose()


def _schema(connection: Connection) -> dict[str, Any]:
    """What a schema is made of, as the database reports it: every table's columns, keys,
    indexes and constraints, and the objects outside the models (SQLite: the FTS5 table and its
    trigger, WITHOUT ROWID tables; PostgreSQL: triggers, table options, the queue's schema)."""
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        tables[table] = {
            # By name: a column a migration added comes last, the models may place it elsewhere.
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in inspector.get_columns(table)
            ),
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(
                (
                    str(fk["name"]),
                    fk["constrained_columns"],
                    fk["referred_table"],
                    fk["referred_columns"],
                    fk["options"],
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (str(ix["name"]), [str(c) for c in ix["column_names"]], ix["unique"], str(ix.get("dialect_options")))
                for ix in inspector.get_indexes(table)
            ),
            "unique": sorted((str(u["name"]), u["column_names"]) for u in inspector.get_unique_constraints(table)),
            "checks": sorted((str(c["name"]), c["sqltext"]) for c in inspector.get_check_constraints(table)),
        }
    schema: dict[str, Any] = {"tables": tables}
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master").all()
        schema["outside the models"] = sorted(
            (kind, name, table, " ".join((sql or "").split()))
            for kind, name, table, sql in rows
            if kind == "trigger" or name.startswith(search_tables.FTS_TABLE)
        )
        schema["without rowid"] = sorted(
            name for kind, name, _, sql in rows if kind == "table" and (sql or "").upper().endswith("WITHOUT ROWID")
        )
    else:
        schema["triggers"] = sorted(
            tuple(row)
            for row in connection.exec_driver_sql(
                "SELECT event_object_table, trigger_name, event_manipulation, action_statement "
                "FROM information_schema.triggers WHERE trigger_schema = 'public'"
            )
        )
        schema["table options"] = sorted(
            (row[0], str(row[1]))
            for row in connection.exec_driver_sql(
                "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        )
        schema["queue"] = sorted(
            tuple(row)
            for row in connection.exec_driver_sql(
                "SELECT c.relkind::text, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'procrastinate' UNION ALL "
                "SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' "
                "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'procrastinate'"
            )
        )
        assert schema["queue"], "the queue's schema is missing"
    return schema


def test_the_cheap_head_check_agrees_with_alembic(database_url: str) -> None:
    # Every crawl skips Alembic when the database is at head: that shortcut must see what Alembic sees.
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    database = Database(database_url)
    try:
        assert not database.at_head()  # empty: no version table yet
        database.upgrade("0001")
        assert not database.at_head()
        database.upgrade()
        assert database.at_head()
    finally:
        database.dispose()


def test_upgrading_a_0001_database_keeps_its_articles(database_url: str) -> None:
    database = Database(database_url)
    try:
        database.upgrade("0001")
        with database.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO feeds (name, url, language, consecutive_failures, created_at) "
                "VALUES ('عربي', 'http://example.org/f', 'ar', 0, '2025-02-04 10:00:00')"
            )
            connection.exec_driver_sql(
                "INSERT INTO articles (feed_id, identity, title, summary, text, language, fetched_at, updated_at, "
                "content_hash, revisions) SELECT id, 'g:1', 'كورسك', '', '', 'ar', '2025-02-04 10:00:00', "
                "'2025-02-04 10:00:00', 'h', 0 FROM feeds"
            )
        database.upgrade()
        with database.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT title, fingerprint FROM articles").all()
        assert [tuple(row) for row in rows] == [("كورسك", None)]
    finally:
        database.dispose()


def test_sqlite_file_uses_wal_foreign_keys_and_creates_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "raqib.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        db.dispose()
    assert path.exists()
    # WAL is a property of the file: any other client sees it too.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_session_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        save_article(session, "Wire", entry(), analysis(), desk=DESK)
        raise RuntimeError("crawl crashed")
    assert article_count(db) == 0


# --- articles ------------------------------------------------------------------------------


def test_same_entry_twice_is_new_then_seen(db: Database) -> None:
    first = save(db, analysis())
    second = save(db, analysis(), now=T0 + timedelta(minutes=15))
    assert first.fate is ArticleFate.NEW
    assert first.events == {WATCH: EventType.NEW_STORY}
    assert second == ArticleOutcome(ArticleFate.SEEN, first.article_id, {})
    assert article_count(db) == 1
    with db.session() as session:
        assert repo.known_content_hashes(session, ["u:1", "u:2"]) == {"u:1": "c1"}


def test_changed_text_updates_the_stored_article(db: Database) -> None:
    first = save(db, analysis())
    revised = save(
        db,
        analysis(content_hash="c2", watches=(WATCH, OTHER_WATCH)),
        entry(text="Soldiers and drones were seen."),
        now=T0 + timedelta(hours=1),
    )
    assert revised.fate is ArticleFate.UPDATED
    assert revised.article_id == first.article_id
    # The known watch is an update of its report; the newly matched watch starts a story.
    assert revised.events == {WATCH: EventType.UPDATE, OTHER_WATCH: EventType.NEW_STORY}
    assert article_count(db) == 1
    with db.session() as session:
        [row] = articles_page(session, matched_only=False).items
        detail = article_detail(session, first.article_id)
        stored = session.get(Article, first.article_id)
        assert stored is not None
        assert stored.text == "Soldiers and drones were seen."
        assert stored.content_hash == "c2"
    assert detail is not None and detail.revisions == 1
    assert detail.fetched_at == T0
    assert detail.updated_at == T0 + timedelta(hours=1)
    assert row.watches == {WATCH: "new_story", OTHER_WATCH: "new_story"}  # original event kept


def test_arabic_text_round_trips_exactly(db: Database) -> None:
    title = "قوات كورية شمالية في كورسك: «مسيّرات» وجنود — ١٢٬٠٠٠"
    body = "أفادت التقارير بأنّ جنوداً من كوريا الشمالية انتشروا في منطقة كورسك الروسية."
    en = entry(title=title, text=body, feed="Al Jazeera Arabic", summary="ملخّص")
    outcome = save(db, analysis(identity="g:ar-1", language="ar"), en, feed="Al Jazeera Arabic")
    with db.session() as session:
        stored = session.get(Article, outcome.article_id)
        assert stored is not None
        assert (stored.title, stored.text, stored.summary, stored.language) == (title, body, "ملخّص", "ar")
        [story] = story_details(session, StoryFilters())
    assert story.title == title
    assert story.articles[0].feed == "Al Jazeera Arabic"


def test_timestamps_come_back_timezone_aware_utc(db: Database) -> None:
    riyadh = timezone(timedelta(hours=3))
    local_now = datetime(2025, 2, 4, 13, 30, tzinfo=riyadh)
    published = datetime(2025, 2, 4, 9, 0, tzinfo=UTC)
    saved = save(db, analysis(), entry(published=published), now=local_now)
    with db.session() as session:
        row = article_detail(session, saved.article_id)
        [story] = story_details(session, StoryFilters())
    assert row is not None
    for value in (row.fetched_at, row.updated_at, row.published_at, story.first_seen, story.last_seen):
        assert value is not None
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert value.tzinfo == UTC
    assert row.fetched_at == datetime(2025, 2, 4, 10, 30, tzinfo=UTC)
    assert row.published_at == published


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.session() as session:
        save_article(session, "Wire", entry(), analysis(), desk=DESK, now=datetime(2025, 2, 4, 10, 0))


def test_unknown_feed_is_named(db: Database) -> None:
    with pytest.raises(feed_repo.UnknownFeedError, match="Nowhere"), db.session() as session:
        save_article(session, "Nowhere", entry(feed="Nowhere"), analysis(), desk=DESK)


# --- two processes storing the same identity -----------------------------------------------


@pytest.mark.parametrize(("content_hash", "fate"), [("c1", ArticleFate.SEEN), ("c2", ArticleFate.UPDATED)])
def test_insert_race_falls_back_instead_of_raising(
    db: Database, monkeypatch: pytest.MonkeyPatch, content_hash: str, fate: ArticleFate
) -> None:
    """Both processes looked the identity up before either stored it; the second insert loses."""
    other_process = Database(db.url)
    try:
        first = save(db, analysis())
        real_known = repo.known_content_hashes
        lookups = iter([{}])  # the second process's look-up ran before the first one committed

        def stale_then_real(*args: object, **kwargs: object) -> dict[str, str]:
            return next(lookups, None) or real_known(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(repo, "known_content_hashes", stale_then_real)
        second = save(other_process, analysis(content_hash=content_hash))
    finally:
        other_process.dispose()
    assert (second.fate, second.article_id) == (fate, first.article_id)
    assert article_count(db) == 1


def test_concurrent_sessions_storing_the_same_identity(db: Database) -> None:
    """A real race: the second session stores while the first has inserted but not committed."""
    other_process = Database(db.url)
    outcomes: list[ArticleOutcome] = []
    errors: list[BaseException] = []

    def second_process() -> None:
        try:
            outcomes.append(save(other_process, analysis(), now=T0 + timedelta(seconds=1)))
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    try:
        with db.session() as session:
            first = save_article(session, "Wire", entry(), analysis(), desk=DESK, now=T0)
            worker = threading.Thread(target=second_process)
            worker.start()
            _wait_until_blocked(db, worker)
        worker.join(timeout=30)
    finally:
        other_process.dispose()
    assert not errors, errors
    assert [(o.fate, o.article_id) for o in outcomes] == [(ArticleFate.SEEN, first.article_id)]
    assert article_count(db) == 1


def _wait_until_blocked(db: Database, worker: threading.Thread) -> None:
    if db.is_sqlite:
        # The worker waits in SQLite's busy handler for our write lock; nothing to observe.
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 10
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with db.engine.connect() as monitor:
        while time.monotonic() < deadline and worker.is_alive():
            waiting = monitor.execute(query).scalar()
            monitor.rollback()  # pg_stat_activity is a snapshot held until the transaction ends
            if waiting:
                return
            time.sleep(0.02)
    pytest.fail(f"the second session never waited on the first one's insert (alive: {worker.is_alive()})")


# --- feeds ---------------------------------------------------------------------------------


def result(status: FetchStatus, minutes: int, **kw: object) -> FetchResult:
    started = T0 + timedelta(minutes=minutes)
    fields: dict[str, object] = {
        "feed": "Wire",
        "url": "https://wire.example/rss",
        "started_at": started,
        "finished_at": started + timedelta(seconds=2),
        "status": status,
        "http_status": 200,
    }
    fields.update(kw)
    return FetchResult(**fields)  # type: ignore[arg-type]


def record(db: Database, fetch: FetchResult) -> feed_repo.FeedState:
    with db.session() as session:
        feed_repo.record_fetch(session, fetch)
        return feed_repo.feed_states(session)[fetch.feed]


def test_record_fetch_keeps_the_feed_health(db: Database) -> None:
    ok = record(db, result(FetchStatus.OK, 0, etag='"v1"', last_modified="Tue, 04 Feb 2025", body_hash="b1", new=2))
    assert (ok.etag, ok.last_modified, ok.body_hash) == ('"v1"', "Tue, 04 Feb 2025", "b1")
    assert ok.last_new_entry_at == ok.last_fetch_at == T0 + timedelta(seconds=2)

    failed = record(db, result(FetchStatus.ERROR, 15, http_status=500, error="HTTP 500"))
    assert (failed.consecutive_failures, failed.last_error, failed.last_status) == (1, "HTTP 500", "error")
    failed = record(db, result(FetchStatus.ERROR, 30, http_status=None, error="timeout"))
    assert failed.consecutive_failures == 2
    assert failed.etag == '"v1"'

    retry_until = T0 + timedelta(hours=2)
    deferred = record(db, result(FetchStatus.DEFERRED, 45, http_status=429, retry_after_until=retry_until))
    assert deferred.consecutive_failures == 2  # the server asked us to wait: not a failure
    assert deferred.retry_after_until == retry_until

    unchanged = record(db, result(FetchStatus.NOT_MODIFIED, 120, http_status=304, next_due_at=T0 + timedelta(hours=3)))
    assert (unchanged.consecutive_failures, unchanged.last_error) == (0, None)
    assert (unchanged.etag, unchanged.body_hash) == ('"v1"', "b1")  # a 304 keeps the validators
    assert unchanged.last_new_entry_at == T0 + timedelta(seconds=2)
    assert unchanged.next_due_at == T0 + timedelta(hours=3)
    assert unchanged.retry_after_until is None

    with db.session() as session:
        log = feed_repo.fetch_log(session, "Wire")
        assert feed_repo.fetch_log(session, "Al Jazeera Arabic") == []
    assert [row.status for row in log] == ["not_modified", "deferred", "error", "error", "ok"]
    assert (log[-1].new, log[-1].http_status, log[0].http_status) == (2, 200, 304)


def test_sync_feeds_updates_by_name_and_resets_validators_on_a_new_url(db: Database) -> None:
    record(db, result(FetchStatus.OK, 0, etag='"v1"', body_hash="b1"))
    with db.session() as session:
        feed_repo.sync_feeds(
            session, [FeedSpec("Wire", "https://wire.example/rss", "en"), FeedSpec("New", "https://n/")]
        )
        assert feed_repo.feed_states(session)["Wire"].etag == '"v1"'  # same url: validators kept
        feed_repo.sync_feeds(session, [FeedSpec("Wire", "https://wire.example/atom", "auto")])
        states = feed_repo.feed_states(session)
    wire = states["Wire"]
    assert (wire.url, wire.language, wire.etag, wire.body_hash) == (
        "https://wire.example/atom",
        "auto",
        None,
        None,
    )
    assert set(states) == {"Wire", "Al Jazeera Arabic", "New"}


def test_due_feed_names_respects_next_due_and_retry_after(db: Database) -> None:
    with db.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec("Later", "https://later/"), FeedSpec("Throttled", "https://t/")])
    record(db, result(FetchStatus.OK, 0, next_due_at=T0 + timedelta(minutes=15)))
    record(db, result(FetchStatus.OK, 0, feed="Later", next_due_at=T0 + timedelta(hours=1)))
    record(
        db,
        result(
            FetchStatus.DEFERRED,
            0,
            feed="Throttled",
            http_status=503,
            retry_after_until=T0 + timedelta(hours=2),
        ),
    )
    names = ["Wire", "Al Jazeera Arabic", "Later", "Throttled", "Not synced"]
    with db.session() as session:
        assert feed_repo.due_feed_names(session, T0 + timedelta(minutes=5), names) == ["Al Jazeera Arabic"]
        at_20 = feed_repo.due_feed_names(session, T0 + timedelta(minutes=20), names)
        at_3h = feed_repo.due_feed_names(session, T0 + timedelta(hours=3), names)
        only_wire = feed_repo.due_feed_names(session, T0 + timedelta(hours=3), ["Wire"])
    assert at_20 == ["Al Jazeera Arabic", "Wire"]  # never fetched first
    assert at_3h == ["Al Jazeera Arabic", "Throttled", "Wire", "Later"]  # then by next_due_at
    assert only_wire == ["Wire"]


def test_known_content_hashes_handles_long_lists(db: Database) -> None:
    save(db, analysis(identity="u:1", content_hash="c1"))
    save(db, analysis(identity="u:999", content_hash="c999", watches=()))
    identities = [f"u:{n}" for n in range(1, 1500)]
    with db.session() as session:
        assert repo.known_content_hashes(session, identities) == {"u:1": "c1", "u:999": "c999"}


# --- browsing ------------------------------------------------------------------------------


def test_articles_page_filters_by_watch_and_since(db: Database) -> None:
    # Four unrelated reports, so that each starts its own story.
    texts = [
        entry(title=title, text=body, url=f"https://wire.example/{n}") for n, (title, body) in enumerate(UNRELATED)
    ]
    save(db, analysis(identity="u:old", content_hash="h-old"), texts[0], now=T0)
    save(
        db,
        analysis(identity="u:drone", content_hash="h-drone", watches=(OTHER_WATCH,)),
        texts[1],
        now=T0 + timedelta(hours=1),
    )
    save(db, analysis(identity="u:plain", content_hash="h-plain", watches=()), texts[2], now=T0 + timedelta(hours=2))
    save(
        db,
        analysis(identity="u:both", content_hash="h-both", watches=(WATCH, OTHER_WATCH)),
        texts[3],
        now=T0 + timedelta(hours=3),
    )
    with db.session() as session:
        everything = articles_page(session, matched_only=False).items
        kursk = articles_page(session, watch=WATCH).items
        recent_kursk = articles_page(session, watch=WATCH, since=T0 + timedelta(minutes=30)).items
        matched = articles_page(session).items
        latest = articles_page(session, matched_only=False, per_page=1).items
        both_detail = article_detail(session, everything[0].id)
    hours = {row.id: int((row.fetched_at - T0).total_seconds() // 3600) for row in everything}
    assert [hours[row.id] for row in everything] == [3, 2, 1, 0]  # newest first
    assert [hours[row.id] for row in kursk] == [3, 0]
    assert [hours[row.id] for row in recent_kursk] == [3]
    assert [hours[row.id] for row in matched] == [3, 1, 0]
    assert [hours[row.id] for row in latest] == [3]
    both = everything[0]
    assert both.watches == {WATCH: "new_story", OTHER_WATCH: "new_story"}
    assert both_detail is not None
    assert {match.watch: match.terms for match in both_detail.matches}[WATCH] == ["north korea", "kursk"]
    assert set(both.story_ids) == {WATCH, OTHER_WATCH}
    assert everything[1].watches == {} and everything[1].feed == "Wire"


def test_story_details_group_a_duplicate_under_the_first_story(db: Database) -> None:
    first = save(db, analysis(identity="u:wire", content_hash="same-text"), now=T0)
    copy = save(
        db,
        analysis(identity="u:copy", content_hash="same-text"),
        entry(feed="Al Jazeera Arabic", url="https://aj.example/copy"),
        feed="Al Jazeera Arabic",
        now=T0 + timedelta(hours=1),
    )
    title, body = UNRELATED[0]
    other = save(
        db,
        analysis(identity="u:other", content_hash="other-text"),
        entry(title=title, text=body, url="https://wire.example/other"),
        now=T0 + timedelta(minutes=30),
    )
    assert copy.events == {WATCH: EventType.DUPLICATE}
    with db.session() as session:
        stories = story_details(session, StoryFilters(watch=WATCH))
        recent = story_details(session, StoryFilters(active_since=T0 + timedelta(minutes=45)))
        assert story_details(session, StoryFilters(watch="unknown")) == []
    assert len(stories) == 2
    joined, lone = stories  # most recently active first: the duplicate bumped last_seen
    assert [(a.article_id, a.event) for a in joined.articles] == [
        (first.article_id, "new_story"),
        (copy.article_id, "duplicate"),
    ]
    assert [a.feed for a in joined.articles] == ["Wire", "Al Jazeera Arabic"]
    assert (joined.first_seen, joined.last_seen, len(joined.articles)) == (T0, T0 + timedelta(hours=1), 2)
    assert [a.article_id for a in lone.articles] == [other.article_id]
    assert [a.article_id for a in joined.timeline] == [first.article_id], "the copy is folded under its original"
    assert [story.id for story in recent] == [joined.id]


def test_a_page_of_stories_is_read_in_a_fixed_number_of_queries(db: Database) -> None:
    """Counts, languages and the latest development of a page's stories come in one grouped query
    each, never one query per story."""
    from sqlalchemy import event

    def selects_for_a_page() -> tuple[int, int]:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with db.session() as session:
                page = stories_page(session, StoryFilters())
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert all(story.reports == 1 for story in page.items)
        return len(page.items), len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    title, body = UNRELATED[0]
    save(db, analysis(identity="u:0", content_hash="h0"), entry(title=title, text=body, url="https://wire.example/0"))
    one = selects_for_a_page()
    for n, (title, body) in enumerate(UNRELATED[1:], start=1):
        unrelated = entry(title=title, text=body, url=f"https://wire.example/{n}")
        save(db, analysis(identity=f"u:{n}", content_hash=f"h{n}"), unrelated, now=T0 + timedelta(minutes=n))
    five = selects_for_a_page()
    assert (one[0], five[0]) == (1, 5)
    assert one[1] == five[1] <= 5


def test_match_rows_are_unique_per_article_and_watch(db: Database) -> None:
    outcome = save(db, analysis(watches=(WATCH, OTHER_WATCH)))
    with db.session() as session:
        watches = session.scalars(select(WatchMatch.watch).where(WatchMatch.article_id == outcome.article_id))
        assert sorted(watches) == [OTHER_WATCH, WATCH]


def test_every_orm_class_types_exactly_its_table_s_columns() -> None:
    """The schema is defined once, in ``storage.tables``; ``storage.models`` only types the ORM
    attributes. A column added to a table without its annotation (or the reverse), or a nullable
    column typed as never None, would let the pages read a value mypy believes cannot be there."""
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        table = mapper.local_table
        annotations: dict[str, str] = dict(vars(cls).get("__annotations__", {}))
        assert set(annotations) == set(table.columns.keys()), cls.__name__
        for name, annotation in annotations.items():
            column = table.columns[name]
            optional = "None" in annotation
            assert optional == (column.nullable and not column.primary_key), f"{cls.__name__}.{name}: {annotation}"
