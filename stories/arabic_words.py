"""How an Arabic word of a text is read by the watch queries and the search: the proclitic
chains that may precede it (``PROCLITICS``), the closed set of suffixes that may follow it
(``SUFFIXES``), its readings without a proclitic chain (``without_proclitics``) and the keywords
it can contain (``arabic_stems``). The rules and their reasons are in ``stories.query``."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["ARTICLE", "PROCLITICS", "SUFFIXES", "arabic_bases", "arabic_stems", "is_arabic", "without_proclitics"]

_MIN_STEM = 2
ARTICLE = "ال"

# و/ف (and, then) + ب/ل/ك (in, for, like) + ال (the); ل + ال is spelled لل.
PROCLITICS: frozenset[str] = frozenset(
    {
        conj + prep + article
        for conj in ("", "و", "ف")
        for prep in ("", "ب", "ل", "ك")
        for article in ("", ARTICLE)
        if not (prep == "ل" and article)
    }
    | {conj + "لل" for conj in ("", "و", "ف")}
)
# Attached pronouns (his, her, their, our, my), number/relation endings (dual, plurals, nisba)
# and the alef of tanween fatha (جنوداً → جنودا). Kept small on purpose: every entry is a way
# for an unrelated word to match. The second-person pronouns (ك, كم) are left out: rare in news,
# and ك would let كورس match كورسك. The alef has a cost the golden table pins: كوري matches كوريا.
SUFFIXES: frozenset[str] = frozenset(
    {"", "ا", "ه", "ها", "هم", "هما", "هن", "نا", "ي", "ان", "ين", "ون", "ات", "يه", "يين", "يون"}
)
_MAX_PROCLITIC = max(map(len, PROCLITICS))
_MAX_SUFFIX = max(map(len, SUFFIXES))


def is_arabic(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff"


def without_proclitics(word: str) -> list[str]:
    """Every reading of ``word`` with a proclitic chain removed (including none)."""
    bases = [word]
    for cut in range(1, min(_MAX_PROCLITIC, len(word) - _MIN_STEM) + 1):
        proclitic = word[:cut]
        if proclitic in PROCLITICS:
            rest = word[cut:]
            bases.append(rest)
            if proclitic.endswith("لل"):
                bases.append(ARTICLE + rest)  # the article's alef is dropped after ل
    return bases


@lru_cache(maxsize=1 << 16)
def arabic_stems(word: str) -> frozenset[str]:
    """The keywords an Arabic text word can contain: proclitics and one closed-set suffix removed.

    ``arabic_stems("وللقوات")`` includes "قوات" and "القوات". Cached: news vocabulary repeats.
    """
    stems: set[str] = set()
    for base in without_proclitics(word):
        stems.add(base)
        for cut in range(1, min(_MAX_SUFFIX, len(base) - _MIN_STEM) + 1):
            suffix = base[-cut:]
            if suffix not in SUFFIXES:
                continue
            stem = base[:-cut]
            stems.add(stem)
            if stem.endswith("ت"):  # ة is written ت before a suffix: قوتها
                stems.add(stem[:-1] + "ه")
            if suffix == "ات":  # feminine plural replaces ة: مسيرة → مسيرات
                stems.add(stem + "ه")
    return frozenset(stems)


@lru_cache(maxsize=1 << 16)
def arabic_bases(word: str) -> tuple[str, ...]:
    return tuple(without_proclitics(word))
