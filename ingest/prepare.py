"""What the story stages need of a matched report, computed once when it is stored: features
(with the sentence encoder's vectors), the body fingerprint, the MinHash signature and its band
keys. Pure. Only matched reports get here (a few per cent of a crawl), so it runs beside the
encoder in the crawl process rather than loading the model into every parse worker."""

from __future__ import annotations

from dataclasses import dataclass

from stories.concepts import Lexicon
from stories.features import ArticleFeatures, extract_features
from stories.fingerprint import MinHasher, body_fingerprint
from stories.semantic import SentenceEncoder
from stories.text import tokenise
from stories.types import Entry, Language


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    features: ArticleFeatures
    fingerprint: str
    signature: bytes
    band_keys: list[int]


class Preparer:
    def __init__(
        self, lexicon: Lexicon, hasher: MinHasher | None = None, encoder: SentenceEncoder | None = None
    ) -> None:
        self.lexicon = lexicon
        self.hasher = hasher or MinHasher()
        self.encoder = encoder

    def prepare(self, entry: Entry, language: Language) -> PreparedArticle:
        body_tokens = tokenise(entry.text or entry.summary)
        # The title is left out of the fingerprint and the signature: a copy under another
        # headline is still the same report.
        tokens = body_tokens if len(body_tokens) >= 12 else tokenise(entry.title) + body_tokens
        signature = self.hasher.signature(tokens)
        return PreparedArticle(
            features=extract_features(entry, language, self.lexicon, self.encoder),
            fingerprint=body_fingerprint(" ".join(tokens)),
            signature=signature,
            band_keys=self.hasher.band_keys(signature),
        )
