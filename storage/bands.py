"""The persisted LSH band index: which stored articles share a MinHash band with a new one.

Each article with a signature has one ``article_bands`` row per band key
(``stories.fingerprint.MinHasher.band_keys``). Looking up a text's near-duplicates reads the rows
of its band keys through the primary key ``(band, article_id)``, then re-ranks those candidates by
the similarity of their stored ``articles.signature``. Nothing is kept in memory, so a restart
finds what the previous process stored, and SQLite and PostgreSQL run the same statements (but
for how a list of ids is bound). The lookups read on the driver's cursor: a batch reads hundreds of
thousands of small rows, and SQLAlchemy's result rows cost more than reading them.

Like ``storage.repo``, every function takes an open connection or session (``storage.db.Executor``)
and leaves committing to its caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete

from stories.fingerprint import MinHasher

from .chunking import in_chunks
from .db import Executor, core
from .tables import article_bands, articles

__all__ = ["MAX_CANDIDATES", "NearLookup", "add_bands", "near_duplicates", "near_duplicates_of_many", "remove_bands"]

# At most this many candidates are re-ranked per lookup, shared out evenly between the bands: a
# "hot" band (boilerplate that many bodies share) then yields only its share, newest first, and
# cannot crowd out the bands where the real copy is. A true copy shares many bands (at estimated
# Jaccard 0.6, 13 % of the 32 bands on average, about 4), so it is found through the others.
MAX_CANDIDATES = 512
_NO_ARTICLE = -1  # ids start at 1: "exclude nothing" without a second statement shape


def add_bands(session: Executor, article_id: int, keys: Sequence[int]) -> None:
    """Index ``article_id`` under its band keys; keys it already has are left as they are."""
    rows = [{"band": key, "article_id": article_id} for key in sorted(set(keys))]
    if not rows:
        return
    dialect = core(session).dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        session.execute(postgresql.insert(article_bands).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        session.execute(sqlite.insert(article_bands).on_conflict_do_nothing(), rows)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported (DESIGN §4)
        raise NotImplementedError(f"no band index on {dialect}")


def add_band_rows(session: Executor, rows: Sequence[tuple[int, int]]) -> None:
    """Index many articles at once: (band key, article id) pairs, duplicates ignored."""
    pairs = sorted(set(rows))
    if not pairs:
        return
    connection = core(session)
    if connection.dialect.name == "postgresql":
        # Two arrays in one statement: no statement per row, no ORM bulk-insert bookkeeping.
        connection.exec_driver_sql(_PG_ADD_BANDS, ([key for key, _ in pairs], [article_id for _, article_id in pairs]))
        return
    from sqlalchemy.dialects import sqlite

    values = [{"band": key, "article_id": article_id} for key, article_id in pairs]
    connection.execute(sqlite.insert(article_bands).on_conflict_do_nothing(), values)


_PG_ADD_BANDS = (
    "INSERT INTO article_bands (band, article_id) SELECT * FROM unnest(%b::bigint[], %b::integer[]) "
    "ON CONFLICT DO NOTHING"
)


def remove_bands(session: Executor, article_id: int) -> None:
    """Drop every band of ``article_id`` (before re-indexing a revised article)."""
    session.execute(delete(article_bands).where(article_bands.c.article_id == article_id))


def near_duplicates(
    session: Executor,
    keys: Sequence[int],
    signature: bytes,
    hasher: MinHasher,
    *,
    threshold: float,
    exclude: int | None = None,
    limit: int = 20,
) -> list[tuple[int, float]]:
    """Stored articles whose estimated Jaccard similarity to ``signature`` is at least ``threshold``.

    ``keys`` are ``hasher.band_keys(signature)``. Returns ``(article_id, similarity)``, best first
    (ties: newest first), at most ``limit``; ``exclude`` leaves one article out (the one being
    revised). Articles without a stored signature are skipped (``near_duplicates_of_many``).
    """
    lookup = NearLookup(_NO_ARTICLE if exclude is None else exclude, keys, signature)
    return near_duplicates_of_many(session, [lookup], hasher, threshold=threshold, limit=limit)[lookup.article_id]


@dataclass(frozen=True, slots=True)
class NearLookup:
    """One text to look up: the article it is (left out of its own answer), its band keys and signature."""

    article_id: int
    keys: Sequence[int]
    signature: bytes


def near_duplicates_of_many(
    session: Executor, lookups: Sequence[NearLookup], hasher: MinHasher, *, threshold: float, limit: int = 20
) -> dict[int, list[tuple[int, float]]]:
    """``near_duplicates`` of a batch of texts, by article id, in two kinds of statements for the
    whole batch instead of one per text: the newest members of each band key (a copy shares its
    bands with the texts it copies, so a batch of copies shares most of its keys), then the
    signatures of every candidate. Per text, each of its bands yields its share of
    ``MAX_CANDIDATES``, newest first, itself left out; those with a stored signature are scored."""
    wanted: dict[int, int] = {}  # band key -> how many of its newest members some lookup needs
    for lookup in lookups:
        unique_keys = set(lookup.keys)
        for key in unique_keys:
            # One more than the share: the looked-up article may be among the newest itself.
            wanted[key] = max(wanted.get(key, 0), _share(len(unique_keys)) + 1)
    members = _band_members(session, wanted)
    candidates: dict[int, set[int]] = {}
    for lookup in lookups:
        unique_keys = set(lookup.keys)
        share = _share(len(unique_keys))
        found = candidates.setdefault(lookup.article_id, set())
        for key in unique_keys:
            found.update([member for member in members.get(key, []) if member != lookup.article_id][:share])
    ids = sorted(set().union(*candidates.values())) if candidates else []
    # Imported here: only deciding scores candidates, and the crawl process, which stores band
    # rows but never scores them, is spared numpy (~15 MiB resident).
    import numpy as np

    signatures = _signatures(session, ids, hasher)
    row_of = {article_id: row for row, article_id in enumerate(signatures)}
    lanes = np.array(
        [np.frombuffer(signature, dtype="<u4") for signature in signatures.values()], dtype=np.uint32
    ).reshape(len(signatures), hasher.num_perm)
    answers: dict[int, list[tuple[int, float]]] = {}
    for lookup in lookups:
        comparable = [article_id for article_id in candidates.get(lookup.article_id, ()) if article_id in row_of]
        answers[lookup.article_id] = []
        if not comparable or hasher.is_empty(lookup.signature):
            continue  # nothing is a near-duplicate of no text
        # The share of lanes where the signatures agree (``MinHasher.similarity``), for every
        # candidate at once.
        agree = (lanes[[row_of[a] for a in comparable]] == np.frombuffer(lookup.signature, dtype="<u4")).sum(axis=1)
        scored = [
            (article_id, int(same) / hasher.num_perm)
            for article_id, same in zip(comparable, agree.tolist(), strict=True)
            if int(same) / hasher.num_perm >= threshold
        ]
        scored.sort(key=lambda item: (-item[1], -item[0]))
        answers[lookup.article_id] = scored[: max(0, limit)]
    return answers


def _share(band_count: int) -> int:
    """Each band's share of the candidates re-ranked for one text."""
    return max(1, MAX_CANDIDATES // max(1, band_count))


# Band keys per SQLite statement: one small subquery each, well under SQLite's 500 compound terms. A
# statement is written once per size: a shorter list is padded to the next size (a repeated key
# reads the same rows again, which are counted once).
_STATEMENT_SIZES = (8, 16, 32, 64, 128)


def _band_members(session: Executor, wanted: dict[int, int]) -> dict[int, list[int]]:
    """band key -> its newest article ids (as many as ``wanted`` says), newest first."""
    members: dict[int, set[int]] = {}
    connection = core(session)
    # The driver's own cursor, in the session's transaction: a batch reads hundreds of thousands
    # of (band, article id) pairs, and SQLAlchemy's result rows cost more than the reading.
    cursor = connection.connection.cursor()
    rows: list[tuple[int, int]] = []
    try:
        if connection.dialect.name == "postgresql":  # every key of a count in one statement
            by_count: dict[int, list[int]] = {}
            for key, count in sorted(wanted.items()):
                by_count.setdefault(count, []).append(key)
            for count, keys in by_count.items():
                cursor.execute(_PG_MEMBERS, (keys, count))
                rows.extend(cursor.fetchall())
        else:
            pairs = sorted(wanted.items())
            largest = _STATEMENT_SIZES[-1]
            for start in range(0, len(pairs), largest):
                chunk = pairs[start : start + largest]
                size = next(size for size in _STATEMENT_SIZES if size >= len(chunk))
                # Padded to the statement's size: a repeated key reads the same rows again.
                padded = (chunk[min(index, len(chunk) - 1)] for index in range(size))
                cursor.execute(_sqlite_members(size), tuple(value for pair in padded for value in pair))
                rows.extend(cursor.fetchall())
        for band, article_id in rows:
            members.setdefault(band, set()).add(article_id)
    finally:
        cursor.close()
    return {band: sorted(ids, reverse=True) for band, ids in members.items()}


# PostgreSQL: each key's newest members read backwards through the primary key, as the SQLite
# statement's subqueries read them, for an array of keys.
_PG_MEMBERS = (
    "SELECT wanted.band, member.article_id FROM unnest(%s::bigint[]) AS wanted(band) "
    f"CROSS JOIN LATERAL (SELECT article_id FROM {article_bands.name} WHERE band = wanted.band "
    "ORDER BY article_id DESC LIMIT %s) AS member"
)


@lru_cache(maxsize=8)
def _sqlite_members(key_count: int) -> str:
    """SQLite's statement for ``key_count`` keys, for the driver's cursor: one small subquery per
    band key, each read backwards through the primary key (newest first) and stopped after its
    limit, bounded work however many articles a band holds; parameters (band key, limit) per
    subquery. Written as text: SQLAlchemy took ~0.1 s to compile the union of 128, once per size
    and limit in every decide process."""
    table = article_bands.name
    per_band = (
        f"SELECT member_{index}.band, member_{index}.article_id FROM (SELECT band, article_id FROM {table} "
        f"WHERE band = ? ORDER BY article_id DESC LIMIT ?) AS member_{index}"
        for index in range(key_count)
    )
    return " UNION ALL ".join(per_band)


def _signatures(session: Executor, ids: Sequence[int], hasher: MinHasher) -> dict[int, bytes]:
    """The stored signatures of ``ids`` that are comparable (signed with ``hasher``'s
    parameters) and not the empty text's (nothing is a near-duplicate of no text)."""
    found: dict[int, bytes] = {}
    connection = core(session)
    postgres = connection.dialect.name == "postgresql"
    cursor = connection.connection.cursor()  # as ``_band_members``: thousands of rows a batch
    try:
        for chunk in in_chunks(ids):
            if postgres:
                cursor.execute(_PG_SIGNATURES, (list(chunk),))
            else:
                cursor.execute(_SQLITE_SIGNATURES.format(", ".join("?" * len(chunk))), tuple(chunk))
            for article_id, stored in cursor.fetchall():
                signature = bytes(stored)  # psycopg may hand a memoryview
                if len(signature) == hasher.signature_size and not hasher.is_empty(signature):
                    found[article_id] = signature
    finally:
        cursor.close()
    return found


_SIGNATURES = f"SELECT id, signature FROM {articles.name} WHERE signature IS NOT NULL AND id "
_PG_SIGNATURES = _SIGNATURES + "= ANY(%s::integer[])"
_SQLITE_SIGNATURES = _SIGNATURES + "IN ({})"
