"""How likely a report tells a story's event: the join model ``stories.decide`` decides with.

With the encoder, a logistic model over the evidence ``JOIN_EVIDENCE`` names (``join_evidence``:
lead, the first report's lead and coverage in meaning, names across scripts, entities,
categories, wording, title, agreeing figures, a new language, the story's size), fitted on the dev timelines by
``bench/fit_join.py``; without it, shared entities, categories, wording and figures
(``similarity``). Kept apart from ``stories.decide``, which turns these probabilities into a
decision (duplicate, join, fold, new story), so that the fitting and member-join benches read
the model without the decision rules.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from stories.features import ArticleFeatures
from stories.figure_novelty import known_value
from stories.memory import GENERIC_ENTITIES, StoryMemory
from stories.semantic import SentenceEncoder, best_match


def _overlap(mine: Iterable[str], counts: Counter[str], memory: StoryMemory) -> float:
    """How much of what the article names the story names too, weighting each shared item by how
    often the story's reports name it: a place mentioned once in a long story is weak evidence,
    so a story does not swallow every report by growing the union of everything it ever named."""
    items = set(mine)
    if not items or not counts:
        return 0.0
    weight = {item: 0.3 if item in GENERIC_ENTITIES else 1.0 for item in items}
    shared = sum(weight[item] * min(1.0, 2 * memory.share(counts, item)) for item in items if item in counts)
    return shared / sum(weight.values())


# A name the watch's query asks for weighs this much (as the generic entities do in _overlap).
WATCH_NAME_WEIGHT = 0.3


def name_weights(memories: Sequence[StoryMemory], watch_names: frozenset[str] = frozenset()) -> dict[str, float]:
    """How telling each name is among the stories an article is compared with: a name every open
    story of the watch uses ("Sudan", "Kursk") tells none of them apart, so it weighs 1/n when
    n of the stories use it. A name the watch's query asks for (``watch_names``, the keys of
    ``stories.names.query_keys``) is in every report of the watch, even when one story is open:
    it weighs ``WATCH_NAME_WEIGHT`` of that."""
    counts: Counter[str] = Counter()
    for memory in memories:
        counts.update({key for keys in memory.names.values() for key in keys})
    weights = {key: 1 / n for key, n in counts.items()}
    for key in watch_names:
        weights[key] = weights.get(key, 1.0) * WATCH_NAME_WEIGHT
    return weights


def _names_shared(
    features: ArticleFeatures, memory: StoryMemory, language: str, weights: Mapping[str, float] | None
) -> float:
    """How many of the article's names the story's reports in ``language`` used, 0..1 (three
    names, each weighted by how many of those reports used it and how telling it is, count fully)."""
    keys = memory.names.get(language)
    if not keys or not features.names:
        return 0.0
    reports = max(keys.values())  # the reports that named the story's most named name
    shared = sum(
        min(1.0, 2 * keys[key] / reports) * (weights.get(key, 1.0) if weights else 1.0)
        for key in features.names & keys.keys()
    )
    return min(1.0, shared / 3)


def _title_and_lead_against(
    features: ArticleFeatures, memory: StoryMemory, encoder: SentenceEncoder, which: Literal["leads", "founding"]
) -> float:
    """The highest cosine between the article's title and lead and the story's sentences ``which``."""
    if features.vectors is None or not len(features.vectors) or not getattr(memory, which):
        return 0.0
    return float(best_match(features.vectors[:2], memory.vectors(which, encoder)).max())


def lead_similarity(features: ArticleFeatures, memory: StoryMemory, encoder: SentenceEncoder) -> float:
    """The highest cosine between the article's title and lead and the story's, any language."""
    return _title_and_lead_against(features, memory, encoder, "leads")


def founding_similarity(features: ArticleFeatures, memory: StoryMemory, encoder: SentenceEncoder) -> float:
    """The highest cosine between the article's title and lead and those of the story's first
    report in each language (``StoryMemory.founding``). ``lead_similarity`` takes the story's closest lead, so a story
    grown through a chain of reports, each close to the one before, has a member close to
    almost any report of its watch; its first report still says which event it is."""
    return _title_and_lead_against(features, memory, encoder, "founding")


def coverage(features: ArticleFeatures, memory: StoryMemory, encoder: SentenceEncoder) -> float:
    """How much of the article the story already says: the mean, over its encoded sentences, of
    the best cosine against the story's sentences (any language)."""
    if features.vectors is None or not len(features.vectors) or not memory.texts:
        return 0.0
    return float(best_match(features.vectors, memory.vectors("texts", encoder)).mean())


def story_size(memory: StoryMemory) -> float:
    """How many reports the story holds, 0..1 on a log scale (1 from 31 reports); a story of
    fewer than four counts as four (left out, mean 0.831 -> 0.840 against no floor)."""
    return min(1.0, math.log2(1 + max(memory.articles, 4)) / 5)


# Evidence that an article tells a story's event, with an encoder (``join_evidence``), weighed by
# a logistic model fitted on the dev timelines (bench/fit_join.py); the names are the evidence.
# "size" (``story_size``) is not evidence of the event: the lead and coverage evidence take the
# story's closest members, so the more reports a story holds, the closer a report of another
# event of the watch finds one of them (a first breach of a truce, the results after a vote, a
# fire across a border all joined stories of 8-17 reports at 0.47-0.92). Its weight raises the
# bar of joining a big story and, through the bias, lowers that of a young one (a statement a
# day after a truce's first report). It sets whether a report joins, never which open story it
# joins (``similarity``): by size alone a report would prefer the smaller of two stories.
# Left out (seven dev files, bench/cross_topic.py --left-out): story F1 mean 0.779 -> 0.840.
# "founding" (``founding_similarity``): the report against the story's first report in each
# language, a guard against chaining. Left out, ten dev files: story F1 mean 0.745 -> 0.759
# (OPEC+ 0.87 -> 1.00, wildfire 0.80 -> 0.85, drones 0.68 -> 0.64); seven: 0.864 -> 0.861.
# Weights: bench/fit_join.py on every dev file (ten), the bias as fitted, the bars as before.
JOIN_EVIDENCE = (
    "lead", "founding", "coverage", "names", "entities", "categories", "wording", "title", "figures", "new_language",
    "size",
)  # fmt: skip
JOIN_WEIGHTS: tuple[float, ...] = (2.83, 1.81, 4.41, 1.98, -1.90, 0.65, 1.60, 1.51, 2.76, 2.71, -4.85)
JOIN_BIAS = -4.16
SIZE = JOIN_EVIDENCE.index("size")


def join_evidence(
    features: ArticleFeatures,
    memory: StoryMemory,
    encoder: SentenceEncoder,
    tolerance: float,
    weights: Mapping[str, float] | None = None,
) -> tuple[float, ...]:
    """The values ``JOIN_EVIDENCE`` names, each about 0..1. ``weights``: ``name_weights`` of the
    stories compared."""
    language = features.language
    vocabulary = memory.vocabulary(language)
    wording = title = 0.0
    if vocabulary and features.words:
        wording = len(features.words & vocabulary.keys()) / len(features.words)
        titles = memory.titles.get(language, [])
        title = max((len(features.title_words & t) / max(1, len(features.title_words)) for t in titles), default=0.0)
    agreeing = {f.kind for f in features.all_figures if not f.vague and known_value(f, memory, tolerance)}
    other = "ar" if language == "en" else "en"
    names = max(_names_shared(features, memory, other, weights), _names_shared(features, memory, language, weights))
    return (
        lead_similarity(features, memory, encoder),
        founding_similarity(features, memory, encoder),
        coverage(features, memory, encoder),
        names,
        _overlap(features.entities, memory.entities, memory),
        _overlap(features.categories, memory.categories, memory),
        wording,
        title,
        min(2, len(agreeing)) / 2,
        0.0 if language in memory.languages else 1.0,
        story_size(memory),
    )


def similarity(
    features: ArticleFeatures,
    memory: StoryMemory,
    tolerance: float = 0.1,
    encoder: SentenceEncoder | None = None,
    weights: Mapping[str, float] | None = None,
    full_size: bool = False,
) -> tuple[float, float]:
    """How likely the article reports the story's event, 0..1, and the same without the story's
    size (``JOIN_EVIDENCE``'s "size"): how well the story tells the report, to choose among the
    open stories. With an encoder: the logistic model over ``join_evidence``. Without one: shared
    entities and categories, agreeing figures and (same language only) shared wording.
    ``full_size``: the first value as against a story of full size (``another_region``)."""
    if encoder is not None:
        evidence = join_evidence(features, memory, encoder, tolerance, weights)
        z = JOIN_BIAS + sum(w * x for w, x in zip(JOIN_WEIGHTS, evidence, strict=True))
        unsized = z - JOIN_WEIGHTS[SIZE] * evidence[SIZE]
        sized = unsized + JOIN_WEIGHTS[SIZE] if full_size else z
        return 1 / (1 + math.exp(-sized)), 1 / (1 + math.exp(-unsized))
    entities = _overlap(features.entities, memory.entities, memory)
    categories = _overlap(features.categories, memory.categories, memory)
    agreeing = len(
        {figure.kind for figure in features.all_figures if not figure.vague and known_value(figure, memory, tolerance)}
    )
    figure_bonus = min(0.3, 0.15 * agreeing)
    vocabulary = memory.vocabulary(features.language)
    if vocabulary and features.words:
        wording = len(features.words & vocabulary.keys()) / len(features.words)
        titles = memory.titles.get(features.language, [])
        title = max((len(features.title_words & t) / max(1, len(features.title_words)) for t in titles), default=0.0)
        base = 0.3 * entities + 0.15 * categories + 0.35 * wording + 0.2 * title
    else:
        base = 0.6 * entities + 0.4 * categories
    score = min(1.0, base + figure_bonus)
    return score, score
