"""Benchmark: the analysis path (normalise → match → identity) against a plain regex loop.

Run: .venv/bin/python bench/bench_analysis.py [--items N] [--repeat R]

Generates N seeded synthetic news items (Arabic and English, about 10 % about North Korean troops
in Russia), then times in this one process:

- ``Analyser.analyse`` on every item, with the default watch alone and with five watches;
- the baseline: one compiled, case-insensitive alternation of each watch's raw terms searched in
  title + summary (no normalisation, no Boolean logic, no identity), the cheapest thing that
  could be called "matching".

It prints items/s, seconds and the ratio (analysis / baseline). If /work/shared/data/fetched
exists, it also reports the feed parsing rate (ingest.parse) over the real feed samples there, and the
analysis rate over their real entries. The best of R repetitions is reported for each figure.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stories.analysis import Analyser  # noqa: E402
from stories.types import Entry  # noqa: E402

DEFAULT_WATCH = (  # DESIGN §3.2
    '("North Korea*" OR Pyongyang OR DPRK OR "كوريا الشمالية" OR "الكورية الشمالية" OR "بيونغ يانغ")\n'
    "  AND (Kursk OR Russia* OR Ukrain* OR كورسك OR روسيا OR أوكرانيا)\n"
    "  AND (troop* OR soldier* OR forces OR drone* OR قوات OR جنود OR مسيرات)"
)
MORE_WATCHES = {
    "kursk-drones": "(Kursk OR Belgorod OR كورسك OR بيلغورود) AND (drone* OR UAV* OR مسيرات OR مسيرة)",
    "casualties": "(killed OR wounded OR casualt* OR قتلى OR جرحى OR مقتل) AND (troop* OR soldier* OR جنود)",
    "gaza-aid": '(Gaza OR غزة) AND ("humanitarian aid" OR convoy* OR مساعدات OR قافلة)',
    "iran-nuclear": '(Iran OR إيران) AND (nuclear OR uranium OR IAEA OR "الطاقة الذرية" OR نووي*)',
}
FETCHED = Path("/work/shared/data/fetched")

EN_MATCHING_TITLES = [
    "North Korean troops join Russian assault in Kursk region",
    "Pyongyang sends more soldiers to Russia, Seoul says",
    "Ukraine says it captured North Korean soldiers in Kursk",
    "DPRK forces suffer heavy losses near Kursk, Kyiv claims",
    "North Korea supplies drones and artillery to Russia",
    "Russia deploys North Korean troops along Ukrainian border",
]
EN_TITLES = [
    "Ukrainian drones strike oil depot in Russia's Kursk region",
    "South Korea holds joint drills with US forces",
    "Central bank holds interest rates steady amid inflation fears",
    "Floods displace thousands in southern provinces",
    "Election commission announces preliminary results",
    "Sikorsky wins new helicopter contract with the army",
    "Gaza aid convoy reaches northern areas after delays",
    "Iran says talks on nuclear programme to resume next week",
    "Football: champions league draw pits holders against rivals",
    "Oil prices climb as OPEC+ extends output cuts",
    "Prussia exhibition opens at the national museum",
    "Russian shelling kills two in Kharkiv, governor says",
]
EN_SENTENCES = [
    "Officials said the situation remained tense on Monday.",
    "The ministry did not immediately respond to a request for comment.",
    "According to intelligence estimates, about 12,000 troops were involved.",
    "Analysts say the move could reshape the conflict's dynamics.",
    "Residents reported hearing explosions late into the night.",
    "The statement gave no figure for casualties or damage.",
    "Talks are expected to continue in the coming weeks, diplomats said.",
    "Satellite images published by a think tank showed new activity at the site.",
    "Markets reacted cautiously to the announcement.",
    "The governor urged people to stay away from the area.",
]
AR_MATCHING_TITLES = [
    "القوات الكورية الشمالية تشارك في القتال بمنطقة كورسك",
    "كوريا الشمالية ترسل آلاف الجنود إلى روسيا",
    "كييف: أسر جنود من كوريا الشمالية في كورسك",
    "بيونغ يانغ تزود روسيا بمسيرات وقذائف مدفعية",
    "تقارير عن خسائر كبيرة في صفوف القوات الكورية الشمالية بأوكرانيا",
]
AR_TITLES = [
    "مسيرات أوكرانية تضرب مصفاة نفط في كورسك",
    "كوريا الجنوبية تجري مناورات مع القوات الأمريكية",
    "البنك المركزي يبقي أسعار الفائدة دون تغيير",
    "فيضانات تشرد آلاف الأسر في المحافظات الجنوبية",
    "لجنة الانتخابات تعلن النتائج الأولية",
    "شركة سيكورسكي تفوز بعقد جديد للمروحيات",
    "قافلة مساعدات تصل إلى شمال غزة بعد تأخير",
    "إيران تعلن استئناف المحادثات بشأن برنامجها النووي",
    "قصف روسي يقتل شخصين في خاركيف",
    "ارتفاع أسعار النفط بعد تمديد خفض الإنتاج",
]
AR_SENTENCES = [
    "وقال مسؤولون إن الوضع لا يزال متوتراً يوم الاثنين.",
    "ولم ترد الوزارة على الفور على طلب للتعليق.",
    "وبحسب تقديرات استخباراتية، شارك نحو ١٢٬٠٠٠ جندي في العمليات.",
    "ويقول محللون إن هذه الخطوة قد تغير مسار الصراع.",
    "وأفاد سكان بسماع انفجارات حتى ساعة متأخرة من الليل.",
    "ولم يذكر البيان أي أرقام عن الضحايا أو الأضرار.",
    "ومن المتوقع أن تستمر المحادثات خلال الأسابيع المقبلة.",
    "وأظهرت صور الأقمار الصناعية نشاطاً جديداً في الموقع.",
    "وتفاعلت الأسواق بحذر مع الإعلان.",
    "ودعا المحافظ السكان إلى الابتعاد عن المنطقة.",
]


def make_items(count: int, seed: int = 20250105) -> list[Entry]:
    """``count`` synthetic entries, the same ones for the same seed."""
    rng = random.Random(seed)
    items = []
    for number in range(count):
        arabic = rng.random() < 0.5
        matching = rng.random() < 0.10
        if arabic:
            title = rng.choice(AR_MATCHING_TITLES if matching else AR_TITLES)
            sentences, feed, site = AR_SENTENCES, "Arabic wire", "https://www.example-ar.net/news/"
        else:
            title = rng.choice(EN_MATCHING_TITLES if matching else EN_TITLES)
            sentences, feed, site = EN_SENTENCES, "English wire", "https://www.example.com/world/"
        chosen: list[str] = []
        for sentence in rng.sample(sentences, len(sentences)):
            chosen.append(sentence)
            if sum(map(len, chosen)) >= 300:  # a feed summary of about 300 characters
                break
        summary = " ".join(chosen)
        url = f"{site}{2025 - number % 3}/{number}?utm_source=rss&utm_medium=feed"
        guid = url if rng.random() < 0.7 else None
        items.append(Entry(feed=feed, title=title, summary=summary, guid=guid, url=url))
    return items


def raw_terms(query: str) -> list[str]:
    """The words and phrases of a query as written, operators and stars removed."""
    terms = re.findall(r'"([^"]+)"|([^\s()"]+)', query)
    return [(phrase or word).rstrip("*") for phrase, word in terms if (phrase or word) not in ("AND", "OR", "NOT")]


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_analysis(items: Sequence[Entry], watches: dict[str, str], repeat: int) -> tuple[float, int]:
    analyser = Analyser(watches)
    analyse = analyser.analyse
    return best_of(repeat, lambda: sum(1 for item in items if analyse(item).hits))


def bench_baseline(items: Sequence[Entry], watches: dict[str, str], repeat: int) -> tuple[float, int]:
    patterns = [
        re.compile("|".join(re.escape(term) for term in raw_terms(query)), re.IGNORECASE) for query in watches.values()
    ]

    def run() -> int:
        hits = 0
        for item in items:
            text = item.title + " " + item.summary
            if any(pattern.search(text) for pattern in patterns):
                hits += 1
        return hits

    return best_of(repeat, run)


def report(label: str, seconds: float, count: int, matched: int | None = None) -> float:
    rate = count / seconds
    extra = f", {matched} matched" if matched is not None else ""
    print(f"  {label:<44} {rate:>10,.0f} items/s  ({seconds:.3f} s for {count:,}{extra})")
    return rate


def bench_feed_parsing(repeat: int) -> None:
    from ingest.parse import parse_feed  # the crawler's parsing; imported here so the benchmark runs without it

    files = sorted(path for path in FETCHED.rglob("*") if path.suffix.lower() in (".xml", ".rss", ".atom"))
    if not files:
        print("  (no feed files found)")
        return
    samples = [(path, path.read_bytes()) for path in files]

    def parse(path: Path, data: bytes) -> list[Entry]:
        return parse_feed(data, None, feed_name=path.stem, base_url=f"http://samples.example/{path.name}").entries

    entries_per_pass = sum(len(parse(path, data)) for path, data in samples)
    start = time.perf_counter()
    passes = 0
    while time.perf_counter() - start < 2.0:
        for path, data in samples:
            parse(path, data)
        passes += 1
    seconds = time.perf_counter() - start
    size = sum(len(data) for _, data in samples)
    print(f"  {len(files)} files, {size / 1024:.0f} KiB, {entries_per_pass} entries per pass, {passes} passes")
    parse_rate = report("ingest.parse.parse_feed", seconds, entries_per_pass * passes)

    entries = [entry for path, data in samples for entry in parse(path, data)]
    watches = {"nk-troops-kursk": DEFAULT_WATCH, **MORE_WATCHES}
    seconds, matched = bench_analysis(entries * 20, watches, repeat)
    analysis_rate = report("Analyser.analyse on these entries (5 watches)", seconds, len(entries) * 20, matched)
    print(f"  analysis is {analysis_rate / parse_rate:.1f}x the parse rate")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    items = make_items(args.items)
    arabic = sum(1 for item in items if item.feed.startswith("Arabic"))
    mean = sum(len(item.title) + len(item.summary) for item in items) / len(items)
    print(
        f"{len(items):,} synthetic items: {arabic:,} Arabic, {len(items) - arabic:,} English, "
        f"{mean:.0f} characters of title + summary on average; best of {args.repeat} runs"
    )

    for label, watches in (
        ("default watch", {"nk-troops-kursk": DEFAULT_WATCH}),
        ("5 watches", {"nk-troops-kursk": DEFAULT_WATCH, **MORE_WATCHES}),
    ):
        print(f"\n{label}:")
        seconds, matched = bench_analysis(items, watches, args.repeat)
        analysis = report("Analyser.analyse (normalise, match, identity)", seconds, len(items), matched)
        seconds, matched = bench_baseline(items, watches, args.repeat)
        baseline = report("baseline: one alternation regex per watch", seconds, len(items), matched)
        print(f"  ratio analysis/baseline: {analysis / baseline:.3f}")

    if FETCHED.is_dir():
        print(f"\nreal feed samples in {FETCHED}:")
        bench_feed_parsing(args.repeat)


if __name__ == "__main__":
    main()
