"""Whether a report retells what its story told in the other language: the story sentence nearest
in meaning to each of its sentences, and whether that is in the other language, for its body as a
whole (a write-up of the story's reports) or sentence by sentence.

The multilingual encoder reads an outlet's free rendering of another language's report at
0.2-0.6, as it reads many true developments; that the report's headline and body are nearest the
other language's sentences of the story is what tells the write-up (``stories.novelty.assess``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stories.features import ArticleFeatures
from stories.memory import StoryMemory

if TYPE_CHECKING:
    from stories.novelty_types import NoveltySettings


def headline_of_body(features: ArticleFeatures) -> bool:
    """Whether the first sentence is a headline over a body (whose sentences are judged)."""
    return (
        len(features.sentences) > 1
        and bool(features.title_words)
        and features.sentences[0].words == features.title_words
    )


def _judged_body(features: ArticleFeatures, settings: NoveltySettings) -> list[int]:
    """The indices of the encoded sentences after the headline that are long enough to judge."""
    return [
        index
        for index, sentence in enumerate(features.encoded)
        if index and len(sentence.words) >= settings.min_sentence_words
    ]


_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def nearest_in_other_language(features: ArticleFeatures, memory: StoryMemory, nearest: Sequence[int]) -> list[bool]:
    """For each encoded sentence of the article, whether the story's sentence nearest to it in
    meaning (``nearest``, from ``said_already``) is in the other language."""
    in_arabic = features.language == "ar"
    return [row >= 0 and bool(_ARABIC_LETTER.search(memory.texts[row])) != in_arabic for row in nearest]


def body_said_in_other_language(
    features: ArticleFeatures, said: Sequence[float], across: Sequence[bool], settings: NoveltySettings
) -> bool:
    """Every judged body sentence (after the headline) is said (its score from ``said_already``
    reaches ``said_similarity``) and the story sentence nearest to each is in the other language
    (``across``): the body is a write-up of what the story told in the other language."""
    body = _judged_body(features, settings)
    return bool(body) and all(said[index] >= settings.said_similarity and across[index] for index in body)


def written_up_across(
    features: ArticleFeatures, said: Sequence[float], across: Sequence[bool], settings: NoveltySettings
) -> bool:
    """Whether the report is a write-up of what the story told in the other language: its headline
    (over a body) and at least one body sentence are said (``said_similarity``), each by a story
    sentence in the other language (``across``, from ``nearest_in_other_language``)."""
    if not headline_of_body(features) or not said or said[0] < settings.said_similarity or not across[0]:
        return False
    return any(said[index] >= settings.said_similarity and across[index] for index in _judged_body(features, settings))
