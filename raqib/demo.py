"""``raqib demo``: the whole loop offline, for a newcomer on a machine without internet.

Serves the bundled demo feeds on a loopback port, writes a config pointing at them, crawls twice
(each crawl in its own process, as the scheduler does) and shows what was stored and matched.
With ``--serve`` it then serves the web page on the demo's data and prints its address."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from config.loader import BUNDLED_DEMO, load_config
from raqib.feedserver import PLACEHOLDER, FeedServer
from storage.db import Database
from web.server import make_server

DEMO_FEEDS = Path(__file__).with_name("demo_feeds")


def _raqib(config: Path, data_dir: Path, *args: str) -> int:
    env = {**os.environ, "RAQIB_DATA": str(data_dir), "PYTHONIOENCODING": "utf-8"}
    return subprocess.call([sys.executable, "-m", "raqib", "--config", str(config), *args], env=env)


def _port(preferred: int) -> int:
    """``preferred`` when it is free on loopback, else any free port."""
    for candidate in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError("no free port on 127.0.0.1")


def _serve(config_path: Path, data_dir: Path, port: int | None) -> None:
    """The web page on the demo's data, on loopback, until Ctrl-C."""
    config = load_config(config_path, data_dir=data_dir)
    database = Database(config.database)
    bound = _port(port if port is not None else config.web.port)
    server = make_server(config, database, "127.0.0.1", bound, None)
    click.secho(f"\n5) The web page on the demo's data: http://127.0.0.1:{bound}/ (Ctrl-C stops)", bold=True)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it shut down on: here it is the way out
        pass
    finally:
        database.dispose()


def run_demo(keep: Path | None, *, serve: bool = False, port: int | None = None) -> int:
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
        if serve and first == 0 and second == 0:
            _serve(config, data_dir, port)
        where = f"kept in {data_dir}" if keep else "discarded (use --keep DIR to keep it)"
        click.echo(f"\nDemo finished in {time.monotonic() - started:.1f}s; its data is {where}.")
    return 0 if first == 0 and second == 0 else 1
