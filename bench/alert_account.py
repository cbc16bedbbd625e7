"""Where a replay's alerts go wrong: each false alert and each missed alert with its class (the
decided and the expected event) and the evidence the novelty judgement had.

Used by ``bench/replay_timeline.py --alert-account`` and ``bench/cross_topic.py --alert-account``.
While a replay runs, ``NoveltyProbe`` records, for the last novelty judgement of each report
(``stories.novelty.assess`` through ``sentence_cosines``), every judged sentence's nearest sentence of
the story (cosine, any language), the report's categories and those its story already had.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from numpy.typing import NDArray

import stories.novelty
from stories.features import ArticleFeatures
from stories.memory import StoryMemory
from stories.semantic import SentenceEncoder

ALERTING = {"new_story", "development"}

# (decided, expected) -> what went wrong. A false alert decided ``new_story`` for a report of a
# stored story is a join problem; the others are novelty's.
CLASSES = {
    ("new_story", "update"): "cut off: a report of a stored story alerted as a new story (join)",
    ("new_story", "duplicate"): "cut off: a copy alerted as a new story (join)",
    ("development", "update"): "said before: novelty read a restated fact or figure as new",
    ("development", "duplicate"): "copy developed: a copy or translation read as new",
    ("update", "development"): "new fact not seen: a development decided an update",
    ("duplicate", "development"): "new fact not seen: a development decided a duplicate",
    ("update", "new_story"): "merged: a new event folded into another story",
    ("duplicate", "new_story"): "merged: a new event taken for a copy",
    ("unmatched", "new_story"): "not matched",
    ("unmatched", "development"): "not matched",
    ("seen", "new_story"): "not decided (seen)",
    ("seen", "development"): "not decided (seen)",
}


@dataclass(frozen=True)
class Judged:
    """One sentence of the report as novelty judged it: its best cosine to the story's
    sentences and that sentence."""

    text: str
    cosine: float
    nearest: str


@dataclass
class Probe:
    """What the last novelty judgement of one report saw."""

    sentences: list[Judged] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # the report's categories
    story_categories: list[str] = field(default_factory=list)


class NoveltyProbe:
    """Records each novelty judgement (``stories.novelty.sentence_cosines``) while installed."""

    def __init__(self) -> None:
        self.last = Probe()

    def reset(self) -> None:
        self.last = Probe()

    @contextmanager
    def installed(self) -> Iterator[NoveltyProbe]:
        original = stories.novelty.sentence_cosines

        def recording(features: ArticleFeatures, memory: StoryMemory, encoder: SentenceEncoder) -> NDArray[Any] | None:
            cosines = original(features, memory, encoder)
            scores, rows = stories.novelty.said_already(cosines, len(features.encoded))
            nearest = [memory.texts[row] if row >= 0 else "" for row in rows]
            self.last = Probe(
                [Judged(s.text, score, near) for s, score, near in zip(features.encoded, scores, nearest, strict=True)],
                sorted(features.categories),
                sorted(memory.categories),
            )
            return cosines

        stories.novelty.sentence_cosines = recording
        try:
            yield self
        finally:
            stories.novelty.sentence_cosines = original


@dataclass(frozen=True)
class AlertCase:
    """A false alert or a missed one."""

    id: str
    language: str
    decided: str
    expected: str
    title: str
    score: Any
    reason: str
    explanation: dict[str, Any]
    probe: Probe

    @property
    def kind(self) -> str:
        return CLASSES.get((self.decided, self.expected), f"{self.decided} for {self.expected}")

    @property
    def false_alert(self) -> bool:
        return self.decided in ALERTING


def is_case(decided: str, expected: str) -> bool:
    return (decided in ALERTING) != (expected in ALERTING)


def _short(text: str, size: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def evidence(case: AlertCase) -> str:
    """The evidence of one case: categories (new to the story marked +), figures, and the new
    facts (false alerts) or the report's least-said sentences (misses) with their nearest."""
    probe, data = case.probe, case.explanation
    fresh = [c for c in probe.categories if c not in probe.story_categories]
    parts = [f"score {case.score}"]
    if probe.categories:
        parts.append("categories " + ", ".join(("+" if c in fresh else "") + c for c in probe.categories))
    figures = [f.get("label", "") for f in data.get("figures", [])]
    if figures:
        parts.append("figures " + "; ".join(figures))
    developed = [d["category"] for d in data.get("developments", []) if d.get("kind") != "figure"]
    if developed:
        parts.append("developments " + ", ".join(developed))
    by_text = {judged.text: judged for judged in probe.sentences}
    if case.false_alert:
        quoted = [by_text.get(fact, Judged(fact, float("nan"), "")) for fact in data.get("new_facts", [])]
    else:
        quoted = sorted(probe.sentences, key=lambda judged: judged.cosine)[:2]
    for judged in quoted:
        parts.append(f'cos {judged.cosine:.2f} "{_short(judged.text)}" ~ "{_short(judged.nearest, 70)}"')
    return " | ".join(parts)


def account(topic: str, cases: list[AlertCase]) -> list[str]:
    """The cases of one replay by class, largest first, each with its evidence."""
    lines = []
    classes = Counter(case.kind for case in cases)
    for kind, count in classes.most_common():
        lines.append(f"  {topic}: {kind}: {count}")
        for case in (case for case in cases if case.kind == kind):
            lines.append(
                f"    {case.id} [{case.language}] {case.decided}/{case.expected} {_short(case.title, 70)} — "
                f"{case.reason} || {evidence(case)}"
            )
    return lines


def summary(rows: dict[str, list[AlertCase]]) -> list[str]:
    """A table: per topic, the count of each class (false alerts, then misses)."""
    kinds = Counter(case.kind for cases in rows.values() for case in cases)
    order = sorted(kinds, key=lambda kind: (not kind.startswith(("cut", "said", "copy")), -kinds[kind]))
    lines = ["| class | " + " | ".join(rows) + " | total |", "|---" * (len(rows) + 2) + "|"]
    for kind in order:
        counts = [sum(case.kind == kind for case in cases) for cases in rows.values()]
        lines.append(f"| {kind} | " + " | ".join(str(n) for n in counts) + f" | {sum(counts)} |")
    return lines
