"""Benchmark: full-text search (storage.search) over 100k stored articles.

Run: .venv/bin/python bench/bench_search.py [--articles 100000] [--queries 50] [--postgresql]

Prints the build time and size, then the latency p50/p99 of ``storage.search.search`` (end to end:
parse, count, rank, one page of 20 hits with snippets) over ``--queries`` searches, next to a
brute-force baseline run in the same process on the same rows: ``LIKE '%word%'`` over title,
summary and text (the first query word, as typed, newest 20 plus the count), and the ratio.

The articles are synthetic, built from real Arabic news sentences (the shared saudinewsnet
sample when present, else a built-in list) and English news sentences, with 15 % of the words
replaced by words drawn from a Zipf distribution over 40,000 generated words (Arabic ones carry a
proclitic a third of the time), so the vocabulary has a realistic long tail. 60 % are Arabic,
~170 words each; 5 % matched a watch. They are written with direct bulk inserts (executemany, 5,000
rows per statement, one transaction per 20,000 articles) of ``articles`` and ``watch_matches``
rows, and ``article_search`` rows with their index entries through ``search_index.add_rows`` (as
the store writes them); ``article_search.content`` is exactly what ``search_text.index_content``
computes (checked on a sample), assembled from pre-tokenised sentences for speed. On SQLite
``PRAGMA synchronous=OFF`` for the build only. On PostgreSQL (``--postgresql`` starts a throwaway server with the tests'
helper) the GIN index is dropped during the load and recreated after it, as one would for a bulk
load.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, text  # noqa: E402

from storage import search, search_index, search_tables, search_text  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article, Feed, WatchMatch  # noqa: E402
from stories.arabic_words import PROCLITICS  # noqa: E402
from stories.text import tokenise  # noqa: E402

SEED = 20250204
SHARED_SAMPLE = Path("/work/shared/data/fetched/saudinewsnet_sample/saudinewsnet_2015_sample.json")
T0 = datetime(2025, 2, 4, 10, 0, tzinfo=UTC)
WATCH = "nk-troops-kursk"
ROWS_PER_STATEMENT = 5_000
ARTICLES_PER_TRANSACTION = 20_000

EN_SENTENCES = [
    "North Korean troops have been deployed to the front line in Russia's Kursk region, officials said.",
    "The intelligence agency told lawmakers that about 12,000 soldiers had been moved to Russia since October.",
    "Some of the units had already taken part in combat alongside Russian marines and paratroopers.",
    "Pyongyang and Moscow have denied the deployment, although the Kremlin did not rule it out.",
    "Ukraine's president urged Western allies to allow strikes on military bases deep inside Russia.",
    "The Pentagon said it had seen evidence that the soldiers were wearing Russian uniforms.",
    "Analysts say the North is likely to receive money, oil and military technology in return.",
    "The two countries signed a mutual defence treaty in June that obliges each to assist the other.",
    "Oil prices rose two percent in Asian trading as refiners bought ahead of the winter season.",
    "The central bank held its main interest rate at 4.5 percent, saying inflation had eased.",
    "Heavy snow closed several alpine passes overnight and the authorities warned drivers to stay home.",
    "The football club named its former captain as head coach on a three-year contract.",
    "Residents reported hearing explosions late into the night near the border town.",
    "The ministry did not immediately respond to a request for comment on Tuesday.",
    "Satellite images published by a think tank showed new activity at the launch site.",
    "Talks are expected to continue in the coming weeks, diplomats familiar with the matter said.",
    "Drone attacks on energy infrastructure left thousands of homes without power.",
    "The prime minister promised to publish the report before the end of the parliamentary session.",
    "Shares in the carmaker fell sharply after it cut its profit forecast for the year.",
    "Rescue teams were still searching for survivors under the rubble on Wednesday morning.",
]
AR_SENTENCES = [
    "قالت وكالة الاستخبارات الكورية الجنوبية إن قوات كورية شمالية انتشرت على خط المواجهة في منطقة كورسك الروسية.",
    "وأوضح جهاز الاستخبارات الوطني أن نحو 12 ألف جندي نُقلوا إلى روسيا بحرًا وجوًا منذ مطلع أكتوبر.",
    "وأضاف الجهاز أن بعض الوحدات شاركت بالفعل في القتال إلى جانب مشاة البحرية والمظليين الروس.",
    "ونفت بيونغ يانغ وموسكو عملية النشر، غير أن الكرملين لم يستبعدها.",
    "وحث الرئيس الأوكراني الحلفاء الغربيين على السماح بضرب قواعد عسكرية في عمق الأراضي الروسية.",
    "ويرى محللون أن كوريا الشمالية ستحصل على أموال ونفط وتكنولوجيا عسكرية مقابل إرسال الجنود.",
    "ارتفعت أسعار النفط بنسبة اثنين في المئة في التعاملات الآسيوية مع إقبال المصافي على الشراء.",
    "أبقى البنك المركزي على سعر الفائدة الرئيسي دون تغيير، مشيرًا إلى تراجع التضخم.",
    "أغلقت الثلوج الكثيفة عدة طرق جبلية خلال الليل وحذرت السلطات السائقين من السفر.",
    "وأفاد سكان بسماع دوي انفجارات حتى ساعة متأخرة من الليل قرب البلدة الحدودية.",
]
AR_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
EN_LETTERS = "abcdefghijklmnopqrstuvwxyz"


# --- helpers -------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(run: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def sentence_pool() -> tuple[list[str], str]:
    arabic = list(AR_SENTENCES)
    origin = "built-in Arabic sentences"
    if SHARED_SAMPLE.exists():
        data = json.loads(SHARED_SAMPLE.read_text(encoding="utf-8"))
        for day in data.values():
            for group in day.values():
                articles = group if isinstance(group, list) else [a for arts in group.values() for a in arts]
                for article in articles:
                    arabic += [s.strip() for s in re.split(r"[.!؟\n]+", article["content"]) if len(s.split()) >= 6]
        origin = f"{len(arabic)} real Arabic sentences ({SHARED_SAMPLE.parent.name})"
    return arabic, origin


class Corpus:
    """Synthetic articles as normalised token lists; see the module docstring."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        arabic, self.origin = sentence_pool()
        self.sentences = {"ar": [tokenise(s) for s in arabic], "en": [tokenise(s) for s in EN_SENTENCES]}
        self.vocabulary = {
            "ar": self._words(AR_LETTERS, 40_000, 3, 7),
            "en": self._words(EN_LETTERS, 40_000, 4, 9),
        }
        # Zipf weights (s = 1.1): a few generated words are common, most are rare.
        self.weights = [1 / (rank**1.1) for rank in range(1, 40_001)]
        self.cumulative = list(_accumulate(self.weights))
        self.clitics = sorted(PROCLITICS - {""})

    def _words(self, letters: str, count: int, shortest: int, longest: int) -> list[str]:
        words: set[str] = set()
        while len(words) < count:
            words.add("".join(self.rng.choice(letters) for _ in range(self.rng.randint(shortest, longest))))
        return sorted(words)

    def zipf_word(self, language: str) -> str:
        index = _bisect(self.cumulative, self.rng.random() * self.cumulative[-1])
        word = self.vocabulary[language][index]
        if language == "ar" and self.rng.random() < 0.33:
            word = self.rng.choice(self.clitics) + word
        return word

    def sentence(self, language: str) -> list[str]:
        out = []
        for token in self.rng.choice(self.sentences[language]):
            out.append(self.zipf_word(language) if self.rng.random() < 0.15 else token)
        return out

    def article(self, language: str) -> tuple[list[str], list[str], list[str]]:
        title = self.sentence(language)[: self.rng.randint(6, 10)]
        summary = self.sentence(language)
        body: list[str] = []
        while len(body) < 130:
            body += self.sentence(language)
        return title, summary, body


def _accumulate(values: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def _bisect(cumulative: Sequence[float], target: float) -> int:
    low, high = 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] < target:
            low = middle + 1
        else:
            high = middle
    return low


def content_of(title: list[str], summary: list[str], body: list[str]) -> str:
    """``search_text.index_content`` of the joined texts, without re-tokenising them."""
    words = title + summary + body
    keywords = [form for word in words if "\u0600" <= word[0] <= "\u06ff" for form in search_text._keywords(word)]
    return " ".join(words + keywords)


# --- build ---------------------------------------------------------------------------------


def build(database: Database, corpus: Corpus, count: int) -> dict[str, float]:
    rng = corpus.rng
    started = time.perf_counter()
    postgresql = not database.is_sqlite
    if database.is_sqlite:  # the build's connections only: the pool is emptied afterwards
        event.listen(database.engine, "connect", _synchronous_off)
        database.engine.dispose()
    with database.engine.begin() as connection:
        if postgresql:
            connection.exec_driver_sql(f"DROP INDEX {search_tables.PG_INDEX}")  # recreated after the load
        connection.execute(
            insert(Feed),
            [
                {"id": 1, "name": "Arabic", "url": "http://bench.invalid/ar", "language": "ar", "created_at": T0},
                {"id": 2, "name": "Wire", "url": "http://bench.invalid/en", "language": "en", "created_at": T0},
            ],
        )
    checked = 0
    for first in range(1, count + 1, ARTICLES_PER_TRANSACTION):
        with database.engine.begin() as connection:
            articles, rows, matches = [], [], []
            for article_id in range(first, min(count + 1, first + ARTICLES_PER_TRANSACTION)):
                language = "ar" if rng.random() < 0.6 else "en"
                title, summary, body = corpus.article(language)
                now = T0 + timedelta(seconds=article_id * 30)
                articles.append(
                    {
                        "id": article_id,
                        "feed_id": 1 if language == "ar" else 2,
                        "identity": f"bench:{article_id}",
                        "title": " ".join(title),
                        "summary": " ".join(summary),
                        "text": " ".join(body),
                        "language": language,
                        "fetched_at": now,
                        "event_at": now,
                        "updated_at": now,
                        "content_hash": f"h{article_id}",
                        "revisions": 0,
                    }
                )
                content = content_of(title, summary, body)
                if checked < 200:  # the shortcut must produce what the app would store
                    joined = (" ".join(title), " ".join(summary), " ".join(body))
                    assert content == search_text.index_content(*joined)
                    checked += 1
                rows.append({"article_id": article_id, "language": language, "content": content})
                if rng.random() < 0.05:
                    matches.append(
                        {
                            "article_id": article_id,
                            "watch": WATCH,
                            "terms": ["kursk"],
                            "event": "new_story",
                            "explanation": {},
                            "created_at": now,
                        }
                    )
            for table, values in ((Article, articles), (WatchMatch, matches)):
                for start in range(0, len(values), ROWS_PER_STATEMENT):
                    connection.execute(insert(table), values[start : start + ROWS_PER_STATEMENT])
            # The search rows and their index entries, as the store writes them.
            search_index.add_rows(connection, [(r["article_id"], r["language"], r["content"]) for r in rows])
    loaded = time.perf_counter() - started
    if database.is_sqlite:
        event.remove(database.engine, "connect", _synchronous_off)
        database.engine.dispose()
    index_seconds = 0.0
    if postgresql:
        with database.engine.begin() as connection:
            index_seconds, _ = timed(
                lambda: connection.exec_driver_sql(
                    f"CREATE INDEX {search_tables.PG_INDEX} ON article_search USING gin ({search_tables.PG_VECTOR})"
                )
            )
            connection.exec_driver_sql("ANALYZE")
    else:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    return {"load": loaded, "index": index_seconds}


def _synchronous_off(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


# --- queries -------------------------------------------------------------------------------


def queries(corpus: Corpus, count: int) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, query, filters), cycling through the kinds a person types."""
    rng = random.Random(SEED + 1)
    ar_words = [w for s in corpus.sentences["ar"] for w in s if len(w) >= 4 and not w.isdigit()]
    en_words = [w for s in corpus.sentences["en"] for w in s if len(w) >= 5]
    tail = corpus.vocabulary["ar"][2000:]
    kinds: list[Callable[[], tuple[str, str, dict[str, str]]]] = [
        lambda: ("arabic word", rng.choice(ar_words), {}),
        lambda: ("arabic + proclitic", "ب" + rng.choice(ar_words).removeprefix("ال"), {}),
        lambda: ("rare word", rng.choice(tail), {}),
        lambda: ("english word", rng.choice(en_words), {}),
        lambda: ("english prefix", rng.choice(en_words)[:4] + "*", {}),
        lambda: ("two words", f"{rng.choice(ar_words)} {rng.choice(ar_words)}", {}),
        lambda: ("phrase", _phrase(rng, corpus), {}),
        lambda: ("word + language", rng.choice(ar_words), {"language": "ar"}),
        lambda: ("word + watch", rng.choice(ar_words), {"watch": WATCH}),
        lambda: ("common word", rng.choice(["في", "the", "من", "said"]), {}),
    ]
    return [kinds[index % len(kinds)]() for index in range(count)]


def _phrase(rng: random.Random, corpus: Corpus) -> str:
    sentence = rng.choice(corpus.sentences["ar"])
    start = rng.randrange(0, len(sentence) - 1)
    return '"' + " ".join(sentence[start : start + 2]) + '"'


def like_baseline(database: Database, query: str) -> int:
    word = query.strip('"*').split()[0]
    pattern = f"%{word}%"
    with database.engine.connect() as connection:
        ids = connection.execute(
            text("SELECT id FROM articles WHERE title LIKE :p OR summary LIKE :p OR text LIKE :p ORDER BY id DESC"),
            {"p": pattern},
        ).all()
    return len(ids)


def run(database: Database, label: str, count: int, query_count: int) -> None:
    rng = random.Random(SEED)
    corpus = Corpus(rng)
    print(f"\n== {label}: {count:,} articles from {corpus.origin} and {len(EN_SENTENCES)} English sentences")
    built = build(database, corpus, count)
    line = f"  build: {built['load']:.1f} s bulk insert (article_search + its index entries, as the store writes them)"
    if built["index"]:
        line = f"  build: {built['load']:.1f} s bulk insert, {built['index']:.1f} s CREATE INDEX (GIN)"
    print(line)
    if database.is_sqlite:
        with database.engine.connect() as connection:
            pages: dict[str, int] = dict(
                connection.exec_driver_sql(
                    "SELECT name, sum(pgsize) FROM dbstat WHERE name IN "
                    "('articles', 'article_search', 'article_search_fts_data', 'article_search_fts_idx', "
                    "'article_search_fts_docsize') GROUP BY name"
                ).all()
            )
        print("  size: " + ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in sorted(pages.items())))
    else:
        with database.engine.connect() as connection:
            sizes = connection.exec_driver_sql(
                "SELECT pg_total_relation_size('articles'), pg_total_relation_size('article_search'), "
                f"pg_relation_size('{search_tables.PG_INDEX}')"
            ).one()
        articles, searched, gin = (size / 1e6 for size in sizes)
        print(f"  size: articles {articles:.0f} MB, article_search {searched:.0f} MB (GIN {gin:.0f} MB)")

    plan = queries(corpus, query_count)
    with database.session() as session:  # warm the caches once, as a running server would be
        for _, query, filters in plan:
            search.search(session, query, **filters)  # type: ignore[arg-type]
    ours: list[float] = []
    baseline: list[float] = []
    by_kind: dict[str, list[float]] = {}
    totals: list[int] = []
    for kind, query, filters in plan:
        with database.session() as session:
            seconds, page = timed(lambda q=query, f=filters: search.search(session, q, **f))  # type: ignore[misc]
        ours.append(seconds)
        by_kind.setdefault(kind, []).append(seconds)
        totals.append(page.total)  # type: ignore[attr-defined]
        seconds, _ = timed(lambda q=query: like_baseline(database, q))  # type: ignore[misc]
        baseline.append(seconds)
    p50, p99 = percentile(ours, 0.5), percentile(ours, 0.99)
    b50, b99 = percentile(baseline, 0.5), percentile(baseline, 0.99)
    median = statistics.median(totals)
    print(f"  {len(plan)} searches (a page of 20 with snippets); matches: median {median:,.0f}, max {max(totals):,}")
    print(f"  search.search    p50 {p50 * 1e3:7.1f} ms   p99 {p99 * 1e3:7.1f} ms   max {max(ours) * 1e3:7.1f} ms")
    print(f"  LIKE '%w%' scan  p50 {b50 * 1e3:7.1f} ms   p99 {b99 * 1e3:7.1f} ms")
    print(f"  ratio (LIKE / search): p50 {b50 / p50:.1f}x, p99 {b99 / p99:.1f}x")
    worst = sorted(by_kind.items(), key=lambda item: -max(item[1]))
    print("  per kind (max ms): " + ", ".join(f"{kind} {max(values) * 1e3:.0f}" for kind, values in worst))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--postgresql", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="raqib-bench-search-") as folder:
        database = Database(f"sqlite:///{folder}/search.db")
        database.upgrade()
        try:
            run(database, "SQLite (FTS5)", args.articles, args.queries)
        finally:
            database.dispose()
    if args.postgresql:
        from tests.support.pg import DB_NAME, find_pg_bindir, start_pg_server, stop_pg_server

        bindir = find_pg_bindir()
        if bindir is None:
            print("\n(PostgreSQL skipped: no server binaries)")
            return
        server = start_pg_server(bindir)
        try:
            database = Database(server.sqlalchemy_url(DB_NAME))
            database.upgrade()
            try:
                run(database, "PostgreSQL (GIN, ts_rank)", args.articles, args.queries)
            finally:
                database.dispose()
        finally:
            stop_pg_server(server)


if __name__ == "__main__":
    main()
