"""Benchmark: reading the figures of an article (``stories.figures.extract_figures``) against a
plain regex that only finds the digits.

Run: .venv/bin/python bench/bench_figures.py [--runs 200]

A 2,000-character article mixing English and Arabic sentences with counts, casualties and years
is read ``runs`` times after one warm-up (the word cache is warm in a running crawler). Printed:
milliseconds per article for both and their ratio. The figure reader is on the path of every
matched report; it should stay well under a millisecond per article on an idle core.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stories.figures import extract_figures  # noqa: E402

ARTICLE = (
    "North Korea has sent about 12,000 troops to Russia's Kursk region, officials said on "
    "Monday. Ukraine says at least 300 of them were killed and 2,700 wounded in 2024. "
    "أعلنت كييف مقتل نحو 300 جندي كوري شمالي وإصابة 2700 آخرين في كورسك. "
)
DIGITS = re.compile(r"[\d٠-٩][\d٠-٩,.]*")


def per_run(work: Callable[[], object], runs: int) -> float:
    work()
    started = time.perf_counter()
    for _ in range(runs):
        work()
    return (time.perf_counter() - started) / runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    text = (ARTICLE * 8)[:2000]
    figures = per_run(lambda: extract_figures(text, "en"), args.runs)
    digits = per_run(lambda: DIGITS.findall(text), args.runs)
    print(f"figures: {figures * 1e3:.3f} ms per 2,000-character article ({len(extract_figures(text, 'en'))} figures)")
    print(f"baseline regex for digits: {digits * 1e3:.3f} ms per article")
    print(f"ratio figures/baseline: {figures / digits:.0f}x")


if __name__ == "__main__":
    main()
