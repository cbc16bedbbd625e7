"""What an alert carries, independent of the channel that delivers it (DESIGN §3.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StoryRef:
    id: int
    title: str
    url: str  # the story's page on Raqib's web UI


@dataclass(frozen=True, slots=True)
class ArticleRef:
    title: str
    url: str | None
    source: str  # the feed's name
    language: str  # "ar" | "en"
    published: datetime | None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One event to tell a channel about. ``id`` is stable: a resend carries the same id."""

    id: str  # "evt_" + hex; the webhook-id header and the email Message-ID derive from it
    type: str  # new_story | development | update | duplicate | test
    watch: str
    story: StoryRef
    article: ArticleRef
    created: datetime
    developments: list[dict[str, str]] = field(default_factory=list)  # {"category", "evidence"}
    figures: list[dict[str, Any]] = field(default_factory=list)  # {"kind", "old", "new", "label"}
    new_facts: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The webhook body of DESIGN §3.4 (times in UTC, ISO 8601 with Z)."""
        return {
            "id": self.id,
            "type": self.type,
            "watch": self.watch,
            "story": {"id": self.story.id, "title": self.story.title, "url": self.story.url},
            "article": {
                "title": self.article.title,
                "url": self.article.url,
                "source": self.article.source,
                "language": self.article.language,
                "published": _iso(self.article.published),
            },
            "developments": list(self.developments),
            "new_facts": list(self.new_facts),
            "created": _iso(self.created),
        }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")
