"""Replay labelled timelines through the real decision path and score alerts and stories.

Each item is analysed (watch matching), stored in a fresh SQLite database through
``ingest.store.save_article`` with the story desk, at the item's own time. An alert is an event of
``new_story`` or ``development``; the labels say which items should alert and which story each
item belongs to.

    .venv/bin/python bench/replay_timeline.py [bench/timeline/kursk-dev.jsonl ...] [-v] [--figures-only PATTERN]

Timelines are ``<topic>-dev.jsonl`` (thresholds are set on these) and ``<topic>-holdout.jsonl``
(only checked: their figures are printed, never their items). The watch is the one in
``<topic>.toml`` beside them, else the bundled default configuration's. Prints, per timeline:
alert precision and recall, same-story pairwise precision/recall/F1 over the matched items and the
same across languages only (pairs of an Arabic and an English item), the confusion of expected and
decided events, and (with -v) every disagreement with the decision's reason.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from alert_account import AlertCase, NoveltyProbe, account, is_case, summary  # noqa: E402

from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from ingest.desk import StoryDesk  # noqa: E402
from ingest.store import save_article  # noqa: E402
from raqib.compose import story_desk  # noqa: E402
from storage import feed_repo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import WatchMatch  # noqa: E402
from stories.analysis import Analyser  # noqa: E402
from stories.decide import DecisionSettings  # noqa: E402
from stories.types import Entry  # noqa: E402

ALERTING = {"new_story", "development"}
TIMELINES = Path(__file__).resolve().parent / "timeline"


@dataclass
class Feed:
    name: str
    url: str
    language: str


@dataclass
class Pairs:
    """Pairwise agreement of predicted and true stories (pairs of items in one story)."""

    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass
class Scores:
    items: int
    precision: float
    recall: float
    duplicates_alerted: int
    false_alerts: int
    missed: int
    same_story: Pairs
    across_languages: Pairs
    confusion: Counter[tuple[str, str]]
    disagreements: list[str]
    seconds: float
    story_errors: list[str] = field(default_factory=list)
    placed: list[Placed] = field(default_factory=list)
    alert_cases: list[AlertCase] = field(default_factory=list)


def config_for(path: Path) -> Path:
    """The configuration whose first watch a timeline is labelled for."""
    topic = path.name.rsplit("-", 1)[0]
    own = path.with_name(f"{topic}.toml")
    return own if own.exists() else BUNDLED_DEFAULT


def item_time(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["at"].replace("Z", "+00:00"))


def entry_of(item: dict[str, Any]) -> Entry:
    """A timeline item as the crawler hands it over, published at its own time."""
    return Entry(
        feed=item["feed"],
        title=item["title"],
        summary=item.get("summary") or "",
        text=item.get("text") or "",
        guid=item.get("guid"),
        url=item.get("url"),
        published=item_time(item),
        language_hint=item["language"],
    )


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


def replay(
    path: Path, verbose: bool = False, decision: DecisionSettings | None = None, alert_account: bool = False
) -> Scores:
    """``alert_account``: also record each false alert and each miss with the evidence novelty had
    (``Scores.alert_cases``, ``bench/alert_account.py``)."""
    probe = NoveltyProbe()
    if not alert_account:
        return _replay(path, verbose, decision, None)
    with probe.installed():
        return _replay(path, verbose, decision, probe)


def _replay(path: Path, verbose: bool, decision: DecisionSettings | None, probe: NoveltyProbe | None) -> Scores:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="raqib-replay-") as scratch:
        config = load_config(config_for(path), data_dir=Path(scratch))
        watch = config.watches[0].name
        analyser = Analyser({watch.name: watch.query for watch in config.watches})
        desk = story_desk(config)
        if decision is not None:
            settings = replace(desk.settings, decision=decision)
            desk = StoryDesk(desk.lexicon, settings, encoder=desk.encoder, categorisers=desk.categorisers)
        database = Database(f"sqlite:///{scratch}/replay.db")
        database.upgrade()
        feeds = {
            item["feed"]: Feed(item["feed"], f"https://feeds.example/{i}", item["language"])
            for i, item in enumerate(items)
        }
        with database.session() as session:
            feed_repo.sync_feeds(session, list(feeds.values()))
        confusion: Counter[tuple[str, str]] = Counter()
        tp = fp = fn = dup_alerts = 0
        disagreements: list[str] = []
        stories: list[tuple[str, str, str]] = []
        placed: list[Placed] = []
        cases: list[AlertCase] = []
        started = time.perf_counter()
        for item in items:
            at, entry = item_time(item), entry_of(item)
            if probe is not None:
                probe.reset()
            analysis = analyser.analyse(entry)
            with database.session() as session:
                outcome = save_article(session, item["feed"], entry, analysis, desk=desk, now=at)
                match = session.query(WatchMatch).filter_by(article_id=outcome.article_id, watch=watch).first()
                explanation: dict[str, Any] = dict(match.explanation) if match and match.explanation else {}
                story_id = match.story_id if match else None
            got = outcome.events.get(watch)
            decided = got.value if got is not None else ("unmatched" if not analysis.matched else "seen")
            expected = item["expect"]
            confusion[(expected, decided)] += 1
            if item.get("story") and story_id is not None:
                stories.append((item["story"], str(story_id), item["language"]))
                placed.append(
                    Placed(
                        item["id"],
                        item["story"],
                        str(story_id),
                        item["language"],
                        item["title"],
                        decided,
                        explanation.get("score", "-"),
                        expected,
                    )
                )
            if probe is not None and is_case(decided, expected):
                cases.append(
                    AlertCase(
                        item["id"],
                        item["language"],
                        decided,
                        expected,
                        item["title"],
                        explanation.get("score", "-"),
                        str(explanation.get("reason", "")),
                        explanation,
                        probe.last,
                    )
                )
            alerted, should = decided in ALERTING, expected in ALERTING
            tp += alerted and should
            fp += alerted and not should
            fn += should and not alerted
            dup_alerts += alerted and expected in {"duplicate", "update"}
            if alerted != should or (verbose and decided != expected):
                reason = f"{explanation.get('reason', '')} [score {explanation.get('score', '-')}]"
                if verbose and explanation.get("new_facts"):
                    reason += " | new: " + " / ".join(fact[:120] for fact in explanation["new_facts"])
                disagreements.append(
                    f"{item['id']} expected {expected:<11} got {decided:<11} [{item['language']}] "
                    f"{item['title'][:70]} — {reason} (story {item.get('story')} → #{story_id})"
                )
        seconds = time.perf_counter() - started
        database.dispose()
    return Scores(
        items=len(items),
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        duplicates_alerted=dup_alerts,
        false_alerts=fp,
        missed=fn,
        same_story=pairwise(stories, across=False),
        across_languages=pairwise(stories, across=True),
        confusion=confusion,
        disagreements=disagreements,
        seconds=seconds,
        story_errors=story_errors(placed),
        placed=placed,
        alert_cases=cases,
    )


def items_hidden(path: Path, figures_only: str | None) -> bool:
    """Whether only the figures of ``path`` are printed: a holdout's always (its items stay
    unseen while tuning, however the command was written), any other file's when its name
    contains the ``--figures-only`` pattern."""
    return "-holdout" in path.name or (figures_only is not None and figures_only in path.name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("timelines", nargs="*", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--figures-only",
        metavar="PATTERN",
        default=None,
        help="for timelines whose file name contains PATTERN, print the figures only: no confusion"
        " table and no per-item disagreements (a holdout's are never printed)",
    )
    parser.add_argument(
        "--stories",
        action="store_true",
        help="also print each item's wrong merge or wrong split, then the pairs each cut story and each"
        " merged story costs (not for --figures-only files)",
    )
    parser.add_argument(
        "--alert-account",
        action="store_true",
        help="also print each false alert and each miss by class (decided, expected) with the evidence"
        " novelty had, and a table of the classes (not for --figures-only files)",
    )
    args = parser.parse_args()
    paths = args.timelines or sorted(TIMELINES.glob("*.jsonl"))
    print(f"{'timeline':<22} {'items':>5} {'alert P':>8} {'alert R':>8} {'story F1':>9} {'x-lang F1':>10}")
    results = []
    for path in paths:
        blind = items_hidden(path, args.figures_only)
        scores = replay(path, args.verbose and not blind, alert_account=args.alert_account and not blind)
        if blind:
            scores = replace(scores, confusion=Counter(), disagreements=[], story_errors=[])
        results.append((path, scores))
        print(
            f"{path.stem:<22} {scores.items:>5} {scores.precision:>8.2f} {scores.recall:>8.2f} "
            f"{scores.same_story.f1:>9.2f} {scores.across_languages.f1:>10.2f}"
        )
    for path, scores in results:
        print(f"\n== {path.name}: {scores.items} items in {scores.seconds:.2f}s")
        if items_hidden(path, args.figures_only):
            # The pairs' precision and recall are figures too: they say whether a holdout loses its
            # story score to merges (precision) or to splits (recall) without showing an item.
            print(
                f"alert precision {scores.precision:.2f}  recall {scores.recall:.2f}  "
                f"false alerts {scores.false_alerts}  missed {scores.missed}  "
                f"same-story F1 {scores.same_story.f1:.2f}  across languages F1 {scores.across_languages.f1:.2f}"
                "  (figures only: items not shown)"
            )
            for name, pairs in (("same story", scores.same_story), ("across languages", scores.across_languages)):
                print(f"{name}: pairwise precision {pairs.precision:.2f} recall {pairs.recall:.2f} F1 {pairs.f1:.2f}")
            continue
        print(
            f"alert precision {scores.precision:.2f}  recall {scores.recall:.2f}  "
            f"false alerts {scores.false_alerts}  missed {scores.missed}  "
            f"duplicates/updates alerted {scores.duplicates_alerted}"
        )
        for name, pairs in (("same story", scores.same_story), ("across languages", scores.across_languages)):
            print(f"{name}: pairwise precision {pairs.precision:.2f} recall {pairs.recall:.2f} F1 {pairs.f1:.2f}")
        labels = ["new_story", "development", "update", "duplicate", "unmatched", "seen"]
        print("expected \\ decided " + " ".join(f"{label[:11]:>11}" for label in labels))
        for expected in labels[:5]:
            row = " ".join(f"{scores.confusion[(expected, got)]:>11}" for got in labels)
            print(f"{expected:<18} {row}")
        for line in scores.disagreements:
            print("  " + line)
        if args.stories and scores.story_errors:
            print("story mistakes (when each item was decided):")
            for line in scores.story_errors:
                print("  " + line)
            for line in lost_pairs(scores.placed):
                print(line)
        if args.alert_account:
            for line in account(path.stem, scores.alert_cases):
                print(line)
    if args.alert_account:
        shown = {path.stem: scores.alert_cases for path, scores in results if not items_hidden(path, args.figures_only)}
        print("\n" + "\n".join(summary(shown)))


if __name__ == "__main__":
    main()
