"""A gazetteer name that is also a common word (``stories.concepts.HOMOGRAPHS``): سيول is
Seoul, the torrents of every Arabic flood report and, with its folded ending, liquidity (سيولة).
A flood report must not name South Korea, and so must not be told as "new South Korea" against
its story; a Kursk report that names South Korea by another term as well keeps it. Examples
written for this test."""

from __future__ import annotations

import pytest

from stories.concepts import Lexicon
from stories.decide import DecisionSettings
from stories.features import extract_features
from stories.memory import StoryMemory
from stories.novelty import assess
from stories.semantic import SentenceEncoder, load_encoder
from stories.types import Entry

LEXICON = Lexicon()


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


def entities(title: str, text: str, language: str) -> frozenset[str]:
    entry = Entry(feed="wire", title=title, text=text, language_hint=language)
    return extract_features(entry, language, LEXICON).entities


def test_torrents_in_a_flood_report_are_not_seoul() -> None:
    found = entities(
        "السيول تجرف أحياء في مدينة ساحلية شرق البلاد",
        "جرفت سيول عارمة ثلاثة أحياء على ضفتي الوادي ليل الأحد، وقال الهلال الأحمر إن فرقه تبحث عن "
        "مفقودين. وحذرت الأرصاد من سيول جديدة، فيما لجأت عائلات إلى المدارس.",
        "ar",
    )
    assert "south_korea" not in found


def test_liquidity_in_an_economic_report_is_not_seoul() -> None:
    # سيولة (liquidity) is سيول with the feminine ending the matcher folds
    found = entities(
        "البنك المركزي يضخ سيولة في المصارف",
        "قال البنك المركزي إنه ضخ السيولة اللازمة في المصارف لتلبية الطلب على الدولار.",
        "ar",
    )
    assert "south_korea" not in found


def test_seoul_beside_south_korea_still_names_it() -> None:
    found = entities(
        "سيول: جنود كوريون شماليون قتلوا في كورسك",
        "قالت سيول إن عشرات الجنود الكوريين الشماليين قتلوا في منطقة كورسك، ونقل جهاز الاستخبارات في "
        "كوريا الجنوبية أن بيونغ يانغ ترسل تعزيزات.",
        "ar",
    )
    assert {"south_korea", "north_korea", "kursk"} <= found


def test_seoul_in_english_names_south_korea() -> None:
    assert "south_korea" in entities("Seoul says more troops sent", "Seoul's spy agency said on Monday.", "en")


def test_a_flood_report_is_not_told_as_new_south_korea(encoder: SentenceEncoder) -> None:
    story = StoryMemory()
    story.absorb(
        extract_features(
            Entry(
                feed="wire",
                title="Floods sweep away homes in an eastern coastal city",
                text="Floods swept away three districts on both banks of the valley overnight, the Red Crescent said.",
                language_hint="en",
            ),
            "en",
            LEXICON,
            encoder,
        )
    )
    report = extract_features(
        Entry(
            feed="wire",
            title="الهلال الأحمر: السيول جرفت ثلاثة أحياء",
            text="قال الهلال الأحمر إن السيول جرفت ثلاثة أحياء على ضفتي الوادي، وإن فرقه تبحث عن مفقودين. "
            "وحذرت هيئة الأرصاد من سيول جديدة خلال يومين وطلبت من السكان إخلاء المنازل القريبة من الوادي.",
            language_hint="ar",
        ),
        "ar",
        LEXICON,
        encoder,
    )
    novelty = assess(report, story, DecisionSettings().novelty, encoder)
    assert "south_korea" not in {d.category for d in novelty.developments}, novelty.summary()
    assert "Korea" not in novelty.summary()
