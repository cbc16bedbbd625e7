"""One ``raqib run`` per database: a second one refuses to start with a clear message.

The lock dies with its process (also on ``kill -9``), so a restart never waits for a stale lock:
an exclusive ``flock`` on a file beside a SQLite database, a session-level advisory lock held on
its own connection for PostgreSQL."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# An arbitrary constant naming "raqib run" among PostgreSQL advisory locks.
ADVISORY_KEY = 0x52415149  # "RAQI"


class AlreadyRunning(RuntimeError):
    pass


class RunLock:
    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self._file: IO[str] | None = None
        self._connection: Any = None

    def acquire(self) -> Self:
        if self.url.get_backend_name() == "sqlite":
            path = Path(self.url.database or "raqib.db").resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = path.with_name(path.name + ".run.lock")
            handle = lock_path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise AlreadyRunning(f"another `raqib run` ({holder}) is already using {path}; stop it first") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            self._file = handle
        else:
            engine = create_engine(self.url, pool_size=1, max_overflow=0)
            connection = engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
            if not got:
                connection.close()
                engine.dispose()
                where = self.url.render_as_string(hide_password=True)
                raise AlreadyRunning(f"another `raqib run` is already using {where}; stop it first")
            self._connection = (engine, connection)
        return self

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            engine, connection = self._connection
            connection.close()
            engine.dispose()
            self._connection = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
