"""Compare a report with a story's totals or with its single reports? (issue 8, not adopted)

For every matched item of each timeline, in order, the join evidence (``stories.join``) is
computed against each story built so far from the labels and open at its time (oracle stories,
as ``fit_join`` does), twice: against the story's memory (its totals: what the decision uses) and
against a memory of each of its reports alone. Printed, per file, the same-story pairwise F1 at
the shipped join probability of:

- ``totals``: the shipped model on the story's memory (the decision today);
- ``best report``: the shipped model on the story's best-scoring single report;
- ``latest K``: the same over the story's latest K reports only (a story as a chain);
- ``totals + latest K``: a model refitted on the dev files with three more pieces of evidence,
  the highest lead, coverage and names over the story's latest K reports.

Dev files by default; ``--holdout`` adds the holdout files (check only: choose nothing on them).

``--by-language`` (dev files only): what a report's join evidence is against its own story and
against the other open stories, by the report's language, and for the reports that are not
copies (developments and updates) the share under the join bar against their own story (the
cuts the oracle stories already show) and the evidence of those, by language: which evidence an
Arabic report lacks that an English one has (issue 8).

    .venv/bin/python bench/member_join.py [--holdout] [--latest 3]
    .venv/bin/python bench/member_join.py --by-language
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cross_topic import story_f1  # noqa: E402
from fit_join import Item, fit  # noqa: E402
from replay_timeline import TIMELINES, config_for, entry_of, item_time  # noqa: E402

from config.loader import load_config  # noqa: E402
from raqib.compose import story_desk  # noqa: E402
from stories.analysis import Analyser  # noqa: E402
from stories.decide import DecisionSettings, in_span  # noqa: E402
from stories.features import extract_features  # noqa: E402
from stories.join import JOIN_BIAS, JOIN_EVIDENCE, JOIN_WEIGHTS, join_evidence, name_weights  # noqa: E402
from stories.memory import StoryMemory  # noqa: E402

Evidence = tuple[tuple[float, ...], list[tuple[float, ...]]]  # (against the totals, against each report)
# An item: its true story, its language, its label (development, update, duplicate) and its
# evidence against each story open at its time.
Row = tuple[str, str, str, list[tuple[str, Evidence]]]


def shipped(evidence: tuple[float, ...]) -> float:
    return 1 / (1 + math.exp(-(JOIN_BIAS + sum(w * x for w, x in zip(JOIN_WEIGHTS, evidence, strict=True)))))


def evidence_by_item(path: Path, scratch: Path) -> list[Row]:
    config = load_config(config_for(path), data_dir=scratch)
    watch = config.watches[0]
    desk = story_desk(config)
    assert desk.encoder is not None
    analyser = Analyser({watch.name: watch.query})
    categoriser = desk.categorisers[watch.name]
    settings = desk.settings.decision
    tolerance = settings.novelty.figure_tolerance
    totals: dict[str, StoryMemory] = {}
    reports: dict[str, list[StoryMemory]] = {}
    result: list[Row] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if not item.get("story"):
            continue
        at, entry = item_time(item), entry_of(item)
        language = analyser.analyse(entry).language
        features = categoriser.tag(extract_features(entry, language, desk.lexicon, desk.encoder))
        open_stories = {story: memory for story, memory in totals.items() if in_span(memory, at, settings)}
        weights = name_weights(list(open_stories.values()), categoriser.watch_names)
        rows = [
            (
                story,
                (
                    join_evidence(features, memory, desk.encoder, tolerance, weights),
                    [join_evidence(features, one, desk.encoder, tolerance, weights) for one in reports[story]],
                ),
            )
            for story, memory in open_stories.items()
        ]
        result.append((item["story"], language, item.get("expect", ""), rows))
        totals.setdefault(item["story"], StoryMemory()).absorb(features, at=at)
        alone = StoryMemory()
        alone.absorb(features, at=at)
        reports.setdefault(item["story"], []).append(alone)
    return result


def as_items(data: list[Row], view: Callable[[Evidence], tuple[float, ...]]) -> list[Item]:
    return [(truth, [(story, view(evidence)) for story, evidence in rows]) for truth, _, _, rows in data]


def by_language(data: dict[str, list[Row]], threshold: float) -> None:
    """``--by-language``: the mean evidence (against the story's totals) by the report's language."""
    groups: dict[str, list[tuple[float, ...]]] = {}
    for items in data.values():
        for truth, language, expect, rows in items:
            for story, (evidence, _) in rows:
                own = story == truth
                groups.setdefault(f"{language} {'own story' if own else 'other stories'}", []).append(evidence)
                if own and expect != "duplicate":
                    groups.setdefault(f"{language} own, not a copy", []).append(evidence)
                    if shipped(evidence) < threshold:
                        groups.setdefault(f"{language} own, not a copy, cut", []).append(evidence)
    print(f"mean join evidence by the report's language (oracle stories); cut: under {threshold} against its own story")
    print(f"{'':<30} {'pairs':>5} " + " ".join(f"{name[:6]:>6}" for name in JOIN_EVIDENCE))
    for language in ("en", "ar"):
        for kind in ("own story", "other stories", "own, not a copy", "own, not a copy, cut"):
            rows = groups.get(f"{language} {kind}", [])
            if rows:
                means = np.mean(np.array(rows), axis=0)
                print(f"{language + ' ' + kind:<30} {len(rows):>5} " + " ".join(f"{v:>6.2f}" for v in means))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holdout", action="store_true", help="also score the holdout files (check only)")
    parser.add_argument("--latest", type=int, default=3, help="K: the story's latest reports compared")
    parser.add_argument("--by-language", action="store_true", help="the evidence by language (dev files only)")
    args = parser.parse_args()
    k = args.latest
    holdout = args.holdout and not args.by_language
    paths = sorted(TIMELINES.glob("*-dev.jsonl")) + (sorted(TIMELINES.glob("*-holdout.jsonl")) if holdout else [])
    with tempfile.TemporaryDirectory() as scratch:
        data = {path.stem: evidence_by_item(path, Path(scratch)) for path in paths}
    if args.by_language:
        by_language(data, DecisionSettings().join_probability)
        return

    def latest(evidence: Evidence) -> tuple[float, ...]:
        return evidence[0] + tuple(float(v) for v in np.max(np.array(evidence[1][-k:])[:, :3], axis=0))

    extended = {name: as_items(items, latest) for name, items in data.items()}
    dev = [row for name, items in extended.items() if name.endswith("-dev") for row in items]
    x = np.array([evidence for _, rows in dev for _, evidence in rows])
    y = np.array([int(story == truth) for truth, rows in dev for story, _ in rows])
    w = fit(x, y)

    def refitted(evidence: tuple[float, ...]) -> float:
        return float(1 / (1 + np.exp(-(w[:-1] @ np.array(evidence) + w[-1]))))

    threshold = DecisionSettings().join_probability
    print(f"same-story pairwise F1, oracle stories, join probability {threshold}, K = {k}")
    print(f"{'file':<18} {'totals':>7} {'best report':>12} {'latest K':>9} {'totals + latest K':>18}")
    for name, items in data.items():
        totals_f1 = story_f1(as_items(items, lambda e: e[0]), shipped, threshold)
        best = story_f1(
            [(truth, [(story, (max(shipped(r) for r in e[1]),)) for story, e in rows]) for truth, _, _, rows in items],
            lambda v: v[0],
            threshold,
        )
        recent = story_f1(
            [
                (truth, [(story, (max(shipped(r) for r in e[1][-k:]),)) for story, e in rows])
                for truth, _, _, rows in items
            ],
            lambda v: v[0],
            threshold,
        )
        both = story_f1(extended[name], refitted, threshold)
        print(f"{name:<18} {totals_f1:>7.2f} {best:>12.2f} {recent:>9.2f} {both:>18.2f}")
    print("refitted weights (totals' evidence, then latest lead, coverage, names; bias):")
    print("  " + " ".join(f"{v:+.2f}" for v in w))


if __name__ == "__main__":
    main()
