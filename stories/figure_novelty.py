"""Which of a report's figures a story has not given: a figure the story (or, for a large count, another
open story of the watch) already gave in any kind, unit, language or wording is not news.

Kept apart from ``stories.novelty``, which judges a report's sentences, categories and places and
calls these for its figures; ``stories.join`` reads ``known_value`` for its agreeing-figures
evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from stories.figure_tokens import _Tokens
from stories.figures import PRICE_KINDS, Figure, FigureChange, compare, quantities
from stories.memory import StoryMemory

# Below this, a troop count is a handful of soldiers in an anecdote ("two soldiers"), not a deployment.
MIN_TROOPS = 100
# A number at least this large that the story already gave under another kind is the same fact
# read differently ("القتلى ... بنحو 300 جندي" read as 300 troops, later "300 killed").
MIN_CROSS_KIND = 50


def close_values(a: int, b: int, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))  # a price fall is negative


def known_value(figure: Figure, memory: StoryMemory, tolerance: float) -> bool:
    """Whether the story already gave this figure (any earlier value counts: a late re-report of
    an old toll is not news)."""
    values = memory.figure_values.get(figure.kind, [])
    if figure.vague:
        return bool(values)  # "thousands" says nothing new next to any stated figure
    if any(close_values(figure.value, value, tolerance) for value in values):
        return True
    if figure.kind in PRICE_KINDS:
        return False  # kept in hundredths: no count of the story is the same number
    if any(close_values(figure.value, value, tolerance) for value in memory.numbers):
        return True  # the story gave the number, read as another kind or as no kind at all
    return figure.value >= MIN_CROSS_KIND and any(
        close_values(figure.value, value, tolerance) for others in memory.figure_values.values() for value in others
    )


def known_to_watch(value: int, others: Sequence[StoryMemory], tolerance: float) -> bool:
    """Whether another open story of the watch gave this count (a large one: small counts recur
    by chance). Its alert told the user; a report that carries it into this story is not news
    for it ("what we know": the drones another story reported)."""
    return value >= MIN_CROSS_KIND and any(known_number(value, other, tolerance) for other in others)


def new_figures(
    figures: Sequence[Figure], memory: StoryMemory, tolerance: float, others: Sequence[StoryMemory] = ()
) -> list[FigureChange]:
    """One change per kind: the first figure of that kind the story (or, for a large count, the
    watch's other open stories, ``others``) never gave."""
    changes: dict[str, FigureChange] = {}
    written: set[int] | None = None  # read only for a price the story's figures lack
    for figure in figures:
        if figure.kind in changes or known_value(figure, memory, tolerance):
            continue
        # A price is read only beside its currency or a price word, which one language often gives
        # and the other not ("30.9 جنيه" / "the official rate stayed at about 30.9"): a price whose
        # number the story wrote is the story's. Left out, egypt alert P 0.84 -> 0.90 (e003, e022).
        if figure.kind in PRICE_KINDS and not figure.vague:
            written = written_prices(memory) if written is None else written
            if figure.value in written:
                continue
        if not figure.vague and figure.kind not in PRICE_KINDS and known_to_watch(figure.value, others, tolerance):
            continue
        if figure.kind == "troops" and figure.value < MIN_TROOPS:
            continue
        old = {figure.kind: memory.figures[figure.kind]} if figure.kind in memory.figures else {}
        for change in compare(old, {figure.kind: figure}, tolerance):
            changes[figure.kind] = change
    return list(changes.values())


def known_number(value: int, memory: StoryMemory, tolerance: float) -> bool:
    known = memory.numbers + [v for values in memory.figure_values.values() for v in values]
    return any(close_values(value, other, tolerance) for other in known)


# A number at least this large, written in the story's sentences in any form, is not new.
MIN_WRITTEN = 100
# A run of digits of either script (int() reads Arabic-Indic digits) with its separators; a run
# with a decimal point ("69.80", "2.2 million") is no whole number.
DIGIT_RUN = r"[0-9\u0660-\u0669][0-9\u0660-\u0669.,\u066c]*"
_WRITTEN = re.compile(DIGIT_RUN)


def digits_value(run: str) -> float | None:
    """The value a run of ``DIGIT_RUN`` writes, its separators dropped; None for no number ("1.2.3")."""
    try:
        return float(run.rstrip(".,\u066c").replace(",", "").replace("\u066c", ""))
    except ValueError:
        return None


def values_written(text: str) -> list[float]:
    """Every number ``text`` writes in digits of either script (float() reads Arabic-Indic digits)."""
    return [value for run in _WRITTEN.findall(text) if (value := digits_value(run)) is not None]


def written_numbers(memory: StoryMemory) -> set[int]:
    """The whole numbers of at least ``MIN_WRITTEN`` that the story's sentences write in digits,
    however they are used: "the 329-seat parliament" or "a 2,000-pound bomb" give no count
    (``stories.figures.quantities`` leaves compounds out), yet a report giving "329 seats" or
    "2,000 pounds" restates them."""
    found: set[int] = set()
    for run in _WRITTEN.findall("\n".join(memory.texts)):
        digits = run.rstrip(".,\u066c")
        if "." not in digits:
            value = int(digits.replace(",", "").replace("\u066c", ""))
            if value >= MIN_WRITTEN:
                found.add(value)
    return found


def written_in(value: int, text: str) -> bool:
    """Whether ``text`` writes ``value`` in digits of either script, to the nearest whole: a
    sentence's counts are kept whole ("13.75 pounds" gives 14). Asked of the story sentence nearest
    in meaning to a report's sentence: "ما لا يقل عن ١٠ مسيرات كل يوم" restates "Ukraine downs 10 a
    day", where the story counted no drones (the number is in a headline, or of a kind it reads
    as no count), and the same number in the sentence it restates is the same fact."""
    return any(abs(written - value) < 1 for written in values_written(text))


@lru_cache(maxsize=8192)
def stated_values(text: str) -> frozenset[int]:
    """Every count ``text`` states, in digits or number words, whatever it counts ("four", "أربع",
    "300"; not dates, years, money), and every ordinal ("a fourth member", "رابعة"): what a
    sentence says of a count that the figure reader may read in one language and not the other."""
    ordinals = {tok.word.ordinal for tok in _Tokens(text).toks if tok.word is not None and tok.word.ordinal}
    return frozenset(quantities(text, minimum=1)) | ordinals


def written_prices(memory: StoryMemory) -> set[int]:
    """The numbers the story's sentences write in digits, in hundredths as prices are kept. A
    price one language gives with its currency ("بقي السعر الرسمي عند 30.9 جنيه") and the other
    without it ("the official rate stayed pinned at about 30.9") is one figure, but only the
    first is read as a price: the story gave it all the same."""
    return {round(value * 100) for value in values_written("\n".join(memory.texts))}
