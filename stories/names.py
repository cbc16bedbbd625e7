"""Proper names matched across scripts by a transliteration key.

Outside the gazetteer nothing says that "Gedaref" and "القضارف", or "Kassala" and "كسلا", are one
place. Both are reduced to a consonant skeleton in one small alphabet (letters that Arabic and
Latin transcriptions render interchangeably share a class: ق ك ج غ خ / k q g c j kh gh; ض د ذ /
d dh; vowels, glides and gutturals are dropped), so a name written in either script gives the
same key: Gedaref and القضارف → "kdrf", Khartoum and الخرطوم → "krtm".

English names are the capitalised words of a sentence (not its first word); Arabic has no
capitals, so every Arabic content word gives a key, and a match needs an English name on the
other side. Keys shorter than three consonants are dropped: they collide too often.

A country is one key in both scripts whatever each calls it ("@EG" for Egypt and مصر, which no
transliteration ties), but only the country a report's title or lead puts its event in
(``country_keys``, ``stories.countries.located``): a country merely named ties other events of the
watch that name it as an actor or an adjective.

Arabic reports do not lack names against their story: every Arabic word gives a key, so an Arabic
report shares "names" with any story that has Arabic reports (twelve dev files, oracle stories:
0.82 against its own story, 0.56 against the others; English 0.56 / 0.20; ``bench/member_join.py
--by-language``). Tried on the twelve dev files left out (story F1 0.745, x-lang 0.766, alert P
0.963) and not adopted: a second key for a word with a lone ب ل ك ("بطهران", "لغروسي": 0.748, under
the +0.008 bar); no key for a word with the article (0.746, mpox 0.68 -> 0.46, kursk 0.92 -> 0.86);
no key for an Arabic stop word, as English names skip theirs (0.748, alert P 0.953); no key for the
news agency a report credits, "Reuters" (0.718, iaea 0.50 -> 0.41); v read also as the glide و and
ch as ج (Kamalvandi كمالوندي, Ravanchi روانجي: no same-story cross-language pair gained, 17 pairs of
different stories tied, not replayed); Arabic على عبر خارج قبالة as the English on, across, outside,
off in ``stories.countries`` (identical figures).
"""

from __future__ import annotations

import functools
import re

from stories.countries import located, mentioned

__all__ = [
    "arabic_keys",
    "country_keys",
    "english_keys",
    "name_key",
    "arabic_place_names",
    "place_names",
    "query_keys",
    "region_keys",
]

MIN_KEY = 3

_LATIN_DIGRAPHS = (
    ("kh", "k"),
    ("zh", "k"),  # ج in Arabic renderings of Slavic names: Sudzha سودجا, Zaporizhzhia زابوريجيا
    ("gh", "k"),
    ("sh", "s"),
    ("ch", "s"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("ck", "k"),
)
_LATIN = {
    **dict.fromkeys("bp", "b"),
    **dict.fromkeys("t", "t"),
    **dict.fromkeys("d", "d"),
    **dict.fromkeys("s", "s"),
    **dict.fromkeys("z", "z"),
    **dict.fromkeys("kqgj", "k"),
    **dict.fromkeys("fv", "f"),
    "l": "l",
    "m": "m",
    "n": "n",
    "r": "r",
    "x": "ks",
}
_ARABIC = {
    **dict.fromkeys("بپ", "b"),
    **dict.fromkeys("تط", "t"),
    **dict.fromkeys("دضذ", "d"),
    **dict.fromkeys("سصثش", "s"),
    **dict.fromkeys("زظ", "z"),
    **dict.fromkeys("كقجغخگ", "k"),
    **dict.fromkeys("فڤ", "f"),
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ر": "r",
}
_ARTICLE = re.compile(r"^(?:[وفبكل]?ال|لل)(?=\w{3,})")
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'’-]{2,}")
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]{3,}")


def _collapse(classes: list[str]) -> str:
    out: list[str] = []
    for c in classes:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def name_key(word: str, shortest: int = MIN_KEY) -> str:
    """The consonant skeleton of a name in either script ("" when shorter than ``shortest``
    consonants: too short to be telling)."""
    if not word:
        return ""
    if word.isascii():
        text = word.lower()
        for digraph, letter in _LATIN_DIGRAPHS:
            text = text.replace(digraph, letter)
        # c before e, i, y is an s ("Mercy"), else a k ("Cairo")
        text = re.sub(r"c(?=[eiy])", "s", text).replace("c", "k")
        key = _collapse([_LATIN[ch] for ch in text if ch in _LATIN])
    else:
        key = _collapse([_ARABIC[ch] for ch in _ARTICLE.sub("", word) if ch in _ARABIC])
    return key if len(key) >= shortest else ""


def english_keys(sentence: str, stop: frozenset[str]) -> set[str]:
    """Keys of the capitalised words of an English sentence, but its first word and stop words."""
    keys = set()
    for match in _CAPITALISED.finditer(sentence):
        if match.start() == 0 or match.group().lower() in stop:
            continue
        key = name_key(match.group().split("'")[0].split("’")[0])
        if key:
            keys.add(key)
    return keys


def arabic_keys(sentence: str) -> set[str]:
    """Keys of every Arabic word of a sentence (any may be a name)."""
    keys = set()
    for word in _ARABIC_WORD.findall(sentence):
        key = name_key(word)
        if key:
            keys.add(key)
    return keys


COUNTRY = "@"  # the mark of a country's key: no transliteration key starts with it


# A country given as the owner of a region ("in Russia's Kursk region", "in Syria's Latakia
# province") is not read as where the event is: the region says that (``region_keys``), and a
# country key from it tied a capture elsewhere in Kursk to a drone strike there over the join bar
# (tests/test_developments.py, the report folded in under the join bar).
_POSSESSIVE = re.compile(r"(\w)['’]s\b")


def country_keys(lead_sentence: str) -> set[str]:
    """One key per country a title or lead sentence puts its event in ("in south Lebanon", "شمال
    لبنان" -> "@LB"), the same in either script. Only for a report's first two sentences
    (``stories.features``): where the event is, not the background. Every country named, anywhere
    in a report, was tried: left out (ten dev topics) story F1 0.725 -> 0.728 but alert P 0.932 ->
    0.926, the fires in Syria and in Lebanon tied by each other's names."""
    return {COUNTRY + code for code in located(_POSSESSIVE.sub(r"\1_s", lead_sentence))}


# Where an English sentence says its event is: the capitalised words after a preposition of place,
# over a few lowercase words ("near the border village of Tetkino", "in eastern Chad", "in Russia's
# Belgorod region"). A name after "says" or before a verb is who, not where.
_PLACE_WORDS = (
    "the|a|an|of|eastern|western|northern|southern|central|north|south|east|west|border|village|town|city"
    "|region|province|district|state|camp|camps|port|area|countryside|coastal|occupied|mountains|hills"
)
_PLACE = re.compile(
    rf"\b(?:in|near|at|outside|around|across|into|inside|off)\s+(?:(?:{_PLACE_WORDS})\s+){{0,4}}"
    r"((?:[A-Z][A-Za-z'’]+(?:\s+|$))*[A-Z][A-Za-z'’]+)"
)


# Words that name a kind of place, not which one ("Kursk Oblast", "Hama Governorate").
_ADMINISTRATIVE = frozenset(
    "oblast region province governorate district state county city town village camp port reserve".split()
)


def place_names(sentence: str, stop: frozenset[str]) -> set[str]:
    """The names an English sentence gives as places (``_PLACE``), lowercased, but stop words
    (Arabic: ``arabic_place_names``).
    Words, not keys: many places are too short for a key ("Chad", "Akkar", "Taiz")."""
    places = set()
    for match in _PLACE.finditer(sentence):
        for word in match.group(1).split():
            word = word.split("'")[0].split("’")[0].lower()
            if word in stop:
                break
            if word not in _ADMINISTRATIVE:
                places.add(word)
    return places


# Arabic has no capitals: a place is the word after a word that says one follows ("قرب تيتكينو",
# "في منطقة بيلغورود", "بلدة القبيات", "ريف مصياف"), with or without a proclitic ب.
_AR_PLACE_KIND = r"ب?(?:منطقة|مدينة|بلدة|قرية|محافظة|ولاية|مخيم|ريف|إقليم)"
_AR_PLACE = re.compile(
    rf"(?<![\u0621-\u064a])(?:(?:قرب|بالقرب من)\s+(?:{_AR_PLACE_KIND}\s+)?|{_AR_PLACE_KIND}\s+)"
    r"([\u0621-\u064a]{3,})"
)


def arabic_place_names(sentence: str) -> set[str]:
    """The words an Arabic sentence gives as places (``_AR_PLACE``)."""
    return set(_AR_PLACE.findall(sentence))


# The first-level region a sentence puts its event in: "Russia's Bryansk region", "Latakia
# province", "Hama Governorate", "Kursk Oblast"; in Arabic the word after "منطقة / محافظة /
# مقاطعة / ولاية / إقليم" ("في منطقة بريانسك"). A possessive before the name is the country; "state" only in lowercase
# ("Islamic State" is no region).
_REGION = re.compile(
    r"((?:[A-Z][A-Za-z'’-]+\s+){1,3})(?:[Rr]egion|[Pp]rovince|[Oo]blast|[Gg]overnorate|state|[Cc]ounty)\b"
)
_AR_REGION = re.compile(r"(?<![\u0621-\u064a])[وبف]?(?:منطقة|محافظة|مقاطعة|ولاية|إقليم)\s+([\u0621-\u064a]{3,})")


# Every report is checked against the leads of every open story (``stories.decide.another_region``):
# up to 60 leads a story, about 10 us each, the same leads for every report: read once.
@functools.lru_cache(maxsize=16_384)
def region_keys(sentence: str) -> frozenset[str]:
    """The keys of the first-level regions a sentence names (``_REGION``, ``_AR_REGION``), in
    either script: "Bryansk region" and "منطقة بريانسك" give the same key."""
    keys = set()
    for match in _REGION.finditer(sentence):
        for word in match.group(1).split():
            if word.endswith(("'s", "’s")):
                continue
            if key := name_key(word):
                keys.add(key)
    for word in _AR_REGION.findall(sentence):
        if key := name_key(word):
            keys.add(key)
    return frozenset(keys)


_QUERY_WORD = re.compile(r"[^\W\d_]+")
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


def query_keys(query: str) -> frozenset[str]:
    """Keys of every word a watch query names, in either script ("Sudan*" and "السودان" alike):
    every report of the watch carries them, so they tell none of its stories apart. So are the
    countries it names (``country_keys``: "Sudan*" and "السودان" alike give "@SD")."""
    keys = {key for word in _QUERY_WORD.findall(query) if word not in _OPERATORS and (key := name_key(word))}
    return frozenset(keys | {COUNTRY + code for code in mentioned(query)})
