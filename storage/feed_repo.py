"""Feeds and their fetch record: the configured feeds synced into rows, each fetch's outcome
recorded (health, validators, schedule) in bulk, the due feeds, and the fetch log the CLI and the
web page show. Every function takes an open ``Session`` and leaves committing to its caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from .chunking import IN_CHUNK, in_chunks
from .models import Feed, FetchLogEntry
from .types import FeedSpec, FeedState, FetchLogRow, FetchResult, FetchStatus

SUCCESS_STATUSES = frozenset({FetchStatus.OK, FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED})


class UnknownFeedError(LookupError):
    """A feed name that sync_feeds has not stored: the caller skipped syncing the config."""


def sync_feeds(session: Session, feeds: Iterable[FeedSpec]) -> None:
    """Store the configured feeds by name: insert new ones, update url and language of known ones.

    Feeds missing from the config are kept: their articles and history stay browsable.
    A changed URL is another resource, so the HTTP validators of the old one are dropped.
    """
    specs = list(feeds)
    stored = {feed.name: feed for feed in _feeds_named(session, [spec.name for spec in specs])}
    for spec in specs:
        feed = stored.get(spec.name)
        if feed is None:
            feed = Feed(name=spec.name, url=spec.url, language=spec.language, consecutive_failures=0)
            session.add(feed)
            stored[spec.name] = feed
            continue
        if feed.url != spec.url:
            feed.url = spec.url
            feed.etag = feed.last_modified = feed.body_hash = None
        feed.language = spec.language
    session.flush()


def feed_states(session: Session, names: Collection[str] | None = None) -> dict[str, FeedState]:
    """Every stored feed's state, or those of ``names`` (a crawl batch reads its own, not all)."""
    if names is not None:
        return {feed.name: _feed_state(feed) for feed in sorted(_feeds_named(session, names), key=lambda f: f.name)}
    return {feed.name: _feed_state(feed) for feed in session.scalars(select(Feed).order_by(Feed.name))}


def _feeds_named(session: Session, names: Collection[str]) -> list[Feed]:
    """The stored feeds among ``names``: what a crawl batch costs grows with the batch, not with
    every configured feed (a worker's 100-feed batch among 20,000 feeds). More names than one
    ``IN`` list holds (the whole config, as the scheduler syncs it): one scan of the table, kept in
    Python; many ``IN`` lists over a big table cost far more than reading it once."""
    wanted = set(names)
    if len(wanted) > IN_CHUNK:
        return [feed for feed in session.scalars(select(Feed)) if feed.name in wanted]
    return list(session.scalars(select(Feed).where(Feed.name.in_(sorted(wanted))))) if wanted else []


def due_feed_names(session: Session, now: datetime, names: Collection[str]) -> list[str]:
    """Among ``names`` (the enabled feeds, already synced), those due at ``now``, never-due first."""
    due: list[tuple[datetime | None, str]] = []
    for chunk in in_chunks(sorted(names)):
        rows = session.execute(
            select(Feed.next_due_at, Feed.name).where(
                Feed.name.in_(chunk),
                (Feed.next_due_at.is_(None)) | (Feed.next_due_at <= now),
                (Feed.retry_after_until.is_(None)) | (Feed.retry_after_until <= now),
            )
        )
        due.extend((row.next_due_at, row.name) for row in rows)
    # Sorted here rather than in SQL because the names may span several IN chunks.
    due.sort(key=lambda item: (item[0] is not None, item[0] or now, item[1]))
    return [name for _, name in due]


def record_fetch(session: Session, result: FetchResult) -> None:
    """Log one fetch and update the feed's health from it."""
    record_fetches(session, [result])


def record_fetches(
    session: Session, results: Sequence[FetchResult], known_ids: Mapping[str, int] | None = None
) -> None:
    """Log fetches and update each feed's health from them, in bulk: one INSERT and one UPDATE
    executemany for all (in order: a feed fetched twice ends with the health of its last fetch).
    ``known_ids``: feed name -> id as the caller read them (a crawl, at its start), which saves
    looking them up again per batch of records; names not in it are looked up."""
    if not results:
        return
    names = {result.feed for result in results}
    ids = {name: known_ids[name] for name in names if name in known_ids} if known_ids else {}
    for chunk in in_chunks(sorted(names - ids.keys())):
        ids.update(
            (name, feed_id) for feed_id, name in session.execute(select(Feed.id, Feed.name).where(Feed.name.in_(chunk)))
        )
    unknown = [result.feed for result in results if result.feed not in ids]
    if unknown:
        raise UnknownFeedError(f"feed {unknown[0]!r} is not stored; call sync_feeds with the config first")
    session.flush()  # the Core statements below go past the ORM: nothing of it may be pending
    connection = session.connection()
    connection.execute(
        insert(FetchLogEntry),
        [
            {
                "feed_id": ids[result.feed],
                "started_at": result.started_at,
                "finished_at": result.finished_at,
                "status": result.status.value,
                "http_status": result.http_status,
                "url": result.url,
                "entries": result.entries,
                "new": result.new,
                "updated": result.updated,
                "seen": result.seen,
                "matched": result.matched,
                "error": result.error,
            }
            for result in results
        ],
    )
    connection.execute(_HEALTH_UPDATE, [_health(ids[result.feed], result) for result in results])
    for held in list(session.identity_map.values()):  # Feed rows this session read are stale now
        if isinstance(held, Feed):
            session.expire(held)


def _health_statement() -> Any:
    """A feed's health after one fetch, as one UPDATE whose parameters say what changes: the
    failure count is reset, counted up or kept; validators and times kept when the fetch gave none."""
    feeds: Any = Feed.__table__
    c = feeds.c

    def param(name: str, column: Any) -> Any:
        return bindparam(name, type_=column.type)

    return (
        update(feeds)
        .where(c.id == bindparam("feed_id"))
        .values(
            last_fetch_at=param("fetched_at", c.last_fetch_at),
            last_status=param("status", c.last_status),
            last_error=case((bindparam("set_error", type_=Boolean), param("error", c.last_error)), else_=c.last_error),
            consecutive_failures=case(
                (bindparam("reset", type_=Boolean), 0),
                (bindparam("failed", type_=Boolean), c.consecutive_failures + 1),
                else_=c.consecutive_failures,
            ),
            next_due_at=param("next_due_at", c.next_due_at),
            retry_after_until=param("retry_after_until", c.retry_after_until),
            # A 304 or an error carries no validators; the stored ones stay valid for the next request.
            etag=func.coalesce(param("etag", c.etag), c.etag),
            last_modified=func.coalesce(param("last_modified", c.last_modified), c.last_modified),
            body_hash=func.coalesce(param("body_hash", c.body_hash), c.body_hash),
            last_new_entry_at=func.coalesce(param("new_entry_at", c.last_new_entry_at), c.last_new_entry_at),
            last_success_at=func.coalesce(param("success_at", c.last_success_at), c.last_success_at),
        )
    )


_HEALTH_UPDATE = _health_statement()


def _health(feed_id: int, result: FetchResult) -> dict[str, Any]:
    success = result.status in SUCCESS_STATUSES
    failed = result.status is FetchStatus.ERROR
    if success:
        error = result.error  # a usable but malformed feed (feedparser's bozo) records its problem
    elif failed:
        error = result.error or "error"
    else:
        error = result.error  # deferred: the server asked us to wait, not a failure
    return {
        "feed_id": feed_id,
        "fetched_at": result.finished_at,
        "status": result.status.value,
        "set_error": success or failed or result.error is not None,
        "error": error,
        "reset": success,
        "failed": failed,
        "next_due_at": result.next_due_at,
        "retry_after_until": result.retry_after_until,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "body_hash": result.body_hash,
        "new_entry_at": result.finished_at if result.new > 0 else None,
        "success_at": result.finished_at if success else None,
    }


def fetch_log(session: Session, feed: str | None = None, limit: int = 50) -> list[FetchLogRow]:
    """The latest fetches, newest first, optionally of one feed."""
    query = select(FetchLogEntry, Feed.name).join(Feed, FetchLogEntry.feed_id == Feed.id)
    if feed is not None:
        query = query.where(Feed.name == feed)
    query = query.order_by(FetchLogEntry.started_at.desc(), FetchLogEntry.id.desc()).limit(limit)
    return [_fetch_log_row(entry, name) for entry, name in session.execute(query)]


def _feed_by_name(session: Session, name: str) -> Feed:
    feed = session.scalars(select(Feed).where(Feed.name == name)).one_or_none()
    if feed is None:
        raise UnknownFeedError(f"feed {name!r} is not stored; call sync_feeds with the config first")
    return feed


def _feed_state(feed: Feed) -> FeedState:
    return FeedState(
        name=feed.name,
        url=feed.url,
        language=feed.language,
        etag=feed.etag,
        last_modified=feed.last_modified,
        body_hash=feed.body_hash,
        last_fetch_at=feed.last_fetch_at,
        last_status=feed.last_status,
        last_error=feed.last_error,
        consecutive_failures=feed.consecutive_failures,
        next_due_at=feed.next_due_at,
        retry_after_until=feed.retry_after_until,
        last_new_entry_at=feed.last_new_entry_at,
        last_success_at=feed.last_success_at,
        created_at=feed.created_at,
    )


def _fetch_log_row(entry: FetchLogEntry, feed: str) -> FetchLogRow:
    return FetchLogRow(
        id=entry.id,
        feed=feed,
        started_at=entry.started_at,
        finished_at=entry.finished_at,
        status=entry.status,
        http_status=entry.http_status,
        url=entry.url,
        entries=entry.entries,
        new=entry.new,
        updated=entry.updated,
        seen=entry.seen,
        matched=entry.matched,
        error=entry.error,
    )


def feed_id(session: Session, name: str) -> int:
    return _feed_by_name(session, name).id


def feed_ids(session: Session, names: Collection[str] | None = None) -> dict[str, int]:
    if names is not None:
        return {feed.name: feed.id for feed in _feeds_named(session, names)}
    return {name: feed_id for feed_id, name in session.execute(select(Feed.id, Feed.name))}
