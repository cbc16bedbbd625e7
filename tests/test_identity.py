"""Entry identity: GUID with the canonical link, else the canonical link, else normalised title and text."""

from __future__ import annotations

import hashlib
import random
import re

import pytest

from stories.identity import _PLAIN_URL, _canonical_url, canonical_url, content_hash, entry_identity

ARTICLE = "https://www.example.com/news/2025/01/north-korean-troops"
DIGEST = re.compile(r"[0-9a-f]{64}")


def test_a_revised_item_keeps_its_identity_when_its_guid_and_link_stay() -> None:
    first = entry_identity("urn:uuid:1234", ARTICLE, "Title", "Text")
    revised = entry_identity("urn:uuid:1234", ARTICLE + "?utm_source=rss", "Title, corrected", "Changed text")
    assert first == revised
    assert first.startswith("g:") and DIGEST.fullmatch(first[2:])


def test_items_reusing_one_guid_with_different_links_are_different_articles() -> None:
    links = [f"https://www.example.com/news/{n}" for n in range(10)]
    identities = {entry_identity("same-guid", link, f"Title {n}", "") for n, link in enumerate(links)}
    assert len(identities) == 10


def test_blank_guid_falls_back_to_the_url() -> None:
    assert entry_identity("  ", ARTICLE, "T", "x") == entry_identity(None, ARTICLE, "Other", "y")
    assert entry_identity(None, ARTICLE, "T", "x").startswith("u:")


def test_url_guid_is_canonicalised() -> None:
    assert entry_identity(ARTICLE + "?utm_source=rss", None, "", "") == entry_identity(ARTICLE, None, "", "")


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE + "?utm_source=rss&utm_medium=feed&utm_campaign=x",
        ARTICLE + "?fbclid=IwAR0xyz",
        ARTICLE + "?gclid=abc123",
        ARTICLE + "#comments",
        "HTTPS://WWW.EXAMPLE.COM/news/2025/01/north-korean-troops",
        "https://www.example.com:443/news/2025/01/north-korean-troops",
        "https://www.example.com/news/2025/01/north-korean-troops/amp",
        "https://www.example.com/amp/news/2025/01/north-korean-troops",
        "https://www.example.com/news/2025/01/north-korean-troops?amp=1",
        "https://www.example.com/news/2025/01/north-korean-troops.amp",
        "https://amp.example.com/news/2025/01/north-korean-troops",
        "  https://www.example.com/news/2025/01/north-korean-troops?utm_source=x#top  ",
        ARTICLE + "?v=1733491200",
        ARTICLE + "?v=3.2.1&_=1733491200123",
        ARTICLE + "?ver=9f8e7d6c&cb=42",
        ARTICLE + "?xtor=RSS-1&mc_cid=abc&ref=rss",
        ARTICLE + "?msclkid=1&igshid=2&yclid=3&dclid=4",
    ],
)
def test_url_variants_collapse_to_one_identity(variant: str) -> None:
    assert canonical_url(variant) == ARTICLE
    assert entry_identity(None, variant, "", "") == entry_identity(None, ARTICLE, "", "")


def test_http_default_port_and_meaningful_parameters() -> None:
    assert canonical_url("http://Example.com:80/story?id=7&utm_source=rss") == "http://example.com/story?id=7"
    assert canonical_url("https://example.com/story?id=7") != canonical_url("https://example.com/story?id=8")


def test_title_and_text_fallback_is_stable_and_normalised() -> None:
    first = entry_identity(None, None, "القوات الكورية الشمالية", "وصلت إلى كورسك.")
    again = entry_identity(None, None, "القوات الكوريّة  الشمالية", "وصلت الى  كورسك")
    assert first == again
    assert first.startswith("h:") and DIGEST.fullmatch(first[2:])
    assert entry_identity(None, "", "Title", "text") == entry_identity(None, None, "Title", "text")


def test_title_and_text_fallback_differs_when_text_differs() -> None:
    twelve = entry_identity(None, None, "Title", "12,000 troops")
    assert twelve != entry_identity(None, None, "Title", "11,000 troops")
    assert entry_identity(None, None, "Title", "") != entry_identity(None, None, "", "Title")


def test_content_hash_ignores_layout_but_not_words() -> None:
    base = content_hash("North Korean troops", "They arrived in Kursk.")
    assert base == content_hash("  North  Korean troops ", "They arrived in Kursk")
    assert base == content_hash("NORTH KOREAN TROOPS", "they arrived, in Kursk!")
    assert base != content_hash("North Korean troops", "They left Kursk.")
    assert re.fullmatch(r"[0-9a-f]{32}", base)


def test_identity_is_a_pure_function() -> None:
    # Fixed digests: a change here would make every stored article look new after an upgrade.
    assert entry_identity("guid-1", None, "", "") == "g:" + hashlib.sha256(b"guid-1").hexdigest()
    assert entry_identity(None, ARTICLE, "", "") == "u:" + hashlib.sha256(ARTICLE.encode()).hexdigest()


def test_a_non_url_guid_is_scoped_to_its_feed_but_a_url_guid_is_not() -> None:
    numbered_a = entry_identity("12345", None, "t", "x", scope="Feed A")
    numbered_b = entry_identity("12345", None, "t", "x", scope="Feed B")
    assert numbered_a != numbered_b
    assert entry_identity("12345", None, "t", "x", scope="Feed A") == numbered_a
    url_a = entry_identity("https://example.org/a?utm_source=x", None, "t", "x", scope="Feed A")
    url_b = entry_identity("https://Example.org/a", None, "t", "x", scope="Feed B")
    assert url_a == url_b


def test_parameters_that_name_things_are_kept_and_sorted() -> None:
    assert canonical_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert canonical_url("https://example.com/news.php?id=5&cat=2") == "https://example.com/news.php?cat=2&id=5"
    assert canonical_url("https://example.com/news.php?id=5") != canonical_url("https://example.com/news.php?id=6")


def test_arabic_paths_have_one_spelling_escaped_or_not() -> None:
    raw = "https://www.example.com/أخبار/كورسك?utm_campaign=حملة"
    escaped = "https://www.example.com/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%d9%83%d9%88%d8%b1%d8%b3%d9%83"
    assert canonical_url(raw) == canonical_url(escaped)
    assert canonical_url(raw) == "https://www.example.com/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D9%83%D9%88%D8%B1%D8%B3%D9%83"


def _generated_urls(count: int) -> list[str]:
    """Links in the shapes feeds use, many of them canonical already, some nearly so."""
    rng = random.Random(11)
    hosts = [
        "www.aljazeera.net",
        "bbc.com",
        "amp.example.org",
        "news.example.co.uk",
        "xn--mgbh0fb.example",
        "localhost",
    ]
    segments = [
        "news", "2025", "02", "amp", "story.amp", "story.amp.html", "index.html", "a_b~c", "-x-", ".hidden", "..",
        "%D8%A7%D8%A8", "%d8%a7", "%41", "%2F", "Kursk", "champions", "الأخبار", "a b", "x.AMP", "", "page.htm",
    ]  # fmt: skip
    tails = ["", "/", "?id=7", "#top", "?utm_source=rss", ":8080", "."]
    urls = []
    for _ in range(count):
        scheme = rng.choice(["http", "https", "HTTP"])
        host = rng.choice(hosts)
        path = "".join("/" + rng.choice(segments) for _ in range(rng.randrange(0, 4)))
        tail = rng.choice(tails)
        if tail in (":8080", "."):
            urls.append(f"{scheme}://{host}{tail}{path}")
        else:
            urls.append(f"{scheme}://{host}{path}{tail}")
    return urls


def test_the_fast_path_for_plain_links_gives_what_the_general_rules_give() -> None:
    urls = _generated_urls(3000)
    plain = [url for url in urls if _PLAIN_URL.fullmatch(url)]
    assert len(plain) > 200, "the generator should make many links the fast path takes"
    for url in urls:
        assert canonical_url(url) == _canonical_url(url), url


def test_the_tracker_list_is_courlans_without_importing_courlan() -> None:
    """The tracking parameters are courlan's list, copied so that analysing entries does not load
    courlan's package (babel, tld: ~6 MiB in every parse worker); an upgrade of courlan that
    changes its list shows here."""
    import subprocess
    import sys

    from courlan.clean import TRACKERS_RE as COURLAN_TRACKERS  # installed with trafilatura

    from stories.identity import TRACKERS_RE

    assert TRACKERS_RE.pattern == COURLAN_TRACKERS.pattern
    probe = "import sys, stories.analysis; print(sorted({'courlan', 'babel', 'tld'} & set(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"
    assert canonical_url("https://example.com/a?gclid=1&fbclid=2&id=7&utm_source=rss") == "https://example.com/a?id=7"
