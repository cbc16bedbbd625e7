"""One number in a token stream: digits (with their groups: "12 000", "12.000 s"), English and
Arabic number words compounded (units, teens, tens, hundreds, scales: "أربعمئة وأحد عشر ألف",
"two and a half million"), vague counts ("thousands", "آلاف") and halves (an internal part of
``stories.figures``, read by ``figure_quantities``, ``figure_areas`` and ``figure_money``). Written
by hand: no maintained library reads Arabic number words with their proclitics and و-compounds.
"""

from __future__ import annotations

from stories.figure_tokens import _NUM, _is_group, _Tokens, _Word
from stories.figure_words import _AND, _AR_NUMBERS, _OF, _TEN_AR

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
