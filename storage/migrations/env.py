"""Alembic environment: runs on the connection Database.upgrade() hands over, or on a URL.

``Database.upgrade()`` passes its own connection in ``config.attributes["connection"]`` so the
SQLite pragmas (WAL, foreign keys) apply. From the command line
(``alembic -c storage/alembic.ini -x url=sqlite:///raqib-data/raqib.db upgrade head``) the URL
comes from ``-x url=`` or from ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.search_tables import is_search_index_object
from storage.tables import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set sqlalchemy.url")
    return url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The search index (FTS5 tables, the tsvector column and its GIN index) lives outside the
        # tables: autogenerate must not offer to drop it.
        include_name=is_search_index_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    database = Database(_url())
    try:
        with database.engine.begin() as own_connection:
            _run(own_connection)
    finally:
        database.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
