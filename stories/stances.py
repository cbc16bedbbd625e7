"""The stance a sentence takes on a proposal, a demand or a deal: acceptance or refusal.

A party that gives way ("the government agreed to let passengers travel on Sanaa passports",
"وافقت الحكومة على سفر الركاب") is news after a story that told its refusal ("the government
refused to accept the passports", "رفضت الحكومة قبول الجوازات"), yet the encoder reads the two
as one topic (0.7-0.8): same parties, same object. Which stance each side takes is what tells the
turn (``stories.novelty.assess``). The words are the ``acceptance`` and ``refusal`` actions of
``stories.concepts`` (news in any watch); refusal governs an acceptance word a few words after
it ("refused to accept", "رفضت الحكومة قبول") and so does a negation right before it ("did not
accept", "لم توافق"). A sentence telling both stances apart ("Hamas accepted the plan, which
Israel rejected") takes neither: which party gave way is not read.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from stories.concepts import DEFAULT_ACTIONS, Lexicon
from stories.query_match import Document
from stories.text import normalise, tokenise

ACCEPTANCE = "acceptance"
REFUSAL = "refusal"

# A negation or a failure right before an acceptance word turns it into a refusal: "did not
# accept", "has not approved", "failed to agree", "لم توافق", "لن تقبل", "عدم الموافقة", "فشل في التوافق".
_NEGATED_EN = re.compile(
    r"\b(?:not|never|no|(?:fail|failed|fails|failing|unable) to) (?:yet )?(?:accept|agree|approv|endors)"
)
_NEGATED_AR = re.compile(
    r"(?:^| )(?:(?:لم|لن|لا|عدم|دون)|(?:فشل|فشلت|فشلوا)(?: \S+){0,2} في) "
    r"(?:ال)?(?:وافق|توافق|يوافق|موافق|قبول|تقبل|يقبل)"
)
# A refusal governing an acceptance word: "refused to accept", "rejects any deal to approve",
# "رفضت الحكومة المعترف بها دوليا قبول".
_GOVERNED_EN = re.compile(r"\b(?:reject|refus|turn(?:s|ed)? down)\w*(?: \S+){0,5} (?:accept|agree|approv|endors)")
_GOVERNED_AR = re.compile(r"(?:^| )(?:ال)?رفض\S*(?: \S+){0,5} (?:ال)?(?:قبول|موافق|الاعتراف|الاقرار)")


@cache
def _lexicon() -> Lexicon:
    return Lexicon(entities={}, actions={name: DEFAULT_ACTIONS[name] for name in (ACCEPTANCE, REFUSAL)})


@lru_cache(maxsize=8192)
def stance(text: str) -> str | None:
    """``REFUSAL``, ``ACCEPTANCE`` or None: what ``text`` says a party did with a proposal."""
    found = _lexicon().find(Document.from_tokens(tokenise(text)))
    if ACCEPTANCE not in found:
        return REFUSAL if REFUSAL in found else None
    folded = normalise(text)
    if REFUSAL in found:
        return REFUSAL if _GOVERNED_EN.search(folded) or _GOVERNED_AR.search(folded) else None
    if _NEGATED_EN.search(folded) or _NEGATED_AR.search(folded):
        return REFUSAL
    return ACCEPTANCE


def reverses(sentence: str, restated: str) -> bool:
    """Whether ``sentence`` takes the stance opposite to the one of ``restated`` (the story
    sentence nearest it in meaning): a turn, not a rewording."""
    own = stance(sentence)
    if own is None or not restated:
        return False
    other = stance(restated)
    return other is not None and other != own
