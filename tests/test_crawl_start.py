"""What makes a crawl start quickly keeps every behaviour: a crawl of unchanged feeds says nothing
but its report and starts no other process, a first crawl starts its workers and decide process
before its first answer, Scrapy's TLS aliases are still what they were, the collector is tuned
only in the program's own process, and an answer the handler gave at once is used at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from support.crawl import crawl_json, descendants, named, write_config

from crawler.spiders.feeds import _deferred
from raqib.feedserver import FeedRequestHandler, FeedServer
from storage.db import Database


def test_a_cycle_of_unchanged_feeds_prints_its_report_and_nothing_else(tmp_path: Path, feed_server: FeedServer) -> None:
    config = write_config(
        tmp_path,
        [
            {"name": "English RSS", "url": feed_server.url("rss_en.xml"), "language": "en"},
            {"name": "Arabic UTF-8", "url": feed_server.url("ar_utf8.xml"), "language": "ar"},
        ],
    )
    assert crawl_json(config).returncode == 0
    second = crawl_json(config)
    assert second.returncode == 0, second.stderr
    assert [second.feed(name)["status"] for name in ("English RSS", "Arabic UTF-8")] == ["not_modified"] * 2
    # No warning from a Scrapy component missing one it expects (the redirect middleware looks
    # for the referer middleware), no log line at all.
    assert second.stderr == ""
    assert feed_server.statuses("/ar_utf8.xml") == [200, 304]


def _crawl(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "raqib", "--config", str(config), "crawl", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RAQIB_DATA": str(config.parent / "data")},
    )


def test_a_cycle_of_unchanged_feeds_starts_no_other_process(tmp_path: Path, feed_server: FeedServer) -> None:
    # Workers and the decide process cost a start and ~45-110 MB each: a cycle with nothing to
    # parse or decide starts none (the database exists, so nothing is started ahead either).
    config = write_config(tmp_path, [{"name": "Arabic UTF-8", "url": feed_server.url("ar_utf8.xml"), "language": "ar"}])
    assert crawl_json(config).returncode == 0
    crawl = _crawl(config)
    started: set[int] = set()
    while crawl.poll() is None:
        started.update(descendants(crawl.pid))
        time.sleep(0.002)
    out, err = crawl.communicate()
    assert crawl.returncode == 0, err
    assert '"not_modified"' in out
    assert started == set()


@pytest.mark.parametrize("database", ["new", "made by `raqib run`"])
def test_a_first_crawl_starts_its_workers_and_decide_process_before_its_first_answer(
    tmp_path: Path, feed_server: FeedServer, database: str
) -> None:
    # A new database, or one where the feed was never fetched (`raqib run` creates the database
    # before its first crawl): every feed will be parsed and its matches decided, so the parse
    # workers and the decide process (which loads the sentence encoder) start beside the crawl's
    # own start (imports, schema, Scrapy), not once the first feed is parsed and matched.
    crawls: list[subprocess.Popen[str]] = []
    running: list[list[str]] = []
    commands: list[bytes] = []

    def once_deciding_started(handler: FeedRequestHandler) -> None:
        deadline = time.monotonic() + 8  # one starting it at the first match would wait for ever
        names: list[str] = []
        while time.monotonic() < deadline and "raqib-decide" not in names:
            names = [named(pid) for pid in descendants(crawls[0].pid)]
            time.sleep(0.01)
        running.append(names)
        commands.extend(command_line(pid) for pid in descendants(crawls[0].pid))
        handler.serve_file("/ar_utf8.xml")

    feed_server.routes["/first.xml"] = once_deciding_started
    feeds = [{"name": "First", "url": feed_server.url("/first.xml"), "language": "ar"}]
    config = write_config(tmp_path, feeds, timeout="20s")
    if database != "new":
        made = Database(f"sqlite:///{tmp_path / 'raqib.db'}")
        made.upgrade()
        made.dispose()
    crawls.append(_crawl(config))
    out, err = crawls[0].communicate(timeout=120)
    assert len(running) == 1 and "raqib-decide" in running[0], running
    assert crawls[0].returncode == 0, err
    assert '"new": 0' not in out  # the feed was stored
    # Beside it, the parse worker (named as the interpreter), and nothing else: no forkserver,
    # no resource tracker (ingest.processes).
    assert len([name for name in running[0] if name != "raqib-decide"]) >= 1
    assert not [command for command in commands if b"forkserver" in command or b"resource_tracker" in command]


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_scrapy_s_tls_aliases_keep_their_module_and_inspect_is_left_as_it_was() -> None:
    probe = (
        "import inspect; stack = inspect.stack\n"
        "import crawler.spiders.feeds\n"
        "from scrapy.core.downloader import contextfactory, tls\n"
        "print(tls.ScrapyClientTLSOptions.__module__, contextfactory.ScrapyClientContextFactory.__module__,"
        " inspect.stack is stack)"
    )
    assert _run(probe) == "scrapy.core.downloader.tls scrapy.core.downloader.contextfactory True"


def test_the_collector_is_tuned_for_one_crawl_only_in_the_program_s_own_process() -> None:
    probe = (
        "import gc; before = gc.get_threshold()\n"
        "import raqib.cli\n"
        "from raqib.cli import app\n"
        "enabled = gc.isenabled(); app.settle_for_one_crawl(); as_a_test = gc.get_threshold() == before\n"
        "app._as_program = True; app.settle_for_one_crawl()\n"
        "print(enabled, as_a_test, gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    )
    assert _run(probe) == "True True 10000 True"


def test_an_answer_given_at_once_is_used_at_once_and_a_failure_reaches_the_errback() -> None:
    answered: Future[list[str]] = Future()
    answered.set_result(["http://example.org/a"])
    results: list[object] = []
    _deferred(answered).addCallback(results.append)
    assert results == [["http://example.org/a"]]  # fired already: no reactor involved

    failed: Future[list[str]] = Future()
    failed.set_exception(ValueError("مشكلة في التحليل"))
    errors: list[str] = []
    _deferred(failed).addErrback(lambda failure: errors.append(failure.getErrorMessage()))
    assert errors == ["مشكلة في التحليل"]
