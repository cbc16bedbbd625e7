"""The one writer thread of a crawl: storage work off the reactor, in short transactions.

Tasks (functions of a Core connection) queue up; the writer gathers those that follow one another within
``linger`` seconds (for at most ``gather`` seconds, without holding the write lock), then runs
them and whatever was queued meanwhile in one transaction, and commits once the queue is empty or
the transaction has run ``max_seconds`` or the decide process waits for the write lock
(``storage.write_lock.prefer_this_process``: the rest go in the next). One failing task is rolled back
alone: the first task of a transaction runs without a SAVEPOINT (if it fails, the transaction,
which holds nothing else yet, is rolled back and the others go in the next one), every later
task in its own SAVEPOINT. Most transactions hold one or two feeds' stores, and a SAVEPOINT with
its RELEASE is two more round trips and a subtransaction per task. Many small tasks (300 feeds answering 304 one after
the other) cost a few commits instead of 300; no transaction holds the database much longer than
``max_seconds``, nor waits for a task while holding it. A task's future resolves after its
transaction committed.

Every ``collect_every`` commits the writer runs a full garbage collection, outside any
transaction: a one-shot crawl runs the collector rarely (``raqib.cli.app.settle_for_one_crawl``),
and the reference cycles each stored batch leaves behind (a fifth of a MiB per 50-item feed)
piled up in its oldest generation: the crawl process grew from 98 to 155 MiB over a 300-feed first
cycle, 135 MiB with a collection every 10 commits (what it walks is only what the crawl made: the
start's objects are frozen out of the collector's way).
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Connection

from storage.db import Database

T = TypeVar("T")
_Job = tuple[Callable[[Connection], Any], Future[Any]]


class Writer:
    def __init__(
        self,
        database: Database,
        *,
        max_seconds: float = 0.25,
        linger: float = 0.02,
        gather: float = 0.1,
        collect_every: int = 10,
    ) -> None:
        self.database = database
        self.max_seconds = max_seconds
        self.linger = linger
        self.gather = gather
        self.collect_every = collect_every
        self._commits = 0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="raqib-writer", daemon=True)
        self._thread.start()

    def submit(self, task: Callable[[Connection], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((task, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _gather(self, pending: deque[_Job]) -> bool:
        """Add to ``pending`` (which holds at least one task) the tasks that follow within
        ``linger`` of each other, for at most ``gather`` seconds; True if the writer was closed
        meanwhile. Waited for BEFORE the transaction: the write lock is not held while nothing is
        written (the decide process wants it too; holding it through the lingers between parsed
        feeds kept it from deciding)."""
        deadline = time.monotonic() + self.gather
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                following = self._queue.get(timeout=min(self.linger, left))
            except queue.Empty:
                return False
            if following is None:
                return True
            pending.append(following)

    def _loop(self) -> None:
        pending: deque[_Job] = deque()
        stop = False
        while pending or not stop:
            if not pending:
                first = self._queue.get()
                if first is None:
                    return
                pending.append(first)
                stop = self._gather(pending)
            batch: list[_Job] = []
            done: list[tuple[Future[Any], bool, Any]] = []
            try:
                with self.database.transaction() as connection:
                    started = time.monotonic()
                    while time.monotonic() - started < self.max_seconds:
                        if batch and self.database.write_wanted():
                            break  # the decide process waits: what is stored goes in, the rest next
                        if not pending and not stop:
                            # What was queued meanwhile joins this transaction, without waiting.
                            try:
                                following = self._queue.get_nowait()
                            except queue.Empty:
                                break
                            if following is None:
                                stop = True
                                break
                            pending.append(following)
                        if not pending:
                            break
                        batch.append(pending.popleft())
                        task, future = batch[-1]
                        if len(batch) > 1:
                            done.append((future, *_run(connection, task)))
                            continue
                        try:  # alone in the transaction: its failure rolls back only itself
                            done.append((future, True, task(connection)))
                        except Exception as failure:  # noqa: BLE001 - handed to the task's future
                            done.append((future, False, failure))
                            raise _FirstFailed from failure
            except _FirstFailed:
                pass  # rolled back; the tasks still pending go in the next transaction
            except Exception as failure:  # noqa: BLE001 - the commit failed: every task in it did
                done = [(future, False, failure) for _, future in batch]
            self._commits += 1
            if self._commits % self.collect_every == 0:
                gc.collect()
            for future, ok, value in done:
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)


class _FirstFailed(Exception):
    """The first task of a transaction failed: the transaction is rolled back."""


def _run(connection: Connection, task: Callable[[Connection], Any]) -> tuple[bool, Any]:
    try:
        with connection.begin_nested():
            return True, task(connection)
    except Exception as failure:  # noqa: BLE001 - handed to the task's future
        return False, failure
