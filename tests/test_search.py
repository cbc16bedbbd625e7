"""Full-text search (storage.search) on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, func, select, text

from ingest.desk import StoryDesk
from ingest.store import save_article
from storage import feed_repo, search, search_index, search_snippets, search_tables, search_text
from storage.db import Database
from storage.models import Article, Base
from stories.concepts import Lexicon
from stories.types import Analysis, Entry, WatchHit

T0 = datetime(2025, 2, 4, 10, 0, tzinfo=UTC)
WATCH = "nk-troops-kursk"
DESK = StoryDesk(Lexicon())


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str


FEEDS = [FeedSpec("Wire", "https://wire.example/rss", "en"), FeedSpec("Arabic", "https://ar.example/rss", "ar")]

# (key, language, title, summary, watches)
ARTICLES = [
    (
        "korea-ar",
        "ar",
        "القوات الكورية الشمالية تصل إلى روسيا",
        "قالت الاستخبارات إن جنوداً من كوريا الشمالية انتشروا في منطقة حدودية.",
        (WATCH,),
    ),
    ("kursk-bare", "ar", "معارك عنيفة في كورسك", "تواصل القتال في كورسك لليوم الثالث.", (WATCH,)),
    ("kursk-bi", "ar", "هجوم بالمسيرات", "أفادت تقارير بوقوع انفجارات بكورسك فجر اليوم.", ()),
    ("sikorsky", "ar", "صفقة مروحيات", "وقعت الشركة عقداً لشراء مروحيات سيكورسكي الأمريكية.", ()),
    (
        "troops-en",
        "en",
        "North Korean troops sent to Russia",
        "Pyongyang has deployed troops to the Kursk region, officials said.",
        (WATCH,),
    ),
    ("trooper-en", "en", "State trooper honoured", "A trooper received a medal for bravery on Tuesday.", ()),
    ("oil-en", "en", "Oil prices climb", "Crude futures rose as refiners bought ahead of winter.", ()),
    (
        "diacritics",
        "ar",
        "تـقـريـر عن الـطَّـائِـرات",
        "تحدث التقرير عن الطَّائِرَاتِ المُسَيَّرَة في الجبهة الشرقية.",
        (),
    ),
]


def entry_for(key: str, title: str, summary: str, feed: str, text: str = "") -> Entry:
    return Entry(feed=feed, title=title, summary=summary, text=text, url=f"https://example.org/{key}", guid=key)


def store(
    db: Database,
    key: str,
    language: str,
    title: str,
    summary: str,
    watches: tuple[str, ...] = (),
    *,
    text: str = "",
    content_hash: str | None = None,
    now: datetime = T0,
) -> int:
    feed = "Arabic" if language == "ar" else "Wire"
    hits = tuple(WatchHit(watch, ("kursk",)) for watch in watches)
    an = Analysis(f"g:{key}", None, language, content_hash or f"c:{key}", hits)  # type: ignore[arg-type]
    with db.session() as session:
        outcome = save_article(session, feed, entry_for(key, title, summary, feed, text), an, desk=DESK, now=now)
    return outcome.article_id


@pytest.fixture
def db(database: Database) -> tuple[Database, dict[str, int]]:
    with database.session() as session:
        feed_repo.sync_feeds(session, FEEDS)
    ids = {}
    for index, (key, language, title, summary, watches) in enumerate(ARTICLES):
        ids[key] = store(database, key, language, title, summary, watches, now=T0 + timedelta(minutes=index))
    return database, ids


def found(db: Database, query: str, **filters: object) -> set[int]:
    """The word rules of the index: searched as written (no other-language names added)."""
    filters.setdefault("cross", False)
    with db.session() as session:
        page = search.search(session, query, limit=100, **filters)  # type: ignore[arg-type]
    assert page.total == len(page.hits)
    return {hit.article_id for hit in page.hits}


Fixture = tuple[Database, dict[str, int]]


def test_taa_marbuta_spelling_does_not_matter(db: Fixture) -> None:
    database, ids = db
    assert found(database, "الكوريه") == {ids["korea-ar"]}
    assert found(database, "الكورية") == {ids["korea-ar"]}
    assert found(database, "كورية") == {ids["korea-ar"]}  # the article ال is a proclitic


def test_proclitics_on_either_side(db: Fixture) -> None:
    database, ids = db
    assert found(database, "بكورسك") == {ids["kursk-bare"], ids["kursk-bi"]}
    assert found(database, "كورسك") == {ids["kursk-bare"], ids["kursk-bi"]}  # never سيكورسكي
    assert found(database, "القوات") == {ids["korea-ar"]}
    assert found(database, "قوات") == {ids["korea-ar"]}
    assert found(database, "سيكورسكي") == {ids["sikorsky"]}


def test_closed_suffix_set_extends_a_word_but_no_stemming(db: Fixture) -> None:
    database, ids = db
    assert found(database, "جنود") == {ids["korea-ar"]}  # جنوداً: tanween alef
    assert found(database, "مروحيه") == {ids["sikorsky"]}  # ة as ات plural
    assert found(database, "كورس") == set()  # a word is not a prefix unless asked
    assert found(database, "كورس*") == {ids["kursk-bare"], ids["kursk-bi"]}


def test_diacritics_and_tatweel_on_either_side(db: Fixture) -> None:
    database, ids = db
    assert found(database, "الطائرات") == {ids["diacritics"]}
    assert found(database, "تقرير") == {ids["diacritics"]}
    assert found(database, "الـمُـسَـيَّـرة") == {ids["diacritics"], ids["kursk-bi"]}  # ة also finds ات
    assert found(database, "كُورْسْك") == {ids["kursk-bare"], ids["kursk-bi"]}


def test_english_words_prefixes_and_phrases(db: Fixture) -> None:
    database, ids = db
    assert found(database, "troop") == set()
    assert found(database, "troops") == {ids["troops-en"]}
    assert found(database, "TROOP*") == {ids["troops-en"], ids["trooper-en"]}
    assert found(database, '"north korean troops"') == {ids["troops-en"]}
    assert found(database, '"troops north"') == set()
    assert found(database, "kursk troops") == {ids["troops-en"]}
    assert found(database, "kursk medal") == set()
    assert found(database, "kursk OR medal") == {ids["troops-en"], ids["trooper-en"]}
    assert found(database, "Pyongyang's officials AND troops") == {ids["troops-en"]}


def test_arabic_phrase_allows_a_proclitic_on_its_first_word(db: Fixture) -> None:
    database, ids = db
    assert found(database, '"كوريا الشمالية"') == {ids["korea-ar"]}
    assert found(database, '"لكوريا الشمالية"') == {ids["korea-ar"]}
    assert found(database, '"الشمالية كوريا"') == set()
    assert found(database, "«الكورية الشمالية»") == {ids["korea-ar"]}


def test_filters_by_watch_and_language(db: Fixture) -> None:
    database, ids = db
    both = "كورسك OR kursk"
    assert found(database, both) == {ids["kursk-bare"], ids["kursk-bi"], ids["troops-en"]}
    assert found(database, both, language="en") == {ids["troops-en"]}
    assert found(database, both, language="ar") == {ids["kursk-bare"], ids["kursk-bi"]}
    assert found(database, both, watch=WATCH) == {ids["kursk-bare"], ids["troops-en"]}
    assert found(database, both, watch=WATCH, language="ar") == {ids["kursk-bare"]}
    assert found(database, both, watch="no-such-watch") == set()


def test_pages_share_one_total_and_order_by_rank_then_newest(db: Fixture) -> None:
    database, ids = db
    for index in range(7):
        store(
            database,
            f"rep-{index}",
            "en",
            f"Kursk report {index}",
            "Fighting in Kursk.",
            now=T0 + timedelta(hours=index),
        )
    with database.session() as session:
        pages = [
            search.search(session, "fighting kursk", limit=3, offset=offset, cross=False) for offset in (0, 3, 6, 9)
        ]
    assert [page.total for page in pages] == [7, 7, 7, 7]
    assert [len(page.hits) for page in pages] == [3, 3, 1, 0]
    hits = [hit for page in pages for hit in page.hits]
    assert len({hit.article_id for hit in hits}) == 7
    # Equal texts rank equally: then the newest first.
    assert [hit.title for hit in hits] == [f"Kursk report {index}" for index in range(6, -1, -1)]
    assert all(first.rank >= second.rank for first, second in zip(hits, hits[1:], strict=False))


def test_better_match_ranks_first(db: Fixture) -> None:
    database, ids = db
    store(database, "many", "en", "Kursk, Kursk, Kursk", "Kursk again: the Kursk front, Kursk troops.")
    with database.session() as session:
        page = search.search(session, "kursk", cross=False)
    assert page.hits[0].title == "Kursk, Kursk, Kursk"


def test_hits_carry_a_plain_snippet_around_the_first_hit(db: Fixture) -> None:
    database, ids = db
    lead = "Lorem ipsum dolor sit amet. " * 30
    text = lead + "Then the <b>drone</b> attack & the aftermath." + " Tail sentence." * 30
    store(database, "long", "en", "Long report", "", text=text)
    with database.session() as session:
        (hit,) = search.search(session, "drone").hits
        (arabic,) = search.search(session, "بكورسك", language="ar", watch=WATCH).hits
    assert hit.feed == "Wire" and hit.language == "en" and hit.url == "https://example.org/long"
    assert hit.fetched_at == T0
    assert len(hit.snippet) <= search_snippets.SNIPPET_LENGTH
    assert "<b>drone</b> attack & the aftermath" in hit.snippet  # raw text: the web layer escapes
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert arabic.snippet == "تواصل القتال في كورسك لليوم الثالث."
    assert arabic.title == "معارك عنيفة في كورسك" and arabic.feed == "Arabic"


@pytest.mark.parametrize(
    "query",
    ['"', "AND (", "*", "'; DROP TABLE articles; --", "OR", "NOT", '" OR "', "a*b*", "(((", "NEAR(x y)", "^", "-", ""],
)
def test_hostile_queries_return_results_or_nothing(db: Fixture, query: str) -> None:
    database, ids = db
    with database.session() as session:
        page = search.search(session, query)
    assert page.total == len(page.hits)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(ARTICLES)


def test_odd_but_meaningful_queries(db: Fixture) -> None:
    database, ids = db
    assert found(database, 'kursk "') == {ids["troops-en"]}  # an unterminated quote ends at the end
    assert found(database, '"kursk troops') == set()  # ... and is a phrase
    assert found(database, "x" * 5000) == set()
    assert found(database, " ".join(["kursk"] * 100)) == {ids["troops-en"]}


def test_a_huge_or_junk_text_is_indexed_within_the_limits(db: Fixture) -> None:
    database, ids = db
    rng = random.Random(7)
    junk = " ".join("".join(rng.choices(string.ascii_lowercase, k=12)) for _ in range(30_000))
    arabic = " ".join("و" + "".join(rng.choices("بتثجحخدذرزسشصضطظعغفقلمن", k=8)) + "ات" for _ in range(20_000))
    blob = "x" * 100_000  # one "word" longer than any query
    article_id = store(database, "huge", "en", "Kursk archive", "", text=f"{junk} {arabic} {blob}")
    assert found(database, "archive") == {article_id}
    with database.session() as session:
        content = session.scalar(
            select(search_tables.article_search.c.content).where(
                search_tables.article_search.c.article_id == article_id
            )
        )
    assert content is not None and len(content) <= 2 * search_text.MAX_INDEXED_CHARS and blob not in content


def test_search_leaves_the_session_as_it_found_it(db: Fixture) -> None:
    database, ids = db
    with database.session() as session:
        assert search.search(session, "kursk", cross=False).total == 1
        if not database.is_sqlite:
            # The search turns sequential scans off for itself only (planner settings).
            assert session.scalar(text("SHOW enable_seqscan")) == "on"
        # The same session goes on working after a search: it can still search and write.
        assert search.search(session, "kursk", cross=False).total == 1
        session.execute(
            text("UPDATE articles SET revisions = revisions WHERE id = :id"), {"id": next(iter(ids.values()))}
        )


def test_a_revised_article_is_reindexed(db: Fixture) -> None:
    database, ids = db
    store(database, "oil-en", "en", "Gas prices fall", "Natural gas fell in Europe.", content_hash="c:oil-2")
    assert found(database, "crude") == set()
    assert found(database, "oil") == set()
    assert found(database, "gas") == {ids["oil-en"]}


def test_deleted_articles_leave_the_index(db: Fixture) -> None:
    database, ids = db
    with database.session() as session:
        session.execute(delete(Article).where(Article.id == ids["troops-en"]))
    assert found(database, "pyongyang") == set()


def test_reindex_fills_a_database_from_before_search(db: Fixture) -> None:
    database, ids = db
    with database.session() as session:
        assert not search_index.needs_reindex(session)
        session.execute(delete(search_tables.article_search))
    assert found(database, "كورسك") == set()
    progress: list[tuple[int, int]] = []
    with database.session() as session:
        assert search_index.needs_reindex(session)
        assert (
            search_index.reindex_all(session, batch=3, progress=lambda done, total: progress.append((done, total))) == 8
        )
        assert not search_index.needs_reindex(session)
    assert progress == [(3, 8), (6, 8), (8, 8)]
    assert found(database, "كورسك") == {ids["kursk-bare"], ids["kursk-bi"]}
    with database.session() as session:  # a second run rewrites, it does not duplicate
        assert search_index.reindex_all(session) == 8
    assert found(database, "كورسك") == {ids["kursk-bare"], ids["kursk-bi"]}


def test_schema_matches_the_models_apart_from_the_backend_search_index(database: Database) -> None:
    with database.engine.connect() as connection:
        options = {"compare_type": True, "include_name": search_tables.is_search_index_object}
        assert compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata) == []


def test_index_content_adds_the_arabic_keywords_after_the_words() -> None:
    assert search_text.index_content("بكورسك والقوات", "سيكورسكي", "Kursk's") == (
        "بكورسك والقوات سيكورسكي kursk كورسك القو القوات القوه قو قوات قوه والقو والقوه سيكورسك"
    )
    assert search_text.index_content("Troops", "", "") == "troops"


def test_relevance_orders_the_newest_matches_and_older_ones_follow_newest_first(
    db: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, ids = db
    monkeypatch.setattr(search, "RANK_WINDOW", 4)
    stored = []
    for index in range(10):
        strong = index % 2 == 0
        title = "Drone drone drone strike" if strong else "Drone report"
        summary = "Drones and more drone sightings." if strong else "A longer text about one drone near a village."
        stored.append(store(database, f"d-{index}", "en", title, summary, now=T0 + timedelta(hours=index)))
    with database.session() as session:
        pages = [search.search(session, "drone", limit=3, offset=offset) for offset in range(0, 12, 3)]
    assert [page.total for page in pages] == [10] * 4
    order = [hit.article_id for page in pages for hit in page.hits]
    newest_four = stored[:5:-1]  # ids 9, 8, 7, 6: the window
    assert order[:4] == [stored[8], stored[6], stored[9], stored[7]]  # strong ones first, then newest
    assert set(order[:4]) == set(newest_four)
    assert order[4:] == stored[5::-1]


# --- across languages ----------------------------------------------------------------------


def hits_of(db: Database, query: str, **filters: object) -> dict[int, list[str]]:
    """article id -> what it was found through, with the other language's names (the default)."""
    with db.session() as session:
        page = search.search(session, query, limit=100, **filters)  # type: ignore[arg-type]
    return {hit.article_id: hit.found_through for hit in page.hits}


def test_an_arabic_query_finds_english_reports_of_the_same_place(db: Fixture) -> None:
    database, ids = db
    assert hits_of(database, "كورسك") == {
        ids["kursk-bare"]: [],
        ids["kursk-bi"]: [],
        ids["troops-en"]: ["كورسك → Kursk"],
    }
    # A proclitic on the query word: still Kursk.
    assert hits_of(database, "بكورسك")[ids["troops-en"]] == ["بكورسك → Kursk"]
    # An actor-place phrase: كوريا الشمالية is North Korea (and Pyongyang, DPRK).
    korea = hits_of(database, '"كوريا الشمالية"')
    assert korea[ids["korea-ar"]] == [] and korea[ids["troops-en"]] == ["كوريا الشمالية → North Korea"]


def test_an_english_query_finds_arabic_reports_and_says_through_which_name(db: Fixture) -> None:
    database, ids = db
    kursk = hits_of(database, "Kursk")
    assert kursk == {ids["troops-en"]: [], ids["kursk-bare"]: ["Kursk → كورسك"], ids["kursk-bi"]: ["Kursk → كورسك"]}
    assert ids["sikorsky"] not in kursk, "سيكورسكي is not Kursk in either language"
    korea = hits_of(database, '"North Korea*"')
    assert korea[ids["korea-ar"]] and korea[ids["korea-ar"]][0].startswith("North Korea → ")
    with database.session() as session:
        page = search.search(session, "Kursk troops", limit=10)
    assert [(term.term, term.names) for term in page.across_languages] == [("Kursk", ["كورسك"])]
    assert "كورسك" in page.highlight_terms and "Kursk" in page.highlight_terms


def test_searching_across_languages_can_be_switched_off(db: Fixture) -> None:
    database, ids = db
    assert set(hits_of(database, "كورسك", cross=False)) == {ids["kursk-bare"], ids["kursk-bi"]}
    assert set(hits_of(database, "Kursk", cross=False)) == {ids["troops-en"]}
    with database.session() as session:
        assert search.search(session, "Kursk", cross=False).across_languages == []


def test_words_the_gazetteer_does_not_know_are_searched_as_written(db: Fixture) -> None:
    database, ids = db
    assert hits_of(database, "troops") == {ids["troops-en"]: []}
    assert hits_of(database, "جنود") == {ids["korea-ar"]: []}
    # The language filter still holds: Kursk in Arabic reports only.
    assert set(hits_of(database, "Kursk", language="ar")) == {ids["kursk-bare"], ids["kursk-bi"]}
