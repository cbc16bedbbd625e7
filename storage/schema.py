"""A new database's schema made in one step: the tables of ``storage.tables``, the search index beside
them, procrastinate's queue (PostgreSQL) and the migration version set to the newest one.

Running the nine migrations instead cost a first start ~0.6 s of one core (Alembic, its scripts,
and tables built and rebuilt one after the other); a database that already has tables is still
migrated by Alembic (``Database.upgrade``). ``tests/test_storage.py`` checks that both ways give
the same schema on SQLite and PostgreSQL, so a migration that ``storage.tables`` does not describe (or the
other way round) fails there.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect
from sqlalchemy.engine import Connection

from storage.search_tables import FTS_TABLE, PG_INDEX, PG_VECTOR, article_search
from storage.tables import metadata

PROCRASTINATE_SCHEMA = "procrastinate"  # as migration 0006 names it

# Alembic's own version table, as ``command.stamp`` would create it: writing it here spares
# loading Alembic and every migration script only to learn the newest revision's name.
_VERSIONS = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)

# The search index as the migrations leave it (0004, less the row triggers 0009 dropped): the
# store writes it in bulk; the delete trigger stays (a cascade reaches article_search without us).
_SEARCH = article_search.name
SQLITE_SEARCH_INDEX = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(language, content, content='{_SEARCH}', "
    "content_rowid='article_id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON {_SEARCH} BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, language, content) "
    "VALUES ('delete', old.article_id, old.language, old.content); END",
]
POSTGRESQL_SEARCH_INDEX = [
    f"ALTER TABLE {_SEARCH} ADD COLUMN {PG_VECTOR} tsvector",
    f"ALTER TABLE {_SEARCH} SET (toast_tuple_target = 128)",
    f"CREATE INDEX {PG_INDEX} ON {_SEARCH} USING gin ({PG_VECTOR})",
]


def is_new(connection: Connection) -> bool:
    """Whether the database holds nothing of ours yet: no table (nor, on PostgreSQL, the queue's
    schema). Anything else is migrated, never created over."""
    inspector = inspect(connection)
    if inspector.get_table_names():
        return False
    return connection.dialect.name != "postgresql" or PROCRASTINATE_SCHEMA not in inspector.get_schema_names()


def create_schema(connection: Connection, head: str) -> None:
    """Create every table, index and search object of the newest schema on ``connection`` (in
    its transaction) and record ``head`` as the migration the database is at."""
    metadata.create_all(connection)
    dialect = connection.dialect.name
    for statement in SQLITE_SEARCH_INDEX if dialect == "sqlite" else POSTGRESQL_SEARCH_INDEX:
        connection.exec_driver_sql(statement)
    if dialect == "postgresql":
        _create_queue(connection)
    _VERSIONS.create(connection)
    connection.execute(_VERSIONS.insert().values(version_num=head))


def _create_queue(connection: Connection) -> None:
    """procrastinate's tables and functions in their own schema, from the ``schema.sql`` of the
    installed release (the one migration 0006 applies)."""
    from procrastinate.schema import SchemaManager

    connection.exec_driver_sql(f"CREATE SCHEMA {PROCRASTINATE_SCHEMA}")
    previous = connection.exec_driver_sql("SELECT current_setting('search_path')").scalar()
    connection.exec_driver_sql(f"SELECT set_config('search_path', '{PROCRASTINATE_SCHEMA}', true)")
    raw = connection.connection.dbapi_connection  # no parameters: the script's "%" signs stay as they are
    assert raw is not None
    raw.execute(SchemaManager.get_schema())
    connection.exec_driver_sql("SELECT set_config('search_path', %(path)s, true)", {"path": previous})
