"""Which story an article joins and what event it is (DESIGN §3.3). Pure: storage hands in the
candidate stories and the duplicates it found by index, and persists the ``Decision``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stories.features import ArticleFeatures
from stories.memory import GENERIC_ENTITIES, StoryMemory
from stories.novelty import Novelty, NoveltySettings, assess, known_value
from stories.semantic import VETO_THRESHOLD, SentenceEncoder, semantic_veto
from stories.types import EventType


@dataclass(frozen=True, slots=True)
class DecisionSettings:
    join_threshold: float = 0.45  # a story scoring this much takes the article
    # Below the join threshold, an article that adds nothing to the best story still goes there
    # (as an update) when it scores at least this: a re-report is not a new story.
    fold_threshold: float = 0.25
    novelty: NoveltySettings = field(default_factory=NoveltySettings)
    # With a sentence encoder ([stories] semantic): a development without a figure change whose
    # every sentence reaches this cosine against the story's sentences is an update.
    semantic_threshold: float = VETO_THRESHOLD


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    story_id: int
    memory: StoryMemory


@dataclass(frozen=True, slots=True)
class Decision:
    event: EventType
    story_id: int | None  # None: start a new story
    novelty: Novelty
    score: float
    reason: str
    duplicate_of: int | None = None  # the stored article this one copies, when known

    def explanation(self) -> dict[str, Any]:
        data = self.novelty.to_json()
        data["reason"] = self.reason
        data["score"] = round(self.score, 3)
        if self.duplicate_of is not None:
            data["duplicate_of"] = self.duplicate_of
        return data


def _overlap(mine: Iterable[str], counts: Counter[str], memory: StoryMemory) -> float:
    """How much of what the article names the story names too, weighting each shared item by how
    often the story's reports name it: a place mentioned once in a long story is weak evidence,
    so a story does not swallow every report by growing the union of everything it ever named."""
    items = set(mine)
    if not items or not counts:
        return 0.0
    weight = {item: 0.3 if item in GENERIC_ENTITIES else 1.0 for item in items}
    shared = sum(weight[item] * min(1.0, 2 * memory.share(counts, item)) for item in items if item in counts)
    return shared / sum(weight.values())


def similarity(features: ArticleFeatures, memory: StoryMemory, tolerance: float = 0.1) -> float:
    """How likely the article reports the story's event, 0..1: shared entities and categories,
    agreeing figures, and (same language only) shared wording."""
    entities = _overlap(features.entities, memory.entities, memory)
    categories = _overlap(features.categories, memory.categories, memory)
    agreeing = len(
        {figure.kind for figure in features.all_figures if not figure.vague and known_value(figure, memory, tolerance)}
    )
    figure_bonus = min(0.3, 0.15 * agreeing)
    vocabulary = memory.vocabulary(features.language)
    if vocabulary and features.words:
        wording = len(features.words & vocabulary.keys()) / len(features.words)
        titles = memory.titles.get(features.language, [])
        title = max((len(features.title_words & t) / max(1, len(features.title_words)) for t in titles), default=0.0)
        base = 0.3 * entities + 0.15 * categories + 0.35 * wording + 0.2 * title
    else:
        base = 0.6 * entities + 0.4 * categories
    return min(1.0, base + figure_bonus)


def decide(
    features: ArticleFeatures,
    candidates: Sequence[StoryCandidate],
    settings: DecisionSettings,
    *,
    duplicate_story: int | None = None,
    duplicate_of: int | None = None,
    encoder: SentenceEncoder | None = None,
) -> Decision:
    """``duplicate_story``: the story of a stored article with the same body or a near-duplicate
    signature (found by storage through its indexes), if any. ``encoder``: the optional semantic
    check (``stories.semantic``), which turns a development that only says, in other words or
    another language, what the story already holds into an update; figure changes always count."""
    by_id = {candidate.story_id: candidate for candidate in candidates}
    if duplicate_story is not None:
        memory = by_id[duplicate_story].memory if duplicate_story in by_id else StoryMemory()
        novelty = assess(features, memory, settings.novelty)
        # A copy that carries a changed figure or a new category is a development all the same;
        # its sentences are the copy's, so they are not counted as new facts.
        if novelty.adds_concepts_or_figures:
            novelty = Novelty(novelty.developments, novelty.figure_changes, ())
            return Decision(
                EventType.DEVELOPMENT,
                duplicate_story,
                novelty,
                1.0,
                f"copy of article {duplicate_of} with {novelty.summary()}",
                duplicate_of,
            )
        return Decision(
            EventType.DUPLICATE, duplicate_story, Novelty(), 1.0, f"same report as article {duplicate_of}", duplicate_of
        )

    scored = sorted(
        ((similarity(features, c.memory, settings.novelty.figure_tolerance), c) for c in candidates),
        key=lambda pair: pair[0],
        reverse=True,
    )
    if scored:
        score, best = scored[0]
        novelty = assess(features, best.memory, settings.novelty)
        if (
            encoder is not None
            and score >= settings.fold_threshold
            and novelty.adds_something
            and not novelty.figure_changes
            and semantic_veto(
                [sentence.text for sentence in features.sentences],
                best.memory.texts,
                encoder,
                settings.semantic_threshold,
            )
        ):
            return Decision(
                EventType.UPDATE, best.story_id, Novelty(), score, "says what the story already holds (semantic check)"
            )
        if score >= settings.join_threshold:
            if novelty.adds_something:
                return Decision(EventType.DEVELOPMENT, best.story_id, novelty, score, novelty.summary())
            return Decision(EventType.UPDATE, best.story_id, novelty, score, "re-report that adds nothing new")
        if score >= settings.fold_threshold and not novelty.adds_something:
            return Decision(EventType.UPDATE, best.story_id, novelty, score, "adds nothing to the closest story")
        top = score
    else:
        top = 0.0
    return Decision(EventType.NEW_STORY, None, Novelty(), top, "first report of this event")
