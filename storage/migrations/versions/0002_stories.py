"""Stories and novelty: article fingerprints, MinHash signatures and features, story state, the
persisted LSH band index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("features", sa.JSON(), nullable=True))
        batch.create_index("ix_articles_fingerprint", ["fingerprint"])
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("state", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("state_token", sa.String(length=32), nullable=True))
    op.create_table(
        "article_bands",
        sa.Column("band", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_bands_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band", "article_id", name=op.f("pk_article_bands")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_article_bands_article_id", "article_bands", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_bands_article_id", table_name="article_bands")
    op.drop_table("article_bands")
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("state_token")
        batch.drop_column("state")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_fingerprint")
        batch.drop_column("features")
        batch.drop_column("signature")
        batch.drop_column("fingerprint")
