"""Alert rows for decided events: the outbox writer (run inside the deciding transaction) and the
event's JSON shape, stable for the life of the match row so every resend carries the same id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alerts.rules import ChannelRules
from alerts.types import AlertEvent, ArticleRef, StoryRef
from storage.models import Feed, OutboxEntry, Story
from storage.outbox import PENDING, event_id
from storage.story_repo import ArticleHead, Decided


def build_event(match: Decided, story: Story, article: ArticleHead, feed: str, base_url: str) -> AlertEvent:
    if match.id is None:
        raise ValueError("an alert is built from a written match: its id is the event's")
    explanation: dict[str, Any] = match.explanation or {}
    return AlertEvent(
        id=event_id(match.id),
        type=match.event,
        watch=match.watch,
        story=StoryRef(story.id, story.title, f"{base_url}/stories/{story.id}"),
        article=ArticleRef(article.title, article.url, feed, article.language, article.published_at),
        created=match.created_at,
        developments=[dict(item) for item in explanation.get("developments", [])],
        figures=[dict(item) for item in explanation.get("figures", [])],
        new_facts=list(explanation.get("new_facts", [])),
    )


def event_to_json(event: AlertEvent) -> dict[str, Any]:
    data = event.payload()
    data["figures"] = event.figures
    return data


def event_from_json(data: dict[str, Any]) -> AlertEvent:
    story, article = data["story"], data["article"]
    published = article.get("published")
    return AlertEvent(
        id=data["id"],
        type=data["type"],
        watch=data["watch"],
        story=StoryRef(story["id"], story["title"], story["url"]),
        article=ArticleRef(
            article["title"],
            article.get("url"),
            article["source"],
            article["language"],
            datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None,
        ),
        created=datetime.fromisoformat(data["created"].replace("Z", "+00:00")),
        developments=list(data.get("developments", [])),
        figures=list(data.get("figures", [])),
        new_facts=list(data.get("new_facts", [])),
    )


class OutboxWriter:
    """Writes the alert rows of each decided event, inside the deciding transaction."""

    def __init__(self, channels: Sequence[ChannelRules], base_url: str) -> None:
        self.channels = list(channels)
        self.base_url = base_url.rstrip("/")

    def enqueue(self, session: Session, match: Decided, story: Story, article: ArticleHead, now: datetime) -> int:
        if not self.channels:
            return 0
        categories = [item.get("category", "") for item in (match.explanation or {}).get("developments", [])]
        wanting = [c for c in self.channels if c.wants(match.event, match.watch, article.language, categories)]
        if not wanting:
            return 0
        feed = session.get(Feed, article.feed_id)
        event = build_event(match, story, article, feed.name if feed else "", self.base_url)
        for channel in wanting:
            session.add(
                OutboxEntry(
                    event_id=event.id,
                    channel=channel.name,
                    event_type=event.type,
                    watch=event.watch,
                    story_id=story.id,
                    language=article.language,
                    payload=event_to_json(event),
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=channel.first_attempt(now),
                    created_at=now,
                )
            )
        return len(wanting)
