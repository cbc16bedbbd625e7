"""Areas as figures: "burned more than 14,000 hectares", "35,000 acres", "140 square
kilometres", "14 ألف هكتار", "300 دونم" are the kind ``area``, in hectares (an internal part of
``stories.figures``).

The count reader drops a number before a unit as a measure, not a count. An area with its unit
is what a fire, a flood, a seizure of land or an evacuation zone grows by, so it is read here,
apart, and kept in hectares whatever the unit, so "14,000 hectares" and "34,600 acres" or "140
كيلومترا مربعا" are one figure across reports and languages. Vague areas ("thousands of
hectares") are left out: they give nothing to compare; so are parts ("including 20 hectares").
"""

from __future__ import annotations

from stories.figure_numbers import _number
from stories.figure_quantities import _approximate, _Quantity
from stories.figure_tokens import _Tokens
from stories.figure_words import _AREA_UNITS

# A number before a unit spans at most this many tokens: "three hundred and fifty", "12 ألف".
_MAX_NUMBER_TOKENS = 6


def area_figures(tokens: _Tokens) -> list[tuple[int, _Quantity, int]]:
    """(hectares, quantity, end token of the unit) of each area ``tokens`` states, in text order.

    Read from the units back (few texts name one), so a text without an area costs one pass."""
    found: list[tuple[int, _Quantity, int]] = []
    after_last = 0
    for j, tok in enumerate(tokens.toks):
        if j == 0 or tok.word is None or not tok.word.area_unit or tokens.brk(j):
            continue
        per_unit, unit_end = _unit(tokens, j)
        if not per_unit:
            continue
        start = _number_before(tokens, max(after_last, j - _MAX_NUMBER_TOKENS), j)
        if start is None:
            continue
        parsed = _number(tokens, start)
        assert parsed is not None
        _, value, vague = parsed
        hectares = round(value * per_unit)
        if vague or hectares < 1 or (start and tokens.gap(start).strip().endswith("-")):
            continue
        after_last = unit_end
        quantity = _approximate(tokens, _Quantity(start, j, start, j, value, False, False))
        before = tokens.word(quantity.start - 1)
        if before is not None and before.part_before and not tokens.brk(quantity.start):
            continue  # "200 hectares, including 20 hectares of cedars": a part, not the area
        found.append((hectares, quantity, unit_end))
    return found


def _number_before(tokens: _Tokens, first: int, end: int) -> int | None:
    """The first token, from ``first`` on, of a number that ends just before token ``end``."""
    for k in range(first, end):
        if tokens.toks[k].candidate:
            parsed = _number(tokens, k)
            if parsed is not None and parsed[0] == end:
                return k
    return None


def _unit(tokens: _Tokens, start: int) -> tuple[float, int]:
    """(hectares per unit, end token) of the area unit at token ``start``, or (0, start)."""
    word = tokens.word(start)
    if word is None or tokens.brk(start):
        return 0.0, start
    for key in word.keys:
        for phrase, per_unit in _AREA_UNITS.get(key, ()):
            if tokens.matches(start, phrase):
                return per_unit, start + len(phrase)
    return 0.0, start
