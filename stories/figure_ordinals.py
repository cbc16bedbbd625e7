"""Ordinal counts: "captured a third North Korean soldier", "the second drone", "ثالث جندي",
"أسر الجندي الكوري الثالث" say that the count of that kind reached the ordinal's number (an
internal part of ``stories.figures``).

An ordinal is read only right next to a noun of a figure kind, so "the third time", "the second
round", "a second batch of troops" and "ثاني أكبر" are no counts: in English after a determiner
("a", "the", "its") and before the noun, past nationalities only; in Arabic before an indefinite
noun ("ثالث جندي") or after its noun, past nationalities ("جندي كوري ثالث", "الجندي الكوري
الثالث"). A kind noun that modifies the next word ("a second drone attack") counts that word,
not the kind. What happened to people is read as for any count ("captured a third soldier" is
captured = 3; "lost a second drone" stays drones = 2).
"""

from __future__ import annotations

from stories.figure_attach import _attach, _kind_at, _kind_ending_at
from stories.figure_quantities import _Quantity
from stories.figure_tokens import _Tokens
from stories.figure_words import _DETERMINER_W, _MODIFIED_W, _OUTCOMES, _RANK_W

_MAX_LINKS = 3
_MAX_NATIONALS = 3  # "a third North Korean soldier", "الجندي الكوري الشمالي الثالث"

# (first token, kind, value, quantity, first and end token of its words), as figures._read gives
_Read = tuple[int, str, int, _Quantity, int, int]


def ordinal_counts(tokens: _Tokens) -> list[_Read]:
    """Each ordinal of ``tokens`` next to a noun of a figure kind, in text order."""
    found: list[_Read] = []
    for i, tok in enumerate(tokens.toks):
        word = tok.word
        if word is None or not word.ordinal:
            continue
        noun = _noun(tokens, i)
        if noun is None:
            continue
        kind, noun_start, noun_end = noun
        start = min(noun_start, i)
        if word.latin:
            start -= 1  # the determiner
        quantity = _Quantity(start, i + 1, i, i + 1, float(word.ordinal), False, False)
        attached = _attach(tokens, quantity)
        first, last = min(start, noun_start), max(i + 1, noun_end)
        if kind == "troops":
            outcome = (attached[0], attached[1]) if attached is not None and attached[0] in _OUTCOMES else None
            outcome = outcome or _outcome_before(tokens, start)
            if outcome is not None:
                kind, first = outcome[0], min(first, outcome[1])
        found.append((start, kind, word.ordinal, quantity, first, last))
    return found


def _outcome_before(tokens: _Tokens, start: int) -> tuple[str, int] | None:
    """(kind, first token) of an outcome right before token ``start`` past linking words and
    nationalities ("captured a third soldier", "أعلنت أسر الجندي الثالث"): people, so "captured"
    and "أسر" need nothing more after them."""
    k = start - 1
    for _ in range(_MAX_LINKS):
        if k < 0 or tokens.brk(k + 1):
            return None
        found = _kind_ending_at(tokens, k)
        if found is not None:
            return found if found[0] in _OUTCOMES else None
        word = tokens.word(k)
        if word is None or not (word.link or word.national):
            return None
        k -= 1
    return None


def _noun(tokens: _Tokens, i: int) -> tuple[str, int, int] | None:
    """(kind, first, end token) of the kind noun the ordinal at token i belongs to, or None."""
    word = tokens.toks[i].word
    assert word is not None
    following = tokens.word(i + 1) if not tokens.brk(i + 1) else None
    if following is not None and not following.keys.isdisjoint(_RANK_W):
        return None  # "the second largest", "ثاني أكبر"
    if word.latin:
        before = tokens.word(i - 1)
        if before is None or tokens.brk(i) or before.keys.isdisjoint(_DETERMINER_W):
            return None
        return _noun_after(tokens, i + 1, _MAX_NATIONALS)
    if not word.definite:
        after = _noun_after(tokens, i + 1, 0)  # "ثالث جندي"
        if after is not None:
            return after
    k = i - 1
    for _ in range(_MAX_NATIONALS + 1):  # "الجندي الكوري الشمالي الثالث", "جندي كوري ثالث"
        if k < 0 or tokens.brk(k + 1):
            return None
        found = _kind_ending_at(tokens, k)
        if found is not None:
            head = tokens.word(found[1] - 1) if not tokens.brk(found[1]) else None
            if head is not None and not head.keys.isdisjoint(_MODIFIED_W):
                return None  # "صفقة الأسرى الثالثة": the third deal
            return found[0], found[1], k + 1
        before = tokens.word(k)
        if before is None or not before.national:
            return None
        k -= 1
    return None


def _noun_after(tokens: _Tokens, j: int, nationals: int) -> tuple[str, int, int] | None:
    for _ in range(nationals + 1):
        if j >= tokens.n or tokens.brk(j):
            return None
        found = _kind_at(tokens, j)
        if found is not None and not found[2]:
            kind, end, _ = found
            modified = tokens.word(end) if end < tokens.n and not tokens.brk(end) else None
            if modified is not None and not modified.keys.isdisjoint(_MODIFIED_W):
                return None  # "a second drone attack"
            return kind, j, end
        word = tokens.word(j)
        if word is None or not word.national:
            return None
        j += 1
    return None
