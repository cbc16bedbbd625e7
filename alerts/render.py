"""The words of an alert, independent of the channel: a headline, what is new, a plain-text body
and an HTML document.

Every string that came from a feed (titles, sentences, source names, links) is hostile input:
it is made one line before it goes anywhere, and escaped with ``html.escape`` in HTML. No
template engine sees it, so ``{{ 7*7 }}`` stays ``{{ 7*7 }}``. Links are only made for http(s)
addresses; anything else (``javascript:``) is shown as text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from alerts.types import AlertEvent
from stories.wording import WhatIsNew

BRAND = "Raqib"
SUBJECT_PREFIX = f"[{BRAND}]"
MAX_TITLE_CHARS = 110  # of a title inside a subject or headline; the whole subject stays < ~150

TYPE_NAMES = {
    "new_story": "new story",
    "development": "development",
    "update": "update",
    "duplicate": "duplicate",
    "test": "test message",
}
LANGUAGE_NAMES = {"ar": "Arabic", "en": "English"}
RTL_LANGUAGES = frozenset({"ar"})

# Line and paragraph separators and every control character (CR, LF, NEL, VT, FF, ESC, NUL ...).
_BREAKS = frozenset({"Cc", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")


def one_line(text: str | None) -> str:
    """``text`` on one line: every line break and control character becomes a space, runs of
    white space collapse. What a header, a subject or a list item may carry."""
    if not text:
        return ""
    cleaned = "".join(" " if unicodedata.category(ch) in _BREAKS else ch for ch in text)
    return _SPACES.sub(" ", cleaned).strip()


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when one is near, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def is_rtl(language: str) -> bool:
    return language in RTL_LANGUAGES


def type_name(event_type: str) -> str:
    return TYPE_NAMES.get(event_type, one_line(event_type).replace("_", " ") or "alert")


def _title(event: AlertEvent) -> str:
    return one_line(event.story.title) or one_line(event.article.title) or f"story {event.story.id}"


def headline(event: AlertEvent) -> str:
    """ "development: <story title>", "new story: <title>": one line, of a sane length."""
    return f"{type_name(event.type)}: {shorten(_title(event), MAX_TITLE_CHARS)}"


def subject(events: Sequence[AlertEvent], *, digest_title: str | None = None) -> str:
    """The subject of a message about ``events``: "[Raqib] development: <story title>" for one,
    "[Raqib] digest: 3 alerts on 2 stories" for several. One line."""
    if not events:
        raise ValueError("a message needs at least one event")
    if len(events) == 1 and digest_title is None:
        return f"{SUBJECT_PREFIX} {headline(events[0])}"
    title = shorten(one_line(digest_title) or "digest", 60)
    groups = group_by_story(events)
    alerts = _count(len(events), "alert")
    if len(groups) == 1:
        about = shorten(_title(groups[0][0]), MAX_TITLE_CHARS - 20)
        return f"{SUBJECT_PREFIX} {title}: {alerts} on {about}"
    return f"{SUBJECT_PREFIX} {title}: {alerts} on {len(groups)} stories"


@dataclass(frozen=True, slots=True)
class Change:
    """One thing an event adds, as a reader would say it, with the sentence that shows it."""

    line: str
    evidence: str = ""


def changes(event: AlertEvent) -> list[Change]:
    """What ``event`` adds to its story (``stories.wording``): changed and new figures,
    development categories the story did not have (labelled in both languages), new places and
    actors. Raqib's own words are English; a category's Arabic label stands beside it."""
    return [Change(one_line(note.line), one_line(note.evidence)) for note in _what_is_new(event).notes("en")]


def _what_is_new(event: AlertEvent) -> WhatIsNew:
    explanation = {"developments": event.developments, "figures": event.figures, "new_facts": event.new_facts}
    return WhatIsNew.from_explanation(event.type, explanation)


def what_is_new(event: AlertEvent) -> list[str]:
    """Human lines: "killed: 300 → 600", "first report of drones (مسيّرات)", "2 new sentences"."""
    lines = [change.line for change in changes(event)]
    facts = new_facts(event)
    if facts:
        lines.append(_count(len(facts), "new sentence"))
    if not lines and event.type == "new_story":
        lines.append("first report of this story")
    return lines


def new_facts(event: AlertEvent) -> list[str]:
    return [fact for fact in (one_line(text) for text in event.new_facts) if fact]


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def quote(sentence: str, language: str) -> str:
    return f"«{sentence}»" if is_rtl(language) else f"“{sentence}”"


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, one_line(language) or "unknown language")


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address on one line, else None: a feed's ``javascript:``
    link must not become a clickable link."""
    cleaned = one_line(url)
    if re.match(r"https?://[^\s]+$", cleaned, re.IGNORECASE):
        return cleaned
    return None


def group_by_story(events: Sequence[AlertEvent]) -> list[list[AlertEvent]]:
    """Events grouped by story, stories in the order they first appear, each story's events by time."""
    groups: dict[int, list[AlertEvent]] = {}
    for event in events:
        groups.setdefault(event.story.id, []).append(event)
    return [sorted(group, key=lambda e: _sort_time(e.created)) for group in groups.values()]


def _sort_time(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


# --- plain text ------------------------------------------------------------------------------


def render_text(events: Sequence[AlertEvent], *, digest_title: str | None = None) -> str:
    """The plain-text body. One event: what is new, the story, the article. Several: a digest,
    grouped by story."""
    if not events:
        raise ValueError("a message needs at least one event")
    if len(events) == 1 and digest_title is None:
        event = events[0]
        lines = [f"{BRAND} — {headline(event)}", ""]
        lines += _story_text(event)
        lines.append("")
        lines += _event_text(event)
        lines += ["", _footer_text(events)]
        return "\n".join(lines) + "\n"
    groups = group_by_story(events)
    title = one_line(digest_title) or "digest"
    lines = [f"{BRAND} {title} — {_count(len(events), 'alert')} on {_count(len(groups), 'story', 'stories')}"]
    for group in groups:
        lines += ["", "=" * 72]
        lines += _story_text(group[0])
        for event in group:
            lines += ["", f"--- {type_name(event.type)} · {when(event.created)}"]
            lines += _event_text(event)
    lines += ["", _footer_text(events)]
    return "\n".join(lines) + "\n"


def _story_text(event: AlertEvent) -> list[str]:
    lines = [f"Story: {_title(event)}"]
    link = safe_link(event.story.url)
    if link:
        lines.append(f"  {link}")
    lines.append(f"Watch: {one_line(event.watch)}")
    return lines


def _event_text(event: AlertEvent) -> list[str]:
    language = event.article.language
    lines: list[str] = []
    found = changes(event)
    facts = new_facts(event)
    if found:
        lines.append("What is new:")
        for change in found:
            lines.append(f"  - {change.line}")
            if change.evidence and change.evidence not in facts:
                lines.append(f"      {quote(change.evidence, language)}")
    elif event.type == "new_story":
        lines.append("What is new: first report of this story")
    if facts:
        lines.append("New in this report:")
        lines += [f"  {quote(fact, language)}" for fact in facts]
    lines += ["", *_article_text(event)]
    return lines


def _article_text(event: AlertEvent) -> list[str]:
    article = event.article
    lines = [f"Article: {one_line(article.title) or '(untitled)'}"]
    about = f"Source: {one_line(article.source) or 'unknown'} · {language_name(article.language)}"
    if article.published:
        about += f" · published {when(article.published)}"
    lines.append(about)
    link = safe_link(article.url)
    if link:
        lines.append(f"  {link}")
    elif article.url:
        lines.append(f"  (link not shown, not an http address: {one_line(article.url)})")
    return lines


def _footer_text(events: Sequence[AlertEvent]) -> str:
    ids = ", ".join(one_line(event.id) for event in events)
    return f"-- \nSent by {BRAND} (رقيب). Event id: {ids}"


# --- HTML ------------------------------------------------------------------------------------

_PAGE = (
    "font-family:Arial,'Segoe UI',Tahoma,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;margin:0;padding:16px;"
)
_H1 = "font-size:19px;margin:0 0 12px 0;"
_H2 = "font-size:17px;margin:20px 0 6px 0;"
_BLOCK = "border-top:1px solid #d0d0d0;padding:10px 0;margin:0;"
_LABEL = "color:#555;font-size:13px;margin:8px 0 2px 0;"
_QUOTE = "margin:4px 0 4px 0;padding:4px 12px;border-inline-start:3px solid #c9a227;color:#333;"
_META = "color:#555;font-size:13px;margin:2px 0;"
_LINK = "color:#0b57d0;"


def document_direction(events: Sequence[AlertEvent]) -> tuple[str | None, str]:
    """(lang, dir) of the whole document: the reports' language when they share one, else
    (None, "auto") and each block sets its own."""
    languages = {event.article.language for event in events}
    if len(languages) == 1:
        language = languages.pop()
        return language, "rtl" if is_rtl(language) else "ltr"
    return None, "auto"


def render_html(events: Sequence[AlertEvent], *, digest_title: str | None = None) -> str:
    """A complete HTML document with inline styles only: no scripts, no external assets.
    ``<html dir="rtl" lang="ar">`` for Arabic reports, ``dir="ltr" lang="en"`` for English; a
    digest that mixes languages sets ``dir="auto"`` and the language on each block."""
    if not events:
        raise ValueError("a message needs at least one event")
    language, direction = document_direction(events)
    mixed = language is None
    single = len(events) == 1 and digest_title is None
    if single:
        heading = f"{BRAND} — {headline(events[0])}"
    else:
        groups = group_by_story(events)
        title = one_line(digest_title) or "digest"
        heading = f"{BRAND} {title} — {_count(len(events), 'alert')} on {_count(len(groups), 'story', 'stories')}"
    parts = [
        "<!DOCTYPE html>",
        f"<html{_lang_attrs(language, direction)}>",
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(heading)}</title>",
        "</head>",
        f'<body style="{_PAGE}">',
        f'<h1 style="{_H1}" dir="auto">{escape(heading)}</h1>',
    ]
    if single:
        parts += _story_html(events[0])
        parts += _event_html(events[0], mixed)
    else:
        for group in group_by_story(events):
            parts += _story_html(group[0])
            for event in group:
                parts += _event_html(event, mixed, with_type=True)
    ids = escape(", ".join(one_line(event.id) for event in events))
    parts += [
        f'<p style="{_META}border-top:1px solid #d0d0d0;padding-top:8px;margin-top:16px;" dir="ltr" lang="en">'
        f'Sent by {BRAND} (<span lang="ar">رقيب</span>). Event id: {ids}</p>',
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _lang_attrs(language: str | None, direction: str) -> str:
    lang = f' lang="{escape(language)}"' if language else ""
    return f' dir="{direction}"{lang}'


def _link_html(url: str | None, text: str) -> str:
    link = safe_link(url)
    if link is None:
        return escape(text)
    return f'<a href="{escape(link, quote=True)}" style="{_LINK}">{escape(text)}</a>'


def _story_html(event: AlertEvent) -> list[str]:
    # a story title may be in another language than this article: let the text set its direction
    title = _link_html(event.story.url, _title(event))
    return [
        f'<h2 style="{_H2}" dir="auto">{title}</h2>',
        f'<p style="{_META}">Watch: <bdi>{escape(one_line(event.watch))}</bdi></p>',
    ]


def _event_html(event: AlertEvent, mixed: bool, *, with_type: bool = False) -> list[str]:
    article = event.article
    language = article.language
    attrs = f' dir="auto" lang="{escape(language)}"' if mixed else ""
    parts = [f'<div style="{_BLOCK}"{attrs}>']
    if with_type:
        parts.append(f'<p style="{_LABEL}"><b>{escape(type_name(event.type))}</b> · {escape(when(event.created))}</p>')
    found = changes(event)
    facts = new_facts(event)
    if found or event.type == "new_story":
        parts.append(f'<p style="{_LABEL}">What is new</p>')
        parts.append('<ul style="margin:0;padding-inline-start:22px;">')
        if not found:
            parts.append("<li>first report of this story</li>")
        for change in found:
            item = f"<li><bdi>{escape(change.line)}</bdi>"
            if change.evidence and change.evidence not in facts:
                item += f'<blockquote style="{_QUOTE}" dir="auto">{escape(change.evidence)}</blockquote>'
            parts.append(item + "</li>")
        parts.append("</ul>")
    if facts:
        parts.append(f'<p style="{_LABEL}">New in this report</p>')
        parts += [f'<blockquote style="{_QUOTE}" dir="auto">{escape(fact)}</blockquote>' for fact in facts]
    article_title = one_line(article.title) or "(untitled)"
    parts.append(f'<p style="margin:10px 0 2px 0;" dir="auto">{_link_html(article.url, article_title)}</p>')
    meta = f"<bdi>{escape(one_line(article.source) or 'unknown')}</bdi> · {escape(language_name(language))}"
    if article.published:
        meta += f" · published {escape(when(article.published))}"
    parts.append(f'<p style="{_META}">{meta}</p>')
    parts.append("</div>")
    return parts
