"""What is new, worded for people: labels in the report's language with the other beside them,
figures, evidence and attribution; never an identifier."""

from __future__ import annotations

from datetime import UTC, datetime

from stories.wording import WhatIsNew

AR_DRONES = "زودت كوريا الشمالية روسيا بطائرات مسيرة هجومية للقوات في كورسك"
EN_DRONES = "North Korea has delivered attack drones to Russia for its troops in Kursk."

LABELLED = {
    "reason": "drones",
    "developments": [
        {"category": "drones", "kind": "category", "labels": {"en": "drones", "ar": "مسيّرات"}, "evidence": EN_DRONES},
        {"category": "figure", "kind": "figure", "evidence": "drones: 100 (new)"},
        {
            "category": "south_korean_intelligence",
            "kind": "entity",
            "labels": {"en": "National Intelligence Service", "ar": "جهاز الاستخبارات الوطني"},
            "evidence": "The National Intelligence Service said the drones were delivered.",
        },
    ],
    "figures": [{"kind": "drones", "old": None, "new": 100, "new_text": "100", "label": "drones: 100 (new)"}],
    "new_facts": [EN_DRONES],
}


def test_english_report_says_the_category_with_its_arabic_label_and_evidence() -> None:
    what = WhatIsNew.from_explanation("development", LABELLED)
    line = what.sentence("en", source="Yonhap", at=datetime(2025, 2, 4, 9, tzinfo=UTC))
    assert line == f"first report of drones (مسيّرات): “{EN_DRONES}”; drones: 100 (new) — Yonhap, 4 Feb"


def test_arabic_report_is_worded_in_arabic_with_the_english_label_beside() -> None:
    explanation = {**LABELLED, "developments": [{**LABELLED["developments"][0], "evidence": AR_DRONES}]}
    what = WhatIsNew.from_explanation("development", explanation)
    line = what.sentence("ar", source="الجزيرة", at=datetime(2025, 2, 4, tzinfo=UTC))
    assert line == f"أول خبر عن مسيّرات (drones): «{AR_DRONES}»؛ المسيّرات: 100 (رقم جديد) — الجزيرة، 4 فبراير"
    assert what.lines("ar")[0] == "المسيّرات: 100 (رقم جديد)"


EN_RETURN = "The joint force said its fighters were back in the positions they left on Tuesday."
AR_CONFIRMED = "أكد الجيش رسميا للمرة الأولى انسحاب القوات من المخيم"


def test_a_turn_of_the_story_names_itself_in_either_language() -> None:
    # A report telling the opposite of what its story told, or the first official word on it, is
    # not the "first report of" anything: the alert names the turn, with its evidence.
    turn = {"category": "return_after_withdrawal", "kind": "turn", "evidence": EN_RETURN}
    labels = {"en": "return after withdrawal", "ar": "عودة بعد انسحاب"}
    what = WhatIsNew.from_explanation("development", {"developments": [{**turn, "labels": labels}]})
    line = what.sentence("en", source="Reuters", at=datetime(2025, 6, 19, tzinfo=UTC))
    assert line == f"return after withdrawal (عودة بعد انسحاب): “{EN_RETURN}” — Reuters, 19 Jun"
    confirmed = {
        "category": "official_confirmation",
        "kind": "turn",
        "labels": {"en": "official confirmation", "ar": "تأكيد رسمي"},
        "evidence": AR_CONFIRMED,
    }
    what = WhatIsNew.from_explanation("development", {"developments": [confirmed]})
    assert (
        what.sentence("ar", source="سودان تريبيون")
        == f"تأكيد رسمي (official confirmation): «{AR_CONFIRMED}» — سودان تريبيون"
    )
    assert "أول خبر" not in what.headline("ar") and "official_confirmation" not in what.sentence("en")


def test_lines_list_figures_categories_places_and_a_count_of_new_sentences() -> None:
    what = WhatIsNew.from_explanation("development", LABELLED)
    assert what.lines("en") == [
        "drones: 100 (new)",
        "first report of drones (مسيّرات)",
        "first mention of National Intelligence Service (جهاز الاستخبارات الوطني)",
        "1 new sentence",
    ]


def test_an_old_explanation_without_labels_never_shows_an_identifier() -> None:
    old = {
        "developments": [
            {"category": "return_to_front", "evidence": "The troops are back on the front line."},
            {"category": "new ukrainian_intelligence", "evidence": "HUR said so."},
            {"category": "figure", "evidence": "killed: 300 → 600"},
        ],
        "figures": [{"kind": "killed", "old": 300, "new": 600, "label": "killed: 300 → 600"}],
    }
    what = WhatIsNew.from_explanation("development", old)
    text = " ".join(what.lines("en"))
    assert "_" not in text
    assert what.lines("en") == [
        "killed: 300 → 600",
        "first report of return to front",
        "first mention of ukrainian intelligence",
    ]


def test_a_figure_change_alone_is_the_headline_in_either_language() -> None:
    explanation = {"figures": [{"kind": "killed", "old": 300, "new": 600, "old_text": "~300", "new_text": "600"}]}
    what = WhatIsNew.from_explanation("development", explanation)
    assert what.headline("en") == "killed: ~300 → 600"
    assert what.headline("ar") == "القتلى: من ~300 إلى 600"


def test_a_new_fact_alone_is_quoted() -> None:
    what = WhatIsNew.from_explanation("development", {"new_facts": ["Seoul will take the two prisoners in."]})
    assert what.sentence("en", source="BBC World") == "“Seoul will take the two prisoners in.” — BBC World"


def test_updates_and_new_stories_say_why_in_few_words() -> None:
    assert WhatIsNew.from_explanation("new_story", {"reason": "first report"}).headline("ar") == "أول خبر عن هذا الحدث"
    update = WhatIsNew.from_explanation("update", {"reason": "re-report that adds nothing new"})
    assert update.empty
    assert update.sentence("en") == "re-report that adds nothing new"
