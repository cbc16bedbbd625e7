"""The words and numbers of a text as ``stories.figures`` reads them (an internal part of it).

The text is split at whitespace and each chunk into words and numbers, keeping the punctuation
between them (a "$" before, a "%" after, the comma that ends a clause). Chunks are analysed once
and cached, since "the", "troops," and "في" come back in every article. Words go through
``stories.text.normalise``; Arabic words are also looked up without their proclitics (و ف ب ل ك
ال), as the query matcher does. Arabic-Indic digits and separators count as digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stories.arabic_words import PROCLITICS
from stories.figure_words import (
    _AGE_W,
    _AGREEING_W,
    _AR_DUAL_W,
    _AR_NUMBERS,
    _AREA_UNITS,
    _AUX_W,
    _CUE_W,
    _CURRENCY_W,
    _EN_NUMBERS,
    _INCREMENT_AFTER_W,
    _INCREMENT_BEFORE_W,
    _KIND_PHRASES,
    _LABEL_W,
    _LEFT_ONLY_W,
    _LINK_W,
    _MODEL_W,
    _MONTH_AR_W,
    _MONTH_EN_W,
    _NATIONAL_W,
    _NEEDS_PEOPLE_W,
    _NUMBER_NO_ARTICLE_W,
    _NUMBER_NO_PREPOSITION_W,
    _ORDINALS,
    _PEOPLE_W,
    _PERCENT_W,
    _STOP_W,
    _SUBSET_W,
    _UNIT_W,
    _YEAR_CUE_W,
    _NumWord,
    _Phrase,
)
from stories.text import normalise


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
    part: bool  # starts a part of the count before it: "including", "بينهم"
    part_before: bool  # makes the count after it a part of a toll: "another", "including"
    increment: bool  # after a count, makes it an increment: "two more", "3 قتلى جدد"
    latin: bool
    ordinal: int  # "third", "ثالث", "الثالثة" -> 3; 0 for any other word
    definite: bool  # an Arabic word with its article: "الثالث" (after its noun), not "ثالث"
    area_unit: bool  # may start an area unit: "hectares", "square", "هكتار", "كيلومترا"


_MAX_CLITIC = max(map(len, PROCLITICS))


@lru_cache(maxsize=1 << 15)
def _word(raw: str) -> _Word:
    norm = normalise(raw).replace(" ", "")
    latin = norm.isascii()
    keys = {norm}
    conj_keys: set[str] = set()
    # Numbers take و/ف (خمسة وعشرون) and ب/ل/ك/ال ("لثلاثين ألف", "الثلاث عشرة", "بآلاف") unless
    # the reading is another word (``_number_takes``): "لست" is "you are not", not ل + ست (six).
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
                if found and number is None and _number_takes(clitic, base, found):
                    number, number_conj = found, conj
                if dual is None:
                    dual = _AR_DUAL_W.get(base)
    phrases = tuple(
        (phrase, kind, key in conj_keys and key != norm) for key in keys for phrase, kind in _KIND_PHRASES.get(key, ())
    )
    frozen = frozenset(keys)
    ordinal_key = norm if norm in _ORDINALS else next((key for key in keys if key in _ORDINALS), "")
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
        part=not frozen.isdisjoint(_SUBSET_W),
        part_before=not frozen.isdisjoint(_SUBSET_W) or not frozen.isdisjoint(_INCREMENT_BEFORE_W),
        increment=not frozen.isdisjoint(_INCREMENT_AFTER_W),
        latin=latin,
        ordinal=_ORDINALS[ordinal_key] if ordinal_key else 0,
        definite=bool(ordinal_key) and norm[: -len(ordinal_key)].endswith("ال"),
        area_unit=not frozen.isdisjoint(_AREA_UNITS),
    )


def _number_takes(clitic: str, base: str, number: _NumWord) -> bool:
    """Whether the Arabic number word ``base`` is read after the proclitic chain ``clitic``."""
    if clitic in ("و", "ف") or number[0] in "Svf":
        return True
    bare = base.removeprefix("ال")
    if bare in _NUMBER_NO_PREPOSITION_W:
        return False
    article = clitic.endswith(("ال", "لل")) or bare != base
    return not (article and bare in _NUMBER_NO_ARTICLE_W)


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


def _keys(tokens: _Tokens, i: int) -> frozenset[str]:
    word = tokens.word(i)
    return word.keys if word is not None else frozenset()
