"""The CPU stages, as functions a worker process runs: parse a feed's bytes into analysed
entries (charset, fastfeedparser, watch matching, search text) and
extract an article page (trafilatura, then the same analysis). ``init_worker`` builds their tools
once per process."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from storage.search_text import index_content
from stories.types import Analysis, Entry, LanguageHint

if TYPE_CHECKING:
    # Loaded by the workers only (init_worker, parse_task): the crawl's own process hands tasks
    # on and a cycle of unchanged feeds never pays for loading the parser and the analyser (~0.1 s).
    from ingest.prepare import PreparedArticle, Preparer
    from stories.analysis import Analyser


@dataclass(frozen=True, slots=True)
class ParsedItem:
    entry: Entry
    analysis: Analysis
    search_content: str
    page_error: str | None = None  # why the article page could not be used, if it could not
    # A matched report readied for deciding here, in the worker (the writer then skips it).
    prepared: PreparedArticle | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Sent from a parse process to its crawl process, item by item: as one flat tuple of the
        # entry's and the analysis's fields, rebuilt by their constructors. The dataclasses' own
        # pickling (a state dict per object, restored attribute by attribute in Python) took twice
        # as long on both sides (0.018 -> 0.009 ms of CPU per item).
        return _rebuild_item, (*_entry_values(self.entry), *_analysis_values(self.analysis), *_item_values(self))


_ENTRY_FIELDS = tuple(field.name for field in fields(Entry))
_ANALYSIS_FIELDS = tuple(field.name for field in fields(Analysis))
_entry_values = attrgetter(*_ENTRY_FIELDS)
_analysis_values = attrgetter(*_ANALYSIS_FIELDS)
_item_values = attrgetter("search_content", "page_error", "prepared")


def _rebuild_item(*values: Any) -> ParsedItem:
    analysis_end = len(_ENTRY_FIELDS) + len(_ANALYSIS_FIELDS)
    return ParsedItem(
        Entry(*values[: len(_ENTRY_FIELDS)]),
        Analysis(*values[len(_ENTRY_FIELDS) : analysis_end]),
        *values[analysis_end:],
    )


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    items: list[ParsedItem]
    problem: str | None  # why the feed is malformed or was mended, in words; the usable entries are kept
    failure: str | None = None  # why the answer is not a feed at all: the feed's error


_analyser: Analyser | None = None
_preparer: Preparer | None = None


def init_worker(watches: Mapping[str, str], niceness: int = 0) -> None:
    """Build the analyser and the preparer of this worker process; ``niceness`` (added to the
    process's nice value) lets the stages after parsing go first when the cores are short."""
    global _analyser, _preparer
    if niceness:
        os.nice(niceness)
    from ingest.prepare import Preparer
    from stories.analysis import Analyser
    from stories.concepts import Lexicon

    _analyser = Analyser(watches)
    _preparer = Preparer(Lexicon())
    # Parsing a feed makes many short-lived objects (the parser's dicts, the entries): the young
    # generation collected every 10,000 allocations rather than 700 holds a few MiB more and
    # saved a tenth of the parse task's CPU (bench_parse: 0.221 -> 0.201 ms per item).
    gc.set_threshold(10_000, 10, 10)


def _ready() -> Analyser:
    if _analyser is None:
        raise RuntimeError("init_worker was not called in this process")
    return _analyser


def analyse(entry: Entry) -> ParsedItem:
    return _item(entry, _ready().analyse(entry))


def _item(entry: Entry, analysis: Analysis) -> ParsedItem:
    # Readying a matched report (features, fingerprint, MinHash) is CPU work: done here, it runs
    # on the worker processes' cores instead of in the one writer thread.
    prepared = _preparer.prepare(entry, analysis.language) if analysis.hits and _preparer is not None else None
    return ParsedItem(entry, analysis, index_content(entry.title, entry.summary, entry.text), prepared=prepared)


def parse_task(feed: str, language: LanguageHint, body: bytes, content_type: str | None, url: str) -> ParsedFeed:
    from ingest.parse import parse_feed

    parsed = parse_feed(body, content_type, feed_name=feed, base_url=url, language=language)
    return ParsedFeed([analyse(entry) for entry in parsed.entries], parsed.problem, parsed.failure)


def extract_task(item: ParsedItem, html: bytes, url: str, limit: int) -> ParsedItem:
    """The item with its page's text, or with the reason the page gave none."""
    from ingest.extract import extract_article_text  # trafilatura: only workers that extract load it

    text = extract_article_text(html, url, limit=limit)
    if not text:
        return replace(item, page_error="no article text found")
    enriched = replace(item.entry, text=text)
    # Identity and content hash stay those of the feed entry, so the next crawl recognises
    # the entry as seen without fetching its page again.
    analysis = replace(
        _ready().analyse(enriched), identity=item.analysis.identity, content_hash=item.analysis.content_hash
    )
    return _item(enriched, analysis)
