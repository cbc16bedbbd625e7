"""The words of a search box, shared by the query parser (``storage.search_query``), the snippets
(``storage.search_snippets``) and the results (``storage.search``): how the box's text is cut into
pieces (``QUERY_PIECE``, ``QUOTES``) and which indexed words a query word is looked up as
(``word_forms``: an Arabic word also without its proclitic chain while at least ``MIN_QUERY_BASE``
letters remain; ``storage.search`` documents the rule)."""

from __future__ import annotations

import re
from functools import lru_cache

from stories.arabic_words import PROCLITICS, is_arabic, without_proclitics

__all__ = ["ARTICLE", "CLITIC_CHAINS", "MIN_QUERY_BASE", "QUERY_PIECE", "QUOTES", "query_bases", "word_forms"]

MIN_QUERY_BASE = 3  # a query word's proclitic-stripped form is searched only from this length
ARTICLE = "ال"
CLITIC_CHAINS = tuple(sorted(PROCLITICS - {""}))
QUOTES = {'"': '"', "“": "”", "«": "»"}
QUERY_PIECE = re.compile(r'"[^"]*"?|“[^”]*”?|«[^»]*»?|[^\s"“«]+')


@lru_cache(maxsize=1 << 16)
def _bases(word: str) -> tuple[str, ...]:
    """Every reading of an Arabic ``word`` with a proclitic chain removed, the word itself first.

    The cuts of ``stories.arabic_words.without_proclitics``: ``لل`` is ل + ال, so "للقوات" gives "قوات" and "القوات".
    """
    return tuple(dict.fromkeys(without_proclitics(word)))


def query_bases(word: str) -> tuple[str, ...]:
    return tuple(base for index, base in enumerate(_bases(word)) if index == 0 or len(base) >= MIN_QUERY_BASE)


def word_forms(word: str) -> tuple[str, ...]:
    """The indexed words a query word is looked up as (the rule is in ``storage.search``)."""
    return query_bases(word) if is_arabic(word) else (word,)
