"""Pytest plugin: a throwaway PostgreSQL server for the session, and a `database` fixture.

The server is started from the PostgreSQL binaries (``initdb``, ``postgres``) in a temporary
folder, listening on 127.0.0.1 only, with fsync off: nothing in it has to survive the run.
PostgreSQL refuses to run as root, so under root it runs as the system user ``raqibtest``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from storage.db import Database

PG_USER = "raqibtest"  # the OS user that runs the server when the tests run as root
DB_SUPERUSER = "postgres"
DB_NAME = "raqib_test"
START_TIMEOUT_S = 30.0
PG_STARTED_IN_S = pytest.StashKey[float]()
MISSING_BINARIES = (
    "PostgreSQL server binaries (initdb, postgres) were not found on PATH or in "
    "/usr/lib/postgresql/*/bin. The storage tests run on PostgreSQL too: run the test command "
    "from the README, which installs the Debian package `postgresql`."
)


@dataclass
class PgServer:
    port: int
    process: subprocess.Popen[bytes]
    root: Path
    started_in_s: float

    def admin_dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={DB_SUPERUSER} dbname={dbname}"

    def sqlalchemy_url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{DB_SUPERUSER}@127.0.0.1:{self.port}/{dbname}"


def find_pg_bindir() -> Path | None:
    """The folder holding initdb and postgres: PATH first, then the Debian layout."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        # Debian links /usr/local/bin/initdb into the versioned folder that also holds postgres.
        folder = Path(initdb).resolve().parent
        if (folder / "postgres").exists():
            return folder
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    return None


def _version_key(folder: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in folder.parent.name.split("."))
    except ValueError:
        return (0,)


def _server_user() -> str | None:
    """The unprivileged user to run PostgreSQL as, created if needed; None when not root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
    return PG_USER


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run_as(user: str | None, args: list[str], root: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, user=user, cwd=root, env=_server_env(), capture_output=True, check=False)


def _server_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}


# Nothing in the test server has to survive the run: skip every durability cost.
SERVER_SETTINGS = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]


def start_pg_server(bindir: Path) -> PgServer:
    started = time.monotonic()
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="raqib-pg-"))
    if user is not None:
        shutil.chown(root, user=user)
    data = root / "data"
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", DB_SUPERUSER, "-A", "trust"]
    init = _run_as(user, [*initdb, "-E", "UTF8", "--locale=C", "--no-sync"], root)
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed:\n{init.stdout.decode()}\n{init.stderr.decode()}")
    port = _free_port()
    settings = ["listen_addresses=127.0.0.1", f"unix_socket_directories={root}", *SERVER_SETTINGS]
    command = [str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
    command += [arg for setting in settings for arg in ("-c", setting)]
    # The child keeps its own copy of the log's file descriptor once started.
    with open(root / "postgres.log", "wb") as log:
        process = subprocess.Popen(
            command, user=user, cwd=root, env=_server_env(), stdout=log, stderr=subprocess.STDOUT
        )
    server = PgServer(port=port, process=process, root=root, started_in_s=0.0)
    _wait_ready(server)
    with psycopg.connect(server.admin_dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    server.started_in_s = time.monotonic() - started
    return server


def _wait_ready(server: PgServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            psycopg.connect(server.admin_dsn(), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.05)
    log = (server.root / "postgres.log").read_text(errors="replace")
    stop_pg_server(server)
    pytest.fail(f"PostgreSQL did not start on port {server.port}:\n{log}")


def stop_pg_server(server: PgServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGQUIT)  # immediate shutdown: the data is thrown away
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[PgServer]:
    bindir = find_pg_bindir()
    if bindir is None:
        pytest.fail(MISSING_BINARIES)
    server = start_pg_server(bindir)
    request.config.stash[PG_STARTED_IN_S] = server.started_in_s
    try:
        yield server
    finally:
        stop_pg_server(server)


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    """SQLAlchemy URL of the session's PostgreSQL database ``raqib_test``."""
    return pg_server.sqlalchemy_url(DB_NAME)


@pytest.fixture
def fresh_pg_url(pg_server: PgServer) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"raqib_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield pg_server.sqlalchemy_url(name)
    finally:
        with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend: a SQLite file in tmp_path, or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'raqib.db'}"
    # Looked up lazily so that a SQLite-only selection (-k sqlite) never starts PostgreSQL.
    url: str = request.getfixturevalue("fresh_pg_url")
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A fresh, upgraded Database on SQLite and on PostgreSQL (the test runs once per backend)."""
    db = Database(database_url)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # How long PostgreSQL took to start, so a slow machine shows up in the test output.
    started = terminalreporter.config.stash.get(PG_STARTED_IN_S, None)
    if started is not None:
        terminalreporter.write_line(f"PostgreSQL test server started in {started:.2f}s")
