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
from stories.figure_novelty import DIGIT_RUN, digits_value
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
_DAYS_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# A report's main clause told in the past of its own earlier news: the English past perfect
# ("had earlier said"; not "had" alone: reported speech shifts every tense, "said it had fired")
# and the Arabic background opener "وكان X قد أعلن". These date the sentence they govern.
_BACK_MAIN_EN = re.compile(r"\bhad (?:earlier|previously|already|first)\b")
_BACK_MAIN_AR = re.compile(r"^و?(?:كان|كانت|كانوا|كانا)(?: \S+){0,5} قد ")
# A time before the news ("last month", "earlier this week", "last raised prices in March", not
# "the last besieged town"), a month given to a statement ("said in July": news of the day names
# its day), "كان قد" past the opener, "في وقت سابق". They date the clause they stand in.
_BACK_TIME_EN = re.compile(
    r"\b(?:earlier (?:this|last) (?:week|month|year)"
    r"|(?:last|previous) (?:week|month|year)"
    r"|previously"
    rf"|last (?:{_MONTHS})"
    rf"|last (?!week|month|year|night)\w+ed (?:\w+ ){{0,4}}in (?:{_MONTHS}|\d{{4}})"
    rf"|(?:said|announced|reported|warned|confirmed|agreed|pledged|promised|denied) (?:in|last) (?:{_MONTHS}))\b"
)
_BACK_TIME_AR = re.compile(
    r"(?:^| )(?:كان|كانت|كانوا) قد "
    r"|في وقت سابق|الشهر الماضي|الاسبوع الماضي|العام الماضي|السنه الماضيه|سبق ان|سبق ل"
)
# A clause of its own: a relative clause ("troops who had previously withdrawn are back on the
# front", "الجنود الذين كانوا قد انسحبوا"), or a clause of time or comparison after a main clause
# of some length ("Cholera has killed 19 people in the camp, up from seven reported last week",
# "سجل 47.30 جنيه بعد ان كان قد هبط"): the time before the news dates that clause, and the
# sentence may state today's news. Not after a main clause of a few words: "ويأتي ذلك بعد ان ...",
# "the move comes after ..." say nothing but the background.
_RELATIVE_EN = re.compile(r"\b(?:who|whom|which)\b")
_RELATIVE_AR = re.compile(r"(?:^| )(?:الذي|التي|الذين|اللذين|اللتين|اللواتي)(?= |$)")
_CLAUSE_EN = re.compile(
    r"\b(?:(?:up|down|rising|falling|increasing|decreasing) from|compared (?:with|to)|since|after)\b"
)
_CLAUSE_AR = re.compile(r"(?:^| )(?:بعد ان|منذ|ارتفاعا من|انخفاضا من|مقارنه|مقابل)(?= |$)")
_MAIN_CLAUSE_WORDS = 4
# The news day named before the time pointing back ("approved on Wednesday a request to replace
# the candidate killed last week", "قال يوم الاثنين انه اوقف ... الاسبوع الماضي"): the sentence
# tells that day's news. Not for the markers of the main clause (``_BACK_MAIN_*``).
_NEWS_DAY_EN = re.compile(rf"\b(?:on (?:{_DAYS_EN})|today)\b")
_DAYS_AR = "الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|السبت|الاحد|اليوم"
_NEWS_DAY_AR = re.compile(rf"(?:^| )(?:يوم )?(?:{_DAYS_AR})(?! الماضي)(?= |$)")


@cache
def _roundup_pattern() -> re.Pattern[str]:
    alternatives = sorted({normalise(phrase) for phrase in ROUNDUP_PHRASES}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")


def is_roundup(title: str) -> bool:
    """Whether the headline ``title`` marks a round-up or an explainer of its story."""
    return bool(_QUESTION.search(title.strip())) or _roundup_pattern().search(normalise(title)) is not None


def looks_back(sentence: str) -> bool:
    """Whether ``sentence`` points back in time: background restated under the news. A time
    before the news in a clause of its own, or after the news day, dates that clause only."""
    folded = normalise(sentence)
    for main in (_BACK_MAIN_EN.search(folded), _BACK_MAIN_AR.search(folded)):
        if main is not None and not _in_own_clause(folded[: main.start()]):
            return True
    for back in (*_BACK_TIME_EN.finditer(folded), *_BACK_TIME_AR.finditer(folded)):
        before = folded[: back.start()]
        if not _in_own_clause(before) and not (_NEWS_DAY_EN.search(before) or _NEWS_DAY_AR.search(before)):
            return True
    return False


def _in_own_clause(before: str) -> bool:
    """Whether the text ``before`` a phrase opens a clause of its own: a relative clause after
    a word or more, a clause of time or comparison after a main clause of some length."""
    for relative in (*_RELATIVE_EN.finditer(before), *_RELATIVE_AR.finditer(before)):
        if before[: relative.start()].strip():
            return True
    for opener in (*_CLAUSE_EN.finditer(before), *_CLAUSE_AR.finditer(before)):
        if len(before[: opener.start()].split()) >= _MAIN_CLAUSE_WORDS:
            return True
    return False


# The value a change started from: "rose to 13.75 pounds from 12.50", "from 12.50 to 13.75", "up
# from 980", "من 12.5 إلى 13.75 جنيه", "إلى 13.75 جنيه من 12.5". Only beside the value it changed
# to ("from 12 countries" is no earlier value).
_EARLIER = (
    re.compile(rf"\bto (?:about |around |nearly |some )?{DIGIT_RUN}[^.;\d]{{0,40}}?\bfrom ({DIGIT_RUN})"),
    re.compile(rf"\bfrom ({DIGIT_RUN})[^.;\d]{{0,30}}?\bto (?:about |around |nearly )?{DIGIT_RUN}"),
    re.compile(rf"\b(?:up|down) from ({DIGIT_RUN})"),
    re.compile(rf"(?:^| )من ({DIGIT_RUN})[^.؛\d]{{0,30}}? (?:الى|إلى) {DIGIT_RUN}"),
    re.compile(rf"(?:^| )(?:الى|إلى) {DIGIT_RUN}[^.؛\d]{{0,40}}? من ({DIGIT_RUN})"),
)


def earlier_values(sentence: str) -> list[float]:
    """The values a sentence gives as where a change started ("rose to 13.75 from 12.50": 12.5):
    the story's own earlier figure, or the background of the news, never the news itself."""
    runs = (run for pattern in _EARLIER for run in pattern.findall(sentence.lower()))
    return [value for run in runs if (value := digits_value(run)) is not None]


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
