"""Downloader middlewares: the guard that keeps every request, redirects included, inside the
allowed network, and redirects followed without a Referer."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.resolver import PinnedResolver
from net.guard import RefusedURL, url_host


class RefusedRequest(IgnoreRequest):
    """A request the guard refused; the message names the reason."""


class SafeFetchMiddleware:
    """Refuses a request (redirected requests pass here again) whose host the guard refuses, with
    the reason, before the downloader tries it; checks each response's peer address after it
    arrives. The connection itself only ever goes to the pinned addresses (crawler.resolver)."""

    def __init__(self) -> None:
        self._resolver: PinnedResolver | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        del crawler  # everything it needs is on the reactor, installed after the engine is built
        return cls()

    @property
    def resolver(self) -> PinnedResolver:
        if self._resolver is None:
            from twisted.internet import reactor

            installed = getattr(reactor, "nameResolver", None)
            if not isinstance(installed, PinnedResolver):
                # Without it, connections would resolve names again, past the guard: refuse to crawl.
                raise RuntimeError("TWISTED_DNS_RESOLVER must be crawler.resolver.PinnedResolver")
            self._resolver = installed
        return self._resolver

    async def process_request(self, request: Request) -> None:
        try:
            await maybe_deferred_to_future(self.resolver.addresses(url_host(request.url)))
        except RefusedURL as refused:
            raise RefusedRequest(f"{request.url}: {refused}") from None

    def process_response(self, request: Request, response: Response) -> Response:
        address = response.ip_address
        try:
            self.resolver.guard.check_peer(url_host(request.url), str(address) if address is not None else None)
        except RefusedURL as refused:
            raise RefusedRequest(f"{request.url}: {refused}") from None
        return response


class RedirectWithoutReferer(RedirectMiddleware):
    """Scrapy's redirect middleware, sending no Referer on the redirected request: no referer
    middleware runs here (see crawler.settings), and Scrapy's looks for one as the engine starts,
    warning on stderr when it finds none."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    def handle_referer(self, request: Request, response: Response) -> None:
        del response
        request.headers.pop("Referer", None)
