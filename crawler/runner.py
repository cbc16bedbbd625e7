"""Run the fetch of a crawl in this process; what is fetched goes to the handler, nothing here
parses or stores.

- ``fetch``: one crawl, then the reactor stops (a Twisted reactor cannot restart: one such crawl
  per process). ``raqib crawl`` and the embedded ``raqib run`` use it.
- ``CrawlService``: one reactor kept running in a thread of its own, and one crawl in it per
  ``fetch`` call (Scrapy's ``CrawlerRunner`` runs many crawls in one reactor). A process that
  crawls batch after batch (the distributed mode's crawl process) pays Scrapy's start once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from scrapy.crawler import CrawlerProcess, CrawlerRunner
from scrapy.settings import Settings
from scrapy.utils.log import configure_logging
from scrapy.utils.misc import load_object

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
    process = CrawlerProcess(settings)  # configures logging (as CrawlService.start does)
    _drop_records_below_level(settings)
    process.crawl(process.create_crawler(FeedsSpider), jobs=jobs, handler=handler)
    process.start()


class CrawlService:
    """A reactor running in its own (daemon) thread from ``start`` to ``close``; ``fetch`` runs
    one crawl in it and blocks the calling thread until the crawl ends. The handler's futures
    resolve in other threads as with ``fetch`` above: only the reactor's thread differs.

    Signals stay with the main thread (the reactor installs no handlers): the owner calls
    ``stop`` to end the running crawl early (in-flight requests finish and are handed on)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._runner: CrawlerRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        configure_logging(self.settings)  # as CrawlerProcess does: Scrapy's log on stderr
        _drop_records_below_level(self.settings)
        reactor = _reactor()  # the platform default (TWISTED_REACTOR = None), installed here
        self._runner = CrawlerRunner(self.settings)
        reactor.getThreadPool().adjustPoolsize(maxthreads=self.settings.getint("REACTOR_THREADPOOL_MAXSIZE"))
        self._thread = threading.Thread(
            target=reactor.run,
            kwargs={"installSignalHandlers": False},
            name="raqib-reactor",
            daemon=True,
        )
        self._thread.start()

    def fetch(self, jobs: list[FeedJob], handler: FetchHandler) -> None:
        """Fetch every job's feed (and the pages the handler asks for); returns when all answered
        (or the crawl was stopped)."""
        from twisted.internet.threads import blockingCallFromThread

        blockingCallFromThread(_reactor(), self._crawl, jobs, handler)

    def _crawl(self, jobs: list[FeedJob], handler: FetchHandler) -> Any:
        """On the reactor thread. A fresh name resolver per crawl, as a crawl process has: its
        guard keeps every vetted answer for good, which must not mean for the process's life."""
        runner = self._require()
        resolver_class: Any = load_object(self.settings["TWISTED_DNS_RESOLVER"])
        resolver_class.from_crawler(runner, reactor=_reactor()).install_on_reactor()
        return runner.crawl(FeedsSpider, jobs=jobs, handler=handler)

    def stop(self) -> None:
        """End the running crawl (from any thread): Scrapy finishes what is in flight."""
        if self._runner is not None:
            _reactor().callFromThread(self._runner.stop)

    def close(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        reactor = _reactor()
        reactor.callFromThread(reactor.stop)
        self._thread.join(timeout)
        self._thread = None

    def _require(self) -> CrawlerRunner:
        if self._runner is None:
            raise RuntimeError("CrawlService.start() was not called")
        return self._runner


def _drop_records_below_level(settings: Settings) -> None:
    """Scrapy's logging setup sets its loggers to DEBUG and filters at the handler: a record is
    made, with its caller looked up, for every request, response and redirect (two per feed) only
    to be dropped there. Its loggers get the crawl's level itself, so nothing below it is made."""
    logging.getLogger("scrapy").setLevel(settings["LOG_LEVEL"])


def _reactor() -> Any:
    """The global reactor (imported late: importing it installs the default one, which must wait
    until Scrapy's settings are known; and typed loosely: its interfaces are zope's)."""
    from twisted.internet import reactor

    return reactor
