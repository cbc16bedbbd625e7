"""DECIDE, per watch: the watch's stored but undecided matches, oldest event first, through the
story desk; one transaction per batch writes the decisions, the story state and the outbox rows
and takes the matches off the queue. Idempotent: what is decided is no longer queued, so running
it again (or after a crash, in another process) decides only what is left."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, MutableMapping
from datetime import datetime

from sqlalchemy.orm import Session

from alerts.outbox import OutboxWriter
from ingest.desk import Lookahead, StoryDesk
from ingest.prepare import PreparedArticle
from storage import repo, story_repo, watch_locks
from storage.db import Database
from storage.models import Article, Story
from stories.types import Entry, EventType

DECIDE_BATCH = 100
# Seconds a decide transaction goes on placing matches once it holds the write lock; writing what
# was placed and committing follow, so the lock is held for about half a second at most.
DECIDE_PLACING = 0.2


def decide_batch(
    session: Session,
    desk: StoryDesk,
    outbox: OutboxWriter | None,
    watch: str,
    *,
    now: datetime,
    prepared: MutableMapping[int, PreparedArticle] | None = None,
    limit: int = DECIDE_BATCH,
    only: Collection[int] | None = None,
    deadline: float | None = None,
    ahead: Lookahead | None = None,
) -> dict[int, EventType]:
    """Decide up to ``limit`` of the watch's queued matches (or only the articles in ``only``);
    returns article id -> event. ``prepared`` holds what the parse workers computed, by article
    id; a match queued by another process is prepared here from its stored text (an entry is
    taken out of ``prepared`` once its match is decided).

    ``deadline`` (a ``time.perf_counter()`` instant) bounds the transaction: once it has passed,
    no further match is placed; what was placed is written and the rest stays queued, in order,
    for the next transaction. A match's cost varies twentyfold (a copy of a stored report, or a
    report compared by meaning with a long story), so a batch sized from earlier ones alone held
    the write lock for up to a second. At least one match is placed, so the queue always moves.
    ``ahead``: what ``look_ahead`` found for the batch before the transaction; the batch is the
    matches it looked ahead at (a match queued since waits for the next transaction).

    The watch stays locked until the transaction ends (PostgreSQL): a crawl storing a revised
    report of the watch waits, rather than rewriting a story's memory beside this batch."""
    watch_locks.lock_watches(session, [watch])  # before any story of the watch is read
    wanted = only if only is not None else ahead.article_ids if ahead is not None and ahead.queued else None
    queued = repo.undecided(session, watch, limit, wanted)
    if not queued:
        return {}
    articles = story_repo.article_heads(session, [u.article_id for u in queued])
    ready = prepared if prepared is not None else {}
    unprepared = [article_id for article_id in articles if article_id not in ready]
    for stored in repo.articles_by_id(session, unprepared).values() if unprepared else ():
        ready[stored.id] = desk.prepare(entry_of(stored), "ar" if stored.language == "ar" else "en")
    batch = [(item, articles[u], ready[u]) for item in queued if (u := item.article_id) in articles]
    desk.begin(session, watch, [(article.id, ready_one, item.event_at) for item, article, ready_one in batch], ahead)
    events: dict[int, EventType] = {}
    decided: list[tuple[story_repo.Decided, Story, story_repo.ArticleHead, bool]] = []
    try:
        for item, article, ready_one in batch:
            if decided and deadline is not None and time.perf_counter() >= deadline:
                break  # the rest stays queued for the next transaction
            story, decision = desk.place(session, article, ready_one, item.event_at)
            explanation = decision.explanation()
            if item.history:
                explanation["history"] = True  # older than the history bound when first seen: no alert
            event = decision.event.value
            match = story_repo.Decided(article.id, watch, list(item.terms), story.id, event, explanation, now)
            decided.append((match, story, article, item.history))
            events[article.id] = decision.event
        desk.save_states()
    except BaseException:
        desk.forget_unsaved()
        raise
    # The batch's matches and story rows in one flush (the alert's event id derives from the
    # match row's id), then the alert rows.
    story_repo.add_decisions(session, [match for match, _, _, _ in decided])
    if outbox is not None:
        for match, story, article, history in decided:
            if not history:
                outbox.enqueue(session, match, story, article, now)
    placed = {article.id for _, _, article, _ in decided}
    # Taken off the queue: what was decided, and queued matches whose article is gone.
    repo.remove_undecided(
        session, watch, [u.article_id for u in queued if u.article_id in placed or u.article_id not in articles]
    )
    if only is None:
        for article_id in placed:
            ready.pop(article_id, None)
    session.flush()
    return events


def look_ahead(
    session: Session,
    desk: StoryDesk,
    watch: str,
    *,
    prepared: MutableMapping[int, PreparedArticle],
    limit: int = DECIDE_BATCH,
    await_notices: Callable[[list[int]], None] | None = None,
) -> Lookahead:
    """Before ``decide_batch`` takes the write lock: in a reading session (a snapshot that waits
    for no writer), what deciding the next ``limit`` of the watch's queue will need that is the
    same read now or under the lock (``StoryDesk.look_ahead``). A queued match whose report
    ``prepared`` lacks (queued by another process or an earlier cycle) is prepared here from its
    stored text and added to ``prepared``; ``await_notices`` is first given those article ids,
    to add to ``prepared`` what is on its way (the decide process waits there for the notices
    of reports the crawl has just committed: preparing them again was a tenth of the CPU deciding a
    dense stream). The lock is then held for placing and writing, not for computing. Nothing
    queued (``queued`` 0): no transaction is needed, a match queued later comes with its notice."""
    queued = repo.undecided(session, watch, limit)
    missing = [u.article_id for u in queued if u.article_id not in prepared]
    if missing and await_notices is not None:
        await_notices(missing)
        missing = [article_id for article_id in missing if article_id not in prepared]
    for article in repo.articles_by_id(session, missing).values() if missing else ():
        prepared[article.id] = desk.prepare(entry_of(article), "ar" if article.language == "ar" else "en")
    ahead = desk.look_ahead(
        session, watch, [(u.article_id, prepared[u.article_id], u.event_at) for u in queued if u.article_id in prepared]
    )
    return dataclasses.replace(ahead, queued=len(queued), article_ids=tuple(u.article_id for u in queued))


def refresh_statistics(database: Database) -> None:
    """Before a batch's look-ahead: PostgreSQL's statistics of the tables deciding reads, kept
    up with a crawl that fills them faster than autovacuum looks (``story_repo.refresh_statistics``)."""
    if not database.is_sqlite:
        with database.transaction() as connection:
            story_repo.refresh_statistics(connection)


def decide_watch(
    database: Database,
    desk: StoryDesk,
    outbox: OutboxWriter | None,
    watch: str,
    *,
    now: datetime,
    prepared: MutableMapping[int, PreparedArticle] | None = None,
    hold: float = DECIDE_PLACING,
) -> int:
    """Decide everything queued for ``watch``, one transaction per batch (each placing matches
    for at most ``hold`` seconds); returns how many."""
    decided = 0
    ready = prepared if prepared is not None else {}
    while True:
        refresh_statistics(database)
        with database.read_session() as session:
            ahead = look_ahead(session, desk, watch, prepared=ready)
        if not ahead.queued:
            return decided
        with database.session() as session:
            session.connection()  # the write lock first (SQLite): the deadline counts from holding it
            events = decide_batch(
                session, desk, outbox, watch, now=now, prepared=ready, deadline=time.perf_counter() + hold, ahead=ahead
            )
        decided += len(events)
        if not events:
            return decided


def entry_of(article: Article, feed: str = "", language: str | None = None) -> Entry:
    """A stored article as the entry it was parsed from (``language``: the feed's hint, else the
    article's detected language)."""
    hint = language if language is not None else article.language
    return Entry(
        feed=feed,
        title=article.title,
        summary=article.summary,
        guid=article.guid,
        url=article.url,
        text=article.text,
        published=article.published_at,
        language_hint="ar" if hint == "ar" else "en" if hint == "en" else "auto",
    )
