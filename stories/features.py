"""What an article says, in a form that can be compared across outlets and languages.

Computed once per article and stored with it: the places, actors and actions it names, the
figures it gives, its sentences as sets of light-stemmed content words, the vectors of its first
sentences (``stories.semantic``: what they mean, in any language) and the transliteration keys of
its names (``stories.names``). A watch's development categories are added per watch by
``stories.categories.Categoriser.tag``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from stories.concepts import Lexicon
from stories.figures import Figure, extract_figures, quantities, summarise
from stories.names import arabic_keys, arabic_place_names, country_keys, english_keys, place_names
from stories.query_match import Document
from stories.semantic import SentenceEncoder
from stories.text import tokenise
from stories.types import Entry, Language
from stories.wording import Label

_SENTENCE_END = re.compile(r"(?<=[.!?؟!])\s+|\n+|(?<=[.!?؟])(?=[\"'»”])\s*")
_MIN_SENTENCE_WORDS = 4
ACTION_PREFIX = "do:"
MAX_SENTENCES = 80
# Sentences of a report that get a vector: the title and the lead say what the report is about
# and what it adds; each costs about a millisecond to encode (bench/bench_encoder.py). Five did
# better than six on the dev timelines.
MAX_ENCODED = 5

# Function words and the reporting vocabulary every news text shares: they say nothing about
# what is new. Normalised forms (ة→ه, hamza folded), since they are compared after tokenise().
_STOP_EN = frozenset(
    """a an the and or but if of in on at to for from by with without about as into over after before
    under between through during since until while than then that this these those there here it its
    is are was were be been being has have had having do does did will would shall should can could may
    might must not no nor so such also more most other some any each all both few many much very just
    only own same too again further once who whom whose which what when where why how he she they them
    his her their our we you your i me my us said says say saying told tells according reported report
    reports reporting statement statements news agency official officials added adding including
    amid among against per via new one two three first last week weeks day days monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august september october
    november december year years people number""".split()
)
_STOP_AR = frozenset(
    """في من على الى إلى عن ان أن إن الا لا ما لم لن قد كان كانت يكون تكون هذا هذه ذلك تلك هناك هنا التي الذي
    الذين اللذين اللتين او أو ثم بعد قبل خلال حتى منذ بين عند مع كل بعض غير اي أي كما وقد وقال وقالت قال قالت
    يقول تقول اضاف أضاف اضافت أضافت وفق وفقا بحسب حسب نقلا نقل ذكر ذكرت افاد أفاد افادت أفادت اعلن أعلن
    اعلنت أعلنت اكد أكد اكدت أكدت اوضح أوضح اشار أشار اشارت أشارت وكاله وكالة بيان تصريح تصريحات مصدر مصادر
    مسؤول مسؤولون مسؤولين يوم اليوم امس أمس الاثنين الثلاثاء الاربعاء الخميس الجمعة السبت الاحد الأحد يناير
    فبراير مارس ابريل أبريل مايو يونيو يوليو اغسطس أغسطس سبتمبر اكتوبر أكتوبر نوفمبر ديسمبر عام العام سنه
    شهر الشهر اسبوع الاسبوع نحو حوالي قرابه اكثر أكثر اقل أقل ايضا أيضا فقط جدا هو هي هم هن انه أنه انها أنها
    عليه عليها فيه فيها منه منها له لها لهم""".split()
)
# Proclitics removed from an Arabic word: و / ف and the article with ب ك ل (وبال، لل), as the
# "light10" stemmer does. A lone ب ك or ل is left: as often the word's own first letter (لقاح,
# كاميرات, بيروت, كينشاسا) as "in / like / for", and cutting it gave one word two stems (لقاح
# -> قاح but اللقاح -> لقاح). Left out (twelve dev topics): story F1 0.731 -> 0.745 (mpox 0.50 -> 0.68).
# Tried and not adopted (0.745 then): suffixes stripped to a fixed point (ايرانيين -> ايراني -> ايران:
# identical figures); the alif of the accusative as a suffix (قرارا -> قرار: 0.743, kursk 0.92 -> 0.89);
# only و as a lone proclitic, not ف (فرنسا, فيينا kept: identical); the wire dateline ("VIENNA, May 31
# (Reuters) -") dropped from the body: 0.733 (wildfire 0.74 -> 0.88, mpox 0.68 -> 0.46, iaea 0.50 -> 0.43).
_AR_PROCLITIC = re.compile(r"^(?:[وف]?(?:[بكل]?ال|لل)(?=\w{3,})|[وف](?=\w{3,}))")
_AR_SUFFIX = re.compile(r"(?<=\w{3})(?:هما|هم|هن|ها|ات|ون|ين|ان|يه|ه|ي)$")
_ARABIC = re.compile(r"[\u0621-\u064a]")


def light_stem(token: str) -> str:
    """A crude stem for comparing wordings (never for matching watches): Arabic proclitics and
    common suffixes removed, an English plural s dropped."""
    if _ARABIC.search(token):
        return _AR_SUFFIX.sub("", _AR_PROCLITIC.sub("", token))
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def content_words(tokens: list[str]) -> frozenset[str]:
    """Light stems of the words that carry meaning: no function words, no bare numbers."""
    words = set()
    for token in tokens:
        if len(token) < 2 or token.isdigit() or token in _STOP_EN or token in _STOP_AR:
            continue
        stem = light_stem(token)
        if stem not in _STOP_AR:
            words.add(stem)
    return frozenset(words)


def _two_digits(value: int) -> int:
    """The value to two significant digits: 2,650 and 2,700 say the same in different reports."""
    if value < 100:
        return value
    scale = 10 ** (len(str(value)) - 2)
    return round(value / scale) * scale


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str  # as written, for quoting in an alert
    words: frozenset[str]  # content words (light stems)
    concepts: frozenset[str]  # concept ids named in it (entities and categories)
    figures: tuple[Figure, ...]
    numbers: tuple[int, ...] = ()  # every count it states, whatever it counts (figures.quantities)

    @property
    def meaning(self) -> frozenset[str]:
        """What the sentence says in terms any language shares: its concepts and figures."""
        return self.concepts | {
            f"{figure.kind}:{_two_digits(figure.value)}" for figure in self.figures if not figure.vague
        }


@dataclass(frozen=True, slots=True)
class ArticleFeatures:
    language: Language
    title_words: frozenset[str]
    entities: frozenset[str]  # places and actors
    categories: dict[str, str]  # development category → evidence (the first sentence naming it)
    figures: dict[str, Figure]  # per kind, the salient figure (figures.summarise), for display
    all_figures: tuple[Figure, ...] = ()  # every figure given, background ones included
    sentences: tuple[Sentence, ...] = field(default=())
    words: frozenset[str] = frozenset()  # all content words, title included
    # One unit vector per sentence for the first MAX_ENCODED sentences (None without an encoder).
    vectors: Any = None
    # Transliteration keys of its names, and the countries its title and lead place it in (stories.names)
    names: frozenset[str] = frozenset()
    labels: Mapping[str, Label] = field(default_factory=dict)  # concept/category id → label
    # The feed's summary when the body is the fetched text and does not open with it: what the
    # report says (a story remembers it, so a write-up of the summary in the other language is
    # known), not judged as the report's own facts (outlets word summaries from their lead).
    standfirst: tuple[Sentence, ...] = ()
    # The places its title and first sentence give (``stories.names.place_names``, lowercased;
    # ``arabic_place_names``): where the report says its event is.
    lead_places: frozenset[str] = frozenset()

    @property
    def encoded(self) -> tuple[Sentence, ...]:
        """The sentences that have a vector, in order."""
        return self.sentences[: len(self.vectors)] if self.vectors is not None else ()

    def to_json(self) -> dict[str, Any]:
        """What is kept with the article (explanations and reprocess read it back)."""
        return {
            "language": self.language,
            "entities": sorted(self.entities),
            "categories": self.categories,
            "figures": {kind: asdict(figure) for kind, figure in self.figures.items()},
        }


def split_sentences(text: str) -> list[str]:
    pieces = (piece.strip(" \t\"'«»“”-–—") for piece in _SENTENCE_END.split(text))
    return [piece for piece in pieces if piece]


MAX_STANDFIRST = 2  # sentences of a summary kept as its standfirst (a standfirst is one or two)


def _own_summary(summary: str, text: str) -> bool:
    """Whether the summary says something in its own words (not the text's opening copied)."""
    head = " ".join(tokenise(summary)[:12])
    return bool(head) and head not in " ".join(tokenise(text))


def extract_features(
    entry: Entry, language: Language, lexicon: Lexicon, encoder: SentenceEncoder | None = None
) -> ArticleFeatures:
    """The comparable content of ``entry``: its title and body (fetched text, else summary).
    ``encoder``: embed the first sentences (without it, decisions use words and concepts only;
    ``with_vectors`` adds them later)."""
    body = entry.text or entry.summary
    raw_sentences = [entry.title, *split_sentences(body)] if entry.title else split_sentences(body)
    sentences: list[Sentence] = []
    entities: set[str] = set()
    names: set[str] = set()
    lead_places: set[str] = set()
    figures: list[Figure] = []
    all_words: set[str] = set()
    title_words: frozenset[str] = frozenset()
    for index, raw in enumerate(raw_sentences[:MAX_SENTENCES]):
        tokens = tokenise(raw)
        words = content_words(tokens)
        if index == 0 and entry.title:
            title_words = words
        found = lexicon.find(Document.from_tokens(tokens))
        sentence_figures = tuple(extract_figures(raw, language))
        figures.extend(sentence_figures)
        all_words |= words
        names |= english_keys(raw, _STOP_EN) if language == "en" else arabic_keys(raw)
        if index < 2:
            names |= country_keys(raw)
            lead_places |= place_names(raw, _STOP_EN) if language == "en" else arabic_place_names(raw)
        for concept in found:
            if concept not in lexicon.actions:
                entities.add(concept)
        if len(tokens) >= _MIN_SENTENCE_WORDS or sentence_figures:
            # Actions are marked, since a new action tied to a known thing is the strongest sign
            # of a new fact (stories.novelty).
            concepts = frozenset(ACTION_PREFIX + c if c in lexicon.actions else c for c in found)
            sentences.append(Sentence(raw[:500], words, concepts, sentence_figures, tuple(quantities(raw))))
    standfirst: list[Sentence] = []
    if entry.text and entry.summary and _own_summary(entry.summary, entry.text):
        for raw in split_sentences(entry.summary)[:MAX_STANDFIRST]:
            tokens = tokenise(raw)
            if len(tokens) >= _MIN_SENTENCE_WORDS:
                standfirst.append(Sentence(raw[:500], content_words(tokens), frozenset(), (), tuple(quantities(raw))))
    features = ArticleFeatures(
        language=language,
        title_words=title_words,
        entities=frozenset(entities),
        categories={},
        figures=summarise(figures),
        all_figures=tuple(figures),
        sentences=tuple(sentences),
        words=frozenset(all_words),
        vectors=None,  # with_vectors
        names=frozenset(names),
        labels={entity: lexicon.labels[entity] for entity in entities if entity in lexicon.labels},
        standfirst=tuple(standfirst),
        lead_places=frozenset(lead_places),
    )
    return with_vectors(features, encoder) if encoder is not None else features


def to_encode(features: ArticleFeatures) -> list[str]:
    """The sentences of ``features`` that get a vector (the first ``MAX_ENCODED``), then its
    standfirst (encoded in the same batch for the story's memory, which reads it from the cache)."""
    return [sentence.text for sentence in (*features.sentences[:MAX_ENCODED], *features.standfirst)]


def with_vectors(features: ArticleFeatures, encoder: SentenceEncoder) -> ArticleFeatures:
    """``features`` with the vectors of its first sentences. Kept apart from the rest of
    ``extract_features`` so a batch of reports can be embedded in one call to the model."""
    rows = encoder.encode(to_encode(features))
    return replace(features, vectors=rows[: len(rows) - len(features.standfirst)])
