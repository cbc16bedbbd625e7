"""A story's span in event time (``stories.decide``, ``DecisionSettings.max_gap``): a report three
weeks after a story went quiet is another event of the watch, in English and in Arabic, however
alike its words (the same campaign's figures, province and ministry). On the dev timelines a
report far outside a story scores as high against it when it is another event as when it is the
story's development (0.4-0.94 either way), so letting such reports join on a bar rising with the
distance cut more stories than it mended (left out, ten files: story F1 0.789 -> 0.710, or 0.768
when the report must be of the story's kind); this is the guard on the window.

The reports are written for this test (a polio campaign in Yemen's Taiz, its figures every few
days) and go through the store and the real story desk, as in tests/test_late_developments.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_late_developments import T0, Watch, watch  # noqa: F401  (``watch``: the fixture)

from stories.types import EventType

# The campaign's figures, one report every four days for three weeks, in turn in English and
# Arabic: day, children vaccinated, and what else the report tells (each in its own words, so
# that no report copies another).
REACHED = [(0, 40_000), (4, 95_000), (8, 150_000), (12, 210_000), (16, 265_000), (20, 320_000)]
DETAILS = {
    "en": [
        "Teams began in Al-Mudhaffar district, going door to door with oral vaccine.",
        "UNICEF flew in a further shipment of vaccine and cold boxes for the teams.",
        "Mosques announced the campaign after Friday prayers to reach reluctant families.",
        "Health workers said parents in the camps for displaced families came forward readily.",
        "The WHO said fewer than one in ten children had been missed so far.",
        "The ministry thanked the volunteers who carried vaccine to mountain villages.",
    ],
    "ar": [
        "وبدأت الفرق في مديرية المظفر متنقلة من منزل إلى منزل باللقاح الفموي.",
        "وأرسلت اليونيسف شحنة جديدة من اللقاح وصناديق التبريد للفرق.",
        "وأعلنت المساجد عن الحملة بعد صلاة الجمعة للوصول إلى الأسر المترددة.",
        "وقال العاملون الصحيون إن الأهالي في مخيمات النازحين أقبلوا على التطعيم.",
        "وقالت منظمة الصحة العالمية إن أقل من طفل من كل عشرة لم يصله اللقاح حتى الآن.",
        "وشكرت الوزارة المتطوعين الذين حملوا اللقاح إلى القرى الجبلية.",
    ],
}


def reached_report(children: int, language: str, detail: str) -> tuple[str, str]:
    if language == "en":
        return (
            f"Polio vaccination campaign in Taiz reaches {children:,} children",
            f"Yemen's health ministry said its polio vaccination campaign in Taiz has reached {children:,} "
            f"children under five. {detail}",
        )
    return (
        f"حملة التطعيم ضد شلل الأطفال في تعز تصل إلى {children} طفل",
        f"قالت وزارة الصحة اليمنية إن حملة التطعيم ضد شلل الأطفال في تعز وصلت إلى {children} طفل دون الخامسة. {detail}",
    )


def campaign_story(polio: Watch) -> int | None:
    """The campaign's figures in turn in English and Arabic: one story."""
    placed = []
    for i, (day, children) in enumerate(REACHED):
        language = "en" if i % 2 == 0 else "ar"
        title, text = reached_report(children, language, DETAILS[language][i])
        placed.append(polio.report(title, text, language, T0 + timedelta(days=day)))
    assert placed[0].event is EventType.NEW_STORY
    assert {p.story_id for p in placed} == {placed[0].story_id}, [p.event for p in placed]
    return placed[0].story_id


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_like_report_three_weeks_after_the_story_went_quiet_is_another_campaign(
    watch: Watch,  # noqa: F811
    language: str,
) -> None:
    story = campaign_story(watch)
    # Three weeks after the story's last report (day 20): past max_gap (10 days). The same
    # province, ministry and vaccine, in the story's words: only the time tells it apart.
    title, text = {
        "en": (
            "Polio vaccination campaign in Taiz reaches 60,000 children in new round",
            "Yemen's health ministry said a new round of polio vaccination in Taiz has reached 60,000 children "
            "under five, with teams again going door to door in Al-Mudhaffar.",
        ),
        "ar": (
            "جولة جديدة من التطعيم ضد شلل الأطفال في تعز تصل إلى 60 ألف طفل",
            "قالت وزارة الصحة اليمنية إن جولة جديدة من التطعيم ضد شلل الأطفال في تعز وصلت إلى 60 ألف طفل "
            "دون الخامسة، مع عودة الفرق إلى التنقل بين المنازل في المظفر.",
        ),
    }[language]
    later = watch.report(title, text, language, T0 + timedelta(days=41))
    assert later.event is EventType.NEW_STORY
    assert later.story_id != story
