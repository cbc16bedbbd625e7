"""Answers that used to look healthy: a windows-1256 feed declaring UTF-8 (read as Arabic, and the
feed's record says what was done) and an HTML page served where the feed was (an error, counted
toward dead). Real `raqib crawl` against a loopback server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.crawl import crawl_json, serve_bytes, write_config

from ingest.encoding import decode_feed
from raqib.feedserver import FeedServer

ARABIC_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>وكالة الأنباء</title>'
    "<link>https://news.example.com/</link><description>أخبار</description>"
    "<item><title>قوات كورية شمالية تنسحب من كورسك</title>"
    "<link>https://news.example.com/1</link><guid>ar-1</guid>"
    "<description>قالت وزارة الدفاع الأوكرانية إن القوات الكورية الشمالية انسحبت من خطوط المواجهة"
    " في منطقة كورسك بعد خسائر كبيرة في صفوف الجنود.</description></item>"
    "</channel></rss>"
)


def stored_titles(config_dir: Path) -> list[str]:
    with sqlite3.connect(config_dir / "raqib.db") as db:
        return [title for (title,) in db.execute("SELECT title FROM articles")]


def test_a_windows_1256_feed_declaring_utf8_is_read_as_arabic_and_the_feed_says_so(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    body = ARABIC_FEED.encode("cp1256")
    feed_server.routes["/mislabelled.xml"] = serve_bytes(body, "application/rss+xml; charset=utf-8")
    config = write_config(tmp_path, [{"name": "Mislabelled", "url": feed_server.url("mislabelled.xml")}])

    report = crawl_json(config).feed("Mislabelled")

    assert report["status"] == "ok" and report["new"] == 1, report
    assert report["matched"] == 1, "the Arabic text matches the watch once it is read as Arabic"
    assert "declared charset utf-8 does not decode the feed; decoded as cp1256" in report["error"]
    assert stored_titles(tmp_path) == ["قوات كورية شمالية تنسحب من كورسك"]
    with sqlite3.connect(tmp_path / "raqib.db") as db:
        (last_error,) = db.execute("SELECT last_error FROM feeds WHERE name = 'Mislabelled'").fetchone()
    assert "decoded as cp1256" in last_error


def test_a_correctly_declared_feed_is_left_as_it_is() -> None:
    body = ARABIC_FEED.encode("utf-8")
    prepared = decode_feed(body, "application/rss+xml; charset=utf-8")
    assert prepared.body is body and prepared.note is None and not prepared.detected


def test_an_html_page_served_as_the_feed_is_an_error_counted_toward_dead(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    page = b"<!DOCTYPE html><html><head><title>Site redesigned</title></head><body><p>Welcome</p></body></html>"
    feed_server.routes["/moved.xml"] = serve_bytes(page, "text/html; charset=utf-8")
    feed_server.routes["/lying.xml"] = serve_bytes(page, "application/rss+xml")
    config = write_config(
        tmp_path,
        [
            {"name": "Now a page", "url": feed_server.url("moved.xml")},
            {"name": "Page called a feed", "url": feed_server.url("lying.xml")},
        ],
    )

    for attempt in (1, 2):
        result = crawl_json(config)
        assert result.returncode == 1, "a crawl with a failed feed exits 1"
        for name in ("Now a page", "Page called a feed"):
            report = result.feed(name)
            assert (report["status"], report["error"], report["entries"]) == ("error", "not a feed: text/html", 0)
            with sqlite3.connect(tmp_path / "raqib.db") as db:
                last_error, failures = db.execute(
                    "SELECT last_error, consecutive_failures FROM feeds WHERE name = ?", (name,)
                ).fetchone()
            assert (last_error, failures) == ("not a feed: text/html", attempt)
    assert stored_titles(tmp_path) == []


def test_an_empty_but_valid_feed_is_still_ok(tmp_path: Path, feed_server: FeedServer) -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    feed_server.routes["/empty.xml"] = serve_bytes(empty)
    config = write_config(tmp_path, [{"name": "Quiet", "url": feed_server.url("empty.xml")}])
    report = crawl_json(config).feed("Quiet")
    assert (report["status"], report["entries"]) == ("ok", 0), report
