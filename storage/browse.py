"""The queries behind the web pages and the JSON API: filtered, paginated, counted.

Built for a database of 100k articles: every list is one filtered query on an indexed column with
LIMIT/OFFSET plus one count, and its details (counts per story, languages, latest development,
delivery attempts) come in one grouped query per page, never one query per row. Lists select only
the columns they show: an article's text, signature and features are read for its own page only.
Callers get plain dataclasses, never ORM objects.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Text, and_, cast, distinct, func, or_, select
from sqlalchemy.orm import Session

from stories.wording import WhatIsNew

from .models import AlertChannel, Article, DeliveryAttempt, Feed, FetchLogEntry, OutboxEntry, Story, WatchMatch

__all__ = [
    "ALERTING_EVENTS",
    "MAX_ID",
    "MAX_PAGE",
    "PER_PAGE",
    "AlertAttempt",
    "AlertRow",
    "ArticleDetail",
    "ArticleMatch",
    "ArticleSummary",
    "DayCount",
    "FeedRow",
    "NewsItem",
    "Page",
    "Report",
    "StoryDetail",
    "StoryFilters",
    "StorySummary",
    "alerts_page",
    "article_detail",
    "articles_page",
    "day_start",
    "disabled_channels",
    "feed_rows",
    "group_by_day",
    "is_storable_id",
    "latest_news",
    "reports_per_day",
    "stories_page",
    "story_counts_by_watch",
    "story_detail",
    "what_is_new",
]

PER_PAGE = 25
MAX_PER_PAGE = 200
# Ids are 64-bit integers in both databases; a larger number in an address names nothing (and
# would overflow the driver). Pages past MAX_PAGE are as empty as the page after the last.
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000
ALERTING_EVENTS = ("new_story", "development")

T = TypeVar("T")


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def cast_int(value: int | None) -> int:
    assert value is not None, "filtered by IN (...): never NULL"
    return value


def is_storable_id(value: int) -> bool:
    """Whether ``value`` can be a row id (a larger number cannot be bound as a parameter)."""
    return 0 < value <= MAX_ID


def _bounds(page: int, per_page: int) -> tuple[int, int]:
    page = min(max(1, page), MAX_PAGE)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    return page, per_page


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def what_is_new(event: str, explanation: dict[str, Any] | None) -> str:
    """One line saying what a report added (``stories.wording``): new categories and figure
    changes, else its first new fact, else why nothing is new."""
    return WhatIsNew.from_explanation(event, explanation).headline("en")


def _categories(explanation: dict[str, Any] | None) -> list[str]:
    items = (explanation or {}).get("developments", [])
    return list(dict.fromkeys(str(item.get("category", "")) for item in items if item.get("category")))


# --- stories -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryFilters:
    watch: str | None = None
    language: str | None = None  # stories with at least one report in this language
    category: str | None = None  # stories with a development of this category
    date_from: date | None = None  # active on or after this day (last seen)
    date_to: date | None = None  # started on or before this day (first seen)


@dataclass(slots=True)
class NewsItem:
    """A report that alerted (a new story or a development), as a line of news."""

    match_id: int
    event: str
    created_at: datetime
    watch: str
    story_id: int | None
    story_title: str
    article_id: int
    article_title: str
    language: str
    feed: str
    line: str
    categories: list[str]
    developments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class StorySummary:
    id: int
    watch: str
    title: str
    language: str
    first_seen: datetime
    last_seen: datetime
    reports: int = 0
    outlets: int = 0
    languages: list[str] = field(default_factory=list)
    latest_development: NewsItem | None = None


def _category_condition(category: str) -> ColumnElement[bool]:
    # Explanations are JSON written by json.dumps (default or compact separators): the
    # development's category appears as "category": "<json string>". Exact, and no JSON
    # functions that differ between SQLite and PostgreSQL.
    value = json.dumps(category)
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    text = cast(WatchMatch.explanation, Text)
    return or_(
        text.like(f'%"category": {escaped}%', escape="\\"),
        text.like(f'%"category":{escaped}%', escape="\\"),
    )


def _story_query(filters: StoryFilters) -> Select[int, str, str, str, datetime, datetime]:
    query = select(Story.id, Story.watch, Story.title, Story.language, Story.first_seen, Story.last_seen)
    if filters.watch:
        query = query.where(Story.watch == filters.watch)
    if filters.date_from is not None:
        query = query.where(Story.last_seen >= day_start(filters.date_from))
    if filters.date_to is not None:
        query = query.where(Story.first_seen < day_start(filters.date_to + timedelta(days=1)))
    if filters.language:
        query = query.where(
            select(WatchMatch.id)
            .join(Article, WatchMatch.article_id == Article.id)
            .where(WatchMatch.story_id == Story.id, Article.language == filters.language)
            .exists()
        )
    if filters.category:
        query = query.where(
            select(WatchMatch.id)
            .where(
                WatchMatch.story_id == Story.id,
                WatchMatch.event == "development",
                _category_condition(filters.category),
            )
            .exists()
        )
    return query


def stories_page(
    session: Session, filters: StoryFilters, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[StorySummary]:
    """Stories most recently active first, with their counts and latest development."""
    page, per_page = _bounds(page, per_page)
    query = _story_query(filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.execute(
        query.order_by(Story.last_seen.desc(), Story.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    stories = [StorySummary(r.id, r.watch, r.title, r.language, r.first_seen, r.last_seen) for r in rows]
    _attach_story_counts(session, stories)
    return Page(stories, total, page, per_page)


def _attach_story_counts(session: Session, stories: list[StorySummary]) -> None:
    by_id = {story.id: story for story in stories}
    if not by_id:
        return
    ids = list(by_id)
    counts = session.execute(
        select(WatchMatch.story_id, func.count(WatchMatch.id), func.count(distinct(Article.feed_id)))
        .join(Article, WatchMatch.article_id == Article.id)
        .where(WatchMatch.story_id.in_(ids))
        .group_by(WatchMatch.story_id)
    )
    for story_id, reports, outlets in counts:
        summary = by_id[cast_int(story_id)]
        summary.reports, summary.outlets = reports, outlets
    languages = session.execute(
        select(WatchMatch.story_id, Article.language)
        .join(Article, WatchMatch.article_id == Article.id)
        .where(WatchMatch.story_id.in_(ids))
        .group_by(WatchMatch.story_id, Article.language)
        .order_by(Article.language)
    )
    for story_id, language in languages:
        by_id[cast_int(story_id)].languages.append(language)
    latest = (
        select(func.max(WatchMatch.id))
        .where(WatchMatch.story_id.in_(ids), WatchMatch.event == "development")
        .group_by(WatchMatch.story_id)
    )
    for item in _news_items(session, WatchMatch.id.in_(latest)):
        if item.story_id in by_id:
            by_id[item.story_id].latest_development = item


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
            Article.id.label("article_id"),
            Article.title.label("article_title"),
            Article.language,
            Feed.name.label("feed"),
        )
        .join(Article, WatchMatch.article_id == Article.id)
        .join(Feed, Article.feed_id == Feed.id)
        .outerjoin(Story, WatchMatch.story_id == Story.id)
    )


def _news_items(session: Session, *conditions: ColumnElement[bool], limit: int | None = None) -> list[NewsItem]:
    query = _news_query().where(*conditions).order_by(WatchMatch.created_at.desc(), WatchMatch.id.desc())
    if limit is not None:
        query = query.limit(limit)
    items = []
    for row in session.execute(query):
        explanation = row.explanation or {}
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
                line=what_is_new(row.event, explanation),
                categories=_categories(explanation),
                developments=[dict(item) for item in explanation.get("developments", [])],
            )
        )
    return items


def latest_news(session: Session, watches: Iterable[str], *, per_watch: int = 5) -> dict[str, list[NewsItem]]:
    """Per watch, its newest reports that alerted (one indexed query per watch: watch, created_at)."""
    return {
        watch: _news_items(session, WatchMatch.watch == watch, WatchMatch.event.in_(ALERTING_EVENTS), limit=per_watch)
        for watch in watches
    }


def story_counts_by_watch(session: Session) -> dict[str, int]:
    rows = session.execute(select(Story.watch, func.count(Story.id)).group_by(Story.watch))
    return {watch: count for watch, count in rows}


@dataclass(slots=True)
class Report:
    """One report of a story, with the event it was and why; copies of it folded under it."""

    article_id: int
    match_id: int
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime
    event: str
    terms: list[str]
    explanation: dict[str, Any]
    duplicate_of: int | None
    line: str
    copies: list[Report] = field(default_factory=list)

    @property
    def developments(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.explanation.get("developments", [])]

    @property
    def figures(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.explanation.get("figures", [])]

    @property
    def new_facts(self) -> list[str]:
        return [str(fact) for fact in self.explanation.get("new_facts", [])]

    @property
    def copy_outlets(self) -> list[str]:
        return sorted({copy.feed for copy in self.copies})


@dataclass(slots=True)
class DayCount:
    day: date
    language: str
    count: int


@dataclass(slots=True)
class StoryDetail:
    id: int
    watch: str
    title: str
    language: str
    first_seen: datetime
    last_seen: datetime
    reports: list[Report]  # every report, oldest first
    timeline: list[Report]  # the reports that are not copies, oldest first; copies folded in
    outlets: int
    languages: list[str]
    per_day: list[DayCount]


def story_detail(session: Session, story_id: int) -> StoryDetail | None:
    if not is_storable_id(story_id):
        return None
    story = session.execute(
        select(Story.id, Story.watch, Story.title, Story.language, Story.first_seen, Story.last_seen).where(
            Story.id == story_id
        )
    ).one_or_none()
    if story is None:
        return None
    rows = session.execute(
        select(
            WatchMatch.id,
            WatchMatch.event,
            WatchMatch.terms,
            WatchMatch.explanation,
            Article.id.label("article_id"),
            Article.title,
            Article.url,
            Article.canonical_url,
            Article.language,
            Article.published_at,
            Article.fetched_at,
            Feed.name.label("feed"),
        )
        .join(Article, WatchMatch.article_id == Article.id)
        .join(Feed, Article.feed_id == Feed.id)
        .where(WatchMatch.story_id == story_id)
        .order_by(Article.fetched_at, Article.id)
    )
    reports = []
    for row in rows:
        explanation = dict(row.explanation or {})
        duplicate_of = explanation.get("duplicate_of")
        reports.append(
            Report(
                article_id=row.article_id,
                match_id=row.id,
                feed=row.feed,
                title=row.title,
                url=row.url or row.canonical_url,
                language=row.language,
                published_at=row.published_at,
                fetched_at=row.fetched_at,
                event=row.event,
                terms=list(row.terms or []),
                explanation=explanation,
                duplicate_of=duplicate_of if isinstance(duplicate_of, int) else None,
                line=what_is_new(row.event, explanation),
            )
        )
    return StoryDetail(
        id=story.id,
        watch=story.watch,
        title=story.title,
        language=story.language,
        first_seen=story.first_seen,
        last_seen=story.last_seen,
        reports=reports,
        timeline=_fold_copies(reports),
        outlets=len({report.feed for report in reports}),
        languages=sorted({report.language for report in reports}),
        per_day=reports_per_day(session, story_id=story_id),
    )


def _fold_copies(reports: Sequence[Report]) -> list[Report]:
    """Put each duplicate under the report it copies (following chains of copies); a duplicate
    of an article outside the story stays in the timeline on its own."""
    by_article = {report.article_id: report for report in reports}

    def original(report: Report) -> Report | None:
        seen: set[int] = set()
        current = report
        while current.event == "duplicate" and current.duplicate_of is not None:
            if current.article_id in seen:
                return None
            seen.add(current.article_id)
            target = by_article.get(current.duplicate_of)
            if target is None:
                return None
            current = target
        return current if current is not report else None

    timeline = []
    for report in reports:
        report.copies = []
    for report in reports:
        target = original(report) if report.event == "duplicate" else None
        if target is None:
            timeline.append(report)
        else:
            target.copies.append(report)
    return timeline


def reports_per_day(
    session: Session,
    *,
    story_id: int | None = None,
    since: datetime | None = None,
) -> list[DayCount]:
    """Matched reports per day (first stored, UTC) and language: of one story, or of every watch
    since a time (each article counted once however many watches it matched)."""
    day = func.date(Article.fetched_at)
    if story_id is not None:
        query = (
            select(day, Article.language, func.count(Article.id))
            .join(WatchMatch, WatchMatch.article_id == Article.id)
            .where(WatchMatch.story_id == story_id)
        )
    else:
        query = select(day, Article.language, func.count(Article.id)).where(
            select(WatchMatch.id).where(WatchMatch.article_id == Article.id).exists()
        )
    if since is not None:
        query = query.where(Article.fetched_at >= since)
    rows = session.execute(query.group_by(day, Article.language).order_by(day, Article.language))
    return [DayCount(_as_date(value), language, count) for value, language, count in rows]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- articles ------------------------------------------------------------------------------


@dataclass(slots=True)
class ArticleSummary:
    id: int
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime
    watches: dict[str, str] = field(default_factory=dict)  # watch -> event
    story_ids: dict[str, int] = field(default_factory=dict)  # watch -> story id


def articles_page(
    session: Session,
    *,
    watch: str | None = None,
    language: str | None = None,
    since: datetime | None = None,
    matched_only: bool = True,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[ArticleSummary]:
    """Articles newest first (first stored); by default only those that matched a watch."""
    page, per_page = _bounds(page, per_page)
    conditions: list[ColumnElement[bool]] = []
    if watch:
        conditions.append(
            # IN rather than a correlated EXISTS: the planner can start from the watch's matches
            # (indexed by watch) instead of testing every article.
            Article.id.in_(select(WatchMatch.article_id).where(WatchMatch.watch == watch))
        )
    elif matched_only:
        conditions.append(select(WatchMatch.id).where(WatchMatch.article_id == Article.id).exists())
    if language:
        conditions.append(Article.language == language)
    if since is not None:
        conditions.append(Article.fetched_at >= since)
    total = session.scalar(select(func.count(Article.id)).where(*conditions)) or 0
    rows = session.execute(
        select(
            Article.id,
            Feed.name.label("feed"),
            Article.title,
            Article.url,
            Article.canonical_url,
            Article.language,
            Article.published_at,
            Article.fetched_at,
        )
        .join(Feed, Article.feed_id == Feed.id)
        .where(*conditions)
        .order_by(Article.fetched_at.desc(), Article.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [
        ArticleSummary(r.id, r.feed, r.title, r.url or r.canonical_url, r.language, r.published_at, r.fetched_at)
        for r in rows
    ]
    by_id = {item.id: item for item in items}
    if by_id:
        matches = session.execute(
            select(WatchMatch.article_id, WatchMatch.watch, WatchMatch.event, WatchMatch.story_id)
            .where(WatchMatch.article_id.in_(list(by_id)))
            .order_by(WatchMatch.id)
        )
        for article_id, match_watch, event, story_id in matches:
            by_id[article_id].watches[match_watch] = event
            if story_id is not None:
                by_id[article_id].story_ids[match_watch] = story_id
    return Page(items, total, page, per_page)


@dataclass(slots=True)
class ArticleMatch:
    watch: str
    event: str
    terms: list[str]
    story_id: int | None
    story_title: str | None
    explanation: dict[str, Any]
    created_at: datetime
    line: str


@dataclass(slots=True)
class ArticleDetail:
    id: int
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime
    updated_at: datetime
    revisions: int
    summary: str
    text: str
    matches: list[ArticleMatch]

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(term for match in self.matches for term in match.terms))


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    if not is_storable_id(article_id):
        return None
    row = session.execute(
        select(
            Article.id,
            Feed.name.label("feed"),
            Article.title,
            Article.url,
            Article.canonical_url,
            Article.language,
            Article.published_at,
            Article.fetched_at,
            Article.updated_at,
            Article.revisions,
            Article.summary,
            Article.text,
        )
        .join(Feed, Article.feed_id == Feed.id)
        .where(Article.id == article_id)
    ).one_or_none()
    if row is None:
        return None
    matches = session.execute(
        select(
            WatchMatch.watch,
            WatchMatch.event,
            WatchMatch.terms,
            WatchMatch.story_id,
            Story.title,
            WatchMatch.explanation,
            WatchMatch.created_at,
        )
        .outerjoin(Story, WatchMatch.story_id == Story.id)
        .where(WatchMatch.article_id == article_id)
        .order_by(WatchMatch.id)
    )
    return ArticleDetail(
        id=row.id,
        feed=row.feed,
        title=row.title,
        url=row.url or row.canonical_url,
        language=row.language,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        updated_at=row.updated_at,
        revisions=row.revisions,
        summary=row.summary or "",
        text=row.text or "",
        matches=[
            ArticleMatch(
                watch,
                event,
                list(terms or []),
                story_id,
                story_title,
                dict(explanation or {}),
                created_at,
                what_is_new(event, explanation),
            )
            for watch, event, terms, story_id, story_title, explanation, created_at in matches
        ],
    )


# --- feeds ---------------------------------------------------------------------------------


@dataclass(slots=True)
class FeedRow:
    """A stored feed's state and recent activity (fits crawler.policy.FeedStateLike)."""

    name: str
    url: str
    language: str
    last_fetch_at: datetime | None
    last_status: str | None
    last_http_status: int | None
    last_error: str | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_new_entry_at: datetime | None
    next_due_at: datetime | None
    created_at: datetime | None
    new_last_week: int = 0
    fetches_last_week: int = 0


def feed_rows(session: Session, now: datetime) -> list[FeedRow]:
    """Every stored feed by name, with its newest HTTP status and last week's articles and fetches."""
    week_ago = now - timedelta(days=7)
    last_http = (
        select(FetchLogEntry.http_status)
        .where(FetchLogEntry.feed_id == Feed.id)
        .order_by(FetchLogEntry.started_at.desc(), FetchLogEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Feed.id,
            Feed.name,
            Feed.url,
            Feed.language,
            Feed.last_fetch_at,
            Feed.last_status,
            last_http.label("last_http_status"),
            Feed.last_error,
            Feed.consecutive_failures,
            Feed.last_success_at,
            Feed.last_new_entry_at,
            Feed.next_due_at,
            Feed.created_at,
        ).order_by(Feed.name)
    ).all()
    # Grouped by an expression, not the bare column: given the column, SQLite walks the whole
    # feed_id index to group instead of reading last week's range of the fetched_at index.
    feed_key = Article.feed_id + 0
    new = dict(
        session.execute(
            select(feed_key, func.count(Article.id)).where(Article.fetched_at >= week_ago).group_by(feed_key)
        ).all()
    )
    fetch_key = FetchLogEntry.feed_id + 0  # the same: read the week's range of started_at
    fetches = dict(
        session.execute(
            select(fetch_key, func.count(FetchLogEntry.id))
            .where(FetchLogEntry.started_at >= week_ago)
            .group_by(fetch_key)
        ).all()
    )
    return [
        FeedRow(
            name=r.name,
            url=r.url,
            language=r.language,
            last_fetch_at=r.last_fetch_at,
            last_status=r.last_status,
            last_http_status=r.last_http_status,
            last_error=r.last_error,
            consecutive_failures=r.consecutive_failures,
            last_success_at=r.last_success_at,
            last_new_entry_at=r.last_new_entry_at,
            next_due_at=r.next_due_at,
            created_at=r.created_at,
            new_last_week=int(new.get(r.id, 0)),
            fetches_last_week=int(fetches.get(r.id, 0)),
        )
        for r in rows
    ]


# --- alerts --------------------------------------------------------------------------------


@dataclass(slots=True)
class AlertAttempt:
    attempted_at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    seconds: float


@dataclass(slots=True)
class AlertRow:
    id: int
    event_id: str
    channel: str
    event_type: str
    watch: str
    story_id: int | None
    story_title: str
    article_title: str
    language: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    tries: list[AlertAttempt] = field(default_factory=list)


def alerts_page(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[AlertRow]:
    """Alerts newest first, each with every delivery attempt (one query for the page's attempts)."""
    page, per_page = _bounds(page, per_page)
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(OutboxEntry.status == status)
    if channel:
        conditions.append(OutboxEntry.channel == channel)
    where = and_(*conditions) if conditions else None
    count = select(func.count(OutboxEntry.id))
    query = select(OutboxEntry)
    if where is not None:
        count, query = count.where(where), query.where(where)
    total = session.scalar(count) or 0
    entries = session.scalars(query.order_by(OutboxEntry.id.desc()).limit(per_page).offset((page - 1) * per_page))
    items = []
    for entry in entries:
        payload = entry.payload or {}
        items.append(
            AlertRow(
                id=entry.id,
                event_id=entry.event_id,
                channel=entry.channel,
                event_type=entry.event_type,
                watch=entry.watch,
                story_id=entry.story_id,
                story_title=str((payload.get("story") or {}).get("title", "")),
                article_title=str((payload.get("article") or {}).get("title", "")),
                language=entry.language,
                status=entry.status,
                attempts=entry.attempts,
                next_attempt_at=entry.next_attempt_at,
                last_error=entry.last_error,
                created_at=entry.created_at,
                sent_at=entry.sent_at,
            )
        )
    by_id = {item.id: item for item in items}
    if by_id:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.outbox_id.in_(list(by_id)))
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        )
        for attempt in attempts:
            by_id[attempt.outbox_id].tries.append(
                AlertAttempt(attempt.attempted_at, attempt.ok, attempt.status_code, attempt.error, attempt.seconds)
            )
    return Page(items, total, page, per_page)


def disabled_channels(session: Session) -> dict[str, tuple[datetime | None, str]]:
    rows = session.execute(
        select(AlertChannel.name, AlertChannel.disabled_at, AlertChannel.disabled_reason).where(
            AlertChannel.disabled_at.is_not(None)
        )
    )
    return {name: (disabled_at, reason or "disabled") for name, disabled_at, reason in rows}


def group_by_day(counts: Iterable[DayCount]) -> dict[date, dict[str, int]]:
    days: dict[date, dict[str, int]] = defaultdict(dict)
    for item in counts:
        days[item.day][item.language] = days[item.day].get(item.language, 0) + item.count
    return dict(days)
