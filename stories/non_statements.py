"""Sentences in which a source says it has nothing to say: "declined to comment", "could not
confirm", "is monitoring the situation", "رفض التعليق", "لم يتسنَّ التحقق", only welcomes
what happened ("welcomed the extension", "رحب بتمديد"), appeals to everyone ("urged all parties
to respect the truce", "دعا جميع الأطراف") or notes that nobody claimed an attack. A new actor who says
nothing is not news (the labelling rule of bench/timeline/README.md), yet such a sentence is new
to the encoder and names an actor the story never had, so it alerted. The phrases are the stock
formulas of wire copy in both languages, not a watch's vocabulary: they apply to every watch.
"""

from __future__ import annotations

import re
from functools import cache

from stories.text import normalise

# Matched on normalised text (stories.text.normalise: lower case, hamza, ة and diacritics folded),
# as whole words.
PHRASES: tuple[str, ...] = (
    # English
    "declined to comment", "declines to comment", "decline to comment", "refused to comment",
    "refuses to comment", "would not comment", "did not respond to a request for comment",
    "did not immediately respond", "did not reply to a request", "no comment",
    "could not confirm", "could not yet confirm", "cannot confirm", "cannot yet confirm",
    "can not confirm", "unable to confirm", "could not verify", "could not yet verify",
    "could not independently verify", "could not be independently verified",
    "could not be verified", "could not be confirmed", "unable to verify",
    "would neither confirm nor deny", "is monitoring", "are monitoring", "was monitoring",
    "were monitoring", "closely monitoring", "monitoring closely", "silent on",
    "cannot comment", "could not comment", "unable to comment", "can't comment",
    # No claim of an attack: the absence is the wire's filler, not a fact about the attack.
    "no group claimed", "no group has claimed", "no group immediately claimed", "no one claimed",
    "no one has claimed", "no one immediately claimed", "there was no claim of responsibility",
    # An appeal to everyone: the diplomat's formula that names no step and no party.
    "urged all parties", "urges all parties", "urged all sides", "urges all sides",
    "called on all parties", "calls on all parties", "called on all sides", "calls on all sides",
    "urged all countries", "urges all countries",
    # A reaction that only welcomes what happened: the event is the news, the welcome is not.
    "welcomed", "welcomes", "welcoming", "hailed the", "hails the",
    # Arabic
    "رفض التعليق", "رفضت التعليق", "يرفض التعليق", "ترفض التعليق", "امتنع عن التعليق",
    "امتنعت عن التعليق", "لم يرد على طلب", "لم ترد على طلب", "لم يعلق", "لم تعلق",
    "لا يمكن تاكيد", "لم يتسن التحقق", "لم يتسن تاكيد", "لم يتسن لنا التحقق", "تعذر التحقق",
    "تعذر تاكيد", "لم يتمكن من تاكيد", "لم تتمكن من تاكيد", "لم يؤكد ولم ينف", "لم تؤكد ولم تنف",
    "يتابع عن كثب", "تتابع عن كثب", "التزم الصمت", "التزمت الصمت",
    "لا يستطيع التعليق", "لا تستطيع التعليق", "لا يمكنه التعليق", "لا يمكنها التعليق", "لا يمكننا التعليق",
    "لم تتبن اي جهة", "لم تتبن أي جهة", "لم يتبن أحد", "لم تعلن أي جهة مسؤوليتها",
    # "دعا ... جميع الأطراف إلى ضبط النفس": the appeal's construction ("اتفقت جميع الأطراف على" is news).
    "جميع الأطراف إلى", "كافة الأطراف إلى", "كل الأطراف إلى", "جميع الدول إلى",
    "رحب", "رحبت", "يرحب", "ترحب", "رحبوا",
)  # fmt: skip


@cache
def _pattern() -> re.Pattern[str]:
    alternatives = sorted({normalise(phrase) for phrase in PHRASES}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")


def says_nothing(sentence: str) -> bool:
    """Whether ``sentence`` reports a source declining to say, or unable to confirm, anything."""
    return _pattern().search(normalise(sentence)) is not None
