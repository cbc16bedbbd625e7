"""The procrastinate app: its connection to the PostgreSQL database of the config.

procrastinate's tables and functions are in their own PostgreSQL schema (``procrastinate``,
created by migration 0006), so its connections put that schema first on their search path."""

from __future__ import annotations

from typing import Any

from procrastinate import App, PsycopgConnector
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

SCHEMA = "procrastinate"


class NeedsPostgres(ValueError):
    """Distributed mode shares its work through PostgreSQL; a SQLite file cannot be shared."""


def require_postgres(database_url: str) -> None:
    backend = make_url(database_url).get_backend_name()
    if backend != "postgresql":
        raise NeedsPostgres(
            f"distributed mode needs PostgreSQL, and the config's database is {backend} "
            f"({make_url(database_url).render_as_string(hide_password=True)}). Set "
            'database = "postgresql+psycopg://user@host/db" in the config on every machine, or use '
            "`raqib run` (one process, SQLite or PostgreSQL)."
        )


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy URL (``postgresql+psycopg://...``)."""
    url = make_url(database_url)
    parts: dict[str, Any] = {
        key: value
        for key, value in {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "dbname": url.database,
        }.items()
        if value is not None
    }
    for key, value in url.query.items():
        parts[key] = value if isinstance(value, str) else value[-1]
    return make_conninfo("", **parts)


def build_app(database_url: str, *, max_connections: int = 10) -> App:
    """The app with every Raqib task registered (see ``raqib.distributed.tasks``)."""
    from raqib.distributed.tasks import NAMESPACE, blueprint

    require_postgres(database_url)
    connector = PsycopgConnector(
        conninfo=conninfo(database_url),
        kwargs={"options": f"-c search_path={SCHEMA}"},
        min_size=1,
        max_size=max_connections,
    )
    app = App(connector=connector)
    app.add_tasks_from(blueprint(), namespace=NAMESPACE)
    return app
