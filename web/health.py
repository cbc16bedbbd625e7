"""Feed health as people see it (pages, API, ``raqib feeds list``): the stored state judged by the
configured interval and the clock, and the address with its secrets masked unless asked."""

from __future__ import annotations

from datetime import datetime

from config.schema import RaqibConfig
from storage.health import feed_health
from storage.read.feeds import FeedRow
from web.redact import mask_url


def judge_feeds(rows: list[FeedRow], config: RaqibConfig, now: datetime, *, reveal: bool = False) -> list[FeedRow]:
    """``rows`` with ``health`` (new | ok | failing | dead | quiet, or disabled in the config) and
    ``configured`` filled in, and their addresses masked unless ``reveal``."""
    configured = {feed.name: feed for feed in config.feeds}
    for row in rows:
        feed = configured.get(row.name)
        row.configured = feed is not None
        interval = feed.effective_interval(config.schedule) if feed is not None else config.schedule.interval
        row.health = feed_health(row, now, interval) if feed is None or feed.enabled else "disabled"
        if not reveal:
            row.url = mask_url(row.url)
    return rows
