"""Which of a report's figures are news to its story (stories.figure_novelty.new_figures)."""

from __future__ import annotations

import pytest

from stories.figure_novelty import new_figures
from stories.figures import extract_figures, summarise
from stories.memory import StoryMemory
from stories.types import Language


def _story(text: str, language: Language) -> StoryMemory:
    figures = extract_figures(text, language)
    return StoryMemory(
        figures=summarise(figures),
        figure_values={figure.kind: [figure.value] for figure in figures},
    )


@pytest.mark.parametrize(
    ("report", "language", "label"),
    [
        ("Thousands of soldiers were sent to the camp.", "en", "troops: thousands (new)"),
        ("ودفع الجيش بآلاف الجنود إلى المخيم.", "ar", "troops: thousands (new)"),
        ("Dozens were wounded in the shelling.", "en", "wounded: dozens (new)"),
        ("مقتل وإصابة آلاف الجنود في معارك المخيم", "ar", "wounded: thousands (new)"),
    ],
)
def test_a_vague_count_of_a_kind_the_story_has_no_figure_of_is_news(
    report: str, language: Language, label: str
) -> None:
    # The first word of wounded or of troops sent is news even when it is "thousands": a desk that
    # kept it quiet because no number was given would miss the first casualties of a war.
    figures = extract_figures(report, language)
    assert figures and all(figure.vague for figure in figures)
    story = _story("Shelling killed 20 people in the camp.", "en")
    assert [change.label for change in new_figures(figures, story, tolerance=0.1)] == [label]


@pytest.mark.parametrize(
    ("report", "language"),
    [("Dozens were killed in the shelling.", "en"), ("وقتل العشرات في القصف.", "ar")],
)
def test_a_vague_count_beside_a_stated_one_of_its_kind_is_no_change(report: str, language: Language) -> None:
    story = _story("Shelling killed 20 people in the camp.", "en")
    assert new_figures(extract_figures(report, language), story, tolerance=0.1) == []


@pytest.mark.parametrize(
    ("report", "language", "label"),
    [
        ("The army sent 3,000 soldiers to the camp.", "en", "troops: 3,000 (new)"),
        ("ودفع الجيش بثلاثة آلاف جندي إلى المخيم.", "ar", "troops: 3,000 (new)"),
        ("The toll rose to 31.", "en", "killed: 20 → 31"),
    ],
)
def test_a_stated_count_the_story_lacks_is_news(report: str, language: Language, label: str) -> None:
    story = _story("Shelling killed 20 people in the camp.", "en")
    changes = new_figures(extract_figures(report, language), story, tolerance=0.1)
    assert [change.label for change in changes] == [label]
