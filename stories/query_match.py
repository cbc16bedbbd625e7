"""A parsed watch query (``Query``) and its matcher, over a text normalised and split once
(``Document``). The parser (``stories.query``) builds the syntax tree of ``Term``, ``And``, ``Or``
and ``Not`` nodes; each term word is a pattern shared between queries (``word_pattern``).

Matching is built for many entries against few queries: a term is first looked up as a substring of
the whole normalised text (one C-level scan, which rejects most entries), and only then checked
word by word; the result per (term word, document) is cached on the document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from stories.arabic_words import ARTICLE, arabic_bases, arabic_stems, is_arabic
from stories.text import normalise

__all__ = ["And", "Document", "Node", "Not", "Or", "Query", "Term", "word_pattern"]


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
    """One normalised query word; compared by identity, shared between queries via ``word_pattern``."""

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
            return is_arabic(token) and any(
                base.startswith(self.word) if self.prefix else base == self.word for base in arabic_bases(token)[1:]
            )
        if self.prefix:
            return any(base.startswith(self.word) for base in arabic_bases(token))
        return self.word in arabic_stems(token)


_PATTERNS: dict[tuple[str, bool], _WordPattern] = {}


def word_pattern(word: str, prefix: bool) -> _WordPattern:
    key = (word, prefix)
    pattern = _PATTERNS.get(key)
    if pattern is None:
        arabic = is_arabic(word)
        core = word
        if arabic:
            # The text may spell the article as لل, and ة as ت or ات: look for what is left.
            if core.startswith(ARTICLE) and len(core) > len(ARTICLE) + 1:
                core = core[len(ARTICLE) :]
            if not prefix and core.endswith("ه") and len(core) > 2:
                core = core[:-1]
        pattern = _PATTERNS[key] = _WordPattern(word, prefix, arabic, core)
    return pattern


# --- the syntax tree -------------------------------------------------------------------------


class Node:
    def evaluate(self, doc: Document, found: list[str]) -> bool:
        """True when this node matches; appends the labels of matched positive terms to ``found``."""
        raise NotImplementedError

    def positive_terms(self) -> Iterable[str]:
        raise NotImplementedError

    def needs_a_term(self) -> bool:
        """False when this node can be true without any positive term having matched."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Term(Node):
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
class And(Node):
    children: tuple[Node, ...]

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
class Or(Node):
    children: tuple[Node, ...]

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
class Not(Node):
    child: Node

    def evaluate(self, doc: Document, found: list[str]) -> bool:
        return not self.child.evaluate(doc, [])

    def positive_terms(self) -> Iterable[str]:
        return ()

    def needs_a_term(self) -> bool:
        return False


def _positive_term_nodes(node: Node) -> Iterable[Term]:
    if isinstance(node, Term):
        yield node
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from _positive_term_nodes(child)


@dataclass(frozen=True)
class Query:
    """A parsed watch query. Build with ``parse_query``."""

    source: str
    root: Node = field(repr=False)
    terms: tuple[str, ...]  # every positive term (not under NOT), as written, in query order
    # A query that needs a term matches only a text holding every core of one of its positive
    # terms, so a text holding none of these (one core per term, the longest) cannot match: a few
    # substring tests reject most texts before the tree is walked (the lexicon's ~45 concept
    # queries meet every matched report). Empty when the query could match without a term.
    gate: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        gate: tuple[str, ...] = ()
        if self.root.needs_a_term():
            gate = tuple(
                dict.fromkeys(max(term.cores, key=len, default="") for term in _positive_term_nodes(self.root))
            )
        object.__setattr__(self, "gate", gate)

    def match(self, doc: Document) -> tuple[str, ...]:
        """The terms found in ``doc`` when the query matches it, else ``()``."""
        if self.gate:
            text = doc.text
            for core in self.gate:
                if core in text:
                    break
            else:
                return ()
        found: list[str] = []
        if self.root.evaluate(doc, found):
            return tuple(dict.fromkeys(found))
        return ()

    def matches(self, text: str) -> bool:
        """Convenience for one-off checks; reuse a ``Document`` when matching many queries."""
        return bool(self.match(Document.from_text(text)))
