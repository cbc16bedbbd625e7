"""The decide stage's shortcuts change no decision: a copy of a stored report is decided without
its sentence vectors when nothing judged by meaning could make it news, and the stories remember
exactly what they would have remembered with them; a batch cut short by its deadline decides
what one long transaction would have."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from support.workers import wait_for

from config.loader import BUNDLED_DEFAULT, load_config
from ingest.decide import decide_batch, decide_watch, look_ahead
from ingest.desk import StoryDesk
from ingest.prepare import PreparedArticle
from ingest.store import EventTimes, store_items
from ingest.tasks import ParsedItem
from storage import feed_repo
from storage.db import Database
from storage.models import Article, Story, UndecidedMatch, WatchMatch
from storage.story_repo import refresh_statistics
from stories.analysis import Analyser
from stories.categories import Categoriser, Category
from stories.concepts import Lexicon
from stories.names import query_keys
from stories.semantic import CachedEncoder, load_encoder
from stories.types import Entry
from stories.wording import Label

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
WATCH = "nk-troops-kursk"
BODY = (
    "North Korean troops have been withdrawn from the front line in Russia's Kursk region since mid-January "
    "after suffering heavy losses, intelligence officials said. About 300 North Korean soldiers have been "
    "killed and about 2,700 wounded. Pyongyang sent some 12,000 troops to Russia in late 2024."
)
ARABIC_BODY = (
    "أفادت تقارير استخباراتية بأن القوات الكورية الشمالية سُحبت من خطوط المواجهة في منطقة كورسك "
    "الروسية منذ منتصف يناير بعد تكبدها خسائر فادحة. وقُتل نحو 300 جندي كوري شمالي وأصيب نحو 2700 آخرين."
)
LAST_TITLE = "Here's what you need to know: North Korea pulls its soldiers back from Kursk"


def stream() -> list[Entry]:
    def entry(feed: str, n: int, title: str, body: str, language: str) -> Entry:
        return Entry(
            feed=feed,
            guid=f"{feed}-{n}",
            url=f"https://{feed}.example/{n}",
            title=title,
            summary=body,
            published=T0 + timedelta(hours=n),
            language_hint=language,
        )

    return [
        entry("wire", 1, "North Korean troops pulled from Kursk front after heavy losses", BODY, "en"),
        entry("aj", 2, "انسحاب القوات الكورية الشمالية من جبهة كورسك بعد خسائر فادحة", ARABIC_BODY, "ar"),
        entry("copy", 3, "North Korea withdraws troops from Kursk, officials say", BODY, "en"),  # same body
        # A near copy with a changed toll: a development all the same.
        entry("copy", 4, "Toll of North Korean troops in Kursk rises", BODY.replace("About 300", "About 800"), "en"),
        entry("aj", 5, "القوات الكورية الشمالية تنسحب من كورسك", ARABIC_BODY, "ar"),  # same body
        entry("copy", 6, LAST_TITLE, BODY, "en"),  # same body, last: nothing compares with it after
    ]


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str


class RecordingModel:
    """The bundled model, recording every sentence it is asked to embed."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.asked: list[str] = []

    def encode(self, sentences: Sequence[str]) -> Any:
        self.asked.extend(sentences)
        return self.model.encode(sentences)


def store_stream(
    tmp_path: Path, name: str, desk: StoryDesk, entries: list[Entry], url: str | None = None
) -> tuple[Database, dict[int, PreparedArticle], datetime]:
    """The entries stored a feed at a time, as a crawl stores them, their matches queued for
    ``WATCH``; the database (``url``, else a SQLite file), what the store prepared for deciding,
    and the time it was stored."""
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    analyser = Analyser({watch.name: watch.query for watch in config.watches if watch.name == WATCH})
    database = Database(url or f"sqlite:///{tmp_path / name}.db")
    database.upgrade()
    feeds = list(dict.fromkeys(entry.feed for entry in entries))
    with database.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec(feed, f"https://{feed}.example", "auto") for feed in feeds])
    prepared: dict[int, PreparedArticle] = {}
    now = max(entry.published or T0 for entry in entries) + timedelta(hours=1)
    with database.session() as session:
        for feed in feeds:
            items = [ParsedItem(e, analyser.analyse(e), e.summary) for e in entries if e.feed == feed]
            assert all(item.analysis.hits for item in items)
            stored = store_items(
                session,
                feed_repo.feed_id(session, feed),
                items,
                prepare=desk.prepare,
                desk=lambda: desk,
                now=now,
                rules=EventTimes(),
            )
            prepared.update(stored.prepared)
    return database, prepared, now


def decided_rows(database: Database) -> list[Any]:
    """Every match (title, article id, event, story, explanation) in event order, and the stories' memories."""
    with database.read_session() as session:
        matches = session.execute(
            select(Article.title, WatchMatch.article_id, WatchMatch.event, WatchMatch.story_id, WatchMatch.explanation)
            .join(Article, Article.id == WatchMatch.article_id)
            .order_by(Article.event_at)
        ).all()
        states = [story.state for story in session.scalars(select(Story).order_by(Story.id))]
    return [[tuple(row) for row in matches], states]


def decide_stream(tmp_path: Path, name: str, categoriser: Categoriser, model: RecordingModel) -> list[Any]:
    """Store the stream, decide it as one batch; the matches (event, story, explanation) and the
    stories' stored memories."""
    desk = StoryDesk(Lexicon(), encoder=categoriser.encoder, categorisers={WATCH: categoriser})
    entries = stream()
    database, prepared, now = store_stream(tmp_path, name, desk, entries)
    model.asked.clear()  # what deciding asks of the model from here on
    assert decide_watch(database, desk, None, WATCH, now=now, prepared=prepared) == len(entries)
    decided = decided_rows(database)
    database.dispose()
    return decided


def test_a_copy_is_decided_without_its_vectors_as_it_would_be_with_them(tmp_path: Path) -> None:
    bundled = load_encoder(1).model
    keys = query_keys(next(w.query for w in load_config(BUNDLED_DEFAULT, data_dir=tmp_path).watches if w.name == WATCH))
    # A watch without categories: a copy's decision rests on its figures alone.
    plain_model = RecordingModel(bundled)
    plain = Categoriser((), CachedEncoder(plain_model), watch_names=keys)
    # A watch whose one category is judged by meaning but never reached: the same decisions, but
    # every copy's sentences must be embedded to know that.
    meaning_model = RecordingModel(bundled)
    unreachable = Category("never", Label("never", "أبدا"), examples=("a sentence no report says",))
    by_meaning = Categoriser([unreachable], CachedEncoder(meaning_model), threshold=2.0, watch_names=keys)

    without = decide_stream(tmp_path, "plain", plain, plain_model)
    with_vectors = decide_stream(tmp_path, "meaning", by_meaning, meaning_model)

    assert without == with_vectors, "the same events, stories, explanations and story memories"
    decided = {
        title: (article_id, event, story, explanation) for title, article_id, event, story, explanation in without[0]
    }
    wire, arabic, copy, tolled, arabic_copy, last = (decided[entry.title] for entry in stream())
    assert [wire[1], copy[1], last[1], arabic_copy[1]] == ["new_story", "duplicate", "duplicate", "duplicate"]
    assert tolled[1] == "development" and "800" in str(tolled[3]["figures"]), "a near copy with a changed toll is news"
    # Within the batch, copies find the stories that reports earlier in the same batch created.
    assert copy[2] == last[2] == tolled[2] == wire[2] and copy[3]["duplicate_of"] == wire[0]
    assert arabic_copy[2] == arabic[2] and arabic_copy[3]["duplicate_of"] == arabic[0]
    # The last copy's title is kept in its story's memory, but nothing has compared it yet.
    assert LAST_TITLE in meaning_model.asked and LAST_TITLE not in plain_model.asked
    assert any(LAST_TITLE in state["texts"] for state in without[1])


class SlowModel:
    """The bundled model on a machine busy enough that each sentence takes a few milliseconds;
    counts the seconds it has spent (``spent``)."""

    def __init__(self, model: Any, per_sentence: float) -> None:
        self.model = model
        self.per_sentence = per_sentence
        self.spent = 0.0

    def encode(self, sentences: Sequence[str]) -> Any:
        started = time.perf_counter()
        time.sleep(self.per_sentence * len(sentences))
        vectors = self.model.encode(sentences)
        self.spent += time.perf_counter() - started
        return vectors


SOURCES = ["wire", "aj", "bbc", "reuters"]
EN_TURNS = [
    "North Korean troops took a village near Kursk, Russian officials said, after days of fighting.",
    "Drone units of Pyongyang's forces struck Ukrainian positions in the Kursk region overnight.",
    "Seoul says North Korea sent more soldiers to Russia, bringing its troops there to {n},000.",
    "Ukraine captured {n} North Korean soldiers in Kursk, its military intelligence said on Friday.",
    "North Korean troops in Russia were pulled back from the front after losing {n}00 men in a week.",
]
AR_TURNS = [
    "قالت الاستخبارات الأوكرانية إن قوات كورية شمالية سيطرت على قرية قرب كورسك بعد معارك استمرت أياما.",
    "أرسلت كوريا الشمالية {n} آلاف جندي إضافي إلى روسيا بحسب سيول.",
    "أسرت القوات الأوكرانية {n} جنود من كوريا الشمالية في منطقة كورسك.",
]


def long_stream(count: int) -> list[Entry]:
    """``count`` reports of the watch, English and Arabic, each saying something of its own."""
    entries = []
    for n in range(count):
        arabic = n % 3 == 2
        turns = AR_TURNS if arabic else EN_TURNS
        body = " ".join(turns[(n + k) % len(turns)].format(n=n + k + 2) for k in range(3))
        entries.append(
            Entry(
                feed=SOURCES[n % len(SOURCES)],
                guid=f"long-{n}",
                url=f"https://{SOURCES[n % len(SOURCES)]}.example/long/{n}",
                title=turns[n % len(turns)].format(n=n + 2)[:90],
                summary=body,
                published=T0 + timedelta(minutes=7 * n),
                language_hint="ar" if arabic else "en",
            )
        )
    return entries


def test_a_batch_slow_to_decide_is_cut_into_transactions_within_the_deadline(tmp_path: Path) -> None:
    """Matches that are slow to decide (each report's sentences embedded, on a busy machine): one
    batch of all of them would hold the write lock for seconds. Each transaction stops placing at
    its deadline and leaves the rest queued, so the batch is decided in several transactions, each
    about as short as the deadline, every match once, and exactly as one long transaction decides."""
    bundled = load_encoder(1).model
    keys = query_keys(next(w.query for w in load_config(BUNDLED_DEFAULT, data_dir=tmp_path).watches if w.name == WATCH))
    # One category judged by meaning: every report's sentences are embedded (none is a mere copy).
    unreachable = Category("never", Label("never", "أبدا"), examples=("a sentence no report says",))
    entries = long_stream(128)

    def desk_of(model: Any) -> StoryDesk:
        categoriser = Categoriser([unreachable], CachedEncoder(model), threshold=2.0, watch_names=keys)
        return StoryDesk(Lexicon(), encoder=categoriser.encoder, categorisers={WATCH: categoriser})

    # The reference: the whole queue in one transaction, no deadline.
    whole_model = SlowModel(bundled, per_sentence=0.003)
    desk = desk_of(whole_model)
    database, prepared, now = store_stream(tmp_path, "whole", desk, entries)
    whole_model.spent = 0.0
    with database.session() as session:
        session.connection()
        started = time.perf_counter()
        assert len(decide_batch(session, desk, None, WATCH, now=now, prepared=prepared, limit=len(entries))) == len(
            entries
        )
    whole_held = time.perf_counter() - started
    whole = decided_rows(database)
    database.dispose()

    budget = 0.15
    slow = SlowModel(bundled, per_sentence=0.003)
    desk = desk_of(slow)
    database, prepared, now = store_stream(tmp_path, "cut", desk, entries)
    held: list[float] = []
    modelled: list[float] = []  # of which the model's seconds
    sizes: list[int] = []
    while True:
        with database.session() as session:
            session.connection()
            started, spent = time.perf_counter(), slow.spent
            events = decide_batch(
                session, desk, None, WATCH, now=now, prepared=prepared, limit=len(entries), deadline=started + budget
            )
        held.append(time.perf_counter() - started)
        modelled.append(slow.spent - spent)
        sizes.append(len(events))
        if not events:
            break
        # What the store prepared stays until its match is decided: the rest is not prepared again.
        assert len(prepared) == len(entries) - sum(sizes)
        with database.read_session() as session:
            assert session.query(UndecidedMatch).count() == len(entries) - sum(sizes), "the rest stays queued"
    cut = decided_rows(database)
    database.dispose()

    assert len([size for size in sizes if size]) >= 3, f"cut into several transactions, not one: {sizes}"
    assert sum(sizes) == len(entries) and not prepared
    assert len(cut[0]) == len(entries) and len({row[1] for row in cut[0]}) == len(entries), "every match once"
    # A transaction stops within a placing of its deadline: the model's time in it (which a busy
    # machine does not stretch, unlike the time it held the lock, shown) is at most the deadline
    # and one call embedding a few reports (8 of about 4 sentences at 3 ms), not the whole
    # batch's (128 reports, over a second; that transaction held the lock for ``whole_held``).
    assert max(modelled) < budget + 0.12 < whole_model.spent / 2, (
        f"model seconds {[round(m, 3) for m in modelled]}, lock held {[round(h, 3) for h in held]} s, "
        f"all at once {whole_held:.3f} s, {whole_model.spent:.3f} s of the model"
    )
    assert cut == whole, "the same events, stories, explanations and story memories as one long transaction"


def test_looked_ahead_before_the_write_lock_the_model_is_not_asked_under_it(tmp_path: Path) -> None:
    """``look_ahead`` reads in a snapshot (no write lock) and embeds what the batch will be judged
    by: deciding under the lock then asks the model nothing, and decides as without it."""
    bundled = load_encoder(1).model
    keys = query_keys(next(w.query for w in load_config(BUNDLED_DEFAULT, data_dir=tmp_path).watches if w.name == WATCH))
    unreachable = Category("never", Label("never", "أبدا"), examples=("a sentence no report says",))
    entries = long_stream(24) + stream()
    decided = []
    for name, ahead_first in (("plain", False), ("ahead", True)):
        model = RecordingModel(bundled)
        categoriser = Categoriser([unreachable], CachedEncoder(model), threshold=2.0, watch_names=keys)
        desk = StoryDesk(Lexicon(), encoder=categoriser.encoder, categorisers={WATCH: categoriser})
        database, prepared, now = store_stream(tmp_path, name, desk, entries)
        with database.read_session() as session:
            ahead = look_ahead(session, desk, WATCH, prepared=prepared, limit=len(entries)) if ahead_first else None
        model.asked.clear()
        with database.session() as session:
            events = decide_batch(
                session, desk, None, WATCH, now=now, prepared=prepared, limit=len(entries), ahead=ahead
            )
        assert len(events) == len(entries)
        if ahead_first:
            # (The category's examples are embedded when first used, once per process.)
            asked = [text for text in model.asked if text not in unreachable.examples]
            assert asked == [], "every sentence of the reports and stories was embedded before the lock"
        else:
            assert model.asked, "without looking ahead, the model is asked under the lock"
        decided.append(decided_rows(database))
        database.dispose()
    assert decided[0] == decided[1]


def test_postgresql_learns_the_size_of_tables_a_crawl_filled_before_deciding_reads_them(
    fresh_pg_url: str, tmp_path: Path
) -> None:
    """A first crawl fills empty tables in less than autovacuum's minute; PostgreSQL, planning from
    statistics of empty tables, read all of a watch's matches for each body deciding looked up.
    The decide stage analyses a table once it changed by more rows than it was last counted at."""
    database, _, _ = store_stream(tmp_path, "pg", StoryDesk(Lexicon()), long_stream(240), url=fresh_pg_url)

    def counted(table: str) -> float:
        with database.transaction() as connection:
            rows = connection.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = %(t)s", {"t": table})
            return float(rows.scalar_one())

    analysed: list[str] = []

    def refreshed() -> bool:  # the server's activity counts reach its statistics within a second or so
        with database.transaction() as connection:
            analysed.extend(refresh_statistics(connection))
        return "articles" in analysed

    try:
        assert counted("articles") <= 0  # never analysed
        assert wait_for(refreshed, 30, interval=0.2), "the 240 stored reports never made the table stale"
        assert counted("articles") == 240
        with database.transaction() as connection:
            assert refresh_statistics(connection) == [], "analysed again with nothing changed"
    finally:
        database.dispose()
    sqlite, _, _ = store_stream(tmp_path, "lite", StoryDesk(Lexicon()), long_stream(240))
    with sqlite.transaction() as connection:
        assert refresh_statistics(connection) == []  # SQLite plans from its indexes
    sqlite.dispose()
