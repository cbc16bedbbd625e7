"""A feed that takes about a minute to parse, beside 50 normal feeds, in one ``raqib crawl``.

The slow feed's items carry dates that the parser's last-resort reader (dateutil) takes 10-20 ms
each to refuse, each one different so none is remembered. Baseline, in the same run: how long the
slow feed takes to parse in a plain process (``ingest.parse.parse_feed``, no budget), capped at
120 s. Then the crawl, with the default 20 s parse budget and a 5 s network
timeout, plus one feed that never answers: the normal feeds finish, the hanging one times out on
time, the slow one is reported "parse took more than 20 s", and the whole crawl ends within the
budget plus a few seconds.

    .venv/bin/python bench/bench_slow_feed.py [--items 6000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from raqib.feedserver import FeedRequestHandler, FeedServer  # noqa: E402


def rss(items: list[tuple[str, str]], dated: bool = False) -> bytes:
    body = "".join(
        f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
        + (f"<pubDate>{'1 ' * 120}{n}</pubDate>" if dated else "")
        + f"<description>{title}.</description></item>"
        for n, (guid, title) in enumerate(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


PARSE_ALONE = """
import sys, time
from ingest.parse import parse_feed
body = open(sys.argv[1], "rb").read()
started = time.perf_counter()
parse_feed(body, None, feed_name="slow", base_url="http://127.0.0.1/slow.xml")
print(time.perf_counter() - started)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=6000, help="items of the slow feed, ~10-20 ms each")
    args = parser.parse_args()
    slow = rss([(f"slow-{n}", f"Slow {n}") for n in range(args.items)], dated=True)
    with tempfile.TemporaryDirectory(prefix="raqib-slow-") as scratch:
        root = Path(scratch)
        (root / "slow.xml").write_bytes(slow)
        started = time.perf_counter()
        try:
            alone = subprocess.run(
                [sys.executable, "-c", PARSE_ALONE, str(root / "slow.xml")],
                capture_output=True,
                text=True,
                timeout=120,
            )
            baseline = f"{float(alone.stdout):.1f} s"
        except subprocess.TimeoutExpired:
            baseline = f"more than 120 s (stopped after {time.perf_counter() - started:.0f} s)"

        def hang(handler: FeedRequestHandler) -> None:
            time.sleep(30)

        with FeedServer(root) as server:
            server.routes["/hang.xml"] = hang
            for n in range(50):
                body = rss([(f"n{n}-{k}", f"Normal feed {n} item {k}") for k in range(20)])
                server.routes[f"/n{n}.xml"] = lambda h, b=body: h.send_body(200, b, "application/rss+xml")
            lines = [
                f'database = "sqlite:///{root / "raqib.db"}"',
                "[network]",
                "allow_private = true",
                'timeout = "5s"',
                "[[watches]]",
                'name = "w"',
                "query = 'Kursk'",
                "[[feeds]]",
                'name = "slow"',
                f'url = "{server.url("slow.xml")}"',
                "[[feeds]]",
                'name = "hangs"',
                f'url = "{server.url("/hang.xml")}"',
            ]
            for n in range(50):
                lines += ["[[feeds]]", f'name = "normal {n}"', f'url = "{server.url(f"/n{n}.xml")}"']
            (root / "c.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "raqib", "--config", str(root / "c.toml"), "crawl", "--json"],
                capture_output=True,
                text=True,
                env={**os.environ, "RAQIB_DATA": str(root)},
            )
            crawl_s = time.perf_counter() - started
    report = {feed["feed"]: feed for feed in json.loads(done.stdout)["feeds"]}
    normal_ok = sum(
        1 for n in range(50) if report[f"normal {n}"]["status"] == "ok" and report[f"normal {n}"]["new"] == 20
    )
    print(f"slow feed: {len(slow):,} bytes; parsed alone (no budget): {baseline}")
    print(f"raqib crawl (parse budget 20 s, timeout 5 s): {crawl_s:.1f} s in all")
    print(f"  normal feeds stored: {normal_ok}/50")
    hung = report["hangs"]
    print(f"  hanging feed: {hung['status']} after {hung['seconds']:.1f} s: {hung['error']}")
    print(f"  slow feed: {report['slow']['status']}: {report['slow']['error']}")


if __name__ == "__main__":
    main()
