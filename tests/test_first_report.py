"""A story keeps its first report (``StoryMemory.first_report``): a report that joins the story only
narrowly, through what its later reports added, while the first report alone would hardly take it
and its title shares nothing with the first report's, is another event of the watch
(``DecisionSettings.narrow_join``). A regional health agency's continental emergency a day after
neighbours went on alert over an outbreak starts its own story, in English and in Arabic; the
outbreak's next toll still joins the outbreak's story.

The reports are written for this test (a Marburg outbreak in Tanzania); they go through the real
decision with the bundled encoder, as a crawl's reports do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_developments import Desk

from stories.categories import Categoriser
from stories.memory import StoryMemory
from stories.names import query_keys
from stories.semantic import SentenceEncoder, load_encoder
from stories.types import EventType

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
QUERY = 'marburg OR "ماربورغ"'

FIRST = {
    "en": (
        "Marburg virus outbreak spreads in northern Tanzania, health ministry says",
        "An outbreak of Marburg virus is spreading in Tanzania's Kagera region, the health ministry said on "
        "Monday, with 14 suspected cases and 8 deaths in two districts.",
    ),
    "ar": (
        "تفشي فيروس ماربورغ في شمال تنزانيا ووزارة الصحة تسجل 8 وفيات",
        "قالت وزارة الصحة في تنزانيا يوم الاثنين إن فيروس ماربورغ يتفشى في منطقة كاغيرا مع تسجيل 14 إصابة "
        "مشتبها بها و8 وفيات في مديريتين.",
    ),
}
FOLLOW_UPS = (
    (
        "Marburg cases in Kagera rise to 20 as Tanzania traces hundreds of contacts",
        "Suspected Marburg cases in Tanzania's Kagera region rose to 20, with 10 deaths, and health workers are "
        "tracing more than 300 contacts, the ministry said.",
        "en",
    ),
    (
        "Uganda steps up border screening as Tanzania's Marburg outbreak grows",
        "Uganda began screening travellers at its border crossings with Tanzania for Marburg symptoms as the "
        "outbreak in Kagera grew, Uganda's health ministry said.",
        "en",
    ),
)
NEIGHBOURS_ON_ALERT = {
    "en": (
        "Neighbouring countries on alert over Tanzania's Marburg outbreak",
        "Uganda, Rwanda and Kenya put health workers on alert over the Marburg outbreak in Tanzania, and the "
        "African Union's health agency said the regional risk was high.",
    ),
    "ar": (
        "دول الجوار في حالة تأهب بسبب تفشي ماربورغ في تنزانيا",
        "وضعت أوغندا ورواندا وكينيا العاملين الصحيين في حالة تأهب بسبب تفشي ماربورغ في تنزانيا، وقالت وكالة "
        "الصحة التابعة للاتحاد الأفريقي إن الخطر الإقليمي مرتفع.",
    ),
}
CONTINENTAL_EMERGENCY = {
    "en": (
        "African Union agency declares continental emergency over Marburg",
        "The Africa Centres for Disease Control and Prevention declared the Marburg outbreak a public health "
        "emergency of continental security on Wednesday and asked donors for $20 million to fund a response in "
        "12 countries, its director said in Addis Ababa.",
    ),
    "ar": (
        "المركز الأفريقي لمكافحة الأمراض يعلن حالة طوارئ قارية",
        "أعلن المركز الأفريقي لمكافحة الأمراض والوقاية منها يوم الأربعاء تفشي ماربورغ حالة طوارئ تثير قلقا "
        "قاريا، وطلب من المانحين 20 مليون دولار لتمويل الاستجابة في 12 دولة، بحسب مديره في أديس أبابا.",
    ),
}
NEXT_TOLL = {
    "en": (
        "Marburg deaths in Tanzania's Kagera rise to 13",
        "Deaths from the Marburg outbreak in Tanzania's Kagera region rose to 13, the health ministry said on "
        "Wednesday, with 25 suspected cases.",
    ),
    "ar": (
        "ارتفاع وفيات ماربورغ في كاغيرا بتنزانيا إلى 13",
        "قالت وزارة الصحة التنزانية يوم الأربعاء إن وفيات تفشي ماربورغ في منطقة كاغيرا ارتفعت إلى 13 مع 25 "
        "إصابة مشتبها بها.",
    ),
}
OTHER = {"en": "ar", "ar": "en"}


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


def outbreak_desk(encoder: SentenceEncoder, language: str) -> Desk:
    """One story: the outbreak first reported in ``language``, its translation, two follow-ups
    and the neighbours' alert (in ``language``), over a day and a half."""
    desk = Desk(encoder, Categoriser((), encoder, watch_names=query_keys(QUERY)))
    reports = [
        (*FIRST[language], language),
        (*FIRST[OTHER[language]], OTHER[language]),
        *FOLLOW_UPS,
        (*NEIGHBOURS_ON_ALERT[language], language),
    ]
    for index, report in enumerate(reports):
        desk.report(*report, at=T0 + timedelta(hours=10 * index))
    assert list(desk.stories) == [1]
    return desk


@pytest.mark.parametrize("language", ["en", "ar"])
def test_another_bodys_declaration_a_day_later_starts_its_own_story(encoder: SentenceEncoder, language: str) -> None:
    declared = outbreak_desk(encoder, language).report(
        *CONTINENTAL_EMERGENCY[language], language, at=T0 + timedelta(days=2)
    )
    assert declared.event is EventType.NEW_STORY, declared.reason


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_outbreaks_next_toll_still_joins_its_story(encoder: SentenceEncoder, language: str) -> None:
    toll = outbreak_desk(encoder, language).report(*NEXT_TOLL[language], language, at=T0 + timedelta(days=2))
    assert toll.event is EventType.DEVELOPMENT, toll.reason
    assert toll.story_id == 1


def test_a_story_keeps_its_first_report_apart_from_the_rest_through_storage(encoder: SentenceEncoder) -> None:
    desk = outbreak_desk(encoder, "en")
    stored = StoryMemory.from_json(desk.stories[1].to_json())
    assert stored.articles == 5
    assert stored.first_report is not None
    assert stored.first_report.articles == 1
    assert stored.first_report.leads[0] == FIRST["en"][0]
    assert StoryMemory.from_json({"articles": 3}).first_report is None  # a story stored before it was kept
