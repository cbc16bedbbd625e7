"""Entry → Analysis: identity, language, content hash and the watches that match.

The crawler calls ``Analyser.analyse`` once per entry, so every field is normalised exactly once
and the watch queries are parsed once, when the ``Analyser`` is built from the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from stories.identity import canonical_url, content_hash_normalised, identity_normalised
from stories.query import QuerySyntaxError, parse_query
from stories.query_match import Document, Query
from stories.text import detect_language, tokenise
from stories.types import Analysis, Entry, WatchHit

__all__ = ["Analyser"]


class Analyser:
    """Matches entries against a fixed set of watches (watch name → query source)."""

    def __init__(self, watches: Mapping[str, str]) -> None:
        queries: dict[str, Query] = {}
        for name, source in watches.items():
            try:
                queries[name] = parse_query(source)
            except QuerySyntaxError as error:
                raise QuerySyntaxError(error.message, error.position, watch=name) from error
        self._queries = queries

    @property
    def queries(self) -> Mapping[str, Query]:
        return MappingProxyType(self._queries)

    def analyse(self, entry: Entry) -> Analysis:
        """What the pure core decides about ``entry``.

        - The watches are matched against title, summary and fetched text together.
        - ``content_hash`` covers the title and the body: the fetched text when there is one,
          else the summary, so fetching the page later counts as a change of text.
        - The title+text identity fallback (no GUID, no URL) uses the summary when there is one,
          because the feed gives it every time while fetching the page can fail.
        """
        title_words = tokenise(entry.title)
        summary_words = tokenise(entry.summary) if entry.summary else []
        text_words = tokenise(entry.text) if entry.text else []
        doc = Document.from_tokens(title_words + summary_words + text_words)
        title, summary, text = " ".join(title_words), " ".join(summary_words), " ".join(text_words)

        hits = []
        for name, query in self._queries.items():
            terms = query.match(doc)
            if terms:
                hits.append(WatchHit(name, terms))

        canonical = canonical_url(entry.url) if entry.url and entry.url.strip() else None
        return Analysis(
            identity=identity_normalised(entry.guid, canonical, title, summary or text, scope=entry.feed),
            canonical_url=canonical,
            language=detect_language(doc.text, entry.language_hint),
            content_hash=content_hash_normalised(title, text or summary),
            hits=tuple(hits),
        )
