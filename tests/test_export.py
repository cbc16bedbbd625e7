"""Backup and move: ``raqib export`` / ``raqib import`` from SQLite to PostgreSQL and back.

The history is made for real (``raqib crawl`` of Arabic and English feeds on loopback, alerts
delivered to a loopback webhook receiver), moved with the commands a user runs, and compared
through the read models the web page and the API show: every story with the same id and the same
reports, every article, every alert with its delivery attempts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.crawl import FIXTURES, crawl_json, raqib, toml_string, write_config
from support.receiver import Receiver

from raqib.feedserver import FeedServer
from storage.db import Database
from storage.export import NOT_EXPORTED, TABLES
from storage.models import Base
from storage.read.alerts import alerts_page
from storage.read.articles import articles_page
from storage.read.common import MAX_PER_PAGE
from storage.read.feeds import feed_rows
from storage.read.stories import StoryFilters, stories_page, story_detail
from storage.search import search

ENV = {"RAQIB_TEST_SECRET": "whsec_dGVzdC1zZWNyZXQtZm9yLWV4cG9ydA=="}
FEEDS = {"عربي": "ar_utf8.xml", "English": "rss_en.xml", "Atom": "atom_en.xml"}
NOW = datetime(2030, 1, 1, tzinfo=UTC)  # "last week" for the feed counts: the same for both reads


def _config(folder: Path, server: FeedServer, hook: Receiver, database: str | None = None, **urls: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    feeds = [{"name": name, "url": server.url(urls.get(name, path))} for name, path in FEEDS.items()]
    alert = f'\n[[alerts]]\nname = "ops-hook"\nkind = "webhook"\nurl = "{hook.url}"\nsecret_env = "RAQIB_TEST_SECRET"\n'
    path = write_config(folder, feeds, extra=alert)
    if database is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[0] = f"database = {toml_string(database)}"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _history(url: str) -> dict[str, Any]:
    """Everything a reader sees, as the read models give it (JSON)."""
    database = Database(url)
    try:
        with database.session() as session:
            stories = stories_page(session, StoryFilters(), per_page=MAX_PER_PAGE)
            details = [story_detail(session, story.id) for story in stories.items]
            articles = articles_page(session, matched_only=False, per_page=MAX_PER_PAGE)
            alerts = alerts_page(session, per_page=MAX_PER_PAGE)
            feeds = [row.model_dump(mode="json") for row in feed_rows(session, NOW)]
        return {
            "stories": stories.model_dump(mode="json"),
            "details": [detail.model_dump(mode="json") for detail in details if detail is not None],
            "articles": articles.model_dump(mode="json"),
            "alerts": alerts.model_dump(mode="json"),
            "feeds": feeds,
        }
    finally:
        database.dispose()


def _rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[1:]  # without the header (its time)


def test_every_table_but_the_search_index_is_exported() -> None:
    assert set(TABLES) | NOT_EXPORTED == set(Base.metadata.tables), "a new table must be exported (or said why not)"


def test_history_moves_from_sqlite_to_postgresql_and_back(
    tmp_path: Path, fresh_pg_url: str, receiver: Receiver
) -> None:
    with FeedServer(FIXTURES) as server:
        source = _config(tmp_path / "sqlite", server, receiver)
        crawl = crawl_json(source, env=ENV)
        assert crawl.returncode == 0, crawl.stderr
        assert receiver.requests, "alerts were delivered: the outbox has history"
        exported = tmp_path / "raqib-export.jsonl"
        done = raqib(source, "export", str(exported), env=ENV)
        assert done.returncode == 0, done.stderr
        assert "articles" in done.stdout and "stories" in done.stdout
        lines = exported.read_text(encoding="utf-8").splitlines()
        assert json.loads(lines[0])["format"] == "raqib-export"
        assert "كورسك" in exported.read_text(encoding="utf-8"), "Arabic as characters, not escapes"
        tables = {json.loads(line)["table"] for line in lines[1:]}
        assert {"feeds", "articles", "stories", "watch_matches", "outbox", "delivery_attempts", "fetch_log"} <= tables

        # To PostgreSQL: the same stories with the same ids and reports, the same alerts.
        target = _config(tmp_path / "pg", server, receiver, database=fresh_pg_url, English="rss_en_v2.xml")
        moved = raqib(target, "import", str(exported), env=ENV)
        assert moved.returncode == 0, moved.stderr
        sqlite_url = f"sqlite:///{tmp_path / 'sqlite' / 'raqib.db'}"
        before = _history(sqlite_url)
        assert before["details"] and before["alerts"]["items"]
        assert _history(fresh_pg_url) == before
        database = Database(fresh_pg_url)
        with database.session() as session:
            arabic = search(session, "كورسك", language="ar", cross=False)
        database.dispose()
        assert arabic.total >= 1, "the search index is rebuilt after an import"

        # A second import adds nothing.
        again = raqib(target, "import", str(exported), env=ENV)
        assert again.returncode == 0, again.stderr
        assert "articles 0/" in again.stdout and "stories 0/" in again.stdout and "outbox 0/" in again.stdout
        assert _history(fresh_pg_url) == before

        # And back to SQLite: row for row what left it.
        round_trip = tmp_path / "from-pg.jsonl"
        assert raqib(target, "export", str(round_trip), env=ENV).returncode == 0
        back = _config(tmp_path / "back", server, receiver)
        assert raqib(back, "import", str(round_trip), env=ENV).returncode == 0
        assert _rows(round_trip) == _rows(exported)
        assert _history(f"sqlite:///{tmp_path / 'back' / 'raqib.db'}") == before

        # Life goes on in PostgreSQL: a crawl after the import stores new rows beside the old ones.
        later = crawl_json(target, "--feed", "English", env=ENV)
        assert later.returncode == 0, later.stderr
        assert later.feed("English")["new"] > 0
        after = _history(fresh_pg_url)
        assert len(after["articles"]["items"]) > len(before["articles"]["items"])
        assert {story["id"] for story in before["stories"]["items"]} <= {s["id"] for s in after["stories"]["items"]}


def test_import_refuses_another_databases_history(tmp_path: Path, receiver: Receiver) -> None:
    with FeedServer(FIXTURES) as server:
        first = _config(tmp_path / "first", server, receiver)
        assert crawl_json(first, env=ENV).returncode == 0
        exported = tmp_path / "first.jsonl"
        assert raqib(first, "export", str(exported), env=ENV).returncode == 0
        other = _config(tmp_path / "other", server, receiver, English="rss_en_v2.xml", عربي="rss_en.xml")
        assert crawl_json(other, env=ENV).returncode == 0
        refused = raqib(other, "import", str(exported), env=ENV)
    assert refused.returncode == 1
    assert "other history" in refused.stderr and "empty database" in refused.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty file"),
        ('{"table": "feeds", "row": {}}\n', "not a Raqib export"),
        ('{"format": "raqib-export", "version": 99}\n', "version"),
        ('{"format": "raqib-export", "version": 1}\n{"table": "users", "row": {}}\n', "line 2"),
        ('{"format": "raqib-export", "version": 1}\nnot json\n', "line 2: not JSON"),
    ],
)
def test_import_says_what_is_wrong_with_a_file(tmp_path: Path, content: str, reason: str) -> None:
    config = write_config(tmp_path, [])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    result = raqib(config, "import", str(bad))
    assert result.returncode == 1 and reason in result.stderr, result.stderr
