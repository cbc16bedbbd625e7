"""What reaches the feed parser (fastfeedparser) and what comes back: only bytes, never a URL to
fetch; no entity expanded or fetched; every charset a feed can come in; ids, links and dates as
the feed means them; RSS 0.9x, RSS 1.0 (RDF), Atom 0.3 and 1.0. Real loopback servers count every
request a parse might make."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import fastfeedparser
import pytest
from support.crawl import feed_server, serve_bytes

from ingest.parse import ParsedFeed, parse_feed
from raqib.feedserver import FeedServer

__all__ = ["feed_server"]  # the fixture, imported for pytest

FEED_URL = "https://news.example/ar/feed.xml"
FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
TITLE = "قوات كورية شمالية في كورسك"
SUMMARY = "جنود من كوريا الشمالية يقاتلون في روسيا"


def parse(body: bytes, content_type: str | None = "application/rss+xml") -> ParsedFeed:
    return parse_feed(body, content_type, feed_name="f", base_url=FEED_URL)


def rss(items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>', doctype: str = "") -> str:
    return (
        f'{declaration}{doctype}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>أخبار</title><link>https://news.example/</link>{items}</channel></rss>"
    )


def item(title: str = TITLE, body: str = SUMMARY, extra: str = "") -> str:
    return f"<item><title>{title}</title><description>{body}</description>{extra}</item>"


ARABIC_RSS = rss(item(extra='<link>https://news.example/1</link><guid isPermaLink="false">ar-1</guid>'))


def test_a_feed_body_that_is_a_url_is_parsed_as_text_never_fetched(feed_server: FeedServer) -> None:
    feed_server.routes["/bait.xml"] = serve_bytes(ARABIC_RSS.encode())
    url = feed_server.url("bait.xml")
    # The parser itself fetches a URL given as str: the server sees that request.
    assert [entry["title"] for entry in fastfeedparser.parse(url).entries] == [TITLE]
    assert feed_server.statuses("/bait.xml") == [200]
    for body in (url.encode(), f"  {url}\n".encode(), url.encode("utf-16")):
        parsed = parse(body)
        assert (parsed.entries, parsed.failure) == ([], "not a feed: application/rss+xml")
    assert feed_server.statuses("/bait.xml") == [200], "parse_feed fetched the URL it was given as the body"


def test_external_entities_and_dtds_are_neither_read_nor_fetched(feed_server: FeedServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:raqibsecret")
    feed_server.routes["/secret.txt"] = serve_bytes(b"raqibsecret over http", "text/plain")
    feed_server.routes["/evil.dtd"] = serve_bytes(b'<!ENTITY inner "raqibsecret from the dtd">', "text/plain")
    internal = (
        f'<!DOCTYPE rss [<!ENTITY file SYSTEM "file://{secret}"><!ENTITY web SYSTEM "{feed_server.url("secret.txt")}">'
        f'<!ENTITY % dtd SYSTEM "{feed_server.url("evil.dtd")}"> %dtd;]>'
    )
    external = f'<!DOCTYPE rss SYSTEM "{feed_server.url("evil.dtd")}">'
    for doctype in (internal, external):
        body = rss(item(f"&file; &web; &inner; {TITLE}", f"&web;{SUMMARY}"), doctype=doctype).encode()
        parsed = parse(body)
        assert [entry.title for entry in parsed.entries] == [f"&file; &web; &inner; {TITLE}"]
        assert parsed.entries[0].summary == f"&web;{SUMMARY}"
    assert feed_server.statuses("/secret.txt") == [] and feed_server.statuses("/evil.dtd") == []


def test_billion_laughs_expands_nothing_and_keeps_the_ordinary_item() -> None:
    started = time.monotonic()
    parsed = parse((FIXTURES / "billion_laughs.xml").read_bytes())
    assert time.monotonic() - started < 1
    assert [entry.title for entry in parsed.entries] == [
        "&lol9;",
        "North Korean soldiers captured in Kursk, Ukraine says",
    ]
    assert parsed.problem == "document type declaration with entities removed; undefined entities read as text"


def test_a_deep_document_is_parsed_within_its_bounds() -> None:
    deep = "<div>" * 100_000 + "deep" + "</div>" * 100_000
    body = rss(item() + f"<item><title>Deep</title><description>{deep}</description></item>").encode()
    started = time.monotonic()
    parsed = parse(body)
    assert time.monotonic() - started < 5
    assert parsed.entries[0].title == TITLE
    assert all(len(entry.summary) < 30_000 for entry in parsed.entries)


@pytest.mark.parametrize(
    ("encoding", "content_type", "declaration"),
    [
        ("iso-8859-6", "application/rss+xml; charset=iso-8859-6", '<?xml version="1.0"?>'),
        ("windows-1256", "application/rss+xml", '<?xml version="1.0" encoding="windows-1256"?>'),
        ("windows-1256", "text/xml; charset=windows-1256", '<?xml version="1.0"?>'),
        ("windows-1256", None, '<?xml version="1.0"?>'),  # declared nowhere: guessed
        ("iso-8859-6", None, ""),
        # the HTTP header's charset wins over the declaration (RFC 7303), here a wrong one
        ("utf-8", "application/rss+xml; charset=utf-8", '<?xml version="1.0" encoding="ISO-8859-6"?>'),
        ("utf-8-sig", "application/rss+xml", '<?xml version="1.0" encoding="utf-8"?>'),  # a UTF-8 BOM
        ("utf-16", "application/xml", '<?xml version="1.0" encoding="utf-16"?>'),  # a UTF-16 BOM
        ("utf-16", None, ""),  # a UTF-16 BOM and nothing else
    ],
)
def test_arabic_feeds_in_every_charset_read_as_arabic(
    encoding: str, content_type: str | None, declaration: str
) -> None:
    body = rss(item(), declaration=declaration).encode(encoding)
    parsed = parse(body, content_type)
    assert [(entry.title, entry.summary) for entry in parsed.entries] == [(TITLE, SUMMARY)]
    assert parsed.title == "أخبار"


def test_ids_and_links_as_the_feed_means_them() -> None:
    items = (
        item("لا معرف", extra="<link>/ar/1</link>")  # no guid: none invented from the link
        + item("رابط دائم", extra="<link>https://news.example/2</link><guid>https://news.example/2</guid>")
        + item("معرف نسبي", extra="<guid>ar-3</guid>")  # a permalink guid, relative, and no link
    )
    parsed = parse(rss(items).encode())
    assert [(entry.guid, entry.url) for entry in parsed.entries] == [
        (None, "https://news.example/ar/1"),
        ("https://news.example/2", "https://news.example/2"),
        ("https://news.example/ar/ar-3", "https://news.example/ar/ar-3"),
    ]
    opaque = parse(rss(item(extra='<link>/ar/4</link><guid isPermaLink="false">4</guid>')).encode())
    assert [(entry.guid, entry.url) for entry in opaque.entries] == [("4", "https://news.example/ar/4")]


def test_dates_are_aware_utc_and_a_guid_is_never_read_as_a_date() -> None:
    items = (
        item("أ", extra="<guid>a</guid><pubDate>Tue, 04 Feb 2025 09:00:00 +0300</pubDate>")
        + item("ب", extra='<guid isPermaLink="false">3</guid>')  # "3" reads as the 3rd of this month
        + item("ج", extra='<guid isPermaLink="false">1700000000</guid>')  # reads as a Unix time
        + item("د", extra="<guid>d</guid><pubDate>not a date at all</pubDate>")
        + item("ه", extra='<guid isPermaLink="false">2024</guid><pubDate>2025-02-04T09:00:00Z</pubDate>')
    )
    published = [entry.published for entry in parse(rss(items).encode()).entries]
    assert published == [datetime(2025, 2, 4, 6, tzinfo=UTC), None, None, None, datetime(2025, 2, 4, 9, tzinfo=UTC)]


def test_full_content_is_preferred_to_the_description_and_entities_are_decoded() -> None:
    full = "&lt;p&gt;النص الكامل &amp;amp; التفاصيل عن القوات في كورسك&lt;/p&gt;"
    parsed = parse(rss(item("A &amp;amp; B &#8211; ج", "موجز", f"<content:encoded>{full}</content:encoded>")).encode())
    assert [(entry.title, entry.summary) for entry in parsed.entries] == [
        ("A & B \u2013 ج", "النص الكامل & التفاصيل عن القوات في كورسك")
    ]


def test_markup_inside_elements_is_read_whole() -> None:
    # An Atom title and summary of type xhtml, and an RSS description holding bare HTML tags:
    # the text after the first tag belongs to them too.
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>X</title>'
        '<entry><id>urn:1</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">قوات <b>كورية</b>'
        '</div></title><summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>جنود</p><p>في روسيا</p>'
        "</div></summary><updated>2025-02-04T09:00:00+02:00</updated></entry></feed>"
    )
    (entry,) = parse(atom.encode(), "application/atom+xml").entries
    assert (entry.title, entry.summary) == ("قوات كورية", "جنود\nفي روسيا")
    assert entry.published == datetime(2025, 2, 4, 7, tzinfo=UTC)
    (entry,) = parse(rss(item(body="جنود <b>كوريون</b> في <i>كورسك</i>")).encode()).entries
    assert entry.summary == "جنود كوريون في كورسك"


FORMATS = {
    "RSS 0.91": (
        '<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>Old</title>'
        f"<item><title>{TITLE}</title><link>https://news.example/091</link><description>{SUMMARY}&nbsp;</description>"
        "</item></channel></rss>"
    ),
    "RSS 1.0": (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://news.example/"><title>RDF</title></channel>'
        f'<item rdf:about="https://news.example/10"><title>{TITLE}</title><link>/10</link>'
        f"<description>{SUMMARY}</description><dc:date>2025-02-04T12:00:00+03:00</dc:date></item></rdf:RDF>"
    ),
    "Atom 0.3": (
        '<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>A03</title>'
        f'<entry><title>{TITLE}</title><link rel="alternate" type="text/html" href="/03"/><id>tag:n,2004:1</id>'
        f"<issued>2025-02-04T09:00:00Z</issued><summary>{SUMMARY}</summary></entry></feed>"
    ),
}


@pytest.mark.parametrize("kind", FORMATS)
def test_older_feed_formats_are_read(kind: str) -> None:
    parsed = parse(FORMATS[kind].encode("utf-8"), "application/xml")
    (entry,) = parsed.entries
    assert (entry.title, entry.summary.strip()) == (TITLE, SUMMARY)
    assert entry.url is not None and entry.url.startswith("https://news.example/")
    assert parsed.failure is None and parsed.problem is None
