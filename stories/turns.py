"""Turns: a report telling the opposite of a state its story told, the first confirmation of
what the story told only as reported, or a denial of what it told as a fact.

The encoder reads "the troops withdrew from the front" and "the troops returned to the front"
as one sentence (0.75-0.95), and "reports say the troops were sent" and "Seoul confirms the
troops were sent" nearly so (0.6-0.8): same actors, same things. What changed is a state
(withdrawn / back, suspended / resumed, closed / reopened, expelled / allowed back, detained /
released, imposed / lifted) or a fact's standing (reported, claimed, denied / confirmed). Both
are read here from a small bilingual table of the news's own words (``stories/data/turns.toml``),
not a watch's, so they apply to every watch.

A report's sentence turns its story when the story sentence it restates (the nearest in meaning,
at ``NoveltySettings.turn_similarity`` or more; within one language they must also share a
content word besides the state's own, as ``stories.stances`` ties a stance to its proposal)
tells the other side, and so does the latest story sentence about the same thing (at the same
bar) that tells either: a turn told again ("the talks resumed" after the story told the
resumption) is no turn. A confirmation is news when the restated sentence told the fact only as
unconfirmed and no story sentence about the same thing confirmed it; a denial when the restated
sentence told it as a fact or a claim and no story sentence denied anything (a denial is told beside the
claim it answers, in words the encoder reads apart across languages).
``stories.novelty.assess`` judges the sentence new whatever its similarity and names the turn.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from numpy.typing import NDArray

from stories.features import ArticleFeatures, content_words
from stories.memory import StoryMemory
from stories.non_statements import says_nothing
from stories.novelty_types import Turn
from stories.stances import ACCEPTANCE, REFUSAL, stance
from stories.text import normalise, tokenise
from stories.wording import Label

CONFIRMATION = Turn("official_confirmation", Label("official confirmation", "تأكيد رسمي"), "")
DENIAL = Turn("denial", Label("denial", "نفي"), "")
_STANCE_LABELS = {ACCEPTANCE: Label("acceptance", "موافقة"), REFUSAL: Label("refusal", "رفض")}

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
_ARABIC = re.compile(r"[\u0621-\u064a]")
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
    """Two opposite states (``sides[0]``: withdrawn, suspended ...; ``sides[1]``: back, resumed ...)."""

    name: str
    sides: tuple[Side, Side]


@dataclass(frozen=True, slots=True)
class Standing:
    unconfirmed: re.Pattern[str]
    confirmed: re.Pattern[str]
    denied: re.Pattern[str]
    not_confirming: re.Pattern[str]


def _side(entry: Mapping[str, Any]) -> Side:
    label = Label(str(entry["label"]["en"]), str(entry["label"]["ar"]))
    return Side(label.en.replace(" ", "_"), label, _both(entry))


@cache
def _table() -> tuple[tuple[Family, ...], Standing]:
    with files("stories").joinpath("data/turns.toml").open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    standing = data.pop("standing")
    families = []
    for name, entry in data.items():
        sides = tuple(_side(side) for side in (entry["from"], entry["to"]))
        families.append(Family(name, (sides[0], sides[1])))
    return tuple(families), Standing(
        *(_both(standing[name]) for name in ("unconfirmed", "confirmed", "denied", "not_confirming"))
    )


def _clauses(text: str) -> list[str]:
    """``text`` normalised, one string per clause (normalising drops the punctuation that ends one)."""
    return [clause for clause in (normalise(piece) for piece in _CLAUSES.split(text)) if clause]


def _real(clause: str, start: int) -> bool:
    """Whether the state word at ``start`` of ``clause`` is told as done: not negated, asked
    for or planned, and not in a clause telling what came before ("after ...")."""
    before = clause[:start].split()
    if _UNREAL.search(" ".join(before[-_UNREAL_WINDOW:])):
        return False
    return not any(word in _BEFORE for word in before[-_BEFORE_WINDOW:])


@cache
def _quick_words() -> dict[str, re.Pattern[str]]:
    """Per language, a quick test that a normalised text may hold a state, a confirmation or a
    denial: the longest word of each term's first part, anywhere. Most sentences hold none, and
    the full patterns (some 150 µs a sentence) are then not tried."""
    with files("stories").joinpath("data/turns.toml").open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    standing = data.pop("standing")
    entries = [side for family in data.values() for side in (family["from"], family["to"])]
    entries += [standing["confirmed"], standing["denied"]]
    words: dict[str, set[str]] = {"en": set(), "ar": set()}
    for entry in entries:
        for language, found in words.items():
            for term in entry.get(language, []):
                found.add(max(normalise(term.rstrip("*").split("...")[0]).split(), key=len))
    return {
        language: re.compile("|".join(map(re.escape, sorted(found, key=len, reverse=True))))
        for language, found in words.items()
    }


@lru_cache(maxsize=8192)
def may_turn(text: str) -> bool:
    """Whether ``text`` may tell a state, a confirmation or a denial (a quick test)."""
    folded = normalise(text)
    return bool(_quick_words()["ar" if _ARABIC.search(folded) else "en"].search(folded))


@lru_cache(maxsize=8192)
def states(text: str) -> dict[str, int]:
    """Family name -> the side (0 or 1) ``text`` tells as done; a family whose both sides it
    tells as done ("withdrew, then returned") is left out: which came last is not read."""
    if not may_turn(text):
        return {}
    found: dict[str, set[int]] = {}
    clauses = _clauses(text)
    for family in _table()[0]:
        for index, side in enumerate(family.sides):
            if any(_real(clause, match.start()) for clause in clauses for match in side.words.finditer(clause)):
                found.setdefault(family.name, set()).add(index)
    return {name: next(iter(sides)) for name, sides in found.items() if len(sides) == 1}


CONFIRMED, DENIED, UNCONFIRMED = "confirmed", "denied", "unconfirmed"


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
    if not may_turn(text):
        return frozenset(found)
    clauses = [table.not_confirming.sub(" ", clause) for clause in _clauses(text)]
    for name, pattern in ((CONFIRMED, table.confirmed), (DENIED, table.denied)):
        if any(_real(clause, match.start()) for clause in clauses for match in pattern.finditer(clause)):
            found.add(name)
    if DENIED in found:
        found.add(UNCONFIRMED)
    return frozenset(found)


def _shared_subject(sentence: str, other: str, same_language: bool) -> bool:
    """Within one language, two sentences about the same actor or thing share a content word
    besides the states' own; across languages the encoder's reading is all there is."""
    if not same_language:
        return True
    own, theirs = content_words(tokenise(sentence)), content_words(tokenise(other))
    return bool((own & theirs) - _state_words(sentence) - _state_words(other))


@lru_cache(maxsize=8192)
def _state_words(text: str) -> frozenset[str]:
    families, table = _table()
    words: set[str] = set()
    folded = normalise(text)
    for pattern in [side.words for family in families for side in family.sides] + [table.confirmed]:
        for match in pattern.finditer(folded):
            words |= content_words(match.group(0).split())
    return frozenset(words)


def _turn_of(family: Family, new: int, evidence: str) -> Turn:
    now, before = family.sides[new].label, family.sides[1 - new].label
    name = f"{family.sides[new].name}_after_{family.sides[1 - new].name}"
    return Turn(name, Label(f"{now.en} after {before.en}", f"{now.ar} بعد {before.ar}"), evidence)


def stance_turn(sentence: str, restated: str) -> Turn | None:
    """The turn of a stance (``stories.stances``): "acceptance after refusal", "رفض بعد موافقة"."""
    own, other = stance(sentence), stance(restated) if restated else None
    if own is None or other is None or own == other:
        return None
    now, before = _STANCE_LABELS[own], _STANCE_LABELS[other]
    return Turn(f"{own}_after_{other}", Label(f"{now.en} after {before.en}", f"{now.ar} بعد {before.ar}"), sentence)


def find_turns(
    features: ArticleFeatures, memory: StoryMemory, cosines: NDArray[Any] | None, bar: float
) -> list[Turn | None]:
    """For each encoded sentence of the report, the turn it tells against the story sentence it
    restates (the nearest in meaning, at ``bar`` or more: ``stories.novelty.sentence_cosines``),
    if any."""
    if cosines is None:
        return [None] * len(features.encoded)
    languages = _languages(memory)
    # A denial is told next to the claim it answers, in words the encoder reads apart from the
    # report's (0.3-0.5: "فيما نفى حزب الله أي علاقة له" beside "Hezbollah denied any role"):
    # any story sentence denying makes a denial told.
    denial_told = any(may_turn(s.text) and DENIED in standings(s.text) for s in features.encoded) and any(
        DENIED in standings(text) for text in memory.texts
    )
    found: list[Turn | None] = []
    for sentence, row_cosines in zip(features.encoded, cosines, strict=True):
        rows = sorted(int(row) for row in (row_cosines >= bar).nonzero()[0])
        nearest = int(row_cosines.argmax())
        if nearest not in rows:
            found.append(None)
            continue
        near = [(memory.texts[row], languages[row] == features.language) for row in rows]
        restated = (memory.texts[nearest], languages[nearest] == features.language)
        found.append(turn(sentence.text, restated, near, denial_told=denial_told))
    return found


def turn(
    sentence: str, restated: tuple[str, bool], near: Sequence[tuple[str, bool]], *, denial_told: bool = False
) -> Turn | None:
    """The turn ``sentence`` tells against ``restated`` (the story sentence nearest it, and
    whether in its language), unless a story sentence about the same thing (``near``, oldest
    first, each with whether in its language) told it already: the latest state they tell must
    be ``restated``'s, and none may confirm what ``sentence`` confirms. A denial is news only
    when the story told none (``denial_told``). Within one language a sentence about another
    actor or thing (no content word shared) is not restated."""
    if not may_turn(sentence):
        return None  # most sentences: nothing to turn
    own, own_standing = states(sentence), standings(sentence)
    if not own and not own_standing & {CONFIRMED, DENIED}:
        return None
    # A sentence saying nothing ("would neither confirm nor deny") turns nothing.
    if says_nothing(sentence) or not _shared_subject(sentence, *restated):
        return None
    told_near = [text for text, same_language in near if _shared_subject(sentence, text, same_language)]
    before = states(restated[0])
    for family in _table()[0]:
        if family.name not in own or before.get(family.name, own[family.name]) == own[family.name]:
            continue
        told = [states(text)[family.name] for text in told_near if family.name in states(text)]
        if told and told[-1] != own[family.name]:
            return _turn_of(family, own[family.name], sentence)
    restated_standing = standings(restated[0])
    if own_standing & {CONFIRMED, DENIED} == {CONFIRMED} and restated_standing & {CONFIRMED, UNCONFIRMED} == {
        UNCONFIRMED
    }:
        # The first confirmation of what the story gave only to reports, claims or a denial.
        if all(CONFIRMED not in standings(text) for text in told_near):
            return Turn(CONFIRMATION.category, CONFIRMATION.label, sentence)
    if own_standing & {CONFIRMED, DENIED} == {DENIED} and DENIED not in restated_standing and not denial_told:
        # A denial of what the story told as a fact or as a claim.
        return Turn(DENIAL.category, DENIAL.label, sentence)
    return None


def _languages(memory: StoryMemory) -> list[str]:
    """The language of each of ``memory.texts`` (Arabic letters or not)."""
    return ["ar" if _ARABIC.search(text) else "en" for text in memory.texts]
