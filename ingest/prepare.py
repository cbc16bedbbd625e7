"""What the story stages need of a matched report, computed once when it is stored: features,
the body fingerprint, the MinHash signature and its band keys. Pure. The sentence encoder's
vectors are not computed here: the story desk adds them when it decides, for a whole batch of
reports in one call to the model (``StoryDesk.encode_ahead``), which costs about a third of one
call per report."""

from __future__ import annotations

from dataclasses import dataclass, fields
from multiprocessing.reduction import ForkingPickler
from typing import Any

from stories.concepts import Lexicon
from stories.features import ArticleFeatures, Sentence, extract_features
from stories.figures import Figure
from stories.fingerprint import MinHasher, body_fingerprint
from stories.text import tokenise
from stories.types import Entry, Language
from stories.wording import Label


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    features: ArticleFeatures
    fingerprint: str
    signature: bytes
    band_keys: list[int]


class Preparer:
    def __init__(self, lexicon: Lexicon, hasher: MinHasher | None = None) -> None:
        self.lexicon = lexicon
        self.hasher = hasher or MinHasher()

    def prepare(self, entry: Entry, language: Language) -> PreparedArticle:
        body_tokens = tokenise(entry.text or entry.summary)
        # The title is left out of the fingerprint and the signature: a copy under another
        # headline is still the same report.
        tokens = body_tokens if len(body_tokens) >= 12 else tokenise(entry.title) + body_tokens
        signature = self.hasher.signature(tokens)
        return PreparedArticle(
            features=extract_features(entry, language, self.lexicon),  # vectors: StoryDesk
            fingerprint=body_fingerprint(" ".join(tokens)),
            signature=signature,
            band_keys=self.hasher.band_keys(signature),
        )


def _by_fields(cls: type) -> None:
    """Pickle ``cls`` (a frozen dataclass with slots, no ``__post_init__``) between our processes
    as its constructor and its field values. The parse workers hand every matched report's
    ``PreparedArticle`` to the crawl, which hands it on to the decide process: the default way
    (``dataclasses``' ``__setstate__``, which lists the class's fields again for every object, a
    report holding dozens of sentences and figures) took the decide process ~70 us a report, a
    twentieth of its time per match in a dense stream; this takes a third of that. Registered
    with ``ForkingPickler`` only, what ``multiprocessing`` sends: the object is rebuilt equal."""
    names = tuple(item.name for item in fields(cls))

    def reduce(value: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, tuple(getattr(value, name) for name in names)

    ForkingPickler.register(cls, reduce)


for _class in (PreparedArticle, ArticleFeatures, Sentence, Figure, Label):
    _by_fields(_class)
