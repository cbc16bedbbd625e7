"""Persist what the spider yields: a feed's articles and its fetch record in one transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Self

from scrapy.crawler import Crawler

from crawler.items import ArticleItem, FeedDone
from crawler.report import FeedReport
from crawler.store import CrawlStore


class StoragePipeline:
    """Buffers each feed's articles until its ``FeedDone`` and then writes them together with the
    feed's new validators, so a crash never records a feed as fetched while losing its entries."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._buffers: dict[str, list[ArticleItem]] = defaultdict(list)
        self.reports: list[FeedReport] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def store(self) -> CrawlStore:
        spider = self.crawler.spider
        assert spider is not None
        store: CrawlStore = spider.known  # type: ignore[attr-defined]
        return store

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self._buffers[item.entry.feed].append(item)
        elif isinstance(item, FeedDone):
            articles = self._buffers.pop(item.job.name, [])
            report = self.store.finish_feed(item, articles)
            self.reports.append(report)
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("raqib/reports", self.reports)
        return item
