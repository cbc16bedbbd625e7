"""The web pages and the JSON API, served for real by uvicorn on loopback.

The database is filled through the real path (sync_feeds, the analyser, save_article with the
story desk and an outbox writer, record_fetch, record_attempt); the checks are what a reader of
the page would check: the story, its Arabic report right to left, what is new, hostile feed text
shown as text, filters and pages that keep their filters.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_stories_seed import ARABIC_FIRST, ENGLISH_WIRE, MORE_TROOPS, RETITLED_COPY, WATCH

from alerts.outbox import OutboxWriter
from alerts.rules import ChannelRules
from config.loader import BUNDLED_DEFAULT, load_config
from ingest.store import save_article
from raqib.compose import story_desk
from storage import feed_repo
from storage.db import Database
from storage.models import OutboxEntry
from storage.outbox import claim_due, record_attempt
from storage.read.alerts import alerts_page, disabled_channels
from storage.read.articles import article_detail, articles_page
from storage.read.events import latest_news
from storage.read.feeds import feed_rows
from storage.read.stories import StoryFilters, reports_per_day, stories_page, story_detail
from storage.types import FetchResult, FetchStatus
from stories.analysis import Analyser
from stories.types import Entry
from web.app import CONTENT_SECURITY_POLICY
from web.server import make_server, serve_in_background

PAGES = ["/", "/stories", "/search", "/search?q=Kursk", "/feeds", "/alerts"]
HOSTILE_FEED = 'Hostile "Feed" <i>x</i>'
KILLED = Entry(
    feed="Wire",
    guid="wire-killed",
    url="https://wire.example/killed",
    title="North Korean death toll in Kursk doubles to 600, Seoul says",
    summary=(
        "About 600 North Korean soldiers have now been killed fighting for Russia in the Kursk region, "
        "South Korea's spy agency said, double its earlier estimate."
    ),
    language_hint="en",
)
HOSTILE = Entry(
    feed=HOSTILE_FEED,
    guid="hostile-1",
    url="javascript:alert(1)",
    title="North Korean troops in Kursk <script>alert(1)</script> {{ 7*7 }}",
    summary=(
        'Pyongyang troops in Russia <img src=x onerror=alert(1)> <a href="javascript:alert(1)">click</a> '
        "{{ 7*7 }} <script>alert(2)</script>"
    ),
    language_hint="en",
)
KILLED_LINE = re.compile(r"killed: ~?300 → ~?600")
BULK_STORIES = 27  # with the two above, more than one page of 25


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str


@dataclass
class Site:
    base: str
    story_id: int  # the seed story: Arabic first, English wire, copy, more troops, killed
    hostile_story_id: int
    arabic_article_id: int
    hostile_article_id: int
    database_path: Path


def _bulk_entry(number: int) -> Entry:
    # Distinct wording, so that no bulk report is a near-duplicate of another.
    filler = " ".join(f"zq{number}k{word}" for word in range(25))
    return Entry(
        feed="Wire",
        guid=f"bulk-{number}",
        url=f"https://wire.example/bulk/{number}",
        title=f"North Korean troops in Russia bulletin {number} {filler[:40]}",
        summary=f"North Korean troops in Russia's Kursk region, bulletin {number}. {filler}",
        language_hint="en",
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _story_of(session: Session, article_id: int) -> int:
    detail = article_detail(session, article_id)
    assert detail is not None and detail.matches[0].story_id is not None
    return detail.matches[0].story_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("web")
    config = load_config(BUNDLED_DEFAULT, data_dir=folder)
    database = Database(f"sqlite:///{folder / 'raqib.db'}")
    database.upgrade()
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    outbox = OutboxWriter(
        [ChannelRules(name="ops-hook", kind="webhook", on=frozenset({"new_story", "development"}))],
        "http://127.0.0.1",
    )
    feeds = ["Al Jazeera Arabic", "Wire", "Daily Copy", HOSTILE_FEED]
    with database.session() as session:
        feed_repo.sync_feeds(
            session, [FeedSpec(name, f"https://feed{i}.example/rss", "auto") for i, name in enumerate(feeds)]
        )

    def save(entry: Entry, when: datetime) -> int:
        with database.session() as session:
            return save_article(
                session, entry.feed, entry, analyser.analyse(entry), desk=desk, outbox=outbox, now=when
            ).article_id

    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    for number in range(BULK_STORIES):  # each outside the 7-day window of the one before: a new story
        save(_bulk_entry(number), base - timedelta(days=8 * (BULK_STORIES - number)))
    ids = [
        save(entry, base + timedelta(hours=hours))
        for hours, entry in [(0, ARABIC_FIRST), (3, ENGLISH_WIRE), (5, RETITLED_COPY), (48, MORE_TROOPS), (90, KILLED)]
    ]
    hostile_id = save(HOSTILE, base + timedelta(days=12))

    with database.session() as session:
        now = datetime.now(UTC)
        feed_repo.record_fetch(
            session,
            FetchResult("Wire", "https://feed1.example/rss", now, now, FetchStatus.OK, 200, entries=5, new=3),
        )
        feed_repo.record_fetch(
            session,
            FetchResult(
                "Daily Copy",
                "https://feed2.example/rss",
                now,
                now,
                FetchStatus.ERROR,
                500,
                error="HTTP 500 <b>oops</b>",
            ),
        )
        outbox_ids = list(session.scalars(select(OutboxEntry.id).order_by(OutboxEntry.id.desc())))
        token = claim_due(session, now, timedelta(minutes=5))[0].token  # a deliverer holds them
        record_attempt(session, outbox_ids[:1], token, now=now, ok=True, seconds=0.12, status_code=200)
        record_attempt(
            session,
            outbox_ids[1:2],
            token,
            now=now,
            ok=False,
            seconds=1.5,
            status_code=500,
            error="HTTP 500",
            retry=now,
        )
        seed_story, hostile_story = (_story_of(session, article_id) for article_id in (ids[0], hostile_id))

    port = _free_port()
    server = make_server(config, database, "127.0.0.1", port, None)
    thread = serve_in_background(server)
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{port}", seed_story, hostile_story, ids[0], hostile_id, folder / "raqib.db")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database.dispose()


@pytest.fixture(scope="module")
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base, timeout=30) as http:
        yield http


def page(client: httpx.Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.text[:500])
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<script" not in html.lower(), f"{path}: a script element"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html, re.IGNORECASE), f"{path}: an event handler attribute"
    assert not re.search(r"<[^>]*\sstyle\s*=", html, re.IGNORECASE), f"{path}: an inline style"
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE), f"{path}: a javascript: link"
    assert "//" not in "".join(re.findall(r'(?:src|href)="(//[^"]*)"', html)), f"{path}: an external asset"
    return html


def ids_in(html: str, prefix: str) -> list[int]:
    return [int(value) for value in re.findall(rf'id="{prefix}-(\d+)"', html)]


def test_every_page_answers_with_the_policy_and_no_script(client: httpx.Client, site: Site) -> None:
    paths = [*PAGES, f"/stories/{site.story_id}", f"/articles/{site.arabic_article_id}"]
    for path in paths:
        html = page(client, path)
        assert '<html lang="en" dir="ltr">' in html
        assert 'href="/static/raqib.css"' in html
    css = client.get("/static/raqib.css")
    assert css.status_code == 200 and "Noto Naskh Arabic" in css.text and "@media" in css.text
    assert "@import" not in css.text and "url(" not in css.text, "no font or asset from elsewhere"


def test_home_shows_watches_with_what_is_new_and_a_chart(client: httpx.Client, site: Site) -> None:
    html = page(client, "/")
    section = html[html.index(f'id="watch-{WATCH}"') :]
    assert 'class="news-item' in section
    assert KILLED_LINE.search(section), "the newest development says what is new"
    assert section.count('class="news-item') <= 5
    chart = html[html.index('id="chart-home"') : html.index("</svg>")]
    assert re.search(r'class="bar bar-ar"[^>]*data-count="1"', chart), "the Arabic report is counted"
    assert 'class="bar bar-en"' in chart


def test_stories_list_newest_first_with_counts(client: httpx.Client, site: Site) -> None:
    html = page(client, "/stories")
    assert 'id="story-count" data-total="29"' in html
    listed = ids_in(html, "story")
    assert len(listed) == 25
    assert listed[:2] == [site.hostile_story_id, site.story_id], "most recently active first"
    seed = html[html.index(f'id="story-{site.story_id}"') :]
    seed = seed[: seed.index("</li>")]
    assert 'class="report-count" data-count="5"' in seed
    assert 'class="outlet-count" data-count="3"' in seed
    assert 'data-language="ar"' in seed and 'data-language="en"' in seed
    assert 'class="latest-development"' in seed and KILLED_LINE.search(seed)
    assert 'dir="rtl" lang="ar"' in seed, "the story's Arabic title is right to left"


def test_stories_filters(client: httpx.Client, site: Site) -> None:
    arabic = page(client, "/stories?watch=&language=ar&category=&from=&to=")
    assert ids_in(arabic, "story") == [site.story_id]
    figure = page(client, f"/stories?watch={WATCH}&category=figure")
    assert ids_in(figure, "story") == [site.story_id]
    assert page(client, "/stories?category=drones").count('class="story-item"') == 0
    assert ids_in(page(client, "/stories?watch=no-such-watch"), "story") == []
    recent = page(client, f"/stories?from={(datetime.now(UTC) - timedelta(days=25)).date().isoformat()}")
    assert ids_in(recent, "story") == [site.hostile_story_id, site.story_id]
    # A bad date is ignored rather than refused.
    assert len(ids_in(page(client, "/stories?from=not-a-date"), "story")) == 25


def test_stories_pagination_keeps_the_filters(client: httpx.Client, site: Site) -> None:
    first = page(client, f"/stories?watch={WATCH}&language=en")
    assert 'id="pager-prev"' not in first
    following = re.search(r'id="pager-next" rel="next" href="([^"]+)"', first)
    assert following is not None
    link = following.group(1).replace("&amp;", "&")
    assert f"watch={WATCH}" in link and "language=en" in link and "page=2" in link
    second = page(client, link)
    assert len(ids_in(second, "story")) == 29 - 25, "every story has an English report"
    assert set(ids_in(first, "story")).isdisjoint(ids_in(second, "story"))
    assert 'id="pager-prev"' in second and 'id="pager-next"' not in second


def test_story_timeline(client: httpx.Client, site: Site) -> None:
    html = page(client, f"/stories/{site.story_id}")
    arabic = html[html.index(f'id="report-{site.arabic_article_id}"') :]
    arabic = arabic[: arabic.index("</li>")]
    assert 'data-event="new_story"' in arabic
    assert re.search(r'<h3 class="report-title" dir="rtl" lang="ar">', arabic), "the Arabic report reads right to left"
    assert '<mark class="term">كورسك</mark>' in arabic, "matched terms are highlighted"
    assert "Al Jazeera Arabic" in arabic
    figure = re.search(
        r'<li class="figure" data-kind="killed">\s*<mark class="figure-change"[^>]*>([^<]*)</mark>', html
    )
    assert figure is not None and KILLED_LINE.search(figure.group(1)), "the casualty figure change is highlighted"
    assert 'data-kind="killed"' in html
    # The re-titled copy is folded under the wire it copies, unfoldable without script.
    copies = re.search(r'<details class="copies" data-copies="\d+">(.*?)</details>', html, re.DOTALL)
    assert copies is not None and re.search(r"also reported by \d+ outlets?", copies.group(1))
    assert "Daily Copy" in copies.group(1)
    assert ids_in(html, "report").count(site.arabic_article_id) == 1
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-story"' in html


def test_article_page(client: httpx.Client, site: Site) -> None:
    html = page(client, f"/articles/{site.arabic_article_id}")
    body = html[html.index('id="article-body"') :]
    assert '<p dir="rtl" lang="ar">' in body
    assert '<mark class="term">كورسك</mark>' in body or '<mark class="term">الروسية</mark>' in body
    link = re.search(r'<a class="link-out" id="article-link" href="([^"]+)" rel="([^"]+)"', html)
    assert link is not None and link.group(1) == "https://aj.example/1"
    assert set(link.group(2).split()) == {"nofollow", "noopener", "noreferrer"}
    assert f'data-watch="{WATCH}"' in html and 'data-event="new_story"' in html


def test_hostile_feed_text_is_shown_as_text(client: httpx.Client, site: Site) -> None:
    paths = [
        "/",
        "/stories",
        f"/stories/{site.hostile_story_id}",
        f"/articles/{site.hostile_article_id}",
        "/feeds",
        "/alerts",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E+%7B%7B+7*7+%7D%7D",
    ]
    for path in paths:
        html = page(client, path)  # no script, no handler, no javascript: link
        assert "<i>x</i>" not in html and "<img" not in html, path
        assert "onerror=" not in html and "alert(2)" not in html, path
    article = page(client, f"/articles/{site.hostile_article_id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in article, "the title is escaped, the braces literal"
    assert 'id="article-link"' not in article, "no link out to a javascript: address"
    body = article[article.index('id="article-body"') :]
    assert "{{ 7*7 }}" in body and "click" in body, "the body keeps its text"
    assert "alert(2)" not in body, "a script element's content is dropped"
    story = page(client, f"/stories/{site.hostile_story_id}")
    assert "{{ 7*7 }}" in story and ">49<" not in story
    assert "Hostile &#34;Feed&#34; &lt;i&gt;x&lt;/i&gt;" in page(client, "/feeds")


def test_feeds_page_shows_health(client: httpx.Client) -> None:
    html = page(client, "/feeds")
    assert 'id="opml-link" href="/feeds.opml"' in html
    assert re.search(r'data-feed="Wire" data-health="ok"', html)
    assert re.search(r'data-feed="Daily Copy" data-health="failing"', html)
    assert re.search(r'data-feed="Al Jazeera Arabic" data-health="new"', html)
    assert "HTTP 500 &lt;b&gt;oops&lt;/b&gt;" in html


def test_alerts_page_shows_deliveries(client: httpx.Client) -> None:
    html = page(client, "/alerts")
    assert 'data-status="sent" data-channel="ops-hook"' in html
    assert 'data-status="pending" data-channel="ops-hook"' in html
    assert 'class="attempt attempt-ok"' in html and 'class="attempt attempt-failed"' in html
    dead = page(client, "/alerts?status=sent&channel=")
    assert 'data-status="pending"' not in dead and 'data-status="sent"' in dead


def test_search_page(client: httpx.Client, site: Site) -> None:
    html = page(client, "/search?q=Kursk&watch=&language=en")
    assert 'id="search-form"' in html and 'value="Kursk"' in html
    hits = re.findall(r'<li class="search-hit" id="hit-(\d+)" data-article-id="\d+" data-language="(\w+)"', html)
    assert hits and {language for _, language in hits} == {"en"}
    arabic = page(client, "/search?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83")  # كورسك
    assert f'id="hit-{site.arabic_article_id}"' in arabic
    hit = arabic[arabic.index(f'id="hit-{site.arabic_article_id}"') :]
    assert '<h2 class="hit-title" dir="rtl" lang="ar">' in hit[: hit.index("</li>")]
    hostile = page(client, "/search?q=script+alert")
    assert f'id="hit-{site.hostile_article_id}"' in hostile
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for path in ["/stories/999999", "/articles/999999"]:
        html = page(client, path, status=404)
        assert 'id="not-found"' in html
    for path in ["/api/stories/999999", "/api/articles/999999"]:
        response = client.get(path)
        assert response.status_code == 404 and response.json()["detail"]


def test_api_shapes(client: httpx.Client, site: Site) -> None:
    stories = client.get("/api/stories", params={"watch": WATCH, "per_page": 2}).json()
    assert stories["total"] == 29 and stories["pages"] == 15 and len(stories["items"]) == 2
    first = stories["items"][1]
    assert first["id"] == site.story_id and first["reports"] == 5 and first["outlets"] == 3
    assert first["languages"] == ["ar", "en"]
    assert KILLED_LINE.fullmatch(first["latest_development"]["what_is_new"])
    assert client.get("/api/stories", params={"language": "ar"}).json()["total"] == 1
    assert client.get("/api/stories", params={"category": "figure"}).json()["total"] == 1

    story = client.get(f"/api/stories/{site.story_id}").json()
    events = [a["event"] for a in story["articles"]]
    assert (
        events[0] == "new_story"
        and events[1] in ("update", "duplicate")
        and events[2:] == ["duplicate", *["development"] * 2]
    )
    assert story["articles"][2]["duplicate_of"] in {a["article_id"] for a in story["articles"][:2]}
    killed = story["articles"][4]["explanation"]
    assert [(f["kind"], f["old"], f["new"]) for f in killed["figures"]] == [("killed", 300, 600)]
    assert KILLED_LINE.fullmatch(killed["figures"][0]["label"])
    assert sum(item["count"] for item in story["per_day"]) == 5

    articles = client.get("/api/articles", params={"language": "ar"}).json()
    assert [item["id"] for item in articles["items"]] == [site.arabic_article_id]
    assert articles["items"][0]["watches"] == {WATCH: "new_story"}
    detail = client.get(f"/api/articles/{site.arabic_article_id}").json()
    assert detail["summary"].startswith("أفادت") and detail["matches"][0]["story_id"] == site.story_id

    feeds = {feed["name"]: feed for feed in client.get("/api/feeds").json()}
    assert feeds["Wire"]["health"] == "ok" and feeds["Daily Copy"]["health"] == "failing"
    alerts = client.get("/api/alerts").json()
    assert alerts["total"] >= 2
    assert {len(item["delivery_attempts"]) for item in alerts["items"]} >= {0, 1}
    found = client.get("/api/search", params={"q": "كورسك", "language": "ar"}).json()
    assert [hit["article_id"] for hit in found["hits"]] == [site.arabic_article_id] and found["total"] == 1
    assert set(found["hits"][0]) == {
        "article_id", "title", "feed", "language", "fetched_at", "snippet", "rank", "found_through",
    }  # fmt: skip
    assert client.get("/api/stories", params={"page": 0}).status_code == 422


def test_openapi_lists_the_api(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    for path in [
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/feeds",
        "/api/alerts",
        "/api/search",
    ]:
        assert path in document["paths"], path
    schema = document["paths"]["/api/stories/{story_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/StoryDetail")
    assert "/stories" not in document["paths"], "the HTML pages stay out of the API document"


def test_browse_queries_on_both_backends(database: Database, tmp_path: Path) -> None:
    """The queries behind the pages are plain SQL that SQLite and PostgreSQL both accept."""
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    with database.session() as session:
        feed_repo.sync_feeds(
            session, [FeedSpec("Wire", "https://0.example", "en"), FeedSpec("AJ", "https://1.ex", "ar")]
        )
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    for hours, entry in enumerate([ARABIC_FIRST, ENGLISH_WIRE, RETITLED_COPY, MORE_TROOPS, KILLED]):
        feed = "AJ" if entry is ARABIC_FIRST else "Wire"
        with database.session() as session:
            when = now + timedelta(hours=hours)
            save_article(session, feed, entry, analyser.analyse(entry), desk=desk, now=when)
    with database.session() as session:
        feed_repo.record_fetch(session, FetchResult("Wire", "https://0.example", now, now, FetchStatus.OK, 200, new=4))
        everything = stories_page(session, StoryFilters(watch=WATCH))
        assert everything.total == 1 and everything.items[0].reports == 5
        assert everything.items[0].languages == ["ar", "en"] and everything.items[0].outlets == 2
        story_id = everything.items[0].id
        for filters in [
            StoryFilters(language="ar"),
            StoryFilters(category="figure", date_from=now.date(), date_to=now.date() + timedelta(days=1)),
        ]:
            assert [s.id for s in stories_page(session, filters).items] == [story_id], filters
        assert stories_page(session, StoryFilters(category="return_to_front")).total == 0
        detail = story_detail(session, story_id)
        assert detail is not None and sum(day.count for day in detail.per_day) == 5
        assert sum(day.count for day in reports_per_day(session, since=now - timedelta(days=1))) == 5
        articles = articles_page(session, watch=WATCH, language="en", since=now)
        assert articles.total == 4
        assert article_detail(session, articles.items[0].id) is not None
        assert len(latest_news(session, [WATCH])[WATCH]) == 3  # the new story and two developments
        feeds = {row.name: row for row in feed_rows(session, datetime.now(UTC))}
        assert feeds["Wire"].new_last_week == 4 and feeds["Wire"].fetches_last_week == 1
        assert feeds["Wire"].last_http_status == 200
        assert alerts_page(session).total == 0 and disabled_channels(session) == {}


def test_the_api_serves_the_read_models_as_they_are(client: httpx.Client, site: Site) -> None:
    """One shape per resource: the JSON API, the pages and the CLI read the same models."""
    database = Database(f"sqlite:///{site.database_path}")
    with database.session() as session:
        story = story_detail(session, site.story_id)
        article = article_detail(session, site.arabic_article_id)
        first_page = stories_page(session, StoryFilters(watch=WATCH), per_page=3)
    database.dispose()
    assert story is not None and article is not None
    assert client.get(f"/api/stories/{site.story_id}").json() == story.model_dump(mode="json")
    assert client.get(f"/api/articles/{site.arabic_article_id}").json() == article.model_dump(mode="json")
    listed = client.get("/api/stories", params={"watch": WATCH, "per_page": 3}).json()
    assert listed == first_page.model_dump(mode="json")
    assert set(listed) == {"total", "page", "per_page", "pages", "items"}
    assert set(listed["items"][0]) == {
        "id", "url", "watch", "title", "language", "first_seen", "last_seen",
        "reports", "outlets", "languages", "latest_development",
    }  # fmt: skip
    report = client.get(f"/api/stories/{site.story_id}").json()["articles"][0]
    assert set(report) == {
        "article_id", "feed", "title", "url", "language", "published_at", "fetched_at",
        "event", "terms", "what_is_new", "duplicate_of", "explanation",
    }  # fmt: skip


def test_search_across_languages_is_marked_and_can_be_switched_off(client: httpx.Client, site: Site) -> None:
    html = page(client, "/search?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83")  # كورسك
    assert 'id="across-languages"' in html and "<bdi>Kursk</bdi>" in html
    english = re.findall(r'<li class="search-hit" id="hit-(\d+)"[^>]*data-language="en"', html)
    assert english, "English reports of Kursk are found by the Arabic name"
    hit = html[html.index(f'id="hit-{english[0]}"') :]
    hit = hit[: hit.index("</li>")]
    assert '<p class="found-through" data-found-through="كورسك → Kursk">' in hit
    assert '<mark class="term">Kursk</mark>' in hit, "the matched word is marked in the snippet"
    arabic = html[html.index(f'id="hit-{site.arabic_article_id}"') :]
    assert 'class="found-through"' not in arabic[: arabic.index("</li>")], "named as written: not marked"

    written = page(client, "/search?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83&cross=0")
    assert 'data-language="en"' not in written and f'id="hit-{site.arabic_article_id}"' in written
    assert 'id="across-languages-off"' in written and 'id="search-cross" checked' in written
    api = client.get("/api/search", params={"q": "كورسك", "cross": "false"}).json()
    assert api["across_languages"] == [] and {hit["language"] for hit in api["hits"]} == {"ar"}
    across = client.get("/api/search", params={"q": "Kursk"}).json()
    assert across["across_languages"] == [{"term": "Kursk", "names": ["كورسك"]}]
    assert {"Kursk → كورسك"} == {label for hit in across["hits"] for label in hit["found_through"]}


def test_search_snippets_mark_words_but_never_feed_markup(client: httpx.Client, site: Site) -> None:
    html = page(client, "/search?q=Pyongyang")
    hit = html[html.index(f'id="hit-{site.hostile_article_id}"') :]
    hit = hit[: hit.index("</li>")]
    assert '<mark class="term">Pyongyang</mark>' in hit
    assert "<img" not in hit and "onerror" not in hit and "<a href" not in hit.split('class="snippet"')[1]
