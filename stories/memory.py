"""What a story already holds, kept as one JSON document with the story.

Novelty is judged against this memory instead of re-reading every stored report: the categories
and entities named so far, every figure value given so far, the wording used so far (per
language) and the fingerprints of its reports. ``absorb`` adds an article; it only ever grows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from stories.features import ArticleFeatures
from stories.figures import Figure

# Enough sentences to judge a long-running story; the oldest go first when it grows past this.
MAX_SENTENCES_PER_LANGUAGE = 600
MAX_TITLES_PER_LANGUAGE = 50


@dataclass
class StoryMemory:
    categories: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    figures: dict[str, Figure] = field(default_factory=dict)  # per kind, the latest salient figure
    figure_values: dict[str, list[int]] = field(default_factory=dict)  # every value ever given
    words: dict[str, set[str]] = field(default_factory=dict)  # language → content words
    sentences: dict[str, list[frozenset[str]]] = field(default_factory=dict)  # language → sentences
    titles: dict[str, list[frozenset[str]]] = field(default_factory=dict)
    meanings: list[frozenset[str]] = field(default_factory=list)  # every language's sentences
    fingerprints: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    articles: int = 0

    def absorb(self, features: ArticleFeatures, fingerprint: str | None = None) -> None:
        language = features.language
        self.languages.add(language)
        self.articles += 1
        self.categories |= set(features.categories)
        self.entities |= features.entities
        for figure in features.all_figures:
            known = self.figure_values.setdefault(figure.kind, [])
            if figure.value not in known:
                known.append(figure.value)
        for kind, figure in features.figures.items():
            current = self.figures.get(kind)
            # A vague figure ("thousands") never replaces a stated one.
            if current is None or not figure.vague or current.vague:
                self.figures[kind] = figure
        self.words.setdefault(language, set()).update(features.words)
        stored = self.sentences.setdefault(language, [])
        stored.extend(sentence.words for sentence in features.sentences if sentence.words)
        del stored[:-MAX_SENTENCES_PER_LANGUAGE]
        self.meanings.extend(sentence.meaning for sentence in features.sentences if sentence.meaning)
        del self.meanings[:-MAX_SENTENCES_PER_LANGUAGE]
        titles = self.titles.setdefault(language, [])
        titles.append(features.title_words)
        del titles[:-MAX_TITLES_PER_LANGUAGE]
        if fingerprint:
            self.fingerprints.add(fingerprint)

    def to_json(self) -> dict[str, Any]:
        return {
            "categories": sorted(self.categories),
            "entities": sorted(self.entities),
            "figures": {kind: asdict(figure) for kind, figure in self.figures.items()},
            "figure_values": self.figure_values,
            "words": {language: sorted(words) for language, words in self.words.items()},
            "sentences": {
                language: [sorted(sentence) for sentence in sentences] for language, sentences in self.sentences.items()
            },
            "titles": {language: [sorted(title) for title in titles] for language, titles in self.titles.items()},
            "meanings": [sorted(meaning) for meaning in self.meanings],
            "fingerprints": sorted(self.fingerprints),
            "languages": sorted(self.languages),
            "articles": self.articles,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StoryMemory:
        if not data:
            return cls()
        return cls(
            categories=set(data.get("categories", [])),
            entities=set(data.get("entities", [])),
            figures={kind: Figure(**value) for kind, value in data.get("figures", {}).items()},
            figure_values={kind: list(values) for kind, values in data.get("figure_values", {}).items()},
            words={language: set(words) for language, words in data.get("words", {}).items()},
            sentences={
                language: [frozenset(sentence) for sentence in sentences]
                for language, sentences in data.get("sentences", {}).items()
            },
            titles={
                language: [frozenset(title) for title in titles] for language, titles in data.get("titles", {}).items()
            },
            meanings=[frozenset(meaning) for meaning in data.get("meanings", [])],
            fingerprints=set(data.get("fingerprints", [])),
            languages=set(data.get("languages", [])),
            articles=int(data.get("articles", 0)),
        )
