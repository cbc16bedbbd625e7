"""The HTML pages: server-rendered with Jinja2 (autoescape on), no script, no inline style.

Each view reads its query parameters leniently (an HTML form sends empty fields; a bad date is
ignored, not a 422), asks ``storage.read`` for the data and renders one template.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.schema import RaqibConfig
from storage.db import Database
from storage.read.alerts import alerts_page, disabled_channels
from storage.read.articles import article_detail
from storage.read.common import MAX_PAGE, PER_PAGE, day_start, group_by_day
from storage.read.events import latest_news
from storage.read.stories import StoryFilters, reports_per_day, stories_page, story_counts_by_watch, story_detail
from storage.search import search as run_search
from web import render
from web.api import feeds_with_health
from web.paths import TEMPLATES

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

EVENT_LABELS = {
    "new_story": "new story",
    "development": "development",
    "update": "update",
    "duplicate": "duplicate",
}
LANGUAGES = {"ar": "Arabic", "en": "English"}
ALERT_STATUSES = ("pending", "sending", "sent", "dead")
CHART_DAYS = 30
STORY_CHART_MAX_DAYS = 60


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name: feed text is hostile
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        hl=render.highlight,
        plain=render.plain,
        snippet=render.snippet,
        dirattrs=render.dir_attrs,
        safe_url=render.safe_url,
        fmt=render.format_time,
        iso=render.iso,
        lang_name=render.language_name,
        event_label=lambda event: EVENT_LABELS.get(event, event),
        number=_number,
        link_rel=render.LINK_REL,
    )
    return env


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "?" if value is None else str(value)
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


templates = Jinja2Templates(env=_environment())


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _config(request: Request) -> RaqibConfig:
    config: RaqibConfig = request.app.state.config
    return config


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _page_number(value: str | None) -> int:
    try:
        return min(max(1, int(value or "1")), MAX_PAGE)
    except ValueError:
        return 1


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def _url(path: str, params: Mapping[str, Any]) -> str:
    query = {key: str(value) for key, value in params.items() if value not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


def _pager(path: str, params: Mapping[str, Any], page: Any) -> dict[str, Any]:
    """``page``: a read model's Page or a SearchPage (total, page, pages, has_prev, has_next)."""
    """Links to the previous and next pages, keeping the filters."""
    return {
        "page": page.page,
        "pages": page.pages,
        "total": page.total,
        "prev": _url(path, {**params, "page": page.page - 1}) if page.has_prev else None,
        "next": _url(path, {**params, "page": page.page + 1}) if page.has_next else None,
    }


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    config = _config(request)
    base = {
        "page_name": name.removesuffix(".html"),
        "watch_names": [watch.name for watch in config.watches],
        "languages": LANGUAGES,
    }
    response: HTMLResponse = templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    return response


def _not_found(request: Request, what: str) -> HTMLResponse:
    return _page(request, "not_found.html", {"what": what}, status_code=404)


def _category_labels(config: RaqibConfig) -> dict[str, str]:
    """Category id → what people read: the label in English with the Arabic beside it."""
    labels = {cid: f"{label.en} ({label.ar})" for cid, label in config.category_labels().items()}
    return {**labels, "figure": "figure"}


def _categories(config: RaqibConfig) -> list[str]:
    return [*config.category_labels(), "figure"]


@router.get("/")
def home(request: Request) -> HTMLResponse:
    config = _config(request)
    today = datetime.now(UTC).date()
    first = today - timedelta(days=CHART_DAYS - 1)
    names = [watch.name for watch in config.watches]
    with _database(request).read_session() as session:
        counts = story_counts_by_watch(session)
        names += sorted(set(counts) - set(names))  # watches gone from the config stay browsable
        news = latest_news(session, names)
        per_day = reports_per_day(session, since=day_start(first))
    descriptions = {watch.name: watch.description for watch in config.watches}
    watches = [
        {"name": name, "description": descriptions.get(name, ""), "stories": counts.get(name, 0), "news": news[name]}
        for name in names
    ]
    chart = render.day_chart(
        group_by_day(per_day),
        first=first,
        last=today,
        chart_id="chart-home",
        label=f"Reports per day per language, last {CHART_DAYS} days",
    )
    return _page(request, "home.html", {"watches": watches, "chart": chart, "chart_days": CHART_DAYS})


@router.get("/stories")
def stories(
    request: Request,
    watch: str | None = None,
    language: str | None = None,
    category: str | None = None,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
    page: str | None = None,
) -> HTMLResponse:
    filters = StoryFilters(
        watch=_text(watch),
        language=_text(language),
        category=_text(category),
        date_from=_day(date_from),
        date_to=_day(date_to),
    )
    with _database(request).read_session() as session:
        result = stories_page(session, filters, page=_page_number(page))
    params = {
        "watch": filters.watch,
        "language": filters.language,
        "category": filters.category,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
    }
    return _page(
        request,
        "stories.html",
        {
            "result": result,
            "filters": params,
            "categories": _categories(_config(request)),
            "category_labels": _category_labels(_config(request)),
            "pager": _pager("/stories", params, result),
        },
    )


@router.get("/stories/{story_id}")
def story(request: Request, story_id: int) -> HTMLResponse:
    with _database(request).read_session() as session:
        detail = story_detail(session, story_id)
    if detail is None:
        return _not_found(request, f"story {story_id}")
    # The chart counts reports by the day they were stored, which may lie after the story's event
    # days (a replay, a late crawl): its span is that of the counted days when there are any.
    days = [item.day for item in detail.per_day]
    last = max(days, default=detail.last_seen.date())
    first = max(min(days, default=detail.first_seen.date()), last - timedelta(days=STORY_CHART_MAX_DAYS - 1))
    chart = render.day_chart(
        group_by_day(detail.per_day),
        first=first,
        last=last,
        chart_id="chart-story",
        label="Reports of this story per day per language",
    )
    return _page(request, "story.html", {"story": detail, "chart": chart})


@router.get("/articles/{article_id}")
def article(request: Request, article_id: int) -> HTMLResponse:
    with _database(request).read_session() as session:
        detail = article_detail(session, article_id)
    if detail is None:
        return _not_found(request, f"article {article_id}")
    text = detail.text or detail.summary
    return _page(
        request,
        "article.html",
        {
            "article": detail,
            "body": render.render_body(text, detail.terms, detail.language),
            "body_dir": render.dir_attrs(text, detail.language),
            "body_is_summary": not detail.text,
            "link": render.safe_url(detail.url),
        },
    )


@router.get("/search")
def search(
    request: Request,
    q: str | None = None,
    watch: str | None = None,
    language: str | None = None,
    page: str | None = None,
    cross: str | None = None,
) -> HTMLResponse:
    query, watch, language = _text(q), _text(watch), _text(language)
    number = _page_number(page)
    across = _text(cross) not in ("0", "false", "no", "off")
    params = {"q": query, "watch": watch, "language": language, "cross": None if across else "0"}
    context: dict[str, Any] = {"query": query or "", "filters": params, "hits": [], "pager": None, "found": None}
    if query:
        with _database(request).read_session() as session:
            found = run_search(
                session,
                query,
                watch=watch,
                language=language,
                limit=PER_PAGE,
                offset=(number - 1) * PER_PAGE,
                cross=across,
            )
        context.update(
            hits=found.hits,
            total=found.total,
            found=found,
            pager=_pager("/search", params, found),
            only_as_written=_url("/search", {**params, "cross": "0"}),
            across_languages=_url("/search", {**params, "cross": None}),
        )
    return _page(request, "search.html", context)


@router.get("/feeds")
def feeds(request: Request) -> HTMLResponse:
    return _page(request, "feeds.html", {"feeds": feeds_with_health(request)})


@router.get("/alerts")
def alerts(
    request: Request, status: str | None = None, channel: str | None = None, page: str | None = None
) -> HTMLResponse:
    config = _config(request)
    status, channel = _text(status), _text(channel)
    with _database(request).read_session() as session:
        result = alerts_page(session, status=status, channel=channel, page=_page_number(page))
        disabled = disabled_channels(session)
    params = {"status": status, "channel": channel}
    return _page(
        request,
        "alerts.html",
        {
            "result": result,
            "filters": params,
            "statuses": ALERT_STATUSES,
            "channels": [alert.name for alert in config.alerts],
            "disabled": disabled,
            "pager": _pager("/alerts", params, result),
        },
    )
