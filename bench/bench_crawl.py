"""One crawl cycle of N loopback feeds × M items, then a second cycle of the same unchanged feeds.

Prints both wall times, their ratio (target: the second ≥ 5× faster) and the crawl process's peak
memory. Each cycle is the real `raqib crawl` in its own process, as the scheduler runs it.

    .venv/bin/python bench/bench_crawl.py [--feeds 300] [--items 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from raqib.feedserver import FeedServer  # noqa: E402

EN = [
    "North Korean troops reported near Kursk as Russia presses its counteroffensive",
    "Pyongyang sends more soldiers to Russia, Seoul's intelligence says",
    "Oil prices steady as markets await central bank decision",
    "Local elections see record turnout in coastal towns",
    "Scientists map a new deep-sea ecosystem off the Pacific coast",
]
AR = [
    "قوات كورية شمالية تنتشر في كورسك بحسب الاستخبارات الأوكرانية",
    "بيونغ يانغ ترسل مزيدا من الجنود إلى روسيا",
    "ارتفاع أسعار الذهب مع ترقب قرار الفائدة",
    "افتتاح معرض الكتاب الدولي بمشاركة واسعة",
    "منتخب الشباب يتأهل إلى نهائي البطولة الإقليمية",
]


def make_feed(index: int, items: int, rng: random.Random) -> bytes:
    arabic = index % 2 == 0
    pool = AR if arabic else EN
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0"><channel><title>Bench feed {index}</title><link>http://example.org/{index}</link>',
        f"<language>{'ar' if arabic else 'en'}</language><description>bench</description>",
    ]
    for item in range(items):
        title = f"{rng.choice(pool)} ({index}-{item})"
        summary = " ".join(rng.choice(pool) for _ in range(4))
        parts.append(
            f"<item><title>{title}</title><link>http://example.org/{index}/{item}</link>"
            f'<guid isPermaLink="false">bench-{index}-{item}</guid>'
            f"<pubDate>Tue, 04 Feb 2025 10:{item % 60:02d}:00 GMT</pubDate>"
            f"<description>{summary}</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def crawl(config: Path) -> tuple[float, dict[str, object], int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "raqib", "--config", str(config), "crawl", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "RAQIB_DATA": str(config.parent)},
        check=False,
    )
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if not done.stdout.strip():
        raise SystemExit(f"crawl failed: {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout), max(peak_kib, before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory(prefix="raqib-bench-") as scratch:
        root = Path(scratch)
        (root / "feeds").mkdir()
        for index in range(args.feeds):
            (root / "feeds" / f"f{index}.xml").write_bytes(make_feed(index, args.items, rng))
        with FeedServer(root / "feeds") as server:
            lines = [
                f'database = "sqlite:///{root / "bench.db"}"',
                "[network]",
                "allow_private = true",
                # All bench feeds share one loopback host; real feeds are spread over many hosts.
                "per_host_concurrency = 16",
                "[[watches]]",
                'name = "nk"',
                'query = \'("North Korea*" OR Pyongyang OR "كوريا الشمالية" OR "بيونغ يانغ" OR كورية) '
                "AND (Kursk OR Russia* OR كورسك OR روسيا) AND (troop* OR soldier* OR قوات OR جنود)'",
            ]
            for index in range(args.feeds):
                lines += ["[[feeds]]", f'name = "feed {index}"', f'url = "{server.url(f"f{index}.xml")}"']
            config = root / "bench.toml"
            config.write_text("\n".join(lines) + "\n", encoding="utf-8")

            first_s, first, peak1 = crawl(config)
            second_s, second, peak2 = crawl(config)

    def total(report: dict[str, object], key: str) -> int:
        return sum(int(feed[key]) for feed in report["feeds"])  # type: ignore[attr-defined]

    items = args.feeds * args.items
    print(f"feeds={args.feeds} items/feed={args.items} items={items}")
    print(
        f"first cycle : {first_s:7.2f} s  new={total(first, 'new')} matched={total(first, 'matched')} "
        f"({items / first_s:,.0f} items/s end to end)"
    )
    statuses = sorted({str(feed["status"]) for feed in second["feeds"]})  # type: ignore[index]
    print(f"second cycle: {second_s:7.2f} s  new={total(second, 'new')} statuses={statuses}")
    print(f"ratio first/second: {first_s / second_s:.1f}x (target >= 5x)")
    stages = first.get("stages", {})  # type: ignore[union-attr]
    matched = max(total(first, "matched"), 1)
    store_decide = float(stages.get("store", 0)) + float(stages.get("decide", 0))  # type: ignore[union-attr]
    print(
        f"writer thread, first cycle: store + decide {store_decide:.2f} s = "
        f"{1000 * store_decide / matched:.2f} ms per matched article ({matched} matched)"
    )
    print(f"peak RSS of a crawl process: {max(peak1, peak2) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
