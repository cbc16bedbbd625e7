"""Repository functions for articles, their matches and the decide stage's queue: the SQL the
crawler, the CLI and the web page need, nothing more (feeds and their fetch record are in
``storage.feed_repo``, stories in ``storage.story_repo``).

Every function takes an open ``Session`` (from ``Database.session()``, or ``read_session()`` for
reading) and leaves committing to its caller, so a stage writes its whole batch in one transaction.
The decisions (identity, matching, events) are made in ``stories/`` and strung together in
``ingest/``; these functions only record them, in bulk where a crawl writes many.
Callers get plain dataclasses from ``storage.types``, never ORM objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from stories.types import Entry

from . import bands, search_index
from .chunking import IN_CHUNK, in_chunks
from .models import Article, UndecidedMatch, WatchMatch
from .types import ArticleIndex, NewArticle, Undecided

# --- articles ------------------------------------------------------------------------------


def known_content_hashes(session: Session, identities: Collection[str]) -> dict[str, str]:
    """identity -> content_hash for the identities already stored (the crawler's "seen?" check)."""
    known: dict[str, str] = {}
    session.flush()  # as a query through the session would: what it holds unwritten is looked at too
    connection = session.connection()
    wanted = sorted(set(identities))
    # Through the driver: asked once per feed batch, where the ORM's statement building and
    # row processing cost more than the lookup.
    if connection.dialect.name == "sqlite":
        for chunk in in_chunks(wanted):
            statement = f"SELECT identity, content_hash FROM articles WHERE identity IN ({', '.join('?' * len(chunk))})"
            known.update(connection.exec_driver_sql(statement, tuple(chunk)).tuples().all())
    elif wanted:
        driver = connection.connection.driver_connection
        assert driver is not None
        known.update(driver.execute(_KNOWN_HASHES, (wanted,), prepare=False).fetchall())
    return known


# PostgreSQL: the identities as one array, and the statement never prepared (``prepare=False``):
# a prepared statement gets a generic plan after five runs, and one made while the table was
# small is a sequential scan that grows with the table. On one connection over 300 new feeds
# (bench_store) it took PostgreSQL's CPU per stored item from 0.109 ms to 0.298 ms.
_KNOWN_HASHES = "SELECT identity, content_hash FROM articles WHERE identity = ANY(%b::varchar[])"


def insert_articles(session: Session, rows: Sequence[NewArticle]) -> dict[str, int]:
    """Insert the rows whose identity is not stored yet, and their search rows, in bulk; returns
    identity -> id of those inserted (an identity another process stored first is left out)."""
    connection = session.connection()
    if not rows:
        return {}
    # Straight through the driver, with the values already in the driver's form: SQLAlchemy's
    # per-row parameter processing (a type decorator and a bind processor per timestamp, a dict
    # per row) was a quarter of the crawl writer's time. RETURNING names each new row's identity,
    # so ON CONFLICT may skip rows.
    if connection.dialect.name == "sqlite":
        return _insert_sqlite(connection, rows)
    return _insert_postgresql(connection, rows)


def _insert_sqlite(connection: Connection, rows: Sequence[NewArticle]) -> dict[str, int]:
    """One multi-row INSERT per chunk, then the chunk's search rows."""
    inserted: dict[str, int] = {}
    for chunk in _article_chunks(rows):
        statement = _INSERT_ARTICLES.format(
            columns=", ".join(_ARTICLE_COLUMNS),
            rows=", ".join([f"({', '.join('?' * len(_ARTICLE_COLUMNS))})"] * len(chunk)),
        )
        values: list[Any] = []
        for row in chunk:
            values += _article_values(row, _sqlite_utc)
        added = {article_id: identity for article_id, identity in connection.exec_driver_sql(statement, tuple(values))}
        content = {row.identity: row for row in chunk}
        search_index.add_rows(
            connection,
            [
                (article_id, content[identity].language, content[identity].search_content)
                for article_id, identity in added.items()
            ],
        )
        inserted.update((identity, article_id) for article_id, identity in added.items())
    return inserted


def _insert_postgresql(connection: Connection, rows: Sequence[NewArticle]) -> dict[str, int]:
    """One statement for the whole batch, search rows included: one array per column (``unnest``),
    so the statement's text is the same for any number of rows. A VALUES list of one placeholder
    per value made a new text per batch size, which the driver converted afresh every time (its
    cache stops at 4 KiB): a scan of the text per placeholder, 0.07 ms of the writer's CPU per
    item, and the server parsed and planned it afresh too, where one text is prepared once."""
    columns: list[list[Any]] = [[] for _ in _ARTICLE_COLUMNS]
    for row in rows:
        for values, value in zip(columns, _article_values(row, _utc), strict=True):
            values.append(value)
    identities = [row.identity for row in rows]
    contents = [row.search_content for row in rows]
    result = connection.exec_driver_sql(_PG_INSERT_ARTICLES, (*columns, identities, contents))
    return {identity: article_id for article_id, identity in result}


def _article_values(row: NewArticle, moment: Callable[[datetime], Any]) -> tuple[Any, ...]:
    """A row's values in ``_ARTICLE_COLUMNS`` order, timestamps in the driver's form."""
    fetched = moment(row.fetched_at)
    return (
        row.feed_id,
        row.identity,
        row.guid,
        row.url,
        row.canonical_url,
        row.title,
        row.summary,
        row.text,
        row.language,
        moment(row.published_at) if row.published_at is not None else None,
        fetched,
        fetched,
        moment(row.event_at),
        row.content_hash,
        0,
    )


_ARTICLE_COLUMNS = (
    "feed_id",
    "identity",
    "guid",
    "url",
    "canonical_url",
    "title",
    "summary",
    "text",
    "language",
    "published_at",
    "fetched_at",
    "updated_at",
    "event_at",
    "content_hash",
    "revisions",
)
_INSERT_ARTICLES = (
    "INSERT INTO articles ({columns}) VALUES {rows} ON CONFLICT (identity) DO NOTHING RETURNING id, identity"
)
# PostgreSQL: each column's values as one array (the element types of ``_ARTICLE_COLUMNS``).
_PG_ARTICLE_TYPES = (
    "integer",
    "varchar",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "varchar",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "varchar",
    "integer",
)
_PG_INSERT_ARTICLES = search_index.with_search_rows(
    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%b::{kind}[]' for kind in _PG_ARTICLE_TYPES)}) "
    "ON CONFLICT (identity) DO NOTHING RETURNING id, identity, language"
)
# Rows per INSERT: under the 999 bound parameters of SQLite before 3.32.
_ARTICLES_PER_INSERT = 999 // len(_ARTICLE_COLUMNS)


def _article_chunks(rows: Sequence[NewArticle]) -> list[Sequence[NewArticle]]:
    return [rows[start : start + _ARTICLES_PER_INSERT] for start in range(0, len(rows), _ARTICLES_PER_INSERT)]


def _utc(moment: datetime) -> datetime:
    """A timestamp as ``models.UTCDateTime`` hands it to PostgreSQL's driver: aware, in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: storage needs timezone-aware UTC")
    return moment.astimezone(UTC)


def _sqlite_utc(moment: datetime) -> str:
    """A timestamp as ``models.UTCDateTime`` and SQLAlchemy's SQLite DATETIME store it: naive
    UTC text with microseconds (SQLite compares it as text)."""
    return _utc(moment).replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert(session: Session, table: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def write_article_index(session: Session, indexes: Sequence[ArticleIndex], *, revised: bool = False) -> None:
    """Store the fingerprints, signatures and features of matched articles and their band keys."""
    if not indexes:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement of column arrays, as the articles were inserted (no per-row statements).
        to_json = _json_serializer(connection)
        connection.exec_driver_sql(
            _PG_INDEX_UPDATE,
            (
                [index.article_id for index in indexes],
                [index.fingerprint for index in indexes],
                [index.signature for index in indexes],
                [to_json(index.features) for index in indexes],
            ),
        )
    else:
        _update_index_rows(connection, indexes)
    for index in indexes:
        if revised:
            bands.remove_bands(session, index.article_id)
    bands.add_band_rows(session, [(key, index.article_id) for index in indexes for key in index.band_keys])


_PG_INDEX_UPDATE = (
    "UPDATE articles SET fingerprint = given.fingerprint, signature = given.signature, features = given.features::json "
    "FROM unnest(%b::integer[], %b::varchar[], %b::bytea[], %b::text[]) "
    "AS given (id, fingerprint, signature, features) WHERE articles.id = given.id"
)


def _json_serializer(connection: Connection) -> Callable[[Any], str]:
    """The engine's own JSON writer (``storage.db``): a value written past SQLAlchemy is written
    exactly as SQLAlchemy would write it."""
    serializer: Callable[[Any], str] | None = getattr(connection.dialect, "_json_serializer", None)
    return serializer or json.dumps


def _update_index_rows(connection: Connection, indexes: Sequence[ArticleIndex]) -> None:
    table: Any = Article.__table__
    # Core, not the ORM's bulk update: one executemany without the ORM's per-call bookkeeping
    # (a crawl writes one small batch per feed).
    connection.execute(
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


def find_article(session: Session, identity: str, *, lock: bool = False) -> Article | None:
    query = select(Article).where(Article.identity == identity)
    if lock:
        # Re-read under a row lock (PostgreSQL; SQLite holds the write lock already) so that two
        # processes revising the same article do not both bump it from the same old state.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def articles_by_id(session: Session, ids: Collection[int]) -> dict[int, Article]:
    found: dict[int, Article] = {}
    for chunk in in_chunks(sorted(set(ids))):
        found.update((article.id, article) for article in session.scalars(select(Article).where(Article.id.in_(chunk))))
    return found


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


def new_match(
    article_id: int,
    watch: str,
    terms: Sequence[str],
    story_id: int,
    event: str,
    explanation: dict[str, Any],
    now: datetime,
) -> WatchMatch:
    """A decision's match row, not yet written (``add_matches`` writes a batch of them)."""
    return WatchMatch(
        article_id=article_id,
        watch=watch,
        terms=list(terms),
        story_id=story_id,
        event=event,
        explanation=explanation,
        created_at=now,
    )


def add_matches(session: Session, matches: Sequence[WatchMatch]) -> None:
    """Write a batch of decisions' matches (``new_match``) in one multi-row statement, and give
    each its id (the alert's event id derives from it). Core, not the ORM's unit of work: the
    rows are plain inserts and the matches stay out of the session."""
    if not matches:
        return
    session.flush()  # the stories the matches point at are written (and new ones have ids)
    table: Any = WatchMatch.__table__
    values = [
        {
            "article_id": match.article_id,
            "watch": match.watch,
            "terms": match.terms,
            "story_id": match.story_id,
            "event": match.event,
            "explanation": match.explanation,
            "created_at": match.created_at,
        }
        for match in matches
    ]
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        result = session.connection().execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), chunk)
        for match, (match_id,) in zip(matches[start : start + IN_CHUNK], result, strict=True):
            match.id = match_id


# --- the decide queue ----------------------------------------------------------------------


def add_undecided(session: Session, rows: Sequence[Undecided]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        to_json = _json_serializer(connection)
        connection.exec_driver_sql(
            _PG_ADD_UNDECIDED,
            (
                [r.article_id for r in rows],
                [r.watch for r in rows],
                [to_json(r.terms) for r in rows],
                [_utc(r.event_at) for r in rows],
                [r.history for r in rows],
            ),
        )
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


_PG_ADD_UNDECIDED = (
    "INSERT INTO undecided_matches (article_id, watch, terms, event_at, history) "
    "SELECT given.article_id, given.watch, given.terms::json, given.event_at, given.history "
    "FROM unnest(%b::integer[], %b::varchar[], %b::text[], %b::timestamptz[], %b::boolean[]) "
    "AS given (article_id, watch, terms, event_at, history) ON CONFLICT (article_id, watch) DO NOTHING"
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
    for chunk in in_chunks(sorted(article_ids)):
        session.execute(
            delete(UndecidedMatch).where(UndecidedMatch.watch == watch, UndecidedMatch.article_id.in_(chunk))
        )
