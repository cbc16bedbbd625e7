"""Development categories of one watch, found by meaning (DESIGN §3.2).

A watch declares its categories in its configuration: a label in both languages, a few example
sentences in either language and optional terms. A sentence belongs to a category when the
multilingual sentence encoder puts it close to one of the category's examples, or when it
contains one of its terms (matched like a watch query: Arabic proclitics, hamza folding, ``*``
prefixes). A watch without categories has none: its reports still alert on new facts, places,
actors and changed figures (``stories.novelty``).

The pure constructor the story desk uses, one per watch::

    categoriser = Categoriser(
        [Category("drones", Label("drones", "مسيّرات"),
                  examples=("North Korea delivered attack drones to Russia",),
                  terms=("drone*", "مسيرات"))],
        encoder,               # stories.semantic.load_encoder(), or None: terms only
    )
    features = categoriser.tag(extract_features(entry, language, lexicon, encoder))

``tag`` returns the features with ``categories`` (id → the sentence that shows it) and their
labels filled in; the decision and the story memory take those tagged features. ``watch_names``
(the name keys of the watch's query) go to the decision, which weighs them little.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from stories.concepts import Concept, build_concept
from stories.features import ArticleFeatures
from stories.query_match import Document
from stories.semantic import SentenceEncoder
from stories.text import tokenise
from stories.wording import Label

if TYPE_CHECKING:
    import numpy as np

# A sentence belongs to the category whose examples it is closest to (cosine) when that reaches
# EXAMPLE_THRESHOLD and beats every other category of the watch by EXAMPLE_MARGIN. Set on the dev
# timelines (bench/replay_timeline.py): a sentence of a watch's domain scores 0.4-0.6 against
# every category, so the margin carries most of the evidence. 0.12, not 0.08: examples a user
# writes in a minute share the watch's words ("Firefighters brought the fire under control"),
# and at 0.08 any sentence about firefighters was "fire brought under control".
EXAMPLE_THRESHOLD = 0.5
EXAMPLE_MARGIN = 0.12


@dataclass(frozen=True, slots=True)
class Category:
    id: str  # the configuration's key; never shown to people
    label: Label
    examples: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # either language, as a watch query writes them


class Categoriser:
    """The categories of one watch; built once per watch, shared by every report it decides."""

    def __init__(
        self,
        categories: Sequence[Category],
        encoder: SentenceEncoder | None = None,
        threshold: float = EXAMPLE_THRESHOLD,
        margin: float = EXAMPLE_MARGIN,
        watch_names: frozenset[str] = frozenset(),
    ) -> None:
        self.categories = tuple(categories)
        # The name keys of the watch's own query (``stories.names.query_keys``): every report of
        # the watch names them, so they weigh little as evidence that two reports tell one event
        # (``stories.join.name_weights``).
        self.watch_names = watch_names
        self.encoder = encoder
        self.threshold = threshold
        self.margin = margin
        self.labels = {category.id: category.label for category in self.categories}
        self._terms: list[tuple[str, Concept]] = []
        for category in self.categories:
            concept = build_concept(category.id, "category", category.terms)
            if concept is not None:
                self._terms.append((category.id, concept))
        self._examples: list[tuple[str, str]] = [
            (category.id, example) for category in self.categories for example in category.examples if example.strip()
        ]
        self._example_vectors: np.ndarray | None = None

    @property
    def by_meaning(self) -> bool:
        """Whether tagging reads the sentences' vectors (categories with examples, and an encoder)."""
        return self.encoder is not None and bool(self._examples)

    def _vectors(self) -> np.ndarray | None:
        if self.encoder is None or not self._examples:
            return None
        if self._example_vectors is None:
            self._example_vectors = self.encoder.encode([text for _, text in self._examples])
        return self._example_vectors

    def _closest(self, scores: np.ndarray) -> str | None:
        """The category whose examples a sentence is closest to, when it is close enough and
        clearly closer than to any other category: news of one domain is near every category
        of a watch, so the margin over the runner-up says more than the cosine alone."""
        best: dict[str, float] = {}
        for (category_id, _), score in zip(self._examples, scores, strict=True):
            best[category_id] = max(best.get(category_id, -1.0), float(score))
        ranked = sorted(best.items(), key=lambda item: -item[1])
        top_id, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        return top_id if top >= self.threshold and top - runner_up >= self.margin else None

    def tag(self, features: ArticleFeatures) -> ArticleFeatures:
        """``features`` with this watch's categories: id → the first sentence that shows it."""
        found: dict[str, str] = {}
        if not self.categories:
            return replace(features, categories={})
        for sentence in features.sentences:
            if self._terms:
                doc = Document.from_tokens(tokenise(sentence.text))
                for category_id, concept in self._terms:
                    if category_id not in found and concept.query.match(doc):
                        found[category_id] = sentence.text[:300]
        examples = self._vectors()
        if examples is not None and features.vectors is not None and len(features.vectors):
            scores = features.vectors @ examples.T  # sentences × examples
            for row, sentence in enumerate(features.sentences[: len(features.vectors)]):
                closest = self._closest(scores[row])
                if closest is not None and closest not in found:
                    found[closest] = sentence.text[:300]
        ordered = {c.id: found[c.id] for c in self.categories if c.id in found}
        labels = {**features.labels, **{cid: self.labels[cid] for cid in ordered}}
        return replace(features, categories=ordered, labels=labels)


NO_CATEGORIES = Categoriser(())
