"""The persisted LSH band index: which stored articles share a MinHash band with a new one.

Each article with a signature has one ``article_bands`` row per band key
(``stories.fingerprint.MinHasher.band_keys``). Looking up a text's near-duplicates reads the rows
of its band keys through the primary key ``(band, article_id)``, then re-ranks those candidates by
the similarity of their stored ``articles.signature``. Nothing is kept in memory, so a restart
finds what the previous process stored, and SQLite and PostgreSQL run the same statements.

Like ``storage.repo``, every function takes an open ``Session`` and leaves committing to its caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Integer, bindparam, delete, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from stories.fingerprint import MinHasher

from .models import Article, ArticleBand

__all__ = ["MAX_CANDIDATES", "add_bands", "near_duplicates", "remove_bands"]

# At most this many candidates are re-ranked per lookup, shared out evenly between the bands: a
# "hot" band (boilerplate that many bodies share) then yields only its share, newest first, and
# cannot crowd out the bands where the real copy is. A true copy shares many bands (at estimated
# Jaccard 0.6, 13 % of the 32 bands on average, about 4), so it is found through the others.
MAX_CANDIDATES = 512
_NO_ARTICLE = -1  # ids start at 1: "exclude nothing" without a second statement shape


def add_bands(session: Session, article_id: int, keys: Sequence[int]) -> None:
    """Index ``article_id`` under its band keys; keys it already has are left as they are."""
    rows = [{"band": key, "article_id": article_id} for key in sorted(set(keys))]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(ArticleBand).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        session.execute(sqlite.insert(ArticleBand).on_conflict_do_nothing(), rows)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported (DESIGN §4)
        raise NotImplementedError(f"no band index on {dialect}")


def add_band_rows(session: Session, rows: Sequence[tuple[int, int]]) -> None:
    """Index many articles at once: (band key, article id) pairs, duplicates ignored."""
    values = [{"band": key, "article_id": article_id} for key, article_id in sorted(set(rows))]
    if not values:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ArticleBand).on_conflict_do_nothing(), values)


def remove_bands(session: Session, article_id: int) -> None:
    """Drop every band of ``article_id`` (before re-indexing a revised article)."""
    session.execute(delete(ArticleBand).where(ArticleBand.article_id == article_id))


def near_duplicates(
    session: Session,
    keys: Sequence[int],
    signature: bytes,
    hasher: MinHasher,
    *,
    threshold: float,
    exclude: int | None = None,
    limit: int = 20,
) -> list[tuple[int, float]]:
    """Stored articles whose estimated Jaccard similarity to ``signature`` is at least ``threshold``.

    ``keys`` are ``hasher.band_keys(signature)``. Returns ``(article_id, similarity)``, best first
    (ties: newest first), at most ``limit``; ``exclude`` leaves one article out (the one being
    revised). One statement: the candidates sharing a band, capped per band, joined to their
    signatures. Articles without a stored signature are skipped.
    """
    unique_keys = sorted(set(keys))
    if not unique_keys or limit <= 0:
        return []
    params: dict[str, int] = {f"band_{index}": key for index, key in enumerate(unique_keys)}
    params["exclude"] = _NO_ARTICLE if exclude is None else exclude
    rows = session.execute(_candidates_statement(len(unique_keys)), params)
    scored = []
    for article_id, stored in rows:
        if len(stored) != hasher.signature_size:
            continue  # signed with other parameters: not comparable
        similarity = hasher.similarity(signature, stored)
        if similarity >= threshold:
            scored.append((article_id, similarity))
    scored.sort(key=lambda item: (-item[1], -item[0]))
    return scored[:limit]


@lru_cache(maxsize=8)
def _candidates_statement(band_count: int) -> Executable:
    """Built once per number of bands: SQLAlchemy then reuses its compiled form."""
    per_band = max(1, MAX_CANDIDATES // band_count)
    exclude = bindparam("exclude", type_=Integer)
    # One small subquery per band, each read backwards through the primary key (newest first)
    # and stopped after its share: bounded work however many articles a band holds.
    per_band_selects = [
        select(ArticleBand.article_id)
        .where(ArticleBand.band == bindparam(f"band_{index}"), ArticleBand.article_id != exclude)
        .order_by(ArticleBand.article_id.desc())
        .limit(per_band)
        .subquery()
        .select()
        for index in range(band_count)
    ]
    return select(Article.id, Article.signature).where(
        Article.id.in_(union_all(*per_band_selects)), Article.signature.is_not(None)
    )
