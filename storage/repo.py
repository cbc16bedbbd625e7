"""Repository functions for articles, their matches and the decide stage's queue: the SQL the
crawler, the CLI and the web page need, nothing more (feeds and their fetch record are in
``storage.feed_repo``, stories and the decisions' match rows in ``storage.story_repo``, a
crawl's bulk article writes in ``storage.article_writes``).

Every function takes an open transaction and leaves committing to its caller, so a stage writes its
whole batch in one transaction: the Core ones a connection or a session (``storage.db.Executor``:
a crawl's writer holds a connection and never loads the ORM), the few that hand out or take ORM
objects (a revised report, a match to revise) a ``Session``, and they import the ORM models.
The decisions (identity, matching, events) are made in ``stories/`` and strung together in
``ingest/``; these functions only record them, in bulk where a crawl writes many.
Callers get plain dataclasses from ``storage.types``, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from stories.types import Entry

from . import search_index
from .article_writes import driver_json, driver_utc
from .chunking import in_chunks
from .db import Executor, core
from .tables import undecided_matches
from .types import Undecided

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .models import Article, WatchMatch

# --- articles ------------------------------------------------------------------------------


def known_content_hashes(db: Executor, identities: Collection[str]) -> dict[str, str]:
    """identity -> content_hash for the identities already stored (the crawler's "seen?" check)."""
    known: dict[str, str] = {}
    connection = core(db)
    wanted = sorted(set(identities))
    # Through the driver: asked once per feed batch, where the ORM's statement building and
    # row processing cost more than the lookup.
    if connection.dialect.name == "sqlite":
        for chunk in in_chunks(wanted):
            statement = f"SELECT identity, content_hash FROM articles WHERE identity IN ({', '.join('?' * len(chunk))})"
            known.update(connection.exec_driver_sql(statement, tuple(chunk)).all())
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


def find_article(session: Session, identity: str, *, lock: bool = False) -> Article | None:
    from .models import Article

    query = select(Article).where(Article.identity == identity)
    if lock:
        # Re-read under a row lock (PostgreSQL; SQLite holds the write lock already) so that two
        # processes revising the same article do not both bump it from the same old state.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def articles_by_id(session: Session, ids: Collection[int]) -> dict[int, Article]:
    from .models import Article

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
    from .models import WatchMatch

    return {
        match.watch: match for match in session.scalars(select(WatchMatch).where(WatchMatch.article_id == article_id))
    }


# --- the decide queue ----------------------------------------------------------------------


def add_undecided(db: Executor, rows: Sequence[Undecided]) -> None:
    if not rows:
        return
    connection = core(db)
    if connection.dialect.name == "postgresql":
        to_json = driver_json(connection)
        connection.exec_driver_sql(
            _PG_ADD_UNDECIDED,
            (
                [r.article_id for r in rows],
                [r.watch for r in rows],
                [to_json(r.terms) for r in rows],
                [driver_utc(r.event_at) for r in rows],
                [r.history for r in rows],
            ),
        )
        return
    from sqlalchemy.dialects.sqlite import insert  # the dialect's own INSERT: ON CONFLICT DO NOTHING

    statement = insert(undecided_matches).on_conflict_do_nothing(index_elements=["article_id", "watch"])
    connection.execute(
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


def undecided(db: Executor, watch: str, limit: int, article_ids: Collection[int] | None = None) -> list[Undecided]:
    """The watch's matches waiting for a decision, oldest event first (ties: stored first)."""
    c = undecided_matches.c
    query = select(undecided_matches).where(c.watch == watch)
    if article_ids is not None:
        query = query.where(c.article_id.in_(sorted(article_ids)))
    rows = core(db).execute(query.order_by(c.event_at, c.article_id).limit(limit))
    return [Undecided(r.article_id, r.watch, list(r.terms), r.event_at, r.history) for r in rows]


def undecided_watches(db: Executor) -> list[str]:
    return sorted(core(db).scalars(select(undecided_matches.c.watch).distinct()))


def remove_undecided(db: Executor, watch: str, article_ids: Collection[int]) -> None:
    connection = core(db)
    c = undecided_matches.c
    for chunk in in_chunks(sorted(article_ids)):
        connection.execute(delete(undecided_matches).where(c.watch == watch, c.article_id.in_(chunk)))
