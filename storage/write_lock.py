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


class WriteLock:
    """An exclusive lock per database file, shared by every process and thread that writes it.

    Reentrant per thread: a thread already writing (a nested session) is let through, as SQLite's
    own lock would have let its one connection through. ``timeout``: after this long the caller
    goes on without it and SQLite's busy handler decides (as before this lock existed)."""

    def __init__(self, database_file: Path, timeout: float) -> None:
        self.path = database_file.with_name(database_file.name + ".write.lock")
        self.timeout = timeout
        self._held = threading.local()

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
