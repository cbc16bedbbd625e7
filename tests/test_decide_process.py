"""The embedded crawl decides in a process of its own (ingest.decider): the real ``raqib crawl``
over loopback feeds, real SQLite (and the throwaway PostgreSQL), the decide process killed with
SIGKILL mid-cycle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import func, select
from support.crawl import crawl_json, serve_bytes, write_config

from raqib.feedserver import FeedRequestHandler, FeedServer
from storage.db import Database
from storage.models import Article, OutboxEntry, UndecidedMatch, WatchMatch

HOOK = '\n[[alerts]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:9/hook"\nsecret_env = "X_SECRET"\n'
ENV = {"X_SECRET": "s"}
FIXTURE_FEEDS = {
    "English": "rss_en_v2.xml",
    "Atom": "atom_en.xml",
    "Arabic": "ar_utf8.xml",
    "Windows1256": "ar_windows1256.xml",
    "Iso88596": "ar_iso88596.xml",
    "NoGuid": "no_guid_no_date.xml",
    "Malformed": "malformed.xml",
}
EN_TITLES = [
    "North Korean soldiers join Russian assaults in Kursk region, Kyiv says",
    "Ukraine says North Korean troops lost hundreds in a week near Kursk",
    "Seoul: North Korean forces now fighting in Russia's Kursk region",
]
AR_TITLES = [
    "كوريا الشمالية ترسل قوات إضافية إلى روسيا",
    "أوكرانيا: أسر جنود من كوريا الشمالية في كورسك",
    "مقتل وإصابة آلاف الجنود من كوريا الشمالية في معارك كورسك",
]


def rss(prefix: str, titles: list[str], language: str) -> bytes:
    """An RSS feed repeating ``titles`` as other reports (a wire service copying the outlets)."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{prefix}</title>']
    parts.append(f"<language>{language}</language>")
    for n, title in enumerate(titles):
        parts.append(
            f'<item><guid isPermaLink="false">{prefix}-{n}</guid><title>{title}</title>'
            f"<pubDate>Mon, 09 Dec 2024 1{n}:00:00 GMT</pubDate><description>{title}.</description></item>"
        )
    return ("".join(parts) + "</channel></rss>").encode("utf-8")


def decisions(database: Database) -> tuple[list[list[str]], list[tuple[str, str]], list[str]]:
    """What a reader sees: the stories (each as its reports' titles), each report's event, and the
    titles of the alerts queued for the webhook."""
    with database.read_session() as session:
        rows = session.execute(
            select(Article.title, WatchMatch.story_id, WatchMatch.event).join(
                WatchMatch, WatchMatch.article_id == Article.id
            )
        ).all()
        alerts = sorted(row.payload["article"]["title"] for row in session.scalars(select(OutboxEntry)))
    stories: dict[int | None, list[str]] = {}
    for title, story, _ in rows:
        stories.setdefault(story, []).append(title)
    return sorted(sorted(titles) for titles in stories.values()), sorted((t, e) for t, _, e in rows), alerts


def queued(database: Database) -> int:
    with database.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(UndecidedMatch)) or 0)


def serve_fixtures_and_copies(server: FeedServer, folder: Path, database: str | None = None) -> Path:
    server.routes["/wire-en.xml"] = serve_bytes(rss("wire-en", EN_TITLES, "en"))
    server.routes["/wire-ar.xml"] = serve_bytes(rss("wire-ar", AR_TITLES, "ar"))
    feeds = [
        {"name": name, "url": server.url(file), "language": "ar" if file.startswith("ar_") else "en"}
        for name, file in FIXTURE_FEEDS.items()
    ]
    feeds += [
        {"name": "Wire EN", "url": server.url("/wire-en.xml"), "language": "en"},
        {"name": "Wire AR", "url": server.url("/wire-ar.xml"), "language": "ar"},
    ]
    config = write_config(folder, feeds, extra=HOOK)
    if database is not None:
        text = config.read_text(encoding="utf-8").splitlines()
        config.write_text("\n".join([f'database = "{database}"', *text[1:]]) + "\n", encoding="utf-8")
    return config


# What the crawl decided when deciding ran in the crawl's writer thread (main before the decide
# process, same feeds, same watch): the decide process must give the same stories, events and
# alerts.
STORIES_BEFORE = [
    [
        "North Korean soldiers join Russian assaults in Kursk region, Kyiv says",
        "North Korean soldiers join Russian assaults in Kursk region, Kyiv says",
        "North Korean troops reinforce Russian units near Kursk",
    ],
    ["North Korean troops suffer heavy losses in Kursk, Seoul says"],
    [
        "Pyongyang ships artillery shells and drones to Russia, Seoul says",
        "مقتل وإصابة آلاف الجنود من كوريا الشمالية في معارك كورسك",
    ],
    ["Seoul: North Korean forces now fighting in Russia's Kursk region"],
    ["Seoul: North Korean forces now fighting in Russia's Kursk region", "كوريا الشمالية ترسل قوات إضافية إلى روسيا"],
    ["Ukraine says North Korean troops lost hundreds in a week near Kursk"],
    ["Ukraine says North Korean troops lost hundreds in a week near Kursk"],
    ["أوكرانيا: أسر جنود من كوريا الشمالية في كورسك"],
    ["أوكرانيا: أسر جنود من كوريا الشمالية في كورسك"],
    ["اوكرانيا تتهم كوريا الشمالية بارسال مسيرات انتحارية"],
    ["بيونغ يانغ تعزز وجودها بكورسك"],
    ["كوريا الشمالية ترسل قوات إضافية إلى روسيا"],
    ["كُورِيا الشَّمالِيَّة تنشر ١٢٠٠٠ من الجُنُود في روسـيـا"],
    ["مقتل وإصابة آلاف الجنود من كوريا الشمالية في معارك كورسك"],
]
EVENTS_BEFORE = [
    ("North Korean soldiers join Russian assaults in Kursk region, Kyiv says", "new_story"),
    ("North Korean soldiers join Russian assaults in Kursk region, Kyiv says", "update"),
    ("North Korean troops reinforce Russian units near Kursk", "update"),
    ("North Korean troops suffer heavy losses in Kursk, Seoul says", "new_story"),
    ("Pyongyang ships artillery shells and drones to Russia, Seoul says", "development"),
    ("Seoul: North Korean forces now fighting in Russia's Kursk region", "new_story"),
    ("Seoul: North Korean forces now fighting in Russia's Kursk region", "update"),
    ("Ukraine says North Korean troops lost hundreds in a week near Kursk", "new_story"),
    ("Ukraine says North Korean troops lost hundreds in a week near Kursk", "new_story"),
    ("أوكرانيا: أسر جنود من كوريا الشمالية في كورسك", "new_story"),
    ("أوكرانيا: أسر جنود من كوريا الشمالية في كورسك", "new_story"),
    ("اوكرانيا تتهم كوريا الشمالية بارسال مسيرات انتحارية", "new_story"),
    ("بيونغ يانغ تعزز وجودها بكورسك", "new_story"),
    ("كوريا الشمالية ترسل قوات إضافية إلى روسيا", "new_story"),
    ("كوريا الشمالية ترسل قوات إضافية إلى روسيا", "new_story"),
    ("كُورِيا الشَّمالِيَّة تنشر ١٢٠٠٠ من الجُنُود في روسـيـا", "new_story"),
    ("مقتل وإصابة آلاف الجنود من كوريا الشمالية في معارك كورسك", "new_story"),
    ("مقتل وإصابة آلاف الجنود من كوريا الشمالية في معارك كورسك", "new_story"),
]
ALERTS_BEFORE = [
    "North Korean soldiers join Russian assaults in Kursk region, Kyiv says",
    "North Korean troops suffer heavy losses in Kursk, Seoul says",
    "Pyongyang ships artillery shells and drones to Russia, Seoul says",
    "Seoul: North Korean forces now fighting in Russia's Kursk region",
    "Ukraine says North Korean troops lost hundreds in a week near Kursk",
    "Ukraine says North Korean troops lost hundreds in a week near Kursk",
    "أوكرانيا: أسر جنود من كوريا الشمالية في كورسك",
    "أوكرانيا: أسر جنود من كوريا الشمالية في كورسك",
    "اوكرانيا تتهم كوريا الشمالية بارسال مسيرات انتحارية",
    "بيونغ يانغ تعزز وجودها بكورسك",
    "كوريا الشمالية ترسل قوات إضافية إلى روسيا",
    "كوريا الشمالية ترسل قوات إضافية إلى روسيا",
    "كُورِيا الشَّمالِيَّة تنشر ١٢٠٠٠ من الجُنُود في روسـيـا",
    "مقتل وإصابة آلاف الجنود من كوريا الشمالية في معارك كورسك",
    "مقتل وإصابة آلاف الجنود من كوريا الشمالية في معارك كورسك",
]


def test_a_crawl_decides_in_its_own_process_and_gives_the_same_stories_and_alerts(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    config = serve_fixtures_and_copies(feed_server, tmp_path)
    crawl = crawl_json(config, env=ENV)
    assert crawl.returncode == 0, crawl.stderr
    report = crawl.json()
    assert report["decide_error"] is None
    assert report["stages"]["decided"] == len(EVENTS_BEFORE)  # counted by the decide process
    database = Database(f"sqlite:///{tmp_path / 'raqib.db'}")
    assert queued(database) == 0
    assert decisions(database) == (STORIES_BEFORE, sorted(EVENTS_BEFORE), ALERTS_BEFORE)
    human = crawl_json(config, env=ENV)  # all unchanged now: nothing to decide, no decide process
    assert human.returncode == 0 and human.json()["stages"].get("decided", 0) == 0


def test_the_same_on_postgresql(tmp_path: Path, feed_server: FeedServer, fresh_pg_url: str) -> None:
    config = serve_fixtures_and_copies(feed_server, tmp_path, database=fresh_pg_url)
    crawl = crawl_json(config, env=ENV)
    assert crawl.returncode == 0, crawl.stderr
    assert crawl.json()["stages"]["decided"] == len(EVENTS_BEFORE)
    database = Database(fresh_pg_url)
    try:
        assert queued(database) == 0
        assert decisions(database) == (STORIES_BEFORE, sorted(EVENTS_BEFORE), ALERTS_BEFORE)
    finally:
        database.dispose()


def descendants(pid: int) -> list[int]:
    found, waiting = [], [pid]
    while waiting:
        parent = waiting.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as children:
                    pids = [int(child) for child in children.read().split()]
                found += pids
                waiting += pids
        except OSError:
            continue
    return found


def named(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as comm:
            return comm.read().strip()
    except OSError:
        return ""


def test_a_decide_process_killed_mid_cycle_leaves_its_matches_queued_for_the_next_cycle(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    killed = threading.Event()

    def after_the_kill(handler: FeedRequestHandler) -> None:
        killed.wait(60)  # the Arabic wire answers once the decide process is gone
        handler.send_body(200, rss("wire-ar", AR_TITLES, "ar"), "application/rss+xml")

    feed_server.routes["/wire-en.xml"] = serve_bytes(rss("wire-en", EN_TITLES, "en"))
    feed_server.routes["/wire-ar.xml"] = after_the_kill
    feeds = [
        {"name": "Wire EN", "url": feed_server.url("/wire-en.xml"), "language": "en"},
        {"name": "Wire AR", "url": feed_server.url("/wire-ar.xml"), "language": "ar"},
    ]
    config = write_config(tmp_path, feeds, timeout="90s", extra=HOOK)
    crawl = subprocess.Popen(
        [sys.executable, "-m", "raqib", "--config", str(config), "crawl", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **ENV, "RAQIB_DATA": str(tmp_path / "data")},
    )
    try:
        decider = None
        deadline = time.monotonic() + 60
        while decider is None and time.monotonic() < deadline and crawl.poll() is None:
            decider = next((pid for pid in descendants(crawl.pid) if named(pid) == "raqib-decide"), None)
            time.sleep(0.02)
        assert decider is not None, "no decide process started after the English matches were stored"
        os.kill(decider, signal.SIGKILL)
    finally:
        killed.set()
        out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, err
    report = json.loads(out)
    assert "killed by SIGKILL" in report["decide_error"] and "stay queued" in report["decide_error"]
    assert "killed by SIGKILL" in err  # said where `raqib run` logs it
    # Storing went on: both feeds stored and matched in full.
    assert {(f["feed"], f["status"], f["new"], f["matched"]) for f in report["feeds"]} == {
        ("Wire EN", "ok", 3, 3),
        ("Wire AR", "ok", 3, 3),
    }
    database = Database(f"sqlite:///{tmp_path / 'raqib.db'}")
    assert queued(database) >= 3  # the Arabic matches, stored after the kill, at least

    again = crawl_json(config, env=ENV)  # the feeds are unchanged: only the queue is left
    assert again.returncode == 0, again.stderr
    assert again.json()["decide_error"] is None
    assert queued(database) == 0
    _, events, alerts = decisions(database)
    assert sorted(title for title, _ in events) == sorted(EN_TITLES + AR_TITLES)  # each decided once
    # One alert per new story or development, none for the rest: nothing sent twice or lost.
    assert alerts == sorted(title for title, event in events if event in ("new_story", "development"))
    assert len(alerts) >= 3
