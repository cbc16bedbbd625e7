"""The crawler's one outward door: it hands what it fetched to a handler it is given.

The crawler knows nothing of parsing, storage, stories or alerts. ``ingest`` implements this
protocol; the answers are ``concurrent.futures.Future`` values so the work behind them can run in
other threads or processes while the reactor keeps fetching (and keeps firing other timeouts).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Protocol

from crawler.items import FeedJob, FetchedFeed, FetchedPage


class FetchHandler(Protocol):
    def feed_fetched(self, fetched: FetchedFeed) -> Future[Sequence[str]]:
        """Take a feed's answer; resolve to the article page URLs to fetch for it (often none)."""
        ...

    def page_fetched(self, page: FetchedPage) -> Future[None]:
        """Take one of the article pages asked for."""
        ...

    def feed_finished(self, job: FeedJob) -> Future[None]:
        """Every page asked for the feed has answered: the feed can be stored."""
        ...
