"""The search index written in bulk by the store, not by row triggers.

Migration 0004 kept the index in step with ``article_search`` through triggers: on SQLite one
FTS5 insert per row inserted or updated, on PostgreSQL ``tsvector_update_trigger`` per row. A
crawl's store spent about half of each article insert in them. From here on
``storage.search_index`` writes the index itself, one statement per batch: the FTS5 entries with
one ``executemany`` beside the rows, the PostgreSQL vector computed in the INSERT.

Kept: the SQLite AFTER DELETE trigger. Removing an FTS5 entry of an external-content table needs
the text it was indexed with, which only the ``article_search`` row being deleted still holds, and
a foreign-key cascade (an article or feed deleted by any means) reaches that row without our code.

Dropped too: ``ix_articles_content_hash``. No query looks an article up by its content hash (the
store reads it by identity), and every article insert paid for keeping that index.

Nothing stored is touched: every FTS5 entry and every vector written so far stays as it is, so
everything already stored stays searchable.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "DROP TRIGGER IF EXISTS article_search_fts_insert",
    "DROP TRIGGER IF EXISTS article_search_fts_update",
]
POSTGRESQL_UP = ["DROP TRIGGER IF EXISTS article_search_vector ON article_search"]

# As migration 0004 created them.
SQLITE_DOWN = [
    "CREATE TRIGGER article_search_fts_insert AFTER INSERT ON article_search BEGIN "
    "INSERT INTO article_search_fts(rowid, language, content) VALUES (new.article_id, new.language, new.content); "
    "END",
    "CREATE TRIGGER article_search_fts_update AFTER UPDATE ON article_search BEGIN "
    "INSERT INTO article_search_fts(article_search_fts, rowid, language, content) "
    "VALUES ('delete', old.article_id, old.language, old.content); "
    "INSERT INTO article_search_fts(rowid, language, content) VALUES (new.article_id, new.language, new.content); "
    "END",
]
POSTGRESQL_DOWN = [
    "CREATE TRIGGER article_search_vector BEFORE INSERT OR UPDATE ON article_search FOR EACH ROW "
    "EXECUTE FUNCTION tsvector_update_trigger(vector, 'pg_catalog.simple', content)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP if dialect == "postgresql" else []:
        op.execute(statement)
    op.drop_index("ix_articles_content_hash", table_name="articles")


def downgrade() -> None:
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRESQL_DOWN if dialect == "postgresql" else []:
        op.execute(statement)
