"""The search index stays exact on every path that writes an article, on a real SQLite file and a
real PostgreSQL server: a crawl's batch, a revision, an article page's text, a deletion (directly
or through its feed), a rebuild, and the upgrade from the trigger-kept index of migration 0004."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from test_search import FEEDS  # an Arabic feed and an English one

from ingest import tasks
from ingest.desk import StoryDesk
from ingest.prepare import PreparedArticle
from ingest.store import EventTimes, save_article, store_items
from ingest.tasks import ParsedItem
from storage import feed_repo, search, search_index
from storage.db import Database
from storage.models import Article, Feed
from storage.search_tables import FTS_TABLE
from storage.search_text import index_content
from stories.concepts import Lexicon
from stories.types import Analysis, Entry, Language

T0 = datetime(2025, 2, 4, 10, 0, tzinfo=UTC)
STAMP = "2025-02-04 10:00:00"  # T0 as written into the tables by raw SQL
PAGES = Path(__file__).resolve().parent / "fixtures" / "feeds" / "articles"


def item(key: str, language: Language, title: str, summary: str, text_: str = "", version: str = "1") -> ParsedItem:
    entry = Entry(
        feed="Arabic" if language == "ar" else "Wire",
        title=title,
        summary=summary,
        text=text_,
        url=f"https://example.org/{key}",
        guid=key,
    )
    analysis = Analysis(f"g:{key}", None, language, f"c:{key}:{version}", ())
    return ParsedItem(entry, analysis, index_content(title, summary, text_))


def never_prepare(entry: Entry, language: Language) -> PreparedArticle:
    raise AssertionError("no item here matches a watch")


def crawl_batch(database: Database, feed: str, items: list[ParsedItem], now: datetime = T0) -> dict[str, int]:
    """The items stored as a crawl stores a feed's batch: identity -> article id of new and revised."""
    with database.session() as session:
        stored = store_items(
            session,
            feed_repo.feed_id(session, feed),
            items,
            prepare=never_prepare,
            desk=lambda: StoryDesk(Lexicon()),
            now=now,
            rules=EventTimes(),
        )
    return stored.ids


def found(database: Database, query: str) -> set[int]:
    with database.read_session() as session:
        page = search.search(session, query, limit=100, cross=False)
    assert page.total == len(page.hits)
    return {hit.article_id for hit in page.hits}


def assert_index_exact(database: Database) -> None:
    """Every article has one search row, and the backend index holds exactly the rows' words."""
    with database.session() as session:
        articles = session.scalar(select(func.count()).select_from(Article))
        rows = session.scalar(text("SELECT count(*) FROM article_search"))
        assert rows == articles
        if database.is_sqlite:
            # rank 1: FTS5 also compares its index with the content table (raises when they differ).
            session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)"))
        else:
            stale = "SELECT count(*) FROM article_search WHERE vector IS DISTINCT FROM to_tsvector('simple', content)"
            assert session.scalar(text(stale)) == 0


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    with database.session() as session:
        feed_repo.sync_feeds(session, FEEDS)
    yield database


def test_a_crawl_batch_is_searchable_word_by_word_in_both_languages(db: Database) -> None:
    arabic = crawl_batch(
        db,
        "Arabic",
        [
            item("ar-1", "ar", "قوات كورية شمالية في كورسك", "انتشار الجنود قرب الحدود"),
            item("ar-2", "ar", "ارتفاع أسعار الذهب", "ترقب قرار الفائدة في الأسواق"),
            item("ar-1", "ar", "نسخة مكررة من الخبر", "الصحراء"),  # listed twice: the first is kept
        ],
    )
    english = crawl_batch(
        db,
        "Wire",
        [
            item("en-1", "en", "Troops deployed to Kursk", "Pyongyang sent soldiers"),
            item("en-2", "en", "Gold prices rise", "Markets await the rate decision"),
        ],
    )
    assert found(db, "بكورسك") == {arabic["g:ar-1"]}  # a proclitic on the query word
    assert found(db, "الجنود") == {arabic["g:ar-1"]}
    assert found(db, "الذهب") == {arabic["g:ar-2"]}
    assert found(db, "الصحراء") == set()
    assert found(db, "pyongyang") == {english["g:en-1"]}
    assert found(db, '"rate decision"') == {english["g:en-2"]}
    assert_index_exact(db)


def test_a_revision_replaces_the_words_an_article_is_found_by(db: Database) -> None:
    ids = crawl_batch(db, "Arabic", [item("ar", "ar", "معارك عنيفة في كورسك", "تواصل القتال لليوم الثالث")])
    ids |= crawl_batch(db, "Wire", [item("en", "en", "Oil prices climb", "Crude futures rose")])
    crawl_batch(
        db,
        "Arabic",
        [item("ar", "ar", "هدنة في كورسك", "توقف القتال بعد اتفاق", version="2")],
        now=T0 + timedelta(hours=1),
    )
    crawl_batch(db, "Wire", [item("en", "en", "Gas prices fall", "Natural gas fell", version="2")])
    assert found(db, "عنيفة") == set()
    assert found(db, "هدنة") == {ids["g:ar"]}
    assert found(db, "كورسك") == {ids["g:ar"]}  # a word of both texts: one hit, not two
    assert found(db, "crude") == set()
    assert found(db, "gas") == {ids["g:en"]}
    assert_index_exact(db)
    # Back to the first text (a correction withdrawn): found by its words again, and only once.
    crawl_batch(db, "Arabic", [item("ar", "ar", "معارك عنيفة في كورسك", "تواصل القتال لليوم الثالث", version="3")])
    assert found(db, "عنيفة") == {ids["g:ar"]}
    assert found(db, "هدنة") == set()
    assert_index_exact(db)


def test_the_article_page_text_is_what_gets_indexed(db: Database) -> None:
    tasks.init_worker({})
    listed = tasks.analyse(
        Entry(feed="Arabic", title="مسيرات إلى روسيا", summary="", text="", url="https://example.org/d", guid="d")
    )
    page = tasks.extract_task(listed, (PAGES / "ar-drones.html").read_bytes(), "https://example.org/d", 100_000)
    assert page.page_error is None
    ids = crawl_batch(db, "Arabic", [page])
    assert found(db, "حطام") == {ids[listed.analysis.identity]}  # a word on the page only
    assert_index_exact(db)


def test_a_deleted_article_or_feed_leaves_the_index(db: Database) -> None:
    arabic = crawl_batch(
        db,
        "Arabic",
        [item("ar-1", "ar", "قوات في كورسك", "الجنود"), item("ar-2", "ar", "كورسك اليوم", "أخبار")],
    )
    english = crawl_batch(db, "Wire", [item("en-1", "en", "Kursk front", "Troops moved")])
    assert found(db, "kursk") == {english["g:en-1"]}
    with db.session() as session:
        session.execute(delete(Article).where(Article.id == arabic["g:ar-1"]))
    assert found(db, "كورسك") == {arabic["g:ar-2"]}
    assert found(db, "الجنود") == set()
    assert_index_exact(db)
    with db.session() as session:  # the feed's articles go by cascade, their search rows with them
        session.execute(delete(Feed).where(Feed.name == "Wire"))
    assert found(db, "kursk") == set()
    assert found(db, "كورسك") == {arabic["g:ar-2"]}
    assert_index_exact(db)


def test_a_rebuild_leaves_the_same_answers(db: Database) -> None:
    ids = crawl_batch(db, "Arabic", [item("ar", "ar", "والقوات في كورسك", "")])
    ids |= crawl_batch(db, "Wire", [item("en", "en", "Troops in Kursk", "")])
    with db.session() as session:
        assert search_index.reindex_all(session) == 2
    assert found(db, "قوات") == {ids["g:ar"]}
    assert found(db, "troops") == {ids["g:en"]}
    assert_index_exact(db)


def test_the_upgrade_keeps_what_the_old_triggers_indexed(database_url: str) -> None:
    database = Database(database_url)
    try:
        database.upgrade("0008")  # the index kept by migration 0004's triggers
        with database.engine.begin() as connection:
            for name, language in (("Arabic", "ar"), ("Wire", "en")):
                connection.execute(
                    text(
                        "INSERT INTO feeds (name, url, language, consecutive_failures, created_at) "
                        "VALUES (:name, :url, :language, 0, :now)"
                    ),
                    {"name": name, "url": f"https://{language}.example/rss", "language": language, "now": STAMP},
                )
            for key, feed, language, title in (
                ("old-ar", "Arabic", "ar", "معارك عنيفة في كورسك"),
                ("old-en", "Wire", "en", "Fighting in Kursk"),
            ):
                article_id = connection.execute(
                    text(
                        "INSERT INTO articles (feed_id, identity, title, summary, text, language, fetched_at, "
                        "updated_at, event_at, content_hash, revisions) SELECT id, :identity, :title, '', '', "
                        ":language, :now, :now, :now, :hash, 0 FROM feeds WHERE name = :feed RETURNING id"
                    ),
                    {
                        "identity": f"g:{key}",
                        "title": title,
                        "language": language,
                        "now": STAMP,
                        "hash": "h1",
                        "feed": feed,
                    },
                ).scalar_one()
                connection.execute(
                    text(
                        "INSERT INTO article_search (article_id, language, content) VALUES (:id, :language, :content)"
                    ),
                    {"id": article_id, "language": language, "content": index_content(title, "", "")},
                )
        database.upgrade()
        with database.read_session() as session:
            ids = {
                identity: article_id for identity, article_id in session.execute(select(Article.identity, Article.id))
            }
        assert found(database, "عنيفة") == {ids["g:old-ar"]}
        assert found(database, "fighting") == {ids["g:old-en"]}
        assert_index_exact(database)
        # Written after the upgrade, without the triggers: revised, new, both found exactly.
        desk = StoryDesk(Lexicon())
        with database.session() as session:
            revised = Entry(feed="Arabic", title="هدنة في كورسك", summary="", text="", url=None, guid="old-ar")
            save_article(session, "Arabic", revised, Analysis("g:old-ar", None, "ar", "h2", ()), desk=desk, now=T0)
            new = Entry(feed="Wire", title="Truce in Kursk", summary="", text="", url=None, guid="new-en")
            ids["g:new-en"] = save_article(
                session, "Wire", new, Analysis("g:new-en", None, "en", "h1", ()), desk=desk, now=T0
            ).article_id
        assert found(database, "عنيفة") == set()
        assert found(database, "هدنة") == {ids["g:old-ar"]}
        assert found(database, "kursk") == {ids["g:old-en"], ids["g:new-en"]}
        assert_index_exact(database)
        database.downgrade("0008")  # the triggers are back: a row written as 0008 wrote it is indexed
        with database.engine.begin() as connection:
            connection.execute(text("DELETE FROM article_search WHERE article_id = :id"), {"id": ids["g:new-en"]})
            connection.execute(
                text("INSERT INTO article_search (article_id, language, content) VALUES (:id, 'en', 'ceasefire')"),
                {"id": ids["g:new-en"]},
            )
        assert found(database, "ceasefire") == {ids["g:new-en"]}
        assert found(database, "truce") == set()
        database.upgrade()
        assert_index_exact(database)
    finally:
        database.dispose()
