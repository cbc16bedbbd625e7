"""Writing the search rows: ``index_article`` (a stored article, written or rewritten),
``index_rows`` (newly stored articles in bulk, their content built off the writer), ``reindex_all``
and ``needs_reindex`` (a database with rows missing, or to rebuild). A row's content is
``storage.search_text.index_content``; ``storage.search`` documents what is indexed and why."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.orm import Session

from .models import Article
from .search_tables import article_search
from .search_text import index_content

__all__ = ["Progress", "index_article", "index_rows", "needs_reindex", "reindex_all"]

Progress = Callable[[int, int], None]  # (articles indexed so far, articles in all)


def index_article(session: Session, article: Article) -> None:
    """Write (or rewrite) the search row of a stored article; the caller commits.

    The SQLite FTS5 table follows ``article_search`` through triggers, so this is one statement.
    """
    session.flush()  # the article row must exist before its search row (foreign key)
    content = index_content(article.title, article.summary or "", article.text or "")
    values = {"language": article.language, "content": content}
    updated = session.execute(update(article_search).where(article_search.c.article_id == article.id).values(values))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(article_search).values(article_id=article.id, **values))


def index_rows(session: Session, rows: Sequence[tuple[int, str, str]]) -> None:
    """Insert the search rows of newly stored articles in one statement: (id, language, content),
    the content built by ``index_content`` (in the parse workers, off the writer)."""
    if rows:
        session.execute(
            insert(article_search),
            [
                {"article_id": article_id, "language": language, "content": content}
                for article_id, language, content in rows
            ],
        )


def needs_reindex(session: Session) -> bool:
    """True when some stored article has no search row (a database older than migration 0004)."""
    missing = select(Article.id).where(~exists().where(article_search.c.article_id == Article.id)).limit(1)
    return session.execute(missing).first() is not None


def reindex_all(
    session: Session, *, batch: int = 1000, progress: Progress | None = None, missing_only: bool = False
) -> int:
    """Rebuild the search rows of every article (or only of those without one); returns the count.

    Reads the articles in id order, ``batch`` at a time; the caller commits (one transaction).
    """
    total_query = select(func.count()).select_from(Article)
    if missing_only:
        total_query = total_query.where(~exists().where(article_search.c.article_id == Article.id))
    total = session.scalar(total_query) or 0
    done = 0
    last_id = 0
    while True:
        query = select(Article.id, Article.language, Article.title, Article.summary, Article.text).where(
            Article.id > last_id
        )
        if missing_only:
            query = query.where(~exists().where(article_search.c.article_id == Article.id))
        rows = session.execute(query.order_by(Article.id).limit(batch)).all()
        if not rows:
            break
        ids = [row.id for row in rows]
        session.execute(article_search.delete().where(article_search.c.article_id.in_(ids)))
        session.execute(
            insert(article_search),
            [
                {
                    "article_id": row.id,
                    "language": row.language,
                    "content": index_content(row.title, row.summary or "", row.text or ""),
                }
                for row in rows
            ],
        )
        done += len(rows)
        last_id = ids[-1]
        if progress is not None:
            progress(done, total)
    return done
