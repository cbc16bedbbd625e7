"""Another event of the same watch across a border does not join a story, in Arabic or English.

A watch on one kind of happening (locust swarms here) follows it wherever it goes: a swarm on
Sudan's farms and, days later, a swarm in eastern Chad read alike to every piece of join evidence
(same actors, same kind of event, the watch's own names), so the second used to join the first
story and never alerted as an event of its own. A report that puts its event in a country the
story never named or qualified (``stories.decide.another_country``, names and adjectives from the
CLDR through ``stories.countries``) starts its own story; a country that acts ("Chad sends
spraying teams to Kassala") or is only qualified is no place, and the report stays in its story.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_developments import Desk

from stories.categories import Categoriser
from stories.concepts import Lexicon
from stories.countries import located, mentioned
from stories.decide import another_country
from stories.features import ArticleFeatures, extract_features
from stories.memory import StoryMemory
from stories.names import query_keys
from stories.semantic import SentenceEncoder, load_encoder
from stories.types import Entry, EventType

LEXICON = Lexicon()
T0 = datetime(2026, 2, 9, 7, 0, tzinfo=UTC)
QUERY = "(locust* OR جراد OR الجراد) AND (Sudan* OR Chad* OR السودان OR تشاد)"

# A swarm on Sudan's farms: the first report, its Arabic write-up, the spraying the next day.
KASSALA_SWARM = (
    (
        "Locust swarms devour crops in Sudan's Kassala state",
        "Swarms of desert locusts descended on farms in Sudan's Kassala state on Monday, stripping sorghum "
        "and millet fields, the agriculture ministry said.",
        "en",
    ),
    (
        "أسراب الجراد تلتهم المحاصيل في ولاية كسلا السودانية",
        "اجتاحت أسراب من الجراد الصحراوي مزارع في ولاية كسلا السودانية يوم الاثنين وأتلفت حقول الذرة والدخن، "
        "بحسب وزارة الزراعة.",
        "ar",
    ),
    (
        "Sudan sprays locust swarms in Kassala as farmers count losses",
        "Sudanese teams began spraying the locust swarms in Kassala on Tuesday as farmers said they had lost "
        "most of their sorghum.",
        "en",
    ),
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


def desk_with_the_kassala_swarm(encoder: SentenceEncoder) -> Desk:
    desk = Desk(encoder, Categoriser((), encoder, watch_names=query_keys(QUERY)))
    for hours, report in enumerate(KASSALA_SWARM):
        desk.report(*report, at=T0 + timedelta(hours=12 * hours))
    assert list(desk.stories) == [1]
    return desk


def test_a_swarm_across_the_border_starts_its_own_story_in_either_language(encoder: SentenceEncoder) -> None:
    later = T0 + timedelta(days=2)
    english = desk_with_the_kassala_swarm(encoder).report(
        "Locust swarms reach farms in eastern Chad",
        "Swarms of desert locusts reached farms in eastern Chad on Wednesday, stripping millet fields near "
        "Adre, local officials said.",
        "en",
        at=later,
    )
    assert english.event is EventType.NEW_STORY, english.reason
    arabic = desk_with_the_kassala_swarm(encoder).report(
        "أسراب الجراد تصل إلى مزارع في شرق تشاد",
        "وصلت أسراب من الجراد الصحراوي إلى مزارع في شرق تشاد يوم الأربعاء وأتلفت حقول الدخن قرب أدري، "
        "بحسب مسؤولين محليين.",
        "ar",
        at=later,
    )
    assert arabic.event is EventType.NEW_STORY, arabic.reason


def test_a_country_that_helps_is_no_place_and_the_report_stays_in_its_story(encoder: SentenceEncoder) -> None:
    later = T0 + timedelta(days=2)
    for title, text, language in (
        (
            "Chad sends spraying teams to fight locusts in Kassala",
            "Chad sent two spraying teams to Sudan's Kassala state on Wednesday to help fight the locust swarms "
            "that stripped sorghum fields there.",
            "en",
        ),
        (
            "تشاد ترسل فرق رش لمكافحة الجراد في كسلا",
            "أرسلت تشاد يوم الأربعاء فريقين للرش إلى ولاية كسلا السودانية للمساعدة في مكافحة أسراب الجراد "
            "التي أتلفت حقول الذرة هناك.",
            "ar",
        ),
    ):
        decision = desk_with_the_kassala_swarm(encoder).report(title, text, language, at=later)
        assert decision.story_id == 1, decision.reason


def test_countries_are_read_by_name_and_adjective_and_placed_only_after_a_word_of_place() -> None:
    assert mentioned("Sudanese farmers count losses") == {"SD"}
    assert mentioned("قال المزارعون السودانيون") == {"SD"}
    assert mentioned("وزارة الزراعة التشادية") == {"TD"}
    assert mentioned("Israeli tanks fire on south Lebanon villages") == {"IL", "LB"}
    assert mentioned("بالعراق وللعراق والعراقيين") == {"IQ"}
    assert located("Swarms reached farms in eastern Chad") == {"TD"}
    assert located("وصلت الأسراب إلى مزارع في شرق تشاد") == {"TD"}
    assert located("حرائق في عكار شمال لبنان") == {"LB"}
    assert located("Locusts in Sudan's Kassala state") == {"SD"}
    # Who acts, or what a country qualifies, is not where.
    assert located("Chad sends spraying teams to Kassala") == frozenset()
    assert located("أرسلت تشاد فريقين للرش") == frozenset()
    assert located("Sudanese teams near the Chadian border") == frozenset()


def test_a_country_is_another_only_when_the_story_named_countries_and_never_that_one() -> None:
    def features(title: str, language: str = "en") -> ArticleFeatures:
        return extract_features(Entry(feed="wire", title=title, text="No figures were given."), language, LEXICON)  # type: ignore[arg-type]

    story = StoryMemory()
    story.absorb(features(KASSALA_SWARM[0][0]))
    assert another_country(features("Locust swarms reach farms in eastern Chad"), story)
    assert another_country(features("أسراب الجراد تصل إلى مزارع في شرق تشاد", "ar"), story)
    assert not another_country(features("Locust swarms spread in northern Sudan"), story)
    assert not another_country(features("أسراب الجراد تنتشر في شمال السودان", "ar"), story)  # across scripts
    assert not another_country(features("Chad sends spraying teams to Kassala"), story)
    # A story that never named a country is not judged by it.
    unnamed = StoryMemory()
    unnamed.absorb(features("Locust swarms devour crops in Kassala"))
    assert not another_country(features("Locust swarms reach farms in eastern Chad"), unnamed)


ROOT = Path(__file__).resolve().parent.parent


def test_the_country_table_is_the_cldr_names_babel_ships_and_deciding_does_not_load_babel() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/country_names.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr
    # Babel's locale data would cost every deciding process about 11 MiB: the table is read instead.
    probe = (
        "import sys, stories.decide, stories.countries as c; "
        "print('babel' in sys.modules, len(c.mentioned('قوات في شمال لبنان وسوريا')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert loaded.stdout.split() == ["False", "2"], loaded.stderr
