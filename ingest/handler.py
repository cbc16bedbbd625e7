"""The handler the crawler is given: every fetched feed and page goes through the stages here.

Reactor thread: only bookkeeping and handing on. Worker processes: parse and extract (each within
its budget). Writer thread: store (bulk, one transaction per batch), the matches queued in
``undecided_matches``; after each commit that queued some, the decide process (``ingest.decider``)
is told which watches have work. The futures returned to the crawler resolve from those threads,
so a feed being parsed holds up no other download and no other timeout.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection

from crawler.items import FeedJob, FetchedFeed, FetchedPage
from ingest.clock import Clock
from ingest.outcome import FeedDone, classify, failed_result, fetch_result
from ingest.report import FeedReport, feed_report
from ingest.store import STORE_BATCH, EventTimes, Stored, store_items
from ingest.tasks import ParsedFeed, ParsedItem, extract_task, parse_task
from ingest.workers import TaskFailed, WorkerPool
from ingest.writer import Writer
from storage import feed_repo, repo
from storage.types import FetchResult
from stories.types import ArticleFate

if TYPE_CHECKING:
    from ingest.decider import DecideProcess
    from ingest.desk import StoryDesk
    from ingest.prepare import PreparedArticle, Preparer
    from stories.types import Entry, Language

T = TypeVar("T")
# Feeds parsed (or being parsed) ahead of the store: enough to keep the workers busy while the
# writer stores, few enough that a slow writer does not hold a whole cycle's entries in memory.
PARSED_AHEAD = 16
# Fetch records of feeds with nothing to store (a 304, an error, an empty feed) written together
# once this many wait, or at the crawl's end: 300 unchanged feeds cost 3 writes, not one per
# ~20 ms of answers (50-140 transactions, each with its lock, savepoint and commit).
RECORD_BATCH = 100


@dataclass(frozen=True, slots=True)
class Budgets:
    parse: float = 20.0
    extract: float = 20.0
    max_article_chars: int = 200_000


@dataclass(slots=True)
class _Feed:
    done: FeedDone
    items: list[ParsedItem] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)  # page url -> index in items


def _resolved(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


class IngestHandler:
    """Implements ``crawler.handler.FetchHandler``."""

    def __init__(
        self,
        *,
        pool: WorkerPool,
        writer: Writer,
        desk: Callable[[], StoryDesk],
        decider: DecideProcess | None,
        feed_ids: dict[str, int],
        clock: Clock,
        rules: EventTimes,
        budgets: Budgets,
    ) -> None:
        self.pool = pool
        self.decider = decider  # None: store only, a decide job takes the queued matches
        self.writer = writer
        self._make_desk = desk
        self._desk: StoryDesk | None = None
        self._desk_lock = threading.Lock()
        # Readies matched reports the workers did not ready, while they are stored (no encoder);
        # built at the first such report.
        self._preparer: Preparer | None = None
        self.feed_ids = feed_ids
        self.clock = clock
        self.rules = rules
        self.budgets = budgets
        self.reports: list[FeedReport] = []
        self._feeds: dict[str, _Feed] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0  # writer tasks queued and not finished
        self._ahead: deque[tuple[FetchedFeed, FeedDone, Future[Sequence[str]]]] = deque()  # waiting to be parsed
        self._unstored: set[str] = set()  # feeds handed to the parse workers and not stored yet
        # Fetches to record, each with the answer to resolve once it is committed (None: answered already).
        self._records: list[tuple[FetchResult, Future[None] | None]] = []
        self._recording = False  # a task writing them is queued
        # "store": writer-thread seconds; "first_answer", "last_answer", "last_store": when (Unix
        # time) the first and the last feed was handed over and the last store batch ended, so a
        # benchmark can tell the cycle's start-up, fetching and deciding tail apart.
        self.stages: dict[str, float] = {"store": 0.0}

    def desk(self) -> StoryDesk:
        """The story desk of the store stage, built the first time a matched report is revised
        (its story learns the new text, which needs the sentence encoder); deciding happens in
        the decide process, so a cycle without such a revision never loads the encoder here."""
        with self._desk_lock:
            if self._desk is None:
                self._desk = self._make_desk()
            return self._desk

    def _prepare(self, entry: Entry, language: Language) -> PreparedArticle:
        """A matched report readied for deciding (writer thread)."""
        if self._preparer is None:
            from ingest.prepare import Preparer
            from stories.concepts import Lexicon

            self._preparer = Preparer(Lexicon())
        return self._preparer.prepare(entry, language)

    # -- the crawler's calls (reactor thread) ----------------------------------------------------

    def feed_fetched(self, fetched: FetchedFeed) -> Future[Sequence[str]]:
        job = fetched.job
        self.stages.setdefault("first_answer", time.time())
        self.stages["last_answer"] = time.time()
        done = classify(fetched, self.clock.shift(fetched.started_at), self.clock.shift(fetched.finished_at))
        if done.status != "ok":
            self._feeds[job.name] = _Feed(done)
            return _resolved([])
        answer: Future[Sequence[str]] = Future()
        with self._lock:
            self._ahead.append((fetched, done, answer))
        self._parse_ahead()
        return answer

    def _parse_ahead(self) -> None:
        """Hand feeds to the parse workers while fewer than ``PARSED_AHEAD`` are parsed or being
        parsed and not yet stored. When storing is the slower stage, the feeds waiting beyond that
        are held as their bytes rather than as parsed entries (a few times larger), so a big cycle
        does not keep thousands of parsed items in memory. A feed's parse budget starts when a
        worker takes it; downloads and other feeds' timeouts do not wait for this."""
        while True:
            with self._lock:
                if not self._ahead or len(self._unstored) >= PARSED_AHEAD:
                    return
                fetched, done, answer = self._ahead.popleft()
                self._unstored.add(fetched.job.name)
            parsing = self.pool.submit(
                "parse",
                self.budgets.parse,
                parse_task,
                fetched.job.name,
                fetched.job.language,
                fetched.body,
                fetched.content_type,
                fetched.url,
            )
            parsing.add_done_callback(partial(self._parsed, done, answer=answer))

    def _stored(self, name: str) -> None:
        with self._lock:
            self._unstored.discard(name)
        self._parse_ahead()

    def page_fetched(self, page: FetchedPage) -> Future[None]:
        feed = self._feeds[page.job.name]
        index = feed.pages[page.url]
        if page.error is not None:
            feed.items[index] = replace(feed.items[index], page_error=page.error)
            return _resolved(None)
        answer: Future[None] = Future()
        extracting = self.pool.submit(
            "extract",
            self.budgets.extract,
            extract_task,
            feed.items[index],
            page.body,
            page.final_url or page.url,
            self.budgets.max_article_chars,
        )

        def extracted(result: Future[ParsedItem]) -> None:
            try:
                feed.items[index] = result.result()
            except Exception as failure:  # noqa: BLE001 - a page's failure is that page's error
                feed.items[index] = replace(feed.items[index], page_error=_reason(failure))
            answer.set_result(None)

        extracting.add_done_callback(extracted)
        return answer

    def feed_finished(self, job: FeedJob) -> Future[None]:
        feed = self._feeds.pop(job.name)
        finished: Future[None] = Future()
        finished.add_done_callback(lambda _: self._stored(job.name))
        if not feed.items:
            # A 304, an error, an empty feed: only its fetch to record, with the next batch of
            # records. Nothing waits for that: the crawler is answered now, without a trip
            # through the writer thread and back to the reactor.
            self._record(fetch_result(feed.done, Counter(), 0), None)
            finished.set_result(None)
            return finished
        batches = [feed.items[start : start + STORE_BATCH] for start in range(0, len(feed.items), STORE_BATCH)]
        fates: Counter[ArticleFate] = Counter()
        totals = {"matched": 0}
        last: Future[Any] = _resolved(None)
        for number, batch in enumerate(batches):
            final = number == len(batches) - 1
            last = self._queue_write(
                partial(
                    self._store, feed=feed, batch=batch, final=final, fates=fates, totals=totals, finished=finished
                ),
                committed=self._notify_decider,
            )

        def stored(result: Future[Any]) -> None:
            failure = result.exception()
            if failure is not None:
                self._record(failed_result(feed.done, f"storage failed: {type(failure).__name__}: {failure}"), finished)

        last.add_done_callback(stored)
        return finished

    # -- waiting for the end ----------------------------------------------------------------------

    def wait(self) -> None:
        """Until every store queued so far, and every fetch record, has committed (and the decide
        process was told). The crawl calls it once the crawler is done."""
        while True:
            with self._idle:
                self._idle.wait_for(lambda: self._busy == 0)
                if not self._records:
                    return
                self._recording = True  # no task is queued: nothing is busy
            self._queue_records()

    # -- stages (worker callbacks and the writer thread) -------------------------------------------

    def _parsed(self, done: FeedDone, parsed: Future[ParsedFeed], *, answer: Future[Sequence[str]]) -> None:
        job = done.job
        try:
            result = parsed.result()
            if result.failure is not None:
                raise TaskFailed(result.failure)
        except Exception as failure:  # noqa: BLE001 - the feed's error; the crawler must get an answer
            reason = _reason(failure)
            failed = replace(done, status="error", error=reason, etag=None, last_modified=None, body_hash=None)
            self._feeds[job.name] = _Feed(failed)
            answer.set_result([])
            return
        feed = _Feed(replace(done, entries=len(result.items), error=result.problem), list(result.items))
        self._feeds[job.name] = feed
        wanted = [
            i for i, item in enumerate(feed.items) if job.fetch_articles and item.analysis.hits and item.entry.url
        ]
        if not wanted:
            answer.set_result([])
            return
        identities = [feed.items[i].analysis.identity for i in wanted]
        known = self.writer.submit(lambda session: repo.known_content_hashes(session, identities))

        def pages(result: Future[dict[str, str]]) -> None:
            try:
                hashes = result.result()
            except Exception:  # noqa: BLE001 - without the answer every page is fetched
                hashes = {}
            for i in wanted:
                item = feed.items[i]
                if hashes.get(item.analysis.identity) != item.analysis.content_hash and item.entry.url:
                    feed.pages.setdefault(item.entry.url, i)
            answer.set_result(list(feed.pages))

        known.add_done_callback(pages)

    def _store(
        self,
        session: Connection,
        *,
        feed: _Feed,
        batch: list[ParsedItem],
        final: bool,
        fates: Counter[ArticleFate],
        totals: dict[str, int],
        finished: Future[None],
    ) -> Stored:
        done = feed.done
        now = self.clock.now()
        started = time.perf_counter()
        stored = Stored()
        if batch:
            stored = store_items(
                session,
                self.feed_ids[done.job.name],
                batch,
                prepare=self._prepare,
                desk=self.desk,
                now=now,
                rules=self.rules,
            )
        fates.update(stored.fates.values())
        totals["matched"] += stored.matched
        if final:
            errors = [item.page_error for item in feed.items if item.page_error]
            if errors and done.error is None:
                done = replace(done, error=f"{len(errors)} article page(s) not used, first: {errors[0]}")
            # Recorded after the items, in this transaction or a later one: a crash in between
            # leaves the old validators, so the feed is fetched again and its items found seen.
            self._record(fetch_result(done, fates, totals["matched"]), finished)
        self.stages["store"] += time.perf_counter() - started
        self.stages["last_store"] = time.time()
        return stored

    def _record(self, result: FetchResult, finished: Future[None] | None) -> None:
        """Queue a feed's fetch record; the records queued meanwhile are written in one statement
        each. ``finished`` (a stored feed's) resolves once its record is committed, and it is
        written in the next transaction; None: the feed had nothing to store, its record waits
        until ``RECORD_BATCH`` do (or for ``wait``)."""
        with self._lock:
            self._records.append((result, finished))
            if self._recording or (finished is None and len(self._records) < RECORD_BATCH):
                return
            self._recording = True
        self._queue_records()

    def _queue_records(self) -> None:
        answers: list[Future[None]] = []  # the answers of the records this task writes
        written = self._queue_write(partial(self._write_records, answers=answers))

        def settled(_: Future[None]) -> None:
            # Committed, or failed (the feeds then go unreported): either way the crawler is answered.
            for answer in answers:
                answer.set_result(None)

        written.add_done_callback(settled)

    def _write_records(self, session: Connection, *, answers: list[Future[None]]) -> None:
        with self._lock:
            records, self._records = self._records, []
            self._recording = False
        answers.extend(future for _, future in records if future is not None)
        feed_repo.record_fetches(session, [result for result, _ in records], known_ids=self.feed_ids)
        self.reports.extend(feed_report(result) for result, _ in records)

    def _notify_decider(self, stored: Stored) -> None:
        """The batch's matches are committed to the queue: the decide process may take them."""
        if self.decider is not None and stored.watches:
            self.decider.notify(stored.watches, stored.prepared)

    def _queue_write(self, task: Callable[[Connection], T], committed: Callable[[T], None] | None = None) -> Future[T]:
        """Queue a writer task; ``committed`` gets its result once its transaction committed,
        before ``wait`` can return."""
        with self._lock:
            self._busy += 1
        future = self.writer.submit(task)

        # The future comes as the argument, not from the enclosing scope: a closure over it
        # would make a cycle (the future keeps its callbacks after it is done), and every
        # stored batch's result (its prepared reports) would wait for the garbage collector.
        def settled(done: Future[T]) -> None:
            try:
                if committed is not None and done.exception() is None:
                    committed(done.result())
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

        future.add_done_callback(settled)
        return future


def _reason(failure: BaseException) -> str:
    """A worker's failure says why in its own words; anything else is named with its type."""
    return str(failure) if isinstance(failure, TaskFailed) else f"{type(failure).__name__}: {failure}"
