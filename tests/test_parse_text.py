"""Feed HTML becomes plain text in ``ingest.parse``: what a reader sees of a title or a summary,
and the article link resolved against the feed's address."""

from __future__ import annotations

import pickle

import pytest

from ingest import tasks
from ingest.parse import parse_feed
from stories.types import Entry

FEED_URL = "https://news.example/ar/feed.xml"


def rss_item(title: str, description: str, link: str = "/ar/news/1", extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>أخبار</title>'
        f"<item><title>{title}</title><link>{link}</link><guid>g-1</guid>"
        f"<description>{description}</description>{extra}</item></channel></rss>"
    ).encode()


def only_entry(body: bytes) -> Entry:
    parsed = parse_feed(body, "application/rss+xml", feed_name="f", base_url=FEED_URL)
    assert len(parsed.entries) == 1
    return parsed.entries[0]


def test_script_and_style_contents_are_dropped_and_tags_stripped_from_arabic_text() -> None:
    entry = only_entry(
        rss_item(
            "&lt;script&gt;alert(1)&lt;/script&gt;قوات &lt;b&gt;كورية&lt;/b&gt; في كورسك",
            "&lt;style&gt;p{color:red}&lt;/style&gt;&lt;p onclick=&quot;x()&quot;&gt;جنود&lt;/p&gt;"
            "&lt;p&gt;في روسيا&lt;/p&gt;&lt;img src=x onerror=alert(1)&gt;",
        )
    )
    assert entry.title == "قوات كورية في كورسك"
    assert entry.summary == "جنود\nفي روسيا"


def test_a_less_than_sign_in_text_is_text_not_the_start_of_a_tag() -> None:
    entry = only_entry(
        rss_item("Rates: 5 &amp;lt; 6 and 7 &amp;gt; 3", "If a &lt; b and c &gt; d, then &amp;amp; stays")
    )
    assert entry.title == "Rates: 5 < 6 and 7 > 3"
    assert entry.summary == "If a < b and c > d, then & stays"


def test_relative_article_link_resolves_against_the_feed_address() -> None:
    entry = only_entry(rss_item("عنوان", "نص", link="/ar/news/1?id=7"))
    assert entry.url == "https://news.example/ar/news/1?id=7"


def test_a_javascript_link_is_dropped() -> None:
    assert only_entry(rss_item("عنوان", "نص", link="javascript:alert(1)")).url is None


def test_the_longer_text_of_summary_and_full_content_is_kept_whatever_its_markup() -> None:
    # The description is long in markup and short in text; content:encoded is the full article.
    markup = "&lt;span class=&quot;a-very-long-class-name-for-styling&quot;&gt;موجز&lt;/span&gt;" * 3
    full = "النص الكامل للخبر عن انتشار القوات في كورسك"
    entry = only_entry(rss_item("عنوان", markup, extra=f"<content:encoded>&lt;p&gt;{full}&lt;/p&gt;</content:encoded>"))
    assert entry.summary == full


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("https://news.example/ar/news/1?id=5&amp;p=2", "https://news.example/ar/news/1?id=5&p=2"),
        ("http://other.example:8080/a/./b/../c", "http://other.example:8080/a/./b/../c"),
        ("HTTP://News.Example/x", "HTTP://News.Example/x"),
        ("https://news.example/%D8%AE%D8%A8%D8%B1", "https://news.example/%D8%AE%D8%A8%D8%B1"),
        ("https://news.example/خبر", "https://news.example/خبر"),
        ("/ar/news/../2", "https://news.example/ar/2"),
        ("news/3", "https://news.example/ar/news/3"),
        ("?id=4", "https://news.example/ar/feed.xml?id=4"),
        ("//cdn.example/5", "https://cdn.example/5"),
        ("https://news.example/a\r\nSet-Cookie: x=1", "https://news.example/aSet-Cookie: x=1"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
    ],
)
def test_every_kind_of_link_is_resolved_against_the_feed_address_and_only_web_links_kept(
    link: str, url: str | None
) -> None:
    # ``link`` is written into the XML as it is: "&amp;" is the feed's escaped ampersand.
    entry = only_entry(rss_item("خبر", "ملخص", link=link.replace("<", "&lt;")))
    assert entry.url == url


def test_windows_1252_code_points_still_become_their_characters_beside_arabic_text() -> None:
    # Feeds written in Windows-1252 and declared Latin-1 carry its quotes and dashes as the code
    # points 0x80-0x9F; read as the characters meant, as browsers read them.
    entry = only_entry(rss_item("قوات &#147;كورية&#148; &#150; كورسك", "&#128;5 ملخص"))
    assert (entry.title, entry.summary) == ("قوات \u201cكورية\u201d \u2013 كورسك", "\u20ac5 ملخص")


def test_a_parsed_arabic_feed_reaches_the_crawl_process_unchanged() -> None:
    # A parse process pickles its answer for the crawl process: every field of every item, the
    # readied match included, must come out as it went in.
    tasks.init_worker({"kursk": "كورسك"})
    parsed = tasks.parse_task("f", "auto", rss_item("قوات كورية في كورسك", "جنود في روسيا"), None, FEED_URL)
    received = pickle.loads(pickle.dumps(parsed))
    assert received == parsed
    item = received.items[0]
    assert item.entry.title == "قوات كورية في كورسك"
    assert item.analysis.hits and item.analysis.hits[0].watch == "kursk"
    assert item.prepared is not None and item.search_content
