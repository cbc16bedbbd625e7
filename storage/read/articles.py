"""Articles out: the list (newest first, filtered, paginated) and one article with its matches.

Lists select only the columns they show: an article's text, signature and features are read for
its own page only.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from storage.models import Article, Feed, Story, WatchMatch

from .common import ARTICLE_COLUMNS, PER_PAGE, Explanation, Page, ReadModel, article_fields, bounds, is_storable_id
from .events import what_is_new


class ArticleHead(ReadModel):
    id: int
    feed: str
    title: str
    url: str | None
    language: str
    published_at: datetime | None
    fetched_at: datetime


class ArticleSummary(ArticleHead):
    watches: dict[str, str] = Field(default={}, description="watch -> event")
    story_ids: dict[str, int] = Field(default={}, description="watch -> story id")


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
    page, per_page = bounds(page, per_page)
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
            *ARTICLE_COLUMNS,
        )
        .join(Feed, Article.feed_id == Feed.id)
        .where(*conditions)
        .order_by(Article.fetched_at.desc(), Article.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [ArticleSummary(id=r.id, feed=r.feed, **article_fields(r)) for r in rows]
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
    return Page[ArticleSummary](items=items, total=total, page=page, per_page=per_page)


class ArticleMatch(ReadModel):
    watch: str
    event: str
    terms: list[str]
    story_id: int | None
    story_title: str | None
    created_at: datetime
    what_is_new: str
    explanation: Explanation


class ArticleDetail(ArticleHead):
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
            *ARTICLE_COLUMNS,
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
        **article_fields(row),
        updated_at=row.updated_at,
        revisions=row.revisions,
        summary=row.summary or "",
        text=row.text or "",
        matches=[
            ArticleMatch(
                watch=watch,
                event=event,
                terms=list(terms or []),
                story_id=story_id,
                story_title=story_title,
                created_at=created_at,
                what_is_new=what_is_new(event, explanation),
                explanation=Explanation.read(explanation),
            )
            for watch, event, terms, story_id, story_title, explanation, created_at in matches
        ],
    )
