"""Event time and the decide queue.

``articles.event_at``: the report's event time (its publication time when plausible, else when it
was first seen), filled from ``published_at``/``fetched_at`` for stored articles. Story windows and
the order of decisions use it.

``undecided_matches``: a watch's matches stored but not yet decided (story, event, alerts). The
store stage adds them; the decide stage takes them per watch, oldest event first, and removes them
in the transaction that writes the decisions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("event_at", UTC_DATETIME, nullable=True))
    # Stored reports keep the order they had: the earlier of publication and first-seen time.
    op.execute(
        "UPDATE articles SET event_at = CASE WHEN published_at IS NOT NULL AND published_at < fetched_at "
        "THEN published_at ELSE fetched_at END"
    )
    with op.batch_alter_table("articles") as batch:
        batch.alter_column("event_at", existing_type=UTC_DATETIME, nullable=False)
        batch.create_index("ix_articles_event_at", ["event_at"])
    op.create_table(
        "undecided_matches",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("watch", sa.String(200), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("event_at", UTC_DATETIME, nullable=False),
        sa.Column("history", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_undecided_matches_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "watch", name=op.f("pk_undecided_matches")),
    )
    op.create_index("ix_undecided_matches_watch_event_at", "undecided_matches", ["watch", "event_at", "article_id"])


def downgrade() -> None:
    op.drop_index("ix_undecided_matches_watch_event_at", table_name="undecided_matches")
    op.drop_table("undecided_matches")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_event_at")
        batch.drop_column("event_at")
