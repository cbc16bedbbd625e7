"""The rows the decide stage (ingest.desk) reads and writes: stories and earlier matches."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from .chunking import in_chunks
from .models import Article, Story, WatchMatch


def active_stories(session: Session, watch: str, since: datetime, limit: int) -> dict[int, Story]:
    """The watch's stories with an event at or after ``since``, most recent first (ties: newest)."""
    rows = session.scalars(
        select(Story)
        .where(Story.watch == watch, Story.last_seen >= since)
        .options(defer(Story.state))  # parsed only when the cached memory is out of date
        .order_by(Story.last_seen.desc(), Story.id.desc())
        .limit(limit)
    )
    return {story.id: story for story in rows}


def story(session: Session, story_id: int) -> Story | None:
    return session.get(Story, story_id)


def new_story(session: Session, watch: str, title: str, language: str, at: datetime) -> Story:
    created = Story(watch=watch, title=title, language=language, first_seen=at, last_seen=at, state=None)
    session.add(created)
    session.flush()  # the new story's id keys its memory in the desk's cache
    return created


def stories_of(session: Session, article_ids: Sequence[int], watch: str) -> dict[int, int]:
    """article id -> story id under ``watch``, for those of ``article_ids`` that have one."""
    found: dict[int, int] = {}
    for chunk in in_chunks(sorted(set(article_ids))):
        rows = session.execute(
            select(WatchMatch.article_id, WatchMatch.story_id).where(
                WatchMatch.article_id.in_(chunk), WatchMatch.watch == watch, WatchMatch.story_id.is_not(None)
            )
        )
        found.update((article_id, story_id) for article_id, story_id in rows if story_id is not None)
    return found


def first_reports(session: Session, fingerprints: Collection[str], watch: str) -> dict[str, list[tuple[int, int]]]:
    """For each fingerprint, the (article id, story id) of the first two reports of the watch
    with that body, in article order, for a batch of reports in one statement (two, so that a
    report finds the first other than itself)."""
    if not fingerprints:
        return {}
    ranked = (
        select(
            Article.fingerprint,
            Article.id,
            WatchMatch.story_id,
            func.row_number().over(partition_by=Article.fingerprint, order_by=Article.id).label("rank"),
        )
        .join(Article, WatchMatch.article_id == Article.id)
        .where(
            Article.fingerprint.in_(sorted(set(fingerprints))),
            WatchMatch.watch == watch,
            WatchMatch.story_id.is_not(None),
        )
        .subquery()
    )
    found: dict[str, list[tuple[int, int]]] = {}
    rows = session.execute(
        select(ranked.c.fingerprint, ranked.c.id, ranked.c.story_id).where(ranked.c.rank <= 2).order_by(ranked.c.id)
    )
    for fingerprint, article_id, story_id in rows:
        found.setdefault(fingerprint, []).append((article_id, story_id))
    return found
