"""The one writer thread of a crawl: storage work off the reactor, in short transactions.

Tasks (functions of a session) queue up; the writer runs what is queued in one transaction, each
task in its own SAVEPOINT (one failing task is rolled back alone), and commits once the batch has
run ``max_seconds`` or the queue stayed empty for ``linger`` seconds. Many small tasks (300 feeds
answering 304 one after the other) cost a few commits instead of 300; no transaction holds the
database much longer than ``max_seconds``. A task's future resolves after its transaction
committed.

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
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from storage.db import Database

T = TypeVar("T")
_Job = tuple[Callable[[Session], Any], Future[Any]]


class Writer:
    def __init__(
        self, database: Database, *, max_seconds: float = 0.25, linger: float = 0.02, collect_every: int = 10
    ) -> None:
        self.database = database
        self.max_seconds = max_seconds
        self.linger = linger
        self.collect_every = collect_every
        self._commits = 0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="raqib-writer", daemon=True)
        self._thread.start()

    def submit(self, task: Callable[[Session], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((task, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            done: list[tuple[Future[Any], bool, Any]] = []
            stop = False
            try:
                with self.database.session() as session:
                    started = time.monotonic()
                    while True:
                        task, future = batch[-1]
                        done.append((future, *_run(session, task)))
                        elapsed = time.monotonic() - started
                        if elapsed >= self.max_seconds:
                            break
                        try:
                            # A moment's wait for the next task saves a commit when tasks come
                            # one after the other (readers do not wait for it: WAL).
                            following = self._queue.get(timeout=min(self.linger, self.max_seconds - elapsed))
                        except queue.Empty:
                            break
                        if following is None:
                            stop = True
                            break
                        batch.append(following)
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
            if stop:
                return


def _run(session: Session, task: Callable[[Session], Any]) -> tuple[bool, Any]:
    try:
        with session.begin_nested():
            return True, task(session)
    except Exception as failure:  # noqa: BLE001 - handed to the task's future
        return False, failure
