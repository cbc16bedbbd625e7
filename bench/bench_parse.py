"""The parse worker's cost per item, step by step, beside a parser alone on the same bytes.

The bench feeds of ``bench_pipeline`` (2 % of items match its watch) and of ``bench_crawl``
(about 90 % match), 300 feeds × 50 items each, half Arabic and half English, are parsed in this
process by ``ingest.tasks.parse_task``, the function a parse worker runs. Printed per workload,
in CPU ms per item: the task as a whole, then each of its steps run on its own over the same input
(charset, fastfeedparser as the task calls it, the well-formedness check, HTML to text and
entries, analysis, search text, preparing matched reports, pickling the result for the parent),
each beside the baseline of the same run, and as a ratio to it. The baseline is the parser the task
used before fastfeedparser, ``feedparser.parse`` alone with its defaults, when feedparser is
installed (no dependency of Raqib: the ``test`` extra installs it for the comparison), else
``fastfeedparser.parse`` alone; both under the collector's default thresholds.

``--save FILE`` writes every item the task returned, as plain data; ``--compare FILE`` checks
today's output against such a file field by field and stops on the first difference, so a
speed-up can be shown to change nothing:

    .venv/bin/python bench/bench_parse.py [--feeds 300] [--items 50] [--repeat 3] [--save F | --compare F]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import pickle
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import fastfeedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_crawl  # noqa: E402
import bench_pipeline  # noqa: E402

from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from ingest import tasks  # noqa: E402
from ingest.encoding import decode_feed  # noqa: E402
from ingest.parse import malformation, parse_feed, read_feed, xml_for_parser  # noqa: E402
from storage.search_text import index_content  # noqa: E402
from stories.identity import canonical_url  # noqa: E402
from stories.types import Entry, LanguageHint  # noqa: E402

CONTENT_TYPE = "application/rss+xml"
DEFAULT_GC = gc.get_threshold()  # the collector as Python starts it


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    watch: str
    feeds: list[bytes]


def workloads(feeds: int, items: int) -> list[Workload]:
    default_watch = load_config(BUNDLED_DEFAULT, data_dir=Path(tempfile.gettempdir())).watches[0].query
    rng = random.Random(7)
    return [
        Workload(
            "2 % matching (bench_pipeline)", default_watch, [bench_pipeline.make_feed(i, items) for i in range(feeds)]
        ),
        Workload(
            "90 % matching (bench_crawl)",
            bench_crawl.WATCH_QUERY,
            [bench_crawl.make_feed(i, items, rng) for i in range(feeds)],
        ),
    ]


def url(index: int) -> str:
    return f"http://127.0.0.1:8080/f{index}.xml"


def language(index: int) -> LanguageHint:
    return "ar" if index % 2 == 0 else "en"


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The least CPU time of ``repeat`` runs (CPU, not wall: the machine is shared, and a parse
    worker's cost is its CPU)."""
    best = float("inf")
    for _ in range(repeat):
        # Every entry is new to a worker in a first cycle: no URL it remembers from the last run.
        canonical_url.cache_clear()
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def plain(value: Any) -> Any:
    """A dataclass tree as dicts, tuples and scalars, for saving and comparing."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return tuple(plain(part) for part in value)
    if isinstance(value, dict):
        return {key: plain(part) for key, part in value.items()}
    return value


def differences(old: Any, new: Any, where: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every field that differs between two plain trees, as (path, saved, now)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys(), key=str):
            if key not in old or key not in new:
                yield f"{where}.{key}", old.get(key, "<absent>"), new.get(key, "<absent>")
            else:
                yield from differences(old[key], new[key], f"{where}.{key}")
    elif isinstance(old, tuple) and isinstance(new, tuple):
        if len(old) != len(new):
            yield f"{where}.length", len(old), len(new)
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            yield from differences(a, b, f"{where}[{index}]")
    elif old != new:
        yield where, old, new


_INDEX = re.compile(r"\[\d+\]")


def report_differences(saved: Any, now: Any, what: str, examples: int = 3) -> int:
    """Print every differing field, counted by kind (the path without its indices), with examples;
    return how many fields differ."""
    by_kind: dict[str, list[tuple[str, Any, Any]]] = {}
    for where, old, new in differences(saved, now):
        by_kind.setdefault(_INDEX.sub("[]", where), []).append((where, old, new))
    total = sum(len(found) for found in by_kind.values())
    print(f"\n{what}: {total} fields differ" + (":" if total else ""))
    for kind, found in sorted(by_kind.items(), key=lambda pair: -len(pair[1])):
        print(f"  {len(found):6d} x {kind}")
        for where, old, new in found[:examples]:
            print(f"           {where}\n             saved {old!r:.300}\n             now   {new!r:.300}")
    return total


def steps(work: Workload) -> list[tuple[str, Callable[[], object]]]:
    """Each step of the task run alone over the workload's input (made by the step before)."""
    analyser = tasks._ready()
    xml = [xml_for_parser(decode_feed(body, CONTENT_TYPE).body)[0] for body in work.feeds]
    entries: list[Entry] = [
        entry
        for index, body in enumerate(work.feeds)
        for entry in parse_feed(
            body, CONTENT_TYPE, feed_name=f"feed {index}", base_url=url(index), language=language(index)
        ).entries
    ]
    analyses = [analyser.analyse(entry) for entry in entries]
    matched = [(entry, analysis.language) for entry, analysis in zip(entries, analyses, strict=True) if analysis.hits]
    results = [
        tasks.parse_task(f"feed {index}", language(index), body, CONTENT_TYPE, url(index))
        for index, body in enumerate(work.feeds)
    ]
    preparer = tasks._preparer
    assert preparer is not None

    def parse_whole() -> None:
        for index, body in enumerate(work.feeds):
            parse_feed(body, CONTENT_TYPE, feed_name="f", base_url=url(index), language=language(index))

    return [
        ("charset (decode_feed)", lambda: [decode_feed(body, CONTENT_TYPE) for body in work.feeds]),
        ("fastfeedparser, as parse_feed calls it (read_feed)", lambda: [read_feed(utf8) for utf8 in xml]),
        ("well-formedness (malformation: strict lxml)", lambda: [malformation(utf8) for utf8 in xml]),
        ("parse_feed whole (charset + parsers + HTML to text + entries)", parse_whole),
        (
            "analyse (tokenise, match, identity, hashes, language)",
            lambda: [analyser.analyse(entry) for entry in entries],
        ),
        ("search text (index_content)", lambda: [index_content(e.title, e.summary, e.text) for e in entries]),
        (
            f"prepare matched ({len(matched)} of {len(entries)} items)",
            lambda: [preparer.prepare(e, lang) for e, lang in matched],
        ),
        (
            "pickling the results for the parent",
            lambda: [pickle.dumps(result, pickle.HIGHEST_PROTOCOL) for result in results],
        ),
    ]


def baseline_parser() -> tuple[str, Callable[[bytes], object]]:
    """feedparser, the parser before fastfeedparser, when it is installed; else fastfeedparser alone."""
    try:
        import feedparser  # type: ignore[import-untyped]  # optional: the parser this task used before
    except ImportError:
        return "fastfeedparser.parse alone, default options (feedparser not installed)", fastfeedparser.parse
    return f"feedparser {feedparser.__version__} .parse alone, default options (the parser before)", feedparser.parse


def measure(work: Workload, repeat: int) -> list[dict[str, Any]]:
    tasks.init_worker({"bench": work.watch})

    def task() -> list[tasks.ParsedFeed]:
        return [
            tasks.parse_task(f"feed {index}", language(index), body, CONTENT_TYPE, url(index))
            for index, body in enumerate(work.feeds)
        ]

    results = task()  # warms the caches the way a worker's first feeds do
    items = sum(len(result.items) for result in results)
    matched = sum(1 for result in results for item in result.items if item.analysis.hits)
    baseline_name, baseline_parse = baseline_parser()
    tuned_gc = gc.get_threshold()
    gc.set_threshold(*DEFAULT_GC)
    baseline = best_of(repeat, lambda: [baseline_parse(body) for body in work.feeds])
    gc.set_threshold(*tuned_gc)
    whole = best_of(repeat, task)
    size = sum(len(pickle.dumps(result, pickle.HIGHEST_PROTOCOL)) for result in results)
    print(
        f"\n{work.name}: {len(work.feeds)} feeds, {items} items, {matched} matched; "
        f"pickled result {size / items:.0f} bytes/item"
    )

    def line(label: str, seconds: float) -> None:
        print(f"  {label:<72} {1000 * seconds / items:7.4f} ms/item  {seconds / baseline:6.3f}x baseline")

    line(f"baseline: {baseline_name}", baseline)
    line("parse_task, the whole worker task", whole)
    for label, run in steps(work):
        line(f"  step: {label}", best_of(repeat, run))
    return [plain(result) for result in results]


def sample_files(folders: Sequence[Path]) -> list[tuple[str, Path]]:
    """Every file under the folders but their PROVENANCE notes, named as folder/relative path."""
    return [
        (f"{folder.name}/{path.relative_to(folder)}", path)
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "PROVENANCE.txt"
    ]


def parse_samples(folders: Sequence[Path]) -> dict[str, Any]:
    """``parse_feed`` over every sample file as the crawler calls it for an answer without a
    charset in its Content-Type, as plain data (or the exception it raised, in words)."""
    outputs: dict[str, Any] = {}
    for name, path in sample_files(folders):
        try:
            parsed = parse_feed(path.read_bytes(), None, feed_name=name, base_url=f"http://samples.example/{name}")
        except Exception as error:  # noqa: BLE001 - a sample that breaks the parser is a finding
            outputs[name] = f"raised {type(error).__name__}: {error}"
        else:
            outputs[name] = plain(parsed)
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the least time is printed")
    parser.add_argument("--save", type=Path, help="write the task's output here, as plain data")
    parser.add_argument("--compare", type=Path, help="check the task's output against a --save file")
    parser.add_argument(
        "--samples",
        type=Path,
        action="append",
        help="instead of the bench feeds, parse every file in this folder (repeatable) for --save/--compare",
    )
    args = parser.parse_args()
    outputs: Any
    if args.samples:
        outputs = parse_samples(args.samples)
        entries = sum(len(feed["entries"]) for feed in outputs.values() if isinstance(feed, dict))
        print(f"{len(outputs)} sample files, {entries} entries")
    else:
        outputs = tuple(tuple(measure(work, args.repeat)) for work in workloads(args.feeds, args.items))
    if args.save:
        args.save.write_bytes(pickle.dumps(outputs, pickle.HIGHEST_PROTOCOL))
        print(f"\noutput saved to {args.save}")
    if args.compare:
        saved = pickle.loads(args.compare.read_bytes())
        if not args.samples:
            saved = tuple(map(tuple, saved))
        report_differences(saved, outputs, f"against {args.compare}")


if __name__ == "__main__":
    main()
