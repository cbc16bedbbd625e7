"""What a feed's answer means for the feed: not modified, deferred, an error, unchanged bytes, or
a body to parse; and the record a finished feed leaves (``fetch_result``). Pure functions over
the crawler's ``FetchedFeed``."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus

from crawler.items import FeedJob, FetchedFeed
from storage.feed_repo import SUCCESS_STATUSES
from storage.health import next_due
from storage.types import FetchResult, FetchStatus
from stories.types import ArticleFate

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


def failed_result(done: FeedDone, error: str) -> FetchResult:
    """The feed's record when its bytes could not be parsed or stored: an error, validators dropped
    so the next fetch gets the whole feed again."""
    failed = replace(done, status=FetchStatus.ERROR.value, error=error, etag=None, last_modified=None, body_hash=None)
    return fetch_result(failed, Counter(), 0)


def fetch_result(done: FeedDone, fates: Counter[ArticleFate], matched: int) -> FetchResult:
    """The feed's record as stored: what its items became and when it is due again (later after
    each consecutive failure, not before a Retry-After)."""
    status = FetchStatus(done.status)
    if status in SUCCESS_STATUSES:
        failures = 0
    elif status is FetchStatus.DEFERRED:
        failures = done.job.consecutive_failures
    else:
        failures = done.job.consecutive_failures + 1
    due = next_due(done.started_at, done.job.interval, failures)
    if done.retry_after_until is not None:
        due = max(due, done.retry_after_until)
    return FetchResult(
        feed=done.job.name,
        url=done.url,
        started_at=done.started_at,
        finished_at=done.finished_at,
        status=status,
        http_status=done.http_status,
        entries=done.entries,
        new=fates[ArticleFate.NEW],
        updated=fates[ArticleFate.UPDATED],
        seen=fates[ArticleFate.SEEN],
        matched=matched,
        error=done.error,
        etag=done.etag,
        last_modified=done.last_modified,
        body_hash=done.body_hash,
        retry_after_until=done.retry_after_until,
        next_due_at=due,
    )
