"""Engine, transactions and sessions for SQLite and PostgreSQL; a new database's schema created in
one step (``storage.schema``), an existing one's upgraded through Alembic.

The pipeline (a crawl and its writer) works on Core connections (``transaction()``) and never
loads the ORM, ~140 ms and ~29 MiB of a crawl of unchanged feeds; ``session()`` and
``read_session()`` load it when asked for (the pages, the CLI, the decide stage)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, make_url

from storage.write_lock import WriteLock

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.orm import Session, sessionmaker

# What storage's Core functions run on: a connection in a transaction (the pipeline), or an ORM
# session whose transaction they join (the pages, the CLI, the decide stage, tools and tests).
Executor: TypeAlias = "Connection | Session"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _json_dumps(value: object) -> str:
    # Arabic as UTF-8, not \uXXXX escapes: a third of the size for story states and explanations.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Database:
    """One database: an engine, its transactions and sessions, and the schema's migrations.

    On SQLite a writing transaction (``transaction()``, ``session()``) starts with ``BEGIN IMMEDIATE``: it takes the
    write lock up front (waiting up to the busy timeout), so a transaction that reads and then
    writes cannot fail with "database is locked" because another process committed in between.
    A reading transaction (``read_session()``) starts with a plain ``BEGIN``: under WAL it reads a
    snapshot and never waits for a writer, so pages keep answering while a crawl stores.
    Writing sessions of a SQLite file queue on ``storage.write_lock`` first: the lock changes
    hands within a millisecond rather than at the next look of SQLite's sleeping busy handler.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            _create_parent_folder(parsed)
            self.engine = create_engine(parsed, json_serializer=_json_dumps)
            _configure_sqlite(self.engine)
            self._write_lock = _write_lock(parsed)
        else:
            # pre_ping: a long-running scheduler outlives server restarts and idle timeouts.
            self.engine = create_engine(parsed, pool_pre_ping=True, json_serializer=_json_dumps)
            self._write_lock = None  # PostgreSQL locks rows, not the database
        self._session_factory: sessionmaker[Session] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A writing transaction on a Core connection: committed on success, rolled back on error."""
        with self._write_lock.held() if self._write_lock is not None else nullcontext():
            with self.engine.begin() as connection:
                yield connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A writing ORM session in one transaction: committed on success, rolled back on error."""
        with self._write_lock.held() if self._write_lock is not None else nullcontext():
            with self._sessions().begin() as session:
                yield session

    def write_wanted(self) -> bool:
        """Whether a preferred writer (``storage.write_lock.prefer_this_process``) waits for the
        write lock: a long transaction can commit what it has and let it in."""
        return self._write_lock is not None and self._write_lock.wanted()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: on SQLite it does not take the write lock (so it never
        queues behind a crawl); ended with a rollback, so nothing it might write is kept."""
        with self._sessions()() as session:
            session.connection(execution_options={_READ_ONLY: True})
            try:
                yield session
            finally:
                session.rollback()

    def _sessions(self) -> sessionmaker[Session]:
        if self._session_factory is None:
            from sqlalchemy.orm import sessionmaker

            self._session_factory = sessionmaker(self.engine, expire_on_commit=False)
        return self._session_factory

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (all migrations by default); safe to repeat. A new
        database is created at the newest revision in one step (``storage.schema``)."""
        if revision == "head" and self.at_head():
            return  # every crawl checks: loading Alembic and its scripts cost ~0.2 s for nothing
        from storage import schema

        with self.engine.connect() as connection:
            with _sqlite_foreign_keys_off(connection) if self.is_sqlite else nullcontext():
                with connection.begin():  # on SQLite the write lock: another process may be creating it
                    if revision == "head" and schema.is_new(connection):
                        schema.create_schema(connection, head_revision())
                        return
                    from alembic import command

                    command.upgrade(alembic_config(connection), revision)
                    if self.is_sqlite:
                        _check_foreign_keys(connection)

    def at_head(self) -> bool:
        """Whether the database's recorded revision is the newest migration (one cheap read)."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return False
            current = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
        return current == {head_revision()}

    def downgrade(self, revision: str) -> None:
        """Take the schema back to ``revision`` (tests of upgrades from an older release)."""
        from alembic import command

        with self.engine.connect() as connection:
            with _sqlite_foreign_keys_off(connection) if self.is_sqlite else nullcontext():
                with connection.begin():
                    command.downgrade(alembic_config(connection), revision)

    def dispose(self) -> None:
        self.engine.dispose()


def core(db: Executor) -> Connection:
    """The connection that Core statements run on: ``db`` itself, or an ORM session's, with what
    the session holds unwritten flushed first (as a query through the session would)."""
    if isinstance(db, Connection):
        return db
    db.flush()
    return db.connection()


def orm_session(connection: Connection) -> Session:
    """An ORM session inside ``connection``'s transaction, for the rare write that works on ORM
    objects (a revised report); it commits only its own savepoint, the caller the transaction."""
    from sqlalchemy.orm import Session

    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)', re.MULTILINE)


def head_revision() -> str:
    """The newest migration, read from the scripts' ``revision``/``down_revision`` lines without
    importing Alembic: the one revision no other migration points down to (the chain is linear)."""
    revisions: set[str] = set()
    pointed: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            if value:
                (revisions if name == "revision" else pointed).add(value)
    heads = revisions - pointed
    if len(heads) != 1:
        raise RuntimeError(f"migrations must form one chain; heads found: {sorted(heads)}")
    return heads.pop()


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """Alembic settings built in code, so migrations run from any cwd and from an installed package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation would choke on a "%" in a password.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _write_lock(url: URL) -> WriteLock | None:
    """The write lock of a SQLite database file (none for an in-memory one)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return WriteLock(Path(database).expanduser().resolve(), SQLITE_BUSY_TIMEOUT_MS / 1000)


def _create_parent_folder(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module: its legacy mode does not BEGIN
    # before SAVEPOINT or SELECT, which breaks nested transactions (SQLAlchemy docs,
    # "Transactions with SQLite and the sqlite3 driver").
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
        # loses nothing committed, a power cut may roll back the last commits whole (each one a
        # feed batch with that feed's validators, so the next crawl fetches it again). FULL cost
        # an fsync per commit, ~6 ms, more than storing a 50-item feed.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
    finally:
        cursor.close()


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Foreign keys off while migrating, as SQLite's ALTER TABLE procedure prescribes.

    Alembic's batch mode rebuilds a table by copying it and dropping the original; with foreign
    keys on, that DROP would cascade-delete the rows referencing it (watch matches of articles).
    The pragma is ignored inside a transaction, so it goes to the driver connection before BEGIN.
    """
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise RuntimeError(f"migration left a dangling foreign key: {tuple(broken)}")


_READ_ONLY = "raqib_read_only"


def _on_sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(_READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
