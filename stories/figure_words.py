"""The word tables ``stories.figures`` reads figures with, loaded from ``stories/data/figure_words.toml``.

The tables are data (kinds and their phrases, number words, the word classes around a number,
approximation markers); this module normalises them once at import with the text normaliser,
so they compare with normalised words, and indexes them the way the reader looks them up. It is
an internal part of ``stories.figures`` (as are ``figure_tokens``, ``figure_numbers``,
``figure_quantities`` and ``figure_attach``): other modules use ``stories.figures``.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any

from stories.text import normalise

_Phrase = tuple[frozenset[str], ...]
_NumWord = tuple[str, float, int]


def _load() -> dict[str, Any]:
    with files("stories").joinpath("data/figure_words.toml").open("rb") as handle:
        return tomllib.load(handle)


_DATA = _load()


def _words(source: str) -> frozenset[str]:
    return frozenset(normalise(word) for word in source.split())


def _alternatives(word: str) -> frozenset[str]:
    return frozenset(normalise(alt) for alt in word.split("|"))


def _phrase(source: str) -> _Phrase:
    return tuple(_alternatives(word) for word in source.split())


FIGURE_KINDS: tuple[str, ...] = tuple(_DATA["kinds"])
_OUTCOMES = frozenset(_DATA["outcomes"])
_EN_KINDS: dict[str, list[str]] = _DATA["phrases"]["en"]
_AR_KINDS: dict[str, list[str]] = _DATA["phrases"]["ar"]
_AR_DUALS: dict[str, str] = _DATA["duals"]
_EN_NUMBERS: dict[str, _NumWord] = {
    word: (kind, float(value), count) for word, (kind, value, count) in _DATA["numbers"]["en"].items()
}
_AR_NUMBER_SOURCE: dict[str, _NumWord] = {
    word: (kind, float(value), count) for word, (kind, value, count) in _DATA["numbers"]["ar"].items()
}

_CLASSES: dict[str, str] = _DATA["classes"]
_STOP_W = _words(_CLASSES["stop"])
_AUX_W = _words(_CLASSES["aux"])
_LINK_W = _words(_CLASSES["link"])
_CUE_W = _words(_CLASSES["troop_cues"])
_UNIT_W = _words(_CLASSES["units"])
_CURRENCY_W = _words(_CLASSES["currencies"])
_PERCENT_W = _words(_CLASSES["percent"])
_PER_HUNDRED_W = _words(_CLASSES["per_hundred"])
_MONTH_AR_W = _words(_CLASSES["months_ar"])
_MONTH_EN_W = frozenset(_CLASSES["months_en"].split())  # compared with the original word: "may" is a verb
_YEAR_CUE_W = _words(_CLASSES["year_cues"])
_AGE_W = _words(_CLASSES["ages"])
_LABEL_W = _words(_CLASSES["labels"])
_MODEL_W = _words(_CLASSES["models"])
_NATIONAL_W = _words(_CLASSES["nationals"])
_PEOPLE_W = _words(_CLASSES["people"]) | _NATIONAL_W
_NEEDS_PEOPLE_W = _words(_CLASSES["needs_people"])
_LEFT_ONLY_W = _words(_CLASSES["left_only"])
_AGREEING_W = _words(_CLASSES["agreeing"])
_TOTAL_W = _words(_CLASSES["totals"])
_INCREMENT_AFTER_W = _words(_CLASSES["increments_after"])
_INCREMENT_BEFORE_W = _words(_CLASSES["increments_before"])
_SUBSET_W = _words(_CLASSES["subsets"])
_COMPLEMENT_W = _words(_CLASSES["complements"])
_NUMBER_NO_PREPOSITION_W = _words(_CLASSES["number_no_preposition"])
_NUMBER_NO_ARTICLE_W = _words(_CLASSES["number_no_article"])
_NO_ONE = frozenset({"no", "every", "any", "each", "the", "which", "this", "that"})

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
for _source in _DATA["approximate"]["before"]:
    _p = _phrase(_source)
    for _last in _p[-1]:
        _APPROX_BEFORE_P.setdefault(_last, []).append(_p)
_APPROX_AFTER_P: dict[str, list[_Phrase]] = {}
for _source in _DATA["approximate"]["after"]:
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
_FROM = _words("from من")
_TO = _words("to إلى")
_AND_W = _words("and و")
_BETWEEN = _words("between بين")
_IN = _words("in at near inside في قرب داخل")
_THE = frozenset({"the"})
_AMONG = _words("among amongst بين")
_OF_PEOPLE = _words("among of amongst from the its their بين من في صفوف")


def _check_kinds() -> None:
    for table in (_EN_KINDS, _AR_KINDS, {kind: () for kind in _OUTCOMES}):
        unknown = set(table) - set(FIGURE_KINDS)
        if unknown:
            raise ValueError(f"figure_words.toml: unknown figure kinds {sorted(unknown)}")


_check_kinds()

_ORDINALS: dict[str, int] = dict(_DATA["ordinals"]["en"]) | {
    alt: value for source, value in _DATA["ordinals"]["ar"].items() for alt in _alternatives(source)
}
_DETERMINER_W = _words(_DATA["ordinals"]["determiners"])
_RANK_W = _words(_DATA["ordinals"]["ranks"])
_MODIFIED_W = _words(_DATA["ordinals"]["modified"])
# first word -> [(unit phrase, hectares per unit)], longest phrase first
_AREA_UNITS: dict[str, list[tuple[_Phrase, float]]] = {}
for _source, _hectares in _DATA["areas"].items():
    _p = _phrase(_source)
    for _first in _p[0]:
        _AREA_UNITS.setdefault(_first, []).append((_p, float(_hectares)))
for _units in _AREA_UNITS.values():
    _units.sort(key=lambda entry: -len(entry[0]))

_PRICED_W = _words(_DATA["prices"]["priced"])
_FALL_W = _words(_DATA["prices"]["falls"])
_RISE_W = _words(_DATA["prices"]["rises"])
_MOVE_W = _FALL_W | _RISE_W
_VOLUME_W = _words(_DATA["prices"]["volumes"])
