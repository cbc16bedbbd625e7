"""Feed addresses with their secrets masked, for pages, the API and exports.

Private feeds (paid services, self-hosted readers, search APIs) carry credentials in the address:
``https://user:pass@host/rss`` or ``…/feed?apikey=…&sig=…``. Whoever can read the feed list must
not learn them, so the user information and the values of query parameters whose names say
"secret" are replaced by ``***``; the host, path and other parameters stay, so the feed can still be
recognised. Only the token holder sees the full address, on request (``?reveal=1``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MASK = "***"
# Parameter names (lower case, "-" and "_" removed) that hold a secret, whole or as their end:
# "api_key", "X-Api-Key", "access_token", "client_secret", "sig", "hmac", "password"…
_SECRET_NAMES = {"key", "token", "secret", "sig", "signature", "password", "passwd", "pwd", "pass", "auth", "hmac"}
_SECRET_ENDINGS = ("key", "token", "secret", "signature", "password", "sig", "auth")
_SECRET_EXACT = {"apikey", "session", "sessionid", "sid", "credential", "credentials"}
_PLAIN = re.compile(r"[-_]")


def is_secret_parameter(name: str) -> bool:
    folded = _PLAIN.sub("", name.strip().lower())
    return folded in _SECRET_NAMES or folded in _SECRET_EXACT or folded.endswith(_SECRET_ENDINGS)


def has_secret(url: str) -> bool:
    """Whether ``mask_url`` would change anything in ``url``."""
    return mask_url(url) != url


def mask_url(url: str) -> str:
    """``url`` with its user information and secret query values replaced by ``***``.

    An address that does not parse is returned as ``***`` whole: it may be anything.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        shown_host = f"[{host}]" if host and ":" in host else (host or "")
        netloc = f"{MASK}@{shown_host}" + (f":{port}" if port is not None else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_parameter(name) for name, _ in pairs):
            query = "&".join(
                f"{quote(name, safe='')}={MASK if is_secret_parameter(name) else quote(value, safe='')}"
                for name, value in pairs
            )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
