"""What the sentence encoder costs the story desk: model load, and time per matched article.

The matched items of the labelled dev timelines (the holdouts are closed: never read, even
for a timing) are decided twice in one run, in memory (features,
the watch's categories, the decision against the open stories, absorbing): once with the bundled
encoder (the product) and once without it (words, concepts and figures only: the baseline). The
encoder's cache is cleared before the timed run, so every sentence is embedded once, as in a
fresh process. As in the decide stage, a batch of reports is embedded in one call to the model.
Prints both per-article times (wall and CPU: the process's time on every thread, which says
whether a change saves work or only spreads it over cores), the difference and the ratio, and the model's load time and
memory in fresh processes: the table decompressed into memory (the baseline), then read from its
unpacked copy (stories.encoder_table), once writing the copy and once finding it.

    .venv/bin/python bench/bench_encoder.py [threads]   # the model's threads, default 1 (as the desk)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay_timeline import TIMELINES, config_for, entry_of, item_time  # noqa: E402

from config.loader import load_config  # noqa: E402
from ingest.decide import DECIDE_BATCH  # noqa: E402
from raqib.compose import encoder_table_cache  # noqa: E402
from stories.analysis import Analyser  # noqa: E402
from stories.categories import Categoriser  # noqa: E402
from stories.concepts import Lexicon  # noqa: E402
from stories.decide import DecisionSettings, StoryCandidate, decide  # noqa: E402
from stories.features import extract_features, to_encode, with_vectors  # noqa: E402
from stories.memory import StoryMemory  # noqa: E402
from stories.semantic import SentenceEncoder, load_encoder  # noqa: E402

# A watch's categoriser embeds its examples once per process (the desk keeps it): built once here too.
CATEGORISERS: dict[tuple[Path, bool], Categoriser] = {}


def run(paths: list[Path], encoder: SentenceEncoder | None, scratch: Path) -> tuple[int, float, float]:
    """Decide every matched item of the timelines; returns (articles, seconds deciding them, CPU
    seconds deciding them: the process's time on every core, so a change that only spreads the
    work over threads shows in the wall time, not here).
    As the decide stage does, the sentences of a batch of up to ``DECIDE_BATCH`` reports are
    embedded in one call to the model before they are decided one by one."""
    lexicon = Lexicon()
    settings = DecisionSettings()
    articles = 0
    seconds = cpu = 0.0
    for path in paths:
        config = load_config(config_for(path), data_dir=scratch)
        watch = config.watches[0]
        analyser = Analyser({watch.name: watch.query})
        categoriser = CATEGORISERS.setdefault((path, encoder is not None), watch.categoriser(encoder))
        stories: dict[int, StoryMemory] = {}
        matched = []
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            entry = entry_of(item)
            analysis = analyser.analyse(entry)
            if analysis.matched:
                matched.append((item_time(item), entry, analysis.language))
        for start in range(0, len(matched), DECIDE_BATCH):
            started, cpu_started = time.perf_counter(), time.process_time()
            batch = [
                (at, extract_features(entry, language, lexicon))
                for at, entry, language in matched[start:][:DECIDE_BATCH]
            ]
            if encoder is not None:
                encoder.encode([text for _, features in batch for text in to_encode(features)])
            for at, plain in batch:
                features = categoriser.tag(with_vectors(plain, encoder) if encoder is not None else plain)
                candidates = [StoryCandidate(story_id, memory) for story_id, memory in stories.items()]
                decision = decide(features, candidates, settings, encoder=encoder, at=at)
                story_id = decision.story_id if decision.story_id is not None else len(stories) + 1
                stories.setdefault(story_id, StoryMemory()).absorb(features, at=at, core=decision.core)
            seconds += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            articles += len(batch)
    return articles, seconds, cpu


def rss() -> int:
    """This process's resident memory in bytes (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


LOAD_PROBE = """
import json, sys, time
from pathlib import Path
sys.path[:0] = [{root!r}, {bench!r}]
import numpy
from replay_timeline import TIMELINES
def rss():
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
before = rss()
started = time.perf_counter()
from stories.semantic import load_encoder
encoder = load_encoder({threads}, Path(sys.argv[1]) if len(sys.argv) > 1 else None)
seconds, loaded = time.perf_counter() - started, rss() - before
texts = [json.loads(line).get("title") or "" for path in sorted(TIMELINES.glob("*-dev.jsonl"))
         for line in path.read_text(encoding="utf-8").splitlines()]
encoder.encode(texts)
print(json.dumps([seconds, loaded, rss() - before, len(texts)]))
"""


def load_in_fresh_process(threads: int, table_cache: Path | None) -> tuple[float, int, int, int]:
    """(load seconds, RSS added by the load, RSS added once every timeline title is embedded,
    titles) in a new process, as a crawl loads it; the table in memory (None) or from its
    unpacked copy in ``table_cache`` (written by this load when the folder holds none)."""
    here = Path(__file__).resolve().parent
    probe = LOAD_PROBE.format(root=str(here.parent), bench=str(here), threads=threads)
    args = [sys.executable, "-c", probe, *([str(table_cache)] if table_cache is not None else [])]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    seconds, loaded, used, titles = json.loads(done.stdout)
    return float(seconds), int(loaded), int(used), int(titles)


def print_loads(threads: int) -> None:
    with tempfile.TemporaryDirectory() as cache:
        runs = [
            ("table in memory (baseline)", load_in_fresh_process(threads, None)),
            ("copy written by this load", load_in_fresh_process(threads, Path(cache))),
            ("copy already written", load_in_fresh_process(threads, Path(cache))),
        ]
    base = runs[0][1]
    print(f"encoder load in a fresh process, {threads} thread(s) (target <= 1.5 s):")
    for name, (seconds, loaded, used, titles) in runs:
        print(
            f"  {name:27s}: {seconds:5.2f} s ({seconds / base[0]:.2f}x), RSS +{loaded / 2**20:3.0f} MiB loaded, "
            f"+{used / 2**20:3.0f} MiB after embedding {titles} titles ({(used - base[2]) / 2**20:+.0f} MiB)"
        )


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print_loads(threads)
    paths = sorted(TIMELINES.glob("*-dev.jsonl"))
    before = rss()
    started = time.perf_counter()
    encoder = load_encoder(threads, encoder_table_cache())  # as the desk loads it
    load = time.perf_counter() - started
    loaded = rss() - before
    with tempfile.TemporaryDirectory() as scratch:
        run(paths, None, Path(scratch))  # warm the word caches for both runs
        run(paths, encoder, Path(scratch))  # and the categories' example vectors
        plain, with_encoder, plain_cpu, with_encoder_cpu = [], [], [], []
        for _ in range(3):
            encoder._cache.clear()  # type: ignore[attr-defined]  # each sentence embedded once per run
            n, seconds, cpu = run(paths, encoder, Path(scratch))
            with_encoder.append(seconds / n)
            with_encoder_cpu.append(cpu / n)
            n, seconds, cpu = run(paths, None, Path(scratch))
            plain.append(seconds / n)
            plain_cpu.append(cpu / n)
    base, product = statistics.median(plain), statistics.median(with_encoder)
    base_cpu, product_cpu = statistics.median(plain_cpu), statistics.median(with_encoder_cpu)
    print(f"encoder load in this process (as the story desk): {load:.2f} s, memory +{loaded / 2**20:.0f} MiB RSS")
    print(f"  process RSS after the runs: {rss() / 2**20:.0f} MiB (the encoder's cache of sentence vectors included)")
    print(f"{n} matched articles, median of 3 runs, {len(sys.argv) > 1 and sys.argv[1] or 1} model thread(s)")
    print(f"  without encoder (baseline): {base * 1000:.2f} ms per article (CPU {base_cpu * 1000:.2f} ms)")
    print(f"  with encoder:               {product * 1000:.2f} ms per article (CPU {product_cpu * 1000:.2f} ms)")
    print(f"  difference: {(product - base) * 1000:+.2f} ms per article (target <= +5 ms), ratio {product / base:.1f}x")
    print(
        f"  CPU difference (every thread): {(product_cpu - base_cpu) * 1000:+.2f} ms per article, "
        f"ratio {product_cpu / base_cpu:.1f}x"
    )


if __name__ == "__main__":
    main()
