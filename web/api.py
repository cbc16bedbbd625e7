"""The JSON API under /api: the same data as the pages, typed with pydantic response models so
that /openapi.json describes every route."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from config.schema import RaqibConfig
from crawler.policy import feed_health
from storage import browse
from storage.db import Database
from web.app import can_reveal
from web.redact import mask_url

router = APIRouter(prefix="/api", tags=["api"])

Page = Annotated[int, Query(ge=1, le=browse.MAX_PAGE, description="1-based page number")]
PerPage = Annotated[int, Query(ge=1, le=browse.MAX_PER_PAGE, description="items per page")]


class Development(BaseModel):
    category: str
    evidence: str = ""


class FigureChange(BaseModel):
    kind: str
    old: int | float | None = None
    new: int | float | None = None
    label: str = ""


class Explanation(BaseModel):
    """Why a report is the event it is (stories.decide.Decision.explanation)."""

    model_config = ConfigDict(extra="allow")

    developments: list[Development] = []
    figures: list[FigureChange] = []
    new_facts: list[str] = []
    reason: str | None = None
    score: float | None = None
    duplicate_of: int | None = Field(default=None, description="the article this report copies")
    revisions: list[dict[str, Any]] = Field(default=[], description="what later revisions of the report changed")


class NewsItem(BaseModel):
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
    what_is_new: str
    categories: list[str]


class StorySummary(BaseModel):
    id: int
    url: str
    watch: str
    title: str
    language: str
    first_seen: datetime
    last_seen: datetime
    reports: int
    outlets: int
    languages: list[str]
    latest_development: NewsItem | None


class StoryPage(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    items: list[StorySummary]


class StoryReport(BaseModel):
    article_id: int
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


class DayCount(BaseModel):
    day: date
    language: str
    count: int


class StoryDetail(BaseModel):
    id: int
    url: str
    watch: str
    title: str
    language: str
    first_seen: datetime
    last_seen: datetime
    outlets: int
    languages: list[str]
    articles: list[StoryReport] = Field(description="every report of the story, oldest first")
    per_day: list[DayCount]


class ArticleSummary(BaseModel):
    id: int
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime
    watches: dict[str, str] = Field(description="watch -> event")
    story_ids: dict[str, int] = Field(description="watch -> story id")


class ArticlePage(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    items: list[ArticleSummary]


class ArticleMatch(BaseModel):
    watch: str
    event: str
    terms: list[str]
    story_id: int | None
    story_title: str | None
    created_at: datetime
    what_is_new: str
    explanation: Explanation


class ArticleDetail(BaseModel):
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


class FeedHealth(BaseModel):
    name: str
    url: str
    language: str
    health: str = Field(description="new | ok | failing | dead | quiet")
    configured: bool
    last_fetch_at: datetime | None
    last_status: str | None
    last_http_status: int | None
    last_error: str | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_new_entry_at: datetime | None
    next_due_at: datetime | None
    new_last_week: int
    fetches_last_week: int


class DeliveryAttempt(BaseModel):
    attempted_at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    seconds: float


class Alert(BaseModel):
    id: int
    event_id: str
    channel: str
    event_type: str
    watch: str
    story_id: int | None
    story_title: str
    article_title: str
    language: str
    status: str = Field(description="pending | sending | sent | dead")
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivery_attempts: list[DeliveryAttempt]


class AlertPage(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    items: list[Alert]


class SearchHit(BaseModel):
    article_id: int
    title: str
    feed: str
    language: str
    fetched_at: datetime
    snippet: str
    rank: float


class SearchPage(BaseModel):
    query: str
    total: int
    page: int
    per_page: int
    hits: list[SearchHit]


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _config(request: Request) -> RaqibConfig:
    config: RaqibConfig = request.app.state.config
    return config


def _explanation(data: dict[str, Any] | None) -> Explanation:
    return Explanation.model_validate(data or {})


def _news(item: browse.NewsItem) -> NewsItem:
    return NewsItem(
        match_id=item.match_id,
        event=item.event,
        created_at=item.created_at,
        watch=item.watch,
        story_id=item.story_id,
        story_title=item.story_title,
        article_id=item.article_id,
        article_title=item.article_title,
        language=item.language,
        feed=item.feed,
        what_is_new=item.line,
        categories=item.categories,
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@router.get("/stories", response_model=StoryPage, summary="Stories, most recently active first")
def list_stories(
    request: Request,
    watch: str | None = None,
    language: Annotated[str | None, Query(description="stories with a report in this language")] = None,
    category: Annotated[str | None, Query(description="stories with a development of this category")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="active on or after this day")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="started on or before this day")] = None,
    page: Page = 1,
    per_page: PerPage = browse.PER_PAGE,
) -> StoryPage:
    filters = browse.StoryFilters(watch or None, language or None, category or None, date_from, date_to)
    with _database(request).session() as session:
        result = browse.stories_page(session, filters, page=page, per_page=per_page)
    return StoryPage(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        items=[
            StorySummary(
                id=story.id,
                url=f"/stories/{story.id}",
                watch=story.watch,
                title=story.title,
                language=story.language,
                first_seen=story.first_seen,
                last_seen=story.last_seen,
                reports=story.reports,
                outlets=story.outlets,
                languages=story.languages,
                latest_development=_news(story.latest_development) if story.latest_development else None,
            )
            for story in result.items
        ],
    )


@router.get(
    "/stories/{story_id}",
    response_model=StoryDetail,
    summary="A story with every report, its event and explanation",
    responses={404: {"description": "no such story"}},
)
def get_story(request: Request, story_id: int) -> StoryDetail:
    with _database(request).session() as session:
        story = browse.story_detail(session, story_id)
    if story is None:
        raise HTTPException(status_code=404, detail=f"no story {story_id}")
    return StoryDetail(
        id=story.id,
        url=f"/stories/{story.id}",
        watch=story.watch,
        title=story.title,
        language=story.language,
        first_seen=story.first_seen,
        last_seen=story.last_seen,
        outlets=story.outlets,
        languages=story.languages,
        articles=[
            StoryReport(
                article_id=report.article_id,
                feed=report.feed,
                title=report.title,
                url=report.url,
                language=report.language,
                published_at=report.published_at,
                fetched_at=report.fetched_at,
                event=report.event,
                terms=report.terms,
                what_is_new=report.line,
                duplicate_of=report.duplicate_of,
                explanation=_explanation(report.explanation),
            )
            for report in story.reports
        ],
        per_day=[DayCount(day=item.day, language=item.language, count=item.count) for item in story.per_day],
    )


@router.get("/articles", response_model=ArticlePage, summary="Matched articles, newest first")
def list_articles(
    request: Request,
    watch: str | None = None,
    language: str | None = None,
    since: Annotated[datetime | None, Query(description="stored at or after this time (UTC if no zone)")] = None,
    page: Page = 1,
    per_page: PerPage = browse.PER_PAGE,
) -> ArticlePage:
    with _database(request).session() as session:
        result = browse.articles_page(
            session, watch=watch or None, language=language or None, since=_aware(since), page=page, per_page=per_page
        )
    return ArticlePage(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        items=[ArticleSummary.model_validate(item, from_attributes=True) for item in result.items],
    )


@router.get(
    "/articles/{article_id}",
    response_model=ArticleDetail,
    summary="An article with its text and the watches it matched",
    responses={404: {"description": "no such article"}},
)
def get_article(request: Request, article_id: int) -> ArticleDetail:
    with _database(request).session() as session:
        article = browse.article_detail(session, article_id)
    if article is None:
        raise HTTPException(status_code=404, detail=f"no article {article_id}")
    return ArticleDetail(
        id=article.id,
        feed=article.feed,
        title=article.title,
        url=article.url,
        language=article.language,
        published_at=article.published_at,
        fetched_at=article.fetched_at,
        updated_at=article.updated_at,
        revisions=article.revisions,
        summary=article.summary,
        text=article.text,
        matches=[
            ArticleMatch(
                watch=match.watch,
                event=match.event,
                terms=match.terms,
                story_id=match.story_id,
                story_title=match.story_title,
                created_at=match.created_at,
                what_is_new=match.line,
                explanation=_explanation(match.explanation),
            )
            for match in article.matches
        ],
    )


@router.get(
    "/feeds",
    response_model=list[FeedHealth],
    summary="Every stored feed and its health",
    description="Secrets in feed addresses (user information, api keys, tokens) are masked as *** "
    "unless the token holder asks for them with reveal=1.",
)
def list_feeds(
    request: Request,
    reveal: Annotated[bool, Query(description="show feed addresses in full (needs the token)")] = False,
) -> list[FeedHealth]:
    config = _config(request)
    now = datetime.now(UTC)
    intervals: dict[str, timedelta] = {feed.name: feed.interval or config.schedule.interval for feed in config.feeds}
    with _database(request).session() as session:
        rows = browse.feed_rows(session, now)
    reveal = can_reveal(request)
    return [
        FeedHealth(
            name=row.name,
            url=row.url if reveal else mask_url(row.url),
            language=row.language,
            health=feed_health(row, now, intervals.get(row.name, config.schedule.interval)),
            configured=row.name in intervals,
            last_fetch_at=row.last_fetch_at,
            last_status=row.last_status,
            last_http_status=row.last_http_status,
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures,
            last_success_at=row.last_success_at,
            last_new_entry_at=row.last_new_entry_at,
            next_due_at=row.next_due_at,
            new_last_week=row.new_last_week,
            fetches_last_week=row.fetches_last_week,
        )
        for row in rows
    ]


@router.get("/alerts", response_model=AlertPage, summary="Alerts sent and due, with every delivery attempt")
def list_alerts(
    request: Request,
    status: Annotated[str | None, Query(description="pending | sending | sent | dead")] = None,
    channel: str | None = None,
    page: Page = 1,
    per_page: PerPage = browse.PER_PAGE,
) -> AlertPage:
    with _database(request).session() as session:
        result = browse.alerts_page(
            session, status=status or None, channel=channel or None, page=page, per_page=per_page
        )
    return AlertPage(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        items=[
            Alert(
                id=alert.id,
                event_id=alert.event_id,
                channel=alert.channel,
                event_type=alert.event_type,
                watch=alert.watch,
                story_id=alert.story_id,
                story_title=alert.story_title,
                article_title=alert.article_title,
                language=alert.language,
                status=alert.status,
                attempts=alert.attempts,
                next_attempt_at=alert.next_attempt_at,
                last_error=alert.last_error,
                created_at=alert.created_at,
                sent_at=alert.sent_at,
                delivery_attempts=[DeliveryAttempt.model_validate(t, from_attributes=True) for t in alert.tries],
            )
            for alert in result.items
        ],
    )


@router.get(
    "/search",
    response_model=SearchPage,
    summary="Full-text search over stored articles",
    responses={503: {"description": "search is not available in this installation"}},
)
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, description="words to look for")],
    watch: str | None = None,
    language: str | None = None,
    page: Page = 1,
    per_page: PerPage = browse.PER_PAGE,
) -> SearchPage:
    try:
        from storage.search import search as run_search
    except ImportError as error:
        raise HTTPException(status_code=503, detail="search is not available") from error
    with _database(request).session() as session:
        found = run_search(
            session, q, watch=watch or None, language=language or None, limit=per_page, offset=(page - 1) * per_page
        )
    return SearchPage(
        query=q,
        total=found.total,
        page=page,
        per_page=per_page,
        hits=[SearchHit.model_validate(hit, from_attributes=True) for hit in found.hits],
    )
