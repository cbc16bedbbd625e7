"""Deterministic identities for feed entries (DESIGN §5: GUID, else canonical URL, else text).

A re-run of the same crawl must produce the same identities, so everything here is a pure
function of its input hashed with hashlib: no randomness, no clock, no per-process hash seed.

- ``entry_identity``: ``g:`` + sha256 of the GUID (a GUID that is an http(s) URL is canonicalised
  first, since many feeds use the link as GUID and decorate it with tracking parameters), else
  ``u:`` + sha256 of the canonical URL, else ``h:`` + sha256 of the normalised title and text.
- ``content_hash``: blake2b of the normalised title and text; it changes when the words change
  and not when only whitespace, punctuation, diacritics or letter-variant spelling change.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from stories.text import normalise

__all__ = [
    "canonical_url",
    "content_hash",
    "content_hash_normalised",
    "entry_identity",
    "identity_normalised",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Click and campaign trackers: they vary per share and never select a different article.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid"}
)
# Characters a path may carry unescaped (RFC 3986 pchar + "/"); "%" keeps existing escapes.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*")  # nothing to escape: skip quote()
_AMP_SUFFIX = re.compile(r"\.amp(?=\.html?$|$)", re.IGNORECASE)


def _upper_escape(match: re.Match[str]) -> str:
    return match.group().upper()


def _clean_path(path: str) -> str:
    # AMP copies live at /amp/..., .../amp, ...article.amp or ...article.amp.html
    segments = [segment for segment in path.split("/") if segment.lower() != "amp"]
    if segments:
        segments[-1] = _AMP_SUFFIX.sub("", segments[-1])
    path = "/".join(segments) or "/"
    if not path.startswith("/"):
        path = "/" + path
    # One spelling per character: raw non-ASCII is escaped, escapes use upper-case hex.
    if not _PLAIN_PATH.fullmatch(path):
        path = quote(path, safe=_PATH_SAFE)
    return _PERCENT_ESCAPE.sub(_upper_escape, path) if "%" in path else path


def _keep_param(pair: str) -> bool:
    name = unquote(pair.split("=", 1)[0]).lower()
    if name.startswith("utm_") or name in _TRACKING_PARAMS:
        return False
    if name == "amp":  # ?amp, ?amp=1, ?amp=true
        return False
    return not (name in ("outputtype", "output") and pair.split("=", 1)[-1].lower() == "amp")


def _clean_query(query: str) -> str:
    if not query:
        return query
    pairs = sorted(pair for pair in query.split("&") if pair and _keep_param(pair))
    return _PERCENT_ESCAPE.sub(_upper_escape, quote("&".join(pairs), safe=_QUERY_SAFE))


@lru_cache(maxsize=4096)  # a feed's GUID is often its link, and feeds repeat entries every crawl
def canonical_url(url: str) -> str:
    """The URL as an identity: tracking parameters, fragment and AMP decoration removed.

    Lower-case scheme and host, default port dropped, an ``amp.`` host becomes ``www.``, ``amp`` path
    segments and ``.amp`` suffixes dropped, ``?amp=1`` dropped, the remaining query parameters
    sorted, percent-escapes upper-cased. The scheme is kept (http and https may differ) and so
    is a trailing slash. Something that is not an absolute http(s) URL comes back stripped of
    surrounding whitespace and otherwise unchanged.
    """
    url = url.strip()
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
    return urlunsplit((scheme, netloc, _clean_path(parts.path), _clean_query(parts.query), ""))


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
    silence each other. A URL GUID names the article itself and is shared across feeds."""
    guid = (guid or "").strip()
    if guid:
        if guid.lower().startswith(("http://", "https://")):
            return "g:" + _sha256(canonical_url(guid))
        return "g:" + _sha256(f"{scope}\n{guid}" if scope else guid)
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
