"""procrastinate's tables and functions (the distributed mode's job queue), on PostgreSQL only.

They live in their own PostgreSQL schema, ``procrastinate``, beside Raqib's tables in the default
one: schema comparisons of Raqib's models never see them, and nothing of ours can collide with
them. The SQL is the ``schema.sql`` shipped with the installed procrastinate, whose version
pyproject.toml pins to one minor release (``PROCRASTINATE_MIGRATION`` below names its newest
migration; tests/test_distributed.py fails when the installed package has a newer one). To move
to a procrastinate release with new migrations, add an Alembic revision that applies those
migration files (``procrastinate.schema.migrations_path``) in the same schema, then widen the pin.

SQLite has no use for them: distributed mode needs PostgreSQL, so on SQLite this does nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "procrastinate"
# The newest migration file of the procrastinate release whose schema.sql this revision applies.
PROCRASTINATE_MIGRATION = "03.04.00_50_post_add_retry_failed_job_procedure.sql"


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    previous = connection.exec_driver_sql("SELECT current_setting('search_path')").scalar()
    # Objects are created in the first schema of the search path; only for this transaction.
    connection.exec_driver_sql(f"SELECT set_config('search_path', '{SCHEMA}', true)")
    # The raw driver connection: no parameters, so the script's "%" signs are not placeholders
    # and its many statements run as one simple query.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute(SchemaManager.get_schema())
    connection.exec_driver_sql("SELECT set_config('search_path', %(path)s, true)", {"path": previous})


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
