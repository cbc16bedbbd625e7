"""Scrapy settings: the fixed part. Per-run values (timeouts, size cap, concurrency, user agent)
come from the validated config through ``crawler.runner.scrapy_settings``, the one door."""

BOT_NAME = "raqib"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "Raqib/0.1 (+https://github.com/raqib/raqib; news monitor)"
# Feeds are published to be fetched by readers; robots.txt rules are meant for crawlers of pages.
ROBOTSTXT_OBEY = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Twisted's default reactor (epoll on Linux), not Scrapy's asyncio one: with asyncio every request
# to a host with one or two free slots stalled for tens of milliseconds (measured 60-70 ms against
# 2-8 ms per request on loopback), which made 300 unchanged feeds cost seconds. Nothing here needs
# asyncio.
TWISTED_REACTOR = None  # the platform default: epoll on Linux
# One crawl is one short process: no periodic stats or memory polling, no remote or telnet
# console, no feed exports, no throttling. Replacing the base list (rather than setting entries
# to None) also keeps Scrapy from importing them: the remote console alone pulls in aiohttp.
# Nothing reads the crawl's statistics either: no extension at all, and a collector that keeps none
# (every request and response otherwise updates a dozen counters through signal handlers).
EXTENSIONS_BASE: dict[str, int] = {}
STATS_CLASS = "scrapy.statscollectors.DummyStatsCollector"
# The versions of ten packages Scrapy logs at INFO as a crawl starts: looked up (package metadata
# read from disk, ``uname -p`` run in a child process) even when the log level drops the line,
# ~20 ms of every crawl.
LOG_VERSIONS: list[str] = []

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False
# A failed feed is tried again on its next cycle; retrying inside a cycle only delays the report.
RETRY_ENABLED = False
HTTPCACHE_ENABLED = False
# Only http(s) has a handler: a redirect or a link to file://, ftp://, s3:// or data: cannot be fetched.
DOWNLOAD_HANDLERS = {"file": None, "s3": None, "ftp": None, "data": None}
# Conditional GET is done by hand, against validators kept per feed in the database.
# Connections go only to the addresses the guard vetted (net.guard): resolved once, never again.
TWISTED_DNS_RESOLVER = "crawler.resolver.PinnedResolver"
RAQIB_HOST_RESOLVER = "net.guard.resolve_host"
# Test seam only, never set in production: which addresses count as public. Tests (and only
# tests, tests/support/dns.py) replace it so that a loopback address plays the public server.
RAQIB_ADDRESS_CLASSIFIER = "net.guard.is_public_address"
RAQIB_ALLOW_PRIVATE = False
RAQIB_PRIVATE_HOSTS: list[str] = []
# A proxy from the environment would resolve names itself, past the guard.
HTTPPROXY_ENABLED = False
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SafeFetchMiddleware": 50,
    "crawler.middlewares.RedirectWithoutReferer": 600,
}
# Scrapy's own downloader middlewares, without those the settings above switch off (robots.txt,
# cookies, retries, meta refresh, proxies, the HTTP cache) and HTTP auth (no spider sets it):
# left in the base list they are still imported, and the cookies one alone pulls in tldextract,
# requests and urllib3 (~75 ms of every crawl's start).
# Nor the offsite filter (the spider names no allowed domains: it had nothing to refuse), the
# download statistics, or the default-headers and user-agent ones (the spider writes Accept and
# User-Agent into each request itself): each middleware is a step every request and response
# goes through. Redirects are followed by our subclass of Scrapy's (crawler.middlewares).
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
}
# Spider middlewares wrap every callback's output in one more async generator each: kept are those
# that matter here (start requests queued apart, failed statuses to the errback). No referer
# (a monitor has no reason to tell a site which feed linked to its page) and no cap on URL length
# here: the spider refuses an article URL that is too long itself, as that page's error (Scrapy's
# middleware dropped the request without a word, and its feed then waited for the page forever).
# Depth statistics and the meta-copy warning are left out too.
SPIDER_MIDDLEWARES_BASE = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
}
URLLENGTH_LIMIT = 2083
# Nothing is yielded as an item: every answer goes to the handler the spider is given.
ITEM_PIPELINES: dict[str, int] = {}
# A response being handed on counts against this until the handler has answered; feeds are
# parsed in worker processes, so many may be in flight at once without holding up the downloads.
# What a callback yields is only article-page requests, and Scrapy starts CONCURRENT_ITEMS
# cooperative tasks (100 by default) for every response's output: 30,000 idle tasks for 300
# feeds answering 304, measured at a third of such a cycle's reactor time.
CONCURRENT_ITEMS = 1
# Scrapy starts no new download while the answers being handed on (fetched, not yet parsed and
# stored: the spider awaits the handler) hold more than this many bytes. From a host that answers
# at once, 300 feeds were all downloaded in a second and up to 264 waited as bytes for the one
# parse worker: the crawl process held ~25 MiB more at its peak (300 x 50 at 2 %: summed RSS 309
# MiB at 64 MiB; 284 MiB at 2 MiB, ~95 feeds waiting, with the first cycle as fast). A feed larger
# than this alone is still fetched; only new downloads wait for it.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 2 * 1024 * 1024
LOG_LEVEL = "WARNING"
