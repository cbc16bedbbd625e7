"""What a feed's answer means for the feed: not modified, deferred, an error, unchanged bytes, or
a body to parse. Pure functions over the crawler's ``FetchedFeed``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus

from crawler.items import FeedJob, FetchedFeed

# A Retry-After further out than this is treated as this: a typo on the server must not silence
# a feed for a year.
MAX_RETRY_AFTER = timedelta(days=2)
_DEFERRING_STATUSES = {429, 503}


@dataclass(frozen=True, slots=True)
class FeedDone:
    """The end of one feed's fetch as it will be recorded (its articles are stored with it)."""

    job: FeedJob
    started_at: datetime
    finished_at: datetime
    status: str  # a storage FetchStatus value
    http_status: int | None
    url: str
    entries: int = 0
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    retry_after_until: datetime | None = None


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as delay-seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    when: datetime | None
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
    return min(max(when, now), now + MAX_RETRY_AFTER)


def classify(fetched: FetchedFeed, started: datetime, now: datetime) -> FeedDone:
    """The record of a fetch; status "ok" means the body is to be parsed (``entries`` follow)."""
    base = FeedDone(
        job=fetched.job,
        started_at=started,
        finished_at=now,
        status="ok",
        http_status=fetched.http_status,
        url=fetched.url,
    )
    status = fetched.http_status
    if status is None:
        return replace(base, status="error", error=fetched.error or "no answer")
    if status == 304:
        return replace(base, status="not_modified")
    if status in _DEFERRING_STATUSES:
        until = parse_retry_after(fetched.retry_after, now)
        reason = f"HTTP {status} {_reason(status)}"
        if until is None:
            return replace(base, status="error", error=reason)
        return replace(
            base,
            status="deferred",
            error=f"{reason}: server asks to retry after {until:%Y-%m-%d %H:%M:%S} UTC",
            retry_after_until=until,
        )
    if status >= 400:
        return replace(base, status="error", error=f"HTTP {status} {_reason(status)}")
    body_hash = hashlib.sha256(fetched.body).hexdigest()
    validators = replace(base, etag=fetched.etag, last_modified=fetched.last_modified, body_hash=body_hash)
    if fetched.job.body_hash == body_hash:
        # The server ignored our validators (or has none) but sent the same bytes: skip parsing.
        return replace(validators, status="unchanged")
    return validators


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
