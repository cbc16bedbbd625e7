"""The feeds spider: fetch each feed (conditionally), parse it, analyse its entries, follow the
links of matching entries when the feed asks for full articles. Decisions live in ``stories``,
persistence in the pipeline; this module translates between HTTP and those."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Protocol

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.article import extract_article_text
from crawler.errors import describe_failure
from crawler.feeds import parse_feed
from crawler.items import ArticleItem, FeedDone, FeedJob
from crawler.policy import parse_retry_after
from stories.analysis import Analyser
from stories.types import Analysis, Entry

# Every status from 400 up reaches the callback so it can be recorded with its reason; 3xx are
# left to the redirect middleware (a refused redirect arrives in the errback as an HttpError).
_HANDLED_STATUSES = [304, *range(400, 600)]
_DEFERRING_STATUSES = {429, 503}


class KnownArticles(Protocol):
    def known_content_hashes(self, identities: list[str]) -> dict[str, str]: ...


@dataclass
class _OpenFeed:
    """A feed whose entries are out fetching their article pages."""

    done: FeedDone
    pending: int


def _now() -> datetime:
    return datetime.now(UTC)


class FeedsSpider(scrapy.Spider):
    name = "feeds"

    def __init__(
        self,
        jobs: list[FeedJob],
        analyser: Analyser,
        known: KnownArticles,
        max_article_chars: int = 200_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.jobs = jobs
        self.analyser = analyser
        self.known = known
        self.max_article_chars = max_article_chars
        self._open: dict[str, _OpenFeed] = {}

    async def start(self) -> AsyncIterator[Any]:
        for job in self.jobs:
            yield self._feed_request(job)

    def _feed_request(self, job: FeedJob) -> scrapy.Request:
        headers: dict[str, str] = {
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
        }
        if job.etag:
            headers["If-None-Match"] = job.etag
        if job.last_modified:
            headers["If-Modified-Since"] = job.last_modified
        return scrapy.Request(
            job.url,
            headers=headers,
            callback=self.parse_feed,
            errback=self.feed_failed,
            dont_filter=True,
            meta={"job": job, "started": _now(), "handle_httpstatus_list": _HANDLED_STATUSES},
        )

    # -- feed responses -------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Any]:
        job: FeedJob = response.meta["job"]
        started: datetime = response.meta["started"]
        base = FeedDone(
            job=job,
            started_at=started,
            finished_at=started,
            status="ok",
            http_status=response.status,
            url=response.url,
        )
        etag = _header(response, "ETag")
        last_modified = _header(response, "Last-Modified")
        if response.status == 304:
            yield replace(base, finished_at=_now(), status="not_modified")
            return
        if response.status in _DEFERRING_STATUSES:
            now = _now()
            until = parse_retry_after(_header(response, "Retry-After"), now)
            reason = f"HTTP {response.status} {_reason(response.status)}"
            if until is not None:
                yield replace(
                    base,
                    finished_at=now,
                    status="deferred",
                    error=f"{reason}: server asks to retry after {until:%Y-%m-%d %H:%M:%S} UTC",
                    retry_after_until=until,
                )
            else:
                yield replace(base, finished_at=now, status="error", error=reason)
            return
        if response.status >= 400:
            error = f"HTTP {response.status} {_reason(response.status)}"
            yield replace(base, finished_at=_now(), status="error", error=error)
            return

        body_hash = hashlib.sha256(response.body).hexdigest()
        if job.body_hash == body_hash:
            # The server ignored our validators (or has none) but sent the same bytes: skip parsing.
            yield replace(
                base,
                finished_at=_now(),
                status="unchanged",
                etag=etag,
                last_modified=last_modified,
                body_hash=body_hash,
            )
            return

        parsed = parse_feed(
            response.body,
            _header(response, "Content-Type"),
            feed_name=job.name,
            base_url=response.url,
            language=job.language,
        )
        analysed = [(entry, self.analyser.analyse(entry)) for entry in parsed.entries]
        known = self.known.known_content_hashes([analysis.identity for _, analysis in analysed])
        fresh = [(e, a) for e, a in analysed if known.get(a.identity) != a.content_hash]
        done = replace(
            base,
            finished_at=_now(),
            status="ok",
            entries=len(parsed.entries),
            skipped_seen=len(analysed) - len(fresh),
            error=parsed.problem,
            etag=etag,
            last_modified=last_modified,
            body_hash=body_hash,
        )
        to_fetch = [(e, a) for e, a in fresh if job.fetch_articles and a.matched and e.url]
        for entry, analysis in fresh:
            if not (job.fetch_articles and analysis.matched and entry.url):
                yield ArticleItem(entry, analysis)
        if not to_fetch:
            yield done
            return
        # The feed's validators are stored only with its last article, so a crash in between
        # makes the next crawl fetch and process the feed again instead of losing entries.
        self._open[job.name] = _OpenFeed(done=done, pending=len(to_fetch))
        for entry, analysis in to_fetch:
            assert entry.url is not None
            yield scrapy.Request(
                entry.url,
                callback=self.parse_article,
                errback=self.article_failed,
                meta={"job": job, "entry": entry, "analysis": analysis},
            )

    def feed_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        job: FeedJob = request.meta["job"]
        yield FeedDone(
            job=job,
            started_at=request.meta["started"],
            finished_at=_now(),
            status="error",
            http_status=None,
            url=job.url,
            error=describe_failure(failure),
        )

    # -- article pages --------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        entry: Entry = response.meta["entry"]
        feed_analysis: Analysis = response.meta["analysis"]
        text = extract_article_text(response.body, response.url, limit=self.max_article_chars)
        if not text:
            yield from self._article_finished(
                response.meta["job"], ArticleItem(entry, feed_analysis, "no article text found")
            )
            return
        enriched = replace(entry, text=text)
        # Identity and content hash stay those of the feed entry, so the next crawl recognises
        # the entry as seen without fetching its page again.
        analysis = replace(
            self.analyser.analyse(enriched),
            identity=feed_analysis.identity,
            content_hash=feed_analysis.content_hash,
        )
        yield from self._article_finished(response.meta["job"], ArticleItem(enriched, analysis))

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        item = ArticleItem(request.meta["entry"], request.meta["analysis"], describe_failure(failure))
        yield from self._article_finished(request.meta["job"], item)

    def _article_finished(self, job: FeedJob, item: ArticleItem) -> Iterator[Any]:
        yield item
        state = self._open[job.name]
        state.pending -= 1
        if state.pending == 0:
            del self._open[job.name]
            yield replace(state.done, finished_at=_now())


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    text = value.decode("latin-1").strip()
    # A header value from a server ends up in our requests and our database: no line breaks.
    return text.replace("\r", "").replace("\n", "") or None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
