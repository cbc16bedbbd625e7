"""Which hosts an outbound connection may reach, and at which address.

Feed URLs, the links inside feeds, the redirects servers send and webhook URLs are all hostile
input: they could point us at a router's admin page, a cloud metadata endpoint or
``file:///etc/passwd``. Only http and https are fetched, and loopback, private, link-local and
other non-public addresses are refused unless the operator allowed them (``[network]
allow_private``, or ``private_hosts`` for named intranet servers).

The check is only worth something if the connection goes to the address that was checked: a name
that answers a public address to the check and ``127.0.0.1`` to the connection (DNS rebinding)
would otherwise walk past it. So a :class:`URLGuard` resolves each host name once, vets every
address of the answer, and *pins* it: the crawler's resolver and the webhook transport connect to
:meth:`URLGuard.addresses` and never ask DNS again. A name that does not resolve is a refusal.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})

Resolver = Callable[[str], list[str]]
# Whether an address may be reached without [network] allow_private; is_public_address in
# production. Tests pass one that calls a loopback address public, so that the "public" end of a
# rebinding test is a real loopback server and no test sends traffic off the machine.
AddressClassifier = Callable[[str], bool]


class RefusedURL(Exception):
    """A URL we will not fetch; the message says why in words a user understands."""


def resolve_host(host: str) -> list[str]:
    """All addresses a host name resolves to, in the system resolver's order."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal_address(host: str) -> str | None:
    """The address a host written as an IP literal stands for (``[::1]`` included), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%", 1)[0]))
    except ValueError:
        return None


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_host(url: str) -> str:
    """The host of an http(s) URL, lower-cased; RefusedURL for any other scheme or no host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        raise RefusedURL(f"not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise RefusedURL(f"scheme {scheme or '(none)'!r} refused: only http and https are fetched")
    if not host:
        raise RefusedURL("URL has no host")
    return host.lower().rstrip(".")


class URLGuard:
    """Resolves, vets and pins host names for the guard's lifetime (one crawl, one webhook attempt).

    ``resolver`` answers a host name with its addresses (tests answer differently on each call, the
    way a rebinding DNS server does). ``private_hosts`` are names the operator allowed to resolve
    to private addresses; their answer is pinned too. ``is_public`` decides which addresses count
    as public (tests only replace it, see :data:`AddressClassifier`).
    """

    def __init__(
        self,
        allow_private: bool,
        resolver: Resolver = resolve_host,
        private_hosts: Iterable[str] = (),
        is_public: AddressClassifier = is_public_address,
    ) -> None:
        self.allow_private = allow_private
        self.private_hosts = frozenset(host.lower().rstrip(".") for host in private_hosts)
        self._resolver = resolver
        self._is_public = is_public
        self._answers: dict[str, tuple[str, ...] | RefusedURL] = {}
        self._asking: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()  # the crawler resolves from a thread pool

    def check(self, url: str) -> tuple[str, ...]:
        """The vetted addresses of the URL's host; RefusedURL when the URL must not be fetched."""
        return self.addresses(url_host(url))

    def addresses(self, host: str) -> tuple[str, ...]:
        """The one answer for ``host`` that every connection to it uses, vetted; raises RefusedURL.

        The first answer is kept for good, refusals included: a second lookup could be answered
        differently, and that second answer is exactly what a rebinding attack needs.
        """
        host = host.lower().rstrip(".")
        with self._lock:
            known = self._answers.get(host)
            asking = self._asking.setdefault(host, threading.Lock())
        if known is None:
            with asking:  # one question per name: concurrent callers wait for its answer
                with self._lock:
                    known = self._answers.get(host)
                if known is None:
                    known = self._vet(host)
                    with self._lock:
                        self._answers[host] = known
        if isinstance(known, RefusedURL):
            raise RefusedURL(str(known))
        return known

    def kept(self, host: str) -> tuple[str, ...] | None:
        """The answer already kept for ``host`` (raises RefusedURL for a kept refusal), or None
        when it has not been asked yet: a caller on an event loop takes it without a thread."""
        with self._lock:
            known = self._answers.get(host.lower().rstrip("."))
        if isinstance(known, RefusedURL):
            raise RefusedURL(str(known))
        return known

    def check_peer(self, host: str, address: str | None) -> None:
        """Refuse a response from an address other than the pinned ones (a second line of defence:
        a connection path that bypassed the pinned resolver shows up here)."""
        if self.allow_private or not address:
            return
        if literal_address(address) in {literal_address(pinned) for pinned in self.addresses(host)}:
            return
        if host.lower().rstrip(".") in self.private_hosts or self._is_public(address):
            raise RefusedURL(f"server address {address} is not the address {host} was checked at")
        raise RefusedURL(
            f"server address {address} is private or loopback; set [network] allow_private = true to allow it"
        )

    def _vet(self, host: str) -> tuple[str, ...] | RefusedURL:
        literal = literal_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = self._resolver(host)
            except (OSError, UnicodeError) as error:
                return RefusedURL(f"host {host} does not resolve ({_dns_reason(error)}): refused")
            addresses = [str(address) for address in addresses]
        if not addresses:
            return RefusedURL(f"host {host} resolves to no address: refused")
        if self.allow_private or host in self.private_hosts:
            return tuple(addresses)
        for address in addresses:
            if not self._is_public(address):
                what = "is" if literal is not None else "resolves to"
                return RefusedURL(
                    f"host {host} {what} private or loopback address {address}; "
                    "set [network] allow_private = true (or list the host in private_hosts) to allow it"
                )
        return tuple(addresses)


def _dns_reason(error: BaseException) -> str:
    if isinstance(error, socket.gaierror) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
