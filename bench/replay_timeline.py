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
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from alert_account import AlertCase, NoveltyProbe, account, is_case, summary  # noqa: E402
from story_pairs import Pairs, Placed, lost_pairs, pairwise, story_errors  # noqa: E402

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
