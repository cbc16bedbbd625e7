"""Which URLs a fetch may reach.

Feed URLs, the links inside feeds and the redirects servers send are all hostile input: a feed
could point us at a router's admin page, a cloud metadata endpoint or ``file:///etc/passwd``.
Only http and https are fetched, and loopback, private, link-local and other non-public
addresses are refused unless the operator allowed them (``[network] allow_private``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})

Resolver = Callable[[str], list[str]]


class RefusedURL(Exception):
    """A URL we will not fetch; the message says why in words a user understands."""


def resolve_host(host: str) -> list[str]:
    """All addresses a host name resolves to (a literal address resolves to itself)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class URLGuard:
    """Decides whether a URL may be fetched; caches name resolution for the crawl's lifetime."""

    def __init__(self, allow_private: bool, resolver: Resolver = resolve_host) -> None:
        self.allow_private = allow_private
        self._resolver = resolver
        self._verdicts: dict[str, str | None] = {}

    def check(self, url: str) -> None:
        """Raise RefusedURL when the URL must not be fetched."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise RefusedURL(f"scheme {scheme or '(none)'!r} refused: only http and https are fetched")
        host = parts.hostname
        if not host:
            raise RefusedURL("URL has no host")
        if self.allow_private:
            return
        if host not in self._verdicts:
            self._verdicts[host] = self._host_verdict(host)
        reason = self._verdicts[host]
        if reason is not None:
            raise RefusedURL(reason)

    def check_peer(self, address: str | None) -> None:
        """Refuse a response that came from a private address (DNS may have changed its mind)."""
        if self.allow_private or not address:
            return
        if not is_public_address(address):
            raise RefusedURL(
                f"server address {address} is private or loopback; set [network] allow_private = true to allow it"
            )

    def _host_verdict(self, host: str) -> str | None:
        try:
            addresses = self._resolver(host)
        except OSError as error:
            # Unresolvable names fail later in the download with the resolver's own message.
            del error
            return None
        for address in addresses:
            if not is_public_address(address):
                return (
                    f"host {host} resolves to private or loopback address {address}; "
                    "set [network] allow_private = true to allow it"
                )
        return None
