"""What every read model shares: pages, bounds on ids and page numbers, per-day counts, and the
typed explanation of a decision.

The read models are pydantic models: the web pages render them, the JSON API serves them as they
are (FastAPI response models), and the CLI prints them (``model_dump(mode="json")``), so a row has
one shape everywhere. Fields the API does not publish are marked ``exclude=True``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from storage.models import Article

PER_PAGE = 25
MAX_PER_PAGE = 200
# Ids are 64-bit integers in both databases; a larger number in an address names nothing (and
# would overflow the driver). Pages past MAX_PAGE are as empty as the page after the last.
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000
ALERTING_EVENTS = ("new_story", "development")  # DESIGN §3.3: what alerts, and what a watch feed carries

T = TypeVar("T")
# What every list of articles shows of one (never its text, signature or features).
ARTICLE_COLUMNS = (
    Article.title,
    Article.url,
    Article.canonical_url,
    Article.language,
    Article.published_at,
    Article.fetched_at,
)


def article_fields(row: Any) -> dict[str, Any]:
    """The ARTICLE_COLUMNS of a result row, as read-model fields (the link: its URL, else the
    canonical one)."""
    return {
        "title": row.title,
        "url": row.url or row.canonical_url,
        "language": row.language,
        "published_at": row.published_at,
        "fetched_at": row.fetched_at,
    }


class ReadModel(BaseModel):
    """A row out: built by the read functions, never validated from user input."""

    model_config = ConfigDict(from_attributes=True)


class Pagination(ReadModel):
    total: int = Field(description="every match of the filters, not only this page")
    page: int
    per_page: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


class Page(Pagination, Generic[T]):
    items: list[T]


class Development(ReadModel):
    model_config = ConfigDict(extra="allow")

    category: str = ""
    evidence: str = ""


class FigureChange(ReadModel):
    model_config = ConfigDict(extra="allow")

    kind: str = ""
    old: int | float | None = None
    new: int | float | None = None
    label: str = ""


class Explanation(ReadModel):
    """Why a report is the event it is (``stories.decide.Decision.explanation``), as stored."""

    model_config = ConfigDict(extra="allow")

    developments: list[Development] = []
    figures: list[FigureChange] = []
    new_facts: list[str] = []
    reason: str | None = None
    score: float | None = None
    duplicate_of: int | None = Field(default=None, description="the article this report copies")
    revisions: list[dict[str, Any]] = Field(default=[], description="what later revisions of the report changed")

    @classmethod
    def read(cls, stored: dict[str, Any] | None) -> Explanation:
        return cls.model_validate(stored or {})

    def stored(self) -> dict[str, Any]:
        """The explanation as the decision stored it (what ``stories.wording`` reads)."""
        return self.model_dump(exclude_defaults=True)

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(item.category for item in self.developments if item.category))


class DayCount(ReadModel):
    day: date
    language: str
    count: int


def is_storable_id(value: int) -> bool:
    """Whether ``value`` can be a row id (a larger number cannot be bound as a parameter)."""
    return 0 < value <= MAX_ID


def bounds(page: int, per_page: int) -> tuple[int, int]:
    page = min(max(1, page), MAX_PAGE)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    return page, per_page


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def cast_int(value: int | None) -> int:
    assert value is not None, "filtered by IN (...): never NULL"
    return value


def group_by_day(counts: Iterable[DayCount]) -> dict[date, dict[str, int]]:
    days: dict[date, dict[str, int]] = defaultdict(dict)
    for item in counts:
        days[item.day][item.language] = days[item.day].get(item.language, 0) + item.count
    return dict(days)
