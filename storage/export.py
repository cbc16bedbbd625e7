"""Backup and move: the whole history as JSON lines, read back into any database.

``raqib export FILE`` writes a header line, then one line per row: feeds, articles, stories,
watch matches (the decisions), the near-duplicate band index, alert channels, the outbox (alerts)
with every delivery attempt, and the fetch log, in an order where every row comes after the rows
it refers to. ``raqib import FILE`` reads them into a database of either backend (SQLite →
PostgreSQL and back), keeping every id, so story links (``/stories/12``) and alert ids stay
valid and every article stays in its story. A row already present (same id or same natural key:
a feed's name, an article's identity, an alert's event and channel) is left alone, so a second
import of the same file adds nothing. The search index is not exported: it is rebuilt from the
articles after an import.

Values: times are ISO 8601 in UTC, bytes (MinHash signatures) are ``{"$base64": "…"}``, JSON
columns stay JSON. The file is UTF-8, Arabic as characters.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import Column, Connection, LargeBinary, Table, func, select, text

from .db import Database
from .search_index import reindex_all
from .search_tables import article_search
from .tables import UTCDateTime, metadata

FORMAT = "raqib-export"
VERSION = 1
# Every table of the schema but the search index, parents before children.
TABLES = (
    "feeds",
    "articles",
    "stories",
    "watch_matches",
    "article_bands",
    "undecided_matches",  # matches stored but not decided yet (ingest.decide takes them)
    "alert_channels",
    "outbox",
    "delivery_attempts",
    "fetch_log",
)
NOT_EXPORTED = frozenset({article_search.name})  # rebuilt from the articles on import
BATCH = 1000
# What names a row besides its id: the same id holding another key means the target database
# holds other history, and ids cannot be kept.
NATURAL_KEYS = {
    "articles": ("identity",),
    "stories": ("watch", "first_seen"),
    "watch_matches": ("article_id", "watch"),
    "outbox": ("event_id", "channel"),
}
# Rows that refer to a feed by id: a feed already in the target (by name) keeps its id there.
FEED_REFERENCES = {"articles", "fetch_log"}

Progress = Callable[[str, int], None]  # (table, rows so far)


class ExportError(ValueError):
    """The file is not a Raqib export this version reads."""


@dataclass
class ImportReport:
    read: dict[str, int] = field(default_factory=dict)  # rows in the file, per table
    added: dict[str, int] = field(default_factory=dict)  # rows that were not there yet
    reindexed: int = 0

    def line(self) -> str:
        parts = [f"{table} {self.added.get(table, 0)}/{self.read[table]}" for table in TABLES if table in self.read]
        return "added (new/in file): " + ", ".join(parts) + f"; search index rebuilt for {self.reindexed} articles"


def _table(name: str) -> Table:
    return metadata.tables[name]


def _out(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _in(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value["$base64"])
    return value


def export_rows(session: Connection) -> Iterator[dict[str, Any]]:
    """The header, then every row of every exported table, parents first, each table by id."""
    yield {"format": FORMAT, "version": VERSION, "tables": list(TABLES), "exported_at": _out(datetime.now(UTC))}
    for name in TABLES:
        table = _table(name)
        order = [column for column in table.primary_key.columns]
        for row in session.execute(select(table).order_by(*order)).mappings().yield_per(BATCH):
            yield {"table": name, "row": {key: _out(value) for key, value in row.items()}}


def export_to(database: Database, out: IO[str], progress: Progress | None = None) -> dict[str, int]:
    """Write the export to ``out`` (text, one JSON object a line); returns rows per table."""
    counts: dict[str, int] = {}
    with database.transaction() as session:
        for record in export_rows(session):
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            name = record.get("table")
            if name is not None:
                counts[name] = counts.get(name, 0) + 1
                if progress is not None and counts[name] % BATCH == 0:
                    progress(name, counts[name])
    return counts


def _records(lines: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    header: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ExportError(f"line {number}: not JSON ({error.msg})") from None
        if header is None:
            if not isinstance(record, dict) or record.get("format") != FORMAT:
                raise ExportError("not a Raqib export: the first line is not its header")
            if record.get("version") != VERSION:
                raise ExportError(f"export format version {record.get('version')!r}; this Raqib reads {VERSION}")
            header = record
            continue
        name = record.get("table") if isinstance(record, dict) else None
        if name not in TABLES or not isinstance(record.get("row"), dict):
            raise ExportError(f"line {number}: not a row of an exported table")
        yield name, record["row"]
    if header is None:
        raise ExportError("empty file: not a Raqib export")


def _import_feed(session: Connection, values: dict[str, Any], feed_ids: dict[int, int]) -> int:
    """A feed is known by its name: one the target has already (``raqib`` syncs the config's feeds
    on start) keeps its id there and its state; a new one keeps its id when free. Returns 1 when
    the feed was added."""
    feeds = _table("feeds")
    present = session.scalar(select(feeds.c.id).where(feeds.c.name == values["name"]))
    if present is not None:
        feed_ids[values["id"]] = present
        return 0
    if session.scalar(select(feeds.c.id).where(feeds.c.id == values["id"])) is not None:
        original = values.pop("id")
        feed_ids[original] = session.execute(feeds.insert().values(values).returning(feeds.c.id)).scalar_one()
    else:
        session.execute(feeds.insert().values(values))
        feed_ids[values["id"]] = values["id"]
    return 1


def _check_same_history(session: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Refuse rows whose id the target gives to another row (another database's history)."""
    key = NATURAL_KEYS.get(table.name)
    if key is None or "id" not in table.c:
        return
    wanted = {row["id"]: tuple(row[column] for column in key) for row in rows}
    columns = [table.c[column] for column in key]
    for found_id, *found_key in session.execute(select(table.c.id, *columns).where(table.c.id.in_(list(wanted)))):
        if tuple(found_key) != wanted[found_id]:
            raise ExportError(
                f"{table.name} #{found_id} is another row in this database: it holds other history. Import into "
                "an empty database (or the one the export came from), so that ids can be kept."
            )


def _insert_ignoring_present(session: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows``; a row whose id or natural key is already there is left alone."""
    _check_same_history(session, table, rows)
    dialect = session.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # where the dialect is known: not loaded on SQLite

        statement: Any = postgresql.insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects import sqlite

        statement = sqlite.insert(table).on_conflict_do_nothing()
    result = session.execute(statement.returning(*table.primary_key.columns), rows)
    return len(result.all())


def import_from(database: Database, lines: Iterable[str], progress: Progress | None = None) -> ImportReport:
    """Read an export into ``database`` (upgraded first), keeping ids; returns what was added."""
    report = ImportReport()
    pending: dict[str, list[dict[str, Any]]] = {}

    def flush(session: Connection, name: str) -> None:
        rows = pending.pop(name, [])
        if rows:
            report.added[name] = report.added.get(name, 0) + _insert_ignoring_present(session, _table(name), rows)
            if progress is not None:
                progress(name, report.read[name])

    with database.transaction() as session:
        feed_ids: dict[int, int] = {}  # id in the file -> id in the target
        current: str | None = None
        for name, row in _records(lines):
            if name != current and current is not None:
                flush(session, current)  # parents are written before their children's rows
            current = name
            table = _table(name)
            values = {key: _in(table.c[key], value) for key, value in row.items() if key in table.c}
            if name == "feeds":
                report.read[name] = report.read.get(name, 0) + 1
                report.added[name] = report.added.get(name, 0) + _import_feed(session, values, feed_ids)
                continue
            if name in FEED_REFERENCES:
                values["feed_id"] = feed_ids.get(values["feed_id"], values["feed_id"])
            pending.setdefault(name, []).append(values)
            report.read[name] = report.read.get(name, 0) + 1
            if len(pending[name]) >= BATCH:
                flush(session, name)
        if current is not None:
            flush(session, current)
        _advance_sequences(session)
        report.reindexed = reindex_all(session, missing_only=True)
    return report


def _advance_sequences(session: Connection) -> None:
    """PostgreSQL hands out ids from sequences that an import with explicit ids does not move:
    set each past the largest id, so the next crawl's rows do not collide. (SQLite takes the
    largest id + 1 by itself.)"""
    if session.dialect.name != "postgresql":
        return
    for name in TABLES:
        table = _table(name)
        if "id" not in table.c:
            continue
        largest = session.scalar(select(func.max(table.c.id)))
        if largest is not None:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :largest)"),
                {"table": name, "largest": largest},
            )
