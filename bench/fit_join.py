"""Fit the weights of ``stories.join.JOIN_WEIGHTS`` on the dev timelines (never the holdout).

For every matched item of each ``*-dev.jsonl`` timeline, in order, the evidence
(``stories.join.join_evidence``) is computed against every story of the file built so far from
the labels (each story's memory holds its true reports) and open at the item's time (the
decision's span rule), labelled 1 for the item's own story and
0 for the others. A logistic regression (numpy, L2, full-batch gradient descent) is fitted on
those pairs and its weights printed, ready to paste into ``stories/join.py``.

    .venv/bin/python bench/fit_join.py [--per-topic] [bench/timeline/kursk-dev.jsonl ...]   # default: every *-dev file

``--per-topic``: also the weights fitted on each file alone, one row a file: evidence whose weight
changes sign from topic to topic (or whose pooled weight has the sign of none of them) is told by
which topic a pair comes from, not by whether it is the item's own story.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay_timeline import TIMELINES, config_for, entry_of, item_time  # noqa: E402

from config.loader import load_config  # noqa: E402
from raqib.compose import story_desk  # noqa: E402
from stories.analysis import Analyser  # noqa: E402
from stories.decide import in_span  # noqa: E402
from stories.features import extract_features  # noqa: E402
from stories.join import JOIN_EVIDENCE, join_evidence, name_weights  # noqa: E402
from stories.memory import StoryMemory  # noqa: E402

Item = tuple[str, list[tuple[str, tuple[float, ...]]]]  # the true story, (open story, evidence) each


def evidence_by_item(path: Path, scratch: Path) -> list[Item]:
    """For each matched item of ``path`` in order: its true story and its evidence against each
    story built so far from the labels and open at its time."""
    config = load_config(config_for(path), data_dir=scratch)
    watch = config.watches[0]
    desk = story_desk(config)
    analyser = Analyser({watch.name: watch.query})
    categoriser = desk.categorisers[watch.name]
    tolerance = desk.settings.decision.novelty.figure_tolerance
    assert desk.encoder is not None
    stories: dict[str, StoryMemory] = {}
    result: list[Item] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if not item.get("story"):
            continue
        at, entry = item_time(item), entry_of(item)
        language = analyser.analyse(entry).language
        features = categoriser.tag(extract_features(entry, language, desk.lexicon, desk.encoder))
        settings = desk.settings.decision
        open_stories = {story: memory for story, memory in stories.items() if in_span(memory, at, settings)}
        weights = name_weights(list(open_stories.values()), categoriser.watch_names)
        rows = [
            (story, join_evidence(features, memory, desk.encoder, tolerance, weights))
            for story, memory in open_stories.items()
        ]
        result.append((item["story"], rows))
        stories.setdefault(item["story"], StoryMemory()).absorb(features, at=at)
    return result


def pairs(path: Path, scratch: Path) -> tuple[list[tuple[float, ...]], list[int]]:
    """Every (item, open story) pair's evidence, labelled 1 for the item's own story."""
    items = evidence_by_item(path, scratch)
    rows = [evidence for _, candidates in items for _, evidence in candidates]
    labels = [int(story == truth) for truth, candidates in items for story, _ in candidates]
    return rows, labels


# The weights shipped before "founding" (session 9's fit on the seven old dev files, bias -3.25):
# the centre of ``fit``'s prior for the procedures that keep behaviour (``PROCEDURES``).
SESSION9_WEIGHTS = {
    "lead": 3.35, "coverage": 4.07, "names": 2.18, "entities": -3.66, "categories": 0.87, "wording": 0.68,
    "title": 3.28, "figures": 2.99, "new_language": 3.38, "size": -4.17,
}  # fmt: skip
SESSION9_BIAS = -3.25
# How a refit is constrained: "plain" (L2 towards 0), "prior" (L2 towards the session 9 weights,
# so evidence the data does not pin down keeps its weight; evidence they lack is not held back),
# "nonnegative" (no evidence but the story's size may count against a join), "new-only" (the
# session 9 weights held; only evidence they lack, and the bias, are fitted).
PROCEDURES = ("plain", "prior", "nonnegative", "new-only")


def procedure_arguments(procedure: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """``fit``'s prior, fixed and nonnegative arguments for ``procedure`` over the evidence ``names``."""
    if procedure == "plain":
        return {}
    prior = np.array([*(SESSION9_WEIGHTS.get(name, 0.0) for name in names), SESSION9_BIAS])
    if procedure == "prior":
        return {"prior": prior, "penalised": np.array([*(name in SESSION9_WEIGHTS for name in names), False])}
    if procedure == "nonnegative":
        return {"nonnegative": np.array([*(name != "size" for name in names), False])}
    if procedure == "new-only":
        return {"prior": prior, "fixed": np.array([*(name in SESSION9_WEIGHTS for name in names), False])}
    raise ValueError(f"unknown procedure {procedure!r}: one of {', '.join(PROCEDURES)}")


def fit(
    x: np.ndarray,
    y: np.ndarray,
    l2: float = 1e-3,
    steps: int = 60_000,
    rate: float = 2.0,
    topics: np.ndarray | None = None,
    prior: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    nonnegative: np.ndarray | None = None,
    penalised: np.ndarray | None = None,
) -> np.ndarray:
    """Weights then bias, balanced classes (each class weighs half). ``topics``: each pair's
    timeline; given, each topic weighs the same within each class, however many pairs it has.
    ``prior``: weights then bias the L2 term pulls the weights towards (default 0) and the start
    of the descent; ``fixed``: a mask (weights then bias) of those held at the prior's values;
    ``nonnegative``: a mask of those kept at 0 or above; ``penalised``: a mask of those the L2
    term pulls (default every weight, never the bias)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    if topics is not None:
        weight = np.zeros(len(y))
        names = np.unique(topics)
        for topic in names:
            for label in (0, 1):
                mask = (topics == topic) & (y == label)
                classes_present = sum(bool(((topics == t) & (y == label)).any()) for t in names)
                if mask.any():
                    weight[mask] = 0.5 / classes_present / mask.sum()
    centre = np.zeros(xb.shape[1]) if prior is None else prior.astype(float)
    w = centre.copy()
    free = np.ones(xb.shape[1]) if fixed is None else (~fixed).astype(float)
    pull = np.r_[np.ones(xb.shape[1] - 1), 0.0] if penalised is None else penalised.astype(float)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (weight * (p - y)) + l2 * pull * (w - centre)
        w -= rate * grad * free
        if nonnegative is not None:
            w[nonnegative] = np.maximum(w[nonnegative], 0.0)
    return w


def option(name: str, default: str) -> str:
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args else default


def main() -> None:
    import tempfile

    rows: list[tuple[float, ...]] = []
    labels: list[int] = []
    per_topic: dict[str, np.ndarray] = {}
    values = {sys.argv[i + 1] for i, arg in enumerate(sys.argv[1:-1], 1) if arg in ("--procedure", "--l2")}
    paths = [Path(arg) for arg in sys.argv[1:] if not arg.startswith("--") and arg not in values]
    with tempfile.TemporaryDirectory() as scratch:
        for path in paths or sorted(TIMELINES.glob("*-dev.jsonl")):
            file_rows, file_labels = pairs(path, Path(scratch))
            rows += file_rows
            labels += file_labels
            print(f"{path.name}: {len(file_labels)} pairs, {sum(file_labels)} same story")
            if "--per-topic" in sys.argv[1:]:
                per_topic[path.stem] = fit(np.array(file_rows), np.array(file_labels))
    x, y = np.array(rows), np.array(labels)
    procedure = option("--procedure", "plain")
    w = fit(x, y, l2=float(option("--l2", "1e-3")), **procedure_arguments(procedure, JOIN_EVIDENCE))
    print(f"procedure {procedure}")
    p = 1 / (1 + np.exp(-(np.hstack([x, np.ones((len(x), 1))]) @ w)))
    for threshold in (0.3, 0.45, 0.5, 0.6):
        predicted = p >= threshold
        tp = int((predicted & (y == 1)).sum())
        print(
            f"threshold {threshold}: pair precision {tp / max(1, predicted.sum()):.2f} "
            f"recall {tp / max(1, y.sum()):.2f}"
        )
    print("JOIN_WEIGHTS = (" + ", ".join(f"{v:.2f}" for v in w[:-1]) + ")")
    print(f"JOIN_BIAS = {w[-1]:.2f}")
    for name, value in zip(JOIN_EVIDENCE, w[:-1], strict=True):
        print(f"  {name:<14} {value:+.2f}")
    if per_topic:
        print("fitted on each file alone:")
        print(f"  {'':<14} " + " ".join(f"{name[:8]:>8}" for name in (*JOIN_EVIDENCE, "bias")))
        for topic, weights in per_topic.items():
            print(f"  {topic:<14} " + " ".join(f"{value:>8.2f}" for value in weights))


if __name__ == "__main__":
    main()
