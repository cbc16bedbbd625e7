"""Alert and story quality on the labelled timelines (bench/timeline): what a desk editor would check.

Thresholds were set on the ``*-dev`` files only; the ``*-holdout`` files were written separately
and only checked, so these floors guard against regressions, not the figures in the note."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from replay_timeline import items_hidden, replay  # noqa: E402
from story_pairs import Placed, lost_pairs, story_errors  # noqa: E402

TIMELINES = sorted(path.name for path in (BENCH / "timeline").glob("*.jsonl"))


# Topics with a holdout are checked on it; dev-only topics add data to fit and tune on.
CHECKED_TOPICS = {"kursk", "cholera", "opec"}
DEV_ONLY_TOPICS = {"wildfire", "yemen", "iraqvote", "lebanon", "drones", "mpox", "egypt", "fasher", "iaea", "derna"}


def test_every_topic_has_a_dev_file_and_the_checked_ones_a_holdout() -> None:
    topics = {name.rsplit("-", 1)[0] for name in TIMELINES}
    assert topics == CHECKED_TOPICS | DEV_ONLY_TOPICS
    expected = {f"{topic}-dev.jsonl" for topic in topics} | {f"{topic}-holdout.jsonl" for topic in CHECKED_TOPICS}
    assert set(TIMELINES) == expected
    # A topic other than the bundled Kursk watch brings its own watch, written as a user would.
    for topic in topics - {"kursk"}:
        assert (BENCH / "timeline" / f"{topic}.toml").exists(), topic


# A dev file of session 11 whose stories the join got wrong (issue 8: one mpox story swallowed
# the emergency declarations and the cases abroad): 0.30, then 0.46 since the join model is fitted
# on the ten dev files with founding evidence, 0.76 since a narrow join the story's first report
# would not make starts its own story (``DecisionSettings.narrow_join``). Its floor is kept just
# under that, above the general one, so that a change bringing the swallowing back fails here.
# (egypt-dev, 0.47 with this floor at 0.42, is at 0.57 since a story past the desk's window takes
# a report of its own kind: the general floor.)
STORY_FLOOR = {"mpox-dev.jsonl": 0.7}


@pytest.mark.parametrize("name", TIMELINES)
def test_alerts_are_precise_and_nothing_important_is_missed(name: str) -> None:
    scores = replay(BENCH / "timeline" / name)
    # A holdout's items stay unseen while tuning (replay_timeline --figures-only): only its figures.
    detail = "\n".join(scores.disagreements) if "-dev" in name else f"{name}: items not shown"
    assert scores.precision >= 0.7, detail
    assert scores.recall >= 0.85, detail
    assert scores.same_story.f1 >= STORY_FLOOR.get(name, 0.5), detail
    # Every hard negative stays unmatched.
    for (expected, decided), count in scores.confusion.items():
        if expected == "unmatched":
            assert decided == "unmatched", f"{count} hard negative(s) matched"


def test_a_holdout_s_items_are_never_printed_however_the_replay_is_asked() -> None:
    # A pattern meant for the dev files ("--figures-only dev") used to print a holdout in full.
    for pattern in (None, "dev", "kursk", "holdout"):
        assert items_hidden(Path("bench/timeline/kursk-holdout.jsonl"), pattern), pattern
    assert not items_hidden(Path("bench/timeline/kursk-dev.jsonl"), None)
    assert not items_hidden(Path("bench/timeline/kursk-dev.jsonl"), "holdout")
    assert items_hidden(Path("bench/timeline/kursk-dev.jsonl"), "kursk")


def test_a_figures_only_replay_says_whether_stories_were_merged_or_cut_and_shows_no_item() -> None:
    # A held-out file's story score is read once per session: its pairs' precision (merges) and
    # recall (cuts) tell the next session where to look, without one item being printed.
    script = BENCH / "replay_timeline.py"
    timeline = BENCH / "timeline" / "cholera-dev.jsonl"
    printed = subprocess.run(
        [sys.executable, str(script), "--figures-only", "cholera", "--stories", "--alert-account", str(timeline)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert re.search(r"same story: pairwise precision \d\.\d\d recall \d\.\d\d F1 \d\.\d\d", printed), printed
    assert re.search(r"false alerts \d+  missed \d+", printed), printed
    items = [json.loads(line) for line in timeline.read_text(encoding="utf-8").splitlines() if line.strip()]
    for item in items:
        assert item["id"] not in printed and item["title"] not in printed, item["id"]


def test_each_story_mistake_is_told_at_the_item_that_made_it() -> None:
    # Two fires: the Arabic report of the second joins the first's story (a wrong merge), and a
    # later report of the first starts a story of its own (a wrong split).
    placed = [
        Placed("f1", "W1", "1", "en", "Wildfire near Latakia", "new_story", 0.0),
        Placed("f2", "W1", "1", "ar", "حريق قرب اللاذقية", "update", 0.97),
        Placed("f3", "W2", "1", "ar", "حرائق في عكار", "development", 0.79),
        Placed("f4", "W1", "2", "en", "Latakia fire contained", "new_story", 0.2),
    ]
    mistakes = story_errors(placed)
    assert len(mistakes) == 2
    assert mistakes[0].startswith("f3 [ar] W2 → #1") and "MERGE with W1 ×2" in mistakes[0]
    assert mistakes[1].startswith("f4 [en] W1 → new story") and "SPLIT from #1 ×2 (its W1 was f1…f2)" in mistakes[1]


def test_the_pairs_lost_are_counted_per_cut_story_and_per_merged_story() -> None:
    # The same four reports: the Akkar fire (W2) merged into the Latakia story costs the pairs it
    # forms with the two Latakia reports there; the Latakia story cut in two costs the pairs
    # between its pieces, both with the Arabic report, and the cut-off report is named.
    placed = [
        Placed("f1", "W1", "1", "en", "Wildfire near Latakia", "new_story", 0.0, "new_story"),
        Placed("f2", "W1", "1", "ar", "حريق قرب اللاذقية", "update", 0.97, "duplicate"),
        Placed("f3", "W2", "1", "ar", "حرائق في عكار", "development", 0.79, "new_story"),
        Placed("f4", "W1", "2", "en", "Latakia fire contained", "new_story", 0.2, "development"),
    ]
    summary, cut, merge = lost_pairs(placed)
    # One right pair (f1, f2); two wrong (f3 with f1, f2); two missed (f4 with f1, f2).
    assert summary.startswith("lost pairs: missed 2 (1 across languages), wrong 2 (1 across languages)")
    assert "F1 0.33: 0.50 with no missed pair, 0.50 with no wrong pair" in summary
    assert cut.startswith("  cut W1 (3 = 2+1): 2 pairs, 1 across languages; cut off: f4 [en] development/new_story")
    assert merge == "  merge #1 (W1 ×2, W2 ×1): 2 pairs, 1 across languages"
