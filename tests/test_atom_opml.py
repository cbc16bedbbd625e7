"""Atom feeds out and OPML in/out, through the real path: stories stored by save_article, served
by the real uvicorn server on loopback, read back by fastfeedparser (the parser Raqib reads feeds
with) as a feed reader would."""

from __future__ import annotations

import socket
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import fastfeedparser
import httpx
import pytest
from sqlalchemy import select
from test_stories_seed import ARABIC_FIRST, DRONES, ENGLISH_WIRE, MORE_TROOPS, T0, WATCH

from config.loader import BUNDLED_DEFAULT, load_config
from config.schema import FeedConfig, RaqibConfig, WatchConfig, WebSettings
from ingest.store import save_article
from raqib.compose import story_desk
from storage import feed_repo
from storage.db import Database
from storage.models import WatchMatch
from storage.outbox import event_id
from stories.analysis import Analyser
from stories.types import Entry
from web.opml import ImportedFeed, OpmlError, export_opml, import_opml, toml_for
from web.server import make_server, serve_in_background

BASE = "https://raqib.example/news"  # [web] base_url: a proxy in front, with a path
ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
QUIET_WATCH = "quiet-watch"


@dataclass
class Spec:
    name: str
    url: str
    language: str


@dataclass
class Site:
    url: str
    config: RaqibConfig
    database: Database

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)


def _config(tmp_path: Path) -> RaqibConfig:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    quiet = WatchConfig(name=QUIET_WATCH, query="Atlantis")
    return config.model_copy(update={"web": WebSettings(base_url=BASE), "watches": [*config.watches, quiet]})


def _store(database: Database, config: RaqibConfig, feeds: list[Spec], timeline: list[tuple[int, Entry]]) -> None:
    analyser = Analyser(config.watch_queries())
    desk = story_desk(config)
    with database.session() as session:
        feed_repo.sync_feeds(session, feeds)
    for hours, entry in timeline:
        with database.session() as session:
            save_article(
                session, entry.feed, entry, analyser.analyse(entry), desk=desk, now=T0 + timedelta(hours=hours)
            )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def serve() -> Iterator[Any]:
    servers = []

    def start(config: RaqibConfig, database: Database) -> Site:
        port = _free_port()
        server = make_server(config, database, "127.0.0.1", port, None)
        thread = serve_in_background(server)
        servers.append((server, thread))
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the web server did not start"
            time.sleep(0.02)
        return Site(f"http://127.0.0.1:{port}", config, database)

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def seeded(database: Database, tmp_path: Path, serve: Any) -> Site:
    config = _config(tmp_path)
    feeds = [Spec("Al Jazeera Arabic", "https://aj.example/rss", "ar"), Spec("Wire", "https://wire.example/rss", "en")]
    _store(database, config, feeds, [(0, ARABIC_FIRST), (3, ENGLISH_WIRE), (48, MORE_TROOPS), (72, DRONES)])
    site: Site = serve(config, database)
    return site


def _matches(database: Database) -> dict[str, tuple[int, str, int | None]]:
    """article guid -> (match id, event, story id); the matches in the order they were stored."""
    with database.session() as session:
        rows = session.execute(select(WatchMatch.id, WatchMatch.event, WatchMatch.story_id).order_by(WatchMatch.id))
        guids = ["aj-1", "wire-1", "wire-2", "wire-3"]
        return {guid: (row.id, row.event, row.story_id) for guid, row in zip(guids, rows, strict=True)}


def _parse(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # well-formed: a strict XML parser reads it
    assert root.tag == f"{ATOM}feed"
    return fastfeedparser.parse(response.content)


def _links(item: Any) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in item.links}


def _feed_links(response: httpx.Response) -> dict[str, str]:
    """The feed's own links, self among them (fastfeedparser leaves a feed's self link out)."""
    return {
        link.get("rel", ""): link.get("href", "") for link in ET.fromstring(response.content).findall(f"{ATOM}link")
    }


# --- Atom ----------------------------------------------------------------------------------


def test_watch_feed_lists_new_stories_and_developments_newest_first(seeded: Site) -> None:
    matches = _matches(seeded.database)
    first = seeded.get(f"/feeds/watch/{WATCH}.atom")
    parsed = _parse(first)

    assert parsed.feed.id == f"tag:raqib,2025:watch:{WATCH}"
    assert parsed.feed.title == f"Raqib: {WATCH}"
    assert _feed_links(first)["self"] == f"{BASE}/feeds/watch/{WATCH}.atom"
    assert _feed_links(first)["alternate"].startswith(f"{BASE}/")
    assert parsed.feed.updated is not None

    # The English wire re-told the Arabic report: an update or duplicate, not in this feed.
    assert [entry.id for entry in parsed.entries] == [
        f"tag:raqib,2025:event:{event_id(matches[guid][0])}" for guid in ("wire-3", "wire-2", "aj-1")
    ]
    drones, troops, arabic = parsed.entries
    story_id = matches["aj-1"][2]
    assert story_id is not None and {m[2] for m in matches.values()} == {story_id}
    story_url = f"{BASE}/stories/{story_id}"

    assert arabic.title == f"new story: {ARABIC_FIRST.title}", "the Arabic title arrives intact"
    assert drones.title.startswith("development: ") and drones.title.endswith(f" — {DRONES.title}")
    assert troops.title.endswith(f" — {MORE_TROOPS.title}")
    assert _links(drones) == {"alternate": DRONES.url, "related": story_url}
    assert _links(arabic) == {"alternate": ARABIC_FIRST.url, "related": story_url}
    assert drones.author == "Wire" and arabic.author == "Al Jazeera Arabic"
    assert datetime.fromisoformat(drones.updated) > datetime.fromisoformat(troops.updated)
    assert datetime.fromisoformat(troops.updated) > datetime.fromisoformat(arabic.updated)
    assert "drone" in drones.content[0]["value"].lower()
    assert "3,000" in troops.content[0]["value"], "the new figure is said"
    assert {tag["term"] for tag in drones.tags} >= {"development"}

    # What is new is XHTML, in the article's language and direction.
    root = ET.fromstring(first.content)
    entries = root.findall(f"{ATOM}entry")
    assert [entry.get(XML_LANG) for entry in entries] == ["en", "en", "ar"]
    arabic_content = entries[2].find(f"{ATOM}content")
    assert arabic_content is not None and arabic_content.get("type") == "xhtml"
    assert arabic_content.get(XML_LANG) == "ar"
    arabic_div = arabic_content.find(f"{XHTML}div")
    assert arabic_div is not None and arabic_div.get("dir") == "rtl"

    second = _parse(seeded.get(f"/feeds/watch/{WATCH}.atom"))
    assert [e.id for e in second.entries] == [e.id for e in parsed.entries], "ids are stable across fetches"
    assert second.feed.id == parsed.feed.id

    again = seeded.get(f"/feeds/watch/{WATCH}.atom", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304, "a feed reader's conditional request is answered without the body"


def test_story_feed_has_every_event_of_the_story(seeded: Site) -> None:
    matches = _matches(seeded.database)
    story_id = matches["aj-1"][2]
    response = seeded.get(f"/feeds/story/{story_id}.atom")
    parsed = _parse(response)

    assert parsed.feed.id == f"tag:raqib,2025:story:{story_id}"
    assert parsed.feed.title == f"Raqib: {ARABIC_FIRST.title}"
    assert _feed_links(response) == {
        "self": f"{BASE}/feeds/story/{story_id}.atom",
        "alternate": f"{BASE}/stories/{story_id}",
    }
    guids = ["wire-3", "wire-2", "wire-1", "aj-1"]
    assert [entry.id for entry in parsed.entries] == [
        f"tag:raqib,2025:event:{event_id(matches[guid][0])}" for guid in guids
    ]
    events = [entry.title.split(":", 1)[0] for entry in parsed.entries]
    assert events[0] == events[1] == "development" and events[3] == "new story"
    assert events[2] in ("update", "duplicate")
    assert _links(parsed.entries[2])["alternate"] == ENGLISH_WIRE.url

    watch_feed = _parse(seeded.get(f"/feeds/watch/{WATCH}.atom"))
    shared = {e.id for e in watch_feed.entries} & {e.id for e in parsed.entries}
    assert len(shared) == 3, "an event has one id in every feed it appears in"


def test_unknown_watch_and_story_are_404(seeded: Site) -> None:
    assert seeded.get("/feeds/watch/no-such-watch.atom").status_code == 404
    assert seeded.get("/feeds/story/999999.atom").status_code == 404
    assert seeded.get("/feeds/story/not-a-number.atom").status_code == 404
    quiet = _parse(seeded.get(f"/feeds/watch/{QUIET_WATCH}.atom"))
    assert quiet.entries == [], "a configured watch with nothing yet is an empty feed, not a 404"


HOSTILE_TITLE = "<script>alert(1)</script> ]]> & \x07 North Korean troops in Russia's Kursk"
HOSTILE_FEED = 'Wire <b>&amp;</b> "quoted" ]]>'


def test_hostile_text_is_escaped_and_never_breaks_the_feed(database: Database, tmp_path: Path, serve: Any) -> None:
    config = _config(tmp_path)
    hostile = replace(
        MORE_TROOPS,
        feed=HOSTILE_FEED,
        guid="hostile-1",
        url="javascript:alert(1)",
        title=HOSTILE_TITLE,
        summary=MORE_TROOPS.summary + " <img src=x onerror=alert(1)> ]]> &amp; \x1b\x0b end.",
    )
    _store(database, config, [Spec(HOSTILE_FEED, "https://hostile.example/rss", "en")], [(0, hostile)])
    site: Site = serve(config, database)

    response = site.get(f"/feeds/watch/{WATCH}.atom")
    parsed = _parse(response)
    raw = response.content
    assert b"<script" not in raw and b"<img" not in raw and b"<b>" not in raw
    assert b"&lt;script&gt;" in raw and b"]]&gt;" in raw
    assert b"javascript:" not in raw, "a javascript: link is never made"
    assert b"\x07" not in raw and b"\x1b" not in raw and b"\x0b" not in raw

    (entry,) = parsed.entries
    assert entry.title == "new story: <script>alert(1)</script> ]]> & North Korean troops in Russia's Kursk"
    assert entry.author == HOSTILE_FEED
    links = _links(entry)
    assert links["alternate"].startswith(f"{BASE}/stories/"), "without a safe article link, the story page"
    assert all(link.startswith("https://") for link in links.values())

    story_id = links["alternate"].rsplit("/", 1)[1]
    story = _parse(site.get(f"/feeds/story/{story_id}.atom"))
    assert story.feed.title == "Raqib: <script>alert(1)</script> ]]> & North Korean troops in Russia's Kursk"


# --- OPML ----------------------------------------------------------------------------------


def test_bundled_feeds_round_trip_through_opml(tmp_path: Path) -> None:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    data = export_opml(config.feeds, title="Raqib feeds")
    root = ET.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = root.findall("body/outline")
    assert len(outlines) == len(config.feeds)
    assert all(o.get("type") == "rss" and o.get("text") and o.get("xmlUrl") for o in outlines)

    result = import_opml(data)
    assert result.skipped == []
    assert [(f.name, f.url, f.language) for f in result.feeds] == [(f.name, f.url, f.language) for f in config.feeds]

    again = import_opml(data, existing=config.feeds)
    assert again.feeds == [] and len(again.skipped) == len(config.feeds), "already configured: all duplicates"
    assert all("duplicate" in line for line in again.skipped)


def test_arabic_names_and_toml_escaping() -> None:
    feeds = [
        FeedConfig(name="الجزيرة نت", url="https://aj.example/rss?a=1&b=2", language="ar"),
        FeedConfig(name='The "Quoted" \\ Wire', url="https://wire.example/feed", language="auto"),
    ]
    data = export_opml(feeds, title="رقيب")
    assert "الجزيرة نت".encode() in data, "Arabic stays Arabic, not character references"
    imported = import_opml(data).feeds
    assert imported == [ImportedFeed(f.name, f.url, f.language) for f in feeds]

    text = toml_for(imported)
    assert text.count("[[feeds]]") == 2
    parsed = tomllib.loads(text)["feeds"]
    assert [FeedConfig.model_validate(item) for item in parsed] == feeds


NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>From another reader</title></head>
  <body>
    <outline text="World">
      <outline text="Arabic">
        <outline text="بي بي سي عربي" type="rss" xmlUrl="https://feeds.bbci.co.uk/arabic/rss.xml" language="ar-SA"/>
        <outline text="Sky" TYPE="rss" XMLURL="https://sky.example/rss"/>
      </outline>
      <outline title="Reuters" type="rss" xmlUrl="https://reuters.example/world" language="en-us"/>
    </outline>
    <outline text="A bookmark, not a feed" type="link" url="https://example.org/"/>
    <outline text="Local file" type="rss" xmlUrl="file:///etc/passwd"/>
    <outline text="Script" type="rss" xmlUrl="javascript:alert(1)"/>
    <outline text="Reuters again" type="rss" xmlUrl="HTTPS://REUTERS.example/world"/>
    <outline text="Reuters" type="rss" xmlUrl="https://reuters.example/business"/>
  </body>
</opml>
"""


def test_nested_folders_are_flattened_and_skips_say_why() -> None:
    result = import_opml(NESTED.encode())
    assert result.feeds == [
        ImportedFeed("بي بي سي عربي", "https://feeds.bbci.co.uk/arabic/rss.xml", "ar"),
        ImportedFeed("Sky", "https://sky.example/rss", "auto"),
        ImportedFeed("Reuters", "https://reuters.example/world", "en"),
        ImportedFeed("Reuters (2)", "https://reuters.example/business", "auto"),
    ]
    assert len(result.skipped) == 4, result.skipped
    bookmark, local, script, again = result.skipped
    assert "A bookmark" in bookmark and "no xmlUrl" in bookmark
    assert "Local file" in local and "http(s)" in local
    assert "Script" in script and "http(s)" in script
    assert "Reuters again" in again and "duplicate" in again
    assert not any("World" in line or "'Arabic'" in line for line in result.skipped), "folders are not skipped"


@pytest.fixture
def opened_paths() -> Iterator[list[str]]:
    """Every path Python opens while the test runs (an audit hook cannot be removed: it goes idle)."""
    seen: list[str] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if active[0] and event == "open" and args and isinstance(args[0], str | bytes | Path):
            seen.append(str(args[0]))

    sys.addaudithook(hook)
    yield seen
    active[0] = False


def test_entity_and_doctype_attacks_are_refused_without_reading_a_file(tmp_path: Path, opened_paths: list[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    opened_paths.clear()
    attacks = [
        # external entity (XXE): would read a local file into the feed name
        f"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>
        <opml version="2.0"><body><outline text="&xxe;" type="rss" xmlUrl="https://x.example/"/></body></opml>""",
        # billion laughs: entity expansion
        """<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">
        <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
        <opml version="2.0"><body><outline text="&d;" type="rss" xmlUrl="https://x.example/"/></body></opml>""",
        # an external DTD, fetched by parsers that load DTDs
        f"""<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file://{secret}">
        <opml version="2.0"><body><outline text="x" type="rss" xmlUrl="https://x.example/"/></body></opml>""",
    ]
    for attack in attacks:
        with pytest.raises(OpmlError, match="DOCTYPE") as refused:
            import_opml(attack.encode())
        assert "TOP-SECRET" not in str(refused.value)
    # no DOCTYPE but an entity reference: undefined, it stays the literal text it is
    (literal,) = import_opml(b'<opml><body><outline text="&xxe;" xmlUrl="https://x.example/"/></body></opml>').feeds
    assert literal.name == "&xxe;"
    assert str(secret) not in opened_paths

    with pytest.raises(OpmlError, match="not an OPML document"):
        import_opml(b"<rss><channel/></rss>")
    with pytest.raises(OpmlError, match="not an OPML document"):
        import_opml(b"")
    with pytest.raises(OpmlError, match="DOCTYPE"):
        import_opml(attacks[0].encode("utf-16"))


def test_the_opml_route_offers_the_configured_feeds(tmp_path: Path, serve: Any) -> None:
    config = _config(tmp_path)
    database = Database(f"sqlite:///{tmp_path / 'raqib.db'}")
    database.upgrade()
    try:
        site: Site = serve(config, database)
        response = site.get("/feeds.opml")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/x-opml; charset=utf-8"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert 'filename="raqib-feeds.opml"' in response.headers["content-disposition"]
        assert response.headers["x-content-type-options"] == "nosniff"
        names = [feed.name for feed in import_opml(response.content).feeds]
        assert names == [feed.name for feed in config.feeds]
    finally:
        database.dispose()


# OPML as other readers write it (written for these tests, in the shapes those readers export).
FEEDLY_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions in Feedly</title></head>
  <body>
    <outline text="Middle East" title="Middle East">
      <outline type="rss" text="الجزيرة نت" title="الجزيرة نت" xmlUrl="https://aj.example/rss" htmlUrl="https://aj.example/"/>
      <outline type="rss" text="Wire" title="Wire" xmlUrl="https://wire.example/feed" htmlUrl="https://wire.example/"/>
    </outline>
  </body>
</opml>
"""
# Hand-edited or written by an old reader: no version, upper-case names, an unescaped "&" in an
# address (not well-formed XML), an outline with only a web page, and a linked list.
SLOPPY = """<opml><BODY>
<OUTLINE TEXT="Reuters" XMLURL="https://reuters.example/rss?edition=ar&format=xml" LANGUAGE="ar"/>
<outline text="A blog" htmlUrl="https://blog.example/"/>
<outline text="More feeds" type="include" url="https://lists.example/more.opml"/>
</BODY></opml>
"""


def test_opml_variants_from_other_readers_are_read() -> None:
    feedly = import_opml(FEEDLY_STYLE.encode())
    assert [(feed.name, feed.url) for feed in feedly.feeds] == [
        ("الجزيرة نت", "https://aj.example/rss"),
        ("Wire", "https://wire.example/feed"),
    ]
    assert feedly.skipped == [], "the folder is not a skipped feed"

    sloppy = import_opml(SLOPPY.encode())
    assert sloppy.feeds == [ImportedFeed("Reuters", "https://reuters.example/rss?edition=ar&format=xml", "ar")]
    blog, included = sloppy.skipped
    assert "A blog" in blog and "no xmlUrl" in blog and "web page" in blog
    assert "More feeds" in included and "include" in included

    # An Arabic reader's export in windows-1256, as its XML declaration says.
    arabic = FEEDLY_STYLE.replace("UTF-8", "windows-1256").encode("cp1256")
    assert [feed.name for feed in import_opml(arabic).feeds] == ["الجزيرة نت", "Wire"]
    utf16 = FEEDLY_STYLE.replace("UTF-8", "UTF-16").encode("utf-16")
    assert [feed.name for feed in import_opml(utf16).feeds] == ["الجزيرة نت", "Wire"]


def test_imported_feeds_append_to_a_config_that_has_feeds(tmp_path: Path) -> None:
    config = BUNDLED_DEFAULT.read_text(encoding="utf-8")
    imported = import_opml(FEEDLY_STYLE.encode(), existing=load_config(BUNDLED_DEFAULT, data_dir=tmp_path).feeds)
    appended = config + "\n" + toml_for(imported.feeds)
    feeds = tomllib.loads(appended)["feeds"]
    assert [feed["name"] for feed in feeds[-2:]] == ["الجزيرة نت", "Wire"]
    path = tmp_path / "raqib.toml"
    path.write_text(appended, encoding="utf-8")
    assert [feed.name for feed in load_config(path, data_dir=tmp_path).feeds][-2:] == ["الجزيرة نت", "Wire"]
