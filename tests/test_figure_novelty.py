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


@pytest.mark.parametrize(
    ("report", "language"),
    [
        # below the story's toll: a part of it or one incident's count, never the toll falling
        ("Relief International says nine staff killed as its clinic is attacked.", "en"),
        ("أعلنت منظمة الإغاثة الدولية مقتل تسعة من موظفيها في الهجوم على المخيم.", "ar"),
        ("A drone strike killed 4 soldiers near the village.", "en"),
        ("وأصيب شخصان في القصف.", "ar"),
    ],
)
def test_a_count_below_the_story_s_toll_is_no_change(report: str, language: Language) -> None:
    story = _story("Shelling killed 20 people and wounded 12 in the camp.", "en")
    figures = extract_figures(report, language)
    assert figures and all(figure.value < 12 for figure in figures)
    assert new_figures(figures, story, tolerance=0.1) == []


def test_a_count_above_the_toll_or_of_another_kind_is_still_news() -> None:
    story = _story("Shelling killed 20 people in the camp.", "en")
    rising = new_figures(extract_figures("ارتفعت حصيلة القتلى إلى 31.", "ar"), story, tolerance=0.1)
    assert [change.label for change in rising] == ["killed: 20 → 31"]
    wounded = new_figures(extract_figures("Nine people were wounded.", "en"), story, tolerance=0.1)
    assert [change.label for change in wounded] == ["wounded: 9 (new)"]
    # a price or an area is no running total: a fall is a change
    market = _story("Brent crude rose to $80 a barrel.", "en")
    fall = new_figures(extract_figures("Brent crude fell to $70 a barrel.", "en"), market, tolerance=0.05)
    assert [change.label for change in fall] == ["price: 80 → 70"]
