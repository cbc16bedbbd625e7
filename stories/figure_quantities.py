"""Quantities in a token stream: digits, number words, scales, vague counts and Arabic duals,
with approximation markers; years, dates, money, units, labels and models are dropped as noise
(an internal part of ``stories.figures``; its module docstring says what is read and why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stories.figure_tokens import _NUM, _WORD, _is_group, _keys, _Tokens, _Word
from stories.figure_words import (
    _AND,
    _AND_W,
    _APPROX_AFTER_P,
    _APPROX_BEFORE_P,
    _AR_NUMBERS,
    _AR_PER_CENT,
    _BETWEEN,
    _FROM,
    _MONEY_SIGNS,
    _NO_ONE,
    _NOISE_STARTS,
    _OF,
    _PER_CENT,
    _TEN_AR,
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


_AND_ONE = frozenset({"واحد", "احد"})


def _joins(current: float, value: float) -> bool:
    """Whether a number word joined by و continues the number so far: units then tens
    ("ثلاثة وعشرون", 3 + 20), and after a round hundred anything below a hundred
    ("أربعمئة وأحد عشر", 400 + 11; "خمسمئة وثمانية وأربعون", 500 + 8 + 40). Two tens or two
    units are two numbers ("ستين وثمانين ألف" is 60,000 and 80,000, not 140,000)."""
    below_hundred = current % 100
    tens = value in _TENS
    if current < 100:
        return 0 < current < 10 and tens
    if value < 100:
        return below_hundred == 0 or (below_hundred < 10 and tens)
    return False


def _number(tokens: _Tokens, i: int) -> tuple[int, float, bool] | None:
    """Parse the number starting at token i: (end, value, vague), or None."""
    total = current = 0.0
    scale = 0.0  # the last scale word's value, which a half after it halves
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
                units = current % 100 if current >= 100 else current
                # "ثلاثة عشر" is 13; "ثلاثة وعشرة" (with و) is 3 and 10
                teen = previous == "t" or (
                    0 < units < 10 and not word.number_conj and not word.keys.isdisjoint(_TEN_AR)
                )
                english_compound = word.latin and current in _TENS and value < 10
                # "وأحد" (and one) folds to "واحد" (one) once hamza is dropped: its و is not seen.
                conj = word.number_conj or word.keys >= _AND_ONE
                if not (teen or english_compound or (conj and _joins(current, value))):
                    break
            elif previous and previous not in "hsSa" and not word.number_conj:
                break
            current += value
        elif word_type == "t":
            following = tokens.word(j + 1)
            after_hundreds = previous == "u" and word.number_conj and _joins(current, value)
            if (previous and not after_hundreds) or following is None or following.keys.isdisjoint(_TEN_AR):
                break
            current += value
        elif word_type == "h":
            if previous in ("h", "s", "S") and current:
                break
            current = (current or count) * value
        elif word_type == "s":
            total += (current or count) * value
            current, scale = 0.0, value
        elif word_type == "S":
            scale = value
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
            if previous == "x":  # "half a million"
                j += 1
                continue
            if previous:
                break
            current = 1.0
        elif word_type == "x":
            if previous in ("s", "S") and word.number_conj and not vague:
                # "مليون ونصف", "ثلاثة ملايين ونصف", "مليون ونصف المليون"
                total += 0.5 * scale
                j += 2 if _is_scale(tokens.word(j + 1), scale) and not tokens.brk(j + 1) else 1
                continue
            if previous:
                break
            current = value  # "half a million", "نصف مليون": read with the scale word after it
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
            elif follower.keys == _AND and after.number[0] == "a" and _is_half(tokens, j + 2):
                if previous == "u" and _is_scale(tokens.word(j + 3), 0.0):
                    current += 0.5  # "two and a half million"
                    j += 3
                elif previous in ("s", "S") and not vague:
                    total += 0.5 * scale  # "a million and a half"
                    j += 3
    if j == i or previous in ("a", "f", "t", "x"):
        return None
    value = total + current
    if value < 1:
        return None
    return j, value, vague


_TENS = frozenset(float(v) for v in range(20, 100, 10))


def _is_half(tokens: _Tokens, j: int) -> bool:
    word = tokens.word(j)
    return word is not None and word.number is not None and word.number[0] == "x" and not tokens.brk(j)


def _is_scale(word: _Word | None, scale: float) -> bool:
    """Whether ``word`` is a scale word (of value ``scale``, any when 0), with or without its
    article: "million", "المليون" after "مليون ونصف"."""
    if word is None:
        return False
    if word.number is not None:
        return word.number[0] in "sS" and (not scale or word.number[1] == scale)
    return any(
        found[0] in "sS" and (not scale or found[1] == scale)
        for key in word.keys
        if (found := _AR_NUMBERS.get(key)) is not None
    )


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
