"""What a story already holds, kept as one JSON document with the story.

Novelty is judged against this memory instead of re-reading every stored report: the categories
and entities named so far (with how many reports named them), the figure values given so far,
the wording used so far (per language), what its sentences tied together, its sentences and
leads as written (their meaning is compared by the encoder, in any language), the
transliteration keys of the names it used, and the span of event time its reports cover.
``absorb`` adds an article. Everything is bounded, so a story followed for months stays a small document: the
oldest wording, sentences and figures make room for the newest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from stories.features import ArticleFeatures
from stories.figures import Figure
from stories.semantic import SentenceEncoder

# Enough to judge a long-running story; the oldest go first when it grows past these.
MAX_SENTENCES_PER_LANGUAGE = 600
MAX_TITLES_PER_LANGUAGE = 50
MAX_WORDS_PER_LANGUAGE = 12_000
MAX_VALUES_PER_FIGURE = 40
MAX_TEXTS = 300  # sentence texts, every language (their meaning is compared by the encoder)
MAX_LEADS = 60  # titles and first sentences, every language (which event the story is)
MAX_NAMES_PER_LANGUAGE = 1_000  # the most used; keys are a few letters each
MAX_NUMBERS = 400

# Entities nearly every report on a watch names carry little evidence of which event it is.
GENERIC_ENTITIES = frozenset({"north_korea", "russia", "ukraine", "kursk"})


def meaning_pairs(meaning: frozenset[str]) -> set[tuple[str, str]]:
    """What a sentence ties together: every pair of its specific concepts, actions and figures."""
    items = sorted(meaning - GENERIC_ENTITIES)
    return {(a, b) for index, a in enumerate(items) for b in items[index:]}


def _recent(words: dict[str, None], new: frozenset[str], cap: int) -> None:
    for word in new:
        words.pop(word, None)
        words[word] = None  # most recent last
    excess = len(words) - cap
    if excess > 0:  # only the oldest few: a full story must not copy all its words per report
        for stale in list(islice(words, excess)):
            del words[stale]


@dataclass
class StoryMemory:
    categories: Counter[str] = field(default_factory=Counter)  # category → reports naming it
    entities: Counter[str] = field(default_factory=Counter)  # entity → reports naming it
    figures: dict[str, Figure] = field(default_factory=dict)  # per kind, the latest salient figure
    figure_values: dict[str, list[int]] = field(default_factory=dict)  # per kind, the values given
    words: dict[str, dict[str, None]] = field(default_factory=dict)  # language → words, oldest first
    sentences: dict[str, list[frozenset[str]]] = field(default_factory=dict)  # language → sentences
    titles: dict[str, list[frozenset[str]]] = field(default_factory=dict)
    meanings: list[frozenset[str]] = field(default_factory=list)  # every language's sentences
    languages: set[str] = field(default_factory=set)
    articles: int = 0
    texts: list[str] = field(default_factory=list)  # sentences as written, oldest first
    leads: list[str] = field(default_factory=list)  # titles and first sentences, oldest first
    names: dict[str, Counter[str]] = field(default_factory=dict)  # language → name key → reports
    numbers: list[int] = field(default_factory=list)  # every count its reports stated, oldest first
    first_at: datetime | None = None  # the earliest and latest event time of its reports
    last_at: datetime | None = None
    # What the story matches, once a report joined it weakly (``absorb`` with ``core=False``):
    # the same memory over its core reports only. None while every report is core (and in
    # states stored before it existed).
    core: StoryMemory | None = None
    # The story's first report in each language, oldest first, each a memory of that report
    # alone, kept however long the story grows: which event the story was started for, however
    # far its later reports carried it. Their titles and leads are ``founding``; the first of
    # them is ``first_report``. Empty in a memory of one report (it is its own first report).
    first_reports: list[StoryMemory] = field(default_factory=list)
    _pairs: set[tuple[str, str]] | None = field(default=None, repr=False, compare=False)
    # How many of ``meanings`` make each pairing: forgetting the oldest sentences takes away only
    # the pairings no remaining sentence makes, without going over all of them again.
    _pair_counts: Counter[tuple[str, str]] = field(default_factory=Counter, repr=False, compare=False)
    # The vectors of ``texts`` and ``leads``: (articles absorbed, the texts, their rows); not stored.
    _vectors: dict[str, tuple[int, list[str], Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def known_pairs(self) -> set[tuple[str, str]]:
        """Every pairing the story's sentences made, in any language (computed once, kept up to date)."""
        if self._pairs is None:
            self._pair_counts = Counter(pair for meaning in self.meanings for pair in meaning_pairs(meaning))
            self._pairs = set(self._pair_counts)
        return self._pairs

    @property
    def founding(self) -> list[str]:
        """The title and lead of the story's first report in each language, oldest first (the
        event the story was founded on: ``stories.join.founding_similarity``); a memory that kept
        no first report (one report's own) reads its oldest lead."""
        if not self.first_reports:
            return self.leads[:2]
        return [lead for report in self.first_reports for lead in report.leads]

    @property
    def first_report(self) -> StoryMemory | None:
        """The story's first report alone (``stories.decide.founding_disowns``); None in states
        stored before it was kept."""
        return self.first_reports[0] if self.first_reports and self.first_reports[0].articles else None

    def vectors(self, which: str, encoder: SentenceEncoder) -> Any:
        """The encoder's vectors of ``texts``, ``leads`` or ``founding``, computed once per absorbed article
        (a story is compared with every report that comes while it is open)."""
        import numpy as np

        texts = {"texts": self.texts, "leads": self.leads, "founding": self.founding}[which]
        cached = self._vectors.get(which)
        if cached is not None and cached[0] == self.articles:
            return cached[2]
        matrix = None
        if cached is not None:
            # Texts are added at the end and the oldest dropped: the rows of the texts still
            # there are kept, and only the added ones are looked up.
            _, old, rows = cached
            dropped = _dropped(old, texts)
            if dropped is not None:
                added = texts[len(old) - dropped :]
                matrix = np.concatenate([rows[dropped:], encoder.encode(added)]) if added else rows[dropped:]
        if matrix is None:
            matrix = encoder.encode(texts)
        self._vectors[which] = (self.articles, list(texts), matrix)
        return matrix

    def unembedded(self) -> list[str]:
        """The texts and leads ``vectors`` has no rows for yet: a caller comparing a report with
        several stories embeds those of all of them in one call to the model (the encoder's
        cache then answers ``vectors``). Of the first reports, only the first is compared as a
        whole (``stories.decide.founding_disowns``); the others are read through ``founding``."""
        missing = self._unembedded()
        for part in (self.core, self.first_report):
            if part is not None:
                missing.extend(part._unembedded())
        return missing

    def _unembedded(self) -> list[str]:
        missing: list[str] = []
        for which, texts in (("texts", self.texts), ("leads", self.leads), ("founding", self.founding)):
            cached = self._vectors.get(which)
            if cached is not None and cached[0] == self.articles:
                continue
            dropped = _dropped(cached[1], texts) if cached is not None else None
            missing.extend(texts[len(cached[1]) - dropped :] if cached is not None and dropped is not None else texts)
        return missing

    def vocabulary(self, language: str) -> dict[str, None]:
        return self.words.get(language, {})

    @property
    def matched(self) -> StoryMemory:
        """The memory a new report is compared with: its core reports' (``core``), else all."""
        return self.core if self.core is not None else self

    def absorb(
        self,
        features: ArticleFeatures,
        at: datetime | None = None,
        texts: Sequence[str] | None = None,
        core: bool = True,
    ) -> None:
        """Add an article; ``at``: its event time (publication time clamped to first seen).
        ``texts``: the sentences the encoder reads of it (default: the encoded ones, else all).
        ``core``: whether it widens what the story matches (``matched``): a weak join belongs to
        the story but does not (``stories.decide.DecisionSettings.weak_member_penalty``)."""
        if not core and self.core is None:
            self.core = StoryMemory.from_json(self.to_json())
        elif core and self.core is not None:
            self.core.absorb(features, at, texts)
        if not self.titles.get(features.language):  # the story's first report in its language
            alone = StoryMemory()
            alone._absorb(features, at, texts)
            self.first_reports.append(alone)
        self._absorb(features, at, texts)

    def _absorb(self, features: ArticleFeatures, at: datetime | None, texts: Sequence[str] | None) -> None:
        language = features.language
        if at is not None:
            self.first_at = at if self.first_at is None else min(self.first_at, at)
            self.last_at = at if self.last_at is None else max(self.last_at, at)
        self.languages.add(language)
        self.articles += 1
        self.categories.update(set(features.categories))
        self.entities.update(features.entities)
        for figure in features.all_figures:
            known = self.figure_values.setdefault(figure.kind, [])
            if figure.value not in known:
                known.append(figure.value)
                del known[:-MAX_VALUES_PER_FIGURE]
        for kind, figure in features.figures.items():
            current = self.figures.get(kind)
            # A vague figure ("thousands") never replaces a stated one.
            if current is None or not figure.vague or current.vague:
                self.figures[kind] = figure
        _recent(self.words.setdefault(language, {}), features.words, MAX_WORDS_PER_LANGUAGE)
        stored = self.sentences.setdefault(language, [])
        stored.extend(sentence.words for sentence in (*features.sentences, *features.standfirst) if sentence.words)
        del stored[:-MAX_SENTENCES_PER_LANGUAGE]
        new_meanings = [sentence.meaning for sentence in features.sentences if sentence.meaning]
        self.meanings.extend(new_meanings)
        forgotten = self.meanings[:-MAX_SENTENCES_PER_LANGUAGE]
        del self.meanings[:-MAX_SENTENCES_PER_LANGUAGE]
        if self._pairs is not None:  # kept up to date once computed
            for meaning in new_meanings:
                for pair in meaning_pairs(meaning):
                    self._pair_counts[pair] += 1
                    self._pairs.add(pair)
            for meaning in forgotten:  # forgotten sentences take their pairings with them
                for pair in meaning_pairs(meaning):
                    self._pair_counts[pair] -= 1
                    if not self._pair_counts[pair]:
                        del self._pair_counts[pair]
                        self._pairs.discard(pair)
        titles = self.titles.setdefault(language, [])
        titles.append(features.title_words)
        del titles[:-MAX_TITLES_PER_LANGUAGE]
        # With vectors, the encoded sentences (the encoder's cache already holds them).
        self.texts.extend(texts if texts is not None else [s.text for s in (features.encoded or features.sentences)])
        self.texts.extend(sentence.text for sentence in features.standfirst)
        del self.texts[:-MAX_TEXTS]
        self.leads.extend(sentence.text for sentence in features.sentences[:2])
        del self.leads[:-MAX_LEADS]
        for sentence in (*features.sentences, *features.standfirst):
            self.numbers.extend(n for n in sentence.numbers if n not in self.numbers)
        del self.numbers[:-MAX_NUMBERS]
        names = self.names.setdefault(language, Counter())
        names.update(features.names)
        if len(names) > MAX_NAMES_PER_LANGUAGE:
            self.names[language] = Counter(dict(names.most_common(MAX_NAMES_PER_LANGUAGE)))

    def span_gap(self, at: datetime) -> float:
        """How far ``at`` lies outside the story's span of event time, in days (0 inside it, or
        when the story has no times)."""
        if self.first_at is None or self.last_at is None:
            return 0.0
        if at < self.first_at:
            return (self.first_at - at).total_seconds() / 86400
        if at > self.last_at:
            return (at - self.last_at).total_seconds() / 86400
        return 0.0

    def span_with(self, at: datetime) -> float:
        """The story's span in days if a report at ``at`` joined it."""
        if self.first_at is None or self.last_at is None:
            return 0.0
        return (max(self.last_at, at) - min(self.first_at, at)).total_seconds() / 86400

    def share(self, counts: Counter[str], item: str) -> float:
        """The share of the story's reports that name ``item``."""
        return counts.get(item, 0) / self.articles if self.articles else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "categories": dict(self.categories),
            "entities": dict(self.entities),
            "figures": {kind: asdict(figure) for kind, figure in self.figures.items()},
            "figure_values": self.figure_values,
            "words": {language: _joined(list(words)) for language, words in self.words.items()},
            "sentences": {
                language: [_packed(sentence) for sentence in sentences]
                for language, sentences in self.sentences.items()
            },
            "titles": {language: [_packed(title) for title in titles] for language, titles in self.titles.items()},
            "meanings": [_packed(meaning) for meaning in self.meanings],
            "languages": sorted(self.languages),
            "articles": self.articles,
            "texts": self.texts,
            "leads": self.leads,
            "first_reports": [report.to_json() for report in self.first_reports],
            "names": {language: dict(keys) for language, keys in self.names.items()},
            "numbers": self.numbers,
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            **({"core": self.core.to_json()} if self.core is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StoryMemory:
        if not data:
            return cls()

        def counts(value: Any) -> Counter[str]:
            # Older states kept plain lists (every item named once).
            return Counter(value) if isinstance(value, dict) else Counter({item: 1 for item in value or []})

        return cls(
            categories=counts(data.get("categories")),
            entities=counts(data.get("entities")),
            figures={kind: Figure(**value) for kind, value in data.get("figures", {}).items()},
            figure_values={kind: list(values) for kind, values in data.get("figure_values", {}).items()},
            words={language: dict.fromkeys(_split(words)) for language, words in data.get("words", {}).items()},
            sentences={
                language: [frozenset(_split(sentence)) for sentence in sentences]
                for language, sentences in data.get("sentences", {}).items()
            },
            titles={
                language: [frozenset(_split(title)) for title in titles]
                for language, titles in data.get("titles", {}).items()
            },
            meanings=[frozenset(_split(meaning)) for meaning in data.get("meanings", [])],
            languages=set(data.get("languages", [])),
            articles=int(data.get("articles", 0)),
            texts=list(data.get("texts", [])),
            leads=list(data.get("leads", [])),
            names={language: Counter(keys) for language, keys in (data.get("names") or {}).items()},
            numbers=[int(n) for n in data.get("numbers", [])],
            first_at=_time(data.get("first_at")),
            last_at=_time(data.get("last_at")),
            core=cls.from_json(data["core"]) if data.get("core") else None,
            first_reports=[cls.from_json(report) for report in data["first_reports"]]
            if "first_reports" in data
            else _first_reports_stored_before(data),
        )


def _first_reports_stored_before(data: dict[str, Any]) -> list[StoryMemory]:
    """The first reports of a state stored before they were kept as memories: the first report
    alone when it was kept ("first_report"), and the other titles and leads of "founding" (the
    first report in another language), else the oldest lead the story still holds."""
    first = [StoryMemory.from_json(data["first_report"])] if data.get("first_report") else []
    founding = list(data.get("founding") or data.get("leads", [])[:2])
    rest = founding[sum(len(report.leads) for report in first) :]
    return first + ([StoryMemory(leads=rest)] if rest else [])


@lru_cache(maxsize=1 << 16)
def _packed(words: frozenset[str]) -> str | list[str]:
    """A set of words as it is stored: sorted, in one string. A story's state is written after
    every batch it took part in, and sorting each of its hundreds of sentences again was most of
    writing it (a sentence is the same set object from one write to the next); serialising one
    string per sentence instead of a list of words takes a fraction of the time of the lists."""
    return _joined(sorted(words))


def _joined(words: list[str]) -> str | list[str]:
    """Words in one string, separated by spaces; a list when one of them could not be told
    apart that way (a space in a concept's name, an empty word)."""
    if all(word and " " not in word for word in words):
        return " ".join(words)
    return words


def _split(stored: str | list[str]) -> list[str]:
    """The words ``_joined`` stored (older states kept lists)."""
    if isinstance(stored, str):
        return stored.split(" ") if stored else []
    return list(stored)


def _dropped(old: list[str], texts: list[str]) -> int | None:
    """How many of the oldest of ``old`` were dropped to leave the start of ``texts`` (texts are
    added at the end and the oldest dropped), or None when ``texts`` does not continue ``old``."""
    for dropped in range(len(old) + 1):
        kept = len(old) - dropped
        if kept <= len(texts) and texts[:kept] == old[dropped:]:
            return dropped
    return None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
