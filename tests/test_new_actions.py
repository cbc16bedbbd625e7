"""An action the story never told is news however close the encoder reads its sentence to the
story (issue 8): a pledge by the story's actor ("the speaker pledges to pass the budget" after his
election) reads 0.5-0.65 against the story's telling of him, so a sentence tying an action the
story lacked is new up to ``NoveltySettings.said_similarity_new_action``. The examples are written
for this test (not taken from the timelines); the decision runs with the real bundled encoder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_developments import Desk  # the decide loop as the story desk runs it, in memory

from stories.categories import Categoriser
from stories.semantic import SentenceEncoder, load_encoder
from stories.types import EventType

T0 = datetime(2026, 5, 12, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


KUWAIT_SPEAKER = (
    (
        "Kuwait's parliament elects Saadoun as speaker",
        "Kuwait's newly elected parliament chose veteran lawmaker Ahmed al-Saadoun as its speaker on Tuesday at its "
        "first session. The vote for his two deputies was put off until next week.",
        "en",
    ),
    (
        "البرلمان الكويتي ينتخب السعدون رئيسا له",
        "انتخب مجلس الأمة الكويتي الجديد النائب المخضرم أحمد السعدون رئيسا له الثلاثاء في جلسته الأولى. "
        "وأرجئ انتخاب نائبي الرئيس إلى الأسبوع المقبل.",
        "ar",
    ),
)


@pytest.mark.parametrize(
    "pledge",
    [
        (
            "Kuwait speaker pledges budget before summer recess",
            "Speaker Saadoun pledged that parliament would pass the state budget before its summer recess.",
            "en",
        ),
        (
            "مجلس الأمة الكويتي: السعدون يتعهد بإقرار الموازنة",
            "تعهد النائب المخضرم أحمد السعدون بعد انتخابه رئيسا لمجلس الأمة الكويتي بإقرار الموازنة العامة "
            "في الجلسة المقبلة.",
            "ar",
        ),
    ],
)
def test_a_pledge_by_the_story_s_actor_is_a_development(encoder: SentenceEncoder, pledge: tuple[str, str, str]) -> None:
    # The encoder reads the pledge as the speaker's story (0.52-0.56, over the bar of a said
    # sentence): the pledge is an action the story never told, new up to the higher bar.
    desk = Desk(encoder, Categoriser(()))
    for hours, told in enumerate(KUWAIT_SPEAKER):
        desk.report(*told, T0 + timedelta(hours=hours))
    report = desk.report(*pledge, T0 + timedelta(hours=24))
    assert report.story_id == 1, report.reason
    assert report.event is EventType.DEVELOPMENT, report.reason
