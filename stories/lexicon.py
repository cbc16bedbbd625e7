"""Common Arabic military nouns with broken (internal) plurals, for concept matching.

Query matching never derives one form from another (stories.query): a broken plural shares no
affix with its singular (جندي / جنود), so a query has to list both. This table lets later code
(development categories, suggested query expansions) do that from one place. Entries are
normalised at import with the same normaliser as text, so they compare with normalised words.
"""

from __future__ import annotations

from types import MappingProxyType

from stories.text import normalise

__all__ = ["BROKEN_PLURALS", "word_forms"]

_PAIRS = (
    ("جندي", "جنود"),  # soldier
    ("ضابط", "ضباط"),  # officer
    ("جيش", "جيوش"),  # army
    ("سلاح", "أسلحة"),  # weapon
    ("صاروخ", "صواريخ"),  # missile
    ("قذيفة", "قذائف"),  # shell
    ("مدفع", "مدافع"),  # gun, cannon
    ("دبابة", "دبابات"),  # tank (sound plural, listed for completeness of the concept)
    ("كتيبة", "كتائب"),  # battalion
    ("لواء", "ألوية"),  # brigade
    ("فرقة", "فرق"),  # division
    ("قاعدة", "قواعد"),  # base
    ("موقع", "مواقع"),  # position
    ("خندق", "خنادق"),  # trench
    ("عنصر", "عناصر"),  # (armed) member
    ("مقاتل", "مقاتلون"),  # fighter
    ("قتيل", "قتلى"),  # killed
    ("جريح", "جرحى"),  # wounded
    ("أسير", "أسرى"),  # prisoner of war
    ("مرتزق", "مرتزقة"),  # mercenary
    ("طائرة", "طائرات"),  # aircraft, drone
    ("مسيرة", "مسيرات"),  # drone
)

BROKEN_PLURALS: MappingProxyType[str, str] = MappingProxyType(
    {normalise(singular): normalise(plural) for singular, plural in _PAIRS}
)
_SINGULARS = {plural: singular for singular, plural in BROKEN_PLURALS.items()}


def word_forms(word: str) -> tuple[str, ...]:
    """The normalised ``word`` with its singular or plural partner when the table knows one."""
    word = normalise(word)
    partner = BROKEN_PLURALS.get(word) or _SINGULARS.get(word)
    return (word, partner) if partner else (word,)
