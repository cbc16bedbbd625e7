"""The configuration model: what a valid ``raqib.toml`` contains (DESIGN.md §3.2).

Every model forbids unknown keys and validates strictly: TOML has real booleans, integers and
strings, so ``fetch_articles = "yes"`` is a mistake to report, not a value to guess at. The only
conversions are the ones a person writes naturally: durations (``"15m"``, ``"1h30m"``, or a
number of seconds), sizes (``"10MiB"``) and clock times (``"22:00"``).

Rules that span several entries (unique names, an alert naming a watch that exists, an email
alert having recipients) live in ``config.cross_rules.cross_check`` so the loader can run them on the raw file even
when some entries fail their own validation, and report everything in one pass.

Development categories belong to a watch (``[watches.categories.<id>]``: a label in both
languages, example sentences in either language, optional terms); ``WatchConfig.categoriser``
builds the watch's ``stories.categories.Categoriser`` from them. The bundled watch carries the
shipped categories.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import time, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from config.cross_rules import CROSS_FIELD_ERROR, cross_check, format_loc
from config.fields import (
    LANGUAGES,
    ByteCount,
    ClockTime,
    DisplayName,
    Duration,
    EmailAddress,
    EnvName,
    HttpUrl,
    Interval,
    LanguageKey,
    PositiveDuration,
    Slug,
    Term,
    check_example,
    check_header_safe,
)
from stories.names import query_keys
from stories.types import Language, LanguageHint
from stories.wording import Label

if TYPE_CHECKING:
    # Only the story desk builds categorisers: a crawl of unchanged feeds loads the config without
    # them, and importing stories.categories (concepts, features) would cost it ~25 ms at start.
    from stories.categories import Categoriser, Category
    from stories.semantic import SentenceEncoder

DEFAULT_USER_AGENT = "Raqib/0.1 (+https://github.com/raqib/raqib; news monitor)"

EventName = Literal["new_story", "development", "update", "duplicate"]
QUERY_ERROR = "raqib_query_syntax"


# --- the models -----------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ScheduleSettings(_Section):
    interval: Interval = timedelta(minutes=15)


class NetworkSettings(_Section):
    allow_private: bool = False  # loopback/private addresses refused unless true
    # Host names allowed to resolve to private addresses (an intranet feed server) while every
    # other host, feed-controlled article links included, stays refused.
    private_hosts: list[Annotated[str, AfterValidator(check_header_safe)]] = []
    timeout: PositiveDuration = timedelta(seconds=30)
    max_bytes: ByteCount = 10 * 2**20
    max_redirects: int = Field(default=5, ge=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    user_agent: Annotated[str, AfterValidator(check_header_safe)] = DEFAULT_USER_AGENT


class PipelineSettings(_Section):
    """Bounds on the work between fetch and store (ingest/): parsing and extraction run in worker
    processes; one over its time budget or memory cap is killed and recorded as that feed's or
    page's error."""

    parse_budget: PositiveDuration = timedelta(seconds=20)  # per feed: charset, parsing, matching
    extract_budget: PositiveDuration = timedelta(seconds=20)  # per article page: trafilatura
    worker_memory: ByteCount = 1024 * 2**20  # address space a worker may add to what it holds at start
    workers: int = Field(default=0, ge=0)  # worker processes; 0: one per CPU core but the decide process's
    # Event time: a publication time older than this when first seen is history, not news (stored
    # and placed in its story, no alert); one further back than ``oldest_event`` is not believed.
    history_after: PositiveDuration = timedelta(days=2)
    oldest_event: PositiveDuration = timedelta(days=3650)


class FeedConfig(_Section):
    name: DisplayName
    url: HttpUrl
    language: LanguageHint = "auto"
    fetch_articles: bool = False
    interval: Interval | None = None
    enabled: bool = True

    def effective_interval(self, schedule: ScheduleSettings | timedelta) -> timedelta:
        """The feed's own interval, else the schedule's default."""
        if self.interval is not None:
            return self.interval
        return schedule if isinstance(schedule, timedelta) else schedule.interval


class CategoryLabel(_Section):
    en: DisplayName
    ar: DisplayName


class CategoryConfig(_Section):
    """A development category of a watch: what it is called, and how to recognise it."""

    label: CategoryLabel
    examples: list[Annotated[str, AfterValidator(check_example)]] = []  # sentences, either language
    terms: dict[LanguageKey, list[Term]] = {}

    @model_validator(mode="after")
    def _recognisable(self) -> CategoryConfig:
        if not self.examples and not any(self.terms.values()):
            raise ValueError("a category needs example sentences or terms to be recognised by")
        return self

    def category(self, category_id: str) -> Category:
        from stories.categories import Category

        terms = tuple(term for language in LANGUAGES for term in self.terms.get(language, []))
        return Category(category_id, Label(self.label.en, self.label.ar), tuple(self.examples), terms)


class WatchConfig(_Section):
    name: Slug
    query: str
    description: str = ""
    # What counts as a development of this watch's stories (none: new facts and figures only).
    categories: dict[Slug, CategoryConfig] = {}

    def categoriser(self, encoder: SentenceEncoder | None) -> Categoriser:
        """The watch's categories as the story desk uses them (``stories.categories``)."""
        from stories.categories import Categoriser

        return Categoriser(
            [config.category(category_id) for category_id, config in self.categories.items()],
            encoder,
            watch_names=query_keys(self.query),
        )

    @field_validator("query")
    @classmethod
    def _query_parses(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must not be empty")
        # Imported here so the config package imports even where stories.query is not built yet.
        from stories.query import QuerySyntaxError, parse_query

        try:
            parse_query(value)
        except QuerySyntaxError as exc:
            # The position lets the loader point at the line inside a multi-line query.
            raise PydanticCustomError(
                QUERY_ERROR,
                "query does not parse: {reason} (at character {character})",
                {"reason": exc.message, "character": exc.position + 1, "position": exc.position},
            ) from None
        return value


class SmtpSettings(_Section):
    host: Annotated[str, AfterValidator(check_header_safe)]
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username_env: EnvName = ""
    password_env: EnvName = ""
    timeout: PositiveDuration = timedelta(seconds=30)

    @model_validator(mode="after")
    def _one_kind_of_tls(self) -> SmtpSettings:
        if self.ssl and self.starttls:
            raise ValueError("set ssl (implicit TLS, usually port 465) or starttls (usually 587), not both")
        return self


class QuietHours(_Section):
    """Alerts raised between ``start`` and ``end`` (local time in ``timezone``) wait until ``end``;
    a window may wrap midnight (22:00-07:00)."""

    start: ClockTime = time(22, 0)
    end: ClockTime = time(7, 0)
    timezone: str = "Europe/Berlin"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like 'Europe/Berlin')") from None
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are equal; remove quiet_hours to alert at any time")
        return self


def _some_events(value: list[EventName]) -> list[EventName]:
    if not value:
        raise ValueError("on must name at least one of new_story, development, update, duplicate")
    return value


class AlertConfig(_Section):
    """One alert channel. Secrets are named by environment variable (``password_env``,
    ``secret_env``, ``urls_env``: Apprise URLs carry tokens), never written in the file.
    ``watches``, ``languages`` and ``categories`` filter what is sent; empty means all."""

    name: Slug
    kind: Literal["email", "webhook", "apprise"]
    to: list[EmailAddress] = []
    smtp: SmtpSettings | None = None
    url: HttpUrl | None = None
    secret_env: EnvName = ""
    urls_env: EnvName = ""  # apprise: the variable holding its URLs, separated by spaces or commas
    on: Annotated[list[EventName], AfterValidator(_some_events)] = ["new_story", "development"]
    watches: list[str] = []
    languages: list[Language] = []
    categories: list[str] = []
    digest: Literal["none", "hourly", "daily"] = "none"
    cooldown: Duration = timedelta(0)
    quiet_hours: QuietHours | None = None
    enabled: bool = True
    sender: EmailAddress = "raqib@localhost"  # the From of email alerts


class WebSettings(_Section):
    """Where the web page is served, and the address alerts link to (``base_url``, for when a
    proxy or another host name sits in front; defaults to http://host:port)."""

    host: Annotated[str, AfterValidator(check_header_safe)] = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    base_url: HttpUrl | None = None

    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")


class StoriesSettings(_Section):
    window: PositiveDuration = timedelta(days=7)  # how long a story stays open for new reports


class RaqibConfig(_Section):
    """A whole configuration file. ``database`` has no default here: the loader fills it in from
    the data folder (``sqlite:///{data_dir}/raqib.db``). A relative SQLite path written in the
    file (``sqlite:///raqib-data/raqib.db``) is relative to the current directory, as given."""

    database: str
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    feeds: list[FeedConfig] = []
    watches: list[WatchConfig] = []
    alerts: list[AlertConfig] = []
    stories: StoriesSettings = Field(default_factory=StoriesSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    @field_validator("database")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value):
            raise ValueError(
                "expected a database URL like 'sqlite:///path/to/raqib.db' or "
                f"'postgresql+psycopg://user@host/db', got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> RaqibConfig:
        problems = cross_check(self.model_dump())
        if problems:
            text = "; ".join(f"{format_loc(loc)}: {message}" for loc, message in problems)
            raise PydanticCustomError(CROSS_FIELD_ERROR, "{problems}", {"problems": text})
        return self

    def category_labels(self) -> dict[str, CategoryLabel]:
        """Every watch's development categories, id → label (the first watch naming an id wins)."""
        labels: dict[str, CategoryLabel] = {}
        for watch in self.watches:
            for category_id, category in watch.categories.items():
                labels.setdefault(category_id, category.label)
        return labels

    def watch_queries(self) -> dict[str, str]:
        """Watch name → query source, as ``stories.analysis.Analyser`` takes them."""
        return {watch.name: watch.query for watch in self.watches}

    def feed(self, name: str) -> FeedConfig:
        """The feed called ``name``; KeyError when there is none."""
        for feed in self.feeds:
            if feed.name == name:
                return feed
        raise KeyError(name)
