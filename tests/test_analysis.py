"""Analyser: entries in, identity, language, content hash and watch hits out."""

from __future__ import annotations

import pytest
from test_text_golden import DEFAULT_WATCH

from stories.analysis import Analyser
from stories.identity import content_hash, entry_identity
from stories.query import QuerySyntaxError
from stories.types import Entry


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    drones = "(Kursk OR كورسك) AND (drone* OR مسيرات)"
    return Analyser({"nk-troops-kursk": DEFAULT_WATCH, "kursk-drones": drones})


def test_english_report_matches_the_default_watch(analyser: Analyser) -> None:
    entry = Entry(
        feed="Example Wire",
        title="North Korean troops suffer heavy losses in Kursk, Kyiv says",
        summary="Ukraine's intelligence says Pyongyang's soldiers are fighting in Russia's Kursk region.",
        guid="https://example.com/nk-kursk?utm_source=rss",
        url="https://example.com/nk-kursk?utm_source=rss",
    )
    result = analyser.analyse(entry)
    assert result.matched
    assert [hit.watch for hit in result.hits] == ["nk-troops-kursk"]
    expected = ("North Korea*", "Pyongyang", "Kursk", "Russia*", "Ukrain*", "troop*", "soldier*")
    assert result.hits[0].terms == expected
    assert result.language == "en"
    assert result.canonical_url == "https://example.com/nk-kursk"
    assert result.identity.startswith("g:")


def test_arabic_report_matches_the_default_watch(analyser: Analyser) -> None:
    entry = Entry(
        feed="Al Jazeera Arabic",
        title="مسيّرات أوكرانية تستهدف القوات الكوريّة الشمالية في كورسك",
        summary="قالت الاستخبارات الأوكرانية إن جنوداً من كوريا الشمالية قتلوا في هجوم بالمسيرات على مواقعهم.",
        url="https://www.aljazeera.net/news/2025/1/5/nk",
    )
    result = analyser.analyse(entry)
    assert {hit.watch for hit in result.hits} == {"nk-troops-kursk", "kursk-drones"}
    nk = next(hit for hit in result.hits if hit.watch == "nk-troops-kursk")
    # "أوكرانية" (Ukrainian) is an adjective, not the listed country name أوكرانيا.
    assert nk.terms == ("كوريا الشمالية", "الكورية الشمالية", "كورسك", "قوات", "جنود", "مسيرات")
    assert result.language == "ar"
    assert result.identity.startswith("u:")


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Ukrainian drones hit an oil depot in Russia's Kursk region", "No casualties were reported."),
        ("South Korea puts troops on alert", "Seoul reacts to reports from Russia."),
        ("مسيرات أوكرانية تضرب مصفاة نفط في كورسك", "لم ترد تقارير عن إصابات."),
        ("شركة سيكورسكي تسلم مروحيات جديدة", "الصفقة تشمل قطع غيار للقوات الجوية في روسيا وكوريا الجنوبية."),
    ],
)
def test_unrelated_reports_do_not_hit_the_default_watch(analyser: Analyser, title: str, summary: str) -> None:
    result = analyser.analyse(Entry(feed="f", title=title, summary=summary))
    assert "nk-troops-kursk" not in {hit.watch for hit in result.hits}


def test_fetched_text_is_matched_too(analyser: Analyser) -> None:
    entry = Entry(feed="f", title="Kremlin thanks allies", text="North Korean soldiers helped retake Kursk.")
    assert analyser.analyse(entry).hits[0].watch == "nk-troops-kursk"


def test_identity_and_hash_agree_with_the_public_functions(analyser: Analyser) -> None:
    entry = Entry(feed="f", title="Title", summary="Summary text", text="Full article text")
    result = analyser.analyse(entry)
    assert result.identity == entry_identity(None, None, "Title", "Summary text")
    assert result.content_hash == content_hash("Title", "Full article text")
    assert result.canonical_url is None
    no_text = analyser.analyse(Entry(feed="f", title="Title", summary="Summary text"))
    assert no_text.content_hash == content_hash("Title", "Summary text")
    assert no_text.identity == result.identity, "fetching the page does not change a fallback identity"


def test_same_entry_same_analysis(analyser: Analyser) -> None:
    entry = Entry(feed="f", title="كوريا الشمالية ترسل قوات إلى روسيا", summary="تقرير")
    assert analyser.analyse(entry) == analyser.analyse(entry)
    assert Analyser({"w": DEFAULT_WATCH}).analyse(entry).identity == analyser.analyse(entry).identity


def test_language_hint_from_the_feed_is_honoured(analyser: Analyser) -> None:
    assert analyser.analyse(Entry(feed="f", title="DPRK", language_hint="ar")).language == "ar"
    assert analyser.analyse(Entry(feed="f", title="قوات", language_hint="auto")).language == "ar"
    assert analyser.analyse(Entry(feed="f", title="")).language == "en"


def test_bad_query_names_the_watch() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        Analyser({"good": "Kursk", "broken": "(Kursk AND troops"})
    assert caught.value.watch == "broken"
    assert "watch 'broken'" in str(caught.value)
    assert caught.value.position == 0


def test_no_watches_means_no_hits() -> None:
    result = Analyser({}).analyse(Entry(feed="f", title="North Korean troops in Kursk"))
    assert result.hits == () and not result.matched
