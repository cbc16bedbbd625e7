"""How a replay's stories compare with the labels' (``bench/replay_timeline.py``): pairwise precision
and recall of same-story pairs, each item's wrong merge or split when it was decided, and the
pairs each cut or merged story costs. Pure functions of where the items went (``Placed``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any


@dataclass
class Pairs:
    """Pairwise agreement of predicted and true stories (pairs of items in one story)."""

    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def pairwise(items: list[tuple[str, str, str]], across: bool) -> Pairs:
    """``items``: (true story, predicted story, language) of the matched items."""
    same_true = same_predicted = both = 0
    for (true_a, predicted_a, language_a), (true_b, predicted_b, language_b) in combinations(items, 2):
        if across and language_a == language_b:
            continue
        t, p = true_a == true_b, predicted_a == predicted_b
        same_true += t
        same_predicted += p
        both += t and p
    return Pairs(both / same_predicted if same_predicted else 1.0, both / same_true if same_true else 1.0)


@dataclass(frozen=True)
class Placed:
    """Where one matched item went: its true story, the story Raqib put it in, and why."""

    id: str
    truth: str
    story: str
    language: str
    title: str
    decided: str
    score: Any
    expected: str = ""


def story_errors(placed: list[Placed]) -> list[str]:
    """Each item's story mistakes when it was decided, against the items before it: a wrong merge
    (it joined a story holding items of other true stories) and a wrong split (earlier items of
    its true story are in stories it did not join). The pair counts are the pairs it adds to the
    same-story score's false positives and false negatives."""
    lines: list[str] = []
    for index, item in enumerate(placed):
        before = placed[:index]
        merged = Counter(other.truth for other in before if other.story == item.story and other.truth != item.truth)
        split = Counter(other.story for other in before if other.truth == item.truth and other.story != item.story)
        if not merged and not split:
            continue
        joined = "new story" if all(other.story != item.story for other in before) else f"#{item.story}"
        parts = []
        if merged:
            parts.append("MERGE with " + ", ".join(f"{truth} ×{n}" for truth, n in merged.most_common()))
        if split:
            apart = [other for other in before if other.truth == item.truth and other.story != item.story]
            parts.append(
                "SPLIT from "
                + ", ".join(f"#{story} ×{n}" for story, n in split.most_common())
                + f" (its {item.truth} was {apart[0].id}…{apart[-1].id})"
            )
        lines.append(
            f"{item.id} [{item.language}] {item.truth} → {joined} ({item.decided}, score {item.score}): "
            f"{'; '.join(parts)} — {item.title[:80]}"
        )
    return lines


def _mixed_groups(
    placed: list[Placed], key: Callable[[Placed], str], other: Callable[[Placed], str]
) -> Iterator[tuple[str, list[Placed], Counter[str], int, int]]:
    """Each group of ``placed`` by ``key`` whose members differ in ``other``: its key, members,
    their counts by ``other``, and how many of its pairs differ (all, and across languages)."""
    for value in dict.fromkeys(key(item) for item in placed):
        members = [item for item in placed if key(item) == value]
        counts = Counter(other(item) for item in members)
        if len(counts) > 1:
            apart = [(a, b) for a, b in combinations(members, 2) if other(a) != other(b)]
            yield value, members, counts, len(apart), sum(a.language != b.language for a, b in apart)


def lost_pairs(placed: list[Placed]) -> list[str]:
    """Where the same-story score loses its pairs, in the replay's final stories: each true story
    cut into pieces (its missed pairs: items of one true story in different stories) and each
    story holding several true stories (its wrong pairs), with the cross-language share of each.
    A cut's reports are those outside the true story's largest piece."""
    cuts: list[tuple[int, str]] = []
    missed = missed_across = wrong = wrong_across = 0
    for truth, members, pieces, cost, across in _mixed_groups(placed, lambda i: i.truth, lambda i: i.story):
        missed, missed_across = missed + cost, missed_across + across
        main = pieces.most_common(1)[0][0]
        reports = "; ".join(
            f"{item.id} [{item.language}] {item.expected}/{item.decided} {item.score} {item.title[:60]}"
            for item in members
            if item.story != main
        )
        sizes = "+".join(str(n) for _, n in pieces.most_common())
        cuts.append(
            (
                cost,
                f"  cut {truth} ({len(members)} = {sizes}): {cost} pairs, {across} across languages; "
                f"cut off: {reports}",
            )
        )
    merges: list[tuple[int, str]] = []
    for story, _, truths, cost, across in _mixed_groups(placed, lambda i: i.story, lambda i: i.truth):
        wrong, wrong_across = wrong + cost, wrong_across + across
        parts = ", ".join(f"{truth} ×{n}" for truth, n in truths.most_common())
        merges.append((cost, f"  merge #{story} ({parts}): {cost} pairs, {across} across languages"))
    right = sum(a.truth == b.truth and a.story == b.story for a, b in combinations(placed, 2))

    def f1(wrong_pairs: int, missed_pairs: int) -> float:
        return 2 * right / (2 * right + wrong_pairs + missed_pairs) if right else 0.0

    lines = [
        f"lost pairs: missed {missed} ({missed_across} across languages), wrong {wrong} ({wrong_across} across"
        f" languages); F1 {f1(wrong, missed):.2f}: {f1(wrong, 0):.2f} with no missed pair,"
        f" {f1(0, missed):.2f} with no wrong pair"
    ]
    lines += [text for _, text in sorted(cuts, key=lambda pair: -pair[0])]
    lines += [text for _, text in sorted(merges, key=lambda pair: -pair[0])]
    return lines
