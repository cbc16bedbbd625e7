"""Sums of money a report gives: "$1.5 billion", "1.5 billion dollars", "5 مليارات دولار".

The count reader drops money as noise (a "$2 million" aid package is no troops or toll), and the
price reader keeps only an amount beside what is priced ("Brent at $69.80"). Yet a sum is often
what a development adds to a market or aid story: inflows that rose from $1.5 billion to 5
billion, a pledge, a loan. Read here apart, with its scale, so that two languages giving the same
sum agree ("$1.5 billion" and "1.5 مليار دولار" are both 1.5e9) and a sum no report of the story
gave is a new number for ``stories.novelty``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from stories.figure_numbers import _number
from stories.figure_tokens import _NUM, _Tokens
from stories.figure_words import _MONEY_SIGNS
from stories.memory import StoryMemory

# A scale written into the number ("$150bn", "$3m"; "k" the count reader applies itself).
_SCALE_SUFFIXES = {"bn": 1e9, "b": 1e9, "m": 1e6, "mn": 1e6}


@dataclass(frozen=True, slots=True)
class Money:
    written: float  # the number as the text writes it, before its scale: 1.5 in "$1.5 billion"
    value: float  # the sum: 1.5e9


@lru_cache(maxsize=8192)
def money_amounts(text: str) -> tuple[Money, ...]:
    """Every sum of money ``text`` states with a currency sign before it or a currency word after
    it (past its scale: "1.5 billion dollars"), in text order. Vague sums ("billions of dollars")
    state no amount and are left out."""
    if not text:
        return ()
    tokens = _Tokens(text)
    found: list[Money] = []
    resume = 0
    for i, tok in enumerate(tokens.toks):
        if i < resume or not tok.candidate:
            continue
        parsed = _number(tokens, i)
        if parsed is None:
            continue
        end, value, vague = parsed
        resume = end
        suffix = tok.value[2].lower() if tok.type == _NUM and tok.value is not None else ""
        if suffix in _SCALE_SUFFIXES:
            value *= _SCALE_SUFFIXES[suffix]  # "$150bn", "$3m"
        elif suffix and suffix != "k":
            continue
        after = tokens.word(end) if end < tokens.n and not tokens.brk(end) else None
        money = not _MONEY_SIGNS.isdisjoint(tokens.gap(i)) or (after is not None and after.currency)
        if vague or not money:
            continue
        written = tok.value[0] if tok.type == _NUM and tok.value is not None else value
        found.append(Money(float(written), float(value)))
    return tuple(found)


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def _given(value: float, memory: StoryMemory, tolerance: float) -> bool:
    """Whether the story gave ``value`` as a sum of money or as a count ("11 مليارا من الودائع"
    names no currency: the count reader keeps it)."""
    return money_given(value, memory, tolerance) or any(_close(value, count, tolerance) for count in memory.numbers)


def money_given(value: float, memory: StoryMemory, tolerance: float) -> bool:
    """Whether the story gave ``value`` (a count: "5 مليارات من الودائع") as a sum of money
    ("$5 billion was a direct transfer"): one fact, which only one language wrote with a currency."""
    return any(_close(value, known.value, tolerance) for text in memory.texts for known in money_amounts(text))


def new_money(text: str, memory: StoryMemory, others: Sequence[StoryMemory], tolerance: float) -> list[Money]:
    """The sums ``text`` gives that neither the story (any language, as a sum or a count) nor
    another open story of the watch (``others``: its alert told the user) gave."""
    return [
        money
        for money in money_amounts(text)
        if not _given(money.value, memory, tolerance)
        and not any(_given(money.value, other, tolerance) for other in others)
    ]
