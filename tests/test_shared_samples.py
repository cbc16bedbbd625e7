"""Real-world samples written by others (../shared/data/fetched): our parsing against reality.

They are not copied into the project; when the folder is absent (a bare clone), these tests skip
and say so. CI has the folder."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ingest.encoding import guess_encoding
from ingest.parse import parse_feed
from stories.analysis import Analyser

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "fetched"
DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "default.toml"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"real-world samples not present at {SHARED} (CI has them)")


def default_analyser() -> Analyser:
    config = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    return Analyser({watch["name"]: watch["query"] for watch in config["watches"]})


@pytest.mark.parametrize(
    ("name", "encoding", "phrase"),
    [
        (
            "windows-1256-arabic__chromium_no_encoding_specified.html",
            "cp1256",
            "كتائب الشهيد عز الدين القسام",
        ),
        ("iso-8859-6-arabic__chromium_no_encoding_specified.html", "iso-8859-6", "كتائب الشهيد عز الدين القسام"),
    ],
)
def test_undeclared_arabic_code_pages_are_recognised(name: str, encoding: str, phrase: str) -> None:
    data = (SHARED / "chardet_tests" / name).read_bytes()
    assert guess_encoding(data) == encoding
    assert phrase in data.decode(encoding)


def test_undeclared_arabic_page_wrapped_in_a_feed_decodes(tmp_path: Path) -> None:
    page = (SHARED / "chardet_tests" / "windows-1256-arabic__chromium_no_encoding_specified.html").read_bytes()
    body = page.split(b'dir="RTL">', 1)[1].split(b"</body>", 1)[0].strip()
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
        b"<description>" + body + b"</description></item></channel></rss>"
    )
    parsed = parse_feed(feed, "application/rss+xml", feed_name="sample", base_url="http://example.org/")
    assert parsed.encoding == "cp1256"
    assert "كتائب الشهيد عز الدين القسام" in parsed.entries[0].summary


@pytest.mark.parametrize(
    "path",
    sorted(
        str(path.relative_to(SHARED))
        for pattern in ("*/*.xml", "*/*.rss", "*/*.atom")
        for path in (SHARED.glob(pattern) if SHARED.is_dir() else [])
    ),
)
def test_every_sample_feed_parses_into_entries_with_titles(path: str) -> None:
    parsed = parse_feed((SHARED / path).read_bytes(), None, feed_name="sample", base_url="http://example.org/")
    assert len(parsed.entries) >= 5
    assert all(entry.title or entry.summary for entry in parsed.entries)
    assert not any("Ã" in entry.title or "Ø" in entry.title for entry in parsed.entries), "mojibake"


def test_rss_and_atom_of_the_same_arabic_site_give_the_same_identities() -> None:
    folder = SHARED / "nabdsharqi_arabic_feeds_2015"
    analyser = default_analyser()

    def identities(name: str) -> list[str]:
        parsed = parse_feed((folder / name).read_bytes(), None, feed_name="nabd", base_url="http://nabd-sharqi.com/")
        return [analyser.analyse(entry).identity for entry in parsed.entries]

    rss, atom = identities("nabd-sharqi_feed_rss2.xml"), identities("nabd-sharqi_atom.xml")
    assert len(rss) == 10 and rss == atom


def test_kursk_incursion_headlines_without_north_korea_do_not_match() -> None:
    analyser = default_analyser()
    kursk = 0
    for path in (SHARED / "news_rss_snapshots_2024-08-08").glob("*.xml"):
        parsed = parse_feed(path.read_bytes(), None, feed_name=path.stem, base_url="http://example.org/")
        for entry in parsed.entries:
            kursk += "Kursk" in entry.title + entry.summary
            assert not analyser.analyse(entry).matched, entry.title
    assert kursk >= 2, "the samples hold Kursk headlines: the hard negatives are really tested"
