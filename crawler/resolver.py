"""Scrapy's name resolver, replaced by one that connects only to vetted addresses.

Installed through the ``TWISTED_DNS_RESOLVER`` setting. Every connection Scrapy opens (feeds,
article pages, redirects) asks the reactor's name resolver for the host's addresses; this one
answers with the :class:`net.guard.URLGuard`'s pinned, vetted answer, so the TCP connection goes
to the address that was checked and a rebinding DNS server gets no second question. A refused or
unresolvable host gets no address at all, so no connection is attempted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

from scrapy.utils.misc import load_object
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import fail, succeed
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

from net.guard import AddressClassifier, RefusedURL, Resolver, URLGuard

logger = logging.getLogger(__name__)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """The answer arrives from a thread and is cheap to ignore; nothing to stop."""


@implementer(IHostnameResolver)
class PinnedResolver:
    """Resolves through one :class:`URLGuard` for the whole crawl (one crawl per process)."""

    def __init__(self, reactor: Any, guard: URLGuard) -> None:
        self.reactor = reactor
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> Self:
        settings = crawler.settings
        resolver: Resolver = load_object(settings.get("RAQIB_HOST_RESOLVER"))
        is_public: AddressClassifier = load_object(settings.get("RAQIB_ADDRESS_CLASSIFIER"))
        guard = URLGuard(
            allow_private=settings.getbool("RAQIB_ALLOW_PRIVATE"),
            resolver=resolver,
            private_hosts=settings.getlist("RAQIB_PRIVATE_HOSTS"),
            is_public=is_public,
        )
        return cls(reactor, guard)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def addresses(self, host: str) -> Any:
        """A Deferred firing with the host's vetted addresses (DNS runs off the reactor thread; a
        name already answered is answered at once: 300 feeds on one host made 300 thread trips)."""
        try:
            kept = self.guard.kept(host)
        except RefusedURL:
            return fail()
        if kept is not None:
            return succeed(kept)
        return deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.guard.addresses, host)

    def resolveHostName(
        self,
        resolutionReceiver: Any,  # IResolutionReceiver: zope interfaces confuse mypy
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        wanted = tuple(addressTypes) if addressTypes else (IPv4Address, IPv6Address)

        def deliver(addresses: tuple[str, ...]) -> None:
            for address in addresses:
                kind = IPv6Address if ":" in address else IPv4Address
                if kind in wanted:
                    resolutionReceiver.addressResolved(kind("TCP", address, portNumber))
            resolutionReceiver.resolutionComplete()

        def refuse(failure: Any) -> None:
            # No address: Twisted reports a DNS lookup error and nothing is connected to. The
            # downloader middleware has already turned the same refusal into a readable reason.
            if not failure.check(RefusedURL):
                logger.error("resolving %s failed: %s", hostName, failure.getErrorMessage())
            resolutionReceiver.resolutionComplete()

        self.addresses(hostName).addCallbacks(deliver, refuse)
        return resolution
