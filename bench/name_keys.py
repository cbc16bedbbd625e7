"""Where Arabic and English reports of one event share name keys, and where the keys miss.

For every dev timeline (never a holdout): the name keys each matched item carries
(``stories.features.extract_features``: ``stories.names`` keys of its title and body), less the
keys of the watch's query (every report of the watch has them). Prints, per file and over all:

- same story, across languages: the share of pairs (an Arabic and an English item the labels put
  in one story) that share a key, and the share of items that share a key with an EARLIER
  other-language report of their story (what the join sees: a report against its story);
- different stories of the watch, across languages: the share of pairs that share a key (how
  often the keys tie two events together);
- the lead's countries (``stories.countries.located`` / ``mentioned`` over the title and first
  sentence), per language: the share of items whose lead places its event in a country, and of
  same-story cross-language pairs placed in two different countries.

    .venv/bin/python bench/name_keys.py [bench/timeline/egypt-dev.jsonl ...] [--misses N]

``--misses N``: for up to N same-story pairs per file that share no key, the English item's
capitalised words with their keys and the Arabic item's title with its words' keys.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay_timeline import TIMELINES, config_for, entry_of  # noqa: E402

from config.loader import load_config  # noqa: E402
from stories.concepts import Lexicon  # noqa: E402
from stories.countries import located, mentioned  # noqa: E402
from stories.features import _STOP_EN, extract_features, split_sentences  # noqa: E402
from stories.names import _CAPITALISED, name_key, query_keys  # noqa: E402


@dataclass(frozen=True)
class Item:
    id: str
    story: str
    language: str
    title: str
    body: str
    keys: frozenset[str]

    @property
    def lead(self) -> list[str]:
        return [self.title, *split_sentences(self.body)[:1]]


@dataclass
class Counts:
    same_pairs: int = 0
    same_shared: int = 0
    same_reports: int = 0  # items with an earlier other-language report of their story
    same_reports_shared: int = 0
    other_pairs: int = 0
    other_shared: int = 0
    leads: dict[str, int] | None = None
    located: dict[str, int] | None = None
    mentioned: dict[str, int] | None = None
    placed_pairs: int = 0  # same-story cross-language pairs both of whose leads place the event
    placed_apart: int = 0  # ... in disjoint sets of countries

    def add(self, other: Counts) -> None:
        for name in ("same_pairs", "same_shared", "same_reports", "same_reports_shared", "other_pairs"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.other_shared += other.other_shared
        self.placed_pairs += other.placed_pairs
        self.placed_apart += other.placed_apart
        for name in ("leads", "located", "mentioned"):
            mine = getattr(self, name) or {}
            for language, n in (getattr(other, name) or {}).items():
                mine[language] = mine.get(language, 0) + n
            setattr(self, name, mine)

    def line(self, label: str) -> str:
        def share(part: int, whole: int) -> str:
            return f"{part / whole:.2f} ({part}/{whole})" if whole else "-"

        leads, loc, men = self.leads or {}, self.located or {}, self.mentioned or {}
        countries = " ".join(
            f"{lang} located {share(loc.get(lang, 0), leads.get(lang, 0))} mentioned "
            f"{share(men.get(lang, 0), leads.get(lang, 0))}"
            for lang in ("en", "ar")
        )
        return (
            f"{label:10} same-story pairs {share(self.same_shared, self.same_pairs):18} "
            f"report vs earlier other-language {share(self.same_reports_shared, self.same_reports):16} "
            f"other-story pairs {share(self.other_shared, self.other_pairs):18} | {countries} | "
            f"placed apart {share(self.placed_apart, self.placed_pairs)}"
        )


def items_of(path: Path) -> tuple[list[Item], frozenset[str]]:
    with tempfile.TemporaryDirectory() as scratch:
        config = load_config(config_for(path), data_dir=Path(scratch))
    watch = config.watches[0]
    ignored = query_keys(watch.query)
    lexicon = Lexicon()
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if raw["expect"] == "unmatched" or not raw.get("story"):
            continue
        entry = entry_of(raw)
        features = extract_features(entry, raw["language"], lexicon)
        body = entry.text or entry.summary
        items.append(Item(raw["id"], raw["story"], raw["language"], entry.title, body, features.names - ignored))
    return items, ignored


def measure(items: list[Item]) -> Counts:
    counts = Counts(leads={}, located={}, mentioned={})
    assert counts.leads is not None and counts.located is not None and counts.mentioned is not None
    for item in items:
        lead = item.lead
        counts.leads[item.language] = counts.leads.get(item.language, 0) + 1
        if any(located(sentence) for sentence in lead):
            counts.located[item.language] = counts.located.get(item.language, 0) + 1
        if any(mentioned(sentence) for sentence in lead):
            counts.mentioned[item.language] = counts.mentioned.get(item.language, 0) + 1
    for a, b in combinations(items, 2):
        if a.language == b.language:
            continue
        shared = bool(a.keys & b.keys)
        if a.story == b.story:
            counts.same_pairs += 1
            counts.same_shared += shared
            places_a = frozenset().union(*(located(s) for s in a.lead))
            places_b = frozenset().union(*(located(s) for s in b.lead))
            if places_a and places_b:
                counts.placed_pairs += 1
                counts.placed_apart += not places_a & places_b
        else:
            counts.other_pairs += 1
            counts.other_shared += shared
    for index, item in enumerate(items):
        earlier = [o for o in items[:index] if o.story == item.story and o.language != item.language]
        if earlier:
            counts.same_reports += 1
            counts.same_reports_shared += bool(item.keys & frozenset().union(*(o.keys for o in earlier)))
    return counts


def misses(items: list[Item], limit: int, seed: int = 12) -> list[str]:
    """Up to ``limit`` same-story cross-language pairs that share no key, described."""
    pairs = [
        (a, b) if a.language == "en" else (b, a)
        for a, b in combinations(items, 2)
        if a.story == b.story and a.language != b.language and not a.keys & b.keys
    ]
    random.Random(seed).shuffle(pairs)
    lines = []
    for english, arabic in pairs[:limit]:
        text = " ".join([english.title, english.body])
        names = sorted(
            {
                f"{m.group()}={name_key(m.group())}"
                for m in _CAPITALISED.finditer(text)
                if m.group().lower() not in _STOP_EN and name_key(m.group())
            }
        )
        lines.append(f"  {english.id}/{arabic.id} ({english.story}) en: {' '.join(names)}")
        lines.append(f"      ar title: {arabic.title}")
        lines.append(f"      ar keys: {' '.join(sorted(arabic.keys))}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--misses", type=int, default=0, help="same-story pairs sharing no key to show, per file")
    args = parser.parse_args()
    files = args.files or sorted(TIMELINES.glob("*-dev.jsonl"))
    total = Counts(leads={}, located={}, mentioned={})
    for path in files:
        if "holdout" in path.name:
            raise SystemExit(f"{path.name}: holdouts are not read here")
        items, _ = items_of(path)
        counts = measure(items)
        total.add(counts)
        print(counts.line(path.name.removesuffix("-dev.jsonl")))
        if args.misses:
            print("\n".join(misses(items, args.misses)))
    print(total.line("all"))


if __name__ == "__main__":
    main()
