"""What the Atom feeds publish: the newest events of a watch and every event of a story.

Plain values out, only the columns an Atom entry shows in (no article text, no signatures).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .models import Article, Feed, Story, WatchMatch
from .outbox import event_id

ALERTING_EVENTS = ("new_story", "development")  # DESIGN §3.3: what alerts, and what a watch feed carries


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event (a watch match) with its story and its article, as an Atom entry shows it."""

    match_id: int
    event: str  # an EventType value
    watch: str
    created_at: datetime  # when the event was decided
    explanation: dict[str, Any]  # developments, figures, new_facts, reason
    story_id: int | None  # None when the story was deleted (ON DELETE SET NULL)
    story_title: str | None
    story_language: str | None
    article_title: str
    article_url: str | None
    article_language: str
    published_at: datetime | None
    feed: str  # the name of the feed the article came from

    @property
    def event_id(self) -> str:
        """The alert's id ("evt_…"): the same in webhooks, emails and Atom entries."""
        return event_id(self.match_id)


@dataclass(frozen=True, slots=True)
class StoryEvents:
    id: int
    watch: str
    title: str
    language: str
    first_seen: datetime
    last_seen: datetime
    events: list[FeedEvent] = field(default_factory=list)  # newest first


def watch_is_known(session: Session, watch: str) -> bool:
    """Whether anything was ever stored under ``watch`` (a watch removed from the config keeps
    its history; the caller also accepts the configured watches, stored events or not)."""
    query = select(WatchMatch.id).where(WatchMatch.watch == watch).limit(1)
    return session.execute(query).first() is not None


def watch_events(
    session: Session, watch: str, *, events: Collection[str] = ALERTING_EVENTS, limit: int = 50
) -> list[FeedEvent]:
    """The newest ``events`` of ``watch`` (new stories and developments by default), newest first."""
    query = (
        _event_columns()
        .where(WatchMatch.watch == watch, WatchMatch.event.in_(list(events)))
        .order_by(WatchMatch.created_at.desc(), WatchMatch.id.desc())
        .limit(limit)
    )
    return [_feed_event(row) for row in session.execute(query)]


def story_events(session: Session, story_id: int) -> StoryEvents | None:
    """A story and every event of it (new story, developments, updates, duplicates), newest
    first; None for an unknown story."""
    if not 0 < story_id <= 2**63 - 1:  # a larger number cannot be a row id (nor bound as one)
        return None
    story = session.execute(
        select(Story.id, Story.watch, Story.title, Story.language, Story.first_seen, Story.last_seen).where(
            Story.id == story_id
        )
    ).one_or_none()
    if story is None:
        return None
    query = (
        _event_columns()
        .where(WatchMatch.story_id == story_id)
        .order_by(WatchMatch.created_at.desc(), WatchMatch.id.desc())
    )
    return StoryEvents(
        id=story.id,
        watch=story.watch,
        title=story.title,
        language=story.language,
        first_seen=story.first_seen,
        last_seen=story.last_seen,
        events=[_feed_event(row) for row in session.execute(query)],
    )


def _event_columns() -> Select[Any]:
    return (
        select(
            WatchMatch.id,
            WatchMatch.event,
            WatchMatch.watch,
            WatchMatch.created_at,
            WatchMatch.explanation,
            WatchMatch.story_id,
            Story.title.label("story_title"),
            Story.language.label("story_language"),
            Article.title.label("article_title"),
            Article.url,
            Article.canonical_url,
            Article.language,
            Article.published_at,
            Feed.name.label("feed"),
        )
        .join(Article, WatchMatch.article_id == Article.id)
        .join(Feed, Article.feed_id == Feed.id)
        .outerjoin(Story, WatchMatch.story_id == Story.id)
    )


def _feed_event(row: Any) -> FeedEvent:
    return FeedEvent(
        match_id=row.id,
        event=row.event,
        watch=row.watch,
        created_at=row.created_at,
        explanation=dict(row.explanation or {}),
        story_id=row.story_id,
        story_title=row.story_title,
        story_language=row.story_language,
        article_title=row.article_title,
        article_url=row.url or row.canonical_url,
        article_language=row.language,
        published_at=row.published_at,
        feed=row.feed,
    )
