"""Alert quality on the labelled timelines (bench/timeline): what a desk editor would check.

The thresholds were set on dev.jsonl; holdout.jsonl was written separately and only checked, so
the floor here guards against regressions, not against the figures in the note."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from replay_timeline import replay  # noqa: E402


@pytest.mark.parametrize("name", ["dev.jsonl", "holdout.jsonl"])
def test_alerts_are_precise_and_nothing_important_is_missed(name: str) -> None:
    scores = replay(BENCH / "timeline" / name)
    detail = "\n".join(scores.disagreements)
    assert scores.precision >= 0.75, detail
    assert scores.recall >= 0.75, detail
    # Exact copies (same body) never alert; every hard negative stays unmatched.
    for (expected, decided), count in scores.confusion.items():
        if expected == "unmatched":
            assert decided == "unmatched", f"{count} hard negative(s) matched"
