"""A report's novelty judged by words alone, without the sentence encoder (tests of the word
logic, a desk with no model): across languages only concepts and figures count, and within a
language a new sentence must also bring words the story never used (``stories.novelty``).
"""

from __future__ import annotations

from collections.abc import Sequence

from stories.features import ACTION_PREFIX, ArticleFeatures, Sentence
from stories.figure_novelty import new_figures
from stories.memory import GENERIC_ENTITIES, StoryMemory, meaning_pairs
from stories.novelty_types import Development, Novelty, NoveltySettings
from stories.restatements import figures_of_news, looks_back, roundup_report


def strong_pair(pair: tuple[str, str]) -> bool:
    """A pair naming an action or a figure: "drones" + "delivered", "troops" + "troops:3000"."""
    return any(item.startswith(ACTION_PREFIX) or ":" in item for item in pair)


def _sentence_is_new(
    sentence: Sentence,
    memory: StoryMemory,
    language: str,
    settings: NoveltySettings,
    new_pairs: set[tuple[str, str]],
) -> bool:
    """New in what it says (a pairing of concepts, actions and figures that no stored sentence in
    any language made) and in how it says it (wording the story's reports in its language do not
    contain)."""
    words = sentence.words
    if len(words) < settings.min_sentence_words or not new_pairs:
        return False
    stored = memory.sentences.get(language)
    if not stored:
        return False  # nothing to compare wording with: concepts and figures decide instead
    unseen = len(words - memory.vocabulary(language).keys())
    best = max(len(words & known) / len(words) for known in stored)
    return unseen >= settings.min_unseen_words and best < settings.known_sentence_containment


def assess_by_words(
    features: ArticleFeatures,
    memory: StoryMemory,
    settings: NoveltySettings,
    others: Sequence[StoryMemory] = (),
) -> Novelty:
    """What ``features`` adds to ``memory`` without the encoder (``stories.novelty.assess`` with none)."""
    developments: list[Development] = []
    changes = new_figures(figures_of_news(features), memory, settings.figure_tolerance, others)
    if roundup_report(features):
        return Novelty(figure_changes=tuple(changes))
    for category, evidence in features.categories.items():
        if category not in memory.categories and not looks_back(evidence):
            developments.append(Development(category, evidence, features.labels.get(category)))
    new_facts: list[str] = []
    new_entities = {entity for entity in features.entities if entity not in memory.entities}
    known_pairs = memory.known_pairs
    for sentence in features.sentences:
        new_pairs = meaning_pairs(sentence.meaning) - known_pairs
        fact = _sentence_is_new(sentence, memory, features.language, settings, new_pairs) and not looks_back(
            sentence.text
        )
        if fact:
            new_facts.append(sentence.text)
        # A new place or actor counts when a new sentence names it, or when it does something
        # the story has not seen (a new action or figure), not when it is a stock attribution.
        if fact or any(strong_pair(pair) for pair in new_pairs):
            named = sorted((new_entities & sentence.concepts) - GENERIC_ENTITIES)
            for entity in named:
                developments.append(Development(entity, sentence.text, features.labels.get(entity), kind="entity"))
                new_entities.discard(entity)
            if named and not fact:
                new_facts.append(sentence.text)  # the alert quotes what the new actor did
    return Novelty(tuple(developments), tuple(changes), tuple(new_facts[: settings.max_new_facts]))
