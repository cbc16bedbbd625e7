"""Deterministic identities for feed entries (DESIGN §5: GUID and link, else link, else text).

A re-run of the same crawl must produce the same identities, so everything here is a pure
function of its input hashed with hashlib: no randomness, no clock, no per-process hash seed.

- ``entry_identity``: ``g:`` + sha256 of the GUID together with the entry's canonical link, else
  ``u:`` + sha256 of the canonical link, else ``h:`` + sha256 of the normalised title and text.
  The link is part of a GUID identity because feeds reuse GUIDs: ten items sharing one GUID with
  ten links are ten articles, while a revised item (same GUID, same link, new words) is the same
  article with a new ``content_hash``. A GUID that is an http(s) URL is canonicalised like a link.
- ``canonical_url``: w3lib's ``canonicalize_url`` (query sorted, escapes normalised, fragment
  dropped) after removing what changes from fetch to fetch without naming another article:
  trackers (courlan's list, kept from AdGuard, ClearURLs and Firefox's query stripping), cache
  busters (``?v=1733…``, ``?_=…``) and AMP decoration.
- ``content_hash``: blake2b of the normalised title and text; it changes when the words change
  and not when only whitespace, punctuation, diacritics or letter-variant spelling change.

Identities written by the releases before 0007 (GUID alone; the hand-written canonical form) are
recomputed by storage migration 0007 from the stored guid, url and feed columns.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

from stories.text import normalise

__all__ = [
    "canonical_url",
    "content_hash",
    "content_hash_normalised",
    "entry_identity",
    "identity_normalised",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Tracking parameters: courlan's list (``courlan.clean.TRACKERS_RE``, 1.4.0, kept from AdGuard,
# ClearURLs and Firefox's query stripping), copied because importing courlan loads its whole
# package (babel, tld): ~6 MiB in every parse worker and in the crawl that migrates a new
# database, for one pattern. tests/test_identity.py checks it against the installed courlan.
TRACKERS_RE = re.compile(
    r"^(?:dc|fbc|gc|twc|yc|ysc)lid|"
    r"^(?:click|gbra|msclk|igsh|partner|wbra)id|"
    r"^(?:ads?|mc|ga|gs|itm|mc|mkt|ml|mtm|oly|pk|utm|vero)_|"
    r"(?:\b|_)(?:aff|affi|affiliate|campaign|cl?id|eid|ga|gl|"
    r"kwd|keyword|medium|ref|referr?er|session|source|uid|xtor)"
)
# Parameters whose only job is to defeat caches: a new value on every fetch, the same article.
_CACHE_BUSTERS = frozenset(
    {"_", "cb", "cachebuster", "cache_buster", "nocache", "rnd", "rand", "random", "ts", "timestamp"}
)
# Version stamps: dropped only when the value looks like one (digits, dots, hex), because
# ``v`` also names things, YouTube's video id for one.
_VERSION_PARAMS = frozenset({"v", "ver", "version", "rev"})
_VERSION_VALUE = re.compile(r"[0-9a-f.]+")
_AMP_SUFFIX = re.compile(r"\.amp(?=\.html?$|$)", re.IGNORECASE)
# Most article links are canonical already: scheme and host in lower case, no port, no query, no
# fragment, a path of plain segments (letters, digits, - _ . ~ and escaped non-ASCII bytes in
# upper case). Every rule below leaves them as they are (tests/test_identity.py checks against
# the general path), so they skip w3lib and the URL parsing, two thirds of an entry's analysis.
_PLAIN_SEGMENT = r"(?:[A-Za-z0-9_~-]|%[89A-F][0-9A-F])(?:[A-Za-z0-9._~-]|%[89A-F][0-9A-F])*"
_PLAIN_URL = re.compile(
    r"https?://(?!amp\.)[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*" rf"(?P<path>(?:/{_PLAIN_SEGMENT})*/?)"
)


def _clean_path(path: str) -> str:
    # AMP copies live at /amp/..., .../amp, ...article.amp or ...article.amp.html
    segments = [segment for segment in path.split("/") if segment.lower() != "amp"]
    if segments:
        segments[-1] = _AMP_SUFFIX.sub("", segments[-1])
    path = "/".join(segments) or "/"
    return path if path.startswith("/") else "/" + path


def _drops(name: str, value: str) -> bool:
    """Whether a query parameter is noise for identity: a tracker, a cache buster, AMP."""
    lowered = name.lower()
    if TRACKERS_RE.search(lowered) or lowered in _CACHE_BUSTERS:
        return True
    if lowered in _VERSION_PARAMS and _VERSION_VALUE.fullmatch(value.lower()):
        return True
    if lowered == "amp":  # ?amp, ?amp=1, ?amp=true
        return True
    return lowered in ("outputtype", "output") and value.lower() == "amp"


@lru_cache(maxsize=4096)  # a feed's GUID is often its link, and feeds repeat entries every crawl
def canonical_url(url: str) -> str:
    """The URL as an identity: trackers, cache busters, fragment and AMP decoration removed.

    Lower-case scheme and host, default port dropped, an ``amp.`` host becomes ``www.``, ``amp``
    path segments and ``.amp`` suffixes dropped, the remaining query parameters sorted and
    escapes normalised (w3lib). The scheme is kept (http and https may differ) and so is a
    trailing slash. Something that is not an absolute http(s) URL comes back stripped of
    surrounding whitespace and otherwise unchanged.
    """
    url = url.strip()
    plain = _PLAIN_URL.fullmatch(url)
    if plain:
        path = plain.group("path")
        if not path:
            return url + "/"
        if _clean_path(path) == path:  # no AMP decoration to take off
            return url
    return _canonical_url(url)


def _canonical_url(url: str) -> str:
    """``canonical_url`` of any stripped URL: the general path."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # malformed IPv6 literal or port
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return url
    if host.startswith("amp.") and host.count(".") >= 2:
        # News sites serve AMP from amp.<site> and the article from www.<site>
        # (theguardian, dw, scmp); an apex-only site would need its own rule.
        host = "www." + host[len("amp.") :]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username is not None:  # rare in feeds, but two users are two resources
        credentials = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{credentials}@{netloc}"
    rebuilt = urlunsplit((scheme, netloc, _clean_path(parts.path), parts.query, ""))
    noise = [name for name, value in parse_qsl(parts.query, keep_blank_values=True) if _drops(name, value)]
    if noise:
        rebuilt = url_query_cleaner(rebuilt, noise, remove=True, unique=False)
    try:
        return canonicalize_url(rebuilt)
    except ValueError:  # an unencodable host name: the cleaned form is the best there is
        return rebuilt


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash_normalised(title: str, text: str) -> str:
    """``content_hash`` for a title and text that are already ``normalise()``d."""
    return hashlib.blake2b(f"{title}\n{text}".encode(), digest_size=16).hexdigest()


def identity_normalised(
    guid: str | None,
    canonical: str | None,
    normalised_title: str,
    normalised_text: str,
    *,
    scope: str = "",
) -> str:
    """``entry_identity`` for a URL already canonical and a title and text already normalised.

    A GUID that is not a URL ("12345", "post-7") is only unique inside its feed, so it is hashed
    together with ``scope`` (the feed's name): two feeds numbering their items alike must not
    silence each other. A URL GUID names the article itself and is shared across feeds. The
    link joins the GUID unless it is the GUID itself, so a reused GUID cannot merge two items."""
    guid = (guid or "").strip()
    if guid:
        if guid.lower().startswith(("http://", "https://")):
            key = canonical_url(guid)
        else:
            key = f"{scope}\n{guid}" if scope else guid
        if canonical and canonical != key:
            key = f"{key}\n{canonical}"
        return "g:" + _sha256(key)
    if canonical:
        return "u:" + _sha256(canonical)
    return "h:" + _sha256(f"{normalised_title}\n{normalised_text}")


def entry_identity(guid: str | None, url: str | None, title: str, text: str, *, scope: str = "") -> str:
    """``g:``/``u:``/``h:`` + a sha256 hex digest; the same input always gives the same identity."""
    canonical = canonical_url(url) if url and url.strip() else None
    return identity_normalised(guid, canonical, normalise(title), normalise(text), scope=scope)


def content_hash(title: str, text: str) -> str:
    """A 32-hex-digit digest of the normalised title and text."""
    return content_hash_normalised(normalise(title), normalise(text))
