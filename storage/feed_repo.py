"""Feeds and their fetch record: the configured feeds synced into rows, each fetch's outcome
recorded (health, validators, schedule) in bulk, the due feeds, and the fetch log the CLI and the
web page show. Every function takes an open connection or session (``storage.db.Executor``),
runs Core statements on it and leaves committing to its caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Row, bindparam, case, func, insert, select, update

from .chunking import IN_CHUNK, in_chunks
from .db import Executor, core
from .tables import feeds
from .tables import fetch_log as fetch_log_table
from .types import FeedSpec, FeedState, FetchLogRow, FetchResult, FetchStatus

SUCCESS_STATUSES = frozenset({FetchStatus.OK, FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED})


class UnknownFeedError(LookupError):
    """A feed name that sync_feeds has not stored: the caller skipped syncing the config."""


def sync_feeds(db: Executor, specs: Iterable[FeedSpec]) -> None:
    """Store the configured feeds by name: insert new ones, update url and language of known ones.

    Feeds missing from the config are kept: their articles and history stay browsable.
    A changed URL is another resource, so the HTTP validators of the old one are dropped.
    """
    connection = core(db)
    wanted = {spec.name: spec for spec in specs}  # a name given twice: its last spec, as before
    stored = {row.name: row for row in _feeds_named(connection, wanted)}
    new = [
        {"name": spec.name, "url": spec.url, "language": spec.language, "consecutive_failures": 0}
        for name, spec in wanted.items()
        if name not in stored
    ]
    if new:
        connection.execute(insert(feeds), new)
    moved = [
        {"feed_id": row.id, "url": wanted[name].url} for name, row in stored.items() if row.url != wanted[name].url
    ]
    if moved:
        connection.execute(
            update(feeds)
            .where(feeds.c.id == bindparam("feed_id"))
            .values(url=bindparam("url"), etag=None, last_modified=None, body_hash=None),
            moved,
        )
    relabelled = [
        {"feed_id": row.id, "language": wanted[name].language}
        for name, row in stored.items()
        if row.language != wanted[name].language
    ]
    if relabelled:
        connection.execute(
            update(feeds).where(feeds.c.id == bindparam("feed_id")).values(language=bindparam("language")),
            relabelled,
        )
    _expire_feeds_of(db)


def feed_states(db: Executor, names: Collection[str] | None = None) -> dict[str, FeedState]:
    """Every stored feed's state, or those of ``names`` (a crawl batch reads its own, not all)."""
    connection = core(db)
    if names is not None:
        rows = sorted(_feeds_named(connection, names), key=lambda row: row.name)
    else:
        rows = list(connection.execute(select(feeds).order_by(feeds.c.name)))
    return {row.name: _feed_state(row) for row in rows}


def _feeds_named(connection: Connection, names: Collection[str]) -> list[Row[Any]]:
    """The stored feeds among ``names``: what a crawl batch costs grows with the batch, not with
    every configured feed (a worker's 100-feed batch among 20,000 feeds). More names than one
    ``IN`` list holds (the whole config, as the scheduler syncs it): one scan of the table, kept in
    Python; many ``IN`` lists over a big table cost far more than reading it once."""
    wanted = set(names)
    if len(wanted) > IN_CHUNK:
        return [row for row in connection.execute(select(feeds)) if row.name in wanted]
    if not wanted:
        return []
    return list(connection.execute(select(feeds).where(feeds.c.name.in_(sorted(wanted)))))


def due_feed_names(db: Executor, now: datetime, names: Collection[str]) -> list[str]:
    """Among ``names`` (the enabled feeds, already synced), those due at ``now``, never-due first."""
    connection = core(db)
    c = feeds.c
    due: list[tuple[datetime | None, str]] = []
    for chunk in in_chunks(sorted(names)):
        rows = connection.execute(
            select(c.next_due_at, c.name).where(
                c.name.in_(chunk),
                (c.next_due_at.is_(None)) | (c.next_due_at <= now),
                (c.retry_after_until.is_(None)) | (c.retry_after_until <= now),
            )
        )
        due.extend((row.next_due_at, row.name) for row in rows)
    # Sorted here rather than in SQL because the names may span several IN chunks.
    due.sort(key=lambda item: (item[0] is not None, item[0] or now, item[1]))
    return [name for _, name in due]


def record_fetch(db: Executor, result: FetchResult) -> None:
    """Log one fetch and update the feed's health from it."""
    record_fetches(db, [result])


def record_fetches(db: Executor, results: Sequence[FetchResult], known_ids: Mapping[str, int] | None = None) -> None:
    """Log fetches and update each feed's health from them, in bulk: one INSERT and one UPDATE
    executemany for all (in order: a feed fetched twice ends with the health of its last fetch).
    ``known_ids``: feed name -> id as the caller read them (a crawl, at its start), which saves
    looking them up again per batch of records; names not in it are looked up."""
    if not results:
        return
    connection = core(db)
    names = {result.feed for result in results}
    ids = {name: known_ids[name] for name in names if name in known_ids} if known_ids else {}
    ids.update(feed_ids(connection, names - ids.keys()))
    unknown = [result.feed for result in results if result.feed not in ids]
    if unknown:
        raise UnknownFeedError(f"feed {unknown[0]!r} is not stored; call sync_feeds with the config first")
    connection.execute(
        insert(fetch_log_table),
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
    _expire_feeds_of(db)


def _expire_feeds_of(db: Executor) -> None:
    """A session's Feed objects are stale after a Core write of their rows: reloaded when next read."""
    if isinstance(db, Connection):
        return
    for held in list(db.identity_map.values()):
        if getattr(type(held), "__table__", None) is feeds:
            db.expire(held)


def _health_statement() -> Any:
    """A feed's health after one fetch, as one UPDATE whose parameters say what changes: the
    failure count is reset, counted up or kept; validators and times kept when the fetch gave none."""
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
        error = result.error  # a usable but malformed feed (not well-formed XML) records its problem
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


def fetch_log(db: Executor, feed: str | None = None, limit: int = 50) -> list[FetchLogRow]:
    """The latest fetches, newest first, optionally of one feed."""
    log = fetch_log_table
    query = select(log, feeds.c.name.label("feed")).join(feeds, log.c.feed_id == feeds.c.id)
    if feed is not None:
        query = query.where(feeds.c.name == feed)
    query = query.order_by(log.c.started_at.desc(), log.c.id.desc()).limit(limit)
    return [_fetch_log_row(row) for row in core(db).execute(query)]


def _feed_state(row: Row[Any]) -> FeedState:
    return FeedState(
        name=row.name,
        url=row.url,
        language=row.language,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        last_fetch_at=row.last_fetch_at,
        last_status=row.last_status,
        last_error=row.last_error,
        consecutive_failures=row.consecutive_failures,
        next_due_at=row.next_due_at,
        retry_after_until=row.retry_after_until,
        last_new_entry_at=row.last_new_entry_at,
        last_success_at=row.last_success_at,
        created_at=row.created_at,
    )


def _fetch_log_row(row: Row[Any]) -> FetchLogRow:
    return FetchLogRow(
        id=row.id,
        feed=row.feed,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        http_status=row.http_status,
        url=row.url,
        entries=row.entries,
        new=row.new,
        updated=row.updated,
        seen=row.seen,
        matched=row.matched,
        error=row.error,
    )


def feed_id(db: Executor, name: str) -> int:
    found = feed_ids(db, [name])
    if name not in found:
        raise UnknownFeedError(f"feed {name!r} is not stored; call sync_feeds with the config first")
    return found[name]


def feed_ids(db: Executor, names: Collection[str] | None = None) -> dict[str, int]:
    """Feed name -> id, of ``names`` or of every stored feed."""
    connection = core(db)
    query = select(feeds.c.id, feeds.c.name)
    if names is None:
        return {name: id_ for id_, name in connection.execute(query)}
    ids: dict[str, int] = {}
    wanted = set(names)
    if len(wanted) > IN_CHUNK:  # as _feeds_named: one scan rather than many IN lists
        return {name: id_ for id_, name in connection.execute(query) if name in wanted}
    for chunk in in_chunks(sorted(wanted)):
        ids.update((name, id_) for id_, name in connection.execute(query.where(feeds.c.name.in_(chunk))))
    return ids
