"""A feed lost for good (issue 10, item 1): with `fetch_articles`, two entries whose links are the
same URL, or redirect to the same URL, must still finish the feed. Every page request ends stored or
failed-with-reason, the feed's health is recorded, and a second crawl does not fetch the pages again.
Real `raqib crawl` against a loopback server."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from support.crawl import FIXTURES, crawl_json, serve_bytes, write_config

from raqib.feedserver import FeedRequestHandler, FeedServer

PAGE = "/articles/nk-withdrawal.html"


def two_entries(first_link: str, second_link: str, tag: str) -> bytes:
    items = "".join(
        f"<item><title>North Korean troops {word} near Kursk, Russia</title><link>{link}</link>"
        f'<guid isPermaLink="false">{tag}-{number}</guid><pubDate>Tue, 04 Feb 2025 0{number}:00:00 GMT</pubDate>'
        f"<description>Seoul says North Korean troops in Russia's Kursk region {word}.</description></item>"
        for number, (word, link) in enumerate((("withdrawn", first_link), ("regrouped", second_link)), start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{tag}</title>'
        f"<link>http://example.com/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def changing(feed_server: FeedServer, path: str, body: bytes) -> None:
    """A feed whose bytes change on every request (a comment), so the second crawl parses it again
    and must recognise its entries rather than skip the whole body by its hash."""

    def route(handler: FeedRequestHandler) -> None:
        count = len(feed_server.statuses(path))
        handler.send_body(200, body.replace(b"</rss>", f"<!-- {count} --></rss>".encode()), "application/rss+xml")

    feed_server.routes[path] = route


def stored_guids(folder: Path, feed: str) -> list[str]:
    with sqlite3.connect(folder / "raqib.db") as db:
        rows = db.execute(
            "SELECT a.guid FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE f.name = ? ORDER BY a.guid", (feed,)
        )
        return [guid for (guid,) in rows]


def health(folder: Path, feed: str) -> tuple[str | None, str | None]:
    with sqlite3.connect(folder / "raqib.db") as db:
        return db.execute("SELECT last_status, last_error FROM feeds WHERE name = ?", (feed,)).fetchone()


def test_entries_linking_one_page_or_redirecting_to_one_page_finish_the_feed(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    page = feed_server.url(PAGE)
    changing(feed_server, "/same.xml", two_entries(page, page, "same"))
    for hop in ("/r/a.html", "/r/b.html"):
        feed_server.routes[hop] = serve_bytes(b"", "text/plain", status=302, headers={"Location": PAGE})
    changing(
        feed_server, "/redirected.xml", two_entries(feed_server.url("/r/a.html"), feed_server.url("/r/b.html"), "hop")
    )
    config = write_config(
        tmp_path,
        [
            {"name": "Same link", "url": feed_server.url("same.xml"), "fetch_articles": True},
            {"name": "Same target", "url": feed_server.url("redirected.xml"), "fetch_articles": True},
        ],
    )

    first = crawl_json(config)

    assert first.returncode == 0, first.stderr[-3000:]
    for name, tag in (("Same link", "same"), ("Same target", "hop")):
        report = first.feed(name)
        assert (report["status"], report["entries"], report["new"], report["matched"]) == ("ok", 2, 2, 2), report
        assert stored_guids(tmp_path, name) == [f"{tag}-1", f"{tag}-2"], "each entry stored exactly once"
        status, _ = health(tmp_path, name)
        assert status == "ok", f"{name}'s health is recorded, not left new"
    assert feed_server.statuses("/r/a.html") == [302] and feed_server.statuses("/r/b.html") == [302]
    # One page fetch for the shared link, one after each redirect: no request was dropped as a duplicate.
    assert feed_server.statuses(PAGE) == [200, 200, 200]
    with sqlite3.connect(tmp_path / "raqib.db") as db:
        texts = [text for (text,) in db.execute("SELECT text FROM articles WHERE text IS NOT NULL AND text != ''")]
    text_of_page = (FIXTURES / "articles" / "nk-withdrawal.html").read_text(encoding="utf-8")
    assert any(text[:40] in text_of_page for text in texts), "the page's text reached an article"

    second = crawl_json(config)

    assert second.returncode == 0, second.stderr[-3000:]
    for name in ("Same link", "Same target"):
        report = second.feed(name)
        assert (report["status"], report["new"], report["seen"]) == ("ok", 0, 2), report
    assert feed_server.statuses(PAGE) == [200, 200, 200], "nothing changed: no page is fetched again"
    assert feed_server.statuses("/r/a.html") == [302] and feed_server.statuses("/r/b.html") == [302]


def test_a_page_that_fails_is_that_entry_s_reason_and_the_feed_still_finishes(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.routes["/gone.html"] = serve_bytes(b"gone", "text/plain", status=410)
    feed_server.routes["/loop.html"] = serve_bytes(b"", "text/plain", status=302, headers={"Location": "/loop.html"})
    changing(
        feed_server, "/failing.xml", two_entries(feed_server.url("/gone.html"), feed_server.url("/loop.html"), "bad")
    )
    config = write_config(
        tmp_path, [{"name": "Bad pages", "url": feed_server.url("failing.xml"), "fetch_articles": True}]
    )

    result = crawl_json(config)

    report = result.feed("Bad pages")
    assert (report["status"], report["new"]) == ("ok", 2), report
    assert "2 article page(s) not used" in report["error"], report
    assert stored_guids(tmp_path, "Bad pages") == ["bad-1", "bad-2"]
    assert health(tmp_path, "Bad pages")[0] == "ok"


# The real spider and Scrapy in a child process (a reactor cannot restart), handed a handler that
# fails on one page: the crawler's contract is that the feed still finishes and that page's answer
# is a failure with its reason. The handler is the crawler's outward door; this one keeps a log.
SPIDER_RUN = r"""
import json, sys
from concurrent.futures import Future
from datetime import timedelta
from config.schema import RaqibConfig
from crawler.items import FeedJob
from crawler.runner import fetch, scrapy_settings

feed_url, pages = sys.argv[1], json.loads(sys.argv[2])
log = []

def done(value=None):
    future = Future()
    future.set_result(value)
    return future

class Handler:
    def feed_fetched(self, fetched):
        log.append(["feed", fetched.http_status])
        return done(pages)

    def page_fetched(self, page):
        log.append(["page", page.url, page.error])
        if page.error is None and page.url.endswith("/boom.html"):
            raise RuntimeError("extractor exploded")
        return done()

    def feed_finished(self, job):
        log.append(["finished", job.name])
        return done()

config = RaqibConfig.model_validate({"database": "sqlite://", "network": {"allow_private": True, "timeout": "3s"}})
job = FeedJob(name="Pages", url=feed_url, language="en", fetch_articles=True, interval=timedelta(minutes=1))
fetch(scrapy_settings(config), [job], Handler())
print(json.dumps(log))
"""


def test_a_handler_failing_on_one_page_still_finishes_the_feed(feed_server: FeedServer) -> None:
    feed_server.routes["/feed.xml"] = serve_bytes(two_entries("x", "y", "boom"))
    for path in ("/boom.html", "/fine.html"):
        feed_server.routes[path] = serve_bytes(b"<html><body><p>text</p></body></html>", "text/html")
    pages = [feed_server.url("/boom.html"), feed_server.url("/fine.html")]

    done = subprocess.run(
        [sys.executable, "-c", SPIDER_RUN, feed_server.url("/feed.xml"), json.dumps(pages)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    log = json.loads(done.stdout.strip().splitlines()[-1])
    answers = [entry for entry in log if entry[0] == "page"]
    assert ["page", pages[1], None] in answers
    failed = [error for _, url, error in answers if url == pages[0] and error]
    assert failed and "extractor exploded" in failed[0], log
    assert log[-1] == ["finished", "Pages"], "the feed finished after its last page"
