"""The watch query language and its matcher.

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
  optional suffix from a small closed set (``PROCLITICS``/``SUFFIXES`` below). The keyword itself
  is never stemmed: ``كورسك`` matches ``بكورسك`` and ``وكورسك`` but not ``سيكورسكي``.
  ``لل`` counts as ل + ال, so ``الكورية`` matches ``للكورية``. A word ending in ة (ه once
  normalised) also matches its ت form before a suffix (قوة → قوتها) and its plural in ات.
  Broken plurals are different words: list both (``جندي OR جنود``).
- A prefix word matches any text word that starts with it once the proclitics are removed.

Matching is built for many entries against few queries: a term is first looked up as a substring of
the whole normalised text (one C-level scan, which rejects most entries), and only then checked
word by word; the result per (term word, document) is cached on the document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from stories.text import normalise, tokenise

__all__ = [
    "MAX_NESTING",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TOKENS",
    "PROCLITICS",
    "SUFFIXES",
    "Document",
    "Query",
    "QuerySyntaxError",
    "arabic_stems",
    "parse_query",
    "without_proclitics",
]

# Generous for a hand-written watch (the bundled one is ~500 characters, 3 levels deep) and far
# below what the recursive parser and matcher can take.
MAX_QUERY_CHARS = 20_000
MAX_QUERY_TOKENS = 2_000
MAX_NESTING = 50

_OPERATORS = frozenset({"AND", "OR", "NOT"})
_QUOTES = {'"': '"', "“": "”", "«": "»"}
_MIN_PREFIX = 2
_MIN_STEM = 2
_ARTICLE = "ال"

# و/ف (and, then) + ب/ل/ك (in, for, like) + ال (the); ل + ال is spelled لل.
PROCLITICS: frozenset[str] = frozenset(
    {
        conj + prep + article
        for conj in ("", "و", "ف")
        for prep in ("", "ب", "ل", "ك")
        for article in ("", _ARTICLE)
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


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is a 0-based offset into the query source."""

    def __init__(self, message: str, position: int, *, watch: str | None = None) -> None:
        self.message = message
        self.position = position
        self.watch = watch
        where = f"watch {watch!r}: " if watch else ""
        super().__init__(f"{where}{message} (at position {position})")


def _is_arabic(word: str) -> bool:
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
                bases.append(_ARTICLE + rest)  # the article's alef is dropped after ل
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
def _arabic_bases(word: str) -> tuple[str, ...]:
    return tuple(without_proclitics(word))


class Document:
    """A text normalised and split once, then matched against any number of queries."""

    __slots__ = ("text", "tokens", "_positions")

    def __init__(self, normalised: str, tokens: Sequence[str] | None = None) -> None:
        """``normalised`` must already be ``normalise()``d; most callers want ``from_text``.

        ``tokens``, when given, must be ``normalised.split()`` (saves splitting twice).
        """
        self.text = normalised
        self.tokens: tuple[str, ...] = tuple(normalised.split() if tokens is None else tokens)
        self._positions: dict[_WordPattern, frozenset[int]] = {}

    @classmethod
    def from_text(cls, text: str) -> Document:
        return cls(normalise(text))

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> Document:
        """A document from words that ``tokenise`` returned."""
        return cls(" ".join(tokens), tokens)

    def __repr__(self) -> str:
        return f"Document({self.text[:60]!r})"


_NOWHERE: frozenset[int] = frozenset()


@dataclass(frozen=True, eq=False, slots=True)
class _WordPattern:
    """One normalised query word; compared by identity, shared between queries via ``_pattern``."""

    word: str
    prefix: bool
    arabic: bool
    # A substring every matching text word contains, for the whole-text pre-check.
    core: str

    def positions(self, doc: Document) -> frozenset[int]:
        cached = doc._positions.get(self)
        if cached is not None:
            return cached
        found = _NOWHERE
        core = self.core
        if core in doc.text:
            accepts = self.accepts
            found = frozenset(i for i, token in enumerate(doc.tokens) if core in token and accepts(token))
        doc._positions[self] = found
        return found

    def accepts(self, token: str) -> bool:
        if not self.arabic:
            if token.startswith(self.word) if self.prefix else token == self.word:
                return True
            # Arabic text attaches its proclitics to numbers and Latin words too: و12, بـDPRK.
            return _is_arabic(token) and any(
                base.startswith(self.word) if self.prefix else base == self.word for base in _arabic_bases(token)[1:]
            )
        if self.prefix:
            return any(base.startswith(self.word) for base in _arabic_bases(token))
        return self.word in arabic_stems(token)


_PATTERNS: dict[tuple[str, bool], _WordPattern] = {}


def _pattern(word: str, prefix: bool) -> _WordPattern:
    key = (word, prefix)
    pattern = _PATTERNS.get(key)
    if pattern is None:
        arabic = _is_arabic(word)
        core = word
        if arabic:
            # The text may spell the article as لل, and ة as ت or ات: look for what is left.
            if core.startswith(_ARTICLE) and len(core) > len(_ARTICLE) + 1:
                core = core[len(_ARTICLE) :]
            if not prefix and core.endswith("ه") and len(core) > 2:
                core = core[:-1]
        pattern = _PATTERNS[key] = _WordPattern(word, prefix, arabic, core)
    return pattern


# --- the syntax tree -------------------------------------------------------------------------


class _Node:
    def evaluate(self, doc: Document, found: list[str]) -> bool:
        """True when this node matches; appends the labels of matched positive terms to ``found``."""
        raise NotImplementedError

    def positive_terms(self) -> Iterable[str]:
        raise NotImplementedError

    def needs_a_term(self) -> bool:
        """False when this node can be true without any positive term having matched."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class _Term(_Node):
    label: str  # as written in the query, without quotes: reported back for highlighting
    words: tuple[_WordPattern, ...]
    cores: tuple[str, ...]  # the words' cores: most documents lack one, a substring test says so

    def evaluate(self, doc: Document, found: list[str]) -> bool:
        text = doc.text
        for core in self.cores:
            if core not in text:
                return False
        words = self.words
        first = words[0].positions(doc)
        if not first:
            return False
        if len(words) > 1:
            following = [w.positions(doc) for w in words[1:]]
            if not all(following) or not any(
                all(start + offset in positions for offset, positions in enumerate(following, 1)) for start in first
            ):
                return False
        found.append(self.label)
        return True

    def positive_terms(self) -> Iterable[str]:
        yield self.label

    def needs_a_term(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class _And(_Node):
    children: tuple[_Node, ...]

    def evaluate(self, doc: Document, found: list[str]) -> bool:
        mark = len(found)
        for child in self.children:
            if not child.evaluate(doc, found):
                del found[mark:]
                return False
        return True

    def positive_terms(self) -> Iterable[str]:
        for child in self.children:
            yield from child.positive_terms()

    def needs_a_term(self) -> bool:
        return any(child.needs_a_term() for child in self.children)


@dataclass(frozen=True, slots=True)
class _Or(_Node):
    children: tuple[_Node, ...]

    def evaluate(self, doc: Document, found: list[str]) -> bool:
        # No short cut: every matching alternative is reported, for highlighting.
        matched = False
        for child in self.children:
            matched = child.evaluate(doc, found) or matched
        return matched

    def positive_terms(self) -> Iterable[str]:
        for child in self.children:
            yield from child.positive_terms()

    def needs_a_term(self) -> bool:
        return all(child.needs_a_term() for child in self.children)


@dataclass(frozen=True, slots=True)
class _Not(_Node):
    child: _Node

    def evaluate(self, doc: Document, found: list[str]) -> bool:
        return not self.child.evaluate(doc, [])

    def positive_terms(self) -> Iterable[str]:
        return ()

    def needs_a_term(self) -> bool:
        return False


@dataclass(frozen=True)
class Query:
    """A parsed watch query. Build with ``parse_query``."""

    source: str
    root: _Node = field(repr=False)
    terms: tuple[str, ...]  # every positive term (not under NOT), as written, in query order

    def match(self, doc: Document) -> tuple[str, ...]:
        """The terms found in ``doc`` when the query matches it, else ``()``."""
        found: list[str] = []
        if self.root.evaluate(doc, found):
            return tuple(dict.fromkeys(found))
        return ()

    def matches(self, text: str) -> bool:
        """Convenience for one-off checks; reuse a ``Document`` when matching many queries."""
        return bool(self.match(Document.from_text(text)))


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


def _term(token: _Token) -> _Term:
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
    patterns = tuple(_pattern(word, prefix and i == last) for i, word in enumerate(words))
    return _Term(" ".join(raw.split()), patterns, tuple(dict.fromkeys(p.core for p in patterns)))


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

    def parse(self) -> _Node:
        if not self.tokens:
            raise QuerySyntaxError("empty query", 0)
        root = self.parse_or()
        leftover = self.peek()
        if leftover is not None:  # only a ')' can stop parse_or early
            raise QuerySyntaxError("unbalanced ')': no '(' before it", leftover.position)
        return root

    def parse_or(self) -> _Node:
        children = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self.operand_after(token)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else _Or(tuple(children))

    def parse_and(self) -> _Node:
        children = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
                self.operand_after(token)
            children.append(self.parse_unary())  # explicit AND or adjacent terms
        return children[0] if len(children) == 1 else _And(tuple(children))

    def parse_unary(self) -> _Node:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.take()
            self.operand_after(token)
            self.enter(token)
            child = self.parse_unary()
            self.depth -= 1
            return _Not(child)
        return self.parse_primary()

    def parse_primary(self) -> _Node:
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
