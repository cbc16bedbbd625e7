"""The crawl's writer thread (``ingest.writer.Writer``): a feed whose store fails loses nothing of
the other feeds stored in the same transaction, whether it ran first in that transaction (no
SAVEPOINT: the transaction is rolled back and the others go in the next) or later (its own
SAVEPOINT), on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import pytest
from sqlalchemy import Connection, select

from ingest.writer import Writer
from storage import feed_repo
from storage.db import Database
from storage.tables import feeds


class Feed:
    def __init__(self, name: str, url: str) -> None:
        self.name, self.url, self.language, self.enabled = name, url, "ar", True


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


def store_feed(name: str, *, then_fail: bool = False) -> Callable[[Connection], int]:
    """A store task: writes one feed row; ``then_fail`` fails after writing, as a store whose
    second statement breaks (a constraint, a lost connection) does."""

    def task(connection: Connection) -> int:
        feed_repo.sync_feeds(connection, [Feed(name, f"http://example.org/{len(name)}.xml")])
        if then_fail:
            connection.exec_driver_sql("SELECT * FROM no_such_table")
        return len(name)

    return task


def stored_names(database: Database) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(feeds.c.name)))


def one_transaction(database: Database, tasks: list[Callable[[Connection], int]]) -> list[Future[int]]:
    """Queue ``tasks`` so that the writer takes them into one transaction: the first waits on a
    gate until the others are queued (the writer has started its transaction with it)."""
    gate = threading.Event()
    first = tasks[0]

    def gated(connection: Connection) -> int:
        gate.wait(10)
        return first(connection)

    writer = Writer(database, linger=0.0, gather=0.0, max_seconds=30.0)
    try:
        futures = [writer.submit(gated)]
        futures += [writer.submit(task) for task in tasks[1:]]
        gate.set()
        for future in futures:
            future.exception(timeout=30)
    finally:
        writer.close()
    return futures


def test_a_failing_first_store_rolls_back_alone(db: Database) -> None:
    futures = one_transaction(db, [store_feed("أخبار الفشل", then_fail=True), store_feed("الجزيرة"), store_feed("BBC")])
    assert futures[0].exception() is not None
    assert [future.result() for future in futures[1:]] == [len("الجزيرة"), len("BBC")]
    assert stored_names(db) == {"الجزيرة", "BBC"}


def test_a_failing_later_store_rolls_back_alone(db: Database) -> None:
    futures = one_transaction(db, [store_feed("الجزيرة"), store_feed("أخبار الفشل", then_fail=True), store_feed("BBC")])
    assert futures[1].exception() is not None
    assert futures[0].result() == len("الجزيرة") and futures[2].result() == len("BBC")
    assert stored_names(db) == {"الجزيرة", "BBC"}
