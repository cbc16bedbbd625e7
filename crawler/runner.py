"""Run the fetch of one crawl cycle in this process (a Twisted reactor cannot restart: one crawl
per process). What is fetched goes to the handler; nothing here parses or stores."""

from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from config.schema import RaqibConfig
from crawler import settings as default_settings
from crawler.handler import FetchHandler
from crawler.items import FeedJob
from crawler.spiders.feeds import FeedsSpider


def scrapy_settings(config: RaqibConfig, log_level: str = "WARNING") -> Settings:
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
            "LOG_LEVEL": log_level,
        },
        priority="cmdline",
    )
    return settings


def fetch(settings: Settings, jobs: list[FeedJob], handler: FetchHandler) -> None:
    """Fetch every job's feed (and the pages the handler asks for); returns when all answered."""
    process = CrawlerProcess(settings)
    process.crawl(process.create_crawler(FeedsSpider), jobs=jobs, handler=handler)
    process.start()
