"""Snippets of search hits: ``SnippetMatcher`` finds the first word of a ``ParsedQuery`` in an
article's original (not normalised) text by the index's own rule, and cuts at most
``SNIPPET_LENGTH`` characters of plain text around it; only the first ``SNIPPET_SCAN_CHARS``
characters of a text are scanned."""

from __future__ import annotations

import re

from stories.arabic_words import arabic_stems, is_arabic
from stories.text import tokenise

from .search_query import ParsedQuery
from .search_terms import query_bases, word_forms

__all__ = ["SNIPPET_LENGTH", "SNIPPET_SCAN_CHARS", "SnippetMatcher"]

SNIPPET_LENGTH = 240
_SNIPPET_LEAD = 60  # characters of context kept before the first hit
_CHUNK = re.compile(r"\S+")
SNIPPET_SCAN_CHARS = 50_000


class SnippetMatcher:
    """Finds the first query word in original (not normalised) text, for a snippet around it."""

    def __init__(self, parsed: ParsedQuery) -> None:
        self.exact = {form for word in parsed.words for form in word_forms(word)}
        self.prefixes = tuple({form for word in parsed.prefixes for form in word_forms(word)})
        # A substring every matching word contains once normalised: a cheap test before the scan.
        self.cores = tuple({*(_core(word) for word in parsed.words), *self.prefixes})

    def _matches(self, token: str) -> bool:  # the index's rule: a query form among the token's keywords
        forms = arabic_stems(token) if is_arabic(token) else (token,)
        return any(form in self.exact or form.startswith(self.prefixes) for form in forms)

    def first_hit(self, text: str) -> tuple[int, int] | None:
        text = text[:SNIPPET_SCAN_CHARS]
        folded = " ".join(tokenise(text))
        if not any(core in folded for core in self.cores):
            return None
        for chunk in _CHUNK.finditer(text):
            if any(self._matches(token) for token in tokenise(chunk.group())):
                return chunk.start(), chunk.end()
        return None

    def snippet(self, summary: str, text: str, title: str) -> str:
        for source in (summary, text):
            hit = self.first_hit(source)
            if hit is not None:
                return _window(source, hit[0])
        return _window(summary or text or title, 0)


def _core(word: str) -> str:
    if not is_arabic(word):
        return word
    shortest = min(query_bases(word), key=len)
    return shortest[:-1] if len(shortest) > 2 else shortest  # ة is written ت before a suffix


def _window(text: str, hit: int) -> str:
    text = " ".join(text.split())  # collapse newlines and runs of spaces; offsets shift a little
    if len(text) <= SNIPPET_LENGTH:
        return text
    hit = min(hit, len(text))
    start = max(0, hit - _SNIPPET_LEAD)
    if start > 0:
        space = text.find(" ", start, hit)
        start = space + 1 if space != -1 else start
    end = start + SNIPPET_LENGTH - (1 if start > 0 else 0) - 1
    if end >= len(text):
        end = len(text)
        start = max(0, end - SNIPPET_LENGTH + 1)
    else:
        space = text.rfind(" ", start, end)
        end = space if space > start + SNIPPET_LENGTH // 2 else end
    body = text[start:end].strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
