"""Bilingual concepts: the same thing named in Arabic or English maps to one id.

Stories are compared on concepts and figures as well as by meaning (``stories.semantic``), so
that an Arabic and an English report of the same event meet (Kursk ↔ كورسك, North Korea ↔
كوريا الشمالية / بيونغ يانغ). Two kinds of concept here:

- entities (places, actors) from a shipped gazetteer;
- actions (supply, combat use, training ...): a known thing tied to a new action is a new fact.

Development categories are per watch, by meaning and terms: ``stories.categories``.

Each concept is matched with the watch query engine, so its terms get the same Arabic handling
(proclitics, closed suffixes, hamza/ى/ة folding) and the same ``*`` prefixes as a watch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from stories.query import parse_query
from stories.query_match import Document, Query
from stories.wording import Label

ConceptKind = Literal["place", "actor", "category", "action"]

# Entities that news on this kind of watch names again and again. Places and actors, with the
# spellings Arabic outlets actually use (بيونغ يانغ and بيونغيانغ; زيلينسكي and زيلنسكي).
DEFAULT_ENTITIES: dict[str, tuple[ConceptKind, tuple[str, ...]]] = {
    "north_korea": (
        "place",
        (
            "North Korea*",
            "Pyongyang",
            "DPRK",
            "كوريا الشمالية",
            "الكورية الشمالية",
            "الكوري الشمالي",
            "الكوريين الشماليين",
            "الكوريون الشماليون",
            "كوريين شماليين",
            "بيونغ يانغ",
            "بيونغيانغ",
            "بيونج يانج",
        ),
    ),
    "south_korea": (
        "place",
        ("South Korea*", "Seoul", "كوريا الجنوبية", "الكورية الجنوبية", "الكوري الجنوبي", "سيول", "سول"),
    ),
    "russia": ("place", ("Russia*", "Moscow", "Kremlin", "روسيا", "الروسية", "الروسي", "الروس", "موسكو", "الكرملين")),
    "ukraine": ("place", ("Ukrain*", "Kyiv", "Kiev", "أوكرانيا", "الأوكرانية", "الأوكراني", "الأوكرانيين", "كييف")),
    "kursk": ("place", ("Kursk", "كورسك")),
    "sudzha": ("place", ("Sudzha", "سودجا", "سودزا")),
    "belgorod": ("place", ("Belgorod", "بيلغورود", "بيلجورود")),
    "donbas": ("place", ("Donbas*", "Donbass", "Donetsk", "Luhansk", "دونباس", "دونيتسك", "لوغانسك", "لوهانسك")),
    "pokrovsk": ("place", ("Pokrovsk", "بوكروفسك")),
    "zaporizhzhia": ("place", ("Zaporizhzhia", "Zaporozhye", "زابوريجيا", "زاباروجيا")),
    "kherson": ("place", ("Kherson", "خيرسون")),
    "crimea": ("place", ("Crimea*", "القرم")),
    "china": ("place", ("China", "Chinese", "Beijing", "الصين", "الصينية", "بكين")),
    "united_states": (
        "place",
        ("United States", "Washington", "Pentagon", "الولايات المتحدة", "واشنطن", "البنتاغون", "البنتاجون"),
    ),
    "iran": ("place", ("Iran*", "Tehran", "إيران", "الإيرانية", "طهران")),
    "nato": ("actor", ("NATO", "الناتو", "حلف شمال الأطلسي", "حلف الأطلسي")),
    "putin": ("actor", ("Putin", "بوتين")),
    "kim_jong_un": ("actor", ("Kim Jong Un", "Kim Jong-un", "كيم جونغ أون", "كيم جونغ اون", "كيم جونج أون")),
    "zelensky": ("actor", ("Zelensk*", "Zelenskiy", "زيلينسكي", "زيلنسكي")),
    "shoigu": ("actor", ("Shoigu", "شويغو")),
    "lavrov": ("actor", ("Lavrov", "لافروف")),
    "peskov": ("actor", ("Peskov", "بيسكوف")),
    "belousov": ("actor", ("Belousov", "بيلوسوف")),
    "rudenko": ("actor", ("Rudenko", "رودينكو")),
    "choe_son_hui": ("actor", ("Choe Son Hui", "Choe Son-hui", "تشوي سون هي")),
    "kim_yo_jong": ("actor", ("Kim Yo Jong", "Kim Yo-jong", "كيم يو جونغ")),
    "budanov": ("actor", ("Budanov", "بودانوف")),
    "umerov": ("actor", ("Umerov", "عميروف", "أوميروف")),
    "yoon_suk_yeol": ("actor", ("Yoon Suk Yeol", "Yoon", "يون سوك يول")),
    "rutte": ("actor", ("Rutte", "روته")),
    "austin": ("actor", ("Lloyd Austin", "لويد أوستن")),
    "blinken": ("actor", ("Blinken", "بلينكن")),
    "gerasimov": ("actor", ("Gerasimov", "غيراسيموف")),
    "syrskyi": ("actor", ("Syrskyi", "Syrsky", "سيرسكي")),
    "south_korean_intelligence": (
        "actor",
        (
            "National Intelligence Service",
            "NIS",
            "الاستخبارات الكورية الجنوبية",
            "جهاز الاستخبارات الوطني",
            "المخابرات الكورية الجنوبية",
        ),
    ),
    "ukrainian_intelligence": (
        "actor",
        (
            "HUR",
            "GUR",
            "Ukrainian military intelligence",
            "Ukraine's military intelligence",
            "الاستخبارات العسكرية الأوكرانية",
            "المخابرات العسكرية الأوكرانية",
        ),
    ),
    "special_forces": ("actor", ("special forces", "Storm Corps", "القوات الخاصة", "فيلق العاصفة")),
    "united_nations": ("actor", ("United Nations", "UN Security Council", "الأمم المتحدة", "مجلس الأمن")),
}

# Gazetteer terms that are also common words of their language: سيول is Seoul, "torrents", the
# word of every Arabic flood report ("جرفت السيول"), and, with the ending the matcher folds,
# "liquidity" (سيولة, in every Arabic report on a currency). Such a term names its concept only in a
# text that also names the concept by another of its terms (a report on Seoul names South Korea
# too: every Kursk dev report with سيول or سول does), so a flood watch does not read "new South
# Korea" in a report of torrents.
HOMOGRAPHS: frozenset[str] = frozenset({"سيول"})


# What is being done. Not developments by themselves, but a sentence that ties a known thing to a
# new action ("drones" + "delivered", "troops" + "trained") says something new.
DEFAULT_ACTIONS: dict[str, tuple[ConceptKind, tuple[str, ...]]] = {
    "supply": (
        "action",
        (
            "deliver*",
            "supplied",
            "supplies",
            "supplying",
            "shipped",
            "shipping",
            "shipment*",
            "transferred",
            "handed over",
            "provided",
            "سلمت",
            "سلم",
            "تسليم",
            "زودت",
            "تزويد",
            "إمداد",
            "إمدادات",
            "شحنة",
            "شحنات",
            "نقلت",
        ),
    ),
    "combat_use": (
        "action",
        (
            "used",
            "using",
            "operated",
            "operating",
            "launched",
            "fired",
            "attack*",
            "strike*",
            "struck",
            "assault*",
            "استخدمت",
            "استخدم",
            "استخدام",
            "أطلقت",
            "أطلق",
            "إطلاق",
            "هجوم",
            "هجمات",
            "ضربة",
            "ضربات",
            "قصف",
            "تهاجم",
            "هاجمت",
        ),
    ),
    "training": ("action", ("train*", "drill*", "instruct*", "تدريب", "تدريبات", "تدرب", "يتدربون")),
    "production": (
        "action",
        (
            "produc*",
            "manufactur*",
            "factory",
            "factories",
            "assembl*",
            "mass production",
            "إنتاج",
            "تصنيع",
            "مصنع",
            "مصانع",
            "تجميع",
        ),
    ),
    "denial": ("action", ("deny", "denied", "denies", "fake", "false reports", "نفى", "نفت", "ينفي", "تنفي", "مزيفة")),
    "exchange": ("action", ("swap*", "exchange*", "hand over", "repatriat*", "مبادلة", "تبادل", "تسليمهم", "إعادتهم")),
    # A stance on a proposal, a demand or a deal is news in any watch: the encoder reads "the
    # government accepts the envoy's plan" or "rejects any pretext" as close to the plan or the
    # demand the story told (0.5-0.7). Not "agreement" (the deal itself) nor قبل ("before").
    "acceptance": (
        "action",
        (
            "accept*",
            "agree",
            "agreed",
            "agrees",
            "agreeing",
            "approv*",
            "endorse*",
            "وافق",
            "وافقت",
            "توافق",
            "يوافق",
            "موافقة",
            "موافقته",
            "موافقتها",
            "قبول",
            "قبلت",
        ),
    ),
    "refusal": (
        "action",
        ("reject*", "refus*", "turned down", "turns down", "رفض", "رفضت", "يرفض", "ترفض", "رفضه", "رفضها", "رفضا"),
    ),
    # A pledge binds its speaker to something the story did not have him bound to ("Halbousi
    # pledges to pass the budget" after his election as speaker): the encoder reads it as the
    # speaker's story (0.5-0.65). Not "promising" (hopeful) nor يعد ("is considered").
    "pledge": (
        "action",
        (
            "pledge*",
            "vow",
            "vowed",
            "vows",
            "promise",
            "promised",
            "promises",
            "تعهد",
            "يتعهد",
            "تتعهد",
            "تعهدت",
            "تعهده",
            "تعهدات",
            "وعد",
            "وعدت",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    kind: ConceptKind
    terms: tuple[str, ...]
    query: Query


def _quoted(term: str) -> str:
    # Each term becomes one quoted phrase of the query language, a trailing * kept as a prefix.
    return '"' + term.replace('"', " ").strip() + '"'


def build_concept(concept_id: str, kind: ConceptKind, terms: Sequence[str]) -> Concept | None:
    """A concept matched by any of ``terms`` (None when no term is usable)."""
    usable = tuple(term for term in terms if term.strip().strip("*"))
    if not usable:
        return None
    return Concept(concept_id, kind, usable, parse_query(" OR ".join(_quoted(term) for term in usable)))


def _label(concept_id: str, terms: Sequence[str]) -> Label:
    """A concept's name for people: its first English and its first Arabic term."""
    # the longest English term is the most descriptive ("Ukrainian military intelligence", not "HUR")
    english = max((t.rstrip("*") for t in terms if t.isascii() and t.rstrip("*")), key=len, default="")
    arabic = next((t.rstrip("*") for t in terms if not t.isascii()), "")
    fallback = concept_id.replace("_", " ")
    return Label(english or fallback, arabic or english or fallback)


class Lexicon:
    """The places, actors and actions a text can name; built once, shared by all analyses."""

    def __init__(
        self,
        entities: Mapping[str, tuple[ConceptKind, Sequence[str]]] = DEFAULT_ENTITIES,
        actions: Mapping[str, tuple[ConceptKind, Sequence[str]]] = DEFAULT_ACTIONS,
    ) -> None:
        concepts: list[Concept] = []
        for concept_id, (kind, terms) in {**entities, **actions}.items():
            built = build_concept(concept_id, kind, terms)
            if built is not None:
                concepts.append(built)
        self.concepts: tuple[Concept, ...] = tuple(concepts)
        self.actions = frozenset(c.id for c in concepts if c.kind == "action")
        self.kinds: dict[str, ConceptKind] = {c.id: c.kind for c in concepts}
        self.labels: dict[str, Label] = {c.id: _label(c.id, c.terms) for c in concepts}

    def find(self, doc: Document) -> dict[str, tuple[str, ...]]:
        """Concept id → the terms of it found in ``doc``."""
        found: dict[str, tuple[str, ...]] = {}
        for concept in self.concepts:
            terms = concept.query.match(doc)
            if terms and not HOMOGRAPHS.issuperset(terms):
                found[concept.id] = terms
        return found

    def entities(self, ids: Iterable[str]) -> frozenset[str]:
        return frozenset(i for i in ids if self.kinds.get(i) in ("place", "actor"))
