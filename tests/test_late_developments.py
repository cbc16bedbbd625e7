"""A story past the desk's window (its last report more than 7 days before) is still open, up to
``DecisionSettings.max_gap``, to a report of its own kind of news: the next turn of a vaccination
campaign nine days on joins the campaign's story, in English and in Arabic. A report of another
kind with the same places, or a report weeks later, starts a story of its own.

The reports are written for this test (a polio campaign in Yemen's Taiz); they go through the
store and the real story desk with the bundled encoder, as a crawl's reports do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.loader import load_config
from ingest.desk import StoryDesk
from ingest.store import save_article
from raqib.compose import story_desk
from storage import feed_repo
from storage.db import Database
from storage.models import WatchMatch
from stories.analysis import Analyser
from stories.types import Entry, EventType

T0 = datetime(2025, 5, 4, 8, 0, tzinfo=UTC)
WATCH = "polio-yemen"
CONFIG = """
[[watches]]
name = "polio-yemen"
description = "Polio in Yemen: cases, vaccination campaigns"
query = '''polio OR "شلل الأطفال"'''

[watches.categories.vaccination]
label = { en = "vaccination", ar = "التطعيم" }
examples = [
    "The vaccination campaign reached children in three more districts",
    "وصلت حملة التطعيم إلى الأطفال في ثلاث مديريات أخرى",
]
terms = { en = ["vaccin*", "doses"], ar = ["لقاح", "اللقاح", "التطعيم", "تطعيم", "جرعات"] }

[watches.categories.cases]
label = { en = "cases", ar = "الإصابات" }
examples = [
    "Health officials confirmed a new case of paralysis in a child",
    "أكدت السلطات الصحية إصابة جديدة بالشلل لدى طفل",
]
terms = { en = ["case", "cases", "paralysed"], ar = ["إصابة", "إصابات"] }
"""

CAMPAIGN = [
    (
        "Yemen starts polio vaccination campaign in Taiz",
        "Yemen's health ministry began a five-day polio vaccination campaign in Taiz on Sunday, aiming to "
        "give oral vaccine doses to 350,000 children under five, with help from UNICEF and the WHO.",
        "en",
    ),
    (
        "انطلاق حملة التطعيم ضد شلل الأطفال في تعز",
        "بدأت وزارة الصحة اليمنية الأحد حملة تطعيم ضد شلل الأطفال في تعز تستمر خمسة أيام وتستهدف 350 ألف طفل "
        "دون الخامسة بدعم من اليونيسف ومنظمة الصحة العالمية.",
        "ar",
    ),
]


@dataclass
class Placed:
    event: EventType
    story_id: int | None


class Watch:
    """One watch's reports through the store and the story desk, one at a time, each at its own
    event time."""

    def __init__(self, tmp_path: Path) -> None:
        path = tmp_path / "polio.toml"
        path.write_text(CONFIG, encoding="utf-8")
        config = load_config(path, data_dir=tmp_path)
        self.analyser = Analyser({watch.name: watch.query for watch in config.watches})
        self.desk: StoryDesk = story_desk(config)
        self.database = Database(f"sqlite:///{tmp_path / 'late.db'}")
        self.database.upgrade()
        self.count = 0

    def report(self, title: str, text: str, language: str, at: datetime) -> Placed:
        self.count += 1
        feed = f"wire-{language}"
        entry = Entry(
            feed=feed,
            title=title,
            summary=text,
            guid=f"{feed}-{self.count}",
            url=f"https://{feed}.example/{self.count}",
            published=at,
            language_hint=language,  # type: ignore[arg-type]
        )
        with self.database.session() as session:
            feed_repo.sync_feeds(session, [_Feed(feed, f"https://{feed}.example/rss", language)])
            outcome = save_article(session, feed, entry, self.analyser.analyse(entry), desk=self.desk, now=at)
            match = session.query(WatchMatch).filter_by(article_id=outcome.article_id, watch=WATCH).one()
            return Placed(outcome.events[WATCH], match.story_id)


@dataclass
class _Feed:
    name: str
    url: str
    language: str


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Watch]:
    one = Watch(tmp_path)
    yield one
    one.database.dispose()


def campaign_story(watch: Watch) -> int | None:
    first = watch.report(*CAMPAIGN[0], T0)
    assert first.event is EventType.NEW_STORY
    second = watch.report(*CAMPAIGN[1], T0 + timedelta(hours=5))
    assert second.story_id == first.story_id
    return first.story_id


@pytest.mark.parametrize(
    "title, text, language",
    [
        (
            "Polio drive in Taiz reaches 290,000 children, moves on to Ibb",
            "Health workers have vaccinated 290,000 children in Taiz, the ministry said on Tuesday, and the "
            "vaccination teams will move to neighbouring Ibb next week after the campaign was extended.",
            "en",
        ),
        (
            "تطعيم 290 ألف طفل ضد شلل الأطفال في تعز وفرق التطعيم تنتقل إلى إب",
            "قالت وزارة الصحة الثلاثاء إن العاملين الصحيين قدموا اللقاح لـ290 ألف طفل في تعز، وإن فرق "
            "التطعيم ستنتقل إلى محافظة إب المجاورة الأسبوع المقبل بعد تمديد الحملة.",
            "ar",
        ),
    ],
)
def test_the_next_turn_of_a_story_nine_days_on_joins_it(watch: Watch, title: str, text: str, language: str) -> None:
    story = campaign_story(watch)
    # Nine days after its last report: past the desk's 7-day window, within max_gap (10 days).
    late = watch.report(title, text, language, T0 + timedelta(days=9, hours=5))
    assert late.story_id == story
    assert late.event is EventType.DEVELOPMENT


@pytest.mark.parametrize(
    "title, text, language",
    [
        (
            "Child paralysed by polio in Taiz, first case this year",
            "Health officials confirmed a case of polio in a two-year-old boy in Taiz who was paralysed in "
            "April, the first case in the province this year.",
            "en",
        ),
        (
            "إصابة طفل بشلل الأطفال في تعز هي الأولى هذا العام",
            "أكدت السلطات الصحية إصابة طفل في الثانية من عمره بشلل الأطفال في تعز أصيب بالشلل في أبريل، "
            "وهي أول إصابة في المحافظة هذا العام.",
            "ar",
        ),
    ],
)
def test_another_kind_of_news_from_the_same_places_days_later_is_its_own_story(
    watch: Watch, title: str, text: str, language: str
) -> None:
    story = campaign_story(watch)
    case = watch.report(title, text, language, T0 + timedelta(days=9, hours=5))
    assert case.event is EventType.NEW_STORY
    assert case.story_id != story


def test_the_same_kind_of_news_weeks_later_is_another_event(watch: Watch) -> None:
    story = campaign_story(watch)
    later = watch.report(
        "New polio vaccination round begins in Taiz",
        "A new round of polio vaccination began in Taiz on Saturday, targeting 350,000 children under five "
        "with oral vaccine doses, the health ministry said.",
        "en",
        T0 + timedelta(days=30),
    )
    assert later.event is EventType.NEW_STORY
    assert later.story_id != story
