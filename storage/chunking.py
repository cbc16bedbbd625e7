"""Long lists of keys in bound-parameter-sized pieces, for ``IN (...)`` and ``executemany``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Well under SQLite's bound-parameter limit (32766 since 3.32, 999 before) and PostgreSQL's 65535.
IN_CHUNK = 500


def in_chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]
