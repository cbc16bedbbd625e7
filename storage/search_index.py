"""Writing the search index, in bulk, by the code that stores the articles (no triggers since
migration 0009): ``add_rows`` (articles that have no search row yet: a crawl's new articles),
``replace_rows`` (rewritten articles), ``index_article`` (one stored article, written or rewritten),
``reindex_all`` and ``needs_reindex`` (a database with rows missing, or to rebuild). A row's
content is ``storage.search_text.index_content``; ``storage.search`` documents what is indexed
and why.

What each backend keeps, and who writes it:

- SQLite: the ``article_search`` row and its entry in the external-content FTS5 table, both
  written here, one ``executemany`` each per batch. Removing an entry needs the text it was
  indexed with, which only ``article_search`` still holds at that moment: its AFTER DELETE
  trigger does it (the one trigger left), so an article deleted by any means, a foreign-key
  cascade from its feed included, leaves the index. A rewrite is a delete and an add.
- PostgreSQL: the ``article_search`` row with its ``tsvector`` computed in the same INSERT
  (``to_tsvector`` per row inside one statement, not a row trigger); the row goes with its article.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Text,
    bindparam,
    column,
    exists,
    func,
    insert,
    literal_column,
    select,
    table,
)

from .chunking import in_chunks
from .db import Executor, core
from .search_tables import FTS_TABLE, PG_CONFIG, PG_VECTOR, article_search
from .search_text import index_content
from .tables import articles

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .models import Article

__all__ = [
    "Progress",
    "SearchRow",
    "add_rows",
    "index_article",
    "needs_reindex",
    "reindex_all",
    "replace_rows",
    "with_search_rows",
]

Progress = Callable[[int, int], None]  # (articles indexed so far, articles in all)
SearchRow = tuple[int, str, str]  # (article id, language, content built by index_content)

# The SQLite rows, and their FTS5 entries (rowid is article_search.article_id, the content_rowid).
_SQLITE_ROW_INSERT = f"INSERT INTO {article_search.name} (article_id, language, content) VALUES (?, ?, ?)"
_SQLITE_FTS_INSERT = f"INSERT INTO {FTS_TABLE}(rowid, language, content) VALUES (?, ?, ?)"


@lru_cache(maxsize=1)
def _pg_insert() -> Any:
    """The PostgreSQL row with its vector: the same statement builds both, for every row of a
    batch. Built on the first PostgreSQL write: ``to_tsvector`` is the PostgreSQL dialect's (its
    compiler refuses the generic one), and a crawl on SQLite never loads that dialect."""
    from sqlalchemy.dialects.postgresql import to_tsvector

    searched_with_vector = table(
        article_search.name,
        column("article_id", Integer),
        column("language", String),
        column("content", Text),
        column(PG_VECTOR),
    )
    return insert(searched_with_vector).values(
        article_id=bindparam("article_id"),
        language=bindparam("language"),
        content=bindparam("content"),
        vector=to_tsvector(literal_column(PG_CONFIG), bindparam("content", type_=Text)),
    )


def add_rows(connection: Connection, rows: Sequence[SearchRow]) -> None:
    """Index articles that have no search row yet, in one statement per table and ``IN_CHUNK``
    rows; the caller commits."""
    dialect = connection.dialect.name
    for chunk in in_chunks(list(rows)):
        if dialect == "sqlite":
            # Straight through the driver, as (id, language, content) tuples: nothing in these
            # rows needs SQLAlchemy's per-row parameter processing.
            connection.exec_driver_sql(_SQLITE_ROW_INSERT, list(chunk))
            connection.exec_driver_sql(_SQLITE_FTS_INSERT, list(chunk))
            continue
        values: list[dict[str, Any]] = [
            {"article_id": article_id, "language": language, "content": content}
            for article_id, language, content in chunk
        ]
        connection.execute(_pg_insert() if dialect == "postgresql" else insert(article_search), values)


def with_search_rows(insert_articles: str) -> str:
    """PostgreSQL: ``insert_articles`` (an ``INSERT INTO articles … RETURNING id, identity,
    language``) made one statement that also writes the search row, vector included, of every
    article it inserted; its parameters are followed by two arrays, the identities and their
    contents (built by ``index_content``). The statement returns (id, identity) per inserted
    article. The foreign key is checked at the statement's end, when both rows exist."""
    return (
        f"WITH new AS ({insert_articles}), searched AS ("
        f"INSERT INTO {article_search.name} (article_id, language, content, {PG_VECTOR}) "
        f"SELECT new.id, new.language, given.content, to_tsvector({PG_CONFIG}, given.content) "
        "FROM new JOIN unnest(%b::varchar[], %b::text[]) AS given (identity, content) ON given.identity = new.identity"
        ") SELECT id, identity FROM new"
    )


def replace_rows(connection: Connection, rows: Sequence[SearchRow]) -> None:
    """Index articles afresh (their text changed, or the rules did): the old rows and their index
    entries go (SQLite: through the delete trigger, which has the old text), the new ones are added."""
    for chunk in in_chunks(sorted({row[0] for row in rows})):
        connection.execute(article_search.delete().where(article_search.c.article_id.in_(chunk)))
    add_rows(connection, rows)


def index_article(session: Session, article: Article) -> None:
    """Write (or rewrite) the search row of a stored article; the caller commits."""
    connection = core(session)  # flushed: the article row must exist before its search row (foreign key)
    content = index_content(article.title, article.summary or "", article.text or "")
    replace_rows(connection, [(article.id, article.language, content)])


def needs_reindex(db: Executor) -> bool:
    """True when some stored article has no search row (a database older than migration 0004)."""
    missing = select(articles.c.id).where(~exists().where(article_search.c.article_id == articles.c.id)).limit(1)
    return core(db).execute(missing).first() is not None


def reindex_all(
    db: Executor, *, batch: int = 1000, progress: Progress | None = None, missing_only: bool = False
) -> int:
    """Rebuild the search rows of every article (or only of those without one); returns the count.

    Reads the articles in id order, ``batch`` at a time; the caller commits (one transaction).
    """
    connection = core(db)
    c = articles.c
    total_query = select(func.count()).select_from(articles)
    if missing_only:
        total_query = total_query.where(~exists().where(article_search.c.article_id == c.id))
    total = connection.scalar(total_query) or 0
    done = 0
    last_id = 0
    while True:
        query = select(c.id, c.language, c.title, c.summary, c.text).where(c.id > last_id)
        if missing_only:
            query = query.where(~exists().where(article_search.c.article_id == c.id))
        rows = connection.execute(query.order_by(c.id).limit(batch)).all()
        if not rows:
            break
        replace_rows(
            connection,
            [(row.id, row.language, index_content(row.title, row.summary or "", row.text or "")) for row in rows],
        )
        done += len(rows)
        last_id = rows[-1].id
        if progress is not None:
            progress(done, total)
    return done
