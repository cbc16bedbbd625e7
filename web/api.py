"""The JSON API under /api: the read models of ``storage.read`` served as they are (FastAPI
response models), so /openapi.json describes every route and the pages, the API and the CLI show
one shape per resource."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from config.schema import RaqibConfig
from storage.db import Database
from storage.read.alerts import AlertRow, alerts_page
from storage.read.articles import ArticleDetail, ArticleSummary, article_detail, articles_page
from storage.read.common import MAX_PAGE, MAX_PER_PAGE, PER_PAGE, Page
from storage.read.feeds import FeedRow, feed_rows
from storage.read.stories import StoryDetail, StoryFilters, StorySummary, stories_page, story_detail
from storage.search import SearchPage
from storage.search import search as run_search
from web.app import can_reveal
from web.health import judge_feeds

router = APIRouter(prefix="/api", tags=["api"])

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="items per page")]


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _config(request: Request) -> RaqibConfig:
    config: RaqibConfig = request.app.state.config
    return config


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@router.get("/stories", response_model=Page[StorySummary], summary="Stories, most recently active first")
def list_stories(
    request: Request,
    watch: str | None = None,
    language: Annotated[str | None, Query(description="stories with a report in this language")] = None,
    category: Annotated[str | None, Query(description="stories with a development of this category")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="active on or after this day")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="started on or before this day")] = None,
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> Page[StorySummary]:
    filters = StoryFilters(
        watch=watch or None, language=language or None, category=category or None, date_from=date_from, date_to=date_to
    )
    with _database(request).read_session() as session:
        return stories_page(session, filters, page=page, per_page=per_page)


@router.get(
    "/stories/{story_id}",
    response_model=StoryDetail,
    summary="A story with every report, its event and explanation",
    responses={404: {"description": "no such story"}},
)
def get_story(request: Request, story_id: int) -> StoryDetail:
    with _database(request).read_session() as session:
        story = story_detail(session, story_id)
    if story is None:
        raise HTTPException(status_code=404, detail=f"no story {story_id}")
    return story


@router.get("/articles", response_model=Page[ArticleSummary], summary="Matched articles, newest first")
def list_articles(
    request: Request,
    watch: str | None = None,
    language: str | None = None,
    since: Annotated[datetime | None, Query(description="stored at or after this time (UTC if no zone)")] = None,
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> Page[ArticleSummary]:
    with _database(request).read_session() as session:
        return articles_page(
            session, watch=watch or None, language=language or None, since=_aware(since), page=page, per_page=per_page
        )


@router.get(
    "/articles/{article_id}",
    response_model=ArticleDetail,
    summary="An article with its text and the watches it matched",
    responses={404: {"description": "no such article"}},
)
def get_article(request: Request, article_id: int) -> ArticleDetail:
    with _database(request).read_session() as session:
        article = article_detail(session, article_id)
    if article is None:
        raise HTTPException(status_code=404, detail=f"no article {article_id}")
    return article


@router.get(
    "/feeds",
    response_model=list[FeedRow],
    summary="Every stored feed and its health",
    description="Secrets in feed addresses (user information, api keys, tokens) are masked as *** "
    "unless the token holder asks for them with reveal=1.",
)
def list_feeds(
    request: Request,
    reveal: Annotated[bool, Query(description="show feed addresses in full (needs the token)")] = False,
) -> list[FeedRow]:
    return feeds_with_health(request)


def feeds_with_health(request: Request) -> list[FeedRow]:
    """Every stored feed with its health; addresses masked unless the request may see secrets."""
    with _database(request).read_session() as session:
        rows = feed_rows(session, datetime.now(UTC))
    return judge_feeds(rows, _config(request), datetime.now(UTC), reveal=can_reveal(request))


@router.get("/alerts", response_model=Page[AlertRow], summary="Alerts sent and due, with every delivery attempt")
def list_alerts(
    request: Request,
    status: Annotated[str | None, Query(description="pending | sending | sent | dead")] = None,
    channel: str | None = None,
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> Page[AlertRow]:
    with _database(request).read_session() as session:
        return alerts_page(session, status=status or None, channel=channel or None, page=page, per_page=per_page)


@router.get(
    "/search",
    response_model=SearchPage,
    summary="Full-text search over stored articles",
)
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, description="words to look for")],
    watch: str | None = None,
    language: str | None = None,
    cross: Annotated[
        bool, Query(description="also look for the query's places and actors by their names in the other language")
    ] = True,
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> SearchPage:
    with _database(request).read_session() as session:
        return run_search(
            session,
            q,
            watch=watch or None,
            language=language or None,
            limit=per_page,
            offset=(page - 1) * per_page,
            cross=cross,
        )
