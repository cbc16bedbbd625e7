"""The search box's query language: ``parse_query`` reads the box's text (the syntax is in
``storage.search``) into a ``ParsedQuery`` of normalised words, which writes itself out as an FTS5
expression (SQLite, ``to_fts5``) or a ``tsquery`` (PostgreSQL, ``to_tsquery``) with every word
quoted, so no user input reaches either parser as syntax."""

from __future__ import annotations

from dataclasses import dataclass

from stories.arabic_words import is_arabic
from stories.text import tokenise

from .search_terms import ARTICLE, CLITIC_CHAINS, QUERY_PIECE, QUOTES, query_bases, word_forms
from .search_text import MAX_TERM_LENGTH

__all__ = ["MAX_QUERY_TERMS", "ParsedQuery", "Phrase", "Term", "Word", "fts5_quote", "parse_query"]

MAX_QUERY_TERMS = 16
_OPERATOR_OR = "OR"
_OPERATOR_AND = "AND"


@dataclass(frozen=True, slots=True)
class Word:
    """Any of ``forms`` (normalised words), as whole words or as prefixes."""

    forms: tuple[str, ...]
    prefix: bool


@dataclass(frozen=True, slots=True)
class Phrase:
    """Any of ``variants`` (sequences of normalised words) as consecutive words."""

    variants: tuple[tuple[str, ...], ...]
    prefix: bool  # the last word of each variant is a prefix


Term = Word | Phrase


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """AND over groups, OR within a group; ``words`` are the normalised words for snippets."""

    groups: tuple[tuple[Term, ...], ...]
    words: tuple[str, ...]
    prefixes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    def to_fts5(self) -> str:
        expression = " AND ".join(_group(tuple(_fts5_term(term) for term in group), " OR ") for group in self.groups)
        return f"content : ({expression})"  # never the language column

    def to_tsquery(self) -> str:
        return " & ".join(_group(tuple(_ts_term(term) for term in group), " | ") for group in self.groups)


def _group(parts: tuple[str, ...], joiner: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"


def fts5_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _fts5_term(term: Term) -> str:
    star = "*" if term.prefix else ""
    if isinstance(term, Word):
        return _group(tuple(fts5_quote(form) + star for form in term.forms), " OR ")
    return _group(tuple(fts5_quote(" ".join(words)) + star for words in term.variants), " OR ")


def _ts_quote(word: str, prefix: bool) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")


def _ts_term(term: Term) -> str:
    if isinstance(term, Word):
        return _group(tuple(_ts_quote(form, term.prefix) for form in term.forms), " | ")
    variants = []
    for words in term.variants:
        last = len(words) - 1
        quoted = [_ts_quote(word, term.prefix and index == last) for index, word in enumerate(words)]
        variants.append(_group(tuple(quoted), " <-> "))
    return _group(tuple(variants), " | ")


def _phrase_variants(words: list[str]) -> tuple[tuple[str, ...], ...]:
    """The phrase as written, and with any proclitic chain on its first word (لكوريا الشمالية)."""
    first, rest = words[0], tuple(words[1:])
    if not is_arabic(first):
        return ((first, *rest), *(((chain + first), *rest) for chain in CLITIC_CHAINS if len(chain) == 1))
    firsts: dict[str, None] = {}
    for base in query_bases(first):
        firsts[base] = None
        for chain in CLITIC_CHAINS:
            if chain.endswith("لل"):  # ل + ال
                if base.startswith(ARTICLE):
                    firsts[chain + base[len(ARTICLE) :]] = None
            elif not (base.startswith(ARTICLE) and chain.endswith(("ال", "ل"))):
                firsts[chain + base] = None
    return tuple((head, *rest) for head in firsts)


def parse_query(source: str) -> ParsedQuery:
    """Parse a search box's text; never raises. An empty result means "nothing to search for"."""
    groups: list[list[Term]] = []
    words: list[str] = []
    prefixes: list[str] = []
    join_next = False
    for piece in QUERY_PIECE.findall(source):
        if piece == _OPERATOR_OR:
            join_next = bool(groups)
            continue
        if piece == _OPERATOR_AND:
            join_next = False
            continue
        quoted = piece[0] in QUOTES
        body = piece[1:].removesuffix(QUOTES[piece[0]]) if quoted else piece
        body = body.strip()
        prefix = body.endswith("*")
        tokens = [token for token in tokenise(body) if len(token) <= MAX_TERM_LENGTH]
        if not tokens:
            continue
        terms: list[Term]
        if quoted and len(tokens) > 1:
            terms = [Phrase(_phrase_variants(tokens), prefix and len(tokens[-1]) >= 2)]
        elif len(tokens) > 1:
            # A word the normaliser splits (F-16, "a.b") is a phrase of its parts.
            terms = [Phrase(((*tokens,),), prefix and len(tokens[-1]) >= 2)]
        else:
            token_prefix = prefix and len(tokens[0]) >= 2
            terms = [Word(word_forms(tokens[0]), token_prefix)]
        for index, token in enumerate(tokens):
            (prefixes if prefix and index == len(tokens) - 1 and len(token) >= 2 else words).append(token)
        if join_next and groups:
            groups[-1].extend(terms)
        else:
            groups.append(terms)
        join_next = False
        if len(groups) >= MAX_QUERY_TERMS:
            break
    return ParsedQuery(tuple(tuple(group) for group in groups), tuple(words), tuple(prefixes))
