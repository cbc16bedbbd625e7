"""IDENTIFY + STORE: a batch of analysed entries into the database in bulk (one transaction per
batch, the caller's): new articles inserted-or-ignored on identity with their search rows,
revised ones updated, the matched ones indexed for duplicates and queued for the decide stage.

Event time is fixed here, once, when a report is first stored (``event_time``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from ingest.tasks import ParsedItem
from storage import article_writes, feed_repo, repo, watch_locks
from storage.db import Executor, orm_session
from storage.types import ArticleIndex, NewArticle, Undecided
from stories.types import Analysis, ArticleFate, ArticleOutcome, Entry, EventType, Language

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    # Not imported at run time: a crawl's own process stores, and its cycles of unchanged feeds
    # never decide; the decide chain (desk, outbox) is the decide process's (~45 ms of a start).
    from alerts.outbox import OutboxWriter
    from ingest.desk import StoryDesk
    from ingest.prepare import PreparedArticle

# Items per store transaction: a 10,000-item feed is written in steps that each hold the
# database for well under half a second.
STORE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class EventTimes:
    """How far a publication time is believed, and when a report is history rather than news."""

    oldest: timedelta = timedelta(days=3650)
    history_after: timedelta = timedelta(days=2)


def event_time(published: datetime | None, first_seen: datetime, rules: EventTimes) -> datetime:
    """The publication time when plausible (not after the report was first seen, not older than
    ``rules.oldest``), else the first-seen time. A date in 2099 is not an event time."""
    if published is None or published > first_seen or published < first_seen - rules.oldest:
        return first_seen
    return published


# A feed's clock may run a little ahead of ours; a date further ahead than this is not a date.
PUBLICATION_SLACK = timedelta(days=1)


def claimed_publication(published: datetime | None, first_seen: datetime) -> datetime | None:
    """The publication time the feed claims, as pages and alerts show it; a claim in the future
    (a date in 2099) is not stored: the report's time is then only its first-seen time."""
    if published is None or published > first_seen + PUBLICATION_SLACK:
        return None
    return published


@dataclass(slots=True)
class Stored:
    """What one store batch did."""

    fates: dict[str, ArticleFate] = field(default_factory=dict)  # identity -> fate
    ids: dict[str, int] = field(default_factory=dict)  # identity -> article id (new and revised)
    matched: int = 0  # new or revised articles matching some watch
    watches: set[str] = field(default_factory=set)  # watches with matches to decide
    prepared: dict[int, PreparedArticle] = field(default_factory=dict)
    revised_events: dict[str, dict[str, EventType]] = field(default_factory=dict)


def store_items(
    db: Executor,
    feed_id: int,
    items: Sequence[ParsedItem],
    *,
    prepare: Callable[[Entry, Language], PreparedArticle],
    desk: Callable[[], StoryDesk],
    now: datetime,
    rules: EventTimes,
) -> Stored:
    """``prepare`` readies each new matched report for deciding (no sentence encoder needed);
    ``desk`` is asked for only when a matched report was revised (building it loads the encoder).
    Written with Core statements: a crawl's writer passes its connection and loads the ORM only
    for a revised report (``_revise`` works on the stored article as an ORM object)."""
    stored = Stored()
    unique: dict[str, ParsedItem] = {}
    for item in items:  # a feed listing one entry twice stores it once (the first)
        unique.setdefault(item.analysis.identity, item)
    known = repo.known_content_hashes(db, list(unique))
    fresh = [item for identity, item in unique.items() if identity not in known]
    revised = [
        item for identity, item in unique.items() if identity in known and known[identity] != item.analysis.content_hash
    ]
    for identity, item in unique.items():
        if identity in known and known[identity] == item.analysis.content_hash:
            stored.fates[identity] = ArticleFate.SEEN

    rows = [_new_article(feed_id, item, now, rules) for item in fresh]
    inserted = article_writes.insert_articles(db, rows)
    indexes: list[ArticleIndex] = []
    undecided: list[Undecided] = []
    raced: list[ParsedItem] = []
    for item, row in zip(fresh, rows, strict=True):
        article_id = inserted.get(row.identity)
        if article_id is None:  # another process stored the same identity since we looked
            raced.append(item)
            continue
        stored.fates[row.identity] = ArticleFate.NEW
        stored.ids[row.identity] = article_id
        if not item.analysis.hits:
            continue
        prepared = item.prepared or prepare(item.entry, item.analysis.language)
        stored.prepared[article_id] = prepared
        indexes.append(index_of(article_id, prepared))
        history = row.event_at < now - rules.history_after
        for hit in item.analysis.hits:
            undecided.append(Undecided(article_id, hit.watch, list(hit.terms), row.event_at, history))
        stored.matched += 1
    article_writes.write_article_index(db, indexes)
    revising = [*revised, *raced]
    if revising:
        own = isinstance(db, Connection)
        session = orm_session(db) if isinstance(db, Connection) else db
        try:
            _hold_watches_of(session, revising)
            for item in revising:
                _revise(session, desk, item, now, rules, stored, undecided)
            if own:
                session.commit()  # its savepoint only: the writer's transaction commits the batch
        finally:
            if own:
                session.close()
    repo.add_undecided(db, undecided)
    stored.watches.update(u.watch for u in undecided)
    return stored


def _new_article(feed_id: int, item: ParsedItem, now: datetime, rules: EventTimes) -> NewArticle:
    entry, analysis = item.entry, item.analysis
    return NewArticle(
        feed_id=feed_id,
        identity=analysis.identity,
        guid=entry.guid,
        url=entry.url,
        canonical_url=analysis.canonical_url,
        title=entry.title,
        summary=entry.summary,
        text=entry.text,
        language=analysis.language,
        published_at=claimed_publication(entry.published, now),
        fetched_at=now,
        event_at=event_time(entry.published, now, rules),
        content_hash=analysis.content_hash,
        search_content=item.search_content,
    )


def index_of(article_id: int, prepared: PreparedArticle) -> ArticleIndex:
    return ArticleIndex(
        article_id, prepared.fingerprint, prepared.signature, prepared.features.to_json(), prepared.band_keys
    )


def _hold_watches_of(session: Session, revising: list[ParsedItem]) -> None:
    """Lock the watches the reports about to be revised match or have a match in (PostgreSQL),
    then their rows. Revising a matched report rewrites its story's memory, as the watch's decide
    job does: without the watch's lock one of the two updates would be lost. A report still
    queued for a watch is held too: a decide job already under way would decide its old text and
    take it off the queue, and the revision would never reach the story.

    The watches come first: a decide job holding its watch may be inserting a match for one of
    these articles, which waits for the article's row; the other order could deadlock. A match
    decided between the look and the row locks shows up under them: the row locks are let go (a
    savepoint rolled back), that watch is locked too and the look repeated."""
    if not watch_locks.applies(session):
        return
    identities = sorted({item.analysis.identity for item in revising})
    held: set[str] = set()
    wanted = {hit.watch for item in revising for hit in item.analysis.hits}
    while True:
        wanted |= watch_locks.matched_watches(session, identities)
        watch_locks.lock_watches(session, wanted - held)
        held |= wanted
        savepoint = session.begin_nested()
        for identity in identities:  # one order for every process: no deadlock on rows
            repo.find_article(session, identity, lock=True)
        if watch_locks.matched_watches(session, identities) <= held:
            savepoint.commit()  # the row locks stay with the transaction
            return
        savepoint.rollback()


def _revise(
    session: Session,
    desk: Callable[[], StoryDesk],
    item: ParsedItem,
    now: datetime,
    rules: EventTimes,
    stored: Stored,
    undecided: list[Undecided],
) -> None:
    identity = item.analysis.identity
    locked = repo.find_article(session, identity, lock=True)
    assert locked is not None, "articles are never deleted during a crawl"
    if locked.content_hash == item.analysis.content_hash:  # revised to this text by another process
        stored.fates[identity] = ArticleFate.SEEN
        return
    repo.revise_article(session, locked, item.entry, item.analysis.content_hash, now)
    stored.fates[identity] = ArticleFate.UPDATED
    stored.ids[identity] = locked.id
    matches = repo.matches_of(session, locked.id)
    events: dict[str, EventType] = {}
    if item.analysis.hits or matches:
        prepared = desk().prepare(item.entry, item.analysis.language)
        stored.prepared[locked.id] = prepared
        article_writes.write_article_index(session, [index_of(locked.id, prepared)], revised=True)
        for match in matches.values():
            revision = desk().revise(session, match, prepared, now)
            # The original event stays (it was what the report was when it arrived); the
            # revisions are kept beside it, so a corrected figure is on record without an alert.
            match.explanation = {**match.explanation, "revisions": [*match.explanation.get("revisions", []), revision]}
            events[match.watch] = EventType.UPDATE
        history = locked.event_at < now - rules.history_after
        for hit in item.analysis.hits:
            if hit.watch not in matches:
                undecided.append(Undecided(locked.id, hit.watch, list(hit.terms), locked.event_at, history))
        stored.matched += 1
    stored.revised_events[identity] = events
    session.flush()


def save_article(
    session: Session,
    feed_name: str,
    entry: Entry,
    analysis: Analysis,
    *,
    desk: StoryDesk,
    outbox: OutboxWriter | None = None,
    now: datetime | None = None,
    rules: EventTimes | None = None,
) -> ArticleOutcome:
    """One report through the store and decide stages in the caller's transaction (a crawl does
    the same per batch): NEW, SEEN (nothing written) or UPDATED, with the event per watch.
    ``now`` is the first-seen time (the wall clock when None: for tools and tests)."""
    from ingest.decide import decide_batch

    now = now or datetime.now(UTC)
    item = ParsedItem(entry, analysis, _search_text(entry))
    feed_id = feed_repo.feed_id(session, feed_name)
    stored = store_items(
        session, feed_id, [item], prepare=desk.prepare, desk=lambda: desk, now=now, rules=rules or EventTimes()
    )
    fate = stored.fates[analysis.identity]
    if fate is ArticleFate.SEEN:
        article = repo.find_article(session, analysis.identity)
        return ArticleOutcome(fate, article.id if article is not None else 0)
    article_id = stored.ids[analysis.identity]
    events = dict(stored.revised_events.get(analysis.identity, {}))
    for watch in sorted(stored.watches):
        decided = decide_batch(session, desk, outbox, watch, now=now, prepared=stored.prepared, only=[article_id])
        if article_id in decided:
            events[watch] = decided[article_id]
    return ArticleOutcome(fate, article_id, events)


def _search_text(entry: Entry) -> str:
    from storage.search_text import index_content

    return index_content(entry.title, entry.summary, entry.text)
