"""Turns: a report telling the opposite of a state its story told, the first confirmation of
what the story told only as reported, or a denial of what it told as a fact.

The encoder reads "the troops withdrew from the front" and "the troops returned to the front"
as one sentence (0.75-0.95), and "reports say the troops were sent" and "Seoul confirms the
troops were sent" nearly so (0.6-0.8): same actors, same things. What changed is a state
(withdrawn / back, suspended / resumed, closed / reopened, expelled / allowed back, detained /
released, imposed / lifted) or a fact's standing (reported, claimed, denied / confirmed). Both
are read from a small bilingual table of the news's own words (``stories.turn_words``,
``stories/data/turns.toml``), not a watch's, so they apply to every watch.

Another newsroom tells the same turns in words no family lists ("seen again at the checkpoints",
"went back to class", "brought back a cap", "مجددا", "عاود"; "the ministry announced", "said for
the first time", "أعلنت ... رسميا"): a thing told done again against a story sentence telling a
halt (a withdrawal, a suspension, a closure, an expulsion, a detention, a measure imposed or
lifted) is the halt's other side, and an official source making a fact public is a confirmation.

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

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from numpy.typing import NDArray

from stories.features import ArticleFeatures, content_words
from stories.memory import StoryMemory
from stories.names import arabic_keys, english_keys
from stories.non_statements import says_nothing
from stories.novelty_types import Turn
from stories.stances import ACCEPTANCE, REFUSAL, stance
from stories.text import normalise, tokenise
from stories.turn_words import (
    ARABIC,
    CONFIRMED,
    DENIED,
    UNCONFIRMED,
    Family,
    event_targets,
    families,
    may_deny,
    may_turn,
    standing_words,
    standings,
    state_actor,
    states,
    tells_event,
    told_again,
)
from stories.wording import Label
from stories.write_ups import headline_of_body

CONFIRMATION = Turn("official_confirmation", Label("official confirmation", "تأكيد رسمي"), "")
DENIAL = Turn("denial", Label("denial", "نفي"), "")
_STANCE_LABELS = {ACCEPTANCE: Label("acceptance", "موافقة"), REFUSAL: Label("refusal", "رفض")}


def _shared_subject(sentence: str, other: str, same_language: bool) -> bool:
    """Within one language, two sentences about the same actor or thing share a content word
    besides the states' own; across languages the encoder's reading is all there is."""
    if not same_language:
        return True
    own, theirs = content_words(tokenise(sentence)), content_words(tokenise(other))
    return bool((own & theirs) - _state_words(sentence) - _state_words(other))


@lru_cache(maxsize=8192)
def _state_words(text: str) -> frozenset[str]:
    words: set[str] = set()
    folded = normalise(text)
    for pattern in [side.words for family in families() for side in family.sides] + [standing_words().confirmed]:
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
    features: ArticleFeatures,
    memory: StoryMemory,
    cosines: NDArray[Any] | None,
    bar: float,
    bar_across: float | None = None,
) -> list[Turn | None]:
    """For each encoded sentence of the report, the turn it tells against the story sentence it
    restates (the nearest in meaning, at ``bar`` or more: ``stories.novelty.sentence_cosines``;
    in the other language from ``bar_across`` when the two share a name), if any."""
    if cosines is None:
        return [None] * len(features.encoded)
    languages = _languages(memory)
    # A denial is told next to the claim it answers, in words the encoder reads apart from the
    # report's (0.3-0.5: "فيما نفى حزب الله أي علاقة له" beside "Hezbollah denied any role"):
    # any story sentence denying makes a denial told.
    denial_told = any(may_deny(s.text) and DENIED in standings(s.text) for s in features.encoded) and any(
        may_deny(text) and DENIED in standings(text) for text in memory.texts
    )
    restating = [
        _restating(sentence.text, row_cosines, memory.texts, features.language, bar, bar_across)
        for sentence, row_cosines in zip(features.encoded, cosines, strict=True)
    ]
    found: list[Turn | None] = []
    for index, (sentence, (rows, nearest)) in enumerate(zip(features.encoded, restating, strict=True)):
        if index == 0 and headline_of_body(features) and len(restating) > 1:
            # A headline sums up its body: the story sentences the body restates are about its
            # thing too (a headline telling the pupils back in class over a body restating the
            # story's reopening), and a headline worded apart from every story sentence ("Aid
            # flows through Adre again") restates what its lead restates.
            rows = sorted(set(rows).union(*(body_rows for body_rows, _ in restating[1:])))
            nearest = restating[1][1] if nearest is None else nearest
        if nearest is None:
            found.append(None)
            continue
        near = [(memory.texts[row], languages[row] == features.language) for row in rows]
        restated = (memory.texts[nearest], languages[nearest] == features.language)
        found.append(turn(sentence.text, restated, near, denial_told=denial_told))
    return found


def _restating(
    sentence: str, row_cosines: NDArray[Any], texts: Sequence[str], language: str, bar: float, bar_across: float | None
) -> tuple[list[int], int | None]:
    """The story sentences (rows) ``sentence`` reads about the same thing (at ``bar``), and the one
    it restates: the nearest, if among them, or in the other language from ``bar_across`` when
    the two share a name."""
    rows = [int(row) for row in (row_cosines >= bar).nonzero()[0]]
    nearest = int(row_cosines.argmax())
    if nearest in rows:
        return rows, nearest
    if (
        bar_across is not None
        and row_cosines[nearest] >= bar_across
        and _language(texts[nearest]) != language
        and may_turn(sentence)  # the names' keys cost: only for a sentence that may turn
        and _names_shared(sentence, texts[nearest])
    ):
        return sorted([*rows, nearest]), nearest
    return rows, None


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
    if not own and not own_standing & {CONFIRMED, DENIED} and not told_again(sentence):
        return None
    # A sentence saying nothing ("would neither confirm nor deny") turns nothing.
    if says_nothing(sentence) or not _shared_subject(sentence, *restated):
        return None
    told_near = [text for text, same_language in near if _shared_subject(sentence, text, same_language)]
    before = states(restated[0])
    for family in families():
        if family.name not in own or before.get(family.name, own[family.name]) == own[family.name]:
            continue
        told = [states(text)[family.name] for text in told_near if family.name in states(text)]
        if told and told[-1] != own[family.name]:
            return _turn_of(family, own[family.name], sentence)
    back = _back_after_halt(sentence, own, restated[0], told_near)
    if back is not None:
        return back
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


def _comes_back(family: Family, own: Mapping[str, int], again: bool) -> bool:
    """Whether a sentence telling ``own`` tells ``family``'s thing back: done again, or another
    family's coming back ("the pupils returned" after "the schools closed")."""
    if family.name in own:
        return False  # its own side of the family: the family loop of ``turn`` reads it
    if again:
        return True
    return any(side not in other.back_after for other in families() for name, side in own.items() if name == other.name)


def _back_after_halt(sentence: str, own: Mapping[str, int], restated: str, told_near: Sequence[str]) -> Turn | None:
    """The turn of a thing told back in words no family lists ("seen again at the checkpoints",
    "went back to class", "brought back a cap") against the halt the restated story sentence
    tells, unless a story sentence about the same thing told it back since."""
    again, before = told_again(sentence), states(restated)
    for family in families():
        halt = before.get(family.name)
        # An attack told again is a force back in the fight, not when it hits that force
        # ("drones struck the North Korean troops again" after their withdrawal).
        back_again = again and (
            not tells_event(sentence)
            or family.back_fighting
            and not event_targets(sentence) & state_actor(restated, family)
        )
        if halt is None or halt not in family.back_after or not _comes_back(family, own, back_again):
            continue
        latest = halt
        for text in told_near:
            told = states(text)
            if family.name in told:
                latest = told[family.name]
            elif _comes_back(family, told, told_again(text)):
                latest = 1 - halt
        if latest == halt:
            return _turn_of(family, 1 - halt, sentence)
    return None


@lru_cache(maxsize=8192)
def _name_keys(text: str) -> frozenset[str]:
    return frozenset(arabic_keys(text) if ARABIC.search(text) else english_keys(text, frozenset()))


def _names_shared(sentence: str, other: str) -> bool:
    """Whether two sentences in different scripts share a name ("Zalambessa", "زالمبسا")."""
    return bool(_name_keys(sentence) & _name_keys(other))


def _language(text: str) -> str:
    return "ar" if ARABIC.search(text) else "en"


def _languages(memory: StoryMemory) -> list[str]:
    """The language of each of ``memory.texts`` (Arabic letters or not)."""
    return [_language(text) for text in memory.texts]
