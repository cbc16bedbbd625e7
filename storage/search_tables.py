"""The search index's tables: ``article_search`` (one row per article, its language and its
searchable text) in the SQLAlchemy metadata, and the names of the backend-specific objects that
``storage.search_index`` writes beside it outside the metadata (the SQLite FTS5 table, the
PostgreSQL tsvector column and its GIN index), which ``is_search_index_object`` tells schema
comparisons to leave alone."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from .tables import metadata

__all__ = ["FTS_TABLE", "PG_CONFIG", "PG_INDEX", "PG_VECTOR", "article_search", "is_search_index_object"]

article_search = Table(
    "article_search",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    # The article's language, copied here so that the language filter is part of the index lookup.
    Column("language", String(8), nullable=False),
    Column("content", Text, nullable=False),
)

FTS_TABLE = "article_search_fts"  # SQLite only; its shadow tables are named FTS_TABLE + "_data" etc.
PG_VECTOR = "vector"  # PostgreSQL only: article_search.vector, to_tsvector('simple', content), set on insert
PG_INDEX = "ix_article_search_vector"  # PostgreSQL only: GIN on article_search.vector
PG_CONFIG = "'simple'::regconfig"  # no stemming, no stop words: the normaliser did the work


def is_search_index_object(name: str | None, type_: str, parent_names: object = None) -> bool:
    """For Alembic's ``include_name``: False for the backend-specific search index objects that
    live outside the metadata (the FTS5 table and its shadow tables; the tsvector column and its GIN
    index)."""
    if name is None:
        return True
    if type_ == "table":
        return not (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))
    if type_ == "index":
        return name != PG_INDEX
    if type_ == "column" and isinstance(parent_names, dict):
        return not (name == PG_VECTOR and parent_names.get("table_name") == article_search.name)
    return True
