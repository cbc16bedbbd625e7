"""Rendering helpers for feed-derived text: sanitising, highlighting, direction, charts.

Feed content is hostile input. Everything here returns ``Markup`` only for HTML it built itself
from escaped text, or for what nh3 produced with a short allow-list; the templates escape the rest.
No helper emits a ``style`` attribute or a script: the Content-Security-Policy forbids both.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup, escape

from stories.query import QuerySyntaxError, parse_query
from stories.query_match import Document, Query
from stories.text import tokenise

# --- links ---------------------------------------------------------------------------------

LINK_REL = "nofollow noopener noreferrer"
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) address, else None (no javascript:, data:, relative)."""
    if not url:
        return None
    candidate = url.strip()
    if _CONTROL.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return candidate


# --- direction -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Direction:
    dir: str  # rtl | ltr | auto
    lang: str | None

    def attrs(self) -> Markup:
        lang = f' lang="{self.lang}"' if self.lang else ""
        return Markup(f' dir="{self.dir}"{lang}')


RTL_AR = Direction("rtl", "ar")
LTR_EN = Direction("ltr", "en")
AUTO = Direction("auto", None)


def _is_arabic_letter(char: str) -> bool:
    code = ord(char)
    return 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF or 0xFB50 <= code <= 0xFEFF


def direction(text: str | None, language: str | None = None) -> Direction:
    """rtl/ar for Arabic text, ltr/en for English text, auto for mixed or unknown.

    Judged on the text's letters; ``language`` (the stored language) decides only when the text
    has too few letters to judge.
    """
    arabic = latin = 0
    for char in (text or "")[:2000]:
        if not char.isalpha():
            continue
        if _is_arabic_letter(char):
            arabic += 1
        elif char.isascii():
            latin += 1
    letters = arabic + latin
    if letters < 3:
        return {"ar": RTL_AR, "en": LTR_EN}.get(language or "", AUTO)
    if arabic >= 0.7 * letters:
        return RTL_AR
    if latin >= 0.9 * letters:
        return LTR_EN
    return AUTO


def dir_attrs(text: str | None, language: str | None = None) -> Markup:
    """` dir="…" lang="…"` for an element holding ``text``."""
    return direction(text, language).attrs()


# --- highlighting --------------------------------------------------------------------------

# A word of the raw text: letters and digits with Arabic marks and tatweel inside, and digit
# groups joined by a comma or a point ("2,700"), as the normaliser joins them.
_SPAN = re.compile(
    r"[^\W_](?:[^\W_]|[\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06ed\u200c\u200d]|(?<=\d)[.,](?=\d))*"
)


@lru_cache(maxsize=1024)
def _term_query(term: str) -> tuple[Query, int] | None:
    """The matched term as a one-term query (a phrase), and how many words it spans."""
    cleaned = " ".join(term.replace('"', " ").replace("“", " ").replace("”", " ").split())
    words = tokenise(cleaned.rstrip("*"))
    if not words:
        return None
    try:
        return parse_query(f'"{cleaned}"'), len(words)
    except QuerySyntaxError:
        return None


def _marked_ranges(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    queries = [query for query in (_term_query(term) for term in dict.fromkeys(terms)) if query is not None]
    if not queries or not text:
        return []
    tokens: list[str] = []
    owners: list[tuple[int, int]] = []  # the raw span each normalised token came from
    for match in _SPAN.finditer(text):
        for token in tokenise(match.group()):
            tokens.append(token)
            owners.append(match.span())
    if not tokens:
        return []
    whole = Document.from_tokens(tokens)
    ranges: list[tuple[int, int]] = []
    for query, width in queries:
        if not query.match(whole):  # most terms of a watch are absent from a given text
            continue
        for start in range(len(tokens) - width + 1):
            if query.match(Document.from_tokens(tokens[start : start + width])):
                ranges.append((owners[start][0], owners[start + width - 1][1]))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for begin, end in ranges:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def highlight(text: str | None, terms: Sequence[str] | None) -> Markup:
    """``text`` escaped, with the words that matched ``terms`` (watch query terms) in <mark>."""
    text = text or ""
    out: list[str] = []
    position = 0
    for begin, end in _marked_ranges(text, terms or ()):
        out.append(str(escape(text[position:begin])))
        out.append(f'<mark class="term">{escape(text[begin:end])}</mark>')
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


# --- feed HTML -----------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "b", "i", "em", "strong", "ul", "ol", "li", "blockquote", "a"}
_BLOCK_TAGS = ("p", "li", "blockquote")
_HAS_BLOCKS = re.compile(r"<\s*(p|ul|ol|li|blockquote|div|br|h[1-6]|table)\b", re.IGNORECASE)
_TAG = re.compile(r"(<[^>]*>)")
_PARAGRAPHS = re.compile(r"\n\s*\n|\r\n\s*\r\n|\n")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        url = safe_url(value)
        # No raw < or > in any attribute: highlighting splits the cleaned HTML at tags.
        return url.replace("<", "%3C").replace(">", "%3E") if url else None
    if attribute in ("dir", "rel"):
        return value
    return None


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style", "noscript", "template", "iframe", "object", "title", "textarea"},
    attributes={"a": {"href"}},
    attribute_filter=_keep_attribute,
    link_rel=LINK_REL,
    url_schemes={"http", "https"},
    url_relative="deny",
    set_tag_attribute_values={tag: {"dir": "auto"} for tag in _BLOCK_TAGS},
    strip_comments=True,
)


_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style", "noscript", "template", "title"})


def plain(fragment: str | None) -> Markup:
    """Feed text with any markup in it removed (kept as text, escaped): for snippets."""
    return Markup(_TEXT_ONLY.clean(fragment or ""))


def snippet(fragment: str | None, terms: Sequence[str]) -> Markup:
    """A search snippet: feed markup removed, the text escaped, ``terms`` marked (<mark>)."""
    return highlight(html.unescape(str(plain(fragment))), terms)


def _highlight_html(cleaned: str, terms: Sequence[str]) -> str:
    if not terms:
        return cleaned
    parts = _TAG.split(cleaned)
    # Even items are text between tags (escaped by nh3): unescape, highlight, escape again.
    return "".join(
        part if index % 2 else str(highlight(html.unescape(part), terms)) for index, part in enumerate(parts)
    )


def render_body(text: str | None, terms: Sequence[str] = (), language: str | None = None) -> Markup:
    """An article body for display: sanitised, matched terms highlighted, one direction per block.

    Feed HTML keeps its (allowed) blocks, each ``dir="auto"``; plain text is split into paragraphs
    at line breaks, each marked rtl/ar, ltr/en or auto from its own letters.
    """
    text = text or ""
    if _HAS_BLOCKS.search(text):
        return Markup(_highlight_html(_CLEANER.clean(text), terms))
    blocks = []
    for paragraph in _PARAGRAPHS.split(text):
        if not paragraph.strip():
            continue
        cleaned = _CLEANER.clean(paragraph.strip())
        plain = html.unescape(_TAG.sub("", cleaned))
        if not plain.strip():
            continue
        blocks.append(f"<p{dir_attrs(plain, language)}>{_highlight_html(cleaned, terms)}</p>")
    return Markup("\n".join(blocks))


# --- charts --------------------------------------------------------------------------------

LANGUAGE_COLOURS = {"ar": "#1b7f5f", "en": "#2f5fa8"}
OTHER_COLOUR = "#8a6d3b"
LANGUAGE_NAMES = {"ar": "Arabic", "en": "English"}


def _language_order(languages: Iterable[str]) -> list[str]:
    known = [language for language in ("ar", "en") if language in languages]
    return known + sorted(set(languages) - set(known))


def day_chart(
    counts: dict[date, dict[str, int]],
    *,
    first: date | None = None,
    last: date | None = None,
    chart_id: str = "chart",
    label: str = "Reports per day per language",
) -> Markup:
    """Stacked bars of reports per day per language as inline SVG (presentation attributes only).

    Days without reports between ``first`` and ``last`` are drawn as gaps; each bar has a <title>
    tooltip, and the figures are repeated in a table for screen readers and tests.
    """
    days_with_data = sorted(counts)
    first = first or (days_with_data[0] if days_with_data else date.today())
    last = last or (days_with_data[-1] if days_with_data else first)
    if last < first:
        first, last = last, first
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    languages = _language_order({language for day in counts.values() for language in day})
    peak = max((sum(day.values()) for day in counts.values()), default=0)
    scale_top = max(peak, 1)
    bar, gap, left, top, plot_height, bottom = 14, 4, 34, 10, 120, 34
    width = max(left + len(days) * (bar + gap) + 10, left + 80 * max(1, len(languages)) + 10, 240)
    height = top + plot_height + bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - 6}" y2="{top + plot_height}" '
        'stroke="#999" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10" fill="#555">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_height}" text-anchor="end" font-size="10" fill="#555">0</text>',
    ]
    for index, day in enumerate(days):
        x = left + index * (bar + gap)
        baseline: float = top + plot_height
        for language in languages:
            value = counts.get(day, {}).get(language, 0)
            if not value:
                continue
            bar_height = max(1.0, plot_height * value / scale_top)
            baseline_new = baseline - bar_height
            colour = LANGUAGE_COLOURS.get(language, OTHER_COLOUR)
            name = LANGUAGE_NAMES.get(language, language)
            parts.append(
                f'<rect class="bar bar-{escape(language)}" x="{x}" y="{baseline_new:.1f}" width="{bar}" '
                f'height="{bar_height:.1f}" fill="{colour}" data-day="{day.isoformat()}" '
                f'data-language="{escape(language)}" data-count="{value}">'
                f"<title>{day.isoformat()} · {escape(name)}: {value}</title></rect>"
            )
            baseline = baseline_new
        if index % 7 == 0 or index == len(days) - 1:
            parts.append(
                f'<text x="{x + bar / 2}" y="{top + plot_height + 14}" text-anchor="middle" font-size="10" '
                f'fill="#555">{day.strftime("%d %b")}</text>'
            )
    legend_x = left
    for language in languages:
        colour = LANGUAGE_COLOURS.get(language, OTHER_COLOUR)
        parts.append(
            f'<rect x="{legend_x}" y="{height - 12}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{height - 3}" font-size="10" fill="#333">'
            f"{escape(LANGUAGE_NAMES.get(language, language))}</text>"
        )
        legend_x += 80
    if not languages:
        parts.append(f'<text x="{left + 6}" y="{top + plot_height / 2}" font-size="11" fill="#555">no reports</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# --- formatting ----------------------------------------------------------------------------


def format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "unknown")
