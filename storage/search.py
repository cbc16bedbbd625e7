"""Full-text search over stored articles, with the Arabic normaliser and word rule the watches use.

What is indexed (``article_search.content``, one row per article, written by ``storage.search_index``):
the title, summary and text normalised with ``stories.text.normalise``, followed by the keywords
each Arabic word stands for (``stories.arabic_words.arabic_stems``: proclitics and one suffix of the
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
words, an unterminated quote runs to the end. The query is parsed once into a ``ParsedQuery`` and
written out as an FTS5 expression (SQLite) or a ``tsquery`` (PostgreSQL) made of normalised words
only, each quoted, so no user input reaches either parser as syntax.

Order: relevance (bm25 on SQLite, ts_rank on PostgreSQL), then newest, over the newest
``RANK_WINDOW`` matches; older matches follow, newest first. ``total`` counts every match.

Backends: on SQLite an external-content FTS5 table ``article_search_fts`` over ``article_search``;
on PostgreSQL a ``tsvector`` column with a GIN index; both written in bulk with the rows by
``storage.search_index`` (migration 0009), and both outside the SQLAlchemy metadata:
``is_search_index_object`` tells schema comparisons to leave them alone.

Where the parts live: the tables in ``storage.search_tables``, the searchable text in
``storage.search_text``, writing the rows in ``storage.search_index``, the words of the box in
``storage.search_terms``, its parser (``ParsedQuery``) in ``storage.search_query``, the snippets in
``storage.search_snippets``, the other-language names in ``storage.search_across``; this module
runs a search and holds its results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Text,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from stories.text import tokenise

from .models import Article, Feed, WatchMatch
from .read.common import Pagination, ReadModel
from .search_across import Expansion, expand, found_through
from .search_query import ParsedQuery, fts5_quote, parse_query
from .search_snippets import SNIPPET_SCAN_CHARS, SnippetMatcher
from .search_tables import FTS_TABLE, PG_CONFIG, PG_VECTOR
from .search_terms import QUERY_PIECE

__all__ = ["RANK_WINDOW", "CrossLanguageTerm", "SearchHit", "SearchPage", "search"]

# Relevance is computed for the newest RANK_WINDOW matches; older matches follow them, newest
# first. Ranking every match of a word in half the archive costs seconds on PostgreSQL (ts_rank
# reads each document's vector) and 100+ ms on SQLite, for an order nobody pages through.
RANK_WINDOW = 5_000


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
        words = [piece.strip('"“”«»') for piece in QUERY_PIECE.findall(self.query) if piece not in ("OR", "AND")]
        names = [name for term in self.across_languages for name in term.names]
        return [word for word in dict.fromkeys(words + names) if word]


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
        expression += f" AND language : {fts5_quote(' '.join(words))}"
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
    matcher = SnippetMatcher(parsed)
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
                    expansions, f"{row.title}\n{row.summary or ''}\n{(row.text or '')[:SNIPPET_SCAN_CHARS]}"
                ),
            )
        )
    return hits
