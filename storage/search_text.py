"""The searchable text of an article (``index_content``): pure, no SQL, so the parse workers build
it off the writer without importing the database layer. ``storage.search`` documents the rules."""

from __future__ import annotations

from functools import lru_cache

from stories.arabic_words import arabic_stems, is_arabic
from stories.text import tokenise

MAX_INDEXED_CHARS = 100_000  # of words, and again of keywords (see index_content)
MAX_TERM_LENGTH = 100  # longer "words" are junk (a pasted hash); tsquery refuses > 2047 bytes


@lru_cache(maxsize=1 << 16)
def _keywords(word: str) -> tuple[str, ...]:
    """The keywords an Arabic text word stands for besides itself (``stories.arabic_words.arabic_stems``)."""
    return tuple(sorted(arabic_stems(word) - {word}))


def index_content(title: str, summary: str, text: str) -> str:
    """The searchable text of an article: its normalised words, then their Arabic keywords.

    Words longer than a query may be (``MAX_TERM_LENGTH``) are left out, and the words and the
    keywords are each cut at ``MAX_INDEXED_CHARS``: a page of a book's length, or of junk, must
    still fit PostgreSQL's 1 MB tsvector.
    """
    # Each part alone: the parse worker has just tokenised the title and summary (tokenise
    # remembers them), and no word spans two parts.
    tokens = [*tokenise(title), *tokenise(summary), *tokenise(text)]
    words = _capped([word for word in tokens if len(word) <= MAX_TERM_LENGTH])
    keywords = _capped([keyword for word in words if is_arabic(word) for keyword in _keywords(word)])
    return " ".join(words + keywords) if keywords else " ".join(words)


def _capped(words: list[str]) -> list[str]:
    if sum(map(len, words)) + len(words) <= MAX_INDEXED_CHARS:  # nearly always: all of them
        return words
    kept: list[str] = []
    budget = MAX_INDEXED_CHARS
    for word in words:
        budget -= len(word) + 1
        if budget < 0:
            break
        kept.append(word)
    return kept
