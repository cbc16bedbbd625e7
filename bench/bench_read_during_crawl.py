"""``/stories`` while a crawl stores a 3,000-item feed, against ``/stories`` on an idle database,
in one run: every status and the latency percentiles of both.

The web page runs in this process (uvicorn in a thread, as ``raqib run`` does); the crawl is the
real ``raqib crawl`` in its own process. The database first holds one earlier crawl (so there are
stories to list), then the big feed is crawled while the page is asked for every 20 ms.

    .venv/bin/python bench/bench_read_during_crawl.py [--items 3000]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.loader import load_config  # noqa: E402
from raqib.feedserver import FeedServer  # noqa: E402
from storage.db import Database  # noqa: E402
from web.server import make_server, serve_in_background  # noqa: E402

MATCH = "North Korean troops deployed to Kursk, Russia, says Seoul"


def rss(prefix: str, count: int) -> bytes:
    items = "".join(
        f'<item><guid isPermaLink="false">{prefix}-{n}</guid>'
        f"<title>{MATCH + f' ({prefix} {n})' if n % 10 == 0 else f'Market report {prefix} {n}'}</title>"
        f"<description>Item {n} of the {prefix} feed, with a few words of text.</description></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def crawl(config: Path, root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "raqib", "--config", str(config), "crawl", "--feed", config.stem],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "RAQIB_DATA": str(root)},
    )


def poll(base: str, until: threading.Event) -> list[tuple[int, float]]:
    seen: list[tuple[int, float]] = []
    with httpx.Client(timeout=60) as client:
        while not until.is_set():
            started = time.perf_counter()
            status = client.get(f"{base}/stories").status_code
            seen.append((status, time.perf_counter() - started))
            time.sleep(0.02)
    return seen


def summary(name: str, seen: list[tuple[int, float]]) -> str:
    times = sorted(seconds for _, seconds in seen)
    p95 = times[int(0.95 * (len(times) - 1))]
    statuses = sorted({status for status, _ in seen})
    return (
        f"{name}: {len(seen)} requests, statuses {statuses}, p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="raqib-read-") as scratch:
        root = Path(scratch)
        (root / "feeds").mkdir()
        (root / "feeds" / "small.xml").write_bytes(rss("small", 200))
        (root / "feeds" / "big.xml").write_bytes(rss("big", args.items))
        with FeedServer(root / "feeds") as server:
            lines = [
                f'database = "sqlite:///{root / "raqib.db"}"',
                "[network]",
                "allow_private = true",
                "max_bytes = 50000000",
                "[[watches]]",
                'name = "w"',
                "query = 'Kursk'",
            ]
            for name in ("small", "big"):
                lines += ["[[feeds]]", f'name = "{name}"', f'url = "{server.url(f"{name}.xml")}"']
            text = "\n".join(lines) + "\n"
            for name in ("small", "big"):  # one file per feed: `crawl --feed <stem>`
                (root / f"{name}.toml").write_text(text, encoding="utf-8")
            first = crawl(root / "small.toml", root)
            first.wait()
            config = load_config(root / "small.toml", data_dir=root)
            database = Database(config.database)
            web = make_server(config, database, "127.0.0.1", free_port(), None)
            serve_in_background(web)
            while not web.started:
                time.sleep(0.02)
            base = f"http://127.0.0.1:{web.config.port}"

            idle_stop = threading.Event()
            timer = threading.Timer(5.0, idle_stop.set)
            timer.start()
            idle = poll(base, idle_stop)

            busy_stop = threading.Event()
            big = crawl(root / "big.toml", root)
            result: list[list[tuple[int, float]]] = []
            poller = threading.Thread(target=lambda: result.append(poll(base, busy_stop)))
            started = time.perf_counter()
            poller.start()
            _, stderr = big.communicate()
            busy_stop.set()
            poller.join()
            crawl_s = time.perf_counter() - started
            web.should_exit = True
            database.dispose()
    print(f"crawl of {args.items} items (10 % matching): {crawl_s:.1f} s, exit {big.returncode} {stderr[-300:]!r}")
    print(summary("/stories, idle database (baseline)", idle))
    print(summary("/stories, during the crawl", result[0]))


if __name__ == "__main__":
    main()
