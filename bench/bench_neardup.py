"""Benchmark: near-duplicate detection (stories.fingerprint + storage.bands).

Run: .venv/bin/python bench/bench_neardup.py [--sizes 100000,1000000] [--queries 400]

Prints, with baselines run in the same process:

1. Signatures: rensa (R-MinHash, what ``MinHasher`` uses) against datasketch: throughput on
   realistic ~300-word Arabic and English texts, and the mean absolute error of the Jaccard
   estimate against the exact Jaccard of the 3-word shingle sets on 200 pairs.
2. Lookup latency p50/p99 of ``storage.bands.near_duplicates`` from the persisted SQLite index at
   each size, next to a brute-force scan (numpy: the query against every stored signature in
   memory), with the ratio.
3. Recall of the index for planted near-duplicates (signature agreement 0.75-0.9 and 0.6-0.75)
   and the false-candidate rate (candidates read from the index that the re-ranking drops).
4. Memory: RSS growth of a fresh process that opens the database and runs the lookups (what the
   app keeps in memory), per 100k stored articles; the database size per 100k, per table.

The stored signatures are synthetic (numpy, seeded): 1M texts would take too long to hash and
random signatures behave like unrelated articles (they share no band). Planted pairs copy a
stored signature and replace a share of its positions. The 1M index is built with executemany
in large transactions and ``PRAGMA synchronous=OFF`` (this bench's build only, never the app).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import bands  # noqa: E402
from storage.db import Database  # noqa: E402
from stories.fingerprint import NEAR_DUPLICATE_THRESHOLD, MinHasher  # noqa: E402
from stories.text import tokenise  # noqa: E402

SEED = 20250204
NUM_PERM = 128
SHARED_SAMPLE = Path("/work/shared/data/fetched/saudinewsnet_sample/saudinewsnet_2015_sample.json")

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
    "أعلن النادي تعيين قائده السابق مدربًا للفريق الأول بعقد يمتد ثلاثة مواسم.",
    "وأفاد سكان بسماع دوي انفجارات حتى ساعة متأخرة من الليل قرب البلدة الحدودية.",
    "ولم ترد الوزارة على الفور على طلب للتعليق يوم الثلاثاء.",
    "وأظهرت صور أقمار صناعية نشرها مركز أبحاث نشاطًا جديدًا في موقع الإطلاق.",
    "ومن المتوقع أن تستمر المحادثات خلال الأسابيع المقبلة بحسب دبلوماسيين مطلعين.",
]


# --- helpers -------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def best_of(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def synthetic_texts(count: int, rng: random.Random) -> list[str]:
    """~300-word news-like texts: shuffled sentences, a third of the words swapped for others of
    the same language, so that no two texts share long runs by accident."""
    texts = []
    for index in range(count):
        pool = AR_SENTENCES if index % 2 else EN_SENTENCES
        vocabulary = [word for sentence in pool for word in sentence.split()]
        words: list[str] = []
        while len(words) < 300:
            for word in rng.choice(pool).split():
                words.append(rng.choice(vocabulary) if rng.random() < 0.33 else word)
        texts.append(" ".join(words[:300]))
    return texts


def edited_copy(text: str, share: float, rng: random.Random) -> str:
    """``text`` with ``share`` of its words replaced and a few words inserted (an edited copy)."""
    words = text.split()
    vocabulary = list(set(words))
    out = []
    for word in words:
        if rng.random() < share:
            out.append(rng.choice(vocabulary) + "x")
        else:
            out.append(word)
        if rng.random() < share / 4:
            out.append("inserted")
    return " ".join(out)


# --- 1. signatures -------------------------------------------------------------------------


def bench_signatures(hasher: MinHasher) -> None:
    from datasketch import MinHash  # the baseline; only this bench needs it

    rng = random.Random(SEED)
    texts = synthetic_texts(400, rng)
    token_lists = [tokenise(text) for text in texts]
    shingle_sets = [hasher.shingles(tokens) for tokens in token_lists]
    encoded = [[shingle.encode("utf-8") for shingle in shingles] for shingles in shingle_sets]
    words = statistics.mean(len(tokens) for tokens in token_lists)

    def datasketch_signature(items: list[bytes]) -> object:
        sketch = MinHash(num_perm=NUM_PERM, seed=1)
        sketch.update_batch(items)
        return sketch.hashvalues

    def rensa_signature(tokens: list[str]) -> bytes:
        return hasher.signature(tokens)

    n = len(texts)
    t_tokenise = best_of(3, lambda: [tokenise(text) for text in texts]) / n
    t_shingle = best_of(3, lambda: [hasher.shingles(tokens) for tokens in token_lists]) / n
    t_rensa = best_of(3, lambda: [rensa_signature(tokens) for tokens in token_lists]) / n
    t_datasketch = best_of(3, lambda: [datasketch_signature(items) for items in encoded]) / n
    signatures = [hasher.signature(tokens) for tokens in token_lists]
    t_bands = best_of(3, lambda: [hasher.band_keys(signature) for signature in signatures]) / n
    t_similarity = best_of(3, lambda: [hasher.similarity(signatures[0], s) for s in signatures]) / n
    print(f"## 1. Signatures ({n} synthetic texts, {words:.0f} words each, Arabic and English)")
    print(f"  tokenise (stories.text, for scale)   {t_tokenise * 1e6:8.1f} µs/text")
    print(f"  rensa R-MinHash, MinHasher.signature {t_rensa * 1e6:8.1f} µs/text  ({1 / t_rensa:,.0f} texts/s)")
    print(f"    of which 3-word shingling          {t_shingle * 1e6:8.1f} µs/text")
    print(
        f"  datasketch MinHash.update_batch      {t_datasketch * 1e6:8.1f} µs/text  ({1 / t_datasketch:,.0f} texts/s)"
        "  (shingles pre-encoded, so shingling is not counted)"
    )
    print(
        f"  ratio datasketch / rensa             {(t_datasketch + t_shingle) / t_rensa:8.1f}x with shingling, "
        f"{t_datasketch / max(t_rensa - t_shingle, 1e-9):.0f}x for the hashing alone"
    )
    print(f"  band_keys (32 x BLAKE2b-64)          {t_bands * 1e6:8.1f} µs/signature")
    print(f"  similarity of two signatures         {t_similarity * 1e6:8.2f} µs")
    if SHARED_SAMPLE.exists():
        data = json.loads(SHARED_SAMPLE.read_text(encoding="utf-8"))
        real = [
            article["content"]
            for day in data.values()
            for group in day.values()
            for article in (group if isinstance(group, list) else [a for arts in group.values() for a in arts])
        ]
        real_tokens = [tokenise(text) for text in real]
        real_words = statistics.mean(len(tokens) for tokens in real_tokens)
        t_real = best_of(5, lambda: [hasher.signature(tokens) for tokens in real_tokens]) / len(real)
        real_encoded = [[s.encode("utf-8") for s in hasher.shingles(tokens)] for tokens in real_tokens]
        t_real_ds = best_of(3, lambda: [datasketch_signature(items) for items in real_encoded]) / len(real)
        print(
            f"  real Arabic articles ({len(real)}, {real_words:.0f} words, {SHARED_SAMPLE.parent.name}): "
            f"rensa {t_real * 1e6:.1f} µs, datasketch {t_real_ds * 1e6:.1f} µs per text"
        )
    else:
        print(f"  (real Arabic articles skipped: {SHARED_SAMPLE} not found)")

    # Accuracy: 200 pairs over a wide range of Jaccard similarities.
    pairs = []
    for index in range(200):
        original = texts[index]
        copy = edited_copy(original, rng.uniform(0.0, 0.3), rng)
        pairs.append((tokenise(original), tokenise(copy)))
    rensa_errors, datasketch_errors, exacts = [], [], []
    for first, second in pairs:
        a, b = set(hasher.shingles(first)), set(hasher.shingles(second))
        exact = len(a & b) / len(a | b)
        exacts.append(exact)
        estimate = hasher.similarity(hasher.signature(first), hasher.signature(second))
        rensa_errors.append(abs(estimate - exact))
        m1, m2 = MinHash(num_perm=NUM_PERM, seed=1), MinHash(num_perm=NUM_PERM, seed=1)
        m1.update_batch([s.encode("utf-8") for s in a])
        m2.update_batch([s.encode("utf-8") for s in b])
        datasketch_errors.append(abs(m1.jaccard(m2) - exact))
    print(f"  accuracy on {len(pairs)} pairs, exact Jaccard {min(exacts):.2f}-{max(exacts):.2f}:")
    print(
        f"    rensa      mean abs error {statistics.mean(rensa_errors):.4f}, "
        f"p95 {percentile(rensa_errors, 0.95):.4f}, max {max(rensa_errors):.4f}"
    )
    print(
        f"    datasketch mean abs error {statistics.mean(datasketch_errors):.4f}, "
        f"p95 {percentile(datasketch_errors, 0.95):.4f}, max {max(datasketch_errors):.4f}"
    )
    print(
        "  chosen: rensa R-MinHash (faster by the ratio above and at least as accurate); pinned to its "
        "algorithm version, checked by MinHasher and by a fixed band key in the tests."
    )


# --- 2-4. the persisted index --------------------------------------------------------------


def make_signatures(size: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 2**32 - 1, size=(size, NUM_PERM), dtype=np.uint32)


def mutate(signature: np.ndarray, agreement: float, rng: np.random.Generator) -> np.ndarray:
    """A copy agreeing with ``signature`` on round(agreement * 128) positions."""
    copy = signature.copy()
    changed = rng.choice(NUM_PERM, size=NUM_PERM - round(agreement * NUM_PERM), replace=False)
    copy[changed] = rng.integers(0, 2**32 - 1, size=len(changed), dtype=np.uint32) ^ 0x5A5A5A5A
    return copy


def build_index(path: Path, signatures: np.ndarray, hasher: MinHasher) -> float:
    """The real schema (migrations) filled in bulk; returns the build time in seconds."""
    started = time.perf_counter()
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")  # bench build only: nothing to recover
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-1000000")
    connection.execute("BEGIN")
    connection.execute(
        "INSERT INTO feeds (id, name, url, language, consecutive_failures, created_at) "
        "VALUES (1, 'bench', 'http://bench.invalid/', 'en', 0, '2025-02-04 10:00:00')"
    )
    # Rebuilt after the bulk insert: sorting once is much faster than inserting into it in random order.
    connection.execute("DROP INDEX ix_article_bands_article_id")
    size = len(signatures)
    chunk = 50_000
    band_rows = np.empty((size, hasher.bands), dtype=np.int64)
    for start in range(0, size, chunk):
        blobs = [row.tobytes() for row in signatures[start : start + chunk].astype("<u4")]
        connection.executemany(
            "INSERT INTO articles (id, feed_id, identity, title, summary, text, language, fetched_at, "
            "event_at, updated_at, content_hash, revisions, signature) VALUES (?, 1, ?, '', '', '', 'en', "
            "'2025-02-04 10:00:00', '2025-02-04 10:00:00', '2025-02-04 10:00:00', '', 0, ?)",
            ((start + offset + 1, f"b:{start + offset + 1:09d}", blob) for offset, blob in enumerate(blobs)),
        )
        band_rows[start : start + len(blobs)] = [hasher.band_keys(blob) for blob in blobs]
    article_ids = np.repeat(np.arange(1, size + 1, dtype=np.int64), hasher.bands)
    keys = band_rows.reshape(-1)
    order = np.lexsort((article_ids, keys))  # primary-key order: appends, no page splits
    keys, article_ids = keys[order], article_ids[order]
    step = 1_000_000
    for start in range(0, len(keys), step):
        connection.executemany(
            "INSERT INTO article_bands (band, article_id) VALUES (?, ?)",
            zip(keys[start : start + step].tolist(), article_ids[start : start + step].tolist(), strict=True),
        )
    connection.execute("CREATE INDEX ix_article_bands_article_id ON article_bands (article_id)")
    connection.execute("COMMIT")
    connection.execute("PRAGMA journal_mode=WAL")  # what the app expects
    connection.close()
    return time.perf_counter() - started


def table_sizes(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        connection.close()
    return {name: int(total) for name, total in rows}


def plant(
    signatures: np.ndarray, queries: int, rng: np.random.Generator
) -> tuple[list[np.ndarray], list[int], list[float]]:
    """Queries whose stored partner agrees with them on a chosen share of positions.

    Half 0.75-0.9 (true near-duplicates), a quarter 0.6-0.75 (near the threshold), a quarter
    0.2-0.55 (partial copies the index may offer as candidates and the re-ranking must drop).
    """
    size = len(signatures)
    partners = rng.choice(np.arange(1, size + 1), size=queries, replace=False)
    query_signatures, agreements = [], []
    for index, partner in enumerate(partners):
        if index < queries // 2:
            agreement = rng.uniform(0.75, 0.9)
        elif index < 3 * queries // 4:
            agreement = rng.uniform(0.6, 0.75)
        else:
            agreement = rng.uniform(0.2, 0.55)
        agreement = round(agreement * NUM_PERM) / NUM_PERM
        query_signatures.append(mutate(signatures[partner - 1], agreement, rng))
        agreements.append(agreement)
    return query_signatures, [int(p) for p in partners], agreements


def bench_index(size: int, queries: int, hasher: MinHasher, folder: Path) -> dict[str, float]:
    rng = np.random.default_rng(SEED + size)
    signatures = make_signatures(size, rng)
    planted, partners, agreements = plant(signatures, queries, rng)
    path = folder / f"neardup-{size}.db"
    build_seconds = build_index(path, signatures, hasher)
    db_bytes = path.stat().st_size
    sizes = table_sizes(path)

    unrelated = [make_signatures(1, rng)[0] for _ in range(queries)]
    query_blobs = [q.astype("<u4").tobytes() for q in planted + unrelated]
    query_keys = [hasher.band_keys(blob) for blob in query_blobs]

    # A new Database on the file: nothing but what is on disk (as after a restart).
    database = Database(f"sqlite:///{path}")
    latencies: list[float] = []
    found: list[list[tuple[int, float]]] = []
    candidates_read = 0
    candidates_dropped = 0
    with database.session() as session:
        for blob, keys in zip(query_blobs, query_keys, strict=True):
            started = time.perf_counter()
            result = bands.near_duplicates(session, keys, blob, hasher, threshold=NEAR_DUPLICATE_THRESHOLD)
            latencies.append(time.perf_counter() - started)
            found.append(result)
        # The candidate counts, read again outside the timed loop.
        # As ``bands.near_duplicates_of_many`` gathers them: each band's share of its newest members.
        for blob, keys in zip(query_blobs, query_keys, strict=True):
            unique = set(keys)
            share = bands._share(len(unique))
            members = bands._band_members(session, dict.fromkeys(unique, share))
            ids = sorted({member for key in unique for member in members.get(key, [])[:share]})
            stored = bands._signatures(session, ids, hasher)
            candidates_read += len(stored)
            candidates_dropped += sum(
                hasher.similarity(blob, signature) < NEAR_DUPLICATE_THRESHOLD for signature in stored.values()
            )
    database.dispose()

    # Baseline: brute force over every stored signature held in memory.
    matrix = signatures
    brute: list[float] = []
    brute_queries = query_blobs[: min(len(query_blobs), 60 if size > 200_000 else 200)]
    for blob in brute_queries:
        query = np.frombuffer(blob, dtype="<u4")
        started = time.perf_counter()
        agreement = np.count_nonzero(matrix == query, axis=1)
        hits = np.flatnonzero(agreement >= NEAR_DUPLICATE_THRESHOLD * NUM_PERM)
        sorted(zip((-agreement[hits]).tolist(), (hits + 1).tolist(), strict=True))[:20]
        brute.append(time.perf_counter() - started)

    def recall(low: float, high: float) -> tuple[float, int]:
        picked = [i for i, a in enumerate(agreements) if low <= a < high]
        hit = sum(any(article == partners[i] for article, _ in found[i]) for i in picked)
        return (hit / len(picked) if picked else float("nan")), len(picked)

    false_hits = sum(
        any(article == partners[i] for article, _ in found[i])
        for i, a in enumerate(agreements)
        if a < NEAR_DUPLICATE_THRESHOLD
    )
    unrelated_hits = sum(bool(result) for result in found[len(planted) :])

    memory = measure_memory(path, query_blobs)
    per_100k = 100_000 / size
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    b50, b99 = percentile(brute, 0.5), percentile(brute, 0.99)
    print(f"\n## {size:,} stored articles (SQLite file, built in {build_seconds:.0f}s)")
    print(f"  2. lookup near_duplicates, {len(latencies)} queries (half planted, half unrelated):")
    print(f"     index  p50 {p50 * 1e3:7.3f} ms   p99 {p99 * 1e3:7.3f} ms")
    print(f"     brute  p50 {b50 * 1e3:7.3f} ms   p99 {b99 * 1e3:7.3f} ms   ({len(brute)} queries, numpy in memory)")
    print(f"     ratio brute/index: p50 {b50 / p50:,.0f}x, p99 {b99 / p99:,.0f}x")
    for low, high in ((0.75, 0.91), (0.6, 0.75)):
        share, count = recall(low, high)
        print(f"  3. recall, planted copies with agreement {low:.2f}-{high - 0.01:.2f}: {share:.3f} ({count} queries)")
    print(
        f"     false candidates: {candidates_dropped}/{candidates_read} candidates read were below the "
        f"threshold and dropped ({candidates_dropped / max(1, candidates_read):.1%}); "
        f"partial copies (0.2-0.55) returned: {false_hits}; unrelated queries with a result: {unrelated_hits}"
    )
    print(
        f"  4. memory: lookup process RSS {memory['before']:.1f} MB -> {memory['after']:.1f} MB "
        f"(+{memory['after'] - memory['before']:.1f} MB: engine, statement cache and SQLite's bounded page "
        "cache; compare the sizes, it does not grow with the index)"
    )
    print(f"     brute-force baseline keeps the signatures in memory: {matrix.nbytes / 1e6 * per_100k:.1f} MB per 100k")
    print(f"     database {db_bytes / 1e6:,.1f} MB = {db_bytes / 1e6 * per_100k:.1f} MB per 100k, of which:")
    for name, total in sorted(sizes.items(), key=lambda item: -item[1])[:5]:
        print(f"       {name:32} {total / 1e6 * per_100k:7.1f} MB per 100k")
    if os.environ.get("RAQIB_BENCH_KEEP") is None:
        path.unlink()
    return {"p50": p50, "p99": p99}


def measure_memory(path: Path, query_blobs: list[bytes]) -> dict[str, float]:
    """RSS of a fresh process before and after opening the database and running the lookups."""
    blob_file = path.with_suffix(".queries")
    blob_file.write_bytes(b"".join(query_blobs))
    code = (
        "import sys, json, os\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
        "from storage import bands\nfrom storage.db import Database\n"
        "from stories.fingerprint import MinHasher, NEAR_DUPLICATE_THRESHOLD\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 1e6\n"
        "hasher = MinHasher()\n"
        "data = open(sys.argv[2], 'rb').read()\n"
        "blobs = [data[i:i + 512] for i in range(0, len(data), 512)]\n"
        "keys = [hasher.band_keys(b) for b in blobs]\n"
        "before = rss()\n"
        "db = Database('sqlite:///' + sys.argv[1])\n"
        "with db.session() as s:\n"
        "    for b, k in zip(blobs, keys):\n"
        "        bands.near_duplicates(s, k, b, hasher, threshold=NEAR_DUPLICATE_THRESHOLD)\n"
        "print(json.dumps({'before': before, 'after': rss()}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), str(blob_file)], capture_output=True, text=True, check=True
    )
    blob_file.unlink()
    measured: dict[str, float] = json.loads(result.stdout)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="stored articles, comma-separated")
    parser.add_argument("--queries", type=int, default=400, help="planted queries per size (as many unrelated)")
    parser.add_argument("--folder", type=Path, default=None, help="where to build the databases (default: a temp dir)")
    parser.add_argument("--skip-signatures", action="store_true")
    args = parser.parse_args()
    hasher = MinHasher()
    print(
        f"MinHasher: {hasher.num_perm} permutations, {hasher.bands} bands x {hasher.rows} rows, "
        f"{hasher.shingle_size}-word shingles, threshold {NEAR_DUPLICATE_THRESHOLD}"
    )
    if not args.skip_signatures:
        bench_signatures(hasher)
    with tempfile.TemporaryDirectory(prefix="raqib-neardup-", dir=args.folder) as folder:
        for size in (int(part) for part in args.sizes.split(",") if part):
            bench_index(size, args.queries, hasher, Path(folder))


if __name__ == "__main__":
    main()
