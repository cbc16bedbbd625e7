"""Identity end to end, as `raqib crawl` stores it: items reusing one GUID are not folded into one,
a revised item is one article updated, links whose tracking parameters change every fetch add
nothing, and a database written before migration 0007 is not stored twice after the upgrade."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from support.crawl import FIXTURES, crawl_json, write_config

from raqib.feedserver import FeedRequestHandler, FeedServer
from storage.db import Database


def rss(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        "<link>https://wire.example.com/</link><description>d</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def item(title: str, link: str | None, guid: str | None, description: str = "") -> str:
    parts = [f"<title>{title}</title>", f"<description>{description or title}</description>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    return "<item>" + "".join(parts) + "</item>"


def rows(config_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(config_dir / "raqib.db") as db:
        return list(db.execute("SELECT title, identity FROM articles ORDER BY id"))


def test_items_sharing_one_guid_are_separate_articles_and_a_revision_updates_one(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    first = [item(f"خبر رقم {n} عن كورسك", f"https://wire.example.com/news/{n}", "reused-guid") for n in range(10)]
    revised = list(first)
    revised[3] = item(
        "خبر رقم 3 عن كورسك (محدث)", "https://wire.example.com/news/3", "reused-guid", "نص جديد بعد التصحيح"
    )
    bodies = iter([rss(first), rss(revised)])

    def route(handler: FeedRequestHandler) -> None:
        handler.send_body(200, next(bodies), "application/rss+xml")

    feed_server.routes["/reused.xml"] = route
    config = write_config(tmp_path, [{"name": "Reused GUIDs", "url": feed_server.url("reused.xml")}])

    one = crawl_json(config).feed("Reused GUIDs")
    assert (one["entries"], one["new"], one["updated"]) == (10, 10, 0)
    two = crawl_json(config).feed("Reused GUIDs")
    assert (two["new"], two["updated"]) == (0, 1)
    stored = rows(tmp_path)
    assert len(stored) == 10
    assert "خبر رقم 3 عن كورسك (محدث)" in [title for title, _ in stored]


def test_links_whose_tracking_parameters_change_every_fetch_add_no_rows(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    fetches = itertools.count(1733491200)

    def route(handler: FeedRequestHandler) -> None:
        stamp = next(fetches)
        items = [
            item(
                f"Story {n} from Kursk",
                f"https://wire.example.com/news/{n}?v={stamp}&amp;utm_source=rss{stamp}&amp;fbclid=x{stamp}&amp;_={stamp}",
                None,
            )
            for n in range(5)
        ]
        handler.send_body(200, rss(items), "application/rss+xml")

    feed_server.routes["/tracked.xml"] = route
    config = write_config(tmp_path, [{"name": "Tracked", "url": feed_server.url("tracked.xml")}])
    assert crawl_json(config).feed("Tracked")["new"] == 5
    for _ in range(2):
        again = crawl_json(config).feed("Tracked")
        assert again["new"] == 0, again
    assert len(rows(tmp_path)) == 5


# Identities as releases before migration 0007 stored them for the fixture feeds (GUID alone,
# the hand-written canonical form), by GUID.
IDENTITIES_BEFORE_0007 = {
    "utf8-2024-1105-01": "g:deca7032fc3efbc4a1fc3536e12a4238f90ff3344c872f1b3a70f2271b95ff34",
    "utf8-2024-1218-03": "g:63175c62c954f01e25c53df49b58db14b030abb9d6a8eb86d3fcb490b69c6499",
    "utf8-2025-0224-02": "g:a915dddfba63aa86219487245832c33eb3bcf1208209253cecfda112d64cc04d",
    "utf8-2025-0227-04": "g:fd16e0d9772b1a4b84844fa7742cb161a685e4b3188a7307dfa534aa6bd143c8",
    "wire-2024-12-12-0042": "g:82021d5cfc5b47d3c8d427c0a41178cfdd5903e9d5cb95b78a6a74a1037f4b15",
    "https://wire.example.com/world/2024/12/14/pyongyang-shells-drones": (
        "g:554c3c3c3c98dfb12b326b14ae6e7412d574a99f4ec33314a77a130954bf87c1"
    ),
    "wire-2024-12-16-0007": "g:dde35880ef883c456e57041db90cea5b53495d2937203ded6694e54d6a50ce14",
}


def test_a_database_from_before_the_identity_change_is_not_stored_twice_after_upgrading(
    tmp_path: Path,
) -> None:
    with FeedServer(FIXTURES) as server:
        for name in ("rss_en.xml", "ar_utf8.xml"):
            body = (FIXTURES / name).read_bytes()
            server.routes[f"/plain/{name}"] = lambda handler, body=body: handler.send_body(
                200, body, "application/rss+xml"
            )
        config = write_config(
            tmp_path,
            [
                {"name": "English RSS", "url": server.url("plain/rss_en.xml")},
                {"name": "Arabic UTF-8", "url": server.url("plain/ar_utf8.xml"), "language": "ar"},
            ],
        )
        assert crawl_json(config).returncode == 0
        current = dict(_identities_by_guid(tmp_path))
        # Turn the database into one the previous release wrote: old identities, schema at 0006.
        older = Database(f"sqlite:///{tmp_path / 'raqib.db'}")
        older.downgrade("0007")  # without the later migrations' tables and columns
        older.dispose()
        with sqlite3.connect(tmp_path / "raqib.db") as db:
            for guid, old in IDENTITIES_BEFORE_0007.items():
                db.execute("UPDATE articles SET identity = ? WHERE guid = ?", (old, guid))
            db.execute("UPDATE alembic_version SET version_num = '0006'")
            # and make the next crawl read every entry again rather than skip the unchanged body
            db.execute("UPDATE feeds SET body_hash = NULL, etag = NULL, last_modified = NULL")
        assert set(dict(_identities_by_guid(tmp_path)).values()) == set(IDENTITIES_BEFORE_0007.values())

        again = crawl_json(config)

    assert again.returncode == 0, again.stderr
    for name, entries in (("English RSS", 3), ("Arabic UTF-8", 4)):
        report = again.feed(name)
        assert (report["status"], report["entries"], report["new"]) == ("ok", entries, 0), report
    assert len(rows(tmp_path)) == 7
    assert dict(_identities_by_guid(tmp_path)) == current


def _identities_by_guid(config_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(config_dir / "raqib.db") as db:
        return list(db.execute("SELECT guid, identity FROM articles"))
