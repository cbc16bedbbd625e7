"""Institutions named in words, one key in both languages: "WHO", "the World Health Organization"
and "منظمة الصحة العالمية" all give "#WHO"; "the IMF" and "صندوق النقد" give "#IMF".

A transliteration key (``stories.names``) ties an Arabic and an English report only when a name is
transliterated (Kursk / كورسك). News translates the names of institutions instead: the IMF is
"صندوق النقد", the Red Cross "الصليب الأحمر", the Houthis "أنصار الله". Of the same-story Arabic
and English pairs of the ten dev timelines 42 % share a name key; with these keys 48 % do
(other-story pairs 25 % -> 28 %; bench/name_keys.py).

The list is hand-written (``stories/data/institutions.toml``): no maintained bilingual list of
organisations ships offline. CLDR (``stories.countries``) has countries, not organisations;
Wikidata has the labels but is an online service or a dump of tens of gigabytes. It holds the
bodies a newsroom meets in any topic (UN agencies, lenders, unions of states, relief and health
bodies, security services, armed movements), a country's armed forces, and the seas, straits and
regions news names in words ("the Red Sea" / "البحر الأحمر"), not the names of one watch. An
office every country has ("the central bank", "civil defence") or an umbrella ("the UN": its
envoy, agencies and spokesman alike) is matched, so that it is not read as a shorter name, but
gives no key: it tells no event of a watch from another.

Weighed as names are, these keys would join a report's name keys (``stories.features``) and the
watch's (``stories.names.query_keys``); ``bench/name_keys.py`` measures them. Not yet joined:
left out (ten dev topics, the join refitted) story F1 0.730 -> 0.741 and x-lang 0.752 -> 0.762,
but wildfire 0.80 -> 0.74: one report's join probability 0.352 -> 0.349 against the bar of 0.35
after the refit, and its story split in three (session 13, branch names13-wire).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import Any

from stories.arabic_words import without_proclitics
from stories.countries import mentioned
from stories.text import tokenise

__all__ = ["INSTITUTION", "institution_keys"]

INSTITUTION = "#"  # the mark of an institution's key: no transliteration or country key starts with it

_EN_WORD = re.compile(r"[^\W\d_]+|\d+")
_ARABIC = re.compile(r"[\u0621-\u064a]")

WordTest = Callable[[str], bool]


def _english_test(word: str) -> WordTest:
    """How a word of an English spelling matches a text word: as written when in capitals ("WHO"),
    with its capital when capitalised ("Amnesty"), in any case when in lowercase ("bank")."""
    folded = word.casefold()
    if len(word) > 1 and word.isupper():
        return word.__eq__
    if word[:1].isupper():
        return lambda text: text[:1].isupper() and text.casefold() == folded
    return lambda text: text.casefold() == folded


# First word (casefolded English, normalised Arabic) -> (the spelling's other words, key), longest first.
_English = dict[str, list[tuple[tuple[WordTest, ...], int, str]]]
_Arabic = dict[str, list[tuple[tuple[str, ...], str]]]


@functools.cache
def _tables() -> tuple[_English, _Arabic]:
    with files("stories").joinpath("data/institutions.toml").open("rb") as handle:
        entries: dict[str, dict[str, Any]] = tomllib.load(handle)
    english: _English = {}
    arabic: _Arabic = {}
    for name, spellings in entries.items():
        key = "" if spellings.get("generic") else INSTITUTION + name
        for spelling in spellings.get("en", []):
            words = _EN_WORD.findall(spelling)
            tests = tuple(_english_test(word) for word in words)
            english.setdefault(words[0].casefold(), []).append((tests, len(words), key))
        for spelling in spellings.get("ar", []):
            words = tokenise(spelling)
            arabic.setdefault(words[0], []).append((tuple(words[1:]), key))
    for options in english.values():
        options.sort(key=lambda option: -option[1])
    for arabic_options in arabic.values():
        arabic_options.sort(key=lambda option: -len(option[0]))
    return english, arabic


def _english_matches(sentence: str, table: _English) -> Iterator[str]:
    words = _EN_WORD.findall(sentence)
    start = 0
    while start < len(words):
        size = 0
        for tests, length, key in table.get(words[start].casefold(), ()):
            window = words[start : start + length]
            if len(window) == length and all(test(word) for test, word in zip(tests, window, strict=True)):
                yield key
                size = length
                break
        start += max(size, 1)


def _arabic_matches(sentence: str, table: _Arabic) -> Iterator[str]:
    words = tokenise(sentence)
    start = 0
    while start < len(words):
        size, found = 0, ""
        for reading in without_proclitics(words[start]):
            for rest, key in table.get(reading, ()):
                if tuple(words[start + 1 : start + 1 + len(rest)]) == rest and len(rest) + 1 > size:
                    found, size = key, len(rest) + 1
                    break
        if size:
            yield found
        start += max(size, 1)


# A country's armed forces, one key in both scripts: "the Lebanese army", "Israeli military",
# "الجيش اللبناني", "القوات المسلحة المصرية" -> "#ARMY@LB" ... (the country by its adjective,
# ``stories.countries.mentioned``). "the army" alone names no one.
_EN_ARMY = re.compile(r"\b([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s+(?:army|military|armed forces)\b")
# Arabic: the one word after ("الجيش في لبنان" is an army in Lebanon, not Lebanon's).
_AR_ARMY = re.compile(r"(?<![\u0621-\u064a])[وفبل]?(?:ال|ل)?(?:جيش|قوات المسلحة)\s+([\u0621-\u064a]+)")


def _army_keys(sentence: str) -> set[str]:
    """The keys of the armed forces a sentence names by their country (``_EN_ARMY``, ``_AR_ARMY``)."""
    keys = set()
    for match in (*_EN_ARMY.finditer(sentence), *_AR_ARMY.finditer(sentence)):
        countries = mentioned(match.group(1))
        if len(countries) == 1:
            keys.add(INSTITUTION + "ARMY@" + next(iter(countries)))
    return keys


@functools.lru_cache(maxsize=16_384)
def institution_keys(sentence: str) -> frozenset[str]:
    """The keys of the institutions a sentence names, in either script ("the WHO said", "قالت
    منظمة الصحة العالمية" -> {"#WHO"})."""
    english, arabic = _tables()
    keys = set(_english_matches(sentence, english)) | _army_keys(sentence)
    if _ARABIC.search(sentence):
        keys.update(_arabic_matches(sentence, arabic))
    keys.discard("")  # a generic office (``generic = true``): matched, so it is not read as a shorter name
    return frozenset(keys)
