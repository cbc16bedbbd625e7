"""Arabic and English text normalisation, tokenising and language detection.

One normaliser serves both the text and the watch queries (DESIGN §3.2), so whatever spelling
variation it folds away in one it folds away in the other. It is on the hot path of every entry,
hence the tables and regular expressions built once at import and the fast paths below.

What ``normalise`` does, in order:

1. Casefold, then Unicode NFKC: presentation forms and ligatures (ﻷ, ﷲ, ﬁ) become plain letters.
2. Arabic letter variants: أ إ آ ٱ → ا, ؤ → و, ئ → ي, ى → ي, ة → ه; Persian/Urdu letters to
   their Arabic look-alikes (ک گ → ك, ی → ي, پ → ب, چ → ج, ژ → ز); Arabic-Indic and Persian
   digits → ASCII. Every combining mark goes (harakat, shadda, sukun, superscript alef, Quranic
   marks, Latin accents, so "Pyŏngyang" → "pyongyang"), as do tatweel and invisible format
   characters.
3. Apostrophes: an English possessive 's is dropped ("Pyongyang's" → "pyongyang"), any other
   apostrophe joins its word ("Sana'a" → "sanaa").
4. Thousands separators inside numbers go ("12,000" and "١٢٬٠٠٠" → "12000"); a decimal point
   stays ("3.5"); every other non-letter, non-digit character separates words.

Words are never stemmed: proper nouns do not survive stemmers (كورسك → ورس). Affix handling
for matching lives in ``stories.arabic_words``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache

from stories.types import Language, LanguageHint

__all__ = ["detect_language", "normalise", "tokenise"]


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    deleted_ranges = [
        (0x0300, 0x036F),  # combining diacritical marks (Latin accents)
        (0x0610, 0x061A),  # Arabic honorific and Quranic signs
        (0x064B, 0x065F),  # harakat, tanween, shadda, sukun, hamza above/below, madda
        (0x0670, 0x0670),  # superscript (dagger) alef
        (0x06D6, 0x06DC),  # Quranic annotation marks
        (0x06DF, 0x06E4),
        (0x06E7, 0x06E8),
        (0x06EA, 0x06ED),
        (0x08D3, 0x08FF),  # Arabic Extended-A marks
        (0x1AB0, 0x1AFF),
        (0x1DC0, 0x1DFF),
        (0x20D0, 0x20FF),
        (0xFE20, 0xFE2F),
        (0x200B, 0x200F),  # zero-width space/joiners, LRM, RLM: invisible, they split words
        (0x202A, 0x202E),  # bidi embeddings
        (0x2066, 0x2069),  # bidi isolates
    ]
    for low, high in deleted_ranges:
        for cp in range(low, high + 1):
            table[cp] = None
    for cp in (0x0640, 0x0674, 0x061C, 0xFEFF, 0x00AD):  # tatweel, high hamza, ALM, BOM, soft hyphen
        table[cp] = None
    letters = {
        "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",  # alef wasla, wavy hamza alefs
        "ى": "ي", "ة": "ه",
        "ک": "ك", "گ": "ك", "ی": "ي", "ې": "ي", "ے": "ي",
        "پ": "ب", "چ": "ج", "ژ": "ز", "ڤ": "ف",
        "ە": "ه", "ہ": "ه", "ھ": "ه",
        "٫": ".", "٬": ",", "٪": "%",
        # typographic apostrophes become ASCII so one regex handles possessives
        "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
    }  # fmt: skip
    for src, dst in letters.items():
        table[ord(src)] = dst
    for src, dst in (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ؤ", "و"), ("ئ", "ي")):
        table[ord(src)] = dst
    # Precomposed Latin letters with accents (é, ŏ, ş ...) fold to their base letters.
    for cp in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        decomposed = unicodedata.normalize("NFKD", chr(cp))
        base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if base and base != chr(cp):
            table[cp] = base
    for digit in range(10):
        table[0x0660 + digit] = str(digit)  # Arabic-Indic
        table[0x06F0 + digit] = str(digit)  # Extended Arabic-Indic (Persian, Urdu)
    return table


_TABLE = _build_table()
# The letters that vary in almost every Arabic sentence are folded with str.replace, which is
# several times faster than a translate() over the whole string.
_COMMON = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ؤ", "و"), ("ئ", "ي"), ("ى", "ي"), ("ة", "ه"))
# Everything else the table touches is rare in news text: find it first, translate only the runs.
_RARE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_TABLE)) + "]+")
# Both patterns start with a literal so the regex engine skips ahead instead of trying every
# position (ten times faster on a news paragraph).
_APOSTROPHE = re.compile(r"'(?:(?<=[^\W_]')s\b)?")
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3}(?!\d))")
# A token is a run of letters and digits; a decimal point between digits stays inside it.
_TOKEN = re.compile(r"[^\W_]+(?:(?<=\d)\.(?=\d)[^\W_]+)*")
_ARABIC_LEAD_BYTES = bytes(range(0xD8, 0xDC))
_ASCII_LETTERS = string.ascii_letters.encode("ascii")


def _translate_run(match: re.Match[str]) -> str:
    return match.group().translate(_TABLE)


def _fold(text: str) -> str:
    """Steps 1-4 of the module docstring, without the final split into words."""
    # casefold before the table: it can emit combining marks ("İ" → "i" + U+0307) for it to drop.
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        for variant, plain in _COMMON:
            if variant in text:
                text = text.replace(variant, plain)
        if _RARE.search(text):
            text = _RARE.sub(_translate_run, text)
    if "'" in text:
        text = _APOSTROPHE.sub("", text)
    if "," in text:
        text = _THOUSANDS.sub("", text)
    return text


def _words(folded: str) -> list[str]:
    # Most words are already clean: str.isalnum() is one C call, and only the words that carry
    # punctuation go through the regex (about twice as fast as a findall over the whole text).
    words: list[str] = []
    for word in folded.split():
        if word.isalnum():
            words.append(word)
        else:
            words += _TOKEN.findall(word)
    return words


def tokenise(text: str) -> list[str]:
    """The normalised words of ``text`` in order (digits kept, "12,000" → "12000")."""
    return list(_recent_tokens(text))


# One entry's title and summary are tokenised by the analysis, the search text, the fingerprint
# and the features in turn: the last few texts are remembered (a tuple, so no caller can alter
# what the next one gets).
@lru_cache(maxsize=64)
def _recent_tokens(text: str) -> tuple[str, ...]:
    return tuple(_words(_fold(text)))


def normalise(text: str) -> str:
    """``text`` folded as the module docstring says, words joined by single spaces.

    Idempotent: ``normalise(normalise(x)) == normalise(x)``.
    """
    return " ".join(_words(_fold(text)))


def detect_language(text: str, hint: LanguageHint = "auto") -> Language:
    """ "ar" when Arabic-script letters are at least as many as Latin letters, else "en".

    A feed configured as "ar" or "en" is trusted over the letter count: the operator knows the
    feed. With too few letters to judge (under 3), the answer is "en". Works on raw or
    normalised text; only the first 2,000 characters are looked at. Other scripts (Cyrillic,
    Hangul) count for neither side: only Arabic and English are told apart.
    """
    if hint == "ar" or hint == "en":
        return hint
    sample = text[:2000]
    if sample.isascii():
        return "en"
    # Counting bytes is a few C calls where a regex over the characters costs ~10 µs per item:
    # in UTF-8 every character of the Arabic block U+0600-U+06FF starts with one of four bytes.
    data = sample.encode("utf-8", "ignore")
    arabic = len(data) - len(data.translate(None, _ARABIC_LEAD_BYTES))
    latin = len(data) - len(data.translate(None, _ASCII_LETTERS))
    if arabic + latin < 3:
        return "en"
    return "ar" if arabic >= latin else "en"
