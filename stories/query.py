"""The watch query language: its syntax, its bounds and its parser (``parse_query``). The parsed
query and its matcher are in ``stories.query_match``, the Arabic word rules in
``stories.arabic_words``.

Syntax (DESIGN §3.2)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*       adjacent terms are ANDed: `Kursk troops`
    unary   := "NOT" unary | primary        NOT binds tightest: `a NOT b` = a AND (NOT b)
    primary := "(" query ")" | word | "phrase"

- Only the upper-case words AND, OR and NOT are operators; "and", "or", "not" are search words.
- A phrase is quoted with "…", “…” or «…» and matches consecutive words.
- A trailing ``*`` makes the last word a prefix: ``troop*``, ``"North Korea*"``. A ``*`` anywhere
  else is an error, and a prefix needs at least two characters.
- A word that the normaliser splits (``F-16``, ``Pyongyang's``) is matched as a phrase of its parts.
- A query must need at least one positive term to match: ``NOT x`` alone is refused, because a
  match is reported as the terms it found.
- A query is bounded: at most ``MAX_QUERY_CHARS`` characters, ``MAX_QUERY_TOKENS`` words and
  operators, and ``MAX_NESTING`` levels of parentheses and ``NOT`` inside one another. The parser
  and the matcher recurse once per level, so an unbounded query would end in a RecursionError
  instead of an answer.

Terms are normalised with ``stories.text.normalise``, like the text, so a query written with
hamza, ى, ة, diacritics or tatweel finds every spelling. Per word:

- Latin-script (and any non-Arabic) words match a whole word exactly, case-insensitively, with no
  plural or other suffix rule: ``Kursk`` does not match "Kurskaya", ``soldier`` does not match
  "soldiers" (write ``soldier*``). An English possessive is already gone after normalisation.
  An Arabic proclitic in front of them is allowed (``12000`` matches و12000).
- Arabic words match a text word made of an optional proclitic chain, the word itself, and an
  optional suffix from a small closed set (``PROCLITICS``/``SUFFIXES`` in ``stories.arabic_words``).
  The keyword itself is never stemmed: ``كورسك`` matches ``بكورسك`` and ``وكورسك`` but not ``سيكورسكي``.
  ``لل`` counts as ل + ال, so ``الكورية`` matches ``للكورية``. A word ending in ة (ه once
  normalised) also matches its ت form before a suffix (قوة → قوتها) and its plural in ات.
  Broken plurals are different words: list both (``جندي OR جنود``).
- A prefix word matches any text word that starts with it once the proclitics are removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from stories.query_match import And, Node, Not, Or, Query, Term, word_pattern
from stories.text import tokenise

__all__ = [
    "MAX_NESTING",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TOKENS",
    "QuerySyntaxError",
    "parse_query",
]

# Generous for a hand-written watch (the bundled one is ~500 characters, 3 levels deep) and far
# below what the recursive parser and matcher can take.
MAX_QUERY_CHARS = 20_000
MAX_QUERY_TOKENS = 2_000
MAX_NESTING = 50

_OPERATORS = frozenset({"AND", "OR", "NOT"})
_QUOTES = {'"': '"', "“": "”", "«": "»"}
_MIN_PREFIX = 2


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is a 0-based offset into the query source."""

    def __init__(self, message: str, position: int, *, watch: str | None = None) -> None:
        self.message = message
        self.position = position
        self.watch = watch
        where = f"watch {watch!r}: " if watch else ""
        super().__init__(f"{where}{message} (at position {position})")


# --- the parser ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "word", "phrase"
    text: str
    position: int


def _lex(source: str) -> list[_Token]:
    if len(source) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"the query is {len(source):,} characters long; at most {MAX_QUERY_CHARS:,} are allowed", MAX_QUERY_CHARS
        )
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if len(tokens) == MAX_QUERY_TOKENS:
            raise QuerySyntaxError(f"the query has more than {MAX_QUERY_TOKENS:,} words and operators", i)
        if char in "()":
            tokens.append(_Token(char, char, i))
            i += 1
        elif char in _QUOTES:
            end = source.find(_QUOTES[char], i + 1)
            if end < 0:
                raise QuerySyntaxError(f"the quote {char} is never closed", i)
            tokens.append(_Token("phrase", source[i + 1 : end], i + 1))
            i = end + 1
        else:
            start = i
            while i < n and not source[i].isspace() and source[i] not in "()" and source[i] not in _QUOTES:
                i += 1
            word = source[start:i]
            tokens.append(_Token(word if word in _OPERATORS else "word", word, start))
    return tokens


def _term(token: _Token) -> Term:
    raw = token.text
    body = raw.rstrip()
    prefix = body.endswith("*")
    if prefix:
        body = body[:-1]
        if not body or body[-1].isspace():
            raise QuerySyntaxError("'*' must follow a word", token.position + len(body))
    star = body.find("*")
    if star >= 0:
        raise QuerySyntaxError("'*' is only allowed at the end of a term", token.position + star)
    words = tokenise(body)
    if not words:
        what = "empty phrase" if token.kind == "phrase" else f"{raw!r} has no letters or digits"
        raise QuerySyntaxError(what, token.position)
    if prefix and len(words[-1]) < _MIN_PREFIX:
        raise QuerySyntaxError(f"a prefix needs at least {_MIN_PREFIX} characters before '*'", token.position)
    last = len(words) - 1
    patterns = tuple(word_pattern(word, prefix and i == last) for i, word in enumerate(words))
    return Term(" ".join(raw.split()), patterns, tuple(dict.fromkeys(p.core for p in patterns)))


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _lex(source)
        self.index = 0
        self.depth = 0  # parentheses and NOTs open around the current token

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QuerySyntaxError(f"parentheses and NOT are nested more than {MAX_NESTING} deep", token.position)

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def operand_after(self, operator: _Token) -> None:
        following = self.peek()
        if following is None or following.kind in ("AND", "OR", ")"):
            raise QuerySyntaxError(f"{operator.kind} needs a term after it", operator.position)

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError("empty query", 0)
        root = self.parse_or()
        leftover = self.peek()
        if leftover is not None:  # only a ')' can stop parse_or early
            raise QuerySyntaxError("unbalanced ')': no '(' before it", leftover.position)
        return root

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self.operand_after(token)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
                self.operand_after(token)
            children.append(self.parse_unary())  # explicit AND or adjacent terms
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.take()
            self.operand_after(token)
            self.enter(token)
            child = self.parse_unary()
            self.depth -= 1
            return Not(child)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("the query ends where a term was expected", len(self.source))
        if token.kind in ("AND", "OR"):
            raise QuerySyntaxError(f"{token.kind} needs a term before it", token.position)
        if token.kind == ")":
            raise QuerySyntaxError("unbalanced ')': no '(' before it", token.position)
        self.take()
        if token.kind == "(":
            following = self.peek()
            if following is not None and following.kind == ")":
                raise QuerySyntaxError("empty parentheses", token.position)
            if following is None:
                raise QuerySyntaxError("unbalanced '(': it is never closed", token.position)
            self.enter(token)
            inner = self.parse_or()
            self.depth -= 1
            closing = self.peek()
            if closing is None:
                raise QuerySyntaxError("unbalanced '(': it is never closed", token.position)
            self.take()
            return inner
        return _term(token)


def parse_query(source: str) -> Query:
    """Parse a watch query; raises ``QuerySyntaxError`` with the offending position."""
    root = _Parser(source).parse()
    if not root.needs_a_term():
        raise QuerySyntaxError("the query can match without any of its terms; add a term beside NOT", 0)
    return Query(source, root, tuple(dict.fromkeys(root.positive_terms())))
