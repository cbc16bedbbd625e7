"""Downloader middleware that keeps every request, redirects included, inside the allowed network."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.guard import RefusedURL, URLGuard


class RefusedRequest(IgnoreRequest):
    """A request the guard refused; the message names the reason."""


class SafeFetchMiddleware:
    """Checks each request before it leaves (redirected requests pass here again) and each
    response's peer address after it arrives."""

    def __init__(self, guard: URLGuard) -> None:
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(URLGuard(allow_private=crawler.settings.getbool("RAQIB_ALLOW_PRIVATE")))

    def process_request(self, request: Request) -> None:
        try:
            self.guard.check(request.url)
        except RefusedURL as refused:
            raise RefusedRequest(f"{request.url}: {refused}") from None

    def process_response(self, request: Request, response: Response) -> Response:
        address = response.ip_address
        try:
            self.guard.check_peer(str(address) if address is not None else None)
        except RefusedURL as refused:
            raise RefusedRequest(f"{request.url}: {refused}") from None
        return response
