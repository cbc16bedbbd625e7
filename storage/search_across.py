"""Search across languages: a query naming a place or an actor of the bilingual gazetteer
(``stories.concepts``) also finds the reports that name it in the other language, كورسك ↔ Kursk,
كوريا الشمالية ↔ North Korea.

Each term of the search box that the gazetteer knows gets the concept's names in the other
language as alternatives (``كورسك`` becomes ``كورسك OR "Kursk"``), so the index lookup stays one
query. Each hit then says which names it was found through ("found through: كورسك → Kursk") when
it does not name the term as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from stories.concepts import DEFAULT_ENTITIES
from stories.query import QuerySyntaxError
from stories.query import parse_query as parse_watch_query
from stories.query_match import Document, Query
from stories.text import tokenise

from .search_terms import QUERY_PIECE, QUOTES  # the box is read as storage.search_query reads it

_OPERATORS = ("OR", "AND")
MAX_NAMES = 8  # other-language names added per term


@dataclass(frozen=True, slots=True)
class Expansion:
    """A term of the query as written and the other-language names it also stands for."""

    term: str
    names: tuple[str, ...]

    def label(self, name: str) -> str:
        return f"{self.term.rstrip('*')} → {name.rstrip('*')}"


@dataclass(frozen=True, slots=True)
class Concept:
    names: tuple[str, ...]
    query: Query


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)


def _phrase(term: str) -> Query | None:
    cleaned = " ".join(term.replace('"', " ").split())
    if not tokenise(cleaned.rstrip("*")):
        return None
    try:
        return parse_watch_query(f'"{cleaned}"')
    except QuerySyntaxError:
        return None


@lru_cache(maxsize=1)
def _concepts() -> tuple[Concept, ...]:
    concepts = []
    for kind, names in DEFAULT_ENTITIES.values():
        if kind not in ("place", "actor"):
            continue
        queries = [query for query in (_phrase(name) for name in names) if query is not None]
        if queries:
            combined = parse_watch_query(" OR ".join(f'"{name}"' for name in names))
            concepts.append(Concept(tuple(names), combined))
    return tuple(concepts)


@lru_cache(maxsize=512)
def _names_for(term: str) -> tuple[str, ...]:
    """The other-language names of the gazetteer concept that ``term`` (a word or a phrase as
    typed) names whole, else ()."""
    tokens = tokenise(term.rstrip("*"))
    if not tokens:
        return ()
    document = Document.from_tokens(tokens)
    arabic = _is_arabic(term)
    names: list[str] = []
    for concept in _concepts():
        found = concept.query.match(document)
        # The concept must be the whole term: "Kursk" and "بكورسك" are Kursk, "Kursk region" is not.
        if not found or not any(len(tokenise(hit.rstrip("*"))) == len(tokens) for hit in found):
            continue
        names += [name for name in concept.names if _is_arabic(name) != arabic]
    return tuple(dict.fromkeys(names))[:MAX_NAMES]


def expand(source: str) -> tuple[str, list[Expansion]]:
    """The search box's text with the other-language names of its gazetteer terms ORed in (for
    ``storage.search_query.parse_query``), and what was added."""
    pieces: list[str] = []
    expansions: list[Expansion] = []
    for piece in QUERY_PIECE.findall(source):
        if piece in _OPERATORS:
            pieces.append(piece)
            continue
        quoted = piece[0] in QUOTES
        body = piece[1:].removesuffix(QUOTES[piece[0]]) if quoted else piece
        if quoted and not piece.endswith(QUOTES[piece[0]]):
            piece = piece + QUOTES[piece[0]]  # an unterminated quote ran to the end: close it
        pieces.append(piece)
        names = _names_for(body.strip())
        if names:
            expansions.append(Expansion(body.strip(), names))
            pieces += [part for name in names for part in ("OR", '"' + name.replace('"', " ") + '"')]
    return " ".join(pieces), expansions


def found_through(expansions: Sequence[Expansion], text: str) -> list[str]:
    """For a hit's text: "term → name" for each expansion the hit names only in the other
    language (a hit that names the term as written was not found through it)."""
    if not expansions:
        return []
    document = Document.from_tokens(tokenise(text))
    labels = []
    for expansion in expansions:
        written = _phrase(expansion.term)
        if written is not None and written.match(document):
            continue
        for name in expansion.names:
            query = _phrase(name)
            if query is not None and query.match(document):
                labels.append(expansion.label(name))
                break
    return labels
