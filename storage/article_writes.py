"""Writing a crawl's articles in bulk: the new rows with their search rows
(``insert_articles``), and the index the story stages keep of matched ones
(``write_article_index``: fingerprint, MinHash signature, features, band keys).

Both go past SQLAlchemy's per-row parameter processing, straight to the driver with the values in
its form: on PostgreSQL one statement per batch whose parameters are column arrays (``unnest``),
so its text never changes (the driver converts it once and the server prepares it once); on
SQLite multi-row statements under its bound-parameter limit. Like ``storage.repo``, every function
takes an open ``Session`` and leaves committing to its caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, update

from . import bands, search_index
from .db import Executor, core
from .tables import articles
from .types import ArticleIndex, NewArticle

__all__ = ["driver_json", "driver_utc", "insert_articles", "write_article_index"]


def insert_articles(db: Executor, rows: Sequence[NewArticle]) -> dict[str, int]:
    """Insert the rows whose identity is not stored yet, and their search rows, in bulk; returns
    identity -> id of those inserted (an identity another process stored first is left out)."""
    connection = core(db)
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
        for values, value in zip(columns, _article_values(row, driver_utc), strict=True):
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


def driver_utc(moment: datetime) -> datetime:
    """A timestamp as ``models.UTCDateTime`` hands it to PostgreSQL's driver: aware, in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: storage needs timezone-aware UTC")
    return moment.astimezone(UTC)


def _sqlite_utc(moment: datetime) -> str:
    """A timestamp as ``models.UTCDateTime`` and SQLAlchemy's SQLite DATETIME store it: naive
    UTC text with microseconds (SQLite compares it as text)."""
    return driver_utc(moment).replace(tzinfo=None).isoformat(" ", "microseconds")


def write_article_index(db: Executor, indexes: Sequence[ArticleIndex], *, revised: bool = False) -> None:
    """Store the fingerprints, signatures and features of matched articles and their band keys."""
    if not indexes:
        return
    connection = core(db)
    if connection.dialect.name == "postgresql":
        # One statement of column arrays, as the articles were inserted (no per-row statements).
        to_json = driver_json(connection)
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
            bands.remove_bands(connection, index.article_id)
    bands.add_band_rows(connection, [(key, index.article_id) for index in indexes for key in index.band_keys])


_PG_INDEX_UPDATE = (
    "UPDATE articles SET fingerprint = given.fingerprint, signature = given.signature, features = given.features::json "
    "FROM unnest(%b::integer[], %b::varchar[], %b::bytea[], %b::text[]) "
    "AS given (id, fingerprint, signature, features) WHERE articles.id = given.id"
)


def driver_json(connection: Connection) -> Callable[[Any], str]:
    """The engine's own JSON writer (``storage.db``): a value written past SQLAlchemy is written
    exactly as SQLAlchemy would write it."""
    serializer: Callable[[Any], str] | None = getattr(connection.dialect, "_json_serializer", None)
    return serializer or json.dumps


def _update_index_rows(connection: Connection, indexes: Sequence[ArticleIndex]) -> None:
    table = articles
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
