"""Figures of the kinds a fire, a flood or a seizure of land grows by (an area with its unit) and
ordinal counts ("a third soldier", "ثالث جندي"), for any watch, in both languages (issue 8): a
changed or first area or ordinal count is news; the same figure restated in the other language,
in another unit or in words is not. The examples are written for this test (not taken from the
timelines); the decision runs with the real bundled encoder and no categories, so only the
figures and the wording can make a report new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_developments import Desk  # the decide loop as the story desk runs it, in memory

from stories.categories import Categoriser
from stories.figures import compare, extract_figures, format_figure, summarise
from stories.semantic import SentenceEncoder, load_encoder
from stories.types import EventType

T0 = datetime(2026, 8, 3, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


def kinds(text: str, language: str = "en") -> list[tuple[str, int, bool]]:
    return [(f.kind, f.value, f.approximate) for f in extract_figures(text, language)]  # type: ignore[arg-type]


def test_an_area_is_one_figure_in_any_unit_and_either_language() -> None:
    hectares = kinds("The fire has burned about 3,000 hectares of forest near Kessab.")
    acres = kinds("The fire has burned some 7,400 acres of forest near Kessab.")
    arabic = kinds("أتت النيران على نحو 3 آلاف هكتار من الغابات قرب كسب", "ar")
    words = kinds("Three thousand hectares have burned.")
    assert hectares == [("area", 3000, True)] and arabic == [("area", 3000, True)]
    assert words == [("area", 3000, False)]
    assert acres == [("area", 2995, True)]  # 7,400 acres are 2,995 ha: the same figure within 5 %
    story = summarise(extract_figures("The fire has burned about 3,000 hectares.", "en"))
    assert compare(story, summarise(extract_figures("The fire has burned some 7,400 acres.", "en")), 0.05) == []
    grown = compare(story, summarise(extract_figures("الحريق التهم 52 كيلومترا مربعا", "ar")), 0.05)
    assert [change.label for change in grown] == ["area: ~3,000 ha → 5,200 ha"]


def test_measures_that_are_no_area_stay_out() -> None:
    assert kinds("The convoy drove 300 kilometres and stopped 20 km from the border.") == []
    assert kinds("Thousands of hectares burned.") == []  # vague: nothing to compare
    assert kinds("صادرت السلطات 400 دونم بينها 50 دونما من بساتين الزيتون", "ar") == [("area", 40, False)]
    assert format_figure(extract_figures("about 1,250 hectares", "en")[0]) == "~1,250 ha"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Kyiv says its troops captured a third Russian soldier near Vovchansk.", "en", [("captured", 3, False)]),
        ("A fourth journalist was killed in the city on Friday.", "en", []),  # a journalist is no kind
        ("The navy shot down a second drone over the port.", "en", [("drones", 2, False)]),
        ("قال الجيش الأوكراني إنه أسر ثالث جندي روسي قرب فوفتشانسك", "ar", [("captured", 3, False)]),
        ("أعلنت كييف أسر الجندي الروسي الثالث قرب فوفتشانسك", "ar", [("captured", 3, False)]),
        ("أسقطت الدفاعات المسيرة الثانية فوق الميناء", "ar", [("drones", 2, False)]),
        ("قالت كييف إنها أسرت جنديا روسيا رابعا في المنطقة", "ar", [("captured", 4, False)]),
        ("It was the second time the plant was hit, the third largest in Europe.", "en", []),
        ("Russia launched a second drone attack on the plant.", "en", []),
        ("The third prisoner exchange took place on Friday.", "en", []),
        ("تمت صفقة الأسرى الثالثة يوم الجمعة", "ar", []),
        ("عقدت الجولة الثانية في تشرين الثاني وكانت ثاني أكبر جولة", "ar", []),
    ],
)
def test_an_ordinal_next_to_a_counted_noun_is_a_count(text: str, language: str, expected: list[object]) -> None:
    assert kinds(text, language) == expected


def test_a_burned_area_that_grows_is_news_and_restated_is_not(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    first = desk.report(
        "Wildfire near Kessab forces families out",
        "A wildfire in the hills near Kessab has burned about 3,000 hectares of pine forest since Sunday, "
        "the agriculture ministry said. Dozens of families left their homes.",
        "en",
        T0,
    )
    assert first.event is EventType.NEW_STORY, first.reason
    restated = desk.report(
        "حريق كسب يلتهم آلاف الهكتارات",
        "قالت وزارة الزراعة إن حريق الغابات في تلال كسب أتى على نحو 3 آلاف هكتار من أشجار الصنوبر منذ الأحد.",
        "ar",
        T0 + timedelta(hours=5),
    )
    assert restated.story_id == 1, restated.reason
    assert restated.event in (EventType.UPDATE, EventType.DUPLICATE), restated.reason
    grown = desk.report(
        "Kessab wildfire burns on",
        "The wildfire in the hills near Kessab has now burned 5,200 hectares of pine forest, "
        "the agriculture ministry said on Tuesday.",
        "en",
        T0 + timedelta(days=1),
    )
    assert grown.story_id == 1, grown.reason
    assert grown.event is EventType.DEVELOPMENT, grown.reason
    assert any(item["evidence"] == "area: ~3,000 ha → 5,200 ha" for item in grown.explanation()["developments"])


def test_a_third_captured_soldier_is_news_and_its_restatement_is_not(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    first = desk.report(
        "Ukraine says it captured two Russian soldiers near Vovchansk",
        "Ukrainian forces captured two Russian soldiers near Vovchansk on Monday, the army's general staff said. "
        "The men are being questioned by the security service.",
        "en",
        T0,
    )
    assert first.event is EventType.NEW_STORY, first.reason
    third = desk.report(
        "القوات الأوكرانية تأسر جنديا روسيا ثالثا قرب فوفتشانسك",
        "قالت هيئة الأركان العامة للجيش الأوكراني إن قواتها أسرت ثالث جندي روسي قرب فوفتشانسك يوم الأربعاء، "
        "بعد أسر جنديين روسيين هناك يوم الاثنين. ويخضع الأسرى للاستجواب من قبل جهاز الأمن.",
        "ar",
        T0 + timedelta(days=2),
    )
    assert third.story_id == 1, third.reason
    assert third.event is EventType.DEVELOPMENT, third.reason
    assert [item["evidence"] for item in third.explanation()["developments"]] == ["captured: 2 → 3"]
    restated = desk.report(
        "Ukraine captures a third Russian soldier near Vovchansk",
        "Ukraine's general staff said its forces captured a third Russian soldier near Vovchansk, "
        "who is being questioned by the security service.",
        "en",
        T0 + timedelta(days=2, hours=3),
    )
    assert restated.story_id == 1, restated.reason
    assert restated.event in (EventType.UPDATE, EventType.DUPLICATE), restated.reason
