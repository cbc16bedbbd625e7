"""Figures a news report states (troops, killed, wounded ...), and whether a report changed them.

DESIGN §3.3: a report on a known story is a ``development`` when it brings "a changed or new
figure (troops, killed, wounded, drones)". This module finds those figures in Arabic and English
text, picks the salient one per kind and compares two sets of them. Pure functions, no I/O.

How a figure is read
--------------------
1. The text is split at whitespace and each chunk into words and numbers, keeping the
   punctuation between them (a "$" before, a "%" after, the comma that ends a clause). Chunks are
   analysed once and cached, since "the", "troops," and "في" come back in every article. Words go
   through ``stories.text.normalise``; Arabic words are also looked up without their proclitics
   (و ف ب ل ك ال), as the query matcher does. Arabic-Indic digits and separators count as digits.
   The evidence of a figure is the original text from its first to its last token.
2. A *quantity* is digits ("12,000", "12.000", "12 000", "١٢٬٠٠٠", "1.5", "12k"), number words
   ("twenty-five", "three hundred and fifty", "ثلاثة وعشرون", "خمسة عشر", "ثلاثمائة"), a digit
   with a scale ("1.5 million", "12 ألف", "12 ألفاً", "3 آلاف"), a vague count ("dozens",
   "hundreds", "tens of thousands", "a few hundred", "عشرات", "مئات", "عشرات الآلاف", "بضعة آلاف")
   or an Arabic dual noun, which counts itself ("جنديين" = 2 soldiers, "مسيرتين" = 2 drones).
   A vague count's value is its unit: dozens 12, عشرات 10, hundreds 100, tens of thousands 10,000.
   An approximation marker right before it ("about", "at least", "نحو", "ما لا يقل عن") or right
   after it ("or more", "تقريباً", "على الأقل", "300+") makes it ``approximate``.
3. Quantities that are not counts are dropped: years (a bare 1900-2100 unless a counted noun
   follows), dates (next to a month name, "15/01/2024"), times, percentages, money (a currency
   sign or word), ages, units ("300 km", "155mm"), ordinals ("11th"), labels ("Brigade 11",
   "الفرقة 11", "Resolution 2231") unless a counted noun follows, weapon models ("Su-34",
   "F-16", "Shahed 136"), compounds ("2,000-pound bomb", "20-year-old"), phone numbers and ids.
4. What it counts comes from the words around it, never across a sentence or comma break:
   - an *outcome* word right after it or after its noun ("300 killed", "300 soldiers were
     killed", "300 قتيل") — killed, wounded, captured, casualties;
   - else an outcome word before it, through linking words only ("killed at least 300 soldiers",
     "the number of dead rose to 600", "مقتل نحو 300 جندي", "إصابة 2700", "أسر جنديين");
   - else an *object* noun after it, past up to three other words ("12,000 North Korean troops",
     "12 ألفاً من الجنود") — troops, drones, missiles, shells;
   - else an object noun before it, through linking words ("troops numbering 12,000");
   - else a deployment verb before it when nothing is counted after it ("deployed 12,000 to
     Russia", "أرسلت 3 آلاف إلى روسيا") or "-strong" ("a 12,000-strong force"): troops.
   An outcome beats an object because the report is about what happened to them: "killed 300
   soldiers" is killed=300, not troops=300. "captured" and "lost" (casualties) before a number
   need people after it (soldiers, people, North Koreans, nothing), so "captured 12 villages"
   and "lost 300 tanks" are not figures.

A text may state one kind several times ("rose from 300 to 600"): each distinct figure is
returned once, in text order. ``summarise`` keeps one per kind, ``compare`` says what changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from stories.query import PROCLITICS
from stories.text import normalise
from stories.types import Language

__all__ = [
    "FIGURE_KINDS",
    "Figure",
    "FigureChange",
    "compare",
    "extract_figures",
    "format_figure",
    "summarise",
]

FIGURE_KINDS: tuple[str, ...] = (
    "troops",
    "killed",
    "wounded",
    "casualties",
    "captured",
    "drones",
    "missiles",
    "shells",
    "artillery",
)
_OUTCOMES = frozenset({"killed", "wounded", "casualties", "captured"})
_EVIDENCE_MAX = 160
# A vague count covers its unit up to this many times it: "thousands" is 1,000-19,999, so
# "thousands" and 12,000 agree while "hundreds" and 12,000 do not.
_VAGUE_SPAN = 20


@dataclass(frozen=True, slots=True)
class Figure:
    """One count a text states: ``killed`` = 300, approximate ("about 300"), with its evidence."""

    kind: str  # one of FIGURE_KINDS
    value: int  # the stated number; a vague count's unit ("thousands" -> 1000)
    approximate: bool  # "about", "at least", "more than", "نحو", "ما لا يقل عن" ...
    vague: bool  # no exact number: "hundreds", "thousands", "dozens", "مئات", "عشرات"
    evidence: str  # the text it came from, whitespace collapsed, at most 160 characters


@dataclass(frozen=True, slots=True)
class FigureChange:
    """A figure that is new to a story or differs from the one the story had."""

    kind: str
    old: Figure | None
    new: Figure
    label: str  # "killed: 300 → 600", "troops: 3,000 (new)"


# ---------------------------------------------------------------------------------------------
# Lexicons. Written as people write them; normalised at import with the text normaliser, so they
# compare with normalised words. "a|b" lists alternatives for one word, a space separates words.

# kind -> phrases. Outcome kinds (killed, wounded, captured, casualties) and object kinds.
_EN_KINDS: dict[str, tuple[str, ...]] = {
    "troops": (
        "troops",
        "soldiers",
        "soldier",
        "servicemen",
        "servicemembers",
        "personnel",
        "forces",
        "reinforcements",
        "mercenaries",
        "service members",
    ),
    "killed": (
        "killed",
        "killing",
        "kill",
        "kills",
        "dead",
        "deaths",
        "died",
        "fatalities",
        "slain",
        "bodies",
        "toll",
        "death toll",
        "lost their lives",
    ),
    "wounded": ("wounded", "wounding", "injured", "injuring", "injuries", "hurt"),
    "casualties": (
        "casualties",
        "killed|dead and|or wounded|injured",
        "lost|lose|loses|losing",
    ),
    "captured": (
        "captured",
        "capturing",
        "captives",
        "captive",
        "prisoners",
        "prisoner",
        "pows",
        "prisoners of war",
        "taken prisoner|captive",
    ),
    "drones": (
        "drones",
        "drone",
        "uavs",
        "uav",
        "shaheds",
        "unmanned aerial vehicles",
        "unmanned aircraft",
    ),
    "missiles": ("missiles", "missile", "rockets", "rocket"),
    "shells": ("shells", "shell"),
    "artillery": ("guns", "artillery pieces", "artillery systems", "howitzers", "howitzer", "rocket launchers"),
}
_AR_KINDS: dict[str, tuple[str, ...]] = {
    "troops": (
        "جندي|جنديا|جندياً|جنود|جنودا",
        "عسكري|عسكريا|عسكريين|عسكريون",
        "مقاتل|مقاتلا|مقاتلين|مقاتلون",
        "عنصر|عنصرا|عناصر",
        "فرد|فردا|أفراد",
        "قوات",
        "مرتزق|مرتزقا|مرتزقة",
    ),
    "killed": (
        "قتيل|قتيلا|قتلى|مقتل|قتل|قتلوا|يقتل",
        "مصرع|حتفه|حتفهم",
        "شهيد|شهيدا|شهداء",
        "وفاة|وفيات|أموات|جثة|جثث",
    ),
    "wounded": (
        "جريح|جريحا|جرحى|جرح|جرحوا",
        "إصابة|إصابات|أصيب|أصيبوا|يصاب",
        "مصاب|مصابا|مصابين|مصابون",
    ),
    "casualties": (
        "خسائر بشرية",
        "خسر|خسرت|يخسر|تخسر|فقد|فقدت",
        "ضحايا|ضحية",
        "قتيل|قتلى وجريح|وجرحى|ومصاب|ومصابين",
    ),
    "captured": ("أسير|أسيرا|أسرى|أسر|أسروا|أسرت",),
    "drones": (
        "مسيرة|مسيرات",
        "طائرة|طائرات|طائرتين|طائرتان مسيرة|مسيرات|مسيرتين|مسيرتان",
        "طائرة|طائرات بدون|دون طيار",
        "درون|درونز",
    ),
    "missiles": ("صاروخ|صاروخا|صواريخ",),
    "shells": ("قذيفة|قذائف",),
    "artillery": ("مدفع|مدفعا|مدافع", "قطعة|قطع مدفعية", "راجمة|راجمات"),
}
# Arabic dual nouns: the noun is its own count of two. "" = counts, but the kind comes from the
# next word (طائرتين مسيرتين).
_AR_DUALS: dict[str, str] = {
    "جنديين|جنديان": "troops",
    "قتيلين|قتيلان": "killed",
    "جريحين|جريحان": "wounded",
    "أسيرين|أسيران": "captured",
    "مسيرتين|مسيرتان": "drones",
    "صاروخين|صاروخان": "missiles",
    "قذيفتين|قذيفتان": "shells",
    "طائرتين|طائرتان": "",
}

# Number words: (type, value, count). Types: "u" adds (units, tens, Arabic hundreds written as one
# word), "h" multiplies what precedes by 100 or 12 (a count of its own for duals: مئتين = 2 × 100),
# "s" scale (thousand, million), "S" plural scale (thousands: vague alone, "3 آلاف" is exact),
# "v" vague count (dozens, عشرات), "f" few/several (vague, needs a scale), "a" the article a/an,
# "t" the first word of an Arabic teen that needs عشر after it (أحد عشر, اثنا عشر).
_NumWord = tuple[str, float, int]
_EN_NUMBERS: dict[str, _NumWord] = {
    **{
        word: ("u", float(value), 1)
        for value, word in enumerate(
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen".split(),
            start=1,
        )
    },
    **{
        word: ("u", float(value), 1)
        for value, word in zip(
            range(20, 100, 10), "twenty thirty forty fifty sixty seventy eighty ninety".split(), strict=True
        )
    },
    "hundred": ("h", 100.0, 1),
    "dozen": ("h", 12.0, 1),
    "thousand": ("s", 1e3, 1),
    "million": ("s", 1e6, 1),
    "billion": ("s", 1e9, 1),
    "hundreds": ("S", 100.0, 1),
    "thousands": ("S", 1e3, 1),
    "millions": ("S", 1e6, 1),
    "dozens": ("v", 12.0, 1),
    "scores": ("v", 20.0, 1),
    "tens": ("v", 10.0, 1),
    "few": ("f", 1.0, 1),
    "several": ("f", 1.0, 1),
    "a": ("a", 1.0, 1),
    "an": ("a", 1.0, 1),
}
_AR_NUMBER_SOURCE: dict[str, _NumWord] = {
    "واحد|واحدة": ("u", 1, 1),
    "اثنان|اثنين|اثنتان|اثنتين": ("u", 2, 1),
    "ثلاث|ثلاثة": ("u", 3, 1),
    "أربع|أربعة": ("u", 4, 1),
    "خمس|خمسة": ("u", 5, 1),
    "ست|ستة": ("u", 6, 1),
    "سبع|سبعة": ("u", 7, 1),
    "ثمان|ثماني|ثمانية": ("u", 8, 1),
    "تسع|تسعة": ("u", 9, 1),
    "عشر|عشرة": ("u", 10, 1),
    "أحد|إحدى": ("t", 1, 1),
    "اثنا|اثنتا|اثني|اثنتي": ("t", 2, 1),
    "عشرون|عشرين": ("u", 20, 1),
    "ثلاثون|ثلاثين": ("u", 30, 1),
    "أربعون|أربعين": ("u", 40, 1),
    "خمسون|خمسين": ("u", 50, 1),
    "ستون|ستين": ("u", 60, 1),
    "سبعون|سبعين": ("u", 70, 1),
    "ثمانون|ثمانين": ("u", 80, 1),
    "تسعون|تسعين": ("u", 90, 1),
    "مئة|مائة": ("h", 100, 1),
    "مئتان|مئتين|مئتا|مئتي|مائتان|مائتين|مائتا|مائتي": ("h", 100, 2),
    "ألف|ألفا|ألفاً": ("s", 1e3, 1),
    "ألفان|ألفين|ألفي": ("s", 1e3, 2),
    "آلاف": ("S", 1e3, 1),
    "مليون|مليونا": ("s", 1e6, 1),
    "مليونان|مليونين|مليوني": ("s", 1e6, 2),
    "ملايين": ("S", 1e6, 1),
    "مليار|مليارا": ("s", 1e9, 1),
    "مئات": ("S", 100, 1),
    "عشرات": ("v", 10, 1),
    "بضع|بضعة|عدة": ("f", 1, 1),
}
for _digit, _stem in enumerate(("ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع"), start=3):
    _AR_NUMBER_SOURCE[f"{_stem}مئة|{_stem}مائة"] = ("u", _digit * 100, 1)

# Word classes around a number, English and Arabic together (the scripts never collide).
_STOP = (  # end the words read after a number: another clause starts
    "and or but nor while whereas when where which who whom whose that as than said says say "
    "told according including include includes in on at to from for with by into onto since "
    "after before during near across against per via "
    "و او أو ثم لكن بل في إلى الى على عن منذ بعد قبل خلال حيث الذي التي الذين اللذين بينما "
    "قال قالت وقال أعلن أعلنت وفق وفقا حسب بحسب عند مع ضد لدى"
)
_AUX = (  # may sit between a counted noun and its outcome: "300 soldiers were reportedly killed"
    "were was are is be been being have has had reportedly reported also already all later now "
    "since then still confirmed believed said allegedly "
    "بين لقي لقوا سقط سقطوا"
)
_LINK = (  # may sit between a word and the number after it: "the death toll rose to 600"
    "to at of numbering numbered totalling totaling total totals estimated put stood stands "
    "stand is was were are has have had been now reached reach reaches rose risen rise rises "
    "climbed climbs jumped increased grew hit hits topped tops exceeded exceeds surpassed passed "
    "number figure count from "
    "إلى الى بلغ بلغت يبلغ تبلغ وصل وصلت يصل تصل ارتفع ارتفعت يرتفع ترتفع تجاوز تجاوزت يتجاوز "
    "عدد عددهم عددها قوامها قوامه قدر تقدر يقدر يقدرون حصيلة من"
)
_TROOP_CUES = (  # a number after one of these, with nothing counted after it, is troops
    "deployed deploys deploy deploying deployment sent send sends sending dispatched dispatch "
    "dispatching contingent force "
    "نشر ينشر تنشر نشرت إرسال أرسل أرسلت يرسل ترسل إيفاد أوفد أوفدت قوة"
)
_UNITS = (
    "km kms kilometres kilometers kilometre kilometer miles mile metres meters metre meter m mm "
    "cm kg kilograms kilogram kilos tonnes tons tonne ton pounds pound lb lbs hectares hectare "
    "acres acre square sq feet ft foot inches inch calibre caliber hours hour minutes minute "
    "seconds second days day weeks week months month years year am pm gmt utc mph kph knots "
    "degrees litres liters barrels kilotons megatons mw gw "
    "كيلومتر كيلومترا كيلومترات كم متر مترا أمتار ميل ميلا أميال كيلوغرام كيلوغراما كغ كلغ طن "
    "طنا أطنان هكتار هكتارا ملم مليمتر ساعة ساعات دقيقة دقائق ثانية ثوان يوم يوما أيام أسبوع "
    "أسبوعا أسابيع شهر شهرا أشهر شهور عام عاما أعوام سنة سنوات سنين درجة درجات صباحا مساء"
)
_CURRENCIES = (
    "dollars dollar usd eur euros euro pounds gbp rubles roubles ruble rouble rub hryvnias "
    "hryvnia uah yuan won yen "
    "دولار دولارا دولارات يورو روبل روبلا جنيه جنيها ريال ريالا دينار دينارا درهم درهما ليرة "
    "ليرات وون يوان"
)
_PERCENT = "percent pct بالمئة بالمائة"
_MONTHS_EN = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
_MONTHS_AR = (
    "يناير فبراير مارس أبريل ابريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر "
    "كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين"
)
_YEAR_CUES = "in since by until till from during year early late mid عام العام سنة منذ في خلال مطلع"
_AGES = "aged age ages عمر العمر عمره عمرها عمرهم بعمر سن"
_LABELS = (  # a number right after one of these names a thing: "Brigade 11", "الفرقة 11"
    "brigade division regiment battalion corps army unit article resolution chapter section page "
    "flight route highway road no number id model version block building room gate sector "
    "district paragraph platform channel line level phase stage grade episode item vote "
    "فرقة لواء كتيبة فيلق جيش وحدة رقم مادة قرار فصل صفحة رحلة طريق ساعة مبنى طابق دورة نسخة "
    "بند مرحلة قطاع منطقة الأول الثاني الثالث الرابع الخامس السادس السابع الثامن التاسع العاشر "
    "الحادي الحادية الثانية الثالثة الرابعة الخامسة السادسة السابعة الثامنة التاسعة العاشرة"
)
_MODELS = (  # a number right after one of these is a weapon model: "Shahed 136"
    "su mig tu kh mi ka f s t bmp btr shahed geran iskander kinzhal kalibr zircon tochka himars "
    "atacms patriot leopard abrams bradley storm lancet "
    "شاهد جيران سو ميغ توبوليف إسكندر كينجال كاليبر هيمارس باتريوت ليوبارد أبرامز"
)
_PEOPLE = (  # counted nouns that are people: "captured 12 ..." needs one of these (or a kind)
    "people persons civilians men women children others residents fighters combatants "
    "شخص شخصا أشخاص مدني مدنيا مدنيين مدنيون آخرين آخرون رجل رجلا رجال"
)
_NATIONALS = (  # adjectives that may sit between a count and its noun, in either order
    "north south korean koreans russian russians ukrainian ukrainians american americans "
    "كوري كوريا كوريين كوريون كورية شمالي شماليا شماليين شماليون شمالية جنوبي "
    "روسي روسيا روس روسية أوكراني أوكرانيا أوكرانيين أوكرانيون أوكرانية أمريكي أمريكيين"
)
# Outcome words that count only before people ("captured 12 villages", "lost 300 tanks" are not
# figures) and only before the number ("300 drones lost" is not a loss of people).
_NEEDS_PEOPLE = "captured capturing lost lose loses losing أسر أسرت أسروا خسر خسرت يخسر تخسر فقد فقدت"
_LEFT_ONLY = "lost lose loses losing خسر خسرت يخسر تخسر فقد فقدت"
# Arabic verbs that agree with a plural subject: they belong to the noun before them even past
# its adjectives ("100 جندي كوري شمالي قتلوا").
_AGREEING = "قتلوا أصيبوا جرحوا أسروا حتفهم مصرعهم"
_APPROX_BEFORE = (
    "about|around|approximately|roughly|nearly|almost|some|over|estimated|approx|circa|c|~|reportedly",
    "at least|most",
    "more|fewer|less than",
    "up to",
    "upwards of",
    "as many as",
    "an estimated",
    "close to",
    "in excess of",
    "no fewer|less|more than",
    "not less|more than",
    "just|well over|under",
    "نحو|حوالي|حوالى|قرابة|زهاء|يقارب|يناهز|تقريبا|قرابه",
    "ما يقارب|يناهز|يزيد|ينيف",
    "ما يزيد|يربو عن|على",
    "يزيد|تزيد عن|على",
    "أكثر|أزيد|أقل|اكثر من",
    "ما لا يقل عن",
    "لا يقل عن",
    "ما يصل إلى",
)
_APPROX_AFTER = ("or so|more", "or more than", "تقريبا|تقريباً", "على الأقل", "أو أكثر|يزيد")


def _words(source: str) -> frozenset[str]:
    return frozenset(normalise(word) for word in source.split())


def _alternatives(word: str) -> frozenset[str]:
    return frozenset(normalise(alt) for alt in word.split("|"))


def _phrase(source: str) -> tuple[frozenset[str], ...]:
    return tuple(_alternatives(word) for word in source.split())


_STOP_W = _words(_STOP)
_AUX_W = _words(_AUX)
_LINK_W = _words(_LINK)
_CUE_W = _words(_TROOP_CUES)
_UNIT_W = _words(_UNITS)
_CURRENCY_W = _words(_CURRENCIES)
_PERCENT_W = _words(_PERCENT)
_MONTH_AR_W = _words(_MONTHS_AR)
_MONTH_EN_W = frozenset(_MONTHS_EN.split())  # compared with the original word: "may" is a verb
_YEAR_CUE_W = _words(_YEAR_CUES)
_AGE_W = _words(_AGES)
_LABEL_W = _words(_LABELS)
_MODEL_W = _words(_MODELS)
_NATIONAL_W = _words(_NATIONALS)
_PEOPLE_W = _words(_PEOPLE) | _NATIONAL_W
_NEEDS_PEOPLE_W = _words(_NEEDS_PEOPLE)
_LEFT_ONLY_W = _words(_LEFT_ONLY)
_AGREEING_W = _words(_AGREEING)
_NO_ONE = frozenset({"no", "every", "any", "each", "the", "which", "this", "that"})

_Phrase = tuple[frozenset[str], ...]
# first word -> [(phrase, kind)], longest phrase first
_KIND_PHRASES: dict[str, list[tuple[_Phrase, str]]] = {}
for _table in (_EN_KINDS, _AR_KINDS):
    for _kind, _sources in _table.items():
        for _source in _sources:
            _p = _phrase(_source)
            for _first in _p[0]:
                _KIND_PHRASES.setdefault(_first, []).append((_p, _kind))
for _entries in _KIND_PHRASES.values():
    _entries.sort(key=lambda entry: -len(entry[0]))

# last word -> [phrase], longest first (matched right to left, ending just before the number)
_APPROX_BEFORE_P: dict[str, list[_Phrase]] = {}
for _source in _APPROX_BEFORE:
    _p = _phrase(_source)
    for _last in _p[-1]:
        _APPROX_BEFORE_P.setdefault(_last, []).append(_p)
_APPROX_AFTER_P: dict[str, list[_Phrase]] = {}
for _source in _APPROX_AFTER:
    _p = _phrase(_source)
    for _first in _p[0]:
        _APPROX_AFTER_P.setdefault(_first, []).append(_p)
for _group in (*_APPROX_BEFORE_P.values(), *_APPROX_AFTER_P.values()):
    _group.sort(key=lambda phrase: -len(phrase))

_AR_NUMBERS: dict[str, _NumWord] = {
    alt: (kind, float(value), count)
    for source, (kind, value, count) in _AR_NUMBER_SOURCE.items()
    for alt in _alternatives(source)
}
_AR_DUAL_W: dict[str, str] = {alt: kind for source, kind in _AR_DUALS.items() for alt in _alternatives(source)}
_TEN_AR = _alternatives("عشر|عشرة")
_OF = frozenset({"of"})
_AND = frozenset({"and"})
_PER_CENT = (frozenset({"per"}), frozenset({"cent"}))
_AR_PER_CENT = (frozenset({"في"}), _alternatives("المئة|المائة"))
_YEARS_OLD = (frozenset({"years", "year"}), frozenset({"old"}))
_NOISE_STARTS = _PER_CENT[0] | _AR_PER_CENT[0] | _YEARS_OLD[0]
_MONEY_SIGNS = frozenset("$€£¥₽₴")


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True, slots=True)
class _Word:
    """What the tables say about one distinct word (cached: news vocabulary repeats)."""

    keys: frozenset[str]  # the normalised word and, for Arabic, its forms without proclitics
    conj_keys: frozenset[str]  # the keys reached by removing a leading و/ف (a new clause)
    number: _NumWord | None
    number_conj: bool  # the number word carried و: "وعشرون"
    dual: str | None  # Arabic dual noun: its kind ("" = ask the next word)
    phrases: tuple[tuple[_Phrase, str, bool], ...]  # kind phrases starting here, (…, conj)
    stop: bool
    aux: bool
    link: bool
    cue: bool
    unit: bool
    currency: bool
    percent: bool
    month: bool
    year_cue: bool
    age: bool
    label: bool
    model: bool
    people: bool
    national: bool
    needs_people: bool
    left_only: bool
    agreeing: bool
    latin: bool


_MAX_CLITIC = max(map(len, PROCLITICS))


@lru_cache(maxsize=1 << 15)
def _word(raw: str) -> _Word:
    norm = normalise(raw).replace(" ", "")
    latin = norm.isascii()
    keys = {norm}
    conj_keys: set[str] = set()
    # Numbers take و/ف only (خمسة وعشرون) and, when they are plural or vague, ب/ل/ال too
    # ("بآلاف", "الآلاف"): "لست" is "you are not", not ل + ست (six).
    number = _EN_NUMBERS.get(norm) if latin else _AR_NUMBERS.get(norm)
    number_conj = False
    dual = None if latin else _AR_DUAL_W.get(norm)
    if not latin:
        for cut in range(1, min(_MAX_CLITIC, len(norm) - 2) + 1):
            clitic, rest = norm[:cut], norm[cut:]
            if clitic not in PROCLITICS:
                continue
            bases = [rest, "ال" + rest] if clitic.endswith("لل") else [rest]
            conj = clitic[0] in "وف"
            for base in bases:
                keys.add(base)
                if conj:
                    conj_keys.add(base)
                found = _AR_NUMBERS.get(base)
                if found and number is None and (clitic in ("و", "ف") or found[0] in "Svf"):
                    number, number_conj = found, conj
                if dual is None:
                    dual = _AR_DUAL_W.get(base)
    phrases = tuple(
        (phrase, kind, key in conj_keys and key != norm) for key in keys for phrase, kind in _KIND_PHRASES.get(key, ())
    )
    frozen = frozenset(keys)
    return _Word(
        keys=frozen,
        conj_keys=frozenset(conj_keys),
        number=number,
        number_conj=number_conj,
        dual=dual,
        phrases=tuple(sorted(phrases, key=lambda entry: -len(entry[0]))),
        stop=norm in _STOP_W,
        aux=not frozen.isdisjoint(_AUX_W),
        link=not frozen.isdisjoint(_LINK_W),
        cue=not frozen.isdisjoint(_CUE_W),
        unit=norm in _UNIT_W,
        currency=not frozen.isdisjoint(_CURRENCY_W),
        percent=not frozen.isdisjoint(_PERCENT_W),
        month=raw in _MONTH_EN_W or (not latin and not frozen.isdisjoint(_MONTH_AR_W)),
        year_cue=not frozen.isdisjoint(_YEAR_CUE_W),
        age=not frozen.isdisjoint(_AGE_W),
        label=not frozen.isdisjoint(_LABEL_W),
        model=norm in _MODEL_W,
        people=not frozen.isdisjoint(_PEOPLE_W),
        national=not frozen.isdisjoint(_NATIONAL_W),
        needs_people=not frozen.isdisjoint(_NEEDS_PEOPLE_W),
        left_only=not frozen.isdisjoint(_LEFT_ONLY_W),
        agreeing=not frozen.isdisjoint(_AGREEING_W),
        latin=latin,
    )


_DIGITS = str.maketrans(
    {
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
        "٬": ",",
        "٫": ".",
        "٪": "%",
        "\u2013": "-",
        "\u2212": "-",
        "\u2014": ",",
        "\uff05": "%",
    }
)  # one character for one, so a span of the mapped chunk is a span of the original
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_LETTERS = r"[^\W\d_]+(?:[" + _MARKS + r"]+[^\W\d_]*)*"
_TOKEN = re.compile(
    r"(?P<skip>\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?!\d)|\d{1,2}:\d{2}(?::\d{2})?(?!\d))"
    r"|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d{1,3}(?:\.\d{3})+(?![\d.]\d)|\d+(?:\.\d+)?)"
    r"(?P<suffix>[A-Za-z]+)?"
    rf"|(?P<word>{_LETTERS}(?:['\u2019]{_LETTERS})*)"
)
_BREAK = re.compile(r"[.!?;:،؛؟,\n]")
_PARAGRAPH = "\ue000"  # stands for a line break, which str.split() would swallow
_ABBREVIATIONS = frozenset({"u", "s", "k", "mr", "dr", "st", "no", "gen", "lt", "col", "maj", "sgt"})

_NUM, _WORD, _SKIP = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Tok:
    """One word or number of a whitespace-separated chunk, cached with the chunk."""

    raw: str  # the original characters
    type: int  # _NUM, _WORD or _SKIP (a date, a time, a stray mark of punctuation)
    word: _Word | None
    value: tuple[float, str, str] | None  # numbers: (value, digits, suffix)
    gap: str  # punctuation before it inside its chunk ("$" in "$300", "-" in "Su-34")
    trail: str  # punctuation after it when it ends its chunk ("," in "troops,")
    first: bool  # first in its chunk: a space precedes it
    break_before: bool  # ``gap`` ends a clause
    break_after: bool  # ``trail`` ends a clause
    candidate: bool  # may start a quantity


def _split_chunk(chunk: str) -> tuple[_Tok, ...]:
    mapped = chunk.translate(_DIGITS) if not chunk.isascii() else chunk
    if chunk == _PARAGRAPH:
        return (_Tok("", _SKIP, None, None, "", "\n", True, False, True, False),)
    parts: list[tuple[int, int, str | None, str]] = []  # (start, end, group, suffix)
    for match in _TOKEN.finditer(mapped):
        parts.append((match.start(), match.end(), match.lastgroup, match.group("suffix") or ""))
    if not parts:  # "-", "(", "—": a barrier of punctuation
        breaks = bool(_BREAK.search(mapped))
        return (_Tok("", _SKIP, None, None, mapped, "", True, breaks, False, False),)
    toks: list[_Tok] = []
    previous_end = 0
    previous_short = False
    for index, (start, end, group, suffix) in enumerate(parts):
        raw = chunk[start:end]
        gap = mapped[previous_end:start]
        last = index == len(parts) - 1
        trail = mapped[end:] if last else ""
        short = group == "word" and (len(raw) == 1 or raw.lower() in _ABBREVIATIONS)
        break_before = bool(gap) and bool(_BREAK.search(gap)) and not (previous_short and gap == ".")
        break_after = bool(trail) and bool(_BREAK.search(trail)) and not (short and trail == ".")
        word: _Word | None = None
        value: tuple[float, str, str] | None = None
        if group == "word":
            kind = _WORD
            word = _word(raw)
            candidate = word.number is not None or word.dual is not None
        elif group in ("num", "suffix"):  # lastgroup names the suffix when there is one
            kind = _NUM
            digits = mapped[start : end - len(suffix)]
            value = (_digits_value(digits), digits, suffix)
            candidate = True
        else:
            kind, candidate = _SKIP, False
        toks.append(_Tok(raw, kind, word, value, gap, trail, index == 0, break_before, break_after, candidate))
        previous_end, previous_short = end, short
    return tuple(toks)


_CHUNKS: dict[str, tuple[_Tok, ...]] = {}
_CHUNKS_MAX = 1 << 17


def _chunk(chunk: str) -> tuple[_Tok, ...]:
    toks = _CHUNKS.get(chunk)
    if toks is None:
        if len(_CHUNKS) >= _CHUNKS_MAX:
            _CHUNKS.clear()  # numbers and names vary without end; the common words come back
        toks = _CHUNKS[chunk] = _split_chunk(chunk)
    return toks


class _Tokens:
    """The text's words and numbers in order, each with the punctuation around it.

    Built from ``str.split()`` chunks, each analysed once and cached: the same chunks ("the",
    "troops,", "في") come back in every article, so a warm extractor mostly looks chunks up.
    """

    __slots__ = ("toks", "n", "breaks")

    def __init__(self, text: str) -> None:
        if "\n" in text:
            text = text.replace("\n", f" {_PARAGRAPH} ")
        chunks = text.split()
        get = _CHUNKS.get
        toks: list[_Tok] = []
        for chunk, cached in zip(chunks, map(get, chunks), strict=True):
            toks.extend(cached if cached is not None else _chunk(chunk))
        self.toks = toks
        self.n = len(toks)
        after = False
        breaks: list[bool] = []
        for tok in toks:
            breaks.append(tok.break_before or (tok.first and after))
            after = tok.break_after
        breaks.append(True)  # the end of the text
        self.breaks = breaks

    def brk(self, i: int) -> bool:
        """Whether a clause break (full stop, comma, line break ...) comes before token i."""
        return self.breaks[i] if 0 < i <= self.n else i > self.n

    def gap(self, i: int) -> str:
        """The characters between token i-1 and token i, a space for any run of whitespace."""
        if i >= self.n:
            return self.toks[-1].trail if self.toks else ""
        tok = self.toks[i]
        if tok.first:
            return (self.toks[i - 1].trail if i else "") + " " + tok.gap
        return tok.gap

    def word(self, i: int) -> _Word | None:
        return self.toks[i].word if 0 <= i < self.n else None

    def matches(self, i: int, phrase: _Phrase) -> bool:
        """Whether tokens i… spell ``phrase`` with no break inside."""
        if i < 0 or i + len(phrase) > self.n:
            return False
        for k, alternatives in enumerate(phrase):
            word = self.toks[i + k].word
            if word is None or (k and self.brk(i + k)) or word.keys.isdisjoint(alternatives):
                return False
        return True

    def text(self, start: int, end: int) -> str:
        """The original text of tokens [start, end), whitespace collapsed."""
        parts = [self.toks[start].raw]
        for i in range(start + 1, end):
            parts.append(self.gap(i))
            parts.append(self.toks[i].raw)
        return "".join(parts)


def _is_group(value: tuple[float, str, str] | None) -> bool:
    return value is not None and len(value[1]) == 3 and value[1].isdigit() and not value[2]


def _digits_value(digits: str) -> float:
    if "," in digits:
        return float(digits.replace(",", ""))
    if " " in digits:
        return float(digits.replace(" ", ""))
    if digits.count(".") > 1 or ("." in digits and len(digits.rsplit(".", 1)[1]) == 3):
        return float(digits.replace(".", ""))  # "12.000": European thousands (see _quantity)
    return float(digits)


# ---------------------------------------------------------------------------------------------
# Quantities


@dataclass(slots=True)
class _Quantity:
    start: int  # first token (approximation marker included)
    end: int  # one past the last token (approximation marker included)
    number_start: int
    number_end: int
    value: float
    vague: bool
    approximate: bool
    dual: str | None = None
    strong: bool = False  # "12,000-strong"


def _number(tokens: _Tokens, i: int) -> tuple[int, float, bool] | None:
    """Parse the number starting at token i: (end, value, vague), or None."""
    total = current = 0.0
    vague = False
    previous = ""  # the type of the previous number word, "d" for digits
    j = i
    n = tokens.n
    while j < n:
        if j > i and tokens.brk(j):
            break
        token_type = tokens.toks[j].type
        if token_type == _NUM:
            if j > i:
                break
            value_info = tokens.toks[j].value
            assert value_info is not None
            value, digits, suffix = value_info
            # "12 000", "1 500 000" (spaces, no-break spaces): one number over several chunks
            while (
                not suffix
                and digits.isdigit()
                and (len(digits) <= 3 or j > i)
                and j + 1 < n
                and tokens.gap(j + 1) == " "
                and _is_group(tokens.toks[j + 1].value)
            ):
                j += 1
                group = tokens.toks[j].value
                assert group is not None
                digits += group[1]
                value = float(digits)
            if "." in digits and len(digits.rsplit(".", 1)[1]) == 3 and "," not in digits:
                # "12.000" is twelve thousand, "1.500 million" one and a half
                follower = tokens.word(j + 1)
                if follower and follower.number and follower.number[0] in "sS":
                    value = float(digits.replace(".", "", digits.count(".") - 1))
            if suffix.lower() == "k":
                value *= 1e3
            current = value
            previous = "d"
            j += 1
            continue
        word = tokens.toks[j].word
        if word is None or word.number is None:
            break
        word_type, value, count = word.number
        if j > i and tokens.gap(j).strip() not in ("", "-"):
            break
        if word_type == "u":
            if previous == "d":
                break
            if previous in ("u", "t"):
                teen = previous == "t" or (current < 10 and not word.keys.isdisjoint(_TEN_AR))
                english_compound = word.latin and current in _TENS and value < 10
                if not (teen or english_compound or (word.number_conj and value > current)):
                    break
            elif previous and previous not in "hsSa" and not word.number_conj:
                break
            current += value
        elif word_type == "t":
            following = tokens.word(j + 1)
            if previous or following is None or following.keys.isdisjoint(_TEN_AR):
                break
            current += value
        elif word_type == "h":
            if previous in ("h", "s", "S") and current:
                break
            current = (current or count) * value
        elif word_type == "s":
            total += (current or count) * value
            current = 0.0
        elif word_type == "S":
            if current:
                total += current * value
                current = 0.0
            else:
                current = value
                vague = True
        elif word_type == "v":
            if previous:
                break
            current = value
            vague = True
        elif word_type == "f":
            if previous not in ("", "a"):
                break
            vague = True
        elif word_type == "a":
            if previous:
                break
            current = 1.0
        previous = word_type
        j += 1
        # "hundreds of thousands", "one hundred and fifty": peek past "of" / "and"
        follower = tokens.word(j)
        after = tokens.word(j + 1)
        if follower and after and after.number and not tokens.brk(j) and not tokens.brk(j + 1):
            if follower.keys == _OF and previous in "vS" and after.number[0] == "S":
                j += 1
            elif follower.keys == _AND and previous in "hs" and after.number[0] == "u":
                j += 1
    if j == i or previous in ("a", "f", "t"):
        return None
    value = total + current
    if value < 1:
        return None
    return j, value, vague


_TENS = frozenset(float(v) for v in range(20, 100, 10))


def _phrase_before(tokens: _Tokens, end: int, table: Mapping[str, list[_Phrase]]) -> int | None:
    """Start of a ``table`` phrase ending just before token ``end`` (no break inside), or None."""
    word = tokens.word(end - 1)
    if word is None:
        return None
    for key in word.keys:
        for phrase in table.get(key, ()):
            start = end - len(phrase)
            if tokens.matches(start, phrase) and not tokens.brk(end):
                return start
    return None


def _phrase_after(tokens: _Tokens, start: int, table: Mapping[str, list[_Phrase]]) -> int | None:
    word = tokens.word(start)
    if word is None or tokens.brk(start):
        return None
    for key in word.keys:
        for phrase in table.get(key, ()):
            if tokens.matches(start, phrase):
                return start + len(phrase)
    return None


def _is_noise(tokens: _Tokens, i: int, end: int) -> bool:
    """Whether the number in tokens [i, end) is a year, date, price, unit, label, model …"""
    n = tokens.n
    before = tokens.word(i - 1) if i and not tokens.brk(i) else None
    after = tokens.word(end) if end < n and not tokens.brk(end) else None
    gap_before = tokens.gap(i)
    gap_after = tokens.gap(end)
    counted_next = after is not None and any(not conj for _, _, conj in after.phrases)
    if tokens.toks[i].type == _NUM:
        value_info = tokens.toks[i].value
        assert value_info is not None
        number, digits, suffix = value_info
        suffix = suffix.lower()
        if suffix and suffix != "k":
            return True  # "11th", "155mm", "1990s", "300km"
        if end == i + 1 and len(digits) >= 7 and digits.isdigit():
            return True  # ids, phone numbers
        if not tokens.toks[i].first and not gap_before and before is not None and before.latin:
            return True  # "F16", "Su34"
        if gap_before == "-" and i and tokens.toks[i - 1].type == _WORD:
            return True  # "Su-34", "COVID-19", "Kh-101"
        if i and tokens.toks[i - 1].type == _NUM and not gap_before.strip():
            return True  # "+7 495 123 45": runs of numbers
        if end < n and tokens.toks[end].type == _NUM and not gap_after.strip():
            return True
        if "+" in gap_before or "#" in gap_before:
            return True
        if end == i + 1 and digits.isdigit() and len(digits) == 4 and 1900 <= number <= 2100:
            if (before is not None and before.year_cue) or not counted_next:
                return True  # a year
    if not _MONEY_SIGNS.isdisjoint(gap_before) or "%" in gap_after:
        return True
    if before is not None and (
        before.currency or before.month or before.age or before.model or (before.label and not counted_next)
    ):
        return True
    if after is None:
        return False
    if after.percent or after.currency or after.unit or after.month:
        return True
    if after.keys.isdisjoint(_NOISE_STARTS):
        return False
    return any(tokens.matches(end, phrase) for phrase in (_PER_CENT, _AR_PER_CENT, _YEARS_OLD))


def _quantity(tokens: _Tokens, i: int) -> tuple[_Quantity | None, int]:
    """The quantity starting at token i (or None) and the token to look at next."""
    word = tokens.toks[i].word
    if word is not None and word.dual is not None and word.number is None:
        quantity = _Quantity(i, i + 1, i, i + 1, 2.0, False, False, dual=word.dual)
        return _approximate(tokens, quantity), i + 1
    parsed = _number(tokens, i)
    if parsed is None:
        return None, i + 1
    end, value, vague = parsed
    # A digit range "20-30": the upper bound, approximate.
    approximate = False
    if (
        end == i + 1
        and tokens.toks[i].type == _NUM
        and end < tokens.n
        and tokens.toks[end].type == _NUM
        and tokens.gap(end).strip() == "-"
    ):
        second = tokens.toks[end].value
        assert second is not None
        if second[0] > value and not (value >= 1900 and second[0] <= 2100):
            value, end, approximate = second[0], end + 1, True
        else:
            return None, end + 1
    # "10,000 to 12,000", "between 20 and 30", "بين 20 و30": the upper bound, approximate.
    # "rose from 300 to 600" is two figures, not a range.
    joiner = tokens.word(end)
    if (
        joiner is not None
        and end + 1 < tokens.n
        and not tokens.brk(end)
        and not tokens.brk(end + 1)
        and (
            (not joiner.keys.isdisjoint(_TO) and _FROM.isdisjoint(_keys(tokens, i - 1)))
            or (not joiner.keys.isdisjoint(_AND_W) and not _BETWEEN.isdisjoint(_keys(tokens, i - 1)))
        )
    ):
        upper = _number(tokens, end + 1)
        if upper is not None and upper[1] > value and upper[2] == vague:
            end, value, approximate = upper[0], upper[1], True
    strong = False
    if end < tokens.n and tokens.gap(end) == "-" and tokens.toks[end].type == _WORD:
        follower = tokens.toks[end].raw.lower()
        if follower == "strong":
            strong = True
        elif follower in ("plus", "odd"):
            approximate = True
        else:
            return None, end + 1  # "2,000-pound", "20-year-old"
    if _is_noise(tokens, i, end):
        return None, end
    if word is not None and word.latin and value == 1 and end == i + 1:
        before = tokens.word(i - 1)
        after = tokens.word(end)
        if (before and before.keys & _NO_ONE) or (after and after.keys == _OF):
            return None, end  # "no one", "one of them"
    quantity = _Quantity(i, end, i, end, value, vague, approximate, strong=strong)
    if strong:
        quantity.end += 1
    return _approximate(tokens, quantity), end


def _approximate(tokens: _Tokens, quantity: _Quantity) -> _Quantity:
    start = _phrase_before(tokens, quantity.number_start, _APPROX_BEFORE_P)
    if start is not None:
        quantity.start, quantity.approximate = start, True
    end = _phrase_after(tokens, quantity.end, _APPROX_AFTER_P)
    if end is not None:
        quantity.end, quantity.approximate = end, True
    elif tokens.gap(quantity.number_end).strip().startswith("+"):
        quantity.approximate = True  # "300+"
    return quantity


# ---------------------------------------------------------------------------------------------
# What a quantity counts


def _kind_at(tokens: _Tokens, i: int) -> tuple[str, int, bool] | None:
    """The kind phrase starting at token i: (kind, end, carries و/ف), or None."""
    word = tokens.toks[i].word
    if word is None:
        return None
    for phrase, kind, conj in word.phrases:
        if tokens.matches(i, phrase):
            return kind, i + len(phrase), conj
    return None


def _kind_ending_at(tokens: _Tokens, i: int) -> tuple[str, int] | None:
    """The kind phrase ending at token i (for reading leftwards): (kind, start), or None."""
    for length in (3, 2, 1):
        start = i - length + 1
        if start < 0 or any(tokens.brk(k) for k in range(start + 1, i + 1)):
            continue
        found = _kind_at(tokens, start)
        if found is not None and found[1] == i + 1:
            return found[0], start
    return None


_MAX_FILLERS = 3  # words between a number and its noun: "300 North Korean special forces"
_MAX_RIGHT = 8
_FROM = _words("from من")
_TO = _words("to إلى")
_AND_W = _words("and و")
_BETWEEN = _words("between بين")


def _keys(tokens: _Tokens, i: int) -> frozenset[str]:
    word = tokens.word(i)
    return word.keys if word is not None else frozenset()


_MAX_LINKS = 4
_IN = _words("in at near inside في قرب داخل")
_OF_PEOPLE = _words("among of amongst from بين من في صفوف")


def _outcome_before(tokens: _Tokens, found: tuple[str, int]) -> tuple[str, int]:
    """An outcome phrase right before the object phrase ``found`` (past "among", "of" and
    nationalities), which then names what the number counts; else ``found``."""
    i = found[1] - 1
    for _ in range(_MAX_LINKS):
        if i < 0 or tokens.brk(i + 1):
            break
        outcome = _kind_ending_at(tokens, i)
        if outcome is not None:
            return outcome if outcome[0] in _OUTCOMES else found
        word = tokens.toks[i].word
        if word is None or not (word.national or word.link or not word.keys.isdisjoint(_OF_PEOPLE)):
            break
        i -= 1
    return found


def _attach(tokens: _Tokens, q: _Quantity) -> tuple[str, int, int] | None:
    """(kind, first token, end token) of what ``q`` counts, or None."""
    n = tokens.n
    # Rightwards: [fillers] object [aux] outcome, or [fillers] outcome.
    obj: tuple[str, int] | None = (q.dual, q.number_end) if q.dual else None
    outcome: tuple[str, int] | None = None
    people = obj is not None
    fillers = 0
    past_adjective = False
    j = q.end
    first_after = tokens.word(j) if j < n and not tokens.brk(j) else None
    while j < n and not tokens.brk(j):
        word = tokens.toks[j].word
        if word is None:
            break
        found = _kind_at(tokens, j)
        if found is not None and not found[2] and not word.left_only:
            kind, end, _ = found
            if kind in _OUTCOMES:
                if not past_adjective or word.agreeing:
                    outcome = (kind, end)
                break
            if obj is not None:
                break
            obj, people, j = (kind, end), True, end
            continue
        if obj is not None and word.national:
            past_adjective = True  # "100 جندي كوري شمالي قتلوا"
        elif obj is None:
            if word.stop or found is not None or word.number is not None:
                break
            people = people or word.people
            if not word.aux:
                fillers += 1
            if fillers > _MAX_FILLERS or j - q.end >= _MAX_RIGHT:
                break
        elif not word.aux:
            break
        j += 1
    # Leftwards, through linking words only.
    left: tuple[str, int] | None = None
    cue: int | None = None
    i = q.start - 1
    links = 0
    while i >= 0 and not tokens.brk(i + 1):
        found_left = _kind_ending_at(tokens, i)
        if found_left is not None:
            # "the death toll among North Korean troops rose to 450", "حصيلة قتلى القوات ... إلى
            # 450": the troops are whose toll it is; the outcome before them is what is counted.
            left = _outcome_before(tokens, found_left) if found_left[0] not in _OUTCOMES else found_left
            break
        word = tokens.toks[i].word
        if word is None:
            # "rose from 300 to 600": read 600 past "from 300 to"
            if _FROM.isdisjoint(_keys(tokens, i - 1)) or _TO.isdisjoint(_keys(tokens, i + 1)):
                break
            i -= 2
            continue
        if word.cue and cue is None:
            cue = i
        if links and i >= 2 and not tokens.brk(i) and not _IN.isdisjoint(_keys(tokens, i - 1)):
            # "troops in Kursk rose to 12,000": a place after the counted noun
            before_place = tokens.word(i - 2)
            if _kind_ending_at(tokens, i - 2) is not None or (before_place is not None and before_place.national):
                i -= 2
                links += 1
                continue
        if not (word.link or word.national) or links >= _MAX_LINKS:
            break
        links += 1
        i -= 1
    if outcome is not None:
        return outcome[0], q.start, outcome[1]
    end = obj[1] if obj else q.end
    if left is not None and left[0] in _OUTCOMES:
        needs_people = tokens.toks[left[1]].word
        assert needs_people is not None
        if not needs_people.needs_people or people or first_after is None or first_after.stop:
            return left[0], left[1], end
    if obj is not None and obj[0]:
        return obj[0], q.start, obj[1]
    if left is not None and left[0] not in _OUTCOMES:
        return left[0], left[1], q.end
    if q.strong:
        return "troops", q.start, q.end
    if cue is not None and (first_after is None or first_after.stop):
        return "troops", cue, q.end
    return None


def _evidence(tokens: _Tokens, start: int, end: int) -> str:
    span = tokens.text(start, end)
    if len(span) > _EVIDENCE_MAX:
        span = span[: _EVIDENCE_MAX - 1].rstrip() + "…"
    return span


def extract_figures(text: str, language: Language) -> list[Figure]:
    """Every distinct figure ``text`` states, in text order (see the module docstring).

    ``language`` is the article's language; each word is read by its own script, so a mixed
    text (an English name in an Arabic report) needs no special care and the answer does not
    depend on it. Repeats of the same figure (kind, value, approximate, vague) are dropped.
    """
    del language  # accepted for the pipeline's uniform signature; words carry their script
    if not text:
        return []
    tokens = _Tokens(text)
    figures: list[Figure] = []
    seen: set[tuple[str, int, bool, bool]] = set()
    resume = 0
    for i, tok in enumerate(tokens.toks):
        if i < resume or not tok.candidate:
            continue
        quantity, resume = _quantity(tokens, i)
        if quantity is None:
            continue
        attached = _attach(tokens, quantity)
        if attached is None:
            continue
        kind, first, last = attached
        value = round(quantity.value)
        key = (kind, value, quantity.approximate, quantity.vague)
        if key in seen:
            continue
        seen.add(key)
        start = min(first, quantity.start)
        end = max(last, quantity.end)
        figures.append(Figure(kind, value, quantity.approximate, quantity.vague, _evidence(tokens, start, end)))
    return figures


# ---------------------------------------------------------------------------------------------
# Summaries and comparison


def summarise(figures: Iterable[Figure]) -> dict[str, Figure]:
    """The most salient figure per kind, keys in ``FIGURE_KINDS`` order.

    A stated number beats a vague one ("300" over "hundreds"); among those, the highest wins,
    because reports escalate and a text that gives two tolls ("rose from 300 to 600") ends on
    the current one; at the same value an exact figure beats an approximate one, then the first.
    """
    best: dict[str, Figure] = {}
    for figure in figures:
        held = best.get(figure.kind)
        if held is None or _salience(figure) > _salience(held):
            best[figure.kind] = figure
    return {kind: best[kind] for kind in FIGURE_KINDS if kind in best}


def _salience(figure: Figure) -> tuple[bool, int, bool]:
    return (not figure.vague, figure.value, not figure.approximate)


def format_figure(figure: Figure) -> str:
    """A figure as an alert shows it: "12,000", "~300", "thousands"."""
    if figure.vague:
        return _vague_words(figure.value)
    return ("~" if figure.approximate else "") + f"{figure.value:,}"


def _vague_words(value: int) -> str:
    for floor, words in (
        (1_000_000, "millions"),
        (100_000, "hundreds of thousands"),
        (10_000, "tens of thousands"),
        (1_000, "thousands"),
        (100, "hundreds"),
    ):
        if value >= floor:
            return words
    return "dozens"


def _same(old: Figure, new: Figure, tolerance: float) -> bool:
    if old.vague and new.vague:
        return old.value == new.value
    if old.vague or new.vague:
        vague, exact = (old, new) if old.vague else (new, old)
        return vague.value <= exact.value < vague.value * _VAGUE_SPAN
    return abs(new.value - old.value) <= tolerance * max(old.value, 1)


def compare(old: Mapping[str, Figure], new: Mapping[str, Figure], tolerance: float = 0.1) -> list[FigureChange]:
    """What ``new`` (a report's ``summarise``) changes in ``old`` (the story's), per kind.

    A kind the story did not have is new ("troops: 3,000 (new)"). A kind it had changes when the
    two numbers differ by more than ``tolerance`` of the old one (12,000 → "about 11,500" is the
    same figure, "at least 4" → 5 is not), or when a vague count and a number disagree on size:
    "thousands" agrees with 1,000-19,999, so "thousands" vs 12,000 is no change in either
    direction, while "hundreds" → 12,000 is. A kind only ``old`` has is not a change: a report
    that leaves out a figure does not retract it.
    """
    changes: list[FigureChange] = []
    for kind in FIGURE_KINDS:
        figure = new.get(kind)
        if figure is None:
            continue
        before = old.get(kind)
        if before is None:
            changes.append(FigureChange(kind, None, figure, f"{kind}: {format_figure(figure)} (new)"))
        elif not _same(before, figure, tolerance):
            label = f"{kind}: {format_figure(before)} → {format_figure(figure)}"
            changes.append(FigureChange(kind, before, figure, label))
    return changes


def _check_kinds(tables: Sequence[Mapping[str, object]]) -> None:
    for table in tables:
        unknown = set(table) - set(FIGURE_KINDS)
        assert not unknown, f"unknown figure kinds {unknown}"


_check_kinds((_EN_KINDS, _AR_KINDS))
