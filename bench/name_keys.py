"""Where Arabic and English reports of one event share name keys, and where the keys miss.

For every dev timeline (never a holdout): the name keys each matched item carries
(``stories.features.extract_features``: ``stories.names`` keys of its title and body), less the
keys of the watch's query (every report of the watch has them). Prints, per file and over all:

- same story, across languages: the share of pairs (an Arabic and an English item the labels put
  in one story) that share a key, and the share of items that share a key with an EARLIER
  other-language report of their story (what the join sees: a report against its story);
- different stories of the watch, across languages: the share of pairs that share a key (how
  often the keys tie two events together);
- of the pairs of either kind that share no key, those that would meet through a country both
  name (other than the query's: "Egypt" and "مصر" give no common key), through a key of two
  consonants (``stories.names`` drops them as too short: "Taiz" / "تعز", "Kyiv" / "كييف") and
  through an institution both name (``stories.institutions``: "WHO" / "الصحة العالمية", other
  than the query's); and the shares of pairs sharing a key with the institutions' keys added;
- the lead's countries (``stories.countries.located`` / ``mentioned`` over the title and first
  sentence), per language: the share of items whose lead places its event in a country, and of
  same-story cross-language pairs placed in two different countries.

    .venv/bin/python bench/name_keys.py [bench/timeline/egypt-dev.jsonl ...] [--misses N] [--unmatched N]

``--misses N``: for up to N same-story pairs per file that share no key, the English item's
capitalised words with their keys and the Arabic item's title with its words' keys.
``--unmatched N``: over all files, the N names (runs of capitalised words, abbreviations) the
English items of same-story pairs sharing no key (institutions included) name most, counted per
pair: the names a translation hides ("Security Service", "Emergency") and the watch's own.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections import Counter
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
from stories.institutions import institution_keys  # noqa: E402
from stories.names import _ARABIC_WORD, _CAPITALISED, name_key, query_keys  # noqa: E402


@dataclass(frozen=True)
class Item:
    id: str
    story: str
    language: str
    title: str
    body: str
    keys: frozenset[str]  # its name keys, less the query's
    countries: frozenset[str]  # the countries it names anywhere (stories.countries.mentioned), less the query's
    short: frozenset[str]  # the two-consonant keys its names would give (under MIN_KEY), less the query's
    institutions: frozenset[str]  # the keys of the institutions it names (stories.institutions), less the query's

    @property
    def lead(self) -> list[str]:
        return [self.title, *split_sentences(self.body)[:1]]


def _english_names(sentence: str) -> list[str]:
    """The words ``stories.names.english_keys`` reads as names: capitalised, not the first word,
    not a stop word, without a possessive."""
    words = [m.group().split("'")[0].split("’")[0] for m in _CAPITALISED.finditer(sentence) if m.start()]
    return [word for word in words if word.lower() not in _STOP_EN]


def _short_keys(sentences: list[str], language: str) -> set[str]:
    """The keys of two consonants the item's names would give ("Taiz" / "تعز" -> "tz"), which
    ``stories.names`` drops as too short: the words ``english_keys`` / ``arabic_keys`` read."""
    keys: set[str] = set()
    for sentence in sentences:
        words = _english_names(sentence) if language == "en" else _ARABIC_WORD.findall(sentence)
        keys.update(key for word in words if len(key := name_key(word, SHORT)) == SHORT)
    return keys


SHORT = 2


def query_of(path: Path) -> str:
    """The query of the watch a timeline is labelled for."""
    with tempfile.TemporaryDirectory() as scratch:
        return load_config(config_for(path), data_dir=Path(scratch)).watches[0].query


def items_of(path: Path) -> list[Item]:
    query = query_of(path)
    ignored = query_keys(query)
    ignored_short = {key for word in re.findall(r"[^\W\d_]+", query) if (key := name_key(word, SHORT))}
    ignored_countries = mentioned(query)
    ignored_institutions = institution_keys(query)
    lexicon = Lexicon()
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if raw["expect"] == "unmatched" or not raw.get("story"):
            continue
        entry = entry_of(raw)
        features = extract_features(entry, raw["language"], lexicon)
        body = entry.text or entry.summary
        sentences = [entry.title, *split_sentences(body)]
        countries = frozenset().union(*(mentioned(sentence) for sentence in sentences)) - ignored_countries
        short = frozenset(_short_keys(sentences, raw["language"]) - ignored_short)
        institutions = frozenset().union(*(institution_keys(sentence) for sentence in sentences))
        items.append(
            Item(
                raw["id"],
                raw["story"],
                raw["language"],
                entry.title,
                body,
                features.names - ignored,
                countries,
                short,
                institutions - ignored_institutions,
            )
        )
    return items


def _placed(item: Item) -> frozenset[str]:
    return frozenset().union(*(located(sentence) for sentence in item.lead))


def measure(items: list[Item]) -> Counter[str]:
    """Counts, by name: ``same`` / ``other`` cross-language pairs of one story / of two, ``*_shared``
    those sharing a key; of those sharing none, ``*_country`` the ones naming a common country and
    ``*_short`` those sharing a two-consonant key, ``*_institution`` those naming a common
    institution; ``*_with_institutions`` pairs sharing a key or an institution; ``reports`` items with an earlier
    other-language report of their story, ``reports_shared`` those sharing a key with one;
    ``lead:<language>`` items, ``located:`` / ``mentioned:<language>`` those whose lead places
    its event in / names a country; ``placed`` same-story pairs both of whose leads place their
    event, ``placed_apart`` those placing it in no common country."""
    counts: Counter[str] = Counter()
    for item in items:
        counts[f"lead:{item.language}"] += 1
        counts[f"located:{item.language}"] += any(located(sentence) for sentence in item.lead)
        counts[f"mentioned:{item.language}"] += any(mentioned(sentence) for sentence in item.lead)
    for a, b in combinations(items, 2):
        if a.language == b.language:
            continue
        kind = "same" if a.story == b.story else "other"
        counts[kind] += 1
        if a.keys & b.keys:
            counts[f"{kind}_shared"] += 1
        else:
            counts[f"{kind}_country"] += bool(a.countries & b.countries)
            counts[f"{kind}_short"] += bool(a.short & b.short)
            counts[f"{kind}_institution"] += bool(a.institutions & b.institutions)
        counts[f"{kind}_with_institutions"] += bool(a.keys & b.keys or a.institutions & b.institutions)
        if kind == "same" and (places_a := _placed(a)) and (places_b := _placed(b)):
            counts["placed"] += 1
            counts["placed_apart"] += not places_a & places_b
    for index, item in enumerate(items):
        earlier = [o for o in items[:index] if o.story == item.story and o.language != item.language]
        if earlier:
            counts["reports"] += 1
            counts["reports_shared"] += bool(item.keys & frozenset().union(*(o.keys for o in earlier)))
    return counts


def _share(counts: Counter[str], part: str, whole: str) -> str:
    return f"{counts[part] / counts[whole]:.2f} ({counts[part]}/{counts[whole]})" if counts[whole] else "-"


def line(label: str, counts: Counter[str]) -> str:
    """One printed row of ``measure``'s counts."""
    unshared = {kind: Counter({"n": counts[kind] - counts[f"{kind}_shared"]}) + counts for kind in ("same", "other")}
    rescued = " ".join(
        f"{kind}: country {_share(unshared[kind], f'{kind}_country', 'n')} "
        f"short {_share(unshared[kind], f'{kind}_short', 'n')} "
        f"institution {_share(unshared[kind], f'{kind}_institution', 'n')}"
        for kind in ("same", "other")
    )
    countries = " ".join(
        f"{lang} located {_share(counts, f'located:{lang}', f'lead:{lang}')} "
        f"mentioned {_share(counts, f'mentioned:{lang}', f'lead:{lang}')}"
        for lang in ("en", "ar")
    )
    return (
        f"{label:9} same-story {_share(counts, 'same_shared', 'same'):17} "
        f"vs earlier {_share(counts, 'reports_shared', 'reports'):15} "
        f"other-story {_share(counts, 'other_shared', 'other'):18}\n"
        f"{'':9} with institutions: same-story {_share(counts, 'same_with_institutions', 'same')} "
        f"other-story {_share(counts, 'other_with_institutions', 'other')}\n"
        f"{'':9} sharing none, would meet by {rescued}\n"
        f"{'':9} lead countries: {countries}; same-story pairs placed apart {_share(counts, 'placed_apart', 'placed')}"
    )


def misses(items: list[Item], query_words: frozenset[str], limit: int, seed: int = 12) -> list[str]:
    """Up to ``limit`` same-story cross-language pairs that share no key, described: the English
    item's names with their keys (two consonants shown too; ``query_words``: the query's words)."""
    pairs = [
        (a, b) if a.language == "en" else (b, a)
        for a, b in combinations(items, 2)
        if a.story == b.story and a.language != b.language and not a.keys & b.keys
    ]
    random.Random(seed).shuffle(pairs)
    lines = []
    for english, arabic in pairs[:limit]:
        names = sorted(
            {
                f"{word}={name_key(word, SHORT)}{'(query)' if word in query_words else ''}"
                for sentence in (english.title, *split_sentences(english.body))
                for word in _english_names(sentence)
                if name_key(word, SHORT)
            }
        )
        lines.append(f"  {english.id}/{arabic.id} ({english.story}) en names: {' '.join(names)}")
        lines.append(f"      ar title: {arabic.title}")
        lines.append(f"      ar keys (less the query's): {' '.join(sorted(arabic.keys))}")
    return lines


# A name as an English report writes it: a run of capitalised words ("National Intelligence
# Service", "Civil Defense") or an abbreviation ("HUR"); the first word of a sentence is not read.
_ENGLISH_NAME = re.compile(r"(?<=[\w,;:(] )(?:[A-Z][\w'’-]+ (?:(?:of|for|and|the) )?)*[A-Z][\w'’-]+")


def unmatched_names(items: list[Item]) -> Counter[str]:
    """The names (``_ENGLISH_NAME``, but days, months and other stop words) the English item of
    each same-story cross-language pair sharing no key nor institution names, one count per pair."""
    counts: Counter[str] = Counter()
    for a, b in combinations(items, 2):
        if a.story != b.story or a.language == b.language or a.keys & b.keys or a.institutions & b.institutions:
            continue
        english = a if a.language == "en" else b
        counts.update(
            {
                name
                for sentence in english.lead + split_sentences(english.body)[1:]
                for name in _ENGLISH_NAME.findall(sentence)
                if not all(word.lower() in _STOP_EN for word in name.split())
            }
        )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--misses", type=int, default=0, help="same-story pairs sharing no key to show, per file")
    parser.add_argument("--unmatched", type=int, default=0, help="names of same-story pairs sharing no key to list")
    args = parser.parse_args()
    files = args.files or sorted(TIMELINES.glob("*-dev.jsonl"))
    total: Counter[str] = Counter()
    unmatched: Counter[str] = Counter()
    for path in files:
        if "holdout" in path.name:
            raise SystemExit(f"{path.name}: holdouts are not read here")
        items = items_of(path)
        counts = measure(items)
        total.update(counts)
        if args.unmatched:
            unmatched.update(unmatched_names(items))
        print(line(path.name.removesuffix("-dev.jsonl"), counts))
        if args.misses:
            query_words = frozenset(re.findall(r"[^\W\d_]+", query_of(path)))
            print("\n".join(misses(items, query_words, args.misses)))
    print(line("all", total))
    if args.unmatched:
        print("names of same-story pairs sharing no key (pairs):")
        print("  " + ", ".join(f"{name} {n}" for name, n in unmatched.most_common(args.unmatched)))


if __name__ == "__main__":
    main()
