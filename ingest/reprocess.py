"""Rebuild stories and decisions after the lexicons, thresholds or watches changed.

The stored articles are replayed in event-time order, each at its own event time, through the
same analyser, store queue and decide stage as a crawl, so the result equals what a crawl of the
same reports would have decided whatever order they arrived in. A story that reaches into the
replayed period is rebuilt whole: the replay starts early enough to include all its reports, so no
story keeps a memory of decisions that no longer hold. Alerts are not written again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, select, true, tuple_
from sqlalchemy.orm import Session

from ingest.decide import decide_batch, entry_of
from ingest.desk import StoryDesk
from ingest.store import index_of
from storage import article_writes, repo, watch_locks
from storage.db import Database
from storage.models import Article, ArticleBand, Feed, Story, UndecidedMatch, WatchMatch
from storage.types import Undecided
from stories.analysis import Analyser
from stories.types import WatchHit

BATCH = 200

Progress = Callable[[int, int], None]  # (reports just replayed, reports in all)


@dataclass(frozen=True, slots=True)
class ReprocessResult:
    articles: int
    matches_before: int
    matches_after: int
    stories_before: int
    stories_after: int


def _from(cutoff: datetime | None) -> ColumnElement[bool]:
    return Article.event_at >= cutoff if cutoff is not None else true()


def _start(session: Session, since: datetime | None, watches: Collection[str]) -> datetime | None:
    """The earliest event time to replay from: ``since``, moved back to the first report of every
    story that has a report after it (repeated until no story straddles the start)."""
    cutoff = since
    while cutoff is not None:
        touched = (
            select(WatchMatch.story_id)
            .join(Article, WatchMatch.article_id == Article.id)
            .where(Article.event_at >= cutoff, WatchMatch.watch.in_(watches))
        )
        earliest = session.scalar(
            select(func.min(Article.event_at))
            .join(WatchMatch, WatchMatch.article_id == Article.id)
            .where(WatchMatch.story_id.in_(touched))
        )
        if earliest is None or earliest >= cutoff:
            break
        cutoff = earliest
    return cutoff


def _counts(session: Session, cutoff: datetime | None, watches: Collection[str]) -> tuple[int, int]:
    in_scope = (
        WatchMatch.watch.in_(watches),
        WatchMatch.article_id.in_(select(Article.id).where(_from(cutoff))),
    )
    matches = session.scalar(select(func.count(WatchMatch.id)).where(*in_scope)) or 0
    stories = session.scalar(select(func.count(func.distinct(WatchMatch.story_id))).where(*in_scope)) or 0
    return matches, stories


def reprocess(
    database: Database,
    analyser: Analyser,
    desk: StoryDesk,
    *,
    since: datetime | None = None,
    watch: str | None = None,
    progress: Progress | None = None,
) -> ReprocessResult:
    with database.session() as session:
        stored = set(session.scalars(select(WatchMatch.watch).distinct()))
        # Without --watch: every configured watch, and the stored ones no longer configured
        # (their matches go away). With --watch: that watch alone.
        watches = {watch} if watch else set(analyser.queries) | stored
        cutoff = _start(session, since, watches)
        matches_before, stories_before = _counts(session, cutoff, watches)
        total = session.scalar(select(func.count(Article.id)).where(_from(cutoff))) or 0
        replayed = select(Article.id).where(_from(cutoff))
        # Every watch replayed is held, in name order, before its stories are touched, so a
        # reprocess beside running workers neither races nor deadlocks with their decide jobs.
        watch_locks.lock_watches(session, watches)
        session.execute(delete(WatchMatch).where(WatchMatch.watch.in_(watches), WatchMatch.article_id.in_(replayed)))
        orphaned = ~exists().where(WatchMatch.story_id == Story.id)
        session.execute(delete(Story).where(Story.watch.in_(watches), orphaned))
        session.execute(delete(ArticleBand).where(ArticleBand.article_id.in_(replayed)))
        session.execute(delete(UndecidedMatch).where(UndecidedMatch.watch.in_(watches)))

    last: tuple[datetime, int] | None = None
    while True:
        with database.session() as session:
            watch_locks.lock_watches(session, watches)
            query = (
                select(Article, Feed.name, Feed.language)
                .join(Feed, Article.feed_id == Feed.id)
                .where(_from(cutoff))
                .order_by(Article.event_at, Article.id)
                .limit(BATCH)
            )
            if last is not None:
                query = query.where(tuple_(Article.event_at, Article.id) > tuple_(*last))
            rows = session.execute(query).all()
            for article, feed_name, feed_language in rows:
                _replay(session, analyser, desk, article, feed_name, feed_language, watches)
            if rows:
                last = (rows[-1][0].event_at, rows[-1][0].id)
        if progress is not None and rows:
            progress(len(rows), total)
        if len(rows) < BATCH:
            break

    with database.session() as session:
        matches_after, stories_after = _counts(session, cutoff, watches)
    return ReprocessResult(total, matches_before, matches_after, stories_before, stories_after)


def _replay(
    session: Session,
    analyser: Analyser,
    desk: StoryDesk,
    article: Article,
    feed_name: str,
    feed_language: str,
    watches: Collection[str],
) -> None:
    entry = entry_of(article, feed_name, feed_language)
    analysis = analyser.analyse(entry)
    kept = set(session.scalars(select(WatchMatch.watch).where(WatchMatch.article_id == article.id)))
    hits: tuple[WatchHit, ...] = tuple(hit for hit in analysis.hits if hit.watch in watches and hit.watch not in kept)
    article.language = analysis.language
    if not (hits or kept):
        article.fingerprint = None
        article.signature = None
        article.features = None
        return
    prepared = desk.prepare(entry, analysis.language)
    article_writes.write_article_index(session, [index_of(article.id, prepared)])
    repo.add_undecided(
        session, [Undecided(article.id, hit.watch, list(hit.terms), article.event_at, False) for hit in hits]
    )
    for hit in hits:
        decide_batch(
            session, desk, None, hit.watch, now=article.fetched_at, prepared={article.id: prepared}, only=[article.id]
        )
