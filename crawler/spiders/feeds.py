"""The feeds spider: fetch each feed (conditionally) and the article pages its handler asks for,
and hand every answer to the handler. Network only: what the bytes mean is the handler's business.

The handler's answers are futures resolved off the reactor thread; the spider awaits them as
Deferreds, so while one feed is being parsed every other download, and its timeout, goes on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any, TypeVar

import scrapy
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from crawler.errors import describe_failure
from crawler.handler import FetchHandler
from crawler.items import FeedJob, FetchedFeed, FetchedPage
from crawler.scrapy_imports import import_tls_modules

# Before a crawler is built from this spider, its engine imports the download handler's TLS modules.
import_tls_modules()

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Every status from 400 up reaches the callback so it can be recorded with its reason; 3xx are
# left to the redirect middleware (a refused redirect arrives in the errback as an HttpError).
_HANDLED_STATUSES = [304, *range(400, 600)]
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
_ACCEPT_PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _now() -> datetime:
    return datetime.now(UTC)


def _deferred(future: Future[T]) -> Deferred[T]:
    """A Deferred fired on the reactor thread when ``future`` (resolved in any thread) is done."""
    # Imported here: importing the reactor at module level would install the default one before
    # Scrapy installs the reactor its settings ask for.
    from twisted.internet import reactor

    if future.done():  # answered at once (a 304, an error): no trip through the reactor's queue
        error = future.exception()
        return fail(Failure(error)) if error is not None else succeed(future.result())
    deferred: Deferred[T] = Deferred()

    def settle(done: Future[T]) -> None:
        error = done.exception()
        if error is not None:
            reactor.callFromThread(deferred.errback, Failure(error))
        else:
            reactor.callFromThread(deferred.callback, done.result())

    future.add_done_callback(settle)
    return deferred


async def _wait(future: Future[T]) -> T:
    return await maybe_deferred_to_future(_deferred(future))


class FeedsSpider(scrapy.Spider):
    name = "feeds"

    def __init__(self, jobs: list[FeedJob], handler: FetchHandler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.jobs = jobs
        self.handler = handler
        self._pending: dict[str, int] = {}  # feed name -> article pages not answered yet

    async def start(self) -> AsyncIterator[Any]:
        for job in self.jobs:
            yield self._feed_request(job)

    def _headers(self, accept: str) -> dict[str, str]:
        # Written here rather than by Scrapy's default-headers and user-agent middlewares: two
        # steps fewer for every request (crawler.settings).
        return {"Accept": accept, "User-Agent": self.settings["USER_AGENT"]}

    def _feed_request(self, job: FeedJob) -> scrapy.Request:
        headers = self._headers(_ACCEPT)
        if job.etag:
            headers["If-None-Match"] = job.etag
        if job.last_modified:
            headers["If-Modified-Since"] = job.last_modified
        return scrapy.Request(
            job.url,
            headers=headers,
            callback=self.feed_answered,
            errback=self.feed_failed,
            dont_filter=True,
            meta={"job": job, "started": _now(), "handle_httpstatus_list": _HANDLED_STATUSES},
        )

    # -- feeds ------------------------------------------------------------------------------

    async def feed_answered(self, response: Response) -> AsyncIterator[Any]:
        job: FeedJob = response.meta["job"]
        fetched = FetchedFeed(
            job=job,
            started_at=response.meta["started"],
            finished_at=_now(),
            url=response.url,
            http_status=response.status,
            body=response.body if 200 <= response.status < 300 else b"",
            content_type=_header(response, "Content-Type"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            retry_after=_header(response, "Retry-After"),
        )
        async for request in self._hand_on(fetched):
            yield request

    async def feed_failed(self, failure: Failure) -> AsyncIterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        job: FeedJob = request.meta["job"]
        fetched = FetchedFeed(
            job=job,
            started_at=request.meta["started"],
            finished_at=_now(),
            url=job.url,
            http_status=None,
            error=describe_failure(failure),
        )
        async for request in self._hand_on(fetched):
            yield request

    async def _hand_on(self, fetched: FetchedFeed) -> AsyncIterator[scrapy.Request]:
        job = fetched.job
        pages: Sequence[str] = await _wait(self.handler.feed_fetched(fetched))
        if not pages:
            await _wait(self.handler.feed_finished(job))
            return
        self._pending[job.name] = len(pages)
        limit = self.settings.getint("URLLENGTH_LIMIT")
        for url in pages:
            if len(url) > limit:
                await self._page_done(FetchedPage(job, url, error=f"article URL longer than {limit} characters"))
                continue
            yield scrapy.Request(
                url,
                headers=self._headers(_ACCEPT_PAGE),
                callback=self.page_answered,
                errback=self.page_failed,
                dont_filter=True,
                meta={"job": job, "key": url},
            )

    # -- article pages ----------------------------------------------------------------------

    async def page_answered(self, response: Response) -> AsyncIterator[Any]:
        page = FetchedPage(response.meta["job"], response.meta["key"], response.body, final_url=response.url)
        await self._page_done(page)
        return
        yield  # an async generator, like the other callbacks

    async def page_failed(self, failure: Failure) -> AsyncIterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        page = FetchedPage(request.meta["job"], request.meta["key"], error=describe_failure(failure))
        await self._page_done(page)
        return
        yield

    async def _page_done(self, page: FetchedPage) -> None:
        try:
            await _wait(self.handler.page_fetched(page))
        except Exception as error:  # noqa: BLE001 - the handler failing on a page is that page's failure
            reason = f"handler failed: {type(error).__name__}: {error}"
            logger.error("page %s of feed %s: %s", page.url, page.job.name, reason)
            if page.error is None:
                try:
                    await _wait(self.handler.page_fetched(FetchedPage(page.job, page.url, error=reason)))
                except Exception:  # noqa: BLE001 - logged; the feed must still finish below
                    logger.exception("page %s of feed %s: its failure could not be handed on", page.url, page.job.name)
        # Every page asked for counts down, whatever became of it: a feed left waiting is never stored.
        name = page.job.name
        self._pending[name] -= 1
        if self._pending[name] == 0:
            del self._pending[name]
            await _wait(self.handler.feed_finished(page.job))


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    text = value.decode("latin-1").strip()
    # A header value from a server ends up in our requests and our database: no line breaks.
    return text.replace("\r", "").replace("\n", "") or None
