"""Prices and price moves as figures: "Brent crude fell to $69.80 a barrel" is ``price`` 69.80,
"Oil fell 4%" and "تراجع خام برنت 4%" are ``price_change`` -4% (an internal part of
``stories.figures``).

The count reader drops money and percentages as noise (a "$2 million" aid package, a "40%"
turnout are no troops or tolls). A market's reaction is carried by exactly those numbers, so they
are read here, apart, and only where the sentence names what is priced (price, Brent, crude,
"أسعار", "خام", "للبرميل" ...): the story then gains a figure a later report can change, and a
report that gives a new price is a development even when its wording is far from the story's.
Values are kept in hundredths (69.80 → 6980, a 4.5% fall → -450) so the integer figure path compares
them; ``format_price`` prints them back.
"""

from __future__ import annotations

from stories.figure_tokens import _NUM, _Tokens
from stories.figure_words import _FALL_W, _MONEY_SIGNS, _MOVE_W, _PER_HUNDRED_W, _PRICED_W, _VOLUME_W

PRICE_KINDS = frozenset({"price", "price_change"})

# How far before a number (in tokens, within its sentence) the priced word and the move word may be.
_PRICED_BEFORE = 12
_MOVE_BEFORE = 6
_SENTENCE_ENDS = frozenset(".!?؟\ue000")


def _sentence_start(tokens: _Tokens, i: int, reach: int) -> int:
    """The first token at most ``reach`` before token i that is in i's sentence."""
    k = i
    while k > 0 and i - k < reach:
        if any(mark in tokens.gap(k) for mark in _SENTENCE_ENDS):
            break
        k -= 1
    return k


def _has(tokens: _Tokens, start: int, end: int, table: frozenset[str]) -> bool:
    for k in range(start, end):
        word = tokens.word(k)
        if word is not None and not word.keys.isdisjoint(table):
            return True
    return False


def price_figures(tokens: _Tokens) -> list[tuple[str, int, int, int]]:
    """(kind, value in hundredths, first token, end token) of each price or price move."""
    found: list[tuple[str, int, int, int]] = []
    for i, tok in enumerate(tokens.toks):
        if tok.type != _NUM or tok.value is None or tok.value[2]:
            continue  # "11th", "155mm": no price
        amount = tok.value[0]
        after = tokens.word(i + 1) if not tokens.brk(i + 1) else None
        percent = "%" in tokens.gap(i + 1) or "٪" in tokens.gap(i + 1) or (after is not None and after.percent)
        if not percent and after is not None and "في" in after.keys:
            following = tokens.word(i + 2)
            percent = following is not None and not following.keys.isdisjoint(_PER_HUNDRED_W)
        money = not _MONEY_SIGNS.isdisjoint(tokens.gap(i)) or (after is not None and after.currency)
        if not (percent or money):
            continue
        start = _sentence_start(tokens, i, _PRICED_BEFORE)
        end = i + 1
        if after is not None and (after.currency or after.percent):
            end += 1
        elif percent and after is not None and "في" in after.keys:
            end += 2  # "4 في المئة"
        priced_after = _has(tokens, end, min(end + 3, tokens.n), _PRICED_W) and not any(
            tokens.brk(k) for k in range(end, min(end + 3, tokens.n))
        )
        if not (_priced_before(tokens, start, i) or (money and priced_after)):
            continue
        if percent:
            sign = _move_sign(tokens, max(start, i - _MOVE_BEFORE), i)
            if sign:
                found.append(("price_change", sign * round(amount * 100), _clause_start(tokens, i), end))
        elif not _moved_by(tokens, i):
            found.append(("price", round(amount * 100), _clause_start(tokens, i), end))
    return found


def _clause_start(tokens: _Tokens, i: int) -> int:
    """Where the evidence of the number at token i starts: its clause, at most 5 words back."""
    k = i
    while k > 0 and i - k < 5 and not tokens.brk(k):
        k -= 1
    return k


def _move_sign(tokens: _Tokens, start: int, i: int) -> int:
    """-1 when the move word nearest before token i (from ``start``) is a fall, 1 for a rise,
    0 when there is none."""
    for k in range(i - 1, start - 1, -1):
        word = tokens.word(k)
        if word is not None and not word.keys.isdisjoint(_MOVE_W):
            return -1 if not word.keys.isdisjoint(_FALL_W) else 1
    return 0


def _priced_before(tokens: _Tokens, start: int, i: int) -> bool:
    """Whether a priced word comes before token i (from ``start``) with no volume word between:
    "Brent fell 4%" is a price move, "oil output will rise 2%", "crude exports fell 5%" and
    "زاد إنتاج النفط 2%" are not."""
    for k in range(i - 1, start - 1, -1):
        word = tokens.word(k)
        if word is None:
            continue
        if not word.keys.isdisjoint(_VOLUME_W):
            return False
        if not word.keys.isdisjoint(_PRICED_W):
            # "إنتاج النفط": the priced word is the complement of a volume word before it
            owner = tokens.word(k - 1)
            return owner is None or owner.keys.isdisjoint(_VOLUME_W)
    return False


def _moved_by(tokens: _Tokens, i: int) -> bool:
    """Whether the money amount at token i is a move ("fell $2", "down $1.20"), not a level."""
    before = tokens.word(i - 1)
    return before is not None and not tokens.brk(i) and not before.keys.isdisjoint(_MOVE_W)


def format_price(kind: str, value: int) -> str:
    """A price figure as an alert shows it: "69.80", "71", "+4%", "-4.5%"."""
    amount = value / 100
    if kind == "price_change":
        return f"{amount:+g}%"
    return f"{amount:,.2f}" if value % 100 else f"{value // 100:,}"
