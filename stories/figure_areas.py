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

from stories.figure_quantities import _approximate, _number, _Quantity
from stories.figure_tokens import _Tokens
from stories.figure_words import _AREA_UNITS


def area_figures(tokens: _Tokens) -> list[tuple[int, _Quantity, int]]:
    """(hectares, quantity, end token of the unit) of each area ``tokens`` states, in text order."""
    found: list[tuple[int, _Quantity, int]] = []
    resume = 0
    for i, tok in enumerate(tokens.toks):
        if i < resume or not tok.candidate:
            continue
        parsed = _number(tokens, i)
        if parsed is None:
            continue
        end, value, vague = parsed
        resume = end
        per_unit, unit_end = _unit(tokens, end)
        if not per_unit or vague or (i and tokens.gap(i).strip().endswith("-")):
            continue
        hectares = round(value * per_unit)
        if hectares < 1:
            continue
        quantity = _approximate(tokens, _Quantity(i, end, i, end, value, False, False))
        before = tokens.word(quantity.start - 1)
        if before is not None and before.part_before and not tokens.brk(quantity.start):
            continue  # "200 hectares, including 20 hectares of cedars": a part, not the area
        found.append((hectares, quantity, unit_end))
    return found


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
