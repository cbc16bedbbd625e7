"""The command line as a user runs it: demo, scheduler, listings, config check."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from support.crawl import crawl_json, raqib, write_config

from raqib.feedserver import FeedServer
from storage import feed_repo
from storage.db import Database


def test_demo_runs_offline_in_under_a_minute() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "raqib", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert seconds < 60
    out = done.stdout
    # The first crawl stores, the second stores nothing and is answered with 304s.
    first, second = out.split("2) Second crawl")[0], out.split("2) Second crawl")[1].split("3)")[0]
    assert "Demo Arabic: ok" in first and "Demo English: ok" in first
    assert "Demo Arabic: not_modified" in second and ", 0 new" in second
    assert "304 Not Modified" in second
    stories = out.split("3) What matched")[1].split("4) Every article")[0]
    assert "كوري" in stories, "an Arabic story is listed"
    assert "North Korea" in stories
    assert "Sikorsky" not in stories


def test_stories_and_articles_list_arabic_and_filter(tmp_path: Path, feed_server: FeedServer) -> None:
    config = write_config(
        tmp_path,
        [
            {"name": "عربي", "url": feed_server.url("ar_utf8.xml"), "language": "ar"},
            {"name": "English", "url": feed_server.url("rss_en.xml")},
        ],
    )
    assert crawl_json(config).returncode == 0
    listed = raqib(config, "articles", "--json")
    rows = json.loads(listed.stdout)
    assert len(rows) == 5  # matched only, by default
    assert {row["feed"] for row in rows} == {"عربي", "English"}
    every = json.loads(raqib(config, "articles", "--all", "--json").stdout)
    assert len(every) == 7
    stories = json.loads(raqib(config, "stories", "--watch", "nk-troops-kursk", "--json").stdout)
    assert stories and all(story["watch"] == "nk-troops-kursk" for story in stories)
    assert sum(len(story["articles"]) for story in stories) == 5
    # The same objects as /api/stories/ID: one shape for the CLI and the API.
    assert {"id", "url", "watch", "title", "outlets", "languages", "articles", "per_day"} <= set(stories[0])
    report = stories[0]["articles"][0]
    assert {"article_id", "feed", "event", "what_is_new", "explanation"} <= set(report)
    assert stories[0]["url"] == f"/stories/{stories[0]['id']}"
    assert json.loads(raqib(config, "stories", "--watch", "other", "--json").stdout) == []
    future = json.loads(raqib(config, "articles", "--since", "2999-01-01", "--json").stdout)
    assert future == []
    text = raqib(config, "articles").stdout
    assert "عربي (ar)" in text and text.strip().endswith("5 articles")
    bad = raqib(config, "articles", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "neither a date" in bad.stderr


def test_config_check_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        "\n".join(
            [
                "[network]",
                "allow_privat = true",
                "",
                "[[feeds]]",
                'name = "A"',
                'url = "ftp://example.org/feed"',
                "",
                "[[watches]]",
                'name = "w"',
                'query = "(Kursk"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = raqib(broken, "config", "check")
    assert result.returncode == 1
    out = result.stdout
    assert f"{broken}:2: network.allow_privat" in out
    assert f"{broken}:6: feeds[0].url" in out
    assert f"{broken}:10: watches[0].query" in out
    assert "3 problem(s)" in out
    good = raqib(Path(__file__).resolve().parent.parent / "config" / "default.toml", "config", "check")
    assert good.returncode == 0 and "OK" in good.stdout


def test_a_command_on_a_broken_config_says_where_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "raqib.toml"
    broken.write_text('[schedule]\ninterval = "soon"\n', encoding="utf-8")
    result = raqib(broken, "crawl")
    assert result.returncode == 2
    assert "schedule.interval" in result.stderr and ":2:" in result.stderr


def _fetches(database: Database) -> int:
    with database.session() as session:
        return len(feed_repo.fetch_log(session, limit=10_000))


def test_scheduler_crawls_due_feeds_stops_on_sigterm_and_does_not_repeat_after_restart(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    config = write_config(tmp_path, [{"name": "English", "url": feed_server.url("rss_en.xml")}])
    env = {**os.environ, "RAQIB_DATA": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "raqib", "--config", str(config), "run"]
    database = Database(f"sqlite:///{tmp_path / 'raqib.db'}")

    def start_and_wait_for(fetches: int, wait: float) -> tuple[subprocess.Popen[str], int]:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        deadline = time.monotonic() + wait
        seen = 0
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                seen = _fetches(database)
            except Exception:  # noqa: BLE001 - the database may not exist yet
                continue
            if seen >= fetches:
                break
        return process, seen

    process, seen = start_and_wait_for(1, 30)
    assert seen == 1, "the first tick crawls the feed that was never fetched"
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "received SIGTERM" in output and "stopped" in output
    assert "English: ok, 3 entries, 3 new, 2 matched" in output

    # A restart within the feed's interval must not fetch it again.
    process, seen = start_and_wait_for(2, 5)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert seen == 1
    assert feed_server.statuses("/rss_en.xml") == [200]
    database.dispose()


def test_a_sigterm_while_run_is_still_starting_stops_it_cleanly_before_any_crawl(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """A service manager may stop `raqib run` while it is still starting. Here start-up is held
    at a known point: the test holds SQLite's write lock, so the run waits for it right after
    taking its run lock; the SIGTERM comes then, and the run must still stop as asked: exit 0,
    the signal logged, no feed fetched."""
    config = write_config(tmp_path, [{"name": "English", "url": feed_server.url("rss_en.xml")}])
    database_path = tmp_path / "raqib.db"
    Database(f"sqlite:///{database_path}").upgrade()
    holder = sqlite3.connect(database_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    env = {**os.environ, "RAQIB_DATA": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8"}
    process = subprocess.Popen(
        [sys.executable, "-m", "raqib", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    run_lock = database_path.with_name("raqib.db.run.lock")
    deadline = time.monotonic() + 60
    while not (run_lock.exists() and run_lock.read_text(encoding="utf-8").startswith("pid")):
        assert process.poll() is None and time.monotonic() < deadline, "the run never took its run lock"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    holder.execute("ROLLBACK")
    holder.close()
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "received SIGTERM while starting" in output and "stopped" in output, output
    assert "Traceback" not in output, output
    assert feed_server.statuses("/rss_en.xml") == [], "no crawl starts after the stop was asked"


def test_feeds_export_and_import_through_opml(tmp_path: Path) -> None:
    default = Path(__file__).resolve().parent.parent / "config" / "default.toml"
    exported = raqib(default, "feeds", "export")
    assert exported.returncode == 0 and "<opml" in exported.stdout and "الجزيرة" not in exported.stderr
    opml = tmp_path / "reader.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>r</title></head><body>'
        '<outline text="أخبار"><outline type="rss" text="صحيفة عربية" xmlUrl="https://news.example/ar.xml" '
        'language="ar"/></outline>'
        '<outline type="rss" text="BBC again" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/></body></opml>',
        encoding="utf-8",
    )
    imported = raqib(default, "feeds", "import", str(opml))
    assert imported.returncode == 0, imported.stderr
    assert '[[feeds]]\nname = "صحيفة عربية"\nurl = "https://news.example/ar.xml"' in imported.stdout
    assert 'language = "ar"' in imported.stdout
    assert "duplicate" in imported.stderr and "1 feeds" in imported.stderr


def test_config_check_reports_a_query_nested_too_deep_with_file_line_and_watch(tmp_path: Path) -> None:
    nested = "(" * 300 + "Kursk" + ")" * 300
    nots = "Kursk " + "NOT " * 3000 + "drones"
    config = tmp_path / "raqib.toml"
    config.write_text(
        f'[[watches]]\nname = "nested"\nquery = "{nested}"\n\n[[watches]]\nname = "negated"\nquery = "{nots}"\n',
        encoding="utf-8",
    )
    checked = raqib(config, "config", "check")
    assert checked.returncode == 1
    assert "RecursionError" not in checked.stdout + checked.stderr
    assert f"{config}:3: watches[0].query: query does not parse: parentheses and NOT are nested" in checked.stdout
    assert "in watch 'nested'" in checked.stdout
    assert f"{config}:7: watches[1].query: query does not parse: the query has more than 2,000" in checked.stdout
    assert "in watch 'negated'" in checked.stdout
