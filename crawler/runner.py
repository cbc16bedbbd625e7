"""Run one crawl cycle in this process (a Twisted reactor cannot restart: one crawl per process)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from alerts.channels import active_channels
from config.schema import RaqibConfig
from crawler import settings as default_settings
from crawler.items import FeedJob
from crawler.report import FeedReport
from crawler.spiders.feeds import FeedsSpider
from crawler.store import CrawlStore
from storage import repo
from storage.db import Database
from storage.desk import StoryDesk, StorySettings
from storage.outbox import OutboxWriter
from stories.analysis import Analyser
from stories.concepts import Lexicon
from stories.semantic import load_encoder


class UnknownFeed(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CrawlResult:
    reports: list[FeedReport]
    seconds: float

    @property
    def failed(self) -> bool:
        return any(report.failed for report in self.reports)


def scrapy_settings(config: RaqibConfig) -> Settings:
    """The one door from our config to Scrapy's settings."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    network = config.network
    settings.setdict(
        {
            "USER_AGENT": network.user_agent,
            "DOWNLOAD_TIMEOUT": network.timeout.total_seconds(),
            "DOWNLOAD_MAXSIZE": network.max_bytes,
            "REDIRECT_MAX_TIMES": network.max_redirects,
            "CONCURRENT_REQUESTS_PER_DOMAIN": network.per_host_concurrency,
            "RAQIB_ALLOW_PRIVATE": network.allow_private,
            "RAQIB_PRIVATE_HOSTS": network.private_hosts,
        },
        priority="cmdline",
    )
    return settings


def story_desk(config: RaqibConfig) -> StoryDesk:
    """The story desk as the config sets it: the sentence encoder (loaded once per process),
    each watch's development categories and the story window."""
    # One thread: a report's few sentences are a small batch, and BLAS threads fighting over the
    # cores made it ~7x slower per article (bench/bench_encoder.py 2 against 1).
    encoder = load_encoder(1)
    categorisers = {watch.name: watch.categoriser(encoder) for watch in config.watches}
    settings = StorySettings(window=config.stories.window)
    return StoryDesk(Lexicon(), settings, encoder=encoder, categorisers=categorisers)


def outbox_writer(config: RaqibConfig) -> OutboxWriter | None:
    """Alert rows for the enabled channels, written with each decision (None: no channel)."""
    channels = active_channels(config)
    return OutboxWriter(list(channels.values()), config.web.public_url()) if channels else None


def select_feeds(config: RaqibConfig, names: Sequence[str]) -> list[str]:
    enabled = [feed.name for feed in config.feeds if feed.enabled]
    if not names:
        return enabled
    configured = {feed.name for feed in config.feeds}
    unknown = [name for name in names if name not in configured]
    if unknown:
        raise UnknownFeed(f"no feed named {', '.join(map(repr, unknown))}; configured: {', '.join(sorted(configured))}")
    return list(dict.fromkeys(names))


def build_jobs(config: RaqibConfig, database: Database, names: Sequence[str], *, only_due: bool) -> list[FeedJob]:
    by_name = {feed.name: feed for feed in config.feeds}
    with database.session() as session:
        repo.sync_feeds(session, config.feeds)
        if only_due:
            names = repo.due_feed_names(session, datetime.now(UTC), names)
        states = repo.feed_states(session)
    jobs = []
    for name in names:
        feed, state = by_name[name], states.get(name)
        jobs.append(
            FeedJob(
                name=name,
                url=feed.url,
                language=feed.language,
                fetch_articles=feed.fetch_articles,
                interval=feed.effective_interval(config.schedule),
                etag=state.etag if state else None,
                last_modified=state.last_modified if state else None,
                body_hash=state.body_hash if state else None,
                consecutive_failures=state.consecutive_failures if state else 0,
            )
        )
    return jobs


def run_crawl(
    config: RaqibConfig, names: Sequence[str] = (), *, only_due: bool = False, log_level: str = "WARNING"
) -> CrawlResult:
    """Crawl the named feeds (all enabled ones when empty) once and report per feed."""
    started = time.monotonic()
    selected = select_feeds(config, names)
    database = Database(config.database)
    database.upgrade()
    try:
        jobs = build_jobs(config, database, selected, only_due=only_due)
        if not jobs:
            return CrawlResult([], time.monotonic() - started)
        analyser = Analyser({watch.name: watch.query for watch in config.watches})
        settings = scrapy_settings(config)
        settings.set("LOG_LEVEL", log_level, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(FeedsSpider)
        store = CrawlStore(database, story_desk(config), outbox_writer(config))
        process.crawl(crawler, jobs=jobs, analyser=analyser, known=store)
        process.start()
        stats: Any = crawler.stats
        reports: list[FeedReport] = list(stats.get_value("raqib/reports", []) if stats else [])
        answered = {report.feed for report in reports}
        reports += [_unanswered(job) for job in jobs if job.name not in answered]
        order = {job.name: index for index, job in enumerate(jobs)}
        reports.sort(key=lambda report: order.get(report.feed, len(order)))
        return CrawlResult(reports, time.monotonic() - started)
    finally:
        database.dispose()


def _unanswered(job: FeedJob) -> FeedReport:
    return FeedReport(
        feed=job.name,
        url=job.url,
        status="error",
        http_status=None,
        entries=0,
        new=0,
        updated=0,
        seen=0,
        matched=0,
        seconds=0.0,
        error="the crawl ended before this feed was answered",
    )
