"""Replay a labelled timeline through the real decision path and score the alerts.

Each item is analysed (watch matching), stored in a fresh SQLite database through
``storage.repo.save_article`` with the story desk, at the item's own time. An alert is an event of
``new_story`` or ``development``; the labels say which items should alert.

    .venv/bin/python bench/replay_timeline.py [bench/timeline/dev.jsonl ...] [-v]

Prints alert precision and recall, how many duplicates/updates alerted, the confusion of
expected and decided events, and (with -v) every disagreement with the decision's reason.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from crawler.runner import story_desk  # noqa: E402
from storage import repo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.desk import StoryDesk  # noqa: E402
from storage.models import WatchMatch  # noqa: E402
from stories.analysis import Analyser  # noqa: E402
from stories.decide import DecisionSettings  # noqa: E402
from stories.semantic import SentenceEncoder  # noqa: E402
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
    confusion: Counter[tuple[str, str]]
    disagreements: list[str]
    seconds: float


def replay(
    path: Path,
    verbose: bool = False,
    decision: DecisionSettings | None = None,
    encoder: SentenceEncoder | None = None,
) -> Scores:
    """``encoder``: decide with the semantic check ([stories] semantic) using this encoder."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="raqib-replay-") as scratch:
        config = load_config(BUNDLED_DEFAULT, data_dir=Path(scratch))
        analyser = Analyser({watch.name: watch.query for watch in config.watches})
        desk = story_desk(config)
        if decision is not None or encoder is not None:
            settings = replace(desk.settings, decision=decision) if decision is not None else desk.settings
            desk = StoryDesk(desk.lexicon, settings, encoder=encoder or desk.encoder)
        database = Database(f"sqlite:///{scratch}/replay.db")
        database.upgrade()
        feeds = {
            item["feed"]: Feed(item["feed"], f"https://feeds.example/{i}", item["language"])
            for i, item in enumerate(items)
        }
        with database.session() as session:
            repo.sync_feeds(session, list(feeds.values()))
        confusion: Counter[tuple[str, str]] = Counter()
        tp = fp = fn = dup_alerts = 0
        disagreements: list[str] = []
        started = time.perf_counter()
        for item in items:
            entry = Entry(
                feed=item["feed"],
                title=item["title"],
                summary=item.get("summary") or "",
                text=item.get("text") or "",
                guid=item.get("guid"),
                url=item.get("url"),
                published=datetime.fromisoformat(item["at"].replace("Z", "+00:00")),
                language_hint=item["language"],
            )
            analysis = analyser.analyse(entry)
            now = datetime.fromisoformat(item["at"].replace("Z", "+00:00"))
            with database.session() as session:
                outcome = repo.save_article(session, item["feed"], entry, analysis, desk=desk, now=now)
                match = session.query(WatchMatch).filter_by(article_id=outcome.article_id).first()
                explanation: dict[str, Any] = dict(match.explanation) if match else {}
            got = outcome.events.get("nk-troops-kursk")
            decided = got.value if got is not None else ("unmatched" if not analysis.matched else "seen")
            expected = item["expect"]
            confusion[(expected, decided)] += 1
            alerted, should = decided in ALERTING, expected in ALERTING
            tp += alerted and should
            fp += alerted and not should
            fn += should and not alerted
            dup_alerts += alerted and expected in {"duplicate", "update"}
            if alerted != should or (verbose and decided != expected):
                reason = explanation.get("reason", "")
                disagreements.append(
                    f"{item['id']} expected {expected:<11} got {decided:<11} [{item['language']}] "
                    f"{item['title'][:70]} — {reason}"
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
        confusion=confusion,
        disagreements=disagreements,
        seconds=seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("timelines", nargs="*", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--semantic", action="store_true", help="with the semantic check (needs the extra)")
    args = parser.parse_args()
    paths = args.timelines or sorted(TIMELINES.glob("*.jsonl"))
    encoder = None
    if args.semantic:
        from stories.semantic import load_encoder

        encoder = load_encoder(2)
        if encoder is None:
            parser.error("--semantic: the encoder is not installed (pip install -e '.[semantic]')")
    for path in paths:
        scores = replay(path, args.verbose, encoder=encoder)
        print(
            f"== {path.name}: {scores.items} items in {scores.seconds:.2f}s "
            f"({scores.items / scores.seconds:,.0f} items/s through storage)"
        )
        print(
            f"alert precision {scores.precision:.2f}  recall {scores.recall:.2f}  "
            f"false alerts {scores.false_alerts}  missed {scores.missed}  "
            f"duplicates/updates alerted {scores.duplicates_alerted}"
        )
        labels = ["new_story", "development", "update", "duplicate", "unmatched", "seen"]
        print("expected \\ decided " + " ".join(f"{label[:11]:>11}" for label in labels))
        for expected in labels[:5]:
            row = " ".join(f"{scores.confusion[(expected, got)]:>11}" for got in labels)
            print(f"{expected:<18} {row}")
        for line in scores.disagreements:
            print("  " + line)


if __name__ == "__main__":
    main()
