"""Reports and sentences that restate what a story already told, told apart by how news is
written rather than by what it says: the round-up or explainer ("What we know about ...",
"Explainer: ...", a headline asking a question, "ما الذي نعرفه عن ...") gathers the story's facts
for a reader who missed them, and a sentence that points back in time ("had earlier said",
"last month", "وكان ... قد أعلن", "في وقت سابق") gives the background of the news, not the news.

The sentence encoder reads a restatement worded apart from the story's sentences (another
outlet's, or the other language's) as new at 0.3-0.5, as it reads many true developments; these
marks are the stock forms of news writing in both languages, not a watch's vocabulary, so they
apply to every watch (bench/timeline/README.md, session 11).
"""

from __future__ import annotations

import re
from functools import cache

from stories.features import ArticleFeatures
from stories.figures import Figure
from stories.text import normalise

# Headline genres that restate: matched on the normalised title (lower case, Arabic folded) as
# whole words. Not "analysis" (a piece of its own), nor "so far" alone ("toll rises to 50 so far").
ROUNDUP_PHRASES: tuple[str, ...] = (
    "explainer", "factbox", "fact box", "q&a", "what we know", "what you need to know",
    "what to know", "here's what", "key facts", "at a glance",
    "ما نعرفه", "ما الذي نعرفه", "ماذا نعرف", "كل ما تريد معرفته", "كل ما تحتاج معرفته",
    "اسئله واجوبه", "سؤال وجواب", "تسلسل زمني", "في سطور",
)  # fmt: skip

# A headline that asks ("What are the drones that hit Kyiv?", "لماذا غابت القوات؟") explains; news
# headlines state.
_QUESTION = re.compile(r"[?؟]\s*[\"'»”]?\s*$")

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# English: the past perfect of a report's own earlier news ("had earlier said"), a time before the
# news ("last month", "earlier this week", "last raised prices in March", not "the last besieged
# town"), a month given to a statement ("said in July": news of the day names its day). Not "had"
# alone: reported speech shifts every tense ("said it had fired").
_BACK_EN = re.compile(
    r"\b(?:had (?:earlier|previously|already|first)"
    r"|earlier (?:this|last) (?:week|month|year)"
    r"|(?:last|previous) (?:week|month|year)"
    r"|previously"
    rf"|last (?:{_MONTHS})"
    rf"|last (?!week|month|year|night)\w+ed (?:\w+ ){{0,4}}in (?:{_MONTHS}|\d{{4}})"
    rf"|(?:said|announced|reported|warned|confirmed|agreed|pledged|promised|denied) (?:in|last) (?:{_MONTHS}))\b"
)
# Arabic (normalised): a sentence opening with the past perfect "وكان X قد أعلن", the background
# formula of Arabic news writing; "كان قد" anywhere; a time before the news.
_BACK_AR = re.compile(
    r"^و?(?:كان|كانت|كانوا|كانا)(?: \S+){0,5} قد "
    r"|(?:^| )(?:كان|كانت|كانوا) قد "
    r"|في وقت سابق|الشهر الماضي|الاسبوع الماضي|العام الماضي|السنه الماضيه|سبق ان|سبق ل"
)


@cache
def _roundup_pattern() -> re.Pattern[str]:
    alternatives = sorted({normalise(phrase) for phrase in ROUNDUP_PHRASES}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")


def is_roundup(title: str) -> bool:
    """Whether the headline ``title`` marks a round-up or an explainer of its story."""
    return bool(_QUESTION.search(title.strip())) or _roundup_pattern().search(normalise(title)) is not None


def looks_back(sentence: str) -> bool:
    """Whether ``sentence`` points back in time: background restated under the news."""
    folded = normalise(sentence)
    return bool(_BACK_EN.search(folded) or _BACK_AR.search(folded))


def figures_of_news(features: ArticleFeatures) -> tuple[Figure, ...]:
    """Every figure of the report but those of sentences pointing back in time (background)."""
    background = [figure for sentence in features.sentences if looks_back(sentence.text) for figure in sentence.figures]
    if not background:
        return features.all_figures
    return tuple(figure for figure in features.all_figures if not any(figure is b for b in background))


def roundup_report(features: ArticleFeatures) -> bool:
    """Whether the report's headline (its first sentence) marks a round-up or an explainer (``is_roundup``)."""
    first = features.sentences[0] if features.sentences else None
    return (
        first is not None
        and bool(features.title_words)
        and first.words == features.title_words
        and is_roundup(first.text)
    )
