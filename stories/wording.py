"""What a report adds to its story, as a typed value, and its wording for people.

The decision stores its explanation as JSON with the report (``stories.decide.Decision
.explanation``); every place that tells a person what is new (alerts, the web pages, Atom, the
CLI) reads it back through ``WhatIsNew.from_explanation`` and words it with the methods here, so
they all say the same thing in the same words.

The value holds, in the order a reader wants them:

- ``categories``: development categories the story did not have, each with its label in both
  languages (``Label``) and the sentence that shows it;
- ``figures``: new or changed figures ("killed: 300 → 600");
- ``entities``: places and actors the story had not named, doing something new;
- ``facts``: sentences that say something the stored reports do not.

Wording is in the report's language with the other language's label beside a category's
("first report of drones (مسيّرات)", "أول خبر عن مسيّرات (drones)"); identifiers never reach
people: an explanation stored before labels existed gets its identifier written as words.

The stable API: ``Label``, ``CategoryNote``, ``FigureNote``, ``EntityNote``, ``Note``,
``WhatIsNew`` (``from_explanation``, ``notes``, ``lines``, ``headline``, ``sentence``,
``category_labels``) and ``figure_label``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "CategoryNote",
    "EntityNote",
    "FigureNote",
    "Label",
    "Note",
    "WhatIsNew",
    "figure_label",
]

_EVIDENCE_MAX = 140
_AR_MONTHS = (
    *("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو"),
    *("يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"),
)


@dataclass(frozen=True, slots=True)
class Label:
    """A name for people in both languages."""

    en: str
    ar: str

    def in_language(self, language: str) -> str:
        return (self.ar if language == "ar" else self.en) or self.en or self.ar

    def other(self, language: str) -> str:
        return (self.en if language == "ar" else self.ar) or ""

    def beside(self, language: str) -> str:
        """The label in ``language`` with the other language's beside it: "drones (مسيّرات)"."""
        mine, other = self.in_language(language), self.other(language)
        return f"{mine} ({other})" if other and other != mine else mine

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "ar": self.ar}

    @classmethod
    def from_json(cls, value: Any, fallback: str) -> Label:
        """A stored label, or words made of the identifier ``fallback`` when there is none."""
        if isinstance(value, Mapping):
            en, ar = str(value.get("en") or ""), str(value.get("ar") or "")
            if en or ar:
                return cls(en or ar, ar or en)
        if isinstance(value, str) and value:
            return cls(value, value)
        words = fallback.replace("_", " ").strip()
        return cls(words, words)


# The figure kinds of stories.figures, named for people.
FIGURE_LABELS: dict[str, Label] = {
    "troops": Label("troops", "الجنود"),
    "killed": Label("killed", "القتلى"),
    "wounded": Label("wounded", "الجرحى"),
    "casualties": Label("casualties", "الخسائر البشرية"),
    "missing": Label("missing", "المفقودون"),
    "captured": Label("captured", "الأسرى"),
    "drones": Label("drones", "المسيّرات"),
    "missiles": Label("missiles", "الصواريخ"),
    "shells": Label("shells", "القذائف"),
    "artillery": Label("artillery", "المدافع"),
    "area": Label("area", "المساحة"),
}


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value or "").strip()


def _values_from_label(label: str, old: str | None, new: str) -> tuple[str | None, str]:
    """The values as an older label wrote them: "killed: ~300 → 600", "troops: 3,000 (new)"."""
    _, colon, values = label.partition(":")
    if not colon:
        return old, new
    values = values.strip()
    if values.endswith("(new)"):
        return None, values[: -len("(new)")].strip() or new
    before, arrow, after = values.partition("→")
    if arrow and before.strip() and after.strip():
        return before.strip(), after.strip()
    return old, new


@dataclass(frozen=True, slots=True)
class FigureNote:
    kind: str
    label: Label
    old: str | None  # as a reader sees it: "~300", "thousands"; None: the story had none
    new: str

    def words(self, language: str) -> str:
        name = self.label.in_language(language)
        if language == "ar":
            if self.old is None:
                return f"{name}: {self.new} (رقم جديد)"
            return f"{name}: من {self.old} إلى {self.new}"
        if self.old is None:
            return f"{name}: {self.new} (new)"
        return f"{name}: {self.old} → {self.new}"


def figure_label(kind: str, old: str | None, new: str, language: str = "en") -> str:
    """ "killed: 300 → 600", "troops: 3,000 (new)", "القتلى: من 300 إلى 600"."""
    return FigureNote(kind, FIGURE_LABELS.get(kind) or Label.from_json(None, kind), old, new).words(language)


@dataclass(frozen=True, slots=True)
class CategoryNote:
    category: str  # the identifier, for filtering and Atom category terms; never shown
    label: Label
    evidence: str
    # A turn of the story's own event (``stories.turns``: "return after withdrawal", "official
    # confirmation") names itself; "first report of return after withdrawal" would misstate it.
    turn: bool = False

    def words(self, language: str) -> str:
        if self.turn:
            return self.label.beside(language)
        if language == "ar":
            return f"أول خبر عن {self.label.beside('ar')}"
        return f"first report of {self.label.beside('en')}"


@dataclass(frozen=True, slots=True)
class EntityNote:
    label: Label
    evidence: str

    def words(self, language: str) -> str:
        if language == "ar":
            return f"أول ذكر لـ{self.label.beside('ar')}"
        return f"first mention of {self.label.beside('en')}"


@dataclass(frozen=True, slots=True)
class Note:
    """One thing a report adds, as a reader would say it, with the sentence that shows it."""

    line: str
    evidence: str = ""


def _clip(text: str, limit: int = _EVIDENCE_MAX) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _date(moment: datetime, language: str) -> str:
    if language == "ar":
        return f"{moment.day} {_AR_MONTHS[moment.month - 1]}"
    return f"{moment.day} {moment.strftime('%b')}"


def _quote(text: str, language: str) -> str:
    return f"«{text}»" if language == "ar" else f"“{text}”"


@dataclass(frozen=True, slots=True)
class WhatIsNew:
    event: str  # new_story | development | update | duplicate
    categories: tuple[CategoryNote, ...] = ()
    figures: tuple[FigureNote, ...] = ()
    entities: tuple[EntityNote, ...] = ()
    facts: tuple[str, ...] = ()
    reason: str = ""

    @property
    def empty(self) -> bool:
        return not (self.categories or self.figures or self.entities or self.facts)

    @classmethod
    def from_explanation(cls, event: str, explanation: Mapping[str, Any] | None) -> WhatIsNew:
        """Read a stored explanation (any version: older ones have no labels and mark a new
        place or actor as a category named "new <id>")."""
        data = explanation or {}
        categories: list[CategoryNote] = []
        entities: list[EntityNote] = []
        figures: list[FigureNote] = []
        seen_figures: set[str] = set()
        for item in data.get("figures") or []:
            if not isinstance(item, Mapping) or item.get("new") is None:
                continue
            kind = str(item.get("kind") or "figure")
            old_value = item.get("old_text", item.get("old"))
            old = None if old_value is None else _number(old_value)
            new = _number(item.get("new_text", item.get("new")))
            if "new_text" not in item:  # older explanations: the stored label keeps "~300", "thousands"
                old, new = _values_from_label(str(item.get("label") or ""), old, new)
            label = FIGURE_LABELS.get(kind) or Label.from_json(item.get("labels"), kind)
            figures.append(FigureNote(kind, label, old, new))
            seen_figures.add(str(item.get("label") or ""))
        for item in data.get("developments") or []:
            if not isinstance(item, Mapping):
                continue
            category = str(item.get("category") or "")
            evidence = _clip(str(item.get("evidence") or ""))
            kind = str(item.get("kind") or "")
            if not category:
                continue
            if category == "figure" or kind == "figure":
                if evidence and evidence not in seen_figures:
                    # An older explanation's figure without a structured entry: its label is all there is.
                    name = evidence.partition(":")[0].strip()
                    old, new = _values_from_label(evidence, None, "")
                    figures.append(FigureNote(name, FIGURE_LABELS.get(name) or Label(name, name), old, new))
                    seen_figures.add(evidence)
                continue
            if kind == "entity" or category.startswith("new "):
                ident = category[4:] if category.startswith("new ") else category
                entities.append(EntityNote(Label.from_json(item.get("labels"), ident), evidence))
                continue
            label = Label.from_json(item.get("labels"), category)
            categories.append(CategoryNote(category, label, evidence, turn=kind == "turn"))
        facts = tuple(_clip(str(fact), 300) for fact in data.get("new_facts") or [] if str(fact).strip())
        return cls(event, tuple(categories), tuple(figures), tuple(entities), facts, str(data.get("reason") or ""))

    def notes(self, language: str) -> list[Note]:
        """Every change, figures first (what changed most plainly), then categories, then places
        and actors; facts are not notes (``facts`` quotes them)."""
        found = [Note(f.words(language)) for f in self.figures]
        found += [Note(c.words(language), c.evidence) for c in self.categories]
        found += [Note(e.words(language), e.evidence) for e in self.entities]
        return found

    def lines(self, language: str) -> list[str]:
        """Short lines for a list: each note, then how many new sentences."""
        lines = [note.line for note in self.notes(language)]
        if self.facts:
            count = len(self.facts)
            if language == "ar":
                lines.append("جملة جديدة واحدة" if count == 1 else f"{count} جمل جديدة")
            else:
                lines.append(f"{count} new sentence" + ("" if count == 1 else "s"))
        if not lines and self.event == "new_story":
            lines.append(self.first_report(language))
        return lines

    @staticmethod
    def first_report(language: str) -> str:
        return "أول خبر عن هذا الحدث" if language == "ar" else "first report of this event"

    def headline(self, language: str) -> str:
        """The change in a few words: new categories and figures, else the first new fact, else
        the new place or actor, else why nothing is new."""
        if self.event == "new_story":
            return self.first_report(language)
        parts = [c.words(language) for c in self.categories] + [f.words(language) for f in self.figures]
        if parts:
            return ("؛ " if language == "ar" else "; ").join(parts)
        if self.facts:
            return _quote(_clip(self.facts[0]), language)
        if self.entities:
            return "; ".join(e.words(language) for e in self.entities)
        return self.reason

    def sentence(self, language: str, source: str = "", at: datetime | None = None) -> str:
        """One line for people: what is new, the sentence that shows it, and who said it when:
        "first report of drones (مسيّرات): “…delivered attack drones…” — Yonhap, 4 Feb"."""
        text = self.headline(language)
        shown: CategoryNote | EntityNote | None = self.categories[0] if self.categories else None
        if shown is None and not (self.figures or self.facts) and self.entities:
            shown = self.entities[0]
        if shown is not None and shown.evidence and self.event != "new_story":
            words = shown.words(language)
            text = text.replace(words, f"{words}: {_quote(_clip(shown.evidence), language)}", 1)
        comma = "، " if language == "ar" else ", "
        attribution = comma.join(part for part in (source.strip(), _date(at, language) if at else "") if part)
        if attribution and text:
            text += " — " + attribution
        return text

    def category_labels(self, language: str) -> list[str]:
        return [c.label.in_language(language) for c in self.categories]
