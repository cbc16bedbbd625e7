"""Events out: decided watch matches with their story and article, as the home page's news, the
latest development of a story, and the entries of the Atom feeds."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from storage.models import Article, Feed, Story, WatchMatch
from storage.outbox import event_id
from stories.wording import WhatIsNew

from .common import ALERTING_EVENTS, Explanation, ReadModel


def what_is_new(event: str, explanation: dict[str, Any] | None) -> str:
    """One line saying what a report added (``stories.wording``): new categories and figure
    changes, else its first new fact, else why nothing is new."""
    return WhatIsNew.from_explanation(event, explanation).headline("en")


class NewsItem(ReadModel):
    """One event (a watch match) with its story and its article."""

    match_id: int
    event: str  # an EventType value
    created_at: datetime  # when the event was decided
    watch: str
    story_id: int | None  # None when the story was deleted (ON DELETE SET NULL)
    story_title: str  # the article's title when the story has none
    article_id: int
    article_title: str
    language: str  # the article's
    feed: str  # the name of the feed the article came from
    what_is_new: str
    categories: list[str]
    # What the Atom entries show besides: not in the JSON API.
    article_url: str | None = Field(default=None, exclude=True)
    story_language: str | None = Field(default=None, exclude=True)
    published_at: datetime | None = Field(default=None, exclude=True)
    explanation: dict[str, Any] = Field(default={}, exclude=True)  # as stored: developments, figures, …

    @property
    def event_id(self) -> str:
        """The alert's id ("evt_…"): the same in webhooks, emails and Atom entries."""
        return event_id(self.match_id)


def _news_query() -> Select[Any]:
    return (
        select(
            WatchMatch.id,
            WatchMatch.event,
            WatchMatch.created_at,
            WatchMatch.watch,
            WatchMatch.story_id,
            WatchMatch.explanation,
            Story.title.label("story_title"),
            Story.language.label("story_language"),
            Article.id.label("article_id"),
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


def news_items(session: Session, *conditions: ColumnElement[bool], limit: int | None = None) -> list[NewsItem]:
    """The events meeting ``conditions``, newest first."""
    query = _news_query().where(*conditions).order_by(WatchMatch.created_at.desc(), WatchMatch.id.desc())
    if limit is not None:
        query = query.limit(limit)
    items = []
    for row in session.execute(query):
        explanation = dict(row.explanation or {})
        items.append(
            NewsItem(
                match_id=row.id,
                event=row.event,
                created_at=row.created_at,
                watch=row.watch,
                story_id=row.story_id,
                story_title=row.story_title or row.article_title,
                article_id=row.article_id,
                article_title=row.article_title,
                language=row.language,
                feed=row.feed,
                what_is_new=what_is_new(row.event, explanation),
                categories=Explanation.read(explanation).categories,
                article_url=row.url or row.canonical_url,
                story_language=row.story_language,
                published_at=row.published_at,
                explanation=explanation,
            )
        )
    return items


def latest_news(session: Session, watches: Iterable[str], *, per_watch: int = 5) -> dict[str, list[NewsItem]]:
    """Per watch, its newest reports that alerted (one indexed query per watch: watch, created_at)."""
    return {watch: watch_events(session, watch, limit=per_watch) for watch in watches}


def watch_events(
    session: Session, watch: str, *, events: Collection[str] = ALERTING_EVENTS, limit: int = 50
) -> list[NewsItem]:
    """The newest ``events`` of ``watch`` (new stories and developments by default), newest first."""
    return news_items(session, WatchMatch.watch == watch, WatchMatch.event.in_(list(events)), limit=limit)


def watch_is_known(session: Session, watch: str) -> bool:
    """Whether anything was ever stored under ``watch`` (a watch removed from the config keeps
    its history; the caller also accepts the configured watches, stored events or not)."""
    query = select(WatchMatch.id).where(WatchMatch.watch == watch).limit(1)
    return session.execute(query).first() is not None
