"""Quantities in a token stream: the numbers ``figure_numbers`` reads, ranges, Arabic duals and
approximation markers; years, dates, money, units, labels and models are dropped as noise
(an internal part of ``stories.figures``; its module docstring says what is read and why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stories.figure_numbers import _number
from stories.figure_tokens import _NUM, _WORD, _keys, _Tokens
from stories.figure_words import (
    _AND_W,
    _APPROX_AFTER_P,
    _APPROX_BEFORE_P,
    _AR_PER_CENT,
    _BETWEEN,
    _FROM,
    _MONEY_SIGNS,
    _NO_ONE,
    _NOISE_STARTS,
    _OF,
    _PER_CENT,
    _TO,
    _YEARS_OLD,
    _Phrase,
)


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
    return _noise_after(tokens, end) or _coordinated_noise(tokens, i, end)


def _noise_after(tokens: _Tokens, end: int) -> bool:
    """Whether what follows the number ending at token ``end`` makes it no count: a unit, an age,
    a currency, a month, a percentage."""
    after = tokens.word(end) if end < tokens.n and not tokens.brk(end) else None
    if after is None:
        return "%" in tokens.gap(end)
    if after.percent or after.currency or after.unit or after.month:
        return True
    if after.keys.isdisjoint(_NOISE_STARTS):
        return False
    return any(tokens.matches(end, phrase) for phrase in (_PER_CENT, _AR_PER_CENT, _YEARS_OLD))


def _coordinated_noise(tokens: _Tokens, i: int, end: int) -> bool:
    """Whether the number in tokens [i, end) shares the reading of a number it is coordinated with:
    "20 and 26 years old", "البالغين 20 و26 عاما" (the unit after the second dates both), "aged 20
    and 26" (the age word before the first)."""
    joiner = tokens.word(end) if end + 1 < tokens.n and not tokens.brk(end) else None
    if joiner is not None and not joiner.keys.isdisjoint(_AND_W) and tokens.toks[end + 1].type == _NUM:
        second = _number(tokens, end + 1)
        if second is not None and not tokens.brk(end + 1) and _noise_after(tokens, second[0]):
            return True
    before = tokens.word(i - 1) if i >= 3 and not tokens.brk(i) else None
    if before is None or before.keys.isdisjoint(_AND_W) or tokens.toks[i - 2].type != _NUM or tokens.brk(i - 1):
        return False
    first = tokens.word(i - 3) if not tokens.brk(i - 2) else None
    return first is not None and (first.age or first.currency or first.month)


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
    # "10,000 to 12,000", "between 20 and 30", "بين 20 و30", "بين ستين وثمانين ألف": the upper
    # bound, approximate. "rose from 300 to 600" is two figures, not a range.
    if not approximate:
        upper = _upper_bound(tokens, i, end, value, vague)
        if upper is not None:
            end, value, approximate = upper
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
    quantity = _Quantity(
        _range_start(tokens, i) if approximate else i, end, i, end, value, vague, approximate, strong=strong
    )
    if strong:
        quantity.end += 1
    return _approximate(tokens, quantity), end


def _range_start(tokens: _Tokens, i: int) -> int:
    """The first token of a range whose lower bound starts at token i: "between" / "بين" / "ما
    بين" before it belong to the quantity, so the words before them say what it counts ("killed
    between 20 and 30 soldiers", "مقتل ما بين عشرين وثلاثين شخصا")."""
    if i == 0 or tokens.brk(i) or _BETWEEN.isdisjoint(_keys(tokens, i - 1)):
        return i
    if i >= 2 and not tokens.brk(i - 1) and "ما" in _keys(tokens, i - 2):
        return i - 2
    return i - 1


def _upper_bound(tokens: _Tokens, i: int, end: int, value: float, vague: bool) -> tuple[int, float, bool] | None:
    """The range whose lower bound is the number in tokens [i, end), as (end, upper bound, True),
    or None. A range is "A to B" (not "from A to B": two figures), "between A and B", and two
    numbers coordinated under the second's scale word: "ستين وثمانين ألف" (60,000 to 80,000),
    "three and four million"."""
    joiner = tokens.word(end)
    if joiner is None or tokens.brk(end):
        return None
    between = not _BETWEEN.isdisjoint(_keys(tokens, i - 1))
    if joiner.number is not None and joiner.number_conj:  # "وثمانين": the و is on the number
        second = end
    elif end + 1 < tokens.n and not tokens.brk(end + 1):
        to = not joiner.keys.isdisjoint(_TO) and _FROM.isdisjoint(_keys(tokens, i - 1))
        second = end + 1 if to or not joiner.keys.isdisjoint(_AND_W) else -1
        if to:
            between = True  # "A to B" is a range whatever precedes it
    else:
        return None
    upper = _number(tokens, second) if second >= 0 else None
    if upper is None or upper[1] <= value or upper[2] != vague:
        return None
    if between or _shares_scale(tokens, i, end, upper[0], value, upper[1]):
        return upper[0], upper[1], True
    return None


def _shares_scale(tokens: _Tokens, i: int, end: int, upper_end: int, value: float, upper: float) -> bool:
    """Whether the number in tokens [i, end) takes the scale word that ends the number before
    ``upper_end`` ("ستين وثمانين ألف", "three and four million"): it has no scale of its own and
    is below the other's count of that scale."""
    last = tokens.word(upper_end - 1)
    own = tokens.word(end - 1)
    if last is None or last.number is None or last.number[0] not in "sS":
        return False
    if own is not None and own.number is not None and own.number[0] in "sSh":
        return False
    scale = last.number[1]
    return value < scale and value * scale < upper


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
