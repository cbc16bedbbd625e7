"""Write ``stories/data/countries.tsv``: the Unicode CLDR's country names in English and Arabic, as
Babel ships them, for ``stories.countries``.

    .venv/bin/python scripts/country_names.py          # rewrite the table (after a Babel upgrade)
    .venv/bin/python scripts/country_names.py --check  # exit 1 when the table differs from Babel's

Why a table and not Babel at run time: loading Babel and its English and Arabic locale data costs a
deciding process about 11 MiB of memory for some 250 names (measured: 3 MiB Babel, 8 MiB the two
locales, not given back when its cache is cleared), and the pipeline's summed memory has a budget
(bench/bench_pipeline.py). ``tests/test_story_phases.py`` runs ``--check``.

Kept: two-letter codes only (no continents or groupings such as the UN or the EU), and in each
language only names that need no parenthesis or dash ("Congo - Kinshasa"); a column is empty where
its language's name is left out.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel import Locale

TABLE = Path(__file__).resolve().parent.parent / "stories" / "data" / "countries.tsv"
GROUPINGS = {"UN", "EU", "EZ", "QO", "XA", "XB", "ZZ"}


def names(language: str) -> dict[str, str]:
    return {
        code: name
        for code, name in Locale(language).territories.items()
        if len(code) == 2 and code.isalpha() and code not in GROUPINGS and not re.search(r"[-()]", name)
    }


def table() -> str:
    english, arabic = names("en"), names("ar")
    rows = [
        f"{code}\t{english.get(code, '')}\t{arabic.get(code, '')}" for code in sorted(english.keys() | arabic.keys())
    ]
    return "code\tenglish\tarabic\n" + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    wanted = table()
    if "--check" in argv:
        if TABLE.read_text(encoding="utf-8") != wanted:
            print(f"{TABLE} differs from Babel's CLDR names: run scripts/country_names.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(wanted, encoding="utf-8")
    print(f"{TABLE}: {wanted.count(chr(10)) - 1} countries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
