"""The golden table (tests/data/golden_text.tsv) drives one test per row.

Each row is a case a user of the watch language would check by hand: how a word is normalised,
whether a query finds a sentence, which language a text is in, which URL counts as the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from stories.identity import canonical_url
from stories.query import parse_query
from stories.query_match import Document
from stories.text import detect_language, normalise, tokenise

GOLDEN = Path(__file__).parent / "data" / "golden_text.tsv"
KINDS = ("normalise", "match", "nomatch", "language", "canonical_url")
DEFAULT_WATCH = (  # DESIGN §3.2
    '("North Korea*" OR Pyongyang OR DPRK OR "كوريا الشمالية" OR "الكورية الشمالية" OR "بيونغ يانغ")\n'
    "  AND (Kursk OR Russia* OR Ukrain* OR كورسك OR روسيا OR أوكرانيا)\n"
    "  AND (troop* OR soldier* OR forces OR drone* OR قوات OR جنود OR مسيرات)"
)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Case:
    line: int
    kind: str
    input: str
    expected: str
    note: str

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.kind}-{re.sub(r'[^A-Za-z0-9]+', '_', self.note).strip('_')}"


def _unescape(field: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), field)


def load_cases() -> list[Case]:
    cases = []
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    header_seen = False
    for number, line in enumerate(lines, 1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 4, f"{GOLDEN.name}:{number}: expected 4 tab-separated fields"
        if not header_seen:
            assert fields == ["kind", "input", "query_or_expected", "note"]
            header_seen = True
            continue
        kind, text, expected, note = fields
        assert kind in KINDS, f"{GOLDEN.name}:{number}: unknown kind {kind!r}"
        cases.append(Case(number, kind, _unescape(text), _unescape(expected), note))
    return cases


CASES = load_cases()


def test_table_is_large_and_covers_every_kind() -> None:
    assert len(CASES) >= 150
    assert {case.kind for case in CASES} == set(KINDS)
    assert len({case.id for case in CASES}) == len(CASES), "notes must make ids unique"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_golden(case: Case) -> None:
    if case.kind == "normalise":
        assert normalise(case.input) == case.expected
        assert normalise(case.expected) == case.expected, "normalising twice changes nothing"
        assert tokenise(case.input) == case.expected.split()
    elif case.kind in ("match", "nomatch"):
        query = parse_query(DEFAULT_WATCH if case.expected == "@default" else case.expected)
        terms = query.match(Document.from_text(case.input))
        if case.kind == "match":
            assert terms, f"{case.expected!r} should match {case.input!r}"
        else:
            assert terms == (), f"{case.expected!r} should not match {case.input!r}, found {terms}"
    elif case.kind == "language":
        assert detect_language(case.input) == case.expected
    else:
        assert canonical_url(case.input) == case.expected
        assert canonical_url(case.expected) == case.expected, "canonicalising twice changes nothing"


def test_a_caller_changing_its_words_does_not_change_the_next_callers() -> None:
    # tokenise remembers recent texts: each caller must still get a list of its own.
    first = tokenise("قوات كورية في كورسك")
    first.append("junk")
    assert tokenise("قوات كورية في كورسك") == ["قوات", "كوريه", "في", "كورسك"]
