"""Could a cut story be mended online? The evidence a merge of two open stories would rest on,
against the labels.

A cut (a report that starts a story instead of joining its own) leaves two open stories of one
event. Two kinds of online evidence could show it, and this probe records both in the real
replay of each dev topic left out (the join model fitted on the other ``--pool`` files, as
``bench/cross_topic.py --left-out`` replays):

- a bridge: a report joins story A over the join bar and scores against another open story B,
  young (started at most ``YOUNG`` before it), with the same join model;
- a piece: story B, young, once it holds two or three reports, against each open story A started
  before it, as a whole: its titles and leads against A's (best cosine, and the mean of each
  lead's best), its sentences against A's (``coverage``), its first reports against A's, the
  share of its name keys A has.

Each pair (A, B) is labelled by the replay's final stories: SAME when both stories' most common
true story is one (a cut a merge would mend), else OTHER (a merge would be wrong). Printed per
topic, then how many of each a bar on each piece of evidence would merge. Nothing is merged:
the replay decides as shipped.

    .venv/bin/python bench/mend_probe.py [--topics iaea,kursk] [--pool cholera,drones,...] [-v]

Each decision that shows a pair counts once (a pair two reports bridge counts twice).
Session 15 (mend15; the ten topics each fitted on the other nine, fasher and iaea on the ten):
neither separates cuts from concurrent stories of a watch. Every bar merges more OTHER than
SAME: bridges >= 0.35 SAME 9 / OTHER 27, >= 0.5 5 / 13, >= 0.65 1 / 8; pieces, coverage >= 0.45
7 / 47, founding >= 0.6 10 / 18, lead >= 0.6 11 / 36. Kursk's and mpox's concurrent stories
score as high as any cut piece; SAME pairs are mostly iaea's and yemen's.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cross_topic import option, pooled, replay_with  # noqa: E402
from fit_join import evidence_by_item  # noqa: E402
from replay_timeline import TIMELINES  # noqa: E402

import ingest.desk  # noqa: E402
from stories.decide import Decision, DecisionSettings, StoryCandidate, in_span  # noqa: E402
from stories.features import ArticleFeatures  # noqa: E402
from stories.join import name_weights, similarity  # noqa: E402
from stories.memory import StoryMemory  # noqa: E402
from stories.semantic import SentenceEncoder, best_match  # noqa: E402

YOUNG = timedelta(days=3)
BRIDGE_BARS = (0.35, 0.5, 0.65, 0.8)
DECIDE = ingest.desk.decide  # the decision the replay's desk calls, wrapped by ``Recorder``
PIECE_BARS = {"lead": (0.6, 0.7), "lead_mean": (0.5, 0.6), "coverage": (0.45, 0.5, 0.55), "founding": (0.6, 0.7)}


@dataclass(frozen=True)
class Pair:
    kind: str  # "bridge" or "piece"
    a: int  # the story joined (bridge) or started first (piece)
    b: int  # the young story
    sizes: tuple[int, int]
    evidence: dict[str, float]
    title: str  # the bridging report's title, or the piece's first lead


class Recorder:
    """Wraps the desk's ``decide``: after each decision, the bridges and pieces it shows."""

    def __init__(self) -> None:
        self.pairs: list[Pair] = []
        self._pieces: set[tuple[int, int, int]] = set()

    def __call__(
        self, features: ArticleFeatures, candidates: Sequence[StoryCandidate], settings: DecisionSettings, **kw: Any
    ) -> Decision:
        decision = DECIDE(features, candidates, settings, **kw)
        encoder, at = kw.get("encoder"), kw.get("at")
        if encoder is None or at is None:
            return decision
        open_now = [c for c in candidates if not c.late and in_span(c.memory, at, settings)]
        weights = name_weights([c.memory.matched for c in open_now], kw.get("watch_names", frozenset()))
        title = features.sentences[0].text if features.sentences else ""
        joined = next((c for c in open_now if c.story_id == decision.story_id), None)
        if joined is not None and decision.duplicate_of is None and decision.score >= settings.join_probability:
            for other in open_now:
                if other is not joined and _young(other.memory, at):
                    score = similarity(
                        features, other.memory.matched, settings.novelty.figure_tolerance, encoder, weights
                    )
                    self.pairs.append(
                        Pair(
                            "bridge",
                            joined.story_id,
                            other.story_id,
                            (joined.memory.articles, other.memory.articles),
                            {"score": score[0]},
                            title,
                        )
                    )
        for piece in open_now:
            if piece.memory.articles not in (2, 3) or not _young(piece.memory, at):
                continue
            for older in open_now:
                key = (older.story_id, piece.story_id, piece.memory.articles)
                first, started = older.memory.first_at, piece.memory.first_at
                if older is piece or key in self._pieces or first is None or started is None or first > started:
                    continue
                self._pieces.add(key)
                self.pairs.append(
                    Pair(
                        "piece",
                        older.story_id,
                        piece.story_id,
                        (older.memory.articles, piece.memory.articles),
                        piece_evidence(piece.memory, older.memory, encoder),
                        piece.memory.leads[0] if piece.memory.leads else "",
                    )
                )
        return decision


def _young(memory: StoryMemory, at: datetime) -> bool:
    return memory.first_at is not None and at - memory.first_at <= YOUNG


def piece_evidence(piece: StoryMemory, older: StoryMemory, encoder: SentenceEncoder) -> dict[str, float]:
    """The young story ``piece`` as a whole against ``older``."""
    leads = best_match(piece.vectors("leads", encoder), older.vectors("leads", encoder))
    texts = best_match(piece.vectors("texts", encoder), older.vectors("texts", encoder))
    founding = best_match(piece.vectors("founding", encoder), older.vectors("founding", encoder))
    mine = {key for keys in piece.names.values() for key in keys}
    theirs = {key for keys in older.names.values() for key in keys}
    return {
        "lead": float(leads.max()) if len(leads) else 0.0,
        "lead_mean": float(leads.mean()) if len(leads) else 0.0,
        "coverage": float(texts.mean()) if len(texts) else 0.0,
        "founding": float(founding.max()) if len(founding) else 0.0,
        "names": len(mine & theirs) / max(1, len(mine)),
    }


def main() -> None:
    verbose = "-v" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as scratch:
        data = {path.stem: evidence_by_item(path, Path(scratch)) for path in sorted(TIMELINES.glob("*-dev.jsonl"))}
    chosen = option("--topics", ",".join(data)).split(",")
    pool = option("--pool", ",".join(data)).split(",")
    labelled: list[tuple[str, bool, Pair]] = []
    for test in (name for name in data if any(name.startswith(topic) for topic in chosen)):
        others = [name for name in data if name != test and any(name.startswith(topic) for topic in pool)]
        recorder = Recorder()
        ingest.desk.decide = recorder
        try:
            scores = replay_with(pooled(data, others), TIMELINES / f"{test}.jsonl")
        finally:
            ingest.desk.decide = DECIDE
        members: dict[str, Counter[str]] = {}
        for item in scores.placed:
            members.setdefault(item.story, Counter())[item.truth] += 1
        truth = {story: counts.most_common(1)[0][0] for story, counts in members.items()}
        for pair in recorder.pairs:
            a, b = truth.get(str(pair.a)), truth.get(str(pair.b))
            if a is not None and b is not None:
                labelled.append((test, a == b, pair))
        same = Counter(pair.kind for topic, is_same, pair in labelled if topic == test and is_same)
        other = Counter(pair.kind for topic, is_same, pair in labelled if topic == test and not is_same)
        print(
            f"{test:<14} story F1 {scores.same_story.f1:.2f}  bridges SAME {same['bridge']} OTHER {other['bridge']}"
            f"  pieces SAME {same['piece']} OTHER {other['piece']}"
        )
    print("\nmerged by a bar (SAME: a cut mended, OTHER: a wrong merge):")
    bars = {("bridge", "score"): BRIDGE_BARS, **{("piece", name): values for name, values in PIECE_BARS.items()}}
    for (kind, name), values in bars.items():
        for bar in values:
            above = [is_same for _, is_same, pair in labelled if pair.kind == kind and pair.evidence[name] >= bar]
            print(f"  {kind} {name} >= {bar}: SAME {sum(above)} OTHER {len(above) - sum(above)}")
    if verbose:
        for topic, is_same, pair in sorted(labelled, key=lambda one: (one[2].kind, -max(one[2].evidence.values()))):
            shown = " ".join(f"{name} {value:.2f}" for name, value in pair.evidence.items())
            print(
                f"  {pair.kind} {topic[:8]} {'SAME ' if is_same else 'OTHER'} #{pair.a}({pair.sizes[0]}) "
                f"#{pair.b}({pair.sizes[1]}) {shown} {pair.title[:60]}"
            )


if __name__ == "__main__":
    main()
