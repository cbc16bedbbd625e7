"""SQLite's one write lock, handed over promptly between processes (and threads).

SQLite lets one writer at a time in; a writer that finds the lock taken waits in SQLite's busy
handler, which SLEEPS and looks again, in steps growing to 100 ms. Two busy writers (the crawl's
writer thread and the decide process) then spend much of a cycle asleep with nobody holding the
lock: the one that commits takes it again before the sleeper wakes, and the sleeper's next look
is up to 100 ms away (measured: a 25 s first cycle of bench_pipeline whose processes used 4.6 s
of CPU). Here every writing transaction first takes an exclusive ``flock`` on a file beside the
database, looked at every millisecond, so the lock changes hands within a millisecond of its
release. SQLite's own lock and busy timeout stay underneath, for writers that do not come
through here (migrations, another tool).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# How often a waiting writer looks again: short, so the lock is idle at most this long between
# two writers; a look is one system call.
_POLL_SECONDS = 0.001
# The longest an ordinary writer stands aside for a waiting preferred one (``prefer_this_process``)
# before it queues on the lock as usual: a preferred writer that waits longer is stuck elsewhere.
_STAND_ASIDE_SECONDS = 1.0
_preferred = False  # this process's writers go first (``prefer_this_process``)


def prefer_this_process() -> None:
    """This process's writers go before the others': while one waits for the lock, a writer of
    another process does not begin a transaction, and one in a transaction can end it early
    (``WriteLock.wanted``). The decide process of a crawl takes it: in a dense cycle it is what
    the cycle waits for at the end, and it waited about a tenth of a second for each of its
    transactions, the rest of a store transaction of the crawl's writer (which is not waited
    for: what it stores is decided later anyway)."""
    global _preferred
    _preferred = True


class WriteLock:
    """An exclusive lock per database file, shared by every process and thread that writes it.

    Reentrant per thread: a thread already writing (a nested session) is let through, as SQLite's
    own lock would have let its one connection through. ``timeout``: after this long the caller
    goes on without it and SQLite's busy handler decides (as before this lock existed)."""

    def __init__(self, database_file: Path, timeout: float, *, preferred: bool | None = None) -> None:
        self.path = database_file.with_name(database_file.name + ".write.lock")
        # Held shared by preferred writers while they wait for the lock; an ordinary writer that
        # cannot lock it exclusively knows one is waiting.
        self.wanted_path = database_file.with_name(database_file.name + ".write.wanted")
        self.timeout = timeout
        self.preferred = preferred  # None: as the process says (``prefer_this_process``)
        self._held = threading.local()

    def wanted(self) -> bool:
        """Whether a preferred writer is waiting for the lock (a writer holding it can commit
        what it has and let it in)."""
        handle = os.open(self.wanted_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(handle)
        return False

    @contextmanager
    def held(self) -> Iterator[None]:
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if self.preferred if self.preferred is not None else _preferred:
                wanted = os.open(self.wanted_path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(wanted, fcntl.LOCK_SH)  # an ordinary writer holds it only for a look
                    _lock(handle, self.timeout)
                finally:
                    os.close(wanted)
            else:
                _stand_aside(self.wanted_path, min(self.timeout, _STAND_ASIDE_SECONDS))
                _lock(handle, self.timeout)
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
        finally:
            os.close(handle)  # closing the descriptor lets the lock go


def _lock(handle: int, timeout: float) -> bool:
    """Take the lock (True) or give up after ``timeout`` seconds (False)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)


def _stand_aside(wanted_path: Path, timeout: float) -> None:
    """Wait, at most ``timeout`` seconds, while a preferred writer waits for the lock."""
    handle = os.open(wanted_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if _lock(handle, timeout):
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
