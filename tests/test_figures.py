"""Figures in news text: the golden table (tests/data/figures.tsv) plus summarise and compare.

Each golden row is a sentence a reader would check by hand: which counts it states (troops,
killed, wounded ...), whether they are approximate or vague, and which numbers are not counts
at all (years, dates, money, percentages, weapon models, ordinals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from stories.figures import (
    FIGURE_KINDS,
    Figure,
    FigureChange,
    compare,
    extract_figures,
    format_figure,
    quantities,
    summarise,
)
from stories.types import Language

GOLDEN = Path(__file__).parent / "data" / "figures.tsv"
_EXPECTED = re.compile(r"(?P<kind>[a-z_]+)=(?P<value>-?\d+)(?P<marks>[~?]*)")


@dataclass(frozen=True)
class Case:
    line: int
    language: Language
    text: str
    expected: tuple[str, ...]
    note: str

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.language}-{re.sub(r'[^A-Za-z0-9]+', '_', self.note).strip('_')}"


def _parse_expected(field: str) -> tuple[str, ...]:
    items = tuple(item.strip() for item in field.split(";") if item.strip())
    for item in items:
        match = _EXPECTED.fullmatch(item)
        assert match and match["kind"] in FIGURE_KINDS, f"bad expected figure {item!r}"
    return items


def _render(figure: Figure) -> str:
    return f"{figure.kind}={figure.value}{'~' if figure.approximate else ''}{'?' if figure.vague else ''}"


def load_cases() -> list[Case]:
    cases = []
    header_seen = False
    for number, line in enumerate(GOLDEN.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 4, f"{GOLDEN.name}:{number}: expected 4 tab-separated fields"
        if not header_seen:
            assert fields == ["language", "text", "expected", "note"]
            header_seen = True
            continue
        language, text, expected, note = fields
        assert language in ("ar", "en"), f"{GOLDEN.name}:{number}: bad language {language!r}"
        lang: Language = "ar" if language == "ar" else "en"
        cases.append(Case(number, lang, text, _parse_expected(expected), note))
    return cases


CASES = load_cases()


def test_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 80
    assert len({case.id for case in CASES}) == len(CASES), "notes must make ids unique"
    negatives = [case for case in CASES if not case.expected]
    assert len(negatives) >= 25
    assert {case.language for case in negatives} == {"ar", "en"}
    stated = {item.split("=")[0] for case in CASES for item in case.expected}
    assert stated == set(FIGURE_KINDS), "every kind has a golden row"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_golden(case: Case) -> None:
    figures = extract_figures(case.text, case.language)
    assert tuple(_render(figure) for figure in figures) == case.expected, figures
    for figure in figures:
        assert figure.evidence, "every figure says where it came from"
        assert len(figure.evidence) <= 160
        assert figure.evidence in " ".join(case.text.split()), "evidence is a span of the text"


# --- evidence -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "evidence"),
    [
        ("Officials said about 300 were killed on Monday.", "en", "about 300 were killed"),
        ("Kyiv says it killed at least 300 North Korean soldiers.", "en", "killed at least 300 North Korean soldiers"),
        ("أعلنت كييف مقتل نحو 300 جندي كوري شمالي", "ar", "مقتل نحو 300 جندي"),
        ("The number of dead \t rose to 600.", "en", "dead rose to 600"),
    ],
)
def test_evidence_is_the_phrase_an_alert_quotes(text: str, language: Language, evidence: str) -> None:
    (figure,) = extract_figures(text, language)
    assert figure.evidence == evidence


def test_evidence_is_cut_to_160_characters() -> None:
    text = "Ukraine killed 300 " + "very " * 60 + "North Korean soldiers."
    (figure,) = extract_figures(text, "en")
    assert figure.kind == "killed" and len(figure.evidence) <= 160


def test_a_long_mixed_article_finds_each_figure_once() -> None:
    text = (
        "North Korea has sent about 12,000 troops to Russia, US officials said on January 15, 2025. "
        "Ukraine says at least 300 North Korean soldiers were killed and about 2,700 wounded. "
        "وقالت كييف إن قواتها أسرت جنديين كوريين في كورسك. "
        "About 12,000 troops were deployed in total, at a cost of $300 million."
    )
    rendered = [_render(figure) for figure in extract_figures(text, "en")]
    assert rendered == ["troops=12000~", "killed=300~", "wounded=2700~", "captured=2"]


def test_a_line_break_ends_a_clause() -> None:
    assert [_render(f) for f in extract_figures("The death toll rose to 600", "en")] == ["killed=600"]
    assert extract_figures("The death toll rose to\n600 schools were closed", "en") == []


def test_empty_text_has_no_figures() -> None:
    assert extract_figures("", "en") == []
    assert extract_figures("لا أرقام هنا", "ar") == []


# --- summarise ----------------------------------------------------------------------------------


def _fig(kind: str, value: int, *, approximate: bool = False, vague: bool = False) -> Figure:
    return Figure(kind, value, approximate, vague, f"{kind} {value}")


def test_summarise_keeps_the_highest_stated_figure_per_kind() -> None:
    figures = extract_figures("The death toll rose from 300 to 600, and 2,700 were wounded.", "en")
    summary = summarise(figures)
    assert list(summary) == ["killed", "wounded"]
    assert summary["killed"].value == 600
    assert summary["wounded"].value == 2700


def test_summarise_prefers_a_number_over_a_vague_count() -> None:
    summary = summarise([_fig("troops", 1000, vague=True), _fig("troops", 300)])
    assert summary["troops"].value == 300 and not summary["troops"].vague


def test_summarise_prefers_exact_at_the_same_value_and_orders_by_kind() -> None:
    summary = summarise([_fig("drones", 40), _fig("killed", 300, approximate=True), _fig("killed", 300)])
    assert list(summary) == ["killed", "drones"]
    assert not summary["killed"].approximate


# --- compare ------------------------------------------------------------------------------------


def test_300_to_600_killed_is_a_change() -> None:
    old = summarise(extract_figures("About 300 North Korean soldiers were killed.", "en"))
    new = summarise(extract_figures("The number of dead rose to 600.", "en"))
    (change,) = compare(old, new)
    assert change == FigureChange("killed", old["killed"], new["killed"], "killed: ~300 → 600")


@pytest.mark.parametrize(
    ("story", "report", "language"),
    [
        (
            "Air strikes on Kfar Roumman and Arnoun killed 14 people, the ministry said.",
            "The death toll from the air strikes on the villages of Kfar Roumman and Arnoun rose to 14 after "
            "three bodies were recovered from the debris.",
            "en",
        ),
        (
            "قتل 14 شخصا في غارات على كفررمان وأرنون",
            "ارتفعت حصيلة ضحايا القصف على بلدتي كفررمان وأرنون إلى 14 قتيلا بعد انتشال ثلاث جثث من تحت الركام",
            "ar",
        ),
    ],
)
def test_a_toll_repeated_with_the_bodies_found_is_no_change(story: str, report: str, language: Language) -> None:
    old = summarise(extract_figures(story, language))
    new = extract_figures(report, language)
    assert [(figure.kind, figure.value) for figure in new] == [("killed", 14)]
    assert compare(old, summarise(new)) == []


@pytest.mark.parametrize(
    ("report", "language"),
    [
        ("Gunmen shot dead two more people on Tuesday, bringing the toll since Sunday to 24 dead.", "en"),
        ("2 more killed as the toll from the shooting rises to 24", "en"),
        ("قتل المسلحون شخصين آخرين الثلاثاء لترتفع الحصيلة منذ الأحد إلى 24 قتيلا", "ar"),
        ("سقط قتيلان جديدان وارتفعت حصيلة القتلى إلى 24", "ar"),
    ],
)
def test_a_rising_toll_is_the_total_not_the_increment(report: str, language: Language) -> None:
    old = {"killed": _fig("killed", 20)}
    first_killed = next(figure for figure in extract_figures(report, language) if figure.kind == "killed")
    assert first_killed.value == 24  # the story's change is the first new figure of the kind
    assert [change.label for change in compare(old, {"killed": first_killed})] == ["killed: 20 → 24"]


def test_guards_wounded_are_wounded_in_arabic_as_in_english() -> None:
    arabic = extract_figures("وأضاف المصدر أن اثنين من أفراد حمايته أصيبا بجروح", "ar")
    english = extract_figures("Two of his bodyguards were wounded, the source added.", "en")
    assert [(figure.kind, figure.value) for figure in arabic] == [("wounded", 2)]
    assert compare(summarise(arabic), summarise(english)) == []


def test_at_least_4_to_5_is_a_change() -> None:
    old = summarise(extract_figures("At least 4 soldiers were killed.", "en"))
    new = summarise(extract_figures("5 soldiers were killed.", "en"))
    assert [change.label for change in compare(old, new)] == ["killed: ~4 → 5"]


def test_12000_against_about_12000_is_not_a_change() -> None:
    old = summarise(extract_figures("نشرت كوريا الشمالية 12 ألف جندي", "ar"))
    new = summarise(extract_figures("North Korea has about 12,000 troops in Russia.", "en"))
    assert compare(old, new) == []
    assert compare(new, old) == []


def test_within_ten_percent_is_not_a_change_beyond_is() -> None:
    assert compare({"troops": _fig("troops", 11000, approximate=True)}, {"troops": _fig("troops", 12000)}) == []
    assert compare({"troops": _fig("troops", 10000)}, {"troops": _fig("troops", 12000)}) != []
    assert compare({"troops": _fig("troops", 10000)}, {"troops": _fig("troops", 12000)}, tolerance=0.25) == []


def test_thousands_against_12000_is_not_a_change_either_way() -> None:
    vague = summarise(extract_figures("Thousands of North Korean troops are in Kursk.", "en"))
    exact = summarise(extract_figures("North Korea sent 12,000 troops.", "en"))
    assert vague["troops"].vague
    assert compare(vague, exact) == []
    assert compare(exact, vague) == []


def test_vague_counts_of_another_size_are_changes() -> None:
    hundreds = {"troops": _fig("troops", 100, vague=True)}
    thousands = {"troops": _fig("troops", 1000, vague=True)}
    exact = {"troops": _fig("troops", 12000)}
    assert [c.label for c in compare(hundreds, exact)] == ["troops: hundreds → 12,000"]
    assert [c.label for c in compare(hundreds, thousands)] == ["troops: hundreds → thousands"]
    assert compare({"troops": _fig("troops", 50000)}, thousands) != []


def test_a_new_kind_is_a_change_and_a_missing_one_is_not() -> None:
    old = {"killed": _fig("killed", 300)}
    new = {"troops": _fig("troops", 3000), "drones": _fig("drones", 1000, vague=True)}
    assert [c.label for c in compare(old, new)] == ["troops: 3,000 (new)", "drones: thousands (new)"]
    assert all(change.old is None for change in compare(old, new))
    assert compare(new | old, new) == []


def test_format_figure() -> None:
    assert format_figure(_fig("troops", 12000)) == "12,000"
    assert format_figure(_fig("troops", 12000, approximate=True)) == "~12,000"
    assert format_figure(_fig("troops", 10000, vague=True)) == "tens of thousands"
    assert format_figure(_fig("drones", 12, vague=True)) == "dozens"
    assert format_figure(_fig("price", 6980)) == "69.80"
    assert format_figure(_fig("price", 7100)) == "71"
    assert format_figure(_fig("price_change", -450)) == "-4.5%"


def test_a_new_price_is_a_change_and_the_same_in_arabic_is_not() -> None:
    # An Arabic write-up of the price fall gives the story nothing new; a later, lower price does.
    english = summarise(extract_figures("Brent crude fell 4% to $69.80 a barrel on Tuesday.", "en"))
    arabic = summarise(extract_figures("تراجع خام برنت 4% إلى 69.80 دولارا للبرميل يوم الثلاثاء", "ar"))
    assert compare(english, arabic, tolerance=0.05) == []
    later = summarise(extract_figures("هبط خام برنت 7% إلى 65.20 دولارا للبرميل", "ar"))
    labels = [change.label for change in compare(english, later, tolerance=0.05)]
    assert labels == ["price: 69.80 → 65.20", "price change: -4% → -7%"]
    rebound = summarise(extract_figures("Oil prices rose 4% on Wednesday.", "en"))
    assert [change.label for change in compare(english, rebound, tolerance=0.05)] == ["price change: -4% → +4%"]


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        # Arabic writes hundreds, then units, then tens, joined by و; "وأحد" folds to "واحد".
        ("رفع الإنتاج بمقدار أربعمئة وأحد عشر ألف برميل يومياً", [411_000]),
        ("زيادة قدرها خمسمئة وثمانية وأربعين ألف برميل يوميا", [548_000]),
        ("أصيب ثلاثمئة وخمسة وعشرون شخصا", [325]),
        ("وصلت مئة وعشرون ألف جرعة", [120_000]),
        ("قتل واحد وعشرون مدنيا", [21]),
        ("أسر أحد عشر جنديا", [11]),
    ],
)
def test_arabic_compound_number_words_are_one_count(text: str, counts: list[int]) -> None:
    assert quantities(text) == counts


def test_barrels_are_counted_in_english_as_in_arabic() -> None:
    # A write-up in the other language restates the count the story gave: both must read it.
    english = "OPEC+ will raise output by 411,000 barrels per day in June."
    arabic = "سيرفع تحالف أوبك+ الإنتاج بمقدار 411 ألف برميل يوميا في يونيو."
    assert quantities(english) == quantities(arabic) == [411_000]
    assert quantities("The convoy drove 300 km to the camp.") == []  # a measure is still no count


def test_money_written_with_a_currency_code_is_no_count_in_english_as_in_arabic() -> None:
    # A write-up restates the sum the other language gave in its currency's name: neither is a count.
    assert quantities("Police seized cash worth EGP 40 million, the ministry said.") == []
    assert quantities("ضبطت الشرطة عملات قيمتها 40 مليون جنيه، بحسب الوزارة.") == []
    assert quantities("The fund lent Egypt USD 8 billion.") == []
    assert quantities("Police seized 40 million shares.") == [40_000_000]  # a count, no currency


def test_definite_arabic_teens_are_read_whole() -> None:
    # "the twelve MPs" is 12, as "twelve MPs" is; the article was read as ten before.
    assert quantities("منعت المفوضية النواب الاثني عشر من الترشح للانتخابات.") == [12]
    assert quantities("منعت المفوضية اثني عشر نائبا من الترشح للانتخابات.") == [12]
    assert quantities("Twelve MPs were barred from the election.") == [12]
    assert quantities("أفرجت السلطات عن المعتقلين الإحدى عشرة.") == [11]


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        # A number coordinated with another shares its reading: both are ages, or percentages.
        ("The two captured soldiers, 20 and 26 years old, are held in Kyiv.", []),
        ("The two captured soldiers, aged 20 and 26, are held in Kyiv.", []),
        ("وقال الجهاز إن الأسيرين، البالغين 20 و26 عاما، محتجزان في كييف.", []),
        ("Turnout was between 20 and 30 per cent.", []),
        # Counts of their own stay counts.
        ("The strikes killed 20 and wounded 26.", [20, 26]),
        ("قتل 20 و26 جريحا في القصف.", [20, 26]),
    ],
)
def test_a_number_coordinated_with_an_age_or_a_unit_is_no_count(text: str, counts: list[int]) -> None:
    assert quantities(text) == counts
