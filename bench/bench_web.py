"""Benchmark: the web pages and the JSON API over 100k stored articles, through the real server.

Run: .venv/bin/python bench/bench_web.py [--articles 100000] [--matched 0.15] [--big-story 300]
     [--requests 20] [--keep FOLDER]

Builds a SQLite database (migrated with ``Database.upgrade``) with ``--articles`` articles, then
serves it with ``web.server.make_server`` (uvicorn, in a thread, exactly as ``raqib serve``) and
times warm HTTP requests with httpx from this process: each route gets 3 untimed requests, then
``--requests`` timed ones; p50, p95 and max in ms. The fixed cost of a request (uvicorn, the
middleware, httpx, the loopback) is measured in the same run on trivial routes (the stylesheet and
the OpenAPI document, both cached in the process) and every route is printed as a ratio to it.

The articles are those of ``bench/bench_search.py``'s ``Corpus`` (real Arabic news sentences from
the shared saudinewsnet sample when present, English news sentences, 15 % of the words replaced by
Zipf-distributed generated words; 60 % Arabic), in the feeds of the bundled default config,
fetched over the last 180 days. ``--matched`` of them (default 15 %) are reports on the default
watch, with Kursk and troops in their title: each joins a ``stories`` row (a new story a third of
the time, else one of the 15 most recent; one big story gets an even share of the stream until it
holds ``--big-story`` reports) with a ``watch_matches`` row whose event and explanation look like
the desk's (new_story first; then development with categories and sometimes a casualty figure,
update, or duplicate of an earlier report). The search index (``article_search`` and its FTS5
entries, written by ``storage.search_index.add_rows`` as the store writes them) holds exactly
what ``storage.search_text.index_content`` computes (checked on a sample; built with the
bench_search shortcut that reuses the tokens). Rows go in with bulk
inserts (executemany), ``PRAGMA synchronous=OFF`` for the build only.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from bench_search import ROWS_PER_STATEMENT, Corpus, content_of, percentile  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from config.schema import RaqibConfig  # noqa: E402
from storage import search_index, search_text  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article, Feed, Story, WatchMatch  # noqa: E402
from stories.text import tokenise  # noqa: E402
from web.server import make_server, serve_in_background  # noqa: E402

SEED = 20250204
WATCH = "nk-troops-kursk"
SPAN = timedelta(days=180)
ARTICLES_PER_TRANSACTION = 20_000
OPEN_STORIES = 15
NEW_STORY_SHARE = 1 / 3
# What a matched report's title starts with, so that the watch's terms are in it (then Zipf words).
MATCHED_TITLES = {
    "ar": tokenise("قوات كورية شمالية تقاتل في كورسك الروسية"),
    "en": tokenise("North Korean troops fight in Russia's Kursk region"),
}
TERMS = {"ar": ["كوريا الشمالية", "كورسك", "قوات"], "en": ["North Korea*", "Kursk", "troop*"]}
CATEGORIES = ["deployment", "drones", "casualties", "prisoners", "weapons", "withdrawal"]
BUDGET_MS = 200.0


@dataclass
class Plan:
    """Who is matched, in which story, as which event: decided before any row is written."""

    language: list[str]
    story: dict[int, int]  # article id -> story id
    event: dict[int, str]
    duplicate_of: dict[int, int]
    stories: dict[int, tuple[int, int, str]]  # story id -> (first article, last article, language)
    big_story: int


def plan(rng: random.Random, count: int, matched: float, big_size: int) -> Plan:
    language = ["ar" if rng.random() < 0.6 else "en" for _ in range(count + 1)]
    matched_ids = [article_id for article_id in range(1, count + 1) if rng.random() < matched]
    every = max(1, len(matched_ids) // max(1, big_size))
    story: dict[int, int] = {}
    event: dict[int, str] = {}
    duplicate_of: dict[int, int] = {}
    last_report: dict[int, int] = {}
    stories: dict[int, tuple[int, int, str]] = {}
    recent: list[int] = []
    big = 0
    for position, article_id in enumerate(matched_ids):
        if position % every == 0 and (big == 0 or position // every < big_size):
            if big == 0:
                big = len(stories) + 1
                stories[big] = (article_id, article_id, language[article_id])
                chosen = big
            else:
                chosen = big
        elif not recent or rng.random() < NEW_STORY_SHARE:
            chosen = len(stories) + 1
            stories[chosen] = (article_id, article_id, language[article_id])
            recent = [*recent[-(OPEN_STORIES - 1) :], chosen]
        else:
            chosen = rng.choice(recent)
        first, _, story_language = stories[chosen]
        stories[chosen] = (first, article_id, story_language)
        story[article_id] = chosen
        if first == article_id:
            event[article_id] = "new_story"
        else:
            roll = rng.random()
            event[article_id] = "development" if roll < 0.3 else "update" if roll < 0.7 else "duplicate"
            if event[article_id] == "duplicate":
                duplicate_of[article_id] = last_report[chosen]
        last_report[chosen] = article_id
    return Plan(language, story, event, duplicate_of, stories, big)


def fetched_at(article_id: int, count: int, now: datetime) -> datetime:
    return now - SPAN + SPAN * (article_id / count)


def explanation(rng: random.Random, kind: str, title: str, duplicate_of: int | None) -> dict[str, Any]:
    if kind == "new_story":
        return {"developments": [], "figures": [], "new_facts": [], "reason": "first report of this event", "score": 0}
    if kind == "duplicate":
        return {"reason": "the same report again", "duplicate_of": duplicate_of, "score": 0.95}
    if kind == "update":
        return {"developments": [], "figures": [], "new_facts": [], "reason": "re-report that adds nothing new"}
    category = rng.choice(CATEGORIES)
    figures = []
    if rng.random() < 0.3:
        old = rng.randrange(100, 1000, 50)
        figures = [{"kind": "killed", "old": old, "new": old * 2, "label": f"killed: {old} → {old * 2}"}]
    return {
        "developments": [{"category": category, "evidence": title[:120]}],
        "figures": figures,
        "new_facts": [title[:160]],
        "reason": f"{category}, 1 new sentence(s)",
        "score": 0.5,
    }


def build(database: Database, config: RaqibConfig, count: int, matched: float, big_size: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    corpus = Corpus(rng)
    layout = plan(random.Random(SEED + 1), count, matched, big_size)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    event.listen(database.engine, "connect", _synchronous_off)
    database.engine.dispose()
    feeds: dict[str, list[int]] = {"ar": [], "en": []}
    feed_rows = []
    for feed_id, feed in enumerate(config.feeds, start=1):
        feed_language = feed.language if feed.language in ("ar", "en") else "en"
        feeds[feed_language].append(feed_id)
        feed_rows.append(
            {
                "id": feed_id,
                "name": feed.name,
                "url": str(feed.url),
                "language": feed_language,
                "created_at": now - SPAN,
            }
        )
    with database.engine.begin() as connection:
        connection.execute(insert(Feed), feed_rows)
        connection.execute(
            insert(Story),
            [
                {
                    "id": story_id,
                    "watch": WATCH,
                    "title": "",  # the first report's title, filled in after the articles
                    "language": language,
                    "first_seen": fetched_at(first, count, now),
                    "last_seen": fetched_at(last, count, now),
                    "state": None,
                    "state_token": None,
                }
                for story_id, (first, last, language) in layout.stories.items()
            ],
        )
    checked = 0
    for first in range(1, count + 1, ARTICLES_PER_TRANSACTION):
        articles, rows, matches = [], [], []
        for article_id in range(first, min(count + 1, first + ARTICLES_PER_TRANSACTION)):
            language = layout.language[article_id]
            title, summary, body = corpus.article(language)
            if article_id in layout.story:
                title = MATCHED_TITLES[language] + title[:5]
            when = fetched_at(article_id, count, now)
            joined = (" ".join(title), " ".join(summary), " ".join(body))
            feed_id = feeds[language][article_id % len(feeds[language])]
            articles.append(
                {
                    "id": article_id,
                    "feed_id": feed_id,
                    "identity": f"bench:{article_id}",
                    "guid": f"bench-{article_id}",
                    "url": f"https://feed{feed_id}.example/news/{article_id}",
                    "canonical_url": f"https://feed{feed_id}.example/news/{article_id}",
                    "title": joined[0],
                    "summary": joined[1],
                    "text": joined[2],
                    "language": language,
                    "published_at": when - timedelta(minutes=30),
                    "fetched_at": when,
                    "event_at": when,
                    "updated_at": when,
                    "content_hash": f"h{article_id}",
                    "revisions": 0,
                }
            )
            content = content_of(title, summary, body)
            if checked < 200:  # the shortcut must produce what the application would store
                assert content == search_text.index_content(*joined)
                checked += 1
            rows.append({"article_id": article_id, "language": language, "content": content})
            if article_id in layout.story:
                kind = layout.event[article_id]
                matches.append(
                    {
                        "article_id": article_id,
                        "watch": WATCH,
                        "terms": TERMS[language],
                        "story_id": layout.story[article_id],
                        "event": kind,
                        "explanation": explanation(rng, kind, joined[0], layout.duplicate_of.get(article_id)),
                        "created_at": when,
                    }
                )
        with database.engine.begin() as connection:
            for table, values in ((Article, articles), (WatchMatch, matches)):
                for start in range(0, len(values), ROWS_PER_STATEMENT):
                    connection.execute(insert(table), values[start : start + ROWS_PER_STATEMENT])
            # The search rows and their index entries, as the store writes them.
            search_index.add_rows(connection, [(r["article_id"], r["language"], r["content"]) for r in rows])
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE stories SET title = (SELECT a.title FROM watch_matches m JOIN articles a ON a.id = m.article_id"
                " WHERE m.story_id = stories.id ORDER BY m.article_id LIMIT 1)"
            )
        )
        connection.exec_driver_sql("ANALYZE")
    event.remove(database.engine, "connect", _synchronous_off)
    database.engine.dispose()  # the last connection to close checkpoints the WAL into the file
    os.sync()  # the timed requests should not share the disk with the build's write-back
    sizes = [
        sum(1 for story in layout.story.values() if story == story_id) for story_id in range(1, len(layout.stories) + 1)
    ]
    return {
        "seconds": time.perf_counter() - started,
        "matched": len(layout.story),
        "stories": len(layout.stories),
        "big_story": layout.big_story,
        "big_size": sizes[layout.big_story - 1],
        "median_story": statistics.median(sizes),
    }


def _synchronous_off(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def serve(config: RaqibConfig, database: Database) -> tuple[str, Any, threading.Thread]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = make_server(config, database, "127.0.0.1", port, None)
    thread = serve_in_background(server)
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the web server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


def measure(client: httpx.Client, path: str, requests: int) -> tuple[list[float], int, str]:
    size, found = 0, ""
    for _ in range(3):  # warm: the first request of a route pays for imports and template compiling
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        size = len(response.content)
        total = re.search(r'id="(?:story|search)-count" data-total="(\d+)"', response.text)
        found = f"{int(total.group(1)):,} found" if total else ""
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        response.read()
        times.append((time.perf_counter() - started) * 1e3)
        assert response.status_code == 200, (path, response.status_code)
    return times, size, found


def report(label: str, path: str, measured: tuple[list[float], int, str], baseline: float) -> str:
    times, size, found = measured
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    verdict = "" if baseline <= 0 else ("  ok" if p95 < BUDGET_MS else f"  OVER {BUDGET_MS:.0f} ms")
    ratio = f"{p50 / baseline:7.1f}x" if baseline > 0 else "      -"
    return (
        f"  {label:<28} p50 {p50:7.1f}  p95 {p95:7.1f}  max {max(times):7.1f} ms  {ratio}  "
        f"{size / 1024:6.0f} KiB{verdict:<6}  {path}  {found}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--matched", type=float, default=0.15, help="share of articles matched to the watch")
    parser.add_argument("--big-story", type=int, default=300, help="reports in the biggest story")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per route")
    parser.add_argument("--keep", type=Path, help="keep the database in this folder (and reuse it if there)")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="raqib-bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = load_config(BUNDLED_DEFAULT, data_dir=folder)
    path = folder / "web.db"
    reuse = args.keep is not None and path.exists()
    database = Database(f"sqlite:///{path}")
    try:
        if reuse:
            print(f"== reusing {path}")
        else:
            database.upgrade()
            print(f"== building {args.articles:,} articles ({args.matched:.0%} matched) in {path}")
            built = build(database, config, args.articles, args.matched, args.big_story)
            print(
                f"  built in {built['seconds']:.1f} s: {built['matched']:,} matched reports in {built['stories']:,} "
                f"stories (median {built['median_story']:g} reports; big story #{built['big_story']} with "
                f"{built['big_size']} reports); {path.stat().st_size / 1e6:.0f} MB"
            )
        with database.engine.connect() as connection:
            big_story = connection.execute(
                text("SELECT story_id FROM watch_matches GROUP BY story_id ORDER BY count(*) DESC LIMIT 1")
            ).scalar_one()
            total = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
            stories = connection.execute(text("SELECT count(*) FROM stories")).scalar_one()
        last_page = max(1, -(-stories // 25))
        base, server, thread = serve(config, database)
        routes = [
            ("baseline: stylesheet", "/static/raqib.css"),
            ("baseline: OpenAPI document", "/openapi.json"),
            ("stories page", "/stories"),
            ("stories, watch + Arabic", f"/stories?watch={WATCH}&language=ar"),
            ("stories, last page", f"/stories?page={last_page}"),
            ("story page (big story)", f"/stories/{big_story}"),
            ("search كورسك", "/search?q=كورسك"),
            ("search troops", "/search?q=troops"),
            ("API /api/stories", "/api/stories"),
            ("home", "/"),
            ("feeds", "/feeds"),
        ]
        print(f"== {total:,} articles; warm requests over loopback, {args.requests} timed per route (3 warm-up)")
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                measured = {label: measure(client, route, args.requests) for label, route in routes}
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        baseline = min(percentile(measured[label][0], 0.5) for label, _ in routes[:2])
        print(f"  fixed cost of a request (the faster baseline's p50): {baseline:.2f} ms; ratios are p50 / that")
        for label, route in routes:
            print(report(label, route, measured[label], 0 if label.startswith("baseline") else baseline))
        budgeted = ["stories page", "story page (big story)", "search كورسك"]
        worst = max(percentile(measured[label][0], 0.95) for label in budgeted)
        verdict = "within" if worst < BUDGET_MS else "OVER"
        print(f"  stories page, story page, search: worst p95 {worst:.1f} ms, {verdict} the {BUDGET_MS:.0f} ms budget")
    finally:
        database.dispose()
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
