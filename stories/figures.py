"""Figures a news report states (troops, killed, wounded ...), and whether a report changed them.

DESIGN §3.3: a report on a known story is a ``development`` when it brings "a changed or new
figure (troops, killed, wounded, drones)". This module finds those figures in Arabic and English
text, picks the salient one per kind and compares two sets of them. Pure functions, no I/O.

How a figure is read
--------------------
1. The text is split at whitespace and each chunk into words and numbers, keeping the
   punctuation between them (a "$" before, a "%" after, the comma that ends a clause). Chunks are
   analysed once and cached, since "the", "troops," and "في" come back in every article. Words go
   through ``stories.text.normalise``; Arabic words are also looked up without their proclitics
   (و ف ب ل ك ال), as the query matcher does. Arabic-Indic digits and separators count as digits.
   The evidence of a figure is the original text from its first to its last token.
2. A *quantity* is digits ("12,000", "12.000", "12 000", "١٢٬٠٠٠", "1.5", "12k"), number words
   ("twenty-five", "three hundred and fifty", "ثلاثة وعشرون", "خمسة عشر", "ثلاثمائة"), a digit
   with a scale ("1.5 million", "12 ألف", "12 ألفاً", "3 آلاف"), a vague count ("dozens",
   "hundreds", "tens of thousands", "a few hundred", "عشرات", "مئات", "عشرات الآلاف", "بضعة آلاف")
   or an Arabic dual noun, which counts itself ("جنديين" = 2 soldiers, "مسيرتين" = 2 drones).
   A vague count's value is its unit: dozens 12, عشرات 10, hundreds 100, tens of thousands 10,000.
   An approximation marker right before it ("about", "at least", "نحو", "ما لا يقل عن") or right
   after it ("or more", "تقريباً", "على الأقل", "300+") makes it ``approximate``.
3. Quantities that are not counts are dropped: years (a bare 1900-2100 unless a counted noun
   follows), dates (next to a month name, "15/01/2024"), times, percentages, money (a currency
   sign or word), ages, units ("300 km", "155mm"), ordinals ("11th"), labels ("Brigade 11",
   "الفرقة 11", "Resolution 2231") unless a counted noun follows, weapon models ("Su-34",
   "F-16", "Shahed 136"), compounds ("2,000-pound bomb", "20-year-old"), phone numbers and ids.
4. What it counts comes from the words around it, never across a sentence or comma break:
   - an *outcome* word right after it or after its noun ("300 killed", "300 soldiers were
     killed", "300 قتيل") — killed, wounded, captured, casualties;
   - else an outcome word before it, through linking words only ("killed at least 300 soldiers",
     "the number of dead rose to 600", "مقتل نحو 300 جندي", "إصابة 2700", "أسر جنديين");
   - else an *object* noun after it, past up to three other words ("12,000 North Korean troops",
     "12 ألفاً من الجنود") — troops, drones, missiles, shells;
   - else an object noun before it, through linking words ("troops numbering 12,000");
   - else a deployment verb before it when nothing is counted after it ("deployed 12,000 to
     Russia", "أرسلت 3 آلاف إلى روسيا") or "-strong" ("a 12,000-strong force"): troops.
   - a count after a part marker ("including", "بينهم") names no kind of its own, but a verb
     that agrees with the count past it still does ("15 شخصا بينهم جندي قتلوا" is killed=15).
   An outcome beats an object because the report is about what happened to them: "killed 300
   soldiers" is killed=300, not troops=300. "captured" and "lost" (casualties) before a number
   need people after it (soldiers, people, North Koreans, nothing), so "captured 12 villages"
   and "lost 300 tanks" are not figures.
5. A toll is a running total, given beside parts of it. A count a total word leads to ("rose
   to 11", "bringing the toll to 24", "بلغت 3000", "ارتفاع حصيلة الغارات إلى 11 قتيلا") is the
   toll; the total word also reaches its subject past the toll's complement ("the death toll
   from Israeli strikes on the towns of Haris and Talousa rose to 11"). Other counts of that
   outcome in the same sentence are parts ("after two bodies were recovered") and are dropped,
   as are increments and named parts anywhere ("two more killed", "another 3 dead", "3 قتلى
   جدد", "including four medics"): an alert says "killed: 9 → 11", never "killed: 11 → 2".

6. Two kinds are read apart from counts. An ordinal next to a counted noun is the count it
   reached ("captured a third North Korean soldier" is captured=3, "ثالث جندي", "الجندي
   الثالث"; not "the third time", "a second drone attack", "ثاني أكبر"): ``figure_ordinals``.
   An area with its unit ("14,000 hectares", "35,000 acres", "140 square kilometres", "14 ألف
   هكتار", "400 دونم") is the kind ``area`` in hectares, so units and languages compare:
   ``figure_areas``. Prices and price moves are ``figure_prices``.

The module is split along those steps: ``figure_words`` loads the word tables from
``stories/data/figure_words.toml``, ``figure_tokens`` is step 1, ``figure_numbers`` (one number)
and ``figure_quantities`` steps 2-3,
``figure_attach`` step 4 and what step 5 needs, ``figure_ordinals``, ``figure_areas`` and
``figure_prices`` step 6; this module puts them together and compares figures.

A text may state one kind several times ("rose from 300 to 600"): each distinct figure is
returned once, in text order. ``summarise`` keeps one per kind, ``compare`` says what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from stories.figure_areas import area_figures
from stories.figure_attach import _attach, _evidence, _is_part, _is_total
from stories.figure_ordinals import ordinal_counts
from stories.figure_prices import PRICE_KINDS, format_price, price_figures
from stories.figure_quantities import _Quantity, _quantity
from stories.figure_tokens import _Tokens
from stories.figure_words import _OUTCOMES, FIGURE_KINDS
from stories.types import Language

__all__ = [
    "FIGURE_KINDS",
    "PRICE_KINDS",
    "Figure",
    "FigureChange",
    "compare",
    "extract_figures",
    "format_figure",
    "quantities",
    "summarise",
]

# A vague count covers its unit up to this many times it: "thousands" is 1,000-19,999, so
# "thousands" and 12,000 agree while "hundreds" and 12,000 do not.
_VAGUE_SPAN = 20


@dataclass(frozen=True, slots=True)
class Figure:
    """One count a text states: ``killed`` = 300, approximate ("about 300"), with its evidence."""

    kind: str  # one of FIGURE_KINDS
    value: int  # the stated number; a vague count's unit ("thousands" -> 1000)
    approximate: bool  # "about", "at least", "more than", "نحو", "ما لا يقل عن" ...
    vague: bool  # no exact number: "hundreds", "thousands", "dozens", "مئات", "عشرات"
    evidence: str  # the text it came from, whitespace collapsed, at most 160 characters


@dataclass(frozen=True, slots=True)
class FigureChange:
    """A figure that is new to a story or differs from the one the story had."""

    kind: str
    old: Figure | None
    new: Figure
    label: str  # "killed: 300 → 600", "troops: 3,000 (new)"


def extract_figures(text: str, language: Language) -> list[Figure]:
    """Every distinct figure ``text`` states, in text order (see the module docstring).

    ``language`` is the article's language; each word is read by its own script, so a mixed
    text (an English name in an Arabic report) needs no special care and the answer does not
    depend on it. Repeats of the same figure (kind, value, approximate, vague) are dropped.
    """
    del language  # accepted for the pipeline's uniform signature; words carry their script
    if not text:
        return []
    tokens = _Tokens(text)
    figures: list[Figure] = []
    seen: set[tuple[str, int, bool, bool]] = set()
    read = _read(tokens)
    ordinals = ordinal_counts(tokens)
    if ordinals:
        read = sorted(read + ordinals, key=lambda entry: entry[0])
    for _, kind, value, quantity, first, last in _tolls_only(tokens, read):
        key = (kind, value, quantity.approximate, quantity.vague)
        if key in seen:
            continue
        seen.add(key)
        evidence = _evidence(tokens, min(first, quantity.start), max(last, quantity.end))
        figures.append(Figure(kind, value, quantity.approximate, quantity.vague, evidence))
    for kind, value, start, end in price_figures(tokens):
        key = (kind, value, False, False)
        if key not in seen:
            seen.add(key)
            evidence = _evidence(tokens, start, end)
            if tokens.gap(end).startswith(("%", "٪")):
                evidence += tokens.gap(end)[0]  # the sign is punctuation after the last token
            figures.append(Figure(kind, value, False, False, evidence))
    for hectares, quantity, unit_end in area_figures(tokens):
        key = ("area", hectares, quantity.approximate, False)
        if key not in seen:
            seen.add(key)
            figures.append(
                Figure("area", hectares, quantity.approximate, False, _evidence(tokens, quantity.start, unit_end))
            )
    return figures


# (first token, kind, value, quantity, first and end token of its words) of each count read
_Read = tuple[int, str, int, _Quantity, int, int]
_SENTENCE_ENDS = frozenset(".!?؟\n")


def _each_quantity(tokens: _Tokens) -> Iterator[tuple[int, _Quantity]]:
    """Each quantity of ``tokens`` with its first token, in text order (a quantity's words are
    not read again as the start of another)."""
    resume = 0
    for i, tok in enumerate(tokens.toks):
        if i < resume or not tok.candidate:
            continue
        quantity, resume = _quantity(tokens, i)
        if quantity is not None:
            yield i, quantity


def _read(tokens: _Tokens) -> list[_Read]:
    """Every count in ``tokens`` that counts a kind, in text order; parts of an outcome ("two
    more killed", "including four medics") are no toll and are left out."""
    found: list[_Read] = []
    for i, quantity in _each_quantity(tokens):
        attached = _attach(tokens, quantity)
        if attached is None:
            continue
        kind, first, last = attached
        if kind in _OUTCOMES and _is_part(tokens, quantity, first, last):
            continue
        found.append((i, kind, round(quantity.value), quantity, first, last))
    return found


def _tolls_only(tokens: _Tokens, found: list[_Read]) -> list[_Read]:
    """``found`` less the parts of a toll: where a sentence names the total of an outcome ("the
    toll rose to 11 after two bodies were recovered"), its other counts of that outcome are parts.
    Only an outcome stated with two values can have parts, so most texts are not looked at."""
    values: dict[str, set[int]] = {}
    for _, kind, value, *_ in found:
        if kind in _OUTCOMES:
            values.setdefault(kind, set()).add(value)
    mixed = {kind for kind, stated in values.items() if len(stated) > 1}
    if not mixed:
        return found
    named = {(i, kind) for i, kind, _, quantity, _, _ in found if kind in mixed and _is_total(tokens, quantity)}
    if not named:
        return found
    sentence = _sentences(tokens)
    totals = {(sentence[i], kind) for i, kind in named}
    return [read for read in found if (sentence[read[0]], read[1]) not in totals or (read[0], read[1]) in named]


def _sentences(tokens: _Tokens) -> list[int]:
    """The sentence of each token: a clause break with a full stop, "!", "?" or a line break in it."""
    sentence = 0
    ids: list[int] = []
    for i, clause_break in enumerate(tokens.breaks[: tokens.n]):
        if i and clause_break and not _SENTENCE_ENDS.isdisjoint(tokens.gap(i)):
            sentence += 1
        ids.append(sentence)
    return ids


def quantities(text: str, minimum: int = 10) -> list[int]:
    """Every count ``text`` states, whatever it counts ("1.4 million people", "455,000 doses",
    "12 treatment centres"), at least ``minimum``: the numbers a report gives, for telling a new
    one from a repeated one. Years, dates, times, money, percentages and measures are left out."""
    if not text:
        return []
    tokens = _Tokens(text)
    found: list[int] = []
    for _, quantity in _each_quantity(tokens):
        if not quantity.vague and quantity.value >= minimum:
            value = round(quantity.value)
            if value not in found:
                found.append(value)
    return found


# ---------------------------------------------------------------------------------------------
# Summaries and comparison


def summarise(figures: Iterable[Figure]) -> dict[str, Figure]:
    """The most salient figure per kind, keys in ``FIGURE_KINDS`` order.

    A stated number beats a vague one ("300" over "hundreds"); among those, the highest wins,
    because reports escalate and a text that gives two tolls ("rose from 300 to 600") ends on
    the current one; at the same value an exact figure beats an approximate one, then the first.
    """
    best: dict[str, Figure] = {}
    for figure in figures:
        held = best.get(figure.kind)
        if held is None or _salience(figure) > _salience(held):
            best[figure.kind] = figure
    return {kind: best[kind] for kind in FIGURE_KINDS if kind in best}


def _salience(figure: Figure) -> tuple[bool, int, bool]:
    return (not figure.vague, figure.value, not figure.approximate)


def format_figure(figure: Figure) -> str:
    """A figure as an alert shows it: "12,000", "~300", "thousands", "69.80", "4%", "14,000 ha"."""
    if figure.kind in PRICE_KINDS:
        return format_price(figure.kind, figure.value)
    if figure.kind == "area":
        return ("~" if figure.approximate else "") + f"{figure.value:,} ha"
    if figure.vague:
        return _vague_words(figure.value)
    return ("~" if figure.approximate else "") + f"{figure.value:,}"


def _vague_words(value: int) -> str:
    for floor, words in (
        (1_000_000, "millions"),
        (100_000, "hundreds of thousands"),
        (10_000, "tens of thousands"),
        (1_000, "thousands"),
        (100, "hundreds"),
    ):
        if value >= floor:
            return words
    return "dozens"


def _same(old: Figure, new: Figure, tolerance: float) -> bool:
    if old.vague and new.vague:
        return old.value == new.value
    if old.vague or new.vague:
        vague, exact = (old, new) if old.vague else (new, old)
        return vague.value <= exact.value < vague.value * _VAGUE_SPAN
    return abs(new.value - old.value) <= tolerance * max(abs(old.value), 1)  # a price fall is negative


def _label(kind: str) -> str:
    return kind.replace("_", " ")


def compare(old: Mapping[str, Figure], new: Mapping[str, Figure], tolerance: float = 0.1) -> list[FigureChange]:
    """What ``new`` (a report's ``summarise``) changes in ``old`` (the story's), per kind.

    A kind the story did not have is new ("troops: 3,000 (new)"). A kind it had changes when the
    two numbers differ by more than ``tolerance`` of the old one (12,000 → "about 11,500" is the
    same figure, "at least 4" → 5 is not), or when a vague count and a number disagree on size:
    "thousands" agrees with 1,000-19,999, so "thousands" vs 12,000 is no change in either
    direction, while "hundreds" → 12,000 is. A kind only ``old`` has is not a change: a report
    that leaves out a figure does not retract it.
    """
    changes: list[FigureChange] = []
    for kind in FIGURE_KINDS:
        figure = new.get(kind)
        if figure is None:
            continue
        before = old.get(kind)
        if before is None:
            changes.append(FigureChange(kind, None, figure, f"{_label(kind)}: {format_figure(figure)} (new)"))
        elif not _same(before, figure, tolerance):
            label = f"{_label(kind)}: {format_figure(before)} → {format_figure(figure)}"
            changes.append(FigureChange(kind, before, figure, label))
    return changes
