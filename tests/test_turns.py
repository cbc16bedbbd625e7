"""Turns (issue 8): a report telling the opposite of a state its story told (troops back on the
front after a withdrawal, talks resumed after their suspension, schools reopened after a closure,
a refinery restarting, aid staff allowed back after an expulsion), or the first confirmation of
what the story told only as reported. The encoder reads each as the story's own sentence (0.6-0.95)
and the desk judged it "adds nothing"; it is news in any watch, in either language, and is named
in the report's language. The same state told again, a turn the story already told, a second
confirmation and a state of another thing stay updates. The examples are written for this test
(not taken from the timelines); the decision runs with the real bundled encoder on watches
without categories, so that only the turn can make the report news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_developments import Desk  # the decide loop as the story desk runs it, in memory
from test_sentence_additions import T0 as PASSPORTS_T0
from test_sentence_additions import flight_postponed

from stories.categories import Categoriser
from stories.semantic import SentenceEncoder, load_encoder
from stories.turn_words import CONFIRMED, DENIED, UNCONFIRMED, standings, states, told_again
from stories.turns import turn
from stories.types import EventType
from stories.wording import WhatIsNew

T0 = datetime(2026, 4, 6, 7, 0, tzinfo=UTC)
Report = tuple[str, str, str]


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("North Korean soldiers were withdrawn from the Kursk front.", {"withdrawal": 0}),
        ("North Korean soldiers have returned to the front line.", {"withdrawal": 1}),
        ("انسحب الجنود الكوريون الشماليون من خطوط القتال.", {"withdrawal": 0}),
        ("عاد الجنود الكوريون الشماليون إلى خطوط القتال.", {"withdrawal": 1}),
        ("Talks resume in Jeddah after a two-month suspension", {"suspension": 1}),
        ("استئناف المفاوضات في جدة بعد تعليقها شهرين", {"suspension": 1}),
        ("أعادت السلطات في ولاية كسلا السودانية فتح المدارس.", {"closure": 1}),
        ("أغلقت السلطات جميع المدارس في الولاية.", {"closure": 0}),
        # "return" is the return of a withdrawal too: read in both families.
        ("The junta allowed the UN staff to return to Niamey.", {"expulsion": 1, "withdrawal": 1}),
        ("أفرجت السلطات عن الصحفيين الثلاثة.", {"detention": 1}),
        # Not done: negated, refused, asked for, planned.
        ("The refinery has not restarted production.", {}),
        ("Seoul demanded the withdrawal of the troops.", {}),
        ("رفضت الحكومة استئناف المفاوضات.", {}),
        ("قد تستأنف المصفاة الإنتاج الأسبوع المقبل.", {}),
        ("If we return to war, we will strike harder.", {}),
        ("إذا عادت القوات إلى الجبهة فسنرد بقوة.", {}),
        # Both sides told as done: which came last is not read.
        ("The troops withdrew in January and returned in March.", {}),
        ("The central bank held rates steady on Thursday.", {}),
    ],
)
def test_a_state_is_read_in_both_languages(text: str, expected: dict[str, int]) -> None:
    assert states(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("North Korea has reportedly sent troops to Russia, unconfirmed reports say.", {UNCONFIRMED}),
        ("أفادت تقارير غير مؤكدة بأن كوريا الشمالية أرسلت قوات إلى روسيا.", {UNCONFIRMED}),
        ("Moscow denied that North Korean soldiers were in Kursk.", {DENIED, UNCONFIRMED}),
        ("نفى الكرملين وجود جنود كوريين شماليين في كورسك.", {DENIED, UNCONFIRMED}),
        ("South Korea's defence ministry confirmed that North Korea has sent troops.", {CONFIRMED}),
        ("أكدت وزارة الدفاع الكورية الجنوبية رسميا إرسال القوات.", {CONFIRMED}),
        ("اعترفت موسكو بوجود جنود كوريين شماليين في كورسك.", {CONFIRMED}),
        ("The Pentagon could not confirm the reports.", {UNCONFIRMED}),
        ("The Kremlin refused to confirm the reports.", {UNCONFIRMED}),
        ("Seoul confirmed the deployment, which Moscow denied.", {CONFIRMED, DENIED, UNCONFIRMED}),
        # A lab-confirmed count is no party confirming a fact.
        ("The country has 120 confirmed cases.", set()),
        ("سجلت البلاد 120 إصابة مؤكدة.", set()),
        ("North Korea sent troops to Russia.", set()),
    ],
)
def test_a_facts_standing_is_read_in_both_languages(text: str, expected: set[str]) -> None:
    assert standings(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The rebels were manning the checkpoints once more on Friday.", True),
        ("Ferries sailed to the island for the first time since the storm.", True),
        ("The port authority brought back the night curfew for fishing boats.", True),
        ("تظاهر الطلاب من جديد أمام الجامعة.", True),
        ("عاود المتمردون قصف المدينة ليلا.", True),
        # The words told again, not the thing: a saying verb's "again".
        ("The ministry said again that the talks were over.", False),
        ("Moscow again denied the reports.", False),
        ("نفت الحكومة السودانية مجددا وجود قوات أجنبية.", False),
        # Not done.
        ("The trucks have not crossed again since Sunday.", False),
        ("لم تعبر الشاحنات مجددا منذ الأحد.", False),
        ("The refinery shut down on Sunday.", False),
    ],
)
def test_a_thing_told_done_again_is_read_in_both_languages(text: str, expected: bool) -> None:
    assert told_again(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The first official word, in words other than "confirm": an official source's act of
        # making it public, or anyone's first word.
        ("The health ministry announced that the patients had Marburg virus.", {CONFIRMED}),
        ("أعلنت وزارة الصحة رسميا أن المرضى مصابون بفيروس ماربورغ.", {CONFIRMED}),
        ("A rebel commander said for the first time that his unit had crossed the river.", {CONFIRMED}),
        ("قال قائد في الحركة للمرة الأولى إن وحدته عبرت النهر.", {CONFIRMED}),
        # A halt is no first word; a report or a leak keeps the fact unconfirmed.
        ("Officials said ferries sailed for the first time since the storm.", set()),
        ("The government will announce the plan on Monday, two sources said.", {UNCONFIRMED}),
        ("The opposition leads the count, according to a leaked tally.", {UNCONFIRMED}),
        ("أظهرت نتائج مسربة تقدم مرشح المعارضة.", {UNCONFIRMED}),
        # A denial made public is a denial.
        ("The Kremlin officially denied the reports.", {DENIED, UNCONFIRMED}),
        ("نفت وزارة الخارجية الإيرانية رسميا منع المفتشين.", {DENIED, UNCONFIRMED}),
    ],
)
def test_an_official_word_is_read_as_a_confirmation(text: str, expected: set[str]) -> None:
    assert standings(text) == expected


TROOPS_WITHDRAWN = (
    "North Korean units pull out of the Kursk front",
    "North Korean soldiers were withdrawn from the front line in Russia's Kursk region in mid-January after heavy "
    "losses, Ukrainian officials said.",
    "en",
)
TROOPS_BACK = (
    "North Korean soldiers back in Kursk fighting",
    "North Korean soldiers have returned to the front line in Russia's Kursk region and are again attacking "
    "Ukrainian positions, Ukrainian officials said.",
    "en",
)
TROOPS_BACK_AR = (
    "الجنود الكوريون الشماليون يعودون إلى جبهة كورسك",
    "عاد الجنود الكوريون الشماليون إلى خطوط القتال في منطقة كورسك الروسية وهم يهاجمون مجددا المواقع الأوكرانية، "
    "بحسب مسؤولين أوكرانيين.",
    "ar",
)
TALKS_SUSPENDED = (
    "تعليق مفاوضات جدة بشأن السودان",
    "علق الوسطاء مفاوضات وقف إطلاق النار في السودان بجدة الجمعة بعد أن تبادل الوفدان الاتهامات بخرق الهدنة.",
    "ar",
)
TALKS_RESUMED = (
    "استئناف مفاوضات جدة بشأن السودان",
    "استأنف الوسطاء مفاوضات وقف إطلاق النار في السودان بجدة الاثنين بعد عودة الوفدين إلى طاولة التفاوض، "
    "بحسب مسؤول سعودي.",
    "ar",
)
SCHOOLS_CLOSED = (
    "Cholera: Kassala closes its schools",
    "Authorities in Sudan's Kassala state closed all schools on Sunday as cholera cases rose, the health ministry "
    "said.",
    "en",
)
REFINERY_HALTED = (
    "مصفاة عدن توقف الإنتاج بعد حريق",
    "أوقفت مصفاة عدن الإنتاج الاثنين بعد حريق ألحق أضرارا بإحدى وحداتها، بحسب الشركة.",
    "ar",
)
AID_EXPELLED = (
    "Niger expels UN aid staff",
    "Niger's military government expelled the UN aid coordinator and her staff from Niamey on Tuesday, the UN said.",
    "en",
)


def story_of(encoder: SentenceEncoder, *reports: Report) -> Desk:
    """A story of ``reports``, a day apart, on a watch without categories."""
    desk = Desk(encoder, Categoriser(()))
    for day, report in enumerate(reports):
        decision = desk.report(*report, T0 + timedelta(days=day))
        assert decision.story_id in (None, 1), decision.reason
    return desk


# (story, report, what the report's headline names): a state's opposite in a conflict, a
# negotiation, an epidemic, a market and aid work, within a language and across.
REVERSALS: list[tuple[Report, Report, str]] = [
    # a conflict, within a language and across
    (TROOPS_WITHDRAWN, TROOPS_BACK, "return after withdrawal"),
    (TROOPS_WITHDRAWN, TROOPS_BACK_AR, "عودة بعد انسحاب"),
    # a negotiation
    (TALKS_SUSPENDED, TALKS_RESUMED, "استئناف بعد تعليق"),
    (
        TALKS_SUSPENDED,
        (
            "Sudan ceasefire talks resume in Jeddah",
            "Mediators resumed the Sudan ceasefire talks in Jeddah on Monday, with both delegations back at the "
            "table, a Saudi official said.",
            "en",
        ),
        "resumption after suspension",
    ),
    # an epidemic
    (
        SCHOOLS_CLOSED,
        (
            "Kassala schools reopen as cholera eases",
            "Authorities in Sudan's Kassala state reopened schools on Sunday as cholera cases fell, the health "
            "ministry said.",
            "en",
        ),
        "reopening after closure",
    ),
    (
        (
            "الكوليرا: إغلاق مدارس كسلا",
            "أغلقت السلطات في ولاية كسلا السودانية جميع المدارس الأحد مع ارتفاع الإصابات بالكوليرا، بحسب وزارة الصحة.",
            "ar",
        ),
        (
            "إعادة فتح مدارس كسلا مع تراجع الكوليرا",
            "أعادت السلطات في ولاية كسلا السودانية فتح المدارس الأحد مع تراجع الإصابات بالكوليرا، بحسب وزارة الصحة.",
            "ar",
        ),
        "إعادة فتح بعد إغلاق",
    ),
    # a market decision
    (
        REFINERY_HALTED,
        (
            "مصفاة عدن تستأنف الإنتاج",
            "استأنفت مصفاة عدن الإنتاج الخميس بعد إصلاح الوحدة التي تضررت في الحريق، بحسب الشركة.",
            "ar",
        ),
        "استئناف بعد تعليق",
    ),
    (
        REFINERY_HALTED,
        (
            "Aden refinery restarts production",
            "The Aden refinery restarted production on Thursday after repairs to the unit damaged by fire, "
            "the company said.",
            "en",
        ),
        "resumption after suspension",
    ),
    # fighting again after a withdrawal, told in words of fighting
    (
        (
            "North Korean troops pulled from Kursk front",
            "North Korean units were pulled from the front line in Russia's Kursk region in January after heavy "
            "losses, Ukrainian officials said.",
            "en",
        ),
        (
            "القوات الكورية الشمالية تستأنف القتال في كورسك",
            "استأنفت القوات الكورية الشمالية القتال على جبهة كورسك وشنت هجمات على المواقع الأوكرانية، بحسب مسؤولين "
            "أوكرانيين.",
            "ar",
        ),
        "عودة بعد انسحاب",
    ),
    # a town left, then taken back
    (
        (
            "Somali army pulls out of Adan Yabaal",
            "Somali government troops withdrew from the town of Adan Yabaal on Tuesday after a night of fighting, "
            "residents said.",
            "en",
        ),
        (
            "الجيش الصومالي يستعيد بلدة عدن يابال",
            "استعادت القوات الحكومية الصومالية السيطرة على بلدة عدن يابال الجمعة بعد معارك مع حركة الشباب، بحسب سكان.",
            "ar",
        ),
        "عودة بعد انسحاب",
    ),
    (
        (
            "انسحاب الجيش الصومالي من عدن يابال",
            "انسحبت القوات الحكومية الصومالية من بلدة عدن يابال الثلاثاء بعد ليلة من المعارك، بحسب سكان.",
            "ar",
        ),
        (
            "Somali army retakes Adan Yabaal",
            "Somali government troops regained control of the town of Adan Yabaal on Friday, residents said.",
            "en",
        ),
        "return after withdrawal",
    ),
    # aid work
    (
        AID_EXPELLED,
        (
            "Niger lets UN aid staff return",
            "Niger's military government allowed the UN aid coordinator and her staff to return to Niamey, "
            "the UN said.",
            "en",
        ),
        "return allowed after expulsion",
    ),
]

REPORTED_SENT = (
    "Reports: North Korean troops sent to Russia",
    "North Korea has reportedly sent troops to Russia, according to unconfirmed reports citing Ukrainian "
    "intelligence sources.",
    "en",
)
SEOUL_CONFIRMS = (
    "Seoul confirms North Korean troops sent to Russia",
    "South Korea's defence ministry confirmed that North Korea has sent troops to Russia, the first official "
    "confirmation.",
    "en",
)


# The first confirmation of what the story told as reported (or as an intelligence service's
# assessment): a conflict, an epidemic, a market.
SPY_AGENCY_SAYS = (
    "Seoul's spy agency says North Korea sent troops to Russia",
    "North Korea has sent special forces to Russia to support its war in Ukraine, South Korea's spy agency said.",
    "en",
)
CONFIRMATIONS: list[tuple[Report, Report, str]] = [
    (
        SPY_AGENCY_SAYS,
        (
            "Pentagon confirms North Korean troops in Russia",
            "The Pentagon confirmed that North Korea has sent troops to Russia to support its war in Ukraine.",
            "en",
        ),
        "official confirmation",
    ),
    (
        SPY_AGENCY_SAYS,
        (
            "البنتاغون يؤكد رسميا وجود قوات كورية شمالية في روسيا",
            "أكدت وزارة الدفاع الأمريكية رسميا أن كوريا الشمالية أرسلت قوات إلى روسيا لدعم حربها في أوكرانيا.",
            "ar",
        ),
        "تأكيد رسمي",
    ),
    (REPORTED_SENT, SEOUL_CONFIRMS, "official confirmation"),
    (
        REPORTED_SENT,
        (
            "موسكو تتحدث للمرة الأولى عن جنود كوريين شماليين",
            "أكدت موسكو للمرة الأولى أن جنودا كوريين شماليين أرسلوا إلى روسيا، بعد أشهر من التقارير.",
            "ar",
        ),
        "تأكيد رسمي",
    ),
    (
        REPORTED_SENT,
        (
            "سيول تؤكد رسميا إرسال قوات كورية شمالية إلى روسيا",
            "أكدت وزارة الدفاع الكورية الجنوبية رسميا أن كوريا الشمالية أرسلت قوات إلى روسيا، في أول تأكيد رسمي.",
            "ar",
        ),
        "تأكيد رسمي",
    ),
    (
        (
            "Suspected mpox case in Kampala",
            "Health officials are investigating a suspected mpox case in a traveller arriving in Kampala, local "
            "media reported.",
            "en",
        ),
        (
            "Uganda confirms mpox case in Kampala",
            "Uganda's health ministry confirmed an mpox case in a traveller arriving in Kampala, the first in the "
            "country.",
            "en",
        ),
        "official confirmation",
    ),
    (
        (
            "مصادر: أوبك+ تدرس زيادة الإنتاج في مايو",
            "قالت مصادر مطلعة على المحادثات إن تحالف أوبك+ يدرس زيادة إنتاج النفط في مايو.",
            "ar",
        ),
        (
            "أوبك+ تؤكد رسميا زيادة الإنتاج في مايو",
            "أكد تحالف أوبك+ رسميا السبت أنه سيزيد إنتاج النفط في مايو، بحسب بيان للتحالف.",
            "ar",
        ),
        "تأكيد رسمي",
    ),
]


# A denial of what the story told as a fact: a conflict, an epidemic, a market.
FIGHTING = "North Korean troops are fighting alongside Russian forces in the Kursk region, Ukraine's intelligence said."
TROOPS_FIGHTING = ("North Korean troops fighting in Kursk, Kyiv says", FIGHTING, "en")
DENIALS: list[tuple[Report, Report, str]] = [
    (
        TROOPS_FIGHTING,
        (
            "Moscow denies North Korean troops fight in Kursk",
            "The Kremlin denied that North Korean troops are fighting alongside Russian forces in the Kursk region.",
            "en",
        ),
        "denial",
    ),
    (
        TROOPS_FIGHTING,
        (
            "موسكو تنفي مشاركة قوات كورية شمالية في القتال",
            "نفى الكرملين أن تكون قوات كورية شمالية تقاتل إلى جانب القوات الروسية في منطقة كورسك.",
            "ar",
        ),
        "نفي",
    ),
    (
        (
            "Cholera outbreak in Kassala camp",
            "A cholera outbreak has killed 12 people in a displacement camp in Kassala, aid workers said.",
            "en",
        ),
        (
            "Sudan denies cholera in Kassala camp",
            "Sudan's health ministry denied there was a cholera outbreak in the Kassala displacement camp, saying the "
            "deaths were caused by diarrhoea.",
            "en",
        ),
        "denial",
    ),
    (
        (
            "Saudi Arabia to cut oil output in June",
            "Saudi Arabia will cut its oil output by 500,000 barrels a day in June, the energy ministry said.",
            "en",
        ),
        (
            "السعودية تنفي خفض إنتاج النفط في يونيو",
            "نفت وزارة الطاقة السعودية أنها ستخفض إنتاج النفط في يونيو.",
            "ar",
        ),
        "نفي",
    ),
]


@pytest.mark.parametrize(("story", "report", "named"), REVERSALS + CONFIRMATIONS + DENIALS)
def test_a_states_opposite_or_a_first_confirmation_is_a_development_named_in_the_reports_language(
    encoder: SentenceEncoder, story: Report, report: Report, named: str
) -> None:
    desk = story_of(encoder, story)
    decision = desk.report(*report, T0 + timedelta(days=5))
    assert decision.story_id == 1, decision.reason
    assert decision.event is EventType.DEVELOPMENT, decision.reason
    headline = WhatIsNew.from_explanation(decision.event, decision.explanation()).headline(report[2])
    assert named in headline, headline
    assert "_" not in headline, headline  # labels, never identifiers


@pytest.mark.parametrize(
    ("story", "report"),
    [
        # The same state told again, in other words.
        (
            (TROOPS_WITHDRAWN,),
            (
                "North Korean soldiers leave Kursk front lines",
                "North Korean soldiers have pulled out of the front line in Russia's Kursk region after heavy losses, "
                "Ukrainian officials said.",
                "en",
            ),
        ),
        # A turn the story already told.
        ((TROOPS_WITHDRAWN, TROOPS_BACK), TROOPS_BACK_AR),
        (
            (TALKS_SUSPENDED, TALKS_RESUMED),
            (
                "Sudan talks back on in Jeddah",
                "Mediators resumed the Sudan ceasefire talks in Jeddah on Monday, a Saudi official said.",
                "en",
            ),
        ),
        # A second denial, the story's told in other words.
        (
            (
                TROOPS_FIGHTING,
                (
                    "Kremlin rejects reports of North Korean soldiers",
                    "Kremlin spokesman Dmitry Peskov denied any North Korean soldiers were in Russia, calling the "
                    "reports fake.",
                    "en",
                ),
            ),
            (
                "موسكو تنفي مشاركة قوات كورية شمالية في القتال",
                "نفى الكرملين أن تكون قوات كورية شمالية تقاتل إلى جانب القوات الروسية في منطقة كورسك.",
                "ar",
            ),
        ),
        # A second confirmation.
        (
            (REPORTED_SENT, SEOUL_CONFIRMS),
            (
                "Seoul again confirms North Korean troops in Russia",
                "South Korea's defence ministry confirmed again that North Korea has sent troops to Russia.",
                "en",
            ),
        ),
    ],
)
def test_a_state_or_a_confirmation_the_story_told_is_no_alert(
    encoder: SentenceEncoder, story: tuple[Report, ...], report: Report
) -> None:
    desk = story_of(encoder, *story)
    decision = desk.report(*report, T0 + timedelta(days=6))
    assert decision.story_id == 1, decision.reason
    assert decision.event in (EventType.UPDATE, EventType.DUPLICATE), decision.reason


def test_a_source_saying_nothing_turns_nothing() -> None:
    told = ("North Korea has reportedly sent troops to Russia, according to unconfirmed reports.", True)
    assert (
        turn("The Pentagon would neither confirm nor deny that North Korea sent troops to Russia.", told, [told])
        is None
    )
    assert turn("The Pentagon confirmed that North Korea sent troops to Russia.", told, [told])


def test_a_state_of_another_thing_is_no_turn() -> None:
    closed = "Authorities in Kassala state closed all schools on Sunday as cholera cases rose."
    assert turn("Authorities in Kassala state reopened the schools on Sunday.", (closed, True), [(closed, True)])
    # Another actor, another thing: within a language, no word shared but the states'.
    assert turn("The airport in Port Sudan reopened to flights.", (closed, True), [(closed, True)]) is None
    # The story told the reopening since: the latest state about the schools is the report's.
    reopened = "Kassala reopened its schools on Thursday."
    assert turn("Schools in Kassala reopened this week.", (closed, True), [(closed, True), (reopened, True)]) is None


@pytest.mark.parametrize(
    ("title", "text", "language", "named"),
    [
        (
            "Government agrees to Sanaa passports",
            "The government agreed on Tuesday to let passengers travel on passports issued in Sanaa, the airline said.",
            "en",
            "acceptance after refusal",
        ),
        (
            "الحكومة توافق على جوازات صنعاء",
            "وافقت الحكومة الثلاثاء على سفر الركاب بجوازات صادرة في صنعاء، بحسب شركة الطيران.",
            "ar",
            "موافقة بعد رفض",
        ),
    ],
)
def test_a_party_giving_way_is_named_as_a_turn(
    encoder: SentenceEncoder, title: str, text: str, language: str, named: str
) -> None:
    desk = flight_postponed(encoder)  # the government refused the passports
    decision = desk.report(title, text, language, PASSPORTS_T0 + timedelta(days=3))
    assert decision.event is EventType.DEVELOPMENT, decision.reason
    what = WhatIsNew.from_explanation(decision.event, decision.explanation())
    assert named in what.headline(language), what.headline(language)
