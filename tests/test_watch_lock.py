"""A crawl revising a matched report and the watch's decide job, at once on PostgreSQL (the
distributed mode): both rewrite the same story's memory, and the story must keep what each added.

The race is made deterministic: a decide batch is held open (decided, not committed) while a
crawl stores a revision of a report in the same story; the revision waits for the batch, and
the story's stored memory then holds both the report the batch decided and the revised text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url
from support.pg import PgServer
from support.workers import wait_for

from config.loader import BUNDLED_DEFAULT, load_config
from ingest.decide import decide_batch, decide_watch
from ingest.desk import StoryDesk
from ingest.store import EventTimes, Stored, save_article, store_items
from ingest.tasks import ParsedItem
from raqib.compose import story_desk
from storage import feed_repo
from storage.db import Database
from storage.models import Story, WatchMatch
from storage.watch_locks import WATCH_LOCKS, lock_watches
from stories.analysis import Analyser
from stories.memory import StoryMemory
from stories.types import ArticleFate, Entry

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
WATCH = "nk-troops-kursk"
FEED = "الجزيرة"

FIRST = Entry(
    feed=FEED,
    guid="aj-toll",
    title="مقتل 4 جنود كوريين شماليين في هجوم بمسيرة أوكرانية في كورسك",
    summary="قتل 4 جنود من القوات الكورية الشمالية عندما أصابت مسيرات أوكرانية موقعهم في منطقة كورسك الروسية.",
    language_hint="ar",
)
# The same story, one more fact: decided by the watch's decide batch.
SECOND = Entry(
    feed=FEED,
    guid="aj-tanks",
    title="مسيرات أوكرانية تقتل جنودا كوريين شماليين وتدمر دبابتين في كورسك",
    summary=(
        "قتل 4 جنود من القوات الكورية الشمالية عندما أصابت مسيرات أوكرانية موقعهم في منطقة كورسك الروسية. "
        "ودمرت المسيرات أيضا دبابتين قرب بلدة سودجا."
    ),
    language_hint="ar",
)
# The first report revised (same guid, new text: a new toll): stored by a crawl meanwhile.
REVISED = Entry(
    feed=FEED,
    guid="aj-toll",
    title="مقتل 5 جنود كوريين شماليين في هجوم بمسيرة أوكرانية في كورسك",
    summary=(
        "قتل 5 جنود من القوات الكورية الشمالية وأصيب 7 آخرون عندما أصابت مسيرات أوكرانية موقعهم في منطقة كورسك الروسية."
    ),
    language_hint="ar",
)


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str


class InThread:
    """Runs ``work`` in a thread; ``join`` re-raises what it raised."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self.thread.start()

    def _run(self, work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - handed to the test by join()
            self.error = error

    def join(self, timeout: float = 60) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the transaction never finished"
        if self.error is not None:
            raise self.error


def lock_waits(pg_server: PgServer, url: str) -> list[str]:
    """What the database's sessions that wait for a lock wait for ('advisory', 'transactionid', ...)."""
    name = make_url(url).database
    assert name is not None
    with psycopg.connect(pg_server.admin_dsn(name), autocommit=True) as connection:
        rows = connection.execute(
            "SELECT wait_event FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", (name,)
        ).fetchall()
    return [row[0] for row in rows]


def crawl_store(database: Database, analyser: Analyser, desk: StoryDesk, entry: Entry, now: datetime) -> Stored:
    """What a crawl's store stage does with one report of the feed, in its own transaction."""
    return store_batch(database, analyser, desk, [entry], now)


def store_batch(database: Database, analyser: Analyser, desk: StoryDesk, entries: list[Entry], now: datetime) -> Stored:
    """A crawl's store batch of these reports of the feed, in its own transaction."""
    with database.session() as session:
        return store_items(
            session,
            feed_repo.feed_id(session, FEED),
            [ParsedItem(entry, analyser.analyse(entry), entry.summary) for entry in entries],
            prepare=desk.prepare,
            desk=lambda: desk,
            now=now,
            rules=EventTimes(),
        )


def test_a_revision_stored_while_the_watch_is_deciding_waits_and_the_story_keeps_both(
    pg_server: PgServer, fresh_pg_url: str, tmp_path: Path
) -> None:
    database = Database(fresh_pg_url)
    database.upgrade()
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    # Two desks, as two worker processes have: each with its own cache of story memories.
    decider, crawler = story_desk(config), story_desk(config)
    with database.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec(FEED, "https://aljazeera.example/rss", "ar")])
    with database.session() as session:
        first = save_article(session, FEED, FIRST, analyser.analyse(FIRST), desk=decider, now=T0)
    assert WATCH in first.events
    later = T0 + timedelta(hours=1)
    stored = crawl_store(database, analyser, decider, SECOND, later)  # its decision waits
    assert stored.watches == {WATCH}

    decided, release = threading.Event(), threading.Event()

    def decide() -> None:  # the watch's decide job, held open after deciding, before its commit
        with database.session() as session:
            events = decide_batch(session, decider, None, WATCH, now=later)
            assert len(events) == 1
            decided.set()
            assert release.wait(60)

    def revise() -> None:  # a crawl storing the revised first report meanwhile
        outcome = crawl_store(database, analyser, crawler, REVISED, later)
        assert outcome.fates == {analyser.analyse(REVISED).identity: ArticleFate.UPDATED}

    deciding = InThread(decide)
    assert decided.wait(60)
    revising = InThread(revise)
    assert wait_for(lambda: bool(lock_waits(pg_server, fresh_pg_url)), 30, interval=0.05), (
        "the revision should wait for the decide batch"
    )
    waits = lock_waits(pg_server, fresh_pg_url)
    assert revising.thread.is_alive()
    release.set()
    deciding.join()
    revising.join()

    with database.read_session() as session:
        stories = list(session.scalars(select(Story)))
        matches = list(session.scalars(select(WatchMatch).order_by(WatchMatch.id)))
        assert len(stories) == 1, "the second report joins the first one's story"
        state: dict[str, Any] | None = stories[0].state
        assert [match.story_id for match in matches] == [stories[0].id] * 2
        assert "revisions" in matches[0].explanation
    assert state is not None
    memory = StoryMemory.from_json(state)  # as the next decision reads it back
    # Three reports absorbed: the first, the second (the decide batch), the revision (the crawl).
    assert memory.articles == 3, memory.articles
    second_only = crawler.prepare(SECOND, "ar").features.words - crawler.prepare(FIRST, "ar").features.words
    assert second_only and second_only <= set(memory.words["ar"]), "the decide batch's report is remembered"
    revised_figures = crawler.prepare(REVISED, "ar").features.all_figures
    assert revised_figures, "the revision states figures"
    for figure in revised_figures:
        assert figure.value in memory.figure_values.get(figure.kind, []), (figure, memory.figure_values)
    assert waits == ["advisory"], "the revision waits for the watch's lock, before reading the story"
    database.dispose()


def test_a_revision_of_a_report_still_queued_for_a_watch_waits_for_that_watch(
    pg_server: PgServer, fresh_pg_url: str, tmp_path: Path
) -> None:
    """A decide job under way may have read the queued report's old text: the revision waits for
    it, so the decision is taken on one text and the revision then reaches the story."""
    database = Database(fresh_pg_url)
    database.upgrade()
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    with database.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec(FEED, "https://aljazeera.example/rss", "ar")])
    crawl_store(database, analyser, desk, FIRST, T0)  # queued for the watch, not decided
    name = make_url(fresh_pg_url).database
    assert name is not None
    with psycopg.connect(pg_server.admin_dsn(name)) as holder:  # the watch's decide job, under way
        holder.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (WATCH_LOCKS, WATCH))
        revising = InThread(lambda: crawl_store(database, analyser, desk, REVISED, T0))
        assert wait_for(lambda: lock_waits(pg_server, fresh_pg_url) == ["advisory"], 10, interval=0.05)
        holder.rollback()
    revising.join()
    assert decide_watch(database, desk, None, WATCH, now=T0) == 1
    with database.read_session() as session:
        story = session.scalars(select(Story)).one()
        assert story.title == REVISED.title, "decided on the revised text"
    database.dispose()


# -- a revised report that stops matching a watch it is queued for ----------------------------
#
# A second watch, named to sort before the first, that follows the toll of 4: the first report
# matches it, its revision (5 killed) no longer does. The store revising it must still hold this
# watch (its decide job may be turning the queue entry into a match) and take it in name order.

TOLL = "a-kursk-toll-4"
assert TOLL < WATCH
SECOND_TOLL = Entry(
    feed=FEED,
    guid="aj-toll-2",
    title="مقتل 4 جنود كوريين شماليين في قصف على مواقعهم في كورسك",
    summary="قتل 4 جنود من القوات الكورية الشمالية في قصف أوكراني بالمسيرات على مواقعهم في كورسك الروسية.",
    language_hint="ar",
)
SECOND_REVISED = Entry(
    feed=FEED,
    guid="aj-toll-2",
    title="مقتل 6 جنود كوريين شماليين في قصف على مواقعهم في كورسك",
    summary="قتل 6 جنود من القوات الكورية الشمالية في قصف أوكراني بالمسيرات على مواقعهم في كورسك الروسية.",
    language_hint="ar",
)


@dataclass
class TwoWatches:
    database: Database
    analyser: Analyser
    config: Any

    def store(self, desk: StoryDesk, entries: list[Entry], now: datetime) -> Stored:
        return store_batch(self.database, self.analyser, desk, entries, now)


def two_watches(url: str, folder: Path) -> TwoWatches:
    database = Database(url)
    database.upgrade()
    config = load_config(BUNDLED_DEFAULT, data_dir=folder)
    queries = {watch.name: watch.query for watch in config.watches}
    analyser = Analyser({**queries, TOLL: '"4 جنود"'})
    assert {hit.watch for hit in analyser.analyse(FIRST).hits} == {WATCH, TOLL}
    assert {hit.watch for hit in analyser.analyse(REVISED).hits} == {WATCH}, "the revision leaves the toll watch"
    with database.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec(FEED, "https://aljazeera.example/rss", "ar")])
    return TwoWatches(database, analyser, config)


class HeldDecision:
    """The toll watch's decide job, in a thread: it decides, then holds its transaction open (its
    watch lock and its new matches uncommitted) until ``finish``."""

    def __init__(self, setup: TwoWatches, desk: StoryDesk, now: datetime, expected: int) -> None:
        self.decided, self.release = threading.Event(), threading.Event()

        def decide() -> None:
            with setup.database.session() as session:
                assert len(decide_batch(session, desk, None, TOLL, now=now)) == expected
                self.decided.set()
                assert self.release.wait(60)

        self.thread = InThread(decide)
        assert self.decided.wait(60)

    def finish(self) -> None:
        self.release.set()
        self.thread.join()


def test_a_revision_leaving_a_watch_whose_decision_is_under_way_waits_for_it_in_name_order(
    pg_server: PgServer, fresh_pg_url: str, tmp_path: Path
) -> None:
    """The retry path: while the toll watch's decide job turns the first report's queue entry into
    a match, a crawl revises the report (now matching only the other watch) and a third
    transaction takes both watches in name order (as ``raqib reprocess`` or another crawl's store
    does). Had the crawl held only the other watch, found the new match under its row lock and
    then taken the toll watch out of order, it and the third would each hold what the other waits
    for (PostgreSQL then fails one). It waits for the toll watch first: all three finish."""
    setup = two_watches(fresh_pg_url, tmp_path)
    decider, crawler = story_desk(setup.config), story_desk(setup.config)
    setup.store(decider, [FIRST], T0)  # queued for both watches
    later = T0 + timedelta(hours=1)
    deciding = HeldDecision(setup, decider, later, expected=1)

    revising = InThread(lambda: setup.store(crawler, [REVISED], later))
    assert wait_for(lambda: len(lock_waits(pg_server, fresh_pg_url)) == 1, 30, interval=0.05)

    def both_in_order() -> None:
        with setup.database.session() as session:
            lock_watches(session, [WATCH, TOLL])

    third = InThread(both_in_order)
    assert wait_for(lambda: len(lock_waits(pg_server, fresh_pg_url)) == 2, 30, interval=0.05)
    assert lock_waits(pg_server, fresh_pg_url) == ["advisory", "advisory"], "both wait for the toll watch"
    deciding.finish()
    revising.join()
    third.join()

    assert decide_watch(setup.database, decider, None, WATCH, now=later) == 1
    with setup.database.read_session() as session:
        explanations = {match.watch: match.explanation for match in session.scalars(select(WatchMatch))}
        titles = {story.watch: story.title for story in session.scalars(select(Story))}
    assert set(explanations) == {TOLL, WATCH}
    assert "revisions" in explanations[TOLL], "the toll watch's story heard of the revision"
    assert titles[WATCH] == REVISED.title, "the other watch decided on the revised text"
    setup.database.dispose()


def test_two_revisions_leaving_a_watch_wait_for_its_decide_job_before_touching_their_rows(
    pg_server: PgServer, fresh_pg_url: str, tmp_path: Path
) -> None:
    """Two reports queued for the toll watch are revised in one store batch and both leave it. The
    watch's decide job, under way, writes a match for each (each insert waits for that article's
    row); the store locks the same rows in its own order: had it gone to the rows first, each
    could hold a row the other waits for. It waits for the watch's lock instead, before any row."""
    setup = two_watches(fresh_pg_url, tmp_path)
    assert {hit.watch for hit in setup.analyser.analyse(SECOND_TOLL).hits} == {WATCH, TOLL}
    assert {hit.watch for hit in setup.analyser.analyse(SECOND_REVISED).hits} == {WATCH}
    decider, crawler = story_desk(setup.config), story_desk(setup.config)
    setup.store(decider, [FIRST, SECOND_TOLL], T0)
    later = T0 + timedelta(hours=1)
    deciding = HeldDecision(setup, decider, later, expected=2)
    revising = InThread(lambda: setup.store(crawler, [REVISED, SECOND_REVISED], later))
    assert wait_for(lambda: bool(lock_waits(pg_server, fresh_pg_url)), 30, interval=0.05)
    assert lock_waits(pg_server, fresh_pg_url) == ["advisory"], "the watch's lock, not an article's row"
    deciding.finish()
    revising.join()

    with setup.database.read_session() as session:
        toll = [match.explanation for match in session.scalars(select(WatchMatch).where(WatchMatch.watch == TOLL))]
    assert len(toll) == 2 and all("revisions" in explanation for explanation in toll)
    setup.database.dispose()
