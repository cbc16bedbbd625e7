"""What a report's sentence says that the story sentence it restates does not: a count or a sum of
money the story never gave, or the stance opposite to the restated sentence's.

The sentence encoder reads a restatement and a sentence that changes one detail of it as equally
close (0.5-0.8): "foreign investors bought $1.5 billion of treasury bills" beside "foreign
investors began buying treasury bills", "the government agreed to accept the passports" beside
"the government refused to accept them". What changed is exact and is read exactly here;
``stories.novelty.assess`` then judges the sentence new whatever its similarity.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from numpy.typing import NDArray

from stories.features import ArticleFeatures, Sentence
from stories.figure_money import money_given, new_money
from stories.figure_novelty import known_number, known_to_watch, stated_values, written_in, written_numbers
from stories.figures import PRICE_KINDS, FigureChange
from stories.memory import StoryMemory
from stories.restatements import earlier_values
from stories.stances import reverses


@dataclass
class StoryNumbers:
    """What one report is compared with: the story, the watch's other open stories (``others``:
    their alerts told the user), the values the report's figures already changed (``changed``)."""

    memory: StoryMemory
    others: Sequence[StoryMemory]
    changed: Collection[int]
    tolerance: float
    _written: set[int] | None = field(default=None, repr=False)

    def unwritten(self, value: int) -> bool:
        """Whether no sentence of the story writes ``value`` in digits (read once, when a count is
        not known otherwise: a regex over the story)."""
        if self._written is None:
            self._written = written_numbers(self.memory)
        return value not in self._written

    def new_count(self, sentence: Sentence, restating: str) -> bool:
        """Whether ``sentence`` gives a count the story never gave in any form: not as a count or
        a figure, not in digits, not in the sentence it restates (``restating``), not as where a
        change started ("rose to 13.75 from 12.50"), not as a sum ("$5 billion" then "5 مليارات
        من الودائع"), and no other open story gave it."""
        earlier = earlier_values(sentence.text)
        return any(
            not known_number(n, self.memory, self.tolerance)
            and not known_to_watch(n, self.others, self.tolerance)
            and self.unwritten(n)
            and not written_in(n, restating)
            and not any(abs(value - n) < 1 for value in earlier)
            and not money_given(n, self.memory, self.tolerance)
            for n in sentence.numbers
            if n not in self.changed
        )

    def new_sum(self, sentence: Sentence, restating: str) -> bool:
        """Whether ``sentence`` gives a sum of money no report of the story (nor of another open
        story) gave as a sum or a count, that the sentence it restates does not write, and that
        is no starting value of a change ("rose to $5 billion from $1.5 billion": 1.5 is the
        story's)."""
        earlier = earlier_values(sentence.text)
        return any(
            not written_in(round(money.written), restating)
            and not any(abs(value - money.written) < 1e-9 for value in earlier)
            for money in new_money(sentence.text, self.memory, self.others, self.tolerance)
        )

    def adds_to(self, sentence: Sentence, restating: str) -> bool:
        """Whether ``sentence`` brings a new count or sum, or turns the stance of ``restating``
        (the story sentence nearest it in meaning): news however close it reads."""
        return (
            self.new_count(sentence, restating)
            or self.new_sum(sentence, restating)
            or reverses(sentence.text, restating)
        )


def restated_change(
    change: FigureChange, features: ArticleFeatures, memory: StoryMemory, nearest: Sequence[int]
) -> bool:
    """Whether a sentence of the report giving ``change``'s new figure restates a story sentence
    (``nearest``, from ``stories.novelty.said_already``) that states the same number in any form:
    "لترتفع الإصابات إلى أربع" nearest "a fourth member of the family tested positive", which the
    figure reader does not read as a count. Prices are kept in hundredths: not compared here."""
    new = change.new
    if new.kind in PRICE_KINDS or new.vague:
        return False
    return any(
        row >= 0
        and any(figure.kind == new.kind and figure.value == new.value for figure in sentence.figures)
        and new.value in stated_values(memory.texts[row])
        for sentence, row in zip(features.encoded, nearest, strict=False)
    )


def counts_restated(
    features: ArticleFeatures, memory: StoryMemory, cosines: NDArray[Any] | None, bar: float
) -> list[bool]:
    """For each encoded sentence of the report, whether it states one count and a story sentence
    at ``bar`` (cosine) or more against it states that count too: "Six women and a Lebanese soldier were
    among the dead" after "بينهم ست نساء وجندي". A count agreeing in a sentence about the same
    thing is the restatement the encoder reads low across languages (0.3-0.45). Two counts or
    more the story gave are judged by ``NoveltySettings.known_counts`` (any story sentence).
    ``cosines``: ``stories.novelty.sentence_cosines``."""
    if cosines is None:
        return [False] * len(features.encoded)
    stored: dict[int, frozenset[int]] = {}

    def states_all(counts: frozenset[int], row: int) -> bool:
        if row not in stored:
            stored[row] = stated_values(memory.texts[row])
        return counts <= stored[row]

    restated = []
    for sentence, row_cosines in zip(features.encoded, cosines, strict=True):
        counts = stated_values(sentence.text)
        near = [int(row) for row in (row_cosines >= bar).nonzero()[0]]
        restated.append(len(counts) == 1 and any(states_all(counts, row) for row in near))
    return restated
