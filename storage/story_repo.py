"""The rows the decide stage (ingest.decide, ingest.desk) reads and writes: stories, earlier
matches, the decided reports' heads and the decisions' match rows."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session, defer
from sqlalchemy.sql import Executable

from .chunking import IN_CHUNK, in_chunks
from .db import core
from .models import Story, WatchMatch
from .tables import articles, watch_matches


@dataclass(frozen=True, slots=True)
class ArticleHead:
    """What deciding a stored report and its alert read of its row: not its text (the decide
    process has it prepared), not an ORM object (loading thousands a cycle was a twentieth of
    deciding a dense stream)."""

    id: int
    feed_id: int
    title: str
    url: str | None
    language: str
    published_at: datetime | None


def article_heads(session: Session, ids: Collection[int]) -> dict[int, ArticleHead]:
    connection = core(session)
    c = articles.c
    found: dict[int, ArticleHead] = {}
    for chunk in in_chunks(sorted(set(ids))):
        rows = connection.execute(
            select(c.id, c.feed_id, c.title, c.url, c.language, c.published_at).where(c.id.in_(chunk))
        )
        found.update((row[0], ArticleHead(*row)) for row in rows)
    return found


@dataclass(slots=True)
class Decided:
    """A decision's match row (``add_decisions`` writes a batch of them and sets ``id``, from
    which the alert's event id derives)."""

    article_id: int
    watch: str
    terms: list[str]
    story_id: int
    event: str
    explanation: dict[str, Any]
    created_at: datetime
    id: int | None = None


def add_decisions(session: Session, decided: Sequence[Decided]) -> None:
    """Write a batch of decisions' match rows in one multi-row statement each ``IN_CHUNK``, and give
    each its id. Core, not the ORM's unit of work: the rows are plain inserts."""
    if not decided:
        return
    connection = core(session)  # the stories the matches point at are written (and new ones have ids)
    table = watch_matches
    values = [
        {
            "article_id": match.article_id,
            "watch": match.watch,
            "terms": match.terms,
            "story_id": match.story_id,
            "event": match.event,
            "explanation": match.explanation,
            "created_at": match.created_at,
        }
        for match in decided
    ]
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        result = connection.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), chunk)
        for match, (match_id,) in zip(decided[start : start + IN_CHUNK], result, strict=True):
            match.id = match_id


def active_stories(session: Session, watch: str, since: datetime, limit: int) -> dict[int, Story]:
    """The watch's stories with an event at or after ``since``, most recent first (ties: newest)."""
    rows = session.scalars(
        select(Story)
        .where(Story.watch == watch, Story.last_seen >= since)
        .options(defer(Story.state))  # parsed only when the cached memory is out of date
        .order_by(Story.last_seen.desc(), Story.id.desc())
        .limit(limit)
    )
    return {story.id: story for story in rows}


def story(session: Session, story_id: int) -> Story | None:
    return session.get(Story, story_id)


def new_story(session: Session, watch: str, title: str, language: str, at: datetime) -> Story:
    created = Story(watch=watch, title=title, language=language, first_seen=at, last_seen=at, state=None)
    session.add(created)
    session.flush()  # the new story's id keys its memory in the desk's cache
    return created


def stories_of(session: Session, article_ids: Sequence[int], watch: str) -> dict[int, int]:
    """article id -> story id under ``watch``, for those of ``article_ids`` that have one."""
    found: dict[int, int] = {}
    for chunk in in_chunks(sorted(set(article_ids))):
        rows = session.execute(
            select(WatchMatch.article_id, WatchMatch.story_id).where(
                WatchMatch.article_id.in_(chunk), WatchMatch.watch == watch, WatchMatch.story_id.is_not(None)
            )
        )
        found.update((article_id, story_id) for article_id, story_id in rows if story_id is not None)
    return found


def first_reports(session: Session, fingerprints: Collection[str], watch: str) -> dict[str, list[tuple[int, int]]]:
    """For each fingerprint, the (article id, story id) of the first two reports of the watch
    with that body, in article order, for a batch of reports in a few statements (two, so that a
    report finds the first other than itself). Each fingerprint is read through its index and
    stopped after two: a body copied thousands of times costs what a new one does."""
    found: dict[str, list[tuple[int, int]]] = {}
    wanted = sorted(set(fingerprints))
    connection = session.connection()
    largest = _STATEMENT_SIZES[-1]
    for start in range(0, len(wanted), largest):
        chunk = wanted[start : start + largest]
        size = next(size for size in _STATEMENT_SIZES if size >= len(chunk))
        params: dict[str, str] = {f"fingerprint_{index}": chunk[min(index, len(chunk) - 1)] for index in range(size)}
        params["watch"] = watch
        for fingerprint, article_id, story_id in connection.execute(_firsts_statement(size), params).all():
            firsts = found.setdefault(fingerprint, [])
            if (article_id, story_id) not in firsts:  # a padded chunk repeats its last fingerprint
                firsts.append((article_id, story_id))
    for firsts in found.values():
        firsts.sort()
    return found


# Fingerprints per statement: one small subquery each. A statement is built once per size: a
# shorter list is padded to the next size with its last fingerprint.
_STATEMENT_SIZES = (8, 16, 32, 64, 128)


@lru_cache(maxsize=8)
def _firsts_statement(size: int) -> Executable:
    """SQL text, not an expression: SQLAlchemy compiled a union of 128 subqueries in ~0.3 s, once per
    size in every decide process (a crawl cycle's), more than the statements' own running."""
    per_fingerprint = (
        f"SELECT first_{index}.fingerprint, first_{index}.id, first_{index}.story_id FROM ("
        f"SELECT {articles.name}.fingerprint AS fingerprint, {articles.name}.id AS id, "
        f"{watch_matches.name}.story_id AS story_id "
        f"FROM {articles.name} JOIN {watch_matches.name} ON {watch_matches.name}.article_id = {articles.name}.id "
        f"WHERE {articles.name}.fingerprint = :fingerprint_{index} AND {watch_matches.name}.watch = :watch "
        f"AND {watch_matches.name}.story_id IS NOT NULL ORDER BY {articles.name}.id LIMIT 2) AS first_{index}"
        for index in range(size)
    )
    return text(" UNION ALL ".join(per_fingerprint))


# PostgreSQL plans ``first_reports`` (and the stories' lookups) from its statistics of these
# tables, which autovacuum refreshes a minute after they grew at best. A first crawl fills them
# from empty in less: the planner, still counting a few rows of ``watch_matches``, read all of a
# watch's matches once for each body looked up (10 ms a statement at 900 matches, growing with
# them: half the wall time of deciding 90 % of 5,000 reports on PostgreSQL; 0.3 ms once analysed).
_PLANNED = ("articles", "watch_matches")
_FIRST_ANALYSE = 200  # rows changed: below this, any plan is fast


def refresh_statistics(connection: Connection) -> list[str]:
    """PostgreSQL: ANALYZE each of the decide stage's tables that has changed by more rows since
    it was last analysed than it then held (so a growing table is analysed at doubling sizes, a
    handful of times however large it grows); returns those analysed. Nothing on SQLite, whose
    planner follows the indexes without statistics. In its own committed transaction: an
    ANALYZE rolled back is forgotten."""
    if connection.dialect.name != "postgresql":
        return []
    stale = [
        str(table)
        for table, changed, counted in connection.exec_driver_sql(
            "SELECT relid::regclass::text, n_mod_since_analyze, (SELECT reltuples FROM pg_class WHERE oid = relid) "
            "FROM pg_stat_user_tables WHERE relid = ANY(%(tables)s::regclass[])",
            {"tables": list(_PLANNED)},
        )
        if changed > max(_FIRST_ANALYSE, counted)
    ]
    for table in stale:
        connection.exec_driver_sql(f"ANALYZE {table}")  # noqa: S608 - one of _PLANNED's names
    return stale
