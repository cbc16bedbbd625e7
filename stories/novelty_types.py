"""What ``stories.novelty`` decides with and what it answers: its settings, the developments it
found and a report's novelty as a whole (kept apart so that the judgement by words,
``stories.novelty_words``, and the judgement by meaning share them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stories.figures import FigureChange, format_figure
from stories.wording import Label


@dataclass(frozen=True, slots=True)
class NoveltySettings:
    # A sentence whose best containment in a stored sentence reaches this is already known.
    known_sentence_containment: float = 0.4
    # ...and it must bring at least this many words the story never used, to count as new.
    min_unseen_words: int = 5
    min_sentence_words: int = 5
    # Two estimates closer than this are the same figure; 10,000 → 11,000 troops is news.
    figure_tolerance: float = 0.05
    max_new_facts: int = 3
    # With the encoder: a sentence this close (cosine) to one of the story's sentences, in any
    # language, is already said. Set on the dev timelines (bench/replay_timeline.py).
    said_similarity: float = 0.5
    said_similarity_new_action: float = 0.6
    # ...and from this in a report first in its language for the story (with no new action or
    # number): the encoder reads one content lower across languages than within one (a minister's
    # quote rendered in Arabic 0.48). Left out, ten dev topics: alert P mean 0.952 -> 0.956
    # (wildfire f039), R unchanged.
    said_similarity_across: float = 0.45
    restated: float = 0.7
    # A category the story lacked is news only when the sentence showing it is not said: no
    # sentence of the story, in either language, reaches this against it (the bar of a sentence
    # with a new action: a new category is a new kind of happening). See bench/timeline/README.md,
    # session 10.
    category_said: float = 0.6
    # A sentence giving at least ``known_counts`` counts, every one of which the story already
    # gave, is said from this similarity: agreeing counts are evidence the encoder misses when an
    # outlet rewrites a long sentence in the other language (on the dev timelines 0.3-0.4 and one
    # or two counts did the same: OPEC+ alert precision 0.75 -> 0.80, nothing else moved).
    said_similarity_known_counts: float = 0.4
    known_counts: int = 2
    # A sentence stating one count that a story sentence at this cosine or more states is said
    # (``stories.sentence_additions.counts_restated``): a count told again, read 0.3-0.45 across languages.
    counts_restated_similarity: float = 0.3
    # A story sentence at this cosine or more against a report's sentence is about the same thing:
    # the opposite state it tells, or the fact it told only as reported, makes the report's
    # sentence a turn (``stories.turns``).
    turn_similarity: float = 0.5
    # Across languages the encoder reads a restatement lower (0.4-0.5: "شوهد جنود إريتريون مجددا في
    # زالمبسا" against "Eritrean soldiers pulled out of Zalambessa"): a story sentence in the other
    # language this near that shares a name with the report's (``stories.names`` keys) is restated.
    turn_similarity_across: float = 0.4
    # With the encoder, within a language: a sentence with this share of its words in one stored
    # sentence is a rewording of it (0.5 and 0.6 did the same on both dev timelines).
    rephrased_containment: float = 0.55


@dataclass(frozen=True, slots=True)
class Development:
    category: str  # a development category id, or an entity id (kind "entity")
    evidence: str
    label: Label | None = None
    kind: str = "category"  # "category" | "entity"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"category": self.category, "kind": self.kind, "evidence": self.evidence}
        if self.label is not None:
            data["labels"] = self.label.to_json()
        return data


@dataclass(frozen=True, slots=True)
class Turn:
    """A report telling the opposite of a state its story told ("return after withdrawal",
    "عودة بعد انسحاب"), or the first confirmation of what it told only as reported
    (``stories.turns``): the sentence showing it is among the report's new facts."""

    category: str  # an identifier, for filters ("return_after_withdrawal"); never shown
    label: Label
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "kind": "turn", "evidence": self.evidence, "labels": self.label.to_json()}


@dataclass(frozen=True, slots=True)
class Novelty:
    developments: tuple[Development, ...] = ()
    figure_changes: tuple[FigureChange, ...] = ()
    new_facts: tuple[str, ...] = ()
    # Not developments: a turn is the next step of the story's own event, so a report telling one
    # may fold into its story under the join bar (``stories.decide``) as a new statement does.
    turns: tuple[Turn, ...] = ()

    @property
    def adds_something(self) -> bool:
        return bool(self.developments or self.figure_changes or self.new_facts)

    @property
    def adds_concepts_or_figures(self) -> bool:
        return bool(self.developments or self.figure_changes)

    def summary(self) -> str:
        parts = [
            ("new " if d.kind == "entity" else "") + (d.label.en if d.label else d.category.replace("_", " "))
            for d in self.developments
        ]
        parts += [turn.label.en for turn in self.turns]
        parts += [change.label for change in self.figure_changes]
        if self.new_facts:
            parts.append(f"{len(self.new_facts)} new sentence(s)")
        return ", ".join(parts) if parts else "nothing new"

    def to_json(self) -> dict[str, Any]:
        developments = [d.to_json() for d in self.developments]
        developments += [turn.to_json() for turn in self.turns]
        developments += [
            {"category": "figure", "kind": "figure", "evidence": change.label} for change in self.figure_changes
        ]
        return {
            "developments": developments,
            "figures": [
                {
                    "kind": change.kind,
                    "old": change.old.value if change.old else None,
                    "new": change.new.value,
                    "old_text": format_figure(change.old) if change.old else None,
                    "new_text": format_figure(change.new),
                    "label": change.label,
                }
                for change in self.figure_changes
            ],
            "new_facts": list(self.new_facts),
        }
