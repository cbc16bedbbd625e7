"""The missing are counted as the killed are (a flood's or a shipwreck's missing, soldiers missing
after a battle): read with their kind in English and Arabic, and a changed count is told as
"missing: 8,000 → 10,000", never only as "1 new sentence". Examples written for this test."""

from __future__ import annotations

import pytest

from stories.figures import compare, extract_figures, summarise
from stories.types import Language
from stories.wording import FIGURE_LABELS


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("About 7,000 people are still missing after the dam burst, the Red Crescent said.", "en", 7000),
        ("The number of missing rose to 9,500 on Thursday.", "en", 9500),
        ("Rescuers said 40 fishermen remain unaccounted for.", "en", 40),
        ("أعلن الهلال الأحمر أن عدد المفقودين بلغ نحو عشرة آلاف شخص.", "ar", 10000),
        ("ولا يزال ٣٠٠ شخص مفقودين تحت الأنقاض.", "ar", 300),
    ],
)
def test_a_count_of_missing_people_is_read_as_missing(text: str, language: Language, value: int) -> None:
    figures = summarise(extract_figures(text, language))
    assert figures["missing"].value == value, figures


def test_missing_soldiers_are_not_killed_and_the_two_counts_stay_apart() -> None:
    figures = summarise(extract_figures("The battle killed 300 soldiers and 20 are missing.", "en"))
    assert (figures["killed"].value, figures["missing"].value) == (300, 20)


@pytest.mark.parametrize(
    ("story", "report", "language", "label"),
    [
        (
            "8,000 people are missing after the floods.",
            "The number of missing has risen to 10,000, the Red Crescent said.",
            "en",
            "missing: 8,000 → 10,000",
        ),
        (
            "قال الهلال الأحمر إن 8 آلاف شخص مفقودون بعد الفيضانات.",
            "ارتفع عدد المفقودين إلى عشرة آلاف شخص.",
            "ar",
            "missing: 8,000 → 10,000",
        ),
    ],
)
def test_a_changed_count_of_missing_is_told_as_a_figure(
    story: str, report: str, language: Language, label: str
) -> None:
    changes = compare(summarise(extract_figures(story, language)), summarise(extract_figures(report, language)))
    assert [change.label for change in changes] == [label]


def test_the_missing_are_named_for_people_in_both_languages() -> None:
    assert (FIGURE_LABELS["missing"].in_language("en"), FIGURE_LABELS["missing"].in_language("ar")) == (
        "missing",
        "المفقودون",
    )
