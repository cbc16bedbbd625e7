"""Which countries a sentence names, and which one it puts its event in, in Arabic or English.

The names are the Unicode CLDR's in both languages (``stories/data/countries.tsv``, written from
Babel by ``scripts/country_names.py``: Babel's locale data loaded here would cost every deciding
process about 11 MiB for 250 names), with the adjective most countries form from them ("Syrian" /
"سوري", "Lebanese" / "اللبنانية", "Israeli" / "إسرائيلية").
``mentioned`` is every country a sentence names or qualifies ("Israeli tanks", "the Lebanese
army"); ``located`` only those it puts something in ("in south Lebanon", "near Syria's border",
"في عكار شمال لبنان", "جنوبي لبنان"): a country that acts ("Egypt agrees to receive flights",
"قبرص ترسل طائرتين") is not where the event is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from importlib.resources import files

__all__ = ["located", "mentioned"]

_AR_LETTER = "\u0621-\u064a"


def _names(column: int) -> dict[str, str]:
    """Country code -> CLDR name in one language of the table (1 English, 2 Arabic)."""
    rows = files("stories").joinpath("data/countries.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return {cells[0]: cells[column] for cells in (row.split("\t") for row in rows) if cells[column]}


_EN_SUFFIXES = ("ian", "ese", "ish", "an", "i")  # Syri-an, Leban-ese, Israel-i, Egypt-ian
_AR_SUFFIXES = ("يين", "يون", "ية", "ي")  # سور-ية, لبنان-ي, عراق-يين


def _english_stem(name: str) -> str:
    """What the adjective adds to: Syria -> Syri(an), Lebanon -> Leban(ese), Israel -> Israel(i),
    Egypt -> Egypt(ian), North Korea -> North Kore(an)."""
    return name[:-2] if name.endswith("on") else name[:-1] if name[-1] in "aeoy" else name


def _arabic_bare(name: str) -> str:
    """The name without its article (العراق -> عراق): an article or proclitic is read apart."""
    return name[2:] if name.startswith("ال") else name


def _arabic_stem(bare: str) -> str:
    """What the adjective adds to: سوريا -> سور(ية), روسيا -> روس(ي), لبنان -> لبنان(ي)."""
    return bare[:-2] if bare.endswith("يا") else bare[:-1] if bare.endswith("ا") else bare


_EN_NAMES, _AR_NAMES = _names(1), _names(2)
_EN_BY_NAME = {name: code for code, name in _EN_NAMES.items()}
_EN_BY_STEM = {_english_stem(name): code for code, name in _EN_NAMES.items()}
_AR_BY_NAME = {_arabic_bare(name): code for code, name in _AR_NAMES.items()}
_AR_BY_STEM = {_arabic_stem(bare): code for bare, code in _AR_BY_NAME.items() if " " not in bare}
_LONGEST = max(len(name.split()) for name in (*_EN_BY_NAME, *_AR_BY_NAME))
_EN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_AR_WORD = re.compile(rf"[{_AR_LETTER}]+")
# A proclitic (و ف ب ل ك), then the article or the ل of لل, before a name.
_AR_PREFIX = re.compile(r"(?:[وف]?[بلك]?)(?:ال|ل)?")


def _english_mentions(sentence: str) -> set[str]:
    """Countries an English sentence names ("Syria's", "North Korea") or qualifies ("Syrian")."""
    words = [word.removesuffix("'s").removesuffix("’s") for word in _EN_WORD.findall(sentence)]
    found = set()
    for start in range(len(words)):
        if not words[start][:1].isupper():
            continue
        for size in range(1, min(_LONGEST, len(words) - start) + 1):
            phrase = " ".join(words[start : start + size])
            if code := _EN_BY_NAME.get(phrase):
                found.add(code)
            for suffix in _EN_SUFFIXES:
                if phrase.endswith(suffix) and (code := _EN_BY_STEM.get(phrase[: -len(suffix)])):
                    found.add(code)
    return found


def _arabic_mentions(sentence: str) -> set[str]:
    """Countries an Arabic sentence names ("بالعراق", "كوريا الشمالية") or qualifies ("السورية")."""
    words = _AR_WORD.findall(sentence)
    found = set()
    for start, word in enumerate(words):
        for cut in range(min(4, len(word) - 2) + 1):
            if not _AR_PREFIX.fullmatch(word[:cut]):
                continue
            head = word[cut:]
            for size in range(1, min(_LONGEST, len(words) - start) + 1):
                if code := _AR_BY_NAME.get(" ".join([head, *words[start + 1 : start + size]])):
                    found.add(code)
            for suffix in _AR_SUFFIXES:
                if head.endswith(suffix) and (code := _AR_BY_STEM.get(head[: -len(suffix)])):
                    found.add(code)
    return found


def _alternation(names: dict[str, str], form: Callable[[str], str]) -> tuple[str, dict[str, str]]:
    """One regex alternation of the countries' names (longest first), a group name per country."""
    groups = {f"c{code}": code for code in names}
    ordered = sorted(names.items(), key=lambda item: -len(form(item[1])))
    return "|".join(f"(?P<c{code}>{re.escape(form(name))})" for code, name in ordered), groups


_EN_PLAIN, _EN_GROUPS = _alternation(_EN_NAMES, str)
_AR_PLAIN, _AR_GROUPS = _alternation(_AR_NAMES, _arabic_bare)
# Where: after a preposition of place and a few words of direction or kind ("in south Lebanon",
# "across northern Syria", "near the Lebanese border" is not: an adjective is no place).
_EN_WHERE = re.compile(
    r"\b(?:in|on|near|across|inside|into|throughout|outside|off)\s+(?:the\s+)?"
    r"(?:(?:north|south|east|west|northern|southern|eastern|western|central|northwest|northeast|southwest|southeast)\s+)?"
    rf"(?:{_EN_PLAIN})(?:'s|’s)?\b"
)
_AR_WHERE = re.compile(
    rf"(?<![{_AR_LETTER}])(?:(?:في|جنوب|جنوبي|شمال|شمالي|شرق|شرقي|غرب|غربي|وسط|داخل|قرب)\s+|[وف]?ب)"
    rf"(?:ال)?(?:{_AR_PLAIN})(?![{_AR_LETTER}])"
)


def _codes(pattern: re.Pattern[str], groups: dict[str, str], text: str) -> set[str]:
    return {groups[name] for match in pattern.finditer(text) for name, value in match.groupdict().items() if value}


# Every report is checked against the leads of every open story: read once per sentence.
@functools.lru_cache(maxsize=16_384)
def mentioned(sentence: str) -> frozenset[str]:
    """The codes of the countries a sentence names or qualifies, either language (words looked
    up, not one pattern of every name: that took about 2 ms a sentence)."""
    return frozenset(_english_mentions(sentence) | _arabic_mentions(sentence))


@functools.lru_cache(maxsize=16_384)
def located(sentence: str) -> frozenset[str]:
    """The codes of the countries a sentence puts something in ("in south Lebanon", "شمال لبنان")."""
    return frozenset(_codes(_EN_WHERE, _EN_GROUPS, sentence) | _codes(_AR_WHERE, _AR_GROUPS, sentence))
