"""How a sentence tells a state, a fact's standing or a thing done again, in the news's own
words (``stories/data/turns.toml``), for ``stories.turns``: which side of a family of opposite
states it tells as done ("withdrawn" / "back"), whether it gives its fact to reports, confirms it
or denies it, and whether it tells a thing done again ("seen again", "مجددا"). Each reader skips a
state negated, asked for, planned or told as what came before ("after the withdrawal")."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from stories.features import content_words
from stories.text import normalise
from stories.wording import Label

# Words that make a state something not done: negated, refused, threatened, asked for, planned,
# possible or conditional ("did not resume", "threatened to suspend", "calls for the withdrawal",
# "if we return to war", "قد تستأنف", "طالب بانسحاب"). Read in the few words before the state's word.
_UNREAL = re.compile(
    r"(?<!\S)(?:not|never|no|nor|refus\S*|reject\S*|threat\S*|demand\S*|call|calls|called|calling|urg\S*|"
    r"may|might|could|would|if|unless|plan\S*|consider\S*|weigh\S*|propos\S*|expected|likely|ready|willing|"
    r"لم|لن|لا|عدم|دون|رفض\S*|ترفض|يرفض|هدد\S*|يهدد|تهدد|طالب\S*|يطالب|تطالب|مطالب\S*|دعا|دعت|يدعو|تدعو|"
    r"قد|اذا|لو|حال|يعتزم|تعتزم|تخطط|يخطط|مستعد\S*|اقتراح|مقترح)(?!\S)"
)
# A clause opened by these tells what came before the news ("resumed after a two-month
# suspension", "استئناف المفاوضات بعد تعليقها"): its state is the background, not the report's.
_BEFORE = frozenset(normalise(word) for word in ("after", "following", "since", "بعد", "عقب", "إثر", "منذ"))
_CLAUSES = re.compile(r"[,.;:!?()\[\]،؛؟\u2013\u2014]+|\s-\s")
# A headline that gives its fact to reports or sources ("Reports: troops sent to Russia").
_ATTRIBUTED_HEADLINE = re.compile(r"\s*(?:reports?|sources?|media|مصادر|تقارير)\s*:", re.IGNORECASE)
ARABIC = re.compile(r"[\u0621-\u064a]")
_UNREAL_WINDOW = 4  # words before a state's word that can make it unreal
_BEFORE_WINDOW = 5  # words after "after" that tell the background


def _pattern(terms: Sequence[str], arabic: bool) -> re.Pattern[str]:
    """Whole words of ``terms`` (normalised; a word ending in * a prefix, "..." up to eight words
    between two: "resum* attacks", "allowed ... to return", "اعادت ... فتح"); Arabic ones after
    proclitics."""

    def word(written: str) -> str:
        return re.escape(normalise(written.rstrip("*"))) + (r"\S*" if written.endswith("*") else "")

    alternatives = []
    for term in sorted(set(terms), key=len):
        parts = [" ".join(word(w) for w in part.split()) for part in term.split("...")]
        alternatives.append(r" (?:\S+ ){0,8}".join(part for part in parts if part))
    prefix = r"(?:[وف]?(?:لل|[بلك]?ال|[بلك])?)" if arabic else ""
    return re.compile(r"(?<!\S)" + prefix + "(?:" + "|".join(reversed(alternatives)) + r")(?!\S)")


def _both(entry: Mapping[str, Any]) -> re.Pattern[str]:
    english, arabic = entry.get("en", []), entry.get("ar", [])
    return re.compile(f"{_pattern(english, False).pattern}|{_pattern(arabic, True).pattern}")


@dataclass(frozen=True, slots=True)
class Side:
    name: str
    label: Label
    words: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Family:
    """Two opposite states (``sides[0]``: withdrawn, suspended ...; ``sides[1]``: back, resumed ...).
    ``back_after``: the sides that end what the other does, from which a thing told done again
    comes back (``Again``)."""

    name: str
    sides: tuple[Side, Side]
    back_after: frozenset[int]
    back_fighting: bool = False  # a force withdrawn comes back by fighting: an attack told again is it back


@dataclass(frozen=True, slots=True)
class Again:
    """Words telling a thing done again, words telling the halt it comes back from, and the
    saying verbs whose "again" is the words' (``stories/data/turns.toml``, ``[again]``)."""

    again: re.Pattern[str]
    since_halt: re.Pattern[str]
    saying: re.Pattern[str]
    events: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Standing:
    unconfirmed: re.Pattern[str]
    confirmed: re.Pattern[str]
    denied: re.Pattern[str]
    not_confirming: re.Pattern[str]
    announced: re.Pattern[str]
    official_source: re.Pattern[str]
    first_word: re.Pattern[str]
    first_word_saying: re.Pattern[str]


_STANDING_ENTRIES = (
    "unconfirmed",
    "confirmed",
    "denied",
    "not_confirming",
    "announced",
    "official_source",
    "first_word",
    "first_word_saying",
)


def _side(entry: Mapping[str, Any]) -> Side:
    label = Label(str(entry["label"]["en"]), str(entry["label"]["ar"]))
    return Side(label.en.replace(" ", "_"), label, _both(entry))


@cache
def _data() -> dict[str, Any]:
    with files("stories").joinpath("data/turns.toml").open("rb") as handle:
        return tomllib.load(handle)


def _family_entries() -> dict[str, Any]:
    return {name: entry for name, entry in _data().items() if name not in ("standing", "again")}


@cache
def _table() -> tuple[tuple[Family, ...], Standing]:
    families = []
    for name, entry in _family_entries().items():
        sides = tuple(_side(side) for side in (entry["from"], entry["to"]))
        back_after = frozenset(("from", "to").index(side) for side in entry.get("back_after", []))
        families.append(Family(name, (sides[0], sides[1]), back_after, bool(entry.get("back_fighting", False))))
    standing = _data()["standing"]
    return tuple(families), Standing(*(_both(standing[name]) for name in _STANDING_ENTRIES))


def families() -> tuple[Family, ...]:
    return _table()[0]


def standing_words() -> Standing:
    return _table()[1]


@cache
def _again() -> Again:
    entry = _data()["again"]
    return Again(_both(entry), _both(entry["since_halt"]), _both(entry["saying"]), _both(entry["events"]))


@lru_cache(maxsize=8192)
def _clauses(text: str) -> tuple[str, ...]:
    """``text`` normalised, one string per clause (normalising drops the punctuation that ends one)."""
    return tuple(clause for clause in (normalise(piece) for piece in _CLAUSES.split(text)) if clause)


def _real(clause: str, start: int) -> bool:
    """Whether the state word at ``start`` of ``clause`` is told as done: not negated, asked
    for or planned, and not in a clause telling what came before ("after ...")."""
    before = clause[:start].split()
    if _UNREAL.search(" ".join(before[-_UNREAL_WINDOW:])):
        return False
    return not any(word in _BEFORE for word in before[-_BEFORE_WINDOW:])


STATE, STANDING, AGAIN, DENIAL = "state", "standing", "again", "denial"


@cache
def _quick_words() -> dict[tuple[str, str], re.Pattern[str]]:
    """Per reading (a state, a standing, a thing done again) and language, a quick test that a
    normalised text may hold it: the longest word of each term's first part, anywhere. Most
    sentences hold none, and the full patterns (some 150 µs a sentence) are then not tried."""
    standing, again = _data()["standing"], _data()["again"]
    entries = {
        STATE: [side for family in _family_entries().values() for side in (family["from"], family["to"])],
        STANDING: [standing[name] for name in ("confirmed", "denied", "announced", "first_word")],
        AGAIN: [again, again["since_halt"]],
        DENIAL: [standing["denied"]],
    }
    patterns = {}
    for reading, readings_entries in entries.items():
        for language in ("en", "ar"):
            found = {
                max(normalise(term.rstrip("*").split("...")[0]).split(), key=len)
                for entry in readings_entries
                for term in entry.get(language, [])
            }
            patterns[reading, language] = re.compile("|".join(map(re.escape, sorted(found, key=len, reverse=True))))
    return patterns


@lru_cache(maxsize=8192)
def _folded(text: str) -> tuple[str, str]:
    """``text`` normalised, and its language (Arabic letters or not)."""
    folded = normalise(text)
    return folded, "ar" if ARABIC.search(folded) else "en"


@lru_cache(maxsize=8192)
def _may_hold(text: str, reading: str) -> bool:
    folded, language = _folded(text)
    return bool(_quick_words()[reading, language].search(folded))


@lru_cache(maxsize=8192)
def may_turn(text: str) -> bool:
    """Whether ``text`` may tell a state, a confirmation or a denial, or a thing done again (a
    quick test)."""
    return any(_may_hold(text, reading) for reading in (STATE, STANDING, AGAIN))


@lru_cache(maxsize=8192)
def states(text: str) -> dict[str, int]:
    """Family name -> the side (0 or 1) ``text`` tells as done; a family whose both sides it
    tells as done ("withdrew, then returned") is left out: which came last is not read."""
    if not _may_hold(text, STATE):
        return {}
    found: dict[str, set[int]] = {}
    clauses = _clauses(text)
    for family in _table()[0]:
        for index, side in enumerate(family.sides):
            if any(_real(clause, match.start()) for clause in clauses for match in side.words.finditer(clause)):
                found.setdefault(family.name, set()).add(index)
    return {name: next(iter(sides)) for name, sides in found.items() if len(sides) == 1}


CONFIRMED, DENIED, UNCONFIRMED = "confirmed", "denied", "unconfirmed"


def may_deny(text: str) -> bool:
    """Whether ``text`` may tell a denial (a quick test: most sentences tell none)."""
    return _may_hold(text, DENIAL)


@lru_cache(maxsize=8192)
def standings(text: str) -> frozenset[str]:
    """How ``text`` tells its fact: ``CONFIRMED`` when a party confirms, acknowledges or admits
    it (not "could not confirm", "refused to confirm", "confirmed cases"), ``DENIED`` when a party
    denies it (not "did not deny"), ``UNCONFIRMED`` when it gives it to reports, claims, suspicion,
    unnamed sources, an intelligence service's assessment or a denial. Empty: told as a fact, or not a fact at all."""
    table = _table()[1]
    found = set()
    if _ATTRIBUTED_HEADLINE.match(text):  # "Reports: ...", "Sources: ...": the wire's "unconfirmed"
        found.add(UNCONFIRMED)
    folded = normalise(text)
    if table.unconfirmed.search(folded):
        found.add(UNCONFIRMED)
    if not _may_hold(text, STANDING):
        return frozenset(found)
    clauses = [table.not_confirming.sub(" ", clause) for clause in _clauses(text)]
    for name, pattern in ((CONFIRMED, table.confirmed), (DENIED, table.denied)):
        if any(_real(clause, match.start()) for clause in clauses for match in pattern.finditer(clause)):
            found.add(name)
    if not found & {CONFIRMED, UNCONFIRMED, DENIED} and _official_word(table, clauses):
        found.add(CONFIRMED)
    if DENIED in found:
        found.add(UNCONFIRMED)
    return frozenset(found)


def _official_word(table: Standing, clauses: Sequence[str]) -> bool:
    """Whether ``clauses`` make a fact public as an official word: an act of making it public
    ("announced", "went public", "رسميا") by an official source, or any source's first word
    ("said for the first time", "في أول تصريح"; not "for the first time since": a halt)."""
    text = " ".join(clauses)
    announced = any(_real(clause, match.start()) for clause in clauses for match in table.announced.finditer(clause))
    if announced and (table.official_source.search(text) or table.first_word.search(text)):
        return True
    first = table.first_word.search(_again().since_halt.sub(" ", text))
    return bool(first) and bool(table.first_word_saying.search(text))


@lru_cache(maxsize=8192)
def tells_event(text: str) -> bool:
    """Whether ``text`` tells an event that happens again and again: an attack, a clash, a rally."""
    return bool(_again().events.search(normalise(text)))


_TARGET_WINDOW = 4  # words after an event's word that name what it hit ("struck North Korean troops")
_ACTOR_WINDOW = 5  # words before a state's word that name who is in it ("North Korean troops withdrew")


def event_targets(text: str) -> frozenset[str]:
    """The content words of what an event of an English ``text`` hit: the few words after its
    word. Not read in Arabic, where the words after a verb name the doer ("هاجم الجنود")."""
    words: set[str] = set()
    for clause in _clauses(text):
        if not ARABIC.search(clause):
            for match in _again().events.finditer(clause):
                words |= content_words(clause[match.end() :].split()[:_TARGET_WINDOW])
    return frozenset(words)


def state_actor(text: str, family: Family) -> frozenset[str]:
    """The content words of who or what an English ``text`` tells in ``family``'s state: the
    words before the state's word ("North Korean troops were withdrawn")."""
    words: set[str] = set()
    for clause in _clauses(text):
        if not ARABIC.search(clause):
            for side in family.sides:
                for match in side.words.finditer(clause):
                    words |= content_words(clause[: match.start()].split()[-_ACTOR_WINDOW:])
    return frozenset(words)


_SAYING_WINDOW = {"en": 1, "ar": 4}  # words before "again" where a saying verb makes it the words'


@lru_cache(maxsize=8192)
def told_again(text: str) -> bool:
    """Whether ``text`` tells a thing done again ("seen again", "once more", "مجددا", "عاود") or
    after a halt it names itself ("for the first time since they left"), not negated or asked
    for, and not a saying verb's "again" ("said again", "again denied", "نفت الوزارة مجددا")."""
    if not _may_hold(text, AGAIN):
        return False
    again = _again()
    for clause in _clauses(text):
        window = _SAYING_WINDOW["ar" if ARABIC.search(clause) else "en"]
        for pattern in (again.again, again.since_halt):
            for match in pattern.finditer(clause):
                if not _real(clause, match.start()):
                    continue
                near = clause[: match.start()].split()[-window:] + clause[match.end() :].split()[:1]
                if not again.saying.search(" ".join(near)):
                    return True
    return False
