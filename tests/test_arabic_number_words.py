"""Arabic number words read as the figures an English copy writes in digits (issue 8).

A translation or write-up of a stored report restates its count in words: the reader must find the
same number in both languages, or the restated sentence is judged new and its copy alerts.
"""

from __future__ import annotations

import pytest

from stories.figures import extract_figures, quantities
from stories.types import Language


@pytest.mark.parametrize(
    ("arabic", "english", "counts"),
    [
        # ل, ب, ك and the article on a number word, and on the scale word after it
        ("قافلة تحمل غذاء لثلاثين ألف شخص.", "A convoy with food for 30,000 people.", [30_000]),
        ("دفع الجيش بخمسة آلاف جندي إلى الجبهة.", "The army sent 5,000 troops to the front.", [5_000]),
        ("وتكفي الشحنة لأربعمئة أسرة.", "The shipment is enough for 400 families.", [400]),
        ("وقدرت كلفته بمليوني دولار للمستشفى وبأربعين سريرا.", "The hospital will have 40 beds.", [40]),
        ("ستنطلق الشاحنات الثلاث عشرة المتبقية.", "The 13 remaining trucks will set off.", [13]),
        ("أفرج عن الجنود الخمسة عشر.", "The 15 soldiers were released.", [15]),
        ("وصلت القافلة بالخمسة عشر طنا من الأدوية والثلاثة عشر مسعفا.", "13 medics arrived.", [13]),
    ],
)
def test_a_number_word_with_a_proclitic_is_the_english_figure(arabic: str, english: str, counts: list[int]) -> None:
    assert quantities(arabic, minimum=1) == quantities(english, minimum=1) == counts


@pytest.mark.parametrize(
    "text",
    [
        "لست أدري متى تصل القافلة.",  # "you are not", not ل + six
        "وصلت القافلة يوم الاثنين.",  # Monday, not "the two"
        "ارتفعت الأسعار 50 بالمئة.",  # a percentage, not a hundred
        "ارتفعت الأسعار بنسبة 50 في المئة.",
    ],
)
def test_a_word_that_only_looks_like_a_number_with_a_proclitic_is_no_count(text: str) -> None:
    assert quantities(text, minimum=1) == []


@pytest.mark.parametrize(
    ("arabic", "english", "count"),
    [
        # two numbers coordinated under the second's scale word: a range, its upper bound
        ("فرت ما بين ستين وثمانين ألف أسرة.", "Between 60,000 and 80,000 households have fled.", 80_000),
        ("فرت ستين وثمانين ألف أسرة من المخيم.", "60,000-80,000 households fled the camp.", 80_000),
        ("نزح ثلاثة وأربعة ملايين شخص.", "Three and four million people fled.", 4_000_000),
        ("نزح 60 و80 ألف شخص.", "Between 60 and 80 thousand people fled.", 80_000),
    ],
)
def test_numbers_sharing_one_scale_word_are_a_range(arabic: str, english: str, count: int) -> None:
    assert quantities(arabic) == quantities(english) == [count]


def test_a_range_in_number_words_is_the_figure_of_its_digits() -> None:
    arabic = extract_figures("نشرت روسيا ما بين عشرين وثلاثين ألف جندي.", "ar")
    english = extract_figures("Russia deployed between 20,000 and 30,000 troops.", "en")
    assert [(f.kind, f.value, f.approximate) for f in arabic] == [("troops", 30_000, True)]
    assert [(f.kind, f.value, f.approximate) for f in english] == [("troops", 30_000, True)]


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        # units then tens still make one number; two units or two tens do not add up
        ("خمسة وعشرين ألف جندي", [25_000]),
        ("أصيب خمسمئة وثلاثة عشر شخصا", [513]),
        ("ثلاثمئة وخمسون جنديا", [350]),
        ("ثلاثة عشر شخصا", [13]),
    ],
)
def test_compound_number_words_still_add_up(text: str, counts: list[int]) -> None:
    assert quantities(text, minimum=1) == counts


def test_thousands_of_families_is_no_capture() -> None:
    # أسر is families (أُسَر) after a count and capture (أَسْر) before one.
    assert extract_figures("وأضاف أن آلاف الأسر تفر سيرا على الأقدام نحو الفاشر.", "ar") == []
    assert extract_figures("Thousands of families are fleeing on foot towards El Fasher.", "en") == []
    captured = extract_figures("أعلن الجيش أسر ثلاثة جنود.", "ar")
    assert [(f.kind, f.value) for f in captured] == [("captured", 3)]
    assert [(f.kind, f.value) for f in extract_figures("The army captured three soldiers.", "en")] == [("captured", 3)]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # a count of some of the outcome's own people is a part of the toll, not the toll
        ("The shelling killed 20 people. Nine of the dead were aid workers.", "en"),
        ("The shelling killed 20 people. Among the dead were nine aid workers.", "en"),
        ("The shelling killed 20 people, nine of them aid workers.", "en"),
        ("قتل 20 شخصا في القصف. وكان بين القتلى تسعة من عمال الإغاثة.", "ar"),
        ("قتل 20 شخصا في القصف. ومن بين القتلى تسعة أطفال.", "ar"),
        ("قتل 20 شخصا في القصف، بينهم تسعة من عمال الإغاثة.", "ar"),
    ],
)
def test_a_count_of_some_of_the_dead_is_not_the_toll(text: str, language: str) -> None:
    figures = extract_figures(text, "ar" if language == "ar" else "en")
    assert [(f.kind, f.value) for f in figures] == [("killed", 20)]


def test_a_count_of_some_of_the_wounded_is_no_wounded_toll() -> None:
    english = extract_figures("Two of the wounded died in hospital, raising the toll to 14.", "en")
    assert [(f.kind, f.value) for f in english] == [("killed", 14)]
    # a side's own count is its toll: no outcome word after "of"
    side = extract_figures("Ukraine said 12 of its soldiers were killed.", "en")
    assert [(f.kind, f.value) for f in side] == [("killed", 12)]


@pytest.mark.parametrize(
    ("arabic", "english", "count"),
    [
        # a half of a scale word, before it or after it, is the figure the digits write
        ("يؤوي المخيم نحو نصف مليون شخص.", "The camp shelters about half a million people.", 500_000),
        ("نزح مليون ونصف المليون شخص.", "A million and a half people fled.", 1_500_000),
        ("نزح ثلاثة ملايين ونصف شخص.", "Three and a half million people fled.", 3_500_000),
        ("وصلت مليونان ونصف جرعة.", "2.5 million doses arrived.", 2_500_000),
    ],
)
def test_a_half_of_a_scale_word_is_the_figure_of_its_digits(arabic: str, english: str, count: int) -> None:
    assert quantities(arabic) == quantities(english) == [count]


@pytest.mark.parametrize("text", ["بقي نصف السكان في المخيم.", "Half the residents stayed in the camp."])
def test_a_half_of_no_scale_is_no_count(text: str) -> None:
    assert quantities(text, minimum=1) == []


@pytest.mark.parametrize(
    ("arabic", "english", "kind"),
    [
        ("وأصيب شخصان في القصف.", "Two people were wounded in the shelling.", "wounded"),
        ("أعلنت الوزارة مقتل شخصين في الغارة.", "The ministry said the strike killed two people.", "killed"),
    ],
)
def test_the_dual_of_person_is_two_people(arabic: str, english: str, kind: str) -> None:
    read = [
        [(f.kind, f.value) for f in extract_figures(text, language)]
        for text, language in ((arabic, "ar"), (english, "en"))
    ]
    assert read == [[(kind, 2)], [(kind, 2)]]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # "between" / "ما بين" belong to the range: the outcome before them names what it counts
        ("The strikes killed between 20 and 30 soldiers.", "en"),
        ("قتل ما بين 20 و30 جنديا في الغارات.", "ar"),
        ("أسفرت الغارات عن مقتل ما بين عشرين وثلاثين جنديا.", "ar"),
    ],
)
def test_an_outcome_before_a_range_counts_it(text: str, language: Language) -> None:
    figures = extract_figures(text, language)
    assert [(f.kind, f.value, f.approximate) for f in figures] == [("killed", 30, True)]
