"""DECIDE beside the crawl, in a process of its own (the embedded mode: ``raqib crawl``, ``raqib run``).

The crawl process is bound by its interpreter lock (fetching, handing to the parse workers,
storing); deciding (the story desk, the sentence encoder) runs here on the other core instead. The
crawl stores with the matches queued in ``undecided_matches`` and, after each commit that queued
some, tells this process which watches have work, with what the parse workers computed for the
matched reports (``PreparedArticle``: deciding then does not compute it again). This process
decides them with ``decide_batch`` (its own database connection, its own story desk, the outbox
rows written here), one watch batch per transaction, until the crawl says it is done and nothing is
left.

Crash safety comes from the queue table: a decision and taking its matches off the queue commit
together, so a decide process that dies (``kill -9``) leaves what it had not decided queued, the
crawl reports why it died, and the next cycle's decide process starts with what is left.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe, wait
from typing import TYPE_CHECKING

from ingest.clock import Clock
from ingest.deciding import DecideLoop
from ingest.processes import ChildProcess

if TYPE_CHECKING:
    # Imported by the decide process only (``ingest.deciding``): the crawl's process that starts it,
    # and a cycle that decides nothing, never load the decide chain.
    from alerts.outbox import OutboxWriter
    from ingest.desk import StoryDesk
    from ingest.prepare import PreparedArticle
    from storage.db import Database

# Started as the parse workers are (ingest.processes): from a clean interpreter, not a copy of the
# crawl's threads and reactor.
PROCESS_NAME = "raqib-decide"  # as ``ps`` and ``top`` show it (Linux)


@dataclass(frozen=True, slots=True)
class DecideParts:
    """What the decide process works with, built in it (``raqib.compose.decide_parts``)."""

    database: Database
    desk: Callable[[], StoryDesk]  # called at the first match: it loads the sentence encoder
    outbox: OutboxWriter | None


@dataclass(slots=True)
class DecideFigures:
    """The decide process's account of a cycle (``CrawlResult.stages``)."""

    decided: int = 0  # matches decided
    seconds: float = 0.0  # deciding, the desk's building excluded
    cpu: float = 0.0  # of which the process's CPU time (the rest: waiting for the lock, or for a core)
    waited: float = 0.0  # of which waiting for the write lock (SQLite) or the watch lock (PostgreSQL)
    transactions: int = 0
    held: float = 0.0  # of which holding the write lock (placing, writing, committing)
    desk_seconds: float = 0.0  # building the desk (loading the encoder)
    longest: float = 0.0  # the longest a decide transaction held the write lock, seconds
    error: str | None = None  # why the decide process stopped before deciding everything

    def stages(self) -> dict[str, float]:
        return {
            "decide": self.seconds,
            "decide_cpu": self.cpu,
            "decide_waited": self.waited,
            "decide_transactions": float(self.transactions),
            "decide_held": self.held,
            "decided": float(self.decided),
            "desk": self.desk_seconds,
            "decide_longest": self.longest,
        }


# -- the crawl's side ------------------------------------------------------------------------------


class DecideProcess:
    """The crawl's handle on its decide process: started by the first notice (a cycle where nothing
    matched starts none), told which watches have work, waited for at the end (``finish``).
    Notices go through a sender thread: the crawl's writer thread never waits on the pipe."""

    def __init__(self, parts: Callable[[], DecideParts], clock: Clock) -> None:
        self._parts = parts  # picklable: it is called in the decide process
        self._clock = clock
        self._process: ChildProcess | None = None
        self._answers: Connection | None = None
        self._outbox: queue.SimpleQueue[tuple[list[str], dict[int, PreparedArticle]] | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._unsent: str | None = None  # why a notice could not be sent
        self._lock = threading.Lock()

    def notify(self, watches: Collection[str], prepared: Mapping[int, PreparedArticle] | None = None) -> None:
        """Watches with matches committed to the queue (and what was computed for those reports)."""
        if not watches:
            return
        self._start()
        self._outbox.put((sorted(watches), dict(prepared or {})))

    def start(self) -> None:
        """Start the decide process now rather than at the first notice, and have it build its
        desk (load the sentence encoder) at once: a crawl sure to decide (a first crawl) then
        loads it on a core its own start leaves idle, not beside its parsing."""
        self._start(preload=True)

    def _start(self, *, preload: bool = False) -> None:
        with self._lock:
            if self._process is not None:
                return
            inbox, notices = Pipe(duplex=False)
            answers, reply = Pipe(duplex=False)
            process = ChildProcess(_decide_main, (inbox, reply, self._parts, self._clock, preload))
            process.start()
            inbox.close()
            reply.close()
            self._process, self._answers = process, answers
            self._sender = threading.Thread(
                target=self._send, args=(notices,), name="raqib-decide-notices", daemon=True
            )
            self._sender.start()

    def _send(self, notices: Connection) -> None:
        try:
            while True:
                notice = self._outbox.get()
                try:
                    notices.send(notice)
                except OSError:
                    return  # the decide process is gone: ``finish`` says why
                except Exception as failure:  # noqa: BLE001 - closing the pipe ends the decide process's wait
                    self._unsent = f"a notice to the decide process failed: {type(failure).__name__}: {failure}"
                    return
                if notice is None:
                    return
        finally:
            notices.close()

    def finish(self) -> DecideFigures:
        """Tell the decide process nothing more comes, wait until it has decided everything it was
        told of (and what an earlier cycle left queued), and return its figures; a process that
        died returns why."""
        with self._lock:
            process, answers, sender = self._process, self._answers, self._sender
        if process is None or answers is None or sender is None:
            return DecideFigures()
        self._outbox.put(None)
        try:
            ready = wait([answers, process.sentinel])
            if answers in ready:
                try:
                    figures: DecideFigures = answers.recv()
                    if figures.error is None and self._unsent is not None:
                        figures.error = f"{self._unsent}; its matches stay queued for the next cycle"
                    return figures
                except (EOFError, OSError):
                    pass  # it died while answering: its exit code says how
            process.join(5)
            return DecideFigures(error=_death(process))
        finally:
            sender.join(5)
            answers.close()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()


def _death(process: ChildProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        how = f"was killed by {name}"
    else:
        how = f"exited with status {code}"
    return f"the decide process {how}; the matches it had not decided stay queued for the next cycle"


# -- the decide process ---------------------------------------------------------------------------


def _decide_main(
    inbox: Connection, reply: Connection, parts_of: Callable[[], DecideParts], clock: Clock, preload: bool = False
) -> None:
    from storage import write_lock

    _name_process(PROCESS_NAME)
    write_lock.prefer_this_process()  # the cycle waits for deciding, not for storing
    figures = DecideFigures()
    parts = None
    try:
        parts = parts_of()
        deciding = DecideLoop(parts, clock, figures)
        if preload:
            deciding._desk()
        deciding.run(inbox)
    except Exception as failure:  # noqa: BLE001 - said to the crawl, which reports it
        figures.error = f"deciding failed: {type(failure).__name__}: {failure}"
    finally:
        if parts is not None:
            parts.database.dispose()
    try:
        reply.send(figures)
    except OSError:
        pass  # the crawl is gone


def _name_process(name: str) -> None:
    """The process's name in ``ps``/``top`` (Linux; elsewhere it keeps the interpreter's)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass
