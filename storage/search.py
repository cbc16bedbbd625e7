"""Full-text search over stored articles, with the Arabic normaliser and word rule the watches use.

What is indexed (``article_search.content``, one row per article, written by ``index_article``):
the title, summary and text normalised with ``stories.text.normalise``, followed by the keywords
each Arabic word stands for (``stories.query.arabic_stems``: proclitics and one suffix of the
closed set removed, never stemmed further), so "بكورسك" is indexed as "بكورسك" and "كورسك",
"والقوات" also as "القوات", "قوات" and "قوه", "كورسكي" also as "كورسك"; "سيكورسكي" is not
"كورسك". The keywords come after all the words, so a phrase still finds the words in order.

A query word is normalised the same way and looked up as it is; an Arabic query word written
with a proclitic also as its bare form (``بكورسك`` finds "كورسك") when that keeps at least three
letters (``ولد`` must not become "لد" and find "بلد"). So a query word matches a text word exactly
when a watch with that word would, plus that proclitic rule. ``الكوريه`` finds "الكورية" (ة and ه
are one letter once normalised). Latin words match whole words, case- and accent-insensitively.

Query syntax, lenient: words are ANDed, ``"quoted phrases"`` (also “…” and «…») match consecutive
words (an Arabic proclitic is allowed on the first one), a trailing ``*`` makes a word or a
phrase's last word a prefix (``troop*``), an upper-case ``OR`` between two terms accepts either, an
upper-case ``AND`` is ignored (it is the default). Everything else is a word; punctuation separates
words, an unterminated quote runs to the end. The query is parsed once into ``ParsedQuery`` and
written out as an FTS5 expression (SQLite) or a ``tsquery`` (PostgreSQL) made of normalised words
only, each quoted, so no user input reaches either parser as syntax.

Order: relevance (bm25 on SQLite, ts_rank on PostgreSQL), then newest, over the newest
``RANK_WINDOW`` matches; older matches follow, newest first. ``total`` counts every match.

Backends: on SQLite an external-content FTS5 table ``article_search_fts`` over ``article_search``;
on PostgreSQL a ``tsvector`` column with a GIN index; both kept in step by triggers (migration
0004) and both outside the SQLAlchemy metadata: ``is_search_index_object`` tells schema
comparisons to leave them alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import Field
from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    FromClause,
    Integer,
    Select,
    String,
    Table,
    Text,
    bindparam,
    column,
    exists,
    func,
    insert,
    literal_column,
    select,
    table,
    update,
)
from sqlalchemy.orm import Session

from stories.query import PROCLITICS, arabic_stems
from stories.text import tokenise

from .models import Article, Base, Feed, WatchMatch
from .read.common import Pagination, ReadModel
from .search_across import Expansion, expand, found_through
from .search_text import MAX_INDEXED_CHARS, MAX_TERM_LENGTH, _is_arabic, index_content

__all__ = [
    "FTS_TABLE",
    "MAX_INDEXED_CHARS",
    "ParsedQuery",
    "SearchHit",
    "SearchPage",
    "article_search",
    "index_article",
    "index_content",
    "index_rows",
    "is_search_index_object",
    "needs_reindex",
    "parse_query",
    "reindex_all",
    "search",
]

article_search = Table(
    "article_search",
    Base.metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    # The article's language, copied here so that the language filter is part of the index lookup.
    Column("language", String(8), nullable=False),
    Column("content", Text, nullable=False),
)

FTS_TABLE = "article_search_fts"  # SQLite only; its shadow tables are named FTS_TABLE + "_data" etc.
PG_VECTOR = "vector"  # PostgreSQL only: article_search.vector, to_tsvector('simple', content) by trigger
PG_INDEX = "ix_article_search_vector"  # PostgreSQL only: GIN on article_search.vector
PG_CONFIG = "'simple'::regconfig"  # no stemming, no stop words: the normaliser did the work
# Relevance is computed for the newest RANK_WINDOW matches; older matches follow them, newest
# first. Ranking every match of a word in half the archive costs seconds on PostgreSQL (ts_rank
# reads each document's vector) and 100+ ms on SQLite, for an order nobody pages through.
RANK_WINDOW = 5_000

MAX_QUERY_TERMS = 16
MIN_QUERY_BASE = 3  # a query word's proclitic-stripped form is searched only from this length
SNIPPET_LENGTH = 240
_SNIPPET_LEAD = 60  # characters of context kept before the first hit
_MIN_STEM = 2  # as stories.query: a proclitic never leaves fewer letters than this
_MAX_PROCLITIC = max(map(len, PROCLITICS))
_ARTICLE = "ال"
_CLITIC_CHAINS = tuple(sorted(PROCLITICS - {""}))
_OPERATOR_OR = "OR"
_OPERATOR_AND = "AND"
_QUOTES = {'"': '"', "“": "”", "«": "»"}
_QUERY_PIECE = re.compile(r'"[^"]*"?|“[^”]*”?|«[^»]*»?|[^\s"“«]+')

Progress = Callable[[int, int], None]  # (articles indexed so far, articles in all)


# --- results -------------------------------------------------------------------------------


class SearchHit(ReadModel):
    article_id: int
    title: str
    feed: str
    language: str
    url: str | None = Field(default=None, exclude=True)
    published_at: datetime | None = Field(default=None, exclude=True)
    fetched_at: datetime
    snippet: str  # plain text, at most SNIPPET_LENGTH characters: the caller escapes it
    rank: float  # higher is better; comparable within one search only
    found_through: list[str] = Field(
        default=[], description='names in the other language the hit was found through ("كورسك → Kursk")'
    )


class CrossLanguageTerm(ReadModel):
    term: str = Field(description="a place or actor of the query, as written")
    names: list[str] = Field(description="its names in the other language, also searched")


class SearchPage(Pagination):
    query: str
    hits: list[SearchHit]
    across_languages: list[CrossLanguageTerm] = Field(
        default=[], description="terms also searched in the other language (off with cross=false)"
    )

    @property
    def highlight_terms(self) -> list[str]:
        """The words to mark in snippets: the query's own and the names it was expanded to."""
        words = [piece.strip('"“”«»') for piece in _QUERY_PIECE.findall(self.query) if piece not in ("OR", "AND")]
        names = [name for term in self.across_languages for name in term.names]
        return [word for word in dict.fromkeys(words + names) if word]


# --- indexing ------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _bases(word: str) -> tuple[str, ...]:
    """Every reading of an Arabic ``word`` with a proclitic chain removed, the word itself first.

    The same cuts as ``stories.query``: ``لل`` is ل + ال, so "للقوات" gives "قوات" and "القوات".
    """
    bases = [word]
    for cut in range(1, min(_MAX_PROCLITIC, len(word) - _MIN_STEM) + 1):
        proclitic = word[:cut]
        if proclitic in PROCLITICS:
            rest = word[cut:]
            bases.append(rest)
            if proclitic.endswith("لل"):
                bases.append(_ARTICLE + rest)
    return tuple(dict.fromkeys(bases))


def index_article(session: Session, article: Article) -> None:
    """Write (or rewrite) the search row of a stored article; the caller commits.

    The SQLite FTS5 table follows ``article_search`` through triggers, so this is one statement.
    """
    session.flush()  # the article row must exist before its search row (foreign key)
    content = index_content(article.title, article.summary or "", article.text or "")
    values = {"language": article.language, "content": content}
    updated = session.execute(update(article_search).where(article_search.c.article_id == article.id).values(values))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(article_search).values(article_id=article.id, **values))


def index_rows(session: Session, rows: Sequence[tuple[int, str, str]]) -> None:
    """Insert the search rows of newly stored articles in one statement: (id, language, content),
    the content built by ``index_content`` (in the parse workers, off the writer)."""
    if rows:
        session.execute(
            insert(article_search),
            [
                {"article_id": article_id, "language": language, "content": content}
                for article_id, language, content in rows
            ],
        )


def needs_reindex(session: Session) -> bool:
    """True when some stored article has no search row (a database older than migration 0004)."""
    missing = select(Article.id).where(~exists().where(article_search.c.article_id == Article.id)).limit(1)
    return session.execute(missing).first() is not None


def reindex_all(
    session: Session, *, batch: int = 1000, progress: Progress | None = None, missing_only: bool = False
) -> int:
    """Rebuild the search rows of every article (or only of those without one); returns the count.

    Reads the articles in id order, ``batch`` at a time; the caller commits (one transaction).
    """
    total_query = select(func.count()).select_from(Article)
    if missing_only:
        total_query = total_query.where(~exists().where(article_search.c.article_id == Article.id))
    total = session.scalar(total_query) or 0
    done = 0
    last_id = 0
    while True:
        query = select(Article.id, Article.language, Article.title, Article.summary, Article.text).where(
            Article.id > last_id
        )
        if missing_only:
            query = query.where(~exists().where(article_search.c.article_id == Article.id))
        rows = session.execute(query.order_by(Article.id).limit(batch)).all()
        if not rows:
            break
        ids = [row.id for row in rows]
        session.execute(article_search.delete().where(article_search.c.article_id.in_(ids)))
        session.execute(
            insert(article_search),
            [
                {
                    "article_id": row.id,
                    "language": row.language,
                    "content": index_content(row.title, row.summary or "", row.text or ""),
                }
                for row in rows
            ],
        )
        done += len(rows)
        last_id = ids[-1]
        if progress is not None:
            progress(done, total)
    return done


# --- the query -----------------------------------------------------------------------------


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


def _fts5_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _fts5_term(term: Term) -> str:
    star = "*" if term.prefix else ""
    if isinstance(term, Word):
        return _group(tuple(_fts5_quote(form) + star for form in term.forms), " OR ")
    return _group(tuple(_fts5_quote(" ".join(words)) + star for words in term.variants), " OR ")


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


def _query_bases(word: str) -> tuple[str, ...]:
    return tuple(base for index, base in enumerate(_bases(word)) if index == 0 or len(base) >= MIN_QUERY_BASE)


def _word_forms(word: str) -> tuple[str, ...]:
    """The indexed words a query word is looked up as (see the module docstring)."""
    return _query_bases(word) if _is_arabic(word) else (word,)


def _phrase_variants(words: list[str]) -> tuple[tuple[str, ...], ...]:
    """The phrase as written, and with any proclitic chain on its first word (لكوريا الشمالية)."""
    first, rest = words[0], tuple(words[1:])
    if not _is_arabic(first):
        return ((first, *rest), *(((chain + first), *rest) for chain in _CLITIC_CHAINS if len(chain) == 1))
    firsts: dict[str, None] = {}
    for base in _query_bases(first):
        firsts[base] = None
        for chain in _CLITIC_CHAINS:
            if chain.endswith("لل"):  # ل + ال
                if base.startswith(_ARTICLE):
                    firsts[chain + base[len(_ARTICLE) :]] = None
            elif not (base.startswith(_ARTICLE) and chain.endswith(("ال", "ل"))):
                firsts[chain + base] = None
    return tuple((head, *rest) for head in firsts)


def parse_query(source: str) -> ParsedQuery:
    """Parse a search box's text; never raises. An empty result means "nothing to search for"."""
    groups: list[list[Term]] = []
    words: list[str] = []
    prefixes: list[str] = []
    join_next = False
    for piece in _QUERY_PIECE.findall(source):
        if piece == _OPERATOR_OR:
            join_next = bool(groups)
            continue
        if piece == _OPERATOR_AND:
            join_next = False
            continue
        quoted = piece[0] in _QUOTES
        body = piece[1:].removesuffix(_QUOTES[piece[0]]) if quoted else piece
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
            terms = [Word(_word_forms(tokens[0]), token_prefix)]
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


# --- searching -----------------------------------------------------------------------------


def search(
    session: Session,
    query: str,
    *,
    watch: str | None = None,
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
    cross: bool = True,
) -> SearchPage:
    """Articles matching ``query`` (module docstring), best first, then newest; never raises on
    any query text. ``watch`` keeps articles that matched that watch, ``language`` ("ar"/"en")
    those in that language. ``total`` counts every match; ``hits`` is the page at ``offset``.
    ``cross``: a place or actor of the gazetteer is also looked for by its names in the other
    language (``storage.search_across``); each hit found only so says through which.
    """
    expanded, expansions = expand(query) if cross else (query, [])
    parsed = parse_query(expanded)
    limit, offset = max(limit, 1), max(offset, 0)
    empty = SearchPage(
        query=query,
        total=0,
        page=offset // limit + 1,
        per_page=limit,
        hits=[],
        across_languages=[CrossLanguageTerm(term=e.term, names=list(e.names)) for e in expansions],
    )
    if parsed.empty:
        return empty
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        match = _sqlite_match(parsed, language)
    elif dialect == "postgresql":
        match = _postgresql_match(parsed, language)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported (DESIGN §4)
        raise NotImplementedError(f"no full-text search on {dialect}")
    if match is None:
        return empty
    conditions = [match.condition]
    if watch is not None:
        conditions.append(
            select(WatchMatch.id).where(WatchMatch.article_id == match.article_id, WatchMatch.watch == watch).exists()
        )
    offset = max(offset, 0)
    matches = select(match.article_id.label("id"), match.vector.label("vector")).select_from(match.source)
    if match.fence:
        # PostgreSQL overestimates how many rows a word matches and would walk the primary key
        # backwards testing every row's vector; materialised, the matches come from the GIN index,
        # once for the count and the page.
        found = matches.where(*conditions).cte("matches").prefix_with("MATERIALIZED")
        newest_first = select(found.c.id, found.c.vector).order_by(found.c.id.desc())
        counted = select(func.count()).select_from(found)
    else:
        newest_first = matches.where(*conditions).order_by(match.article_id.desc())
        counted = select(func.count()).select_from(match.source).where(*conditions)
    with _matches_from_the_index(session) if match.fence else nullcontext():
        total, ranked = _page(session, match, newest_first, counted, limit, offset)
    return empty.model_copy(update={"total": total, "hits": _hits(session, parsed, ranked, expansions)})


def _page(
    session: Session,
    match: _Match,
    newest_first: Select[Any],
    counted: Select[Any],
    limit: int,
    offset: int,
) -> tuple[int, list[tuple[int, float]]]:
    """The total and the (article id, rank) of one page: relevance within the newest RANK_WINDOW."""
    total: int | None = None
    ranked: list[tuple[int, float]] = []
    if offset < RANK_WINDOW:
        # Ids are handed out in the order articles are first stored: the larger, the newer.
        window = newest_first.limit(RANK_WINDOW).subquery()
        rank = match.rank(window.c.vector)
        page = session.execute(
            select(window.c.id, rank.label("rank"), counted.scalar_subquery().label("total"))
            .order_by(rank.desc(), window.c.id.desc())
            .limit(min(limit, RANK_WINDOW - offset))
            .offset(offset)
        ).all()
        ranked += [(row.id, float(row.rank)) for row in page]
        total = page[0].total if page else None
    if total is None:
        total = session.scalar(counted) or 0
    if offset + limit > RANK_WINDOW and total > max(offset, RANK_WINDOW):
        older = newest_first.offset(max(offset, RANK_WINDOW)).limit(limit - len(ranked)).subquery()
        rest = session.execute(select(older.c.id, match.rank(older.c.vector).label("rank")).order_by(older.c.id.desc()))
        ranked += [(row.id, float(row.rank)) for row in rest]
    return total, ranked


@contextmanager
def _matches_from_the_index(session: Session) -> Iterator[None]:
    """PostgreSQL: no sequential scan of article_search while searching (this transaction only).

    For a word in most documents the planner prefers reading the whole table and testing each
    row's vector, which must then be fetched from TOAST: over a second at 100k articles, where
    the GIN index hands over the same rows in ~10 ms (bench/bench_search.py).
    """
    previous = session.scalar(select(func.current_setting("enable_seqscan", type_=Text)))
    session.execute(select(func.set_config("enable_seqscan", "off", True)))
    yield  # after an error the transaction is lost anyway, and the setting with it
    session.execute(select(func.set_config("enable_seqscan", previous, True)))


@dataclass(frozen=True, slots=True)
class _Match:
    source: FromClause
    condition: ColumnElement[bool]
    article_id: ColumnElement[int]
    vector: ColumnElement[object]  # what ``rank`` needs from each matching row, carried through subqueries
    rank: Callable[[ColumnElement[object]], ColumnElement[float]]  # higher is better
    fence: bool  # collect the matches before ordering them (see search())


def _sqlite_match(parsed: ParsedQuery, language: str | None) -> _Match | None:
    fts = table(FTS_TABLE, column("rowid", Integer))
    fts_column = literal_column(FTS_TABLE, Text)
    expression = parsed.to_fts5()
    if language is not None:
        words = tokenise(language)
        if not words:
            return None
        expression += f" AND language : {_fts5_quote(' '.join(words))}"
    # bm25() only works in the statement that runs the MATCH: it is computed there, for the newest
    # RANK_WINDOW rows (FTS5 walks its rowids backwards and stops), and carried out as "vector".
    return _Match(
        source=fts,
        condition=fts_column.op("MATCH")(bindparam("search_query", expression)),
        article_id=fts.c.rowid,  # the FTS5 rowid is article_search.article_id
        vector=-func.bm25(fts_column, 0.0, 1.0),  # lower is better; the language column weighs nothing
        rank=lambda carried: carried,  # type: ignore[arg-type,return-value]
        fence=False,  # FTS5 walks its rowids backwards and stops after RANK_WINDOW
    )


def _postgresql_match(parsed: ParsedQuery, language: str | None) -> _Match:
    config = literal_column(PG_CONFIG, Text)
    searched = table("article_search", column("article_id", Integer), column("language"), column(PG_VECTOR))
    tsquery = func.to_tsquery(config, bindparam("search_query", parsed.to_tsquery()))
    condition: ColumnElement[bool] = searched.c[PG_VECTOR].op("@@")(tsquery)
    if language is not None:
        condition = condition & (searched.c.language == language)
    return _Match(
        source=searched,
        condition=condition,
        article_id=searched.c.article_id,
        vector=searched.c[PG_VECTOR],
        rank=lambda vector: func.ts_rank(vector, tsquery),
        fence=True,
    )


def _hits(
    session: Session, parsed: ParsedQuery, ranked: Sequence[tuple[int, float]], expansions: Sequence[Expansion]
) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [article_id for article_id, _ in ranked]
    rows = session.execute(
        select(
            Article.id,
            Article.title,
            Article.summary,
            Article.text,
            Article.language,
            Article.url,
            Article.canonical_url,
            Article.published_at,
            Article.fetched_at,
            Feed.name,
        )
        .join(Feed, Article.feed_id == Feed.id)
        .where(Article.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    matcher = _SnippetMatcher(parsed)
    hits = []
    for article_id, rank in ranked:
        row = by_id.get(article_id)
        if row is None:  # deleted between the two statements
            continue
        hits.append(
            SearchHit(
                article_id=row.id,
                title=row.title,
                feed=row.name,
                language=row.language,
                url=row.url or row.canonical_url,
                published_at=row.published_at,
                fetched_at=row.fetched_at,
                snippet=matcher.snippet(row.summary or "", row.text or "", row.title),
                rank=rank,
                found_through=found_through(
                    expansions, f"{row.title}\n{row.summary or ''}\n{(row.text or '')[:_SNIPPET_SCAN_CHARS]}"
                ),
            )
        )
    return hits


# --- snippets ------------------------------------------------------------------------------

_CHUNK = re.compile(r"\S+")
_SNIPPET_SCAN_CHARS = 50_000


class _SnippetMatcher:
    """Finds the first query word in original (not normalised) text, for a snippet around it."""

    def __init__(self, parsed: ParsedQuery) -> None:
        self.exact = {form for word in parsed.words for form in _word_forms(word)}
        self.prefixes = tuple({form for word in parsed.prefixes for form in _word_forms(word)})
        # A substring every matching word contains once normalised: a cheap test before the scan.
        self.cores = tuple({*(_core(word) for word in parsed.words), *self.prefixes})

    def _matches(self, token: str) -> bool:  # the index's rule: a query form among the token's keywords
        forms = arabic_stems(token) if _is_arabic(token) else (token,)
        return any(form in self.exact or form.startswith(self.prefixes) for form in forms)

    def first_hit(self, text: str) -> tuple[int, int] | None:
        text = text[:_SNIPPET_SCAN_CHARS]
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
    if not _is_arabic(word):
        return word
    shortest = min(_query_bases(word), key=len)
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


def is_search_index_object(name: str | None, type_: str, parent_names: object = None) -> bool:
    """For Alembic's ``include_name``: False for the backend-specific search index objects that
    live outside the metadata (the FTS5 table and its shadow tables; the tsvector column and its GIN
    index)."""
    if name is None:
        return True
    if type_ == "table":
        return not (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))
    if type_ == "index":
        return name != PG_INDEX
    if type_ == "column" and isinstance(parent_names, dict):
        return not (name == PG_VECTOR and parent_names.get("table_name") == article_search.name)
    return True
