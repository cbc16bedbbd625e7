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

import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from ingest.clock import Clock

if TYPE_CHECKING:
    # Imported by the decide process only (``_Deciding``): the crawl's process that starts it,
    # and a cycle that decides nothing, never load the decide chain.
    from alerts.outbox import OutboxWriter
    from ingest.desk import StoryDesk
    from ingest.prepare import PreparedArticle
    from storage.db import Database

# The same start method as the parse workers (ingest.workers): one forkserver serves both, and
# the process starts from a clean interpreter, not a copy of the crawl's threads and reactor.
_CONTEXT = multiprocessing.get_context("forkserver")
PROCESS_NAME = "raqib-decide"  # as ``ps`` and ``top`` show it (Linux)
# Matches per decide transaction. SQLite has one writer at a time and the crawl's store waits while
# a decision holds the lock (and the other way round): a fixed batch of 100 held it for seconds on
# a busy machine (bench_pipeline). Yet every transaction rewrites the memory of each story it
# touched (a long story's is a large document) and looks up the batch's duplicates and stories
# again: with 16 a transaction, that was most of deciding a long queue. So the batch grows while
# transactions stay short: each is sized from the time per match the previous ones took, to hold
# the lock about ``DECIDE_HOLD`` seconds, between ``DECIDE_STEP`` and ``DECIDE_MOST``. A match's
# cost varies twentyfold, so that size is only the plan: each transaction also stops placing
# matches ``DECIDE_PLACING`` seconds after it took the lock (``decide_batch``'s deadline).
DECIDE_STEP = 16
DECIDE_MOST = 512
DECIDE_HOLD = 0.25
# Seconds a watch whose queue was emptied rests before its next transaction while the crawl is
# still storing, so that the matches of the feeds stored meanwhile are decided together. In a
# sparse stream (a match or two per feed) each notice was otherwise decided in a transaction of
# its own, and a transaction's fixed cost (the look-ahead's and the batch's lookups, the commit)
# was most of deciding it. Once the crawl is done nothing rests: the last matches are decided at once.
DECIDE_GATHER = 1.0
# The longest the decide process waits for the notice of a queued report the crawl has just
# committed (it brings what the parse workers computed) before preparing the report itself.
NOTICE_WAIT = 0.25


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
        self._process: BaseProcess | None = None
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
            inbox, notices = _CONTEXT.Pipe(duplex=False)
            answers, reply = _CONTEXT.Pipe(duplex=False)
            process = _CONTEXT.Process(
                target=_decide_main,
                args=(inbox, reply, self._parts, self._clock, preload),
                name=PROCESS_NAME,
                daemon=True,
            )
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


def _death(process: BaseProcess) -> str:
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
    _name_process(PROCESS_NAME)
    figures = DecideFigures()
    parts = None
    try:
        parts = parts_of()
        deciding = _Deciding(parts, clock, figures)
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


@dataclass
class _Deciding:
    parts: DecideParts
    clock: Clock
    figures: DecideFigures
    pending: dict[str, None] = field(default_factory=dict)  # watches with work, in turn
    prepared: dict[int, PreparedArticle] = field(default_factory=dict)
    desk: StoryDesk | None = None
    per_match: float | None = None  # seconds the lock was held per match decided, recent transactions
    finishing: bool = False  # the crawl said nothing more comes (or is gone)
    rested: dict[str, float] = field(default_factory=dict)  # watch -> when its queue was last emptied
    noticed: int = 0  # the newest article id a notice brought
    awaited: int = 0  # the newest article id whose notice was waited for
    _inbox: Connection | None = None

    def run(self, inbox: Connection) -> None:
        self._inbox = inbox
        while self.pending or not self.finishing:
            watch = self._next_watch()
            if watch is not None:
                self._step(watch)
            else:  # nothing to decide yet: wait for a notice, or for a resting watch's turn
                self._receive(self._until_turn())

    def _next_watch(self) -> str | None:
        """The first pending watch whose turn it is, once every notice that has arrived is taken
        in; None if they all rest (``DECIDE_GATHER``)."""
        self._receive(0)
        now = time.perf_counter()
        for watch in self.pending:
            if self.finishing or now >= self.rested.get(watch, -DECIDE_GATHER) + DECIDE_GATHER:
                return watch
        return None

    def _until_turn(self) -> float | None:
        """Seconds until a pending watch's rest ends (None: none is pending, wait for a notice)."""
        if not self.pending:
            return None
        turn = min(self.rested.get(watch, -DECIDE_GATHER) + DECIDE_GATHER for watch in self.pending)
        return max(0.0, turn - time.perf_counter())

    def _receive(self, timeout: float | None) -> bool:
        """Take in the notices that arrive within ``timeout`` seconds (None: wait for the next
        one), and any that follow at once; whether one came."""
        came = False
        while not self.finishing and self._inbox is not None and self._inbox.poll(timeout):
            came, timeout = True, 0
            try:
                notice = self._inbox.recv()
            except EOFError:  # the crawl is gone: decide what is known, then stop
                notice = None
            if notice is None:
                self.finishing = True
                break
            watches, prepared = notice
            self.pending.update(dict.fromkeys(watches))
            self.prepared.update(prepared)
            self.noticed = max(self.noticed, max(prepared, default=0))
        return came

    def _await_notices(self, missing: list[int]) -> None:
        """Wait, at most ``NOTICE_WAIT`` seconds, for the notices of the queued reports in
        ``missing`` that the crawl committed after the last notice taken in. The crawl's one
        writer numbers its articles in the order it commits them and sends the notices in that
        order, so only a report newer than every one noticed may be on its way; an older one
        (queued by an earlier cycle, or another process) never comes with what was computed
        for it, and neither does one already waited for."""
        newest = max(missing)
        if newest <= max(self.noticed, self.awaited):
            return
        self.awaited = newest
        deadline = time.perf_counter() + NOTICE_WAIT
        while newest > self.noticed and not self.finishing:
            left = deadline - time.perf_counter()
            if left <= 0 or not self._receive(left):
                return

    def _step(self, watch: str) -> None:
        """One batch of the watch's queue in one transaction; the watch goes to the back of the
        line, or leaves it when its queue is empty."""
        from ingest.decide import DECIDE_PLACING, decide_batch, look_ahead
        from storage import watch_locks

        desk = self._desk()
        planned = batch_size(self.per_match)
        started, started_cpu = time.perf_counter(), time.process_time()
        with self.parts.database.read_session() as session:  # waits for no writer
            ahead = look_ahead(
                session,
                desk,
                watch,
                prepared=self.prepared,
                limit=planned,
                await_notices=None if self.finishing else self._await_notices,
            )
        if not ahead.queued:  # decided already (committed after an earlier look-ahead, and taken then)
            self.figures.seconds += time.perf_counter() - started
            self.figures.cpu += time.process_time() - started_cpu
            del self.pending[watch]
            self.rested[watch] = time.perf_counter()
            return
        # What was looked ahead, not what the crawl commits while this waits for the lock: that
        # comes with its own notice, and is looked ahead then.
        limit = ahead.queued
        locking = time.perf_counter()
        with self.parts.database.session() as session:
            session.connection()  # the write lock (SQLite: BEGIN IMMEDIATE), waited for if the crawl holds it
            watch_locks.lock_watches(session, [watch])  # PostgreSQL: waited for while a store of the watch holds it
            writing = time.perf_counter()
            deadline = writing + DECIDE_PLACING
            events = decide_batch(
                session,
                desk,
                self.parts.outbox,
                watch,
                now=self.clock.now(),
                prepared=self.prepared,
                limit=limit,
                deadline=deadline,
                ahead=ahead,
            )
        finished = time.perf_counter()
        held = finished - writing  # the lock held, commit included
        self.figures.longest = max(self.figures.longest, held)
        self.figures.held += held
        self.figures.seconds += finished - started
        self.figures.cpu += time.process_time() - started_cpu
        self.figures.waited += writing - locking
        self.figures.transactions += 1
        self.figures.decided += len(events)
        if events:
            # A transaction's fixed costs are spread over its matches: a short one (the queue's
            # tail) says little of the next full one, so it weighs by its size; one its deadline
            # cut short was full.
            weight = 1.0 if finished >= deadline else min(1.0, len(events) / planned)
            this = held / len(events)
            self.per_match = this if self.per_match is None else (1 - weight / 2) * self.per_match + weight / 2 * this
        del self.pending[watch]
        if events and (limit >= planned or len(events) < limit):  # more may be queued, or some were left
            self.pending[watch] = None
        else:
            self.rested[watch] = finished

    def _desk(self) -> StoryDesk:
        if self.desk is None:
            started = time.perf_counter()
            self.desk = self.parts.desk()
            self.figures.desk_seconds = time.perf_counter() - started
        return self.desk


def batch_size(per_match: float | None) -> int:
    """How many matches the next transaction takes: about ``DECIDE_HOLD`` seconds of them, at
    ``per_match`` seconds each (unknown before the first transaction)."""
    if per_match is None:
        return DECIDE_STEP
    return max(DECIDE_STEP, min(DECIDE_MOST, int(DECIDE_HOLD / max(per_match, 1e-6))))


def _name_process(name: str) -> None:
    """The process's name in ``ps``/``top`` (Linux; elsewhere it keeps the interpreter's)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass
