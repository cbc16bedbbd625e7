"""Stories out: the list (filtered, paginated, counted), one story with every report, the latest
news per watch and reports per day.

Built for a database of 100k articles: a list is one filtered query on an indexed column with
LIMIT/OFFSET plus one count, and its details (counts per story, languages, latest development)
come in one grouped query per page, never one query per row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from pydantic import Field, computed_field
from sqlalchemy import ColumnElement, Select, Text, cast, distinct, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Article, Feed, Story, WatchMatch

from .common import (
    ARTICLE_COLUMNS,
    MAX_PER_PAGE,
    PER_PAGE,
    DayCount,
    Development,
    Explanation,
    FigureChange,
    Page,
    ReadModel,
    article_fields,
    as_date,
    bounds,
    cast_int,
    day_start,
    is_storable_id,
)
from .events import NewsItem, news_items, what_is_new


class StoryFilters(ReadModel):
    watch: str | None = None
    language: str | None = None  # stories with at least one report in this language
    category: str | None = None  # stories with a development of this category
    date_from: date | None = None  # active on or after this day (last seen)
    date_to: date | None = None  # started on or before this day (first seen)
    active_since: datetime | None = None  # active at or after this time (the CLI's --since)


class StoryHead(ReadModel):
    id: int
    watch: str
    title: str
    language: str
    first_seen: datetime
    last_seen: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return f"/stories/{self.id}"


class StorySummary(StoryHead):
    reports: int = 0
    outlets: int = 0
    languages: list[str] = []
    latest_development: NewsItem | None = None


class Report(ReadModel):
    """One report of a story, with the event it was and why; copies of it folded under it."""

    article_id: int
    match_id: int = Field(exclude=True)
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime
    event: str
    terms: list[str]
    what_is_new: str
    duplicate_of: int | None
    explanation: Explanation
    copies: list[Report] = Field(default=[], exclude=True)

    @property
    def developments(self) -> list[Development]:
        return self.explanation.developments

    @property
    def figures(self) -> list[FigureChange]:
        return self.explanation.figures

    @property
    def new_facts(self) -> list[str]:
        return self.explanation.new_facts

    @property
    def copy_outlets(self) -> list[str]:
        return sorted({copy.feed for copy in self.copies})


class StoryDetail(StoryHead):
    outlets: int
    languages: list[str]
    articles: list[Report] = Field(description="every report of the story, oldest first")
    per_day: list[DayCount]
    # The reports that are not copies, oldest first; copies folded in (the page's timeline).
    timeline: list[Report] = Field(default=[], exclude=True)


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
    if filters.active_since is not None:
        query = query.where(Story.last_seen >= filters.active_since)
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
    page, per_page = bounds(page, per_page)
    query = _story_query(filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.execute(
        query.order_by(Story.last_seen.desc(), Story.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    stories = [
        StorySummary(
            id=r.id,
            watch=r.watch,
            title=r.title,
            language=r.language,
            first_seen=r.first_seen,
            last_seen=r.last_seen,
        )
        for r in rows
    ]
    _attach_story_counts(session, stories)
    return Page[StorySummary](items=stories, total=total, page=page, per_page=per_page)


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
    for item in news_items(session, WatchMatch.id.in_(latest)):
        if item.story_id in by_id:
            by_id[item.story_id].latest_development = item


def story_counts_by_watch(session: Session) -> dict[str, int]:
    rows = session.execute(select(Story.watch, func.count(Story.id)).group_by(Story.watch))
    return {watch: count for watch, count in rows}


def story_head(session: Session, story_id: int) -> StoryHead | None:
    if not is_storable_id(story_id):
        return None
    story = session.execute(
        select(Story.id, Story.watch, Story.title, Story.language, Story.first_seen, Story.last_seen).where(
            Story.id == story_id
        )
    ).one_or_none()
    return StoryHead.model_validate(story) if story is not None else None


def story_events(session: Session, story_id: int) -> tuple[StoryHead, list[NewsItem]] | None:
    """A story and every event of it (new story, developments, updates, duplicates), newest
    first; None for an unknown story."""
    story = story_head(session, story_id)
    if story is None:
        return None
    return story, news_items(session, WatchMatch.story_id == story_id)


def story_detail(session: Session, story_id: int) -> StoryDetail | None:
    story = story_head(session, story_id)
    if story is None:
        return None
    rows = session.execute(
        select(
            WatchMatch.id,
            WatchMatch.event,
            WatchMatch.terms,
            WatchMatch.explanation,
            Article.id.label("article_id"),
            *ARTICLE_COLUMNS,
            Feed.name.label("feed"),
        )
        .join(Article, WatchMatch.article_id == Article.id)
        .join(Feed, Article.feed_id == Feed.id)
        .where(WatchMatch.story_id == story_id)
        .order_by(Article.fetched_at, Article.id)
    )
    reports = []
    for row in rows:
        explanation = Explanation.read(row.explanation)
        reports.append(
            Report(
                article_id=row.article_id,
                match_id=row.id,
                feed=row.feed,
                **article_fields(row),
                event=row.event,
                terms=list(row.terms or []),
                explanation=explanation,
                duplicate_of=explanation.duplicate_of,
                what_is_new=what_is_new(row.event, row.explanation),
            )
        )
    return StoryDetail(
        id=story.id,
        watch=story.watch,
        title=story.title,
        language=story.language,
        first_seen=story.first_seen,
        last_seen=story.last_seen,
        articles=reports,
        timeline=_fold_copies(reports),
        outlets=len({report.feed for report in reports}),
        languages=sorted({report.language for report in reports}),
        per_day=reports_per_day(session, story_id=story_id),
    )


def story_details(session: Session, filters: StoryFilters, *, limit: int = 100) -> list[StoryDetail]:
    """The ``limit`` most recently active stories, each with every report (the CLI's listing)."""
    found: list[StoryDetail] = []
    page = 1
    while len(found) < limit:
        result = stories_page(session, filters, page=page, per_page=min(limit, MAX_PER_PAGE))
        for story in result.items[: limit - len(found)]:
            detail = story_detail(session, story.id)
            if detail is not None:
                found.append(detail)
        if not result.has_next:
            break
        page += 1
    return found


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
    return [DayCount(day=as_date(value), language=language, count=count) for value, language, count in rows]
