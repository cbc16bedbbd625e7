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
    ("story", "report", "language"),
    [
        ("Shelling killed 20 people in the camp.", "Thousands of soldiers were sent to the camp.", "en"),
        ("قتل 20 شخصا في قصف على المخيم.", "ودفع الجيش بآلاف الجنود إلى المخيم.", "ar"),
        ("قتل 20 شخصا في قصف على المخيم.", "وأصيب العشرات في القصف.", "ar"),
        ("Shelling killed 20 people in the camp.", "Dozens were wounded in the shelling.", "en"),
    ],
)
def test_a_vague_count_is_no_new_figure(story: str, report: str, language: Language) -> None:
    # "thousands", "آلاف", "dozens" say how large, not which figure: no alert names them as news
    figures = extract_figures(report, language)
    assert figures and all(figure.vague for figure in figures)
    assert new_figures(figures, _story(story, language), tolerance=0.1) == []


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
