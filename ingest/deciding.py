"""The loop inside the decide process (``ingest.decider`` starts the process and talks to it):
which watch to decide next, how many of its matches a transaction takes, and how long to wait
for the crawl's notices, so that a sparse stream is decided in a few transactions and a dense one
in transactions that hold the write lock about ``DECIDE_HOLD`` seconds each."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.clock import Clock
    from ingest.decider import DecideFigures, DecideParts
    from ingest.desk import StoryDesk
    from ingest.prepare import PreparedArticle

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
DECIDE_MOST = 1024
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


@dataclass
class DecideLoop:
    """The decide process's loop: takes the crawl's notices, decides each watch's queue in
    transactions sized to hold the lock about ``DECIDE_HOLD`` seconds, resting a watch whose queue
    it emptied (``DECIDE_GATHER``) while the crawl still stores."""

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
        from ingest.decide import DECIDE_PLACING, decide_batch, look_ahead, refresh_statistics
        from storage import watch_locks

        desk = self._desk()
        planned = batch_size(self.per_match)
        started, started_cpu = time.perf_counter(), time.process_time()
        refresh_statistics(self.parts.database)
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
            # cut short was full. Averaged as a rate (matches per second held), not as seconds per
            # match: one slow transaction (a core taken by the crawl, a story compared by meaning
            # at length) otherwise shrank the next batches to ``DECIDE_STEP`` for a dozen
            # transactions, each waiting for the lock again; a batch too large for the lock's
            # time is cut short by its deadline anyway.
            weight = 1.0 if finished >= deadline else min(1.0, len(events) / planned)
            this = len(events) / max(held, 1e-6)
            rate = this if self.per_match is None else (1 - weight / 2) / self.per_match + weight / 2 * this
            self.per_match = 1 / rate
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
