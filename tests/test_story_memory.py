"""A story's memory as it is stored with the story (``Story.state``): what is written is read back
as it was, in Arabic and English, from today's compact form and from older states."""

from __future__ import annotations

import json

from ingest.prepare import Preparer
from stories.concepts import Lexicon
from stories.memory import MAX_LEADS, StoryMemory
from stories.types import Entry

REPORTS = [
    ("ar", "قوات كورية شمالية تنتشر في كورسك", "بيونغ يانغ ترسل مزيدا من الجنود إلى روسيا. قتل 40 جنديا في الهجوم."),
    ("en", "North Korean troops near Kursk", "Pyongyang sends 3,000 more soldiers to Russia. Drones hit Kursk."),
    ("ar", "مسيرات كورية شمالية فوق كورسك", "الاستخبارات الأوكرانية: 12 ألف جندي كوري شمالي في روسيا."),
]


def report(index: int, language: str, title: str, summary: str) -> Entry:
    return Entry(
        feed="wire",
        title=title,
        summary=summary,
        guid=str(index),
        url=f"https://wire.example/{index}",
        text="",
        published=None,
        language_hint=language,
    )


def absorbed(weak: frozenset[int] = frozenset()) -> StoryMemory:
    """The story of ``REPORTS``; those numbered in ``weak`` joined it weakly (``core=False``)."""
    preparer = Preparer(Lexicon(), None)
    memory = StoryMemory()
    for index, (language, title, summary) in enumerate(REPORTS):
        memory.absorb(
            preparer.prepare(report(index, language, title, summary), language).features, core=index not in weak
        )
    return memory


def stored(memory: StoryMemory) -> StoryMemory:
    """Through the database's JSON column and back."""
    return StoryMemory.from_json(json.loads(json.dumps(memory.to_json(), ensure_ascii=False)))


def test_a_memory_reads_back_as_it_was_written() -> None:
    memory = absorbed()
    assert memory.sentences["ar"] and memory.sentences["en"] and memory.meanings
    assert any("\u0600" <= word[0] <= "\u06ff" for sentence in memory.sentences["ar"] for word in sentence)
    assert stored(memory) == memory
    assert stored(memory).known_pairs == memory.known_pairs


def test_a_state_written_as_lists_of_words_reads_the_same() -> None:
    memory = absorbed()
    state = memory.to_json()
    older = {
        **state,
        "words": {language: sorted(memory.words[language]) for language in memory.words},
        "sentences": {language: [sorted(s) for s in memory.sentences[language]] for language in memory.sentences},
        "titles": {language: [sorted(t) for t in memory.titles[language]] for language in memory.titles},
        "meanings": [sorted(meaning) for meaning in memory.meanings],
    }
    assert older != state, "the older form differs from today's"
    read = StoryMemory.from_json(json.loads(json.dumps(older, ensure_ascii=False)))
    assert read.sentences == memory.sentences and read.titles == memory.titles and read.meanings == memory.meanings
    assert set(read.words["ar"]) == set(memory.words["ar"])


def test_words_that_a_space_cannot_separate_are_kept_whole() -> None:
    # A category named with a space in the configuration, an empty sentence, an empty word.
    memory = StoryMemory(
        sentences={"en": [frozenset({"air defence", "drones"}), frozenset(), frozenset({"", "x"})]},
        meanings=[frozenset({"air defence", "casualties:40"}), frozenset({"مسيرات", "كورسك"})],
        words={"ar": dict.fromkeys(["كورسك", "جنود"])},
    )
    assert stored(memory) == memory


def test_a_weak_member_belongs_to_the_story_but_not_to_what_it_matches() -> None:
    # The English report joined weakly: it is counted and its sentences are known to the story,
    # but a new report is matched against the two Arabic reports only, and the Arabic report
    # after it still widens what the story matches.
    memory = absorbed(weak=frozenset({1}))
    assert memory.articles == 3 and "Pyongyang sends 3,000 more soldiers to Russia." in memory.texts
    assert memory.languages == {"ar", "en"}
    core = memory.matched
    assert core is not memory and core.articles == 2 and core.languages == {"ar"}
    assert "Pyongyang sends 3,000 more soldiers to Russia." not in core.texts
    assert any("الاستخبارات" in text for text in core.texts), "a core report after the weak one is matched"
    assert stored(memory) == memory and stored(memory).matched == core


def test_a_memory_whose_members_are_all_core_is_what_it_matches_and_is_stored_as_before() -> None:
    memory = absorbed()
    assert memory.matched is memory
    assert "core" not in memory.to_json(), "states of stories without a weak member keep their form"
    assert stored(memory).matched == memory


def test_the_first_report_in_each_language_is_kept_however_long_the_story_grows() -> None:
    # Which event the story is (``stories.join.founding_similarity``): the title and lead of its
    # first report in each language stay when the newest leads have long taken their place.
    preparer = Preparer(Lexicon(), None)
    memory = StoryMemory()
    for index in range(MAX_LEADS):
        language, title, summary = REPORTS[index % len(REPORTS)]
        memory.absorb(preparer.prepare(report(index, language, f"{title} ({index})", summary), language).features)
    first, first_english = "قوات كورية شمالية تنتشر في كورسك (0)", "North Korean troops near Kursk (1)"
    assert first not in memory.leads and first_english not in memory.leads, "the first leads made room"
    assert memory.founding[0] == first and memory.founding[2] == first_english and len(memory.founding) == 4
    assert stored(memory).founding == memory.founding


def test_the_first_report_in_each_language_is_one_memory_of_that_report_alone() -> None:
    # The story's first report (``stories.decide.founding_disowns``) and the founding leads
    # (``stories.join.founding_similarity``) are read from the same memories.
    memory = absorbed()
    arabic, english = memory.first_reports
    assert arabic.articles == english.articles == 1 and memory.first_report is arabic
    assert arabic.languages == {"ar"} and english.languages == {"en"}
    assert memory.founding == arabic.leads + english.leads == [memory.leads[0], memory.leads[1], *memory.leads[2:4]]
    assert "Pyongyang sends 3,000 more soldiers to Russia." in english.texts
    assert stored(memory).first_reports == memory.first_reports


def test_a_weak_first_report_in_a_language_is_not_the_first_of_what_the_story_matches() -> None:
    # The English report joined weakly: the story was told in English first by it, what it
    # matches (its core) only by a later English report.
    preparer = Preparer(Lexicon(), None)
    memory = absorbed(weak=frozenset({1}))
    later = "North Korean soldiers dig in near Kursk"
    memory.absorb(preparer.prepare(report(3, "en", later, "Troops were seen near Sudzha."), "en").features)
    assert memory.founding[2] == "North Korean troops near Kursk"
    assert memory.matched.founding[2] == later


def test_a_state_stored_before_the_first_report_was_kept_reads_its_oldest_lead() -> None:
    state = absorbed().to_json()
    del state["first_reports"]
    read = StoryMemory.from_json(state)
    assert read.founding == state["leads"][:2]
    assert read.first_report is None, "no report is read as the story's first that was not kept as one"


def test_a_state_stored_with_its_first_report_and_founding_leads_reads_both() -> None:
    # The form of session 13: "first_report" (the first report alone) and "founding" (the title
    # and lead of the first report in each language).
    memory = absorbed()
    state = memory.to_json()
    del state["first_reports"]
    state["first_report"] = memory.first_reports[0].to_json()
    state["founding"] = memory.founding
    read = StoryMemory.from_json(json.loads(json.dumps(state, ensure_ascii=False)))
    assert read.founding == memory.founding
    assert read.first_report is not None and read.first_report.texts == memory.first_reports[0].texts
