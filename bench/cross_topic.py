"""Does the joining model transfer across topics? Fit on one topic's dev timeline, score on the other's.

For every matched item of each ``*-dev.jsonl`` timeline, the evidence of the join model
(``stories.join.join_evidence``) against the stories built so far from the labels (``fit_join.evidence_by_item``)
is computed. A logistic model (``fit_join.fit``) is fitted on one topic's items, over every piece
of evidence or over a subset, and used as the decision does: an item joins its best-scoring open
story when the model's probability reaches ``join_probability``, else it starts a story. Printed:
the same-story pairwise F1 of those choices on the training topic and on the other topic (never
a holdout). Stories are the labels' (oracle memories), so this measures joining alone, without
the cascade of a wrong join in a real replay (bench/replay_timeline.py). Then the same models over every
piece of evidence are used in a real replay of the other topic's dev file (the decision path,
cascading joins included), beside the shipped model's replay of the same file. Last, each topic is
left out: a model fitted on every other dev file is used in a real replay of the one left out,
the nearest thing on dev data to a topic nobody tuned on; the mean of each figure over the topics
left out is printed last, to three places.

    .venv/bin/python bench/cross_topic.py [--left-out] [--errors] [--account] [--alert-account]
        [--topics kursk,yemen] [--pool cholera,kursk,...] [--no-shipped]

``--left-out``: only the last part. ``--errors``: for each topic left out, also its wrong merges and
splits in the real replay and, with the labels' stories, the mean evidence of the (item, story)
pairs the left-out model gets wrong: an item's own story under the join bar (a split) and another
story over the bar and above its own (a merge). ``--account``: for each topic left out, the pairs
its replay's final stories lose (``replay_timeline.lost_pairs``): each true story cut into pieces
(missed pairs, and the reports cut off) and each story holding several true stories (wrong
pairs), with the cross-language share of each. ``--alert-account``: for each topic left out, its false alerts and
misses by class (decided, expected) with the evidence novelty had (``bench/alert_account.py``),
then a table of the classes. ``--topics``: leave out only these (names' starts). ``--pool``: fit the
left-out models on these dev files only (names' starts; default every one): the figures of a
smaller set of topics, comparable with those measured before more dev files were written.
``--no-shipped``: skip the shipped model's replays. ``--procedure``: how each model is fitted
(``fit_join.PROCEDURES``: plain, prior, nonnegative, new-only; default plain), ``--l2`` its L2
strength. ``--in-sample``: instead of leaving topics out, replay each with the model fitted on
every ``--pool`` file (the weights that procedure would ship). ``--bars JOIN,FOLD``: the decision's
join and fold probabilities (``DecisionSettings.join_probability``, ``fold_probability``) in every
replay, the shipped model's included (default: ``DecisionSettings``'): a change of the bars is
judged with the same bars in every fold, as it would ship. ``--bias-shift D``: each fitted model's
bias moved by D: how far the judge rests on where the fit happens to put the bias against the fixed
bars (session 15, ten topics left out: -0.15 story F1 0.751, 0 0.786, +0.15 0.782; adding iaea to
the pool moves the fits about as much as -0.15 does).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from alert_account import AlertCase, account, summary  # noqa: E402
from fit_join import Item, evidence_by_item, fit, procedure_arguments  # noqa: E402
from replay_timeline import TIMELINES, Scores, replay  # noqa: E402
from story_pairs import lost_pairs  # noqa: E402

import stories.join  # noqa: E402
from stories.decide import DecisionSettings  # noqa: E402
from stories.join import JOIN_EVIDENCE  # noqa: E402

# Evidence that does not depend on the watch's lexicon or wording: meaning (encoder), names
# across scripts, agreeing figures, and whether the story has the report's language yet.
TOPIC_FREE = ("lead", "coverage", "names", "figures", "new_language")
SUBSETS = {"all": JOIN_EVIDENCE, "topic-free": TOPIC_FREE}

Score = Callable[[tuple[float, ...]], float]
L2 = 1e-3  # fit_join.fit's default


def story_f1(items: list[Item], score: Score, threshold: float) -> float:
    """Pairwise F1 of the stories chosen: the best open story when it scores ``threshold``, else
    a story of the item's own."""
    chosen: list[tuple[str, str]] = []
    for index, (truth, candidates) in enumerate(items):
        best = max(candidates, key=lambda candidate: score(candidate[1]), default=None)
        choice = best[0] if best is not None and score(best[1]) >= threshold else f"new-{index}"
        chosen.append((truth, choice))
    same_true = same_chosen = both = 0
    for (truth_a, chosen_a), (truth_b, chosen_b) in combinations(chosen, 2):
        same_true += truth_a == truth_b
        same_chosen += chosen_a == chosen_b
        both += truth_a == truth_b and chosen_a == chosen_b
    precision = both / same_chosen if same_chosen else 1.0
    recall = both / same_true if same_true else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def logistic(items: list[Item], names: Sequence[str]) -> Score:
    columns = [JOIN_EVIDENCE.index(name) for name in names]
    x = np.array([[evidence[c] for c in columns] for _, candidates in items for _, evidence in candidates])
    y = np.array([int(story == truth) for truth, candidates in items for story, _ in candidates])
    w = fit(x, y)
    return lambda evidence: float(1 / (1 + np.exp(-(w[:-1] @ np.array([evidence[c] for c in columns]) + w[-1]))))


def replay_with(
    items: list[Item], path: Path, l2: float = L2, names: Sequence[str] = JOIN_EVIDENCE, alert_account: bool = False
) -> Scores:
    """Replay ``path`` with the join model fitted on ``items`` over the evidence ``names`` (the
    others weigh 0), L2 strength ``l2``."""
    columns = [JOIN_EVIDENCE.index(name) for name in names]
    x = np.array([[evidence[c] for c in columns] for _, candidates in items for _, evidence in candidates])
    y = np.array([int(story == truth) for truth, candidates in items for story, _ in candidates])
    topics = topics_of(items) if "--by-topic" in sys.argv[1:] else None
    w = fit(x, y, l2=l2, topics=topics, **procedure_arguments(option("--procedure", "plain"), names))
    full = [0.0] * len(JOIN_EVIDENCE)
    for column, value in zip(columns, w[:-1], strict=True):
        full[column] = float(value)
    shipped = stories.join.JOIN_WEIGHTS, stories.join.JOIN_BIAS
    bias = float(w[-1]) + float(option("--bias-shift", "0"))
    stories.join.JOIN_WEIGHTS, stories.join.JOIN_BIAS = tuple(full), bias
    try:
        return replay(path, decision=bars(), alert_account=alert_account)
    finally:
        stories.join.JOIN_WEIGHTS, stories.join.JOIN_BIAS = shipped


def bars() -> DecisionSettings | None:
    """The decision settings every replay uses with ``--bars JOIN,FOLD``; without it None (the
    desk's own, as ``replay_timeline`` replays)."""
    if "--bars" not in sys.argv[1:]:
        return None
    join, fold = (float(value) for value in option("--bars", "").split(","))
    return replace(DecisionSettings(), join_probability=join, fold_probability=fold)


TOPIC_OF: dict[int, str] = {}  # id of each item list's first item -> its topic (set in main)


def topics_of(items: list[Item]) -> np.ndarray:
    """The topic of each (item, story) pair of ``items`` (pooled from ``data`` in order)."""
    topic = ""
    labels: list[str] = []
    for item in items:
        topic = TOPIC_OF.get(id(item), topic)
        labels += [topic] * len(item[1])
    return np.array(labels)


def pooled(data: dict[str, list[Item]], names: Sequence[str]) -> list[Item]:
    return [item for name in names for item in data[name]]


def option(name: str, default: str) -> str:
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args else default


def main() -> None:
    decision = bars() or DecisionSettings()
    threshold = decision.join_probability
    l2 = float(option("--l2", str(L2)))
    names = option("--evidence", ",".join(JOIN_EVIDENCE)).split(",")
    with tempfile.TemporaryDirectory() as scratch:
        data = {path.stem: evidence_by_item(path, Path(scratch)) for path in sorted(TIMELINES.glob("*-dev.jsonl"))}
    TOPIC_OF.update({id(items[0]): name for name, items in data.items() if items})
    shipped = {
        test: replay(TIMELINES / f"{test}.jsonl", decision=bars())
        for test in data
        if "--no-shipped" not in sys.argv[1:]
    }
    procedure = option("--procedure", "plain")
    if "--in-sample" in sys.argv[1:]:
        in_sample(data, l2, names)
        return
    if "--left-out" not in sys.argv[1:]:
        one_on_one(data, shipped, threshold)
    print(
        f"\nleft out: fitted on every other dev file (L2 {l2}, procedure {procedure}, evidence {', '.join(names)}, "
        f"bias shifted {float(option('--bias-shift', '0')):+.2f}), "
        f"replayed on the one (join bar {threshold}, fold bar {decision.fold_probability})"
    )
    print("left out (shipped: the model in stories.join)")
    errors = "--errors" in sys.argv[1:]
    chosen = option("--topics", ",".join(data)).split(",")
    alert_account = "--alert-account" in sys.argv[1:]
    accounted: dict[str, list[AlertCase]] = {}
    left_out_scores: list[Scores] = []
    pool = option("--pool", ",".join(data)).split(",")
    for test in (name for name in data if any(name.startswith(topic) for topic in chosen)):
        others = [name for name in data if name != test and any(name.startswith(topic) for topic in pool)]
        left_out = replay_with(pooled(data, others), TIMELINES / f"{test}.jsonl", l2, names, alert_account)
        print_replay(f"all but {test}", test, left_out)
        left_out_scores.append(left_out)
        if test in shipped:
            print_replay("shipped", test, shipped[test])
        if errors:
            for line in left_out.story_errors:
                print("    " + line)
            print_wrong_pairs(data[test], logistic(pooled(data, others), JOIN_EVIDENCE), threshold)
        if "--account" in sys.argv[1:]:
            for line in lost_pairs(left_out.placed):
                print("    " + line)
        if alert_account:
            accounted[test.removesuffix("-dev")] = left_out.alert_cases
            for line in account(test, left_out.alert_cases):
                print("  " + line)
    print_means(left_out_scores)
    if alert_account:
        print("\nfalse alerts and misses left out, by (decided, expected) class:")
        print("\n".join(summary(accounted)))


def in_sample(data: dict[str, list[Item]], l2: float, names: Sequence[str]) -> None:
    """Each chosen topic replayed with the model fitted on every ``--pool`` file, itself included:
    the dev figures the weights this procedure would ship give."""
    pool = option("--pool", ",".join(data)).split(",")
    chosen = option("--topics", ",".join(data)).split(",")
    fitted = [name for name in data if any(name.startswith(topic) for topic in pool)]
    print(f"\nin sample: fitted on {', '.join(fitted)} (L2 {l2}, procedure {option('--procedure', 'plain')})")
    scores: list[Scores] = []
    for test in (name for name in data if any(name.startswith(topic) for topic in chosen)):
        scores.append(replay_with(pooled(data, fitted), TIMELINES / f"{test}.jsonl", l2, names))
        print_replay("in sample", test, scores[-1])
    print_means(scores, "in sample")


def print_means(scores: list[Scores], label: str = "left out") -> None:
    """The mean of each left-out figure over the topics left out, to three places: the figures a
    change of the model or the decision is judged by (two places hide a change of one pair)."""
    if not scores:
        return
    figures = {
        "alert P": [s.precision for s in scores],
        "R": [s.recall for s in scores],
        "story F1": [s.same_story.f1 for s in scores],
        "x-lang F1": [s.across_languages.f1 for s in scores],
    }
    means = " ".join(f"{name} {float(np.mean(values)):.3f}" for name, values in figures.items())
    print(f"mean of {len(scores)} {label}: {means}")


def print_wrong_pairs(items: list[Item], score: Score, threshold: float) -> None:
    """With the labels' stories: how many items the model would split from their open story (its
    score under ``threshold``) or merge into another (over ``threshold`` and above its own), and
    the mean evidence of those pairs beside the mean of the pairs it gets right."""
    groups: dict[str, list[tuple[float, ...]]] = {"split": [], "merge": [], "joined right": [], "kept apart": []}
    for truth, candidates in items:
        own = next((evidence for story, evidence in candidates if story == truth), None)
        own_score = score(own) if own is not None else 0.0
        if own is not None:
            groups["split" if own_score < threshold else "joined right"].append(own)
        for story, evidence in candidates:
            if story != truth:
                wrong = score(evidence) >= threshold and score(evidence) > own_score
                groups["merge" if wrong else "kept apart"].append(evidence)
    print("    " + f"{'pairs':<13} {'n':>3} " + " ".join(f"{name[:8]:>8}" for name in JOIN_EVIDENCE))
    for name, rows in groups.items():
        means = np.mean(rows, axis=0) if rows else np.zeros(len(JOIN_EVIDENCE))
        print("    " + f"{name:<13} {len(rows):>3} " + " ".join(f"{value:>8.2f}" for value in means))


def one_on_one(data: dict[str, list[Item]], shipped: dict[str, Scores], threshold: float) -> None:
    """Each topic's model on every other topic: with oracle stories, then in a real replay."""
    print(f"logistic join model, threshold {threshold}; same-story pairwise F1 with oracle stories")
    print(f"{'evidence':<12} {'fitted on':<14} {'scored on':<14} {'F1':>5}")
    for subset, names in SUBSETS.items():
        for train in data:
            score = logistic(data[train], names)
            for test in data:
                print(f"{subset:<12} {train:<14} {test:<14} {story_f1(data[test], score, threshold):>5.2f}")
    print("topic-free evidence:", ", ".join(TOPIC_FREE))
    print("\nreal replay (cascading joins): alert P/R, same-story F1, cross-language F1")
    for train in data:
        for test in data:
            if test == train:
                continue
            path = TIMELINES / f"{test}.jsonl"
            for label, scores in ((f"fitted on {train}", replay_with(data[train], path)), ("shipped", shipped[test])):
                print_replay(label, test, scores)


def print_replay(label: str, test: str, scores: Scores) -> None:
    print(
        f"{label:<22} replayed {test:<12} P {scores.precision:.2f} R {scores.recall:.2f} "
        f"story P {scores.same_story.precision:.2f} R {scores.same_story.recall:.2f} "
        f"F1 {scores.same_story.f1:.2f} x-lang F1 {scores.across_languages.f1:.2f}"
    )


if __name__ == "__main__":
    main()
