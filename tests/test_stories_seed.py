"""The issue's seed case through the real path: analyse, store, decide (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config.loader import BUNDLED_DEFAULT, load_config
from ingest.decide import decide_watch
from ingest.desk import StoryDesk
from ingest.prepare import PreparedArticle
from ingest.reprocess import reprocess
from ingest.store import EventTimes, save_article, store_items
from ingest.tasks import ParsedItem, init_worker, parse_task
from raqib.compose import story_desk
from storage import feed_repo
from storage.db import Database
from storage.models import Story, WatchMatch
from storage.read.stories import StoryFilters, story_details
from stories.analysis import Analyser
from stories.types import ArticleFate, Entry, EventType

T0 = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
WATCH = "nk-troops-kursk"

ARABIC_FIRST = Entry(
    feed="Al Jazeera Arabic",
    guid="aj-1",
    url="https://aj.example/1",
    title="انسحاب القوات الكورية الشمالية من جبهة كورسك بعد خسائر فادحة",
    summary=(
        "أفادت تقارير استخباراتية بأن القوات الكورية الشمالية سُحبت من خطوط المواجهة في منطقة كورسك "
        "الروسية منذ منتصف يناير بعد تكبدها خسائر فادحة. وقُتل نحو 300 جندي كوري شمالي وأصيب نحو 2700 "
        "آخرين. وكانت بيونغ يانغ قد أرسلت قرابة 12 ألف جندي إلى روسيا أواخر عام 2024 بموجب معاهدة الدفاع "
        "المشترك الموقعة في يونيو 2024. وتشير دلائل إلى أن بيونغ يانغ تستعد لإرسال مزيد من القوات "
        "وطائرات مسيرة انتحارية."
    ),
    language_hint="ar",
)
WIRE_TEXT = (
    "North Korean troops have been withdrawn from the front line in Russia's Kursk region since mid-January "
    "after suffering heavy losses, intelligence officials said. About 300 North Korean soldiers have been "
    "killed and about 2,700 wounded. Pyongyang sent some 12,000 troops to Russia in late 2024 under a mutual "
    "defence treaty signed in June 2024. There are signs Pyongyang is preparing to send more troops and "
    "suicide drones."
)
ENGLISH_WIRE = Entry(
    feed="Wire",
    guid="wire-1",
    url="https://wire.example/1",
    title="North Korean troops pulled from Kursk front after heavy losses",
    summary=WIRE_TEXT,
    language_hint="en",
)
RETITLED_COPY = Entry(
    feed="Daily Copy",
    guid="copy-1",
    url="https://copy.example/1",
    title="Here's what you need to know: North Korea pulls its soldiers back from Kursk",
    summary="Here's what you need to know: " + WIRE_TEXT,
    language_hint="en",
)
MORE_TROOPS = Entry(
    feed="Wire",
    guid="wire-2",
    url="https://wire.example/2",
    title="Pyongyang sends 3,000 more troops to Russia, Seoul says",
    summary=(
        "North Korea has sent about 3,000 additional troops to Russia since January to replenish units that "
        "suffered heavy losses in the Kursk region, South Korea's military said on Monday."
    ),
    language_hint="en",
)
DRONES = Entry(
    feed="Wire",
    guid="wire-3",
    url="https://wire.example/3",
    title="North Korea delivers attack drones to Russia, Ukraine says",
    summary=(
        "North Korea has delivered attack drones to Russia and North Korean crews have operated them against "
        "Ukrainian positions in the Kursk region, Ukrainian military intelligence said on Wednesday."
    ),
    language_hint="en",
)
UKRAINIAN_STRIKE = Entry(
    feed="Wire",
    guid="wire-4",
    url="https://wire.example/4",
    title="Ukrainian drones strike energy site in Russia's Kursk region",
    summary="Ukrainian drones hit an electricity substation in the Kursk region overnight, the governor said.",
    language_hint="en",
)


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str


def test_seed_case(database: Database, tmp_path: Path) -> None:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    with database.session() as session:
        feed_repo.sync_feeds(
            session,
            [FeedSpec(name, f"https://{name}.example", "auto") for name in ("Al Jazeera Arabic", "Wire", "Daily Copy")],
        )
    timeline = [ARABIC_FIRST, ENGLISH_WIRE, RETITLED_COPY, MORE_TROOPS, DRONES, UKRAINIAN_STRIKE]
    events: list[EventType | None] = []
    for hours, entry in zip([0, 3, 5, 48, 72, 80], timeline, strict=True):
        analysis = analyser.analyse(entry)
        with database.session() as session:
            outcome = save_article(session, entry.feed, entry, analysis, desk=desk, now=T0 + timedelta(hours=hours))
        events.append(outcome.events.get(WATCH))

    assert events[0] is EventType.NEW_STORY
    assert events[1] in (EventType.UPDATE, EventType.DUPLICATE), "the English wire of the same facts alerts nobody"
    assert events[2] is EventType.DUPLICATE, "a re-titled copy is a duplicate"
    assert events[3] is EventType.DEVELOPMENT, "3,000 more troops is new"
    assert events[4] is EventType.DEVELOPMENT, "drones delivered is new although drones were hinted"
    assert events[5] is None, "a Ukrainian strike without a North Korean angle is not matched"

    with database.session() as session:
        stories = story_details(session, StoryFilters(watch=WATCH))
        explanations = {
            match.event: match.explanation for match in session.scalars(select(WatchMatch).order_by(WatchMatch.id))
        }
        developments = [
            match.explanation for match in session.scalars(select(WatchMatch).where(WatchMatch.event == "development"))
        ]
    assert len(stories) == 1, "one story across Arabic and English outlets"
    assert [a.language for a in stories[0].articles] == ["ar", "en", "en", "en", "en"]
    troops, drones = developments
    assert any("3,000" in item["evidence"] for item in troops["developments"]), troops
    assert troops["new_facts"] or troops["figures"], troops
    assert drones["new_facts"] and "drones" in " ".join(drones["new_facts"]), drones
    assert explanations["duplicate"]["duplicate_of"] is not None


# 300 hours: past ``DecisionSettings.max_gap`` (10 days). Between the desk's 7-day window and
# max_gap a story takes only a report of its own kind (tests/test_late_developments.py).
@pytest.mark.parametrize("hours", [0, 300])
def test_a_report_after_the_story_window_starts_a_new_story(database: Database, tmp_path: Path, hours: int) -> None:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    with database.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec("Wire", "https://wire.example", "en")])
    first = ENGLISH_WIRE
    later = MORE_TROOPS
    with database.session() as session:
        save_article(session, "Wire", first, analyser.analyse(first), desk=desk, now=T0)
    with database.session() as session:
        outcome = save_article(
            session, "Wire", later, analyser.analyse(later), desk=desk, now=T0 + timedelta(hours=1 + hours)
        )
    expected = EventType.DEVELOPMENT if hours == 0 else EventType.NEW_STORY
    assert outcome.events[WATCH] is expected


def _desk_and_analyser(tmp_path: Path) -> tuple[Analyser, StoryDesk]:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    return Analyser({watch.name: watch.query for watch in config.watches}), story_desk(config)


def test_a_revised_report_is_an_update_of_the_same_article(database: Database, tmp_path: Path) -> None:
    analyser, desk = _desk_and_analyser(tmp_path)
    with database.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec("Wire", "https://wire.example", "en")])
    first = Entry(
        feed="Wire",
        guid="wire-toll",
        title="At least 4 North Korean soldiers killed in Kursk drone strike",
        summary="At least 4 North Korean soldiers were killed when Ukrainian drones hit their position in Kursk.",
        language_hint="en",
    )
    revised = Entry(
        feed="Wire",
        guid="wire-toll",
        title="5 North Korean soldiers killed in Kursk drone strike",
        summary="Five North Korean soldiers were killed when Ukrainian drones hit their position in Kursk.",
        language_hint="en",
    )
    with database.session() as session:
        created = save_article(session, "Wire", first, analyser.analyse(first), desk=desk, now=T0)
    with database.session() as session:
        outcome = save_article(session, "Wire", revised, analyser.analyse(revised), desk=desk, now=T0)
    assert created.events[WATCH] is EventType.NEW_STORY
    assert outcome.fate is ArticleFate.UPDATED and outcome.article_id == created.article_id
    assert outcome.events[WATCH] is EventType.UPDATE
    with database.session() as session:
        stories = story_details(session, StoryFilters())
        match = session.scalars(select(WatchMatch)).one()
    assert len(stories) == 1 and len(stories[0].articles) == 1
    assert match.event == "new_story", "the original event stays; the revision is recorded beside it"
    assert [change["label"] for change in match.explanation["revisions"][0]["figures"]] == ["killed: ~4 → 5"]


def test_reprocess_rebuilds_the_same_stories_and_follows_a_changed_watch(database: Database, tmp_path: Path) -> None:
    analyser, desk = _desk_and_analyser(tmp_path)
    with database.session() as session:
        feed_repo.sync_feeds(
            session,
            [FeedSpec(name, f"https://{name}.example", "auto") for name in ("Al Jazeera Arabic", "Wire", "Daily Copy")],
        )
    timeline = [ARABIC_FIRST, ENGLISH_WIRE, RETITLED_COPY, MORE_TROOPS, DRONES, UKRAINIAN_STRIKE]
    for hours, entry in zip([0, 3, 5, 48, 72, 80], timeline, strict=True):
        with database.session() as session:
            save_article(
                session, entry.feed, entry, analyser.analyse(entry), desk=desk, now=T0 + timedelta(hours=hours)
            )

    def decisions() -> list[tuple[str, str, int]]:
        with database.session() as session:
            stories = story_details(session, StoryFilters())
        order = {story.id: index for index, story in enumerate(sorted(stories, key=lambda s: s.first_seen))}
        return sorted((a.title, a.event, order[s.id]) for s in stories for a in s.articles)

    before = decisions()
    result = reprocess(database, analyser, desk)
    assert decisions() == before, "a replay with unchanged settings decides exactly as the crawl did"
    assert (result.articles, result.matches_before, result.matches_after) == (6, 5, 5)

    # A new watch on Ukrainian strikes: reprocess finds the report the old watches ignored.
    sources = {name: query.source for name, query in analyser.queries.items()}
    widened = Analyser({**sources, "strikes": "(Ukrain* AND drone* AND Kursk)"})
    progress: list[int] = []
    reprocess(database, widened, desk, watch="strikes", progress=lambda done, total: progress.append(total))
    with database.session() as session:
        strikes = story_details(session, StoryFilters(watch="strikes"))
    titles = {a.title for story in strikes for a in story.articles}
    assert UKRAINIAN_STRIKE.title in titles
    assert progress and progress[-1] == 6
    with database.session() as session:
        kursk = story_details(session, StoryFilters(watch=WATCH))
    assert sorted((a.title, a.event) for s in kursk for a in s.articles) == sorted((t, e) for t, e, _ in before)


def test_reprocess_gives_the_same_stories_whatever_order_the_reports_arrived_in(tmp_path: Path) -> None:
    """The same six reports, each with its publication time, arrive in event order in one
    database and newest first (a backfill) in another; after ``reprocess`` both hold the same
    stories with the same events, decided oldest event first."""
    analyser, _ = _desk_and_analyser(tmp_path)
    timeline = [ARABIC_FIRST, ENGLISH_WIRE, RETITLED_COPY, MORE_TROOPS, DRONES, UKRAINIAN_STRIKE]
    dated = [
        replace(entry, published=T0 + timedelta(hours=hours))
        for hours, entry in zip([0, 3, 5, 48, 72, 80], timeline, strict=True)
    ]
    seen_at = T0 + timedelta(days=5)  # all first seen later, as in a first crawl

    def stories_after_reprocess(name: str, arrival: list[Entry]) -> list[tuple[str, str, int]]:
        database = Database(f"sqlite:///{tmp_path / name}.db")
        database.upgrade()
        desk = _desk_and_analyser(tmp_path)[1]
        with database.session() as session:
            feed_repo.sync_feeds(session, [FeedSpec(e.feed, f"https://{e.feed}.example", "auto") for e in timeline])
        for minutes, entry in enumerate(arrival):
            with database.session() as session:
                now = seen_at + timedelta(minutes=minutes)
                save_article(session, entry.feed, entry, analyser.analyse(entry), desk=desk, now=now)
        reprocess(database, analyser, desk)
        with database.read_session() as session:
            stories = story_details(session, StoryFilters())
        database.dispose()
        order = {story.id: index for index, story in enumerate(sorted(stories, key=lambda s: s.first_seen))}
        return sorted((a.title, a.event, order[s.id]) for s in stories for a in s.articles)

    in_order = stories_after_reprocess("in-order", dated)
    assert in_order == stories_after_reprocess("newest-first", list(reversed(dated)))
    assert {event for _, event, _ in in_order} >= {"new_story", "duplicate"}


def test_a_batch_decided_at_once_matches_reports_decided_one_by_one(tmp_path: Path) -> None:
    """A crawl stores a feed's reports and decides them as one batch (their sentences embedded
    in one call, the stories' memories written once per batch); the decisions and the stories'
    stored memories are those of deciding each report as it is stored."""
    analyser, _ = _desk_and_analyser(tmp_path)
    timeline = [ARABIC_FIRST, ENGLISH_WIRE, RETITLED_COPY, MORE_TROOPS, DRONES]
    dated = [
        replace(entry, published=T0 + timedelta(hours=hours))
        for hours, entry in zip([0, 3, 5, 48, 72], timeline, strict=True)
    ]
    now = T0 + timedelta(days=4)
    feeds = [FeedSpec(e.feed, f"https://{e.feed}.example", "auto") for e in timeline]

    def outcome(name: str, batch: bool) -> tuple[list[tuple[str, str, int]], list[dict[str, object]]]:
        database = Database(f"sqlite:///{tmp_path / name}.db")
        database.upgrade()
        desk = _desk_and_analyser(tmp_path)[1]
        with database.session() as session:
            feed_repo.sync_feeds(session, feeds)
        if batch:
            prepared: dict[int, PreparedArticle] = {}
            with database.session() as session:
                for entry in dated:
                    item = ParsedItem(entry, analyser.analyse(entry), entry.summary)
                    stored = store_items(
                        session,
                        feed_repo.feed_id(session, entry.feed),
                        [item],
                        prepare=desk.prepare,
                        desk=lambda: desk,
                        now=now,
                        rules=EventTimes(),
                    )
                    prepared.update(stored.prepared)
            assert decide_watch(database, desk, None, WATCH, now=now, prepared=prepared) == len(dated)
        else:
            for entry in dated:
                with database.session() as session:
                    save_article(session, entry.feed, entry, analyser.analyse(entry), desk=desk, now=now)
        with database.read_session() as session:
            stories = story_details(session, StoryFilters())
            states = [story.state for story in session.scalars(select(Story).order_by(Story.id))]
        database.dispose()
        order = {story.id: index for index, story in enumerate(sorted(stories, key=lambda s: s.first_seen))}
        return sorted((a.title, a.event, order[s.id]) for s in stories for a in s.articles), states

    one_by_one = outcome("one-by-one", batch=False)
    assert {event for _, event, _ in one_by_one[0]} >= {"new_story", "duplicate", "development"}
    assert outcome("batch", batch=True) == one_by_one
    assert all(state and state["articles"] for state in one_by_one[1]), "every story's memory is stored"


def test_the_parse_workers_ready_matched_reports_as_the_desk_would(tmp_path: Path) -> None:
    """A matched report is readied for deciding in the parse worker (features, fingerprint,
    MinHash signature), exactly as the story desk readies it; an unmatched one is not."""
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    init_worker({watch.name: watch.query for watch in config.watches})
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{ARABIC_FIRST.title}</title><guid>a1</guid><description>{ARABIC_FIRST.summary}</description></item>"
        "<item><title>ارتفاع أسعار الذهب مع ترقب قرار الفائدة</title><guid>a2</guid>"
        "<description>ارتفعت أسعار الذهب اليوم.</description></item></channel></rss>"
    ).encode()
    matched, unmatched = parse_task("Al Jazeera Arabic", "ar", feed, "application/rss+xml", "https://aj.example/").items
    assert matched.analysis.hits and not unmatched.analysis.hits
    assert unmatched.prepared is None
    assert matched.prepared == story_desk(config).prepare(matched.entry, matched.analysis.language)
    assert matched.prepared is not None and "north_korea" in matched.prepared.features.entities
