"""``raqib demo``: the whole loop offline, for a newcomer on a machine without internet.

Serves the bundled demo feeds on a loopback port, writes a config pointing at them, crawls twice
(each crawl in its own process, as the scheduler does) and shows what was stored and matched."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from config.loader import BUNDLED_DEMO
from raqib.feedserver import PLACEHOLDER, FeedServer

DEMO_FEEDS = Path(__file__).with_name("demo_feeds")


def _raqib(config: Path, data_dir: Path, *args: str) -> int:
    env = {**os.environ, "RAQIB_DATA": str(data_dir), "PYTHONIOENCODING": "utf-8"}
    return subprocess.call([sys.executable, "-m", "raqib", "--config", str(config), *args], env=env)


def run_demo(keep: Path | None) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="raqib-demo-") as scratch:
        data_dir = (keep or Path(scratch)).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        with FeedServer(DEMO_FEEDS, mount="/demo/") as server:
            config = data_dir / "demo.toml"
            config.write_bytes(BUNDLED_DEMO.read_bytes().replace(PLACEHOLDER, server.address.encode()))
            click.secho(f"Serving the demo feeds at {server.base_url}/demo/ (loopback only)", bold=True)
            click.secho("\n1) First crawl: every entry is new.", bold=True)
            first = _raqib(config, data_dir, "crawl")
            click.secho("\n2) Second crawl: the feeds have not changed, so nothing is stored twice.", bold=True)
            second = _raqib(config, data_dir, "crawl")
            not_modified = sum(1 for path, status in server.log if status == 304)
            click.echo(f"   the server answered {not_modified} conditional request(s) with 304 Not Modified")
        click.secho("\n3) What matched the watch, as stories:", bold=True)
        _raqib(config, data_dir, "stories")
        click.secho("\n4) Every article stored, matched or not:", bold=True)
        _raqib(config, data_dir, "articles", "--all")
        where = f"kept in {data_dir}" if keep else "discarded (use --keep DIR to keep it)"
        click.echo(f"\nDemo finished in {time.monotonic() - started:.1f}s; its data is {where}.")
    return 0 if first == 0 and second == 0 else 1
