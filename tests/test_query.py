"""The watch query language: what parses, what is refused (with where), what a match reports."""

from __future__ import annotations

import pytest
from test_text_golden import DEFAULT_WATCH

from stories.arabic_words import arabic_stems
from stories.query import QuerySyntaxError, parse_query
from stories.query_match import Document


def match(query: str, text: str) -> tuple[str, ...]:
    return parse_query(query).match(Document.from_text(text))


@pytest.mark.parametrize(
    ("source", "position", "fragment"),
    [
        ("", 0, "empty query"),
        ("   \n ", 0, "empty query"),
        ("(Kursk OR Belgorod", 0, "never closed"),
        ("Kursk AND (troops OR (drones)", 10, "never closed"),
        ("Kursk)", 5, "unbalanced ')'"),
        ("(Kursk) OR drones)", 17, "unbalanced ')'"),
        ("Kursk AND", 6, "AND needs a term after it"),
        ("Kursk OR", 6, "OR needs a term after it"),
        ("Kursk AND OR drones", 6, "AND needs a term after it"),
        ("OR drones", 0, "OR needs a term before it"),
        ("AND drones", 0, "AND needs a term before it"),
        ("Kursk NOT", 6, "NOT needs a term after it"),
        ("(Kursk AND) drones", 7, "AND needs a term after it"),
        ("Kursk ()", 6, "empty parentheses"),
        ('"North Korea', 0, "never closed"),
        ('Kursk ""', 7, "empty phrase"),
        ("tro*op", 3, "only allowed at the end"),
        ('"North* Korea"', 6, "only allowed at the end"),
        ("Kursk *", 6, "'*' must follow a word"),
        ("t*", 0, "prefix needs at least 2"),
        ("Kursk -", 6, "no letters or digits"),
        ("NOT drill", 0, "without any of its terms"),
        ("Kursk OR NOT drill", 0, "without any of its terms"),
    ],
)
def test_syntax_errors_name_the_position(source: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(source)
    assert caught.value.position == position
    assert fragment in caught.value.message
    assert f"at position {position}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_default_watch_parses_and_lists_its_terms_as_written() -> None:
    query = parse_query(DEFAULT_WATCH)
    assert query.terms[:3] == ("North Korea*", "Pyongyang", "DPRK")
    assert "كوريا الشمالية" in query.terms and "مسيرات" in query.terms
    assert len(query.terms) == 19


def test_match_reports_every_found_term_in_query_order() -> None:
    text = "North Korean troops and drones are in Russia's Kursk region, Pyongyang confirms"
    assert match(DEFAULT_WATCH, text) == ("North Korea*", "Pyongyang", "Kursk", "Russia*", "troop*", "drone*")


def test_match_reports_arabic_terms_as_written_in_the_query() -> None:
    text = "أفادت تقارير بأن القوات الكورية الشمالية تقاتل في كورسك"
    assert match(DEFAULT_WATCH, text) == ("الكورية الشمالية", "كورسك", "قوات")


def test_no_match_is_an_empty_tuple() -> None:
    assert match(DEFAULT_WATCH, "Ukrainian drones struck Kursk overnight") == ()


def test_not_branches_contribute_no_terms() -> None:
    assert match("troops NOT (South OR drill*)", "North Korean troops") == ("troops",)
    assert match("troops NOT (South OR drill*)", "South Korean troops") == ()
    assert parse_query("troops NOT South").terms == ("troops",)


def test_failed_and_branch_leaves_no_terms_behind() -> None:
    # "Kursk" matched inside a failed AND must not be reported by the enclosing OR.
    assert match("(Kursk AND drones) OR troops", "troops near Kursk") == ("troops",)


def test_operators_are_upper_case_only() -> None:
    query = parse_query("Kursk or troops")  # "or" is a word: three ANDed terms
    assert query.terms == ("Kursk", "or", "troops")
    assert not query.matches("troops in Kursk")
    assert query.matches("Kursk or troops")


def test_not_binds_tighter_than_and_and_and_tighter_than_or() -> None:
    query = parse_query("Kursk OR Belgorod troops NOT drill")  # Kursk OR (Belgorod AND troops AND NOT drill)
    assert query.matches("Kursk")
    assert query.matches("Belgorod troops")
    assert not query.matches("Belgorod troops drill")
    assert not query.matches("Belgorod")


def test_typographic_and_guillemet_quotes_make_phrases() -> None:
    assert parse_query("«كوريا الشمالية»").terms == ("كوريا الشمالية",)
    assert parse_query("“North Korea”").matches("North Korea sent troops")
    assert not parse_query("“North Korea”").matches("Korea North")


def test_query_word_split_by_the_normaliser_is_a_phrase() -> None:
    assert parse_query("Pyongyang's").matches("Pyongyang said")
    assert parse_query("F-16").matches("F-16 jets")
    assert not parse_query("F-16").matches("16 F jets")


def test_one_document_serves_many_queries() -> None:
    doc = Document.from_text("وصول آلاف الجنود من كوريا الشمالية إلى روسيا")
    assert parse_query("جنود").match(doc) == ("جنود",)
    assert parse_query("كوريا*").match(doc) == ("كوريا*",)
    assert parse_query(DEFAULT_WATCH).match(doc) == ("كوريا الشمالية", "روسيا", "جنود")


def test_arabic_stems_strip_proclitics_and_suffixes_not_the_keyword() -> None:
    assert {"قوات", "القوات"} <= arabic_stems("وللقوات")
    assert "كورسك" in arabic_stems("بكورسك")
    assert "كورسك" not in arabic_stems("سيكورسكي")
    assert "ورس" not in arabic_stems("كورسك")  # no stemming of the keyword itself


@pytest.mark.parametrize(
    ("source", "position", "fragment"),
    [
        ("(" * 300 + "Kursk" + ")" * 300, 50, "nested more than 50 deep"),
        ("Kursk " + "NOT " * 1000 + "drones", 6 + 4 * 50, "nested more than 50 deep"),
        ("Kursk " + "NOT " * 3000 + "drones", 8002, "more than 2,000 words and operators"),
        (" OR ".join(["كورسك"] * 5000), 20_000, "at most 20,000 are allowed"),
    ],
)
def test_hostile_queries_are_refused_with_a_position_instead_of_recursing(
    source: str, position: int, fragment: str
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(source)
    assert fragment in caught.value.message
    assert caught.value.position == position


def test_queries_at_the_bounds_still_parse_and_match() -> None:
    deep = "(" * 49 + "NOT drones Kursk" + ")" * 49
    assert match(deep, "North Korean troops in Kursk") == ("Kursk",)
    long_or = " OR ".join(f"word{i}" for i in range(999)) + " OR كورسك"
    assert match(long_or, "قوات في كورسك") == ("كورسك",)


def test_the_quick_rejection_keeps_every_term_that_can_match() -> None:
    # The gate holds one core per positive term; a text with only the second term's core, or
    # only an Arabic term spelled with its article, must still reach the full matcher.
    query = parse_query('("North Korea*" OR الجنود) AND NOT drill')
    assert query.match(Document.from_text("وصول للجنود الى كورسك")) == ("الجنود",)
    assert query.match(Document.from_text("North Koreans in Kursk")) == ("North Korea*",)
    assert query.match(Document.from_text("North Koreans drill")) == ()
    assert query.match(Document.from_text("nothing relevant here")) == ()
