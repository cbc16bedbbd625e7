"""A corpus of hostile feeds, written for Raqib in the manner of feedparser's illformed and
sanitizer corpora (issue 10, last paragraph), crawled in ONE real `raqib crawl` run against a
loopback server: the crawl ends within its bound, every feed ends `ok` or `error` with a reason, and
nothing a feed wrote reaches a rendered page (HTML pages and Atom feeds of the real web app) as
markup: no script, no `on...=` attribute, no `javascript:` URL, and no event time in the future.

Every payload carries the marker ``raqibxss`` so a leak names itself."""

from __future__ import annotations

import re
import sqlite3
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
from support.crawl import crawl_json, serve_bytes, write_config
from support.web import running_web

from config.loader import load_config
from raqib.feedserver import FeedRequestHandler, FeedServer
from storage.db import Database

TIMEOUT = 3.0
PARSE_BUDGET = 5.0
MATCH = "North Korean troops in Kursk, Russia"  # the watch matches, so stories and pages are made
MARK = "raqibxss"


def rss(items: str, *, head: str = '<?xml version="1.0" encoding="UTF-8"?>', channel: str = "Hostile") -> bytes:
    return (
        f'{head}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{channel}</title><link>http://example.com/</link><description>d</description>{items}"
        "</channel></rss>"
    ).encode()


def item(title: str, link: str, guid: str, description: str = "", extra: str = "", date: str = "") -> str:
    published = date or "Tue, 04 Feb 2025 09:00:00 GMT"
    return (
        f'<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>'
        f"<pubDate>{published}</pubDate><description>{description}</description>{extra}</item>"
    )


SCRIPTED = rss(
    item(
        f"&lt;script&gt;alert('{MARK}')&lt;/script&gt;{MATCH} &lt;img src=x onerror=alert('{MARK}')&gt;",
        "http://example.com/scripted/1",
        "scripted-1",
        f"&lt;p onclick=\"alert('{MARK}')\"&gt;{MATCH} troops&lt;/p&gt;&lt;a href=\"javascript:alert('{MARK}')\"&gt;"
        f"more&lt;/a&gt;&lt;iframe src=\"javascript:alert('{MARK}')\"&gt;&lt;/iframe&gt;",
        f"<content:encoded>&lt;svg onload=alert('{MARK}')&gt;&lt;/svg&gt;&lt;script&gt;alert('{MARK}')&lt;/script&gt;"
        f"&lt;div style=\"background:url(javascript:alert('{MARK}'))\"&gt;{MATCH} forces&lt;/div&gt;</content:encoded>",
    )
    + item(f"{MATCH}: drones", f"javascript:alert('{MARK}')", "scripted-2", f"{MATCH} drones")
)
CDATA = rss(
    item(
        f"<![CDATA[<script>alert('{MARK}')</script>{MATCH} soldiers]]>",
        "http://example.com/cdata/1",
        "cdata-1",
        f"<![CDATA[<scr]]><![CDATA[ipt>alert('{MARK}')</scr]]><![CDATA[ipt>{MATCH} soldiers"
        f"<img src=x onerror=alert('{MARK}')>]]>",
        f"<content:encoded><![CDATA[<a href='JaVaScRiPt:alert(\"{MARK}\")'>x</a>]]&gt;"
        f"<body onload=alert('{MARK}')>{MATCH} troops]]></content:encoded>",
    )
)
ATOM = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atomic</title>'
    "<id>urn:hostile:atom</id><updated>2025-02-04T09:00:00Z</updated>"
    f'<entry><title type="html">&lt;b onmouseover="alert(\'{MARK}\')"&gt;{MATCH}&lt;/b&gt;</title>'
    f"<link href=\"javascript:alert('{MARK}')\"/><id>urn:hostile:atom:1</id><updated>2025-02-04T09:00:00Z</updated>"
    f'<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><script>alert(\'{MARK}\')</script>'
    f"<p onclick=\"alert('{MARK}')\">{MATCH} troops</p></div></summary>"
    f'<content type="html">&lt;object data="javascript:alert(\'{MARK}\')"&gt;&lt;/object&gt;{MATCH}</content>'
    "</entry></feed>"
).encode()
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
    + ']><rss version="2.0"><channel><title>Laughs</title><link>http://example.com/</link><description>d</description>'
    + item(f"&i; {MATCH}", "http://example.com/laughs/1", "laughs-1", "&i;&i;&i;")
    + "</channel></rss>"
).encode()
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">'
    '<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>'
    '<rss version="2.0"><channel><title>XXE</title><link>http://example.com/</link><description>d</description>'
    + item(f"&secret; {MATCH}", "http://example.com/xxe/1", "xxe-1", "&secret;")
    + "</channel></rss>"
).encode()
CRLF = rss(
    item(
        f"{MATCH}&#13;&#10;Set-Cookie: {MARK}=1",
        "http://example.com/crlf/1?a=1&#13;&#10;Location:%20javascript:alert(1)",
        "crlf-1\r\nX-Injected: 1",
        f"{MATCH}\r\n\r\n<script>alert('{MARK}')</script>",
    )
)
FUTURE = rss(
    item(f"{MATCH}, dated 2099", "http://example.com/future/1", "future-1", MATCH, date="Thu, 01 Jan 2099 00:00:00 GMT")
)
REUSED_GUID = rss(
    "".join(
        item(f"{MATCH}, report {n}", f"http://example.com/reused/{n}", "same-guid", f"{MATCH} {n}") for n in range(10)
    )
)
TRACKING = rss(
    item(f"{MATCH}, tracked", "http://example.com/t/1?utm_source=x&amp;utm_medium=rss&amp;fbclid=abc", "track-1", MATCH)
)
ARABIC = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>وكالة</title>'
    "<link>http://example.com/</link><description>أخبار</description>"
    "<item><title>قوات كورية شمالية تنسحب من كورسك في روسيا</title><link>http://example.com/ar/1</link>"
    "<guid>ar-1</guid><description>&lt;script&gt;alert('raqibxss')&lt;/script&gt;جنود كوريا الشمالية في روسيا"
    "</description></item></channel></rss>"
).encode("cp1256")
HTML_PAGE = f"<!DOCTYPE html><html><head><script>alert('{MARK}')</script></head><body>{MATCH}</body></html>".encode()
INVALID = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken<item><title>'
    + MATCH.encode()
    + b" &nbsp; &bogus; <b>unclosed</title><link>http://example.com/bad/1</link><description><script>alert('"
    + MARK.encode()
    + b"')</script></item></chanel>"
)
HUGE = rss(item(MATCH + " " + "\u0642" * 150_000, "http://example.com/huge/1", "huge-1", MATCH))
ARTICLE_PAGE = (
    f"<!DOCTYPE html><html><head><title>Page</title><script>alert('{MARK}')</script></head><body><article>"
    f"<h1 onclick=\"alert('{MARK}')\">{MATCH}</h1>"
    + f"<p>{MATCH}: Seoul says the troops were pulled back after heavy losses. <img src=x onerror=alert('{MARK}')>"
    f"<a href=\"javascript:alert('{MARK}')\">link</a></p>" * 8 + "</article></body></html>"
).encode()


def slow_drip(handler: FeedRequestHandler) -> None:
    """Headers at once, then a byte every half second: each read is quick, the answer never ends."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(40):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass  # the crawler hung up, as it should


class Markup(HTMLParser):
    """Every element and attribute of a page, and the text inside its script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if value and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if value and MARK in value and name in {"href", "src", "data", "style", "action", "formaction"}:
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in {"iframe", "object", "embed"}:
            self.problems.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and MARK in data:
            self.problems.append(f"script running {data[:80]!r}")


def markup_problems(html: str) -> list[str]:
    parser = Markup()
    parser.feed(html)
    parser.close()
    return parser.problems


def atom_problems(document: str) -> list[str]:
    root = ET.fromstring(document)
    problems: list[str] = []
    for element in root.iter():
        kind = element.get("type")
        if kind == "html" and element.text:
            problems += markup_problems(element.text)
        if kind == "xhtml":
            problems += markup_problems(ET.tostring(element, encoding="unicode"))
        href = element.get("href") or ""
        if href.strip().lower().startswith("javascript:"):
            problems.append(f"atom link {href!r}")
    return problems


def test_one_crawl_of_hostile_feeds_ends_answers_every_feed_and_renders_nothing_live(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    host = f"localhost:{feed_server.address.rsplit(':', 1)[1]}"
    corpus = {
        "Scripted": serve_bytes(SCRIPTED),
        "CDATA tricks": serve_bytes(CDATA),
        "Atom markup": serve_bytes(ATOM, "application/atom+xml"),
        "Billion laughs": serve_bytes(LAUGHS),
        "External entities": serve_bytes(EXTERNAL),
        "CR LF": serve_bytes(CRLF),
        "From 2099": serve_bytes(FUTURE),
        "One GUID": serve_bytes(REUSED_GUID),
        "Tracking": serve_bytes(TRACKING),
        "Mislabelled Arabic": serve_bytes(ARABIC, "application/rss+xml; charset=utf-8"),
        "A page": serve_bytes(HTML_PAGE, "text/html"),
        "Empty": serve_bytes(b"", "application/rss+xml"),
        "Invalid XML": serve_bytes(INVALID),
        "Huge title": serve_bytes(HUGE),
        "Slow drip": slow_drip,
        # Loopback is allowed to "localhost" only (private_hosts); 127.0.0.1 is a private address.
        "To private": serve_bytes(
            b"", "text/plain", status=302, headers={"Location": feed_server.url("/scripted.xml")}
        ),
    }
    feeds: list[dict[str, object]] = []
    for number, (name, route) in enumerate(corpus.items()):
        feed_server.routes[f"/f{number}.xml"] = route
        feeds.append({"name": name, "url": f"http://{host}/f{number}.xml"})
    feed_server.routes["/page.html"] = serve_bytes(ARTICLE_PAGE, "text/html; charset=utf-8")
    page = f"http://{host}/page.html"
    feed_server.routes["/dup.xml"] = serve_bytes(
        rss(item(f"{MATCH} one", page, "dup-1", MATCH) + item(f"{MATCH} two", page, "dup-2", MATCH))
    )
    feeds.append({"name": "Duplicate pages", "url": f"http://{host}/dup.xml", "fetch_articles": True})
    config_path = write_config(
        tmp_path,
        feeds,
        allow_private=False,
        timeout=f"{TIMEOUT:.0f}s",
        parse_budget=f"{PARSE_BUDGET:.0f}s",
        max_bytes=400_000,
    )
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace("[network]\n", '[network]\nprivate_hosts = ["localhost"]\n', 1), "utf-8")

    result = crawl_json(config_path)

    assert result.stdout, result.stderr[-3000:]
    # Start-up (imports, the sentence encoder once something matched) is most of the slack.
    assert result.seconds < TIMEOUT + PARSE_BUDGET + 30, f"the crawl took {result.seconds:.1f} s"
    reports = {report["feed"]: report for report in result.json()["feeds"]}
    assert set(reports) == {feed["name"] for feed in feeds}, "every feed is in the report"
    for name, report in reports.items():
        assert report["status"] in {"ok", "error"}, (name, report)
        if report["status"] == "error":
            assert report["error"], f"{name} failed without a reason"
    for name in ("A page", "Slow drip", "To private"):
        assert reports[name]["status"] == "error", reports[name]
    assert reports["Duplicate pages"]["new"] == 2, reports["Duplicate pages"]
    with sqlite3.connect(tmp_path / "raqib.db") as db:
        states = dict(db.execute("SELECT name, last_status FROM feeds").fetchall())
        article_ids = [row[0] for row in db.execute("SELECT id FROM articles")]
        story_ids = [row[0] for row in db.execute("SELECT id FROM stories")]
        texts = [part for row in db.execute("SELECT title, summary, text FROM articles") for part in row if part]
        links = [url for (url,) in db.execute("SELECT url FROM articles WHERE url IS NOT NULL")]
    assert all(state not in (None, "new") for state in states.values()), states
    assert story_ids, "the matching items made stories, so the pages below have feed text to show"
    assert not any("root:" in part for part in texts), "no external entity was read"
    assert all(len(part) < 250_000 for part in texts)
    assert links and all(re.fullmatch(r"https?://[^\s]+", link) for link in links), "links are http(s), one line"

    config = load_config(config_path, data_dir=tmp_path / "data")
    database = Database(f"sqlite:///{tmp_path / 'raqib.db'}")
    problems: dict[str, list[str]] = {}
    shown: list[str] = []  # pages where the feeds' payloads appear (as text)
    try:
        with running_web(config, database) as base, httpx.Client(base_url=base, timeout=30) as web:
            paths = ["/", "/stories", "/search?q=Kursk", "/feeds"]
            paths += [f"/stories/{story}" for story in story_ids]
            paths += [f"/articles/{article}" for article in article_ids]
            for path in paths:
                answer = web.get(path)
                assert answer.status_code == 200, (path, answer.status_code)
                problems[path] = markup_problems(answer.text)
                if MARK in answer.text:
                    shown.append(path)
            for path in ["/feeds/watch/nk-troops-kursk.atom", *(f"/feeds/story/{story}.atom" for story in story_ids)]:
                answer = web.get(path)
                assert answer.status_code == 200, (path, answer.status_code)
                problems[path] = atom_problems(answer.text)
            api = web.get("/api/stories").json()
    finally:
        database.dispose()
    assert {path: found for path, found in problems.items() if found} == {}
    assert api
    assert any(path.startswith("/articles/") for path in shown), "the payloads reached the pages, as text"
    assert any(path.startswith("/stories/") for path in shown), shown
    now = datetime.now(UTC) + timedelta(minutes=5)
    with sqlite3.connect(tmp_path / "raqib.db") as db:
        times = db.execute(
            "SELECT event_at FROM articles UNION ALL SELECT first_seen FROM stories"
            " UNION ALL SELECT last_seen FROM stories"
            " UNION ALL SELECT published_at FROM articles WHERE published_at IS NOT NULL"
        ).fetchall()
    future = [value for (value,) in times if datetime.fromisoformat(value).replace(tzinfo=UTC) > now]
    assert future == [], "no event time, and no publication time shown or sent in alerts, is in the future"
