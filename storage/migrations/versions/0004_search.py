"""Full-text search: article_search (normalised, expanded text per article) and its index.

SQLite: an external-content FTS5 table over article_search's language and content, kept in sync
by triggers. PostgreSQL: a tsvector column, to_tsvector('simple', content), kept by the built-in
tsvector_update_trigger, with a GIN index. Neither is in the SQLAlchemy metadata
(storage.search_tables.is_search_index_object filters them out of schema comparisons).
Both start empty: the normalisation is Python (storage.search), so a database that already holds
articles is filled by ``storage.search_index.reindex_all`` after the upgrade (``needs_reindex`` says when).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The words are normalised before they get here: the tokenizer only splits on spaces and must
# not fold anything (remove_diacritics 0), or queries and text could be folded differently.
# The triggers keep the index in step with article_search, whoever writes it (a foreign-key
# cascade from a deleted article included).
SQLITE_UP = [
    "CREATE VIRTUAL TABLE article_search_fts USING fts5(language, content, content='article_search', "
    "content_rowid='article_id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER article_search_fts_insert AFTER INSERT ON article_search BEGIN "
    "INSERT INTO article_search_fts(rowid, language, content) VALUES (new.article_id, new.language, new.content); "
    "END",
    "CREATE TRIGGER article_search_fts_delete AFTER DELETE ON article_search BEGIN "
    "INSERT INTO article_search_fts(article_search_fts, rowid, language, content) "
    "VALUES ('delete', old.article_id, old.language, old.content); END",
    "CREATE TRIGGER article_search_fts_update AFTER UPDATE ON article_search BEGIN "
    "INSERT INTO article_search_fts(article_search_fts, rowid, language, content) "
    "VALUES ('delete', old.article_id, old.language, old.content); "
    "INSERT INTO article_search_fts(rowid, language, content) VALUES (new.article_id, new.language, new.content); "
    "END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS article_search_fts_update",
    "DROP TRIGGER IF EXISTS article_search_fts_delete",
    "DROP TRIGGER IF EXISTS article_search_fts_insert",
    "DROP TABLE IF EXISTS article_search_fts",
]
# A stored vector rather than an index on the expression: ranking and phrase checks read the
# vector of each match, and recomputing it from the text made a search take seconds (bench).
# toast_tuple_target: the text and the vector go out of line, so the rows a search visits (to
# count matches, check the language, order by id) stay a few dozen bytes and pack many to a page.
POSTGRESQL_UP = [
    "ALTER TABLE article_search ADD COLUMN vector tsvector",
    "ALTER TABLE article_search SET (toast_tuple_target = 128)",
    "CREATE TRIGGER article_search_vector BEFORE INSERT OR UPDATE ON article_search FOR EACH ROW "
    "EXECUTE FUNCTION tsvector_update_trigger(vector, 'pg_catalog.simple', content)",
    "CREATE INDEX ix_article_search_vector ON article_search USING gin (vector)",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_article_search_vector",
    "DROP TRIGGER IF EXISTS article_search_vector ON article_search",
]


def upgrade() -> None:
    op.create_table(
        "article_search",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_article_search_article_id_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_search")),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRESQL_DOWN if dialect == "postgresql" else []:
        op.execute(statement)
    op.drop_table("article_search")
