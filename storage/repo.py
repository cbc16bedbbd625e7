"""Repository functions: the SQL the crawler, the CLI and the web page need, nothing more.

Every function takes an open ``Session`` (from ``Database.session()``, or ``read_session()`` for
reading) and leaves committing to its caller, so a stage writes its whole batch in one transaction.
The decisions (identity, matching, events) are made in ``stories/`` and strung together in
``ingest/``; these functions only record them, in bulk where a crawl writes many.
Callers get plain dataclasses from ``storage.types``, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Boolean, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from stories.types import Entry

from . import bands, search_index
from .models import Article, Feed, FetchLogEntry, UndecidedMatch, WatchMatch
from .types import (
    ArticleIndex,
    FeedSpec,
    FeedState,
    FetchLogRow,
    FetchResult,
    FetchStatus,
    NewArticle,
    Undecided,
)

__all__ = [
    "FeedSpec",
    "FeedState",
    "FetchLogRow",
    "FetchResult",
    "FetchStatus",
    "UnknownFeedError",
    "due_feed_names",
    "feed_states",
    "fetch_log",
    "known_content_hashes",
    "record_fetch",
    "record_fetches",
    "sync_feeds",
]

# Well under SQLite's bound-parameter limit (32766 since 3.32, 999 before) and PostgreSQL's 65535.
IN_CHUNK = 500
SUCCESS_STATUSES = frozenset({FetchStatus.OK, FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED})

T = TypeVar("T")


class UnknownFeedError(LookupError):
    """A feed name that sync_feeds has not stored: the caller skipped syncing the config."""


# --- feeds ---------------------------------------------------------------------------------


def sync_feeds(session: Session, feeds: Iterable[FeedSpec]) -> None:
    """Store the configured feeds by name: insert new ones, update url and language of known ones.

    Feeds missing from the config are kept: their articles and history stay browsable.
    A changed URL is another resource, so the HTTP validators of the old one are dropped.
    """
    stored = {feed.name: feed for feed in session.scalars(select(Feed))}
    for spec in feeds:
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


def feed_states(session: Session) -> dict[str, FeedState]:
    return {feed.name: _feed_state(feed) for feed in session.scalars(select(Feed).order_by(Feed.name))}


def due_feed_names(session: Session, now: datetime, names: Collection[str]) -> list[str]:
    """Among ``names`` (the enabled feeds, already synced), those due at ``now``, never-due first."""
    due: list[tuple[datetime | None, str]] = []
    for chunk in _chunks(sorted(names)):
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


def record_fetches(session: Session, results: Sequence[FetchResult]) -> None:
    """Log fetches and update each feed's health from them, in bulk: one INSERT and one UPDATE
    executemany for all (in order: a feed fetched twice ends with the health of its last fetch)."""
    if not results:
        return
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted({result.feed for result in results})):
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


# --- articles ------------------------------------------------------------------------------


def known_content_hashes(session: Session, identities: Collection[str]) -> dict[str, str]:
    """identity -> content_hash for the identities already stored (the crawler's "seen?" check)."""
    known: dict[str, str] = {}
    for chunk in _chunks(sorted(set(identities))):
        rows = session.execute(select(Article.identity, Article.content_hash).where(Article.identity.in_(chunk)))
        known.update((row.identity, row.content_hash) for row in rows)
    return known


def insert_articles(session: Session, rows: Sequence[NewArticle]) -> dict[str, int]:
    """Insert the rows whose identity is not stored yet, and their search rows, in bulk; returns
    identity -> id of those inserted (an identity another process stored first is left out)."""
    inserted: dict[str, int] = {}
    for chunk in _chunks(list(rows)):
        values = [
            {
                "feed_id": row.feed_id,
                "identity": row.identity,
                "guid": row.guid,
                "url": row.url,
                "canonical_url": row.canonical_url,
                "title": row.title,
                "summary": row.summary,
                "text": row.text,
                "language": row.language,
                "published_at": row.published_at,
                "fetched_at": row.fetched_at,
                "updated_at": row.fetched_at,
                "event_at": row.event_at,
                "content_hash": row.content_hash,
                "revisions": 0,
            }
            for row in chunk
        ]
        table = Article.__table__
        statement = _insert(session, table).on_conflict_do_nothing(index_elements=["identity"])
        # Core, not the ORM's bulk path: one executemany with RETURNING, no per-row bookkeeping.
        result = session.connection().execute(
            statement.returning(table.c.id, table.c.identity, sort_by_parameter_order=True), values
        )
        inserted.update((identity, article_id) for article_id, identity in result)
        content = {row.identity: row for row in chunk}
        search_index.index_rows(
            session,
            [
                (article_id, content[identity].language, content[identity].search_content)
                for identity, article_id in inserted.items()
                if identity in content
            ],
        )
    return inserted


def _insert(session: Session, table: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def write_article_index(session: Session, indexes: Sequence[ArticleIndex], *, revised: bool = False) -> None:
    """Store the fingerprints, signatures and features of matched articles and their band keys."""
    if not indexes:
        return
    table: Any = Article.__table__
    # Core, not the ORM's bulk update: one executemany without the ORM's per-call bookkeeping
    # (a crawl writes one small batch per feed).
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("article_id"))
        .values(fingerprint=bindparam("fingerprint"), signature=bindparam("signature"), features=bindparam("features")),
        [
            {
                "article_id": index.article_id,
                "fingerprint": index.fingerprint,
                "signature": index.signature,
                "features": index.features,
            }
            for index in indexes
        ],
    )
    for index in indexes:
        if revised:
            bands.remove_bands(session, index.article_id)
    bands.add_band_rows(session, [(key, index.article_id) for index in indexes for key in index.band_keys])


def find_article(session: Session, identity: str, *, lock: bool = False) -> Article | None:
    query = select(Article).where(Article.identity == identity)
    if lock:
        # Re-read under a row lock (PostgreSQL; SQLite holds the write lock already) so that two
        # processes revising the same article do not both bump it from the same old state.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def articles_by_id(session: Session, ids: Collection[int]) -> dict[int, Article]:
    found: dict[int, Article] = {}
    for chunk in _chunks(sorted(set(ids))):
        found.update((article.id, article) for article in session.scalars(select(Article).where(Article.id.in_(chunk))))
    return found


def feed_id(session: Session, name: str) -> int:
    return _feed_by_name(session, name).id


def feed_ids(session: Session) -> dict[str, int]:
    return {name: feed_id for feed_id, name in session.execute(select(Feed.id, Feed.name))}


def revise_article(session: Session, article: Article, entry: Entry, content_hash: str, now: datetime) -> None:
    """A stored report with new text: keep it, count the revision, re-index it for search."""
    article.title = entry.title
    article.summary = entry.summary
    article.text = entry.text
    article.content_hash = content_hash
    article.updated_at = now
    article.revisions += 1
    search_index.index_article(session, article)


def matches_of(session: Session, article_id: int) -> dict[str, WatchMatch]:
    return {
        match.watch: match for match in session.scalars(select(WatchMatch).where(WatchMatch.article_id == article_id))
    }


def add_match(
    session: Session,
    article_id: int,
    watch: str,
    terms: Sequence[str],
    story_id: int,
    event: str,
    explanation: dict[str, Any],
    now: datetime,
) -> WatchMatch:
    match = WatchMatch(
        article_id=article_id,
        watch=watch,
        terms=list(terms),
        story_id=story_id,
        event=event,
        explanation=explanation,
        created_at=now,
    )
    session.add(match)
    session.flush()  # the alert's event id derives from the match row's id
    return match


# --- the decide queue ----------------------------------------------------------------------


def add_undecided(session: Session, rows: Sequence[Undecided]) -> None:
    if not rows:
        return
    statement = _insert(session, UndecidedMatch.__table__).on_conflict_do_nothing(
        index_elements=["article_id", "watch"]
    )
    session.connection().execute(
        statement,
        [
            {
                "article_id": r.article_id,
                "watch": r.watch,
                "terms": r.terms,
                "event_at": r.event_at,
                "history": r.history,
            }
            for r in rows
        ],
    )


def undecided(session: Session, watch: str, limit: int, article_ids: Collection[int] | None = None) -> list[Undecided]:
    """The watch's matches waiting for a decision, oldest event first (ties: stored first)."""
    query = select(UndecidedMatch).where(UndecidedMatch.watch == watch)
    if article_ids is not None:
        query = query.where(UndecidedMatch.article_id.in_(sorted(article_ids)))
    rows = session.scalars(query.order_by(UndecidedMatch.event_at, UndecidedMatch.article_id).limit(limit))
    return [Undecided(r.article_id, r.watch, list(r.terms), r.event_at, r.history) for r in rows]


def undecided_watches(session: Session) -> list[str]:
    return sorted(session.scalars(select(UndecidedMatch.watch).distinct()))


def remove_undecided(session: Session, watch: str, article_ids: Collection[int]) -> None:
    for chunk in _chunks(sorted(article_ids)):
        session.execute(
            delete(UndecidedMatch).where(UndecidedMatch.watch == watch, UndecidedMatch.article_id.in_(chunk))
        )


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]
