"""What alerts as new in a story, in either language (issue 8): a development the story already
told, restated in the other language, is not a new alert even when only the restatement names
its category; a new fact in a long story is one. The examples are written for this test (not
taken from the timelines); the decision runs with the real bundled encoder.

A category the story lacked alerts only when the sentence showing it is not said by the story
in the other language (``NoveltySettings.category_said``): a watch's terms are often written in
one language, so the category is found in the restatement and not in the report it restates. A
headline over a body the story told in the other language is no fact of its own, and a number
the story wrote in a compound ("the 138-seat house") is not new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_developments import Desk  # the decide loop as the story desk runs it, in memory

from stories.categories import Categoriser, Category
from stories.figure_novelty import written_in
from stories.semantic import SentenceEncoder, load_encoder
from stories.types import EventType
from stories.wording import Label

T0 = datetime(2026, 2, 2, 7, 0, tzinfo=UTC)
# Terms in one language only, as a user writes them in a few minutes.
PORT_WATCH = [
    Category("strike", Label("strike", "إضراب"), terms=("إضراب", "أضرب*", "يضرب*")),
    Category("wages_paid", Label("wages paid", "صرف الرواتب"), terms=("paid", "صرفت", "تصرف")),
]
DAM_WATCH = [Category("release", Label("water released", "تصريف المياه"), terms=("spillway*",))]


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


def port_strike(encoder: SentenceEncoder) -> Desk:
    desk = Desk(encoder, Categoriser(PORT_WATCH, encoder))
    first = desk.report(
        "Mukalla port workers walk out over unpaid wages",
        "Workers at the port of Mukalla walked off the job on Sunday over unpaid wages. "
        "About 30 ships were left waiting at anchor outside the harbour, port officials said.",
        "en",
        T0,
    )
    assert first.event is EventType.NEW_STORY, first.reason
    return desk


def test_an_arabic_restatement_of_an_english_development_is_not_a_new_alert(encoder: SentenceEncoder) -> None:
    desk = port_strike(encoder)
    # The watch's "strike" terms are Arabic: only the restatement names the category. Its
    # sentence says what the English report said (cosine 0.66, not a translation).
    arabic = desk.report(
        "توقف العمل في ميناء المكلا",
        "أضرب عمال ميناء المكلا عن العمل يوم الأحد احتجاجا على تأخر رواتبهم.",
        "ar",
        T0 + timedelta(hours=4),
    )
    assert arabic.story_id == 1, arabic.reason
    assert arabic.event in (EventType.UPDATE, EventType.DUPLICATE), arabic.reason
    assert arabic.explanation()["developments"] == []


def test_an_english_restatement_of_an_arabic_development_is_not_a_new_alert(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser(DAM_WATCH, encoder))
    first = desk.report(
        "السد يقترب من الامتلاء بعد أمطار غزيرة",
        "فتحت إدارة سد مروي بوابتي تصريف الثلاثاء لتخفيف الضغط بعد أيام من الأمطار الغزيرة. "
        "وحذرت السلطات سكان القرى الواقعة أسفل السد من ارتفاع منسوب النهر.",
        "ar",
        T0,
    )
    assert first.event is EventType.NEW_STORY, first.reason
    english = desk.report(
        "Merowe dam operators act to relieve pressure after heavy rain",
        "The Merowe dam's operators opened two spillways on Tuesday to relieve pressure after days of heavy rain.",
        "en",
        T0 + timedelta(hours=6),
    )
    assert english.story_id == 1, english.reason
    assert english.event in (EventType.UPDATE, EventType.DUPLICATE), english.reason


def test_a_new_fact_in_a_long_story_is_a_development_in_either_language(encoder: SentenceEncoder) -> None:
    desk = port_strike(encoder)
    follow_ups = [
        (
            "Ships queue off Mukalla as port strike enters third day",
            "The strike at Mukalla port entered its third day on Tuesday, with more than 40 ships now waiting. "
            "Traders warned that fuel and flour prices in Hadramout were rising.",
            "en",
        ),
        (
            "استمرار إضراب عمال ميناء المكلا لليوم الثالث",
            "يواصل عمال ميناء المكلا إضرابهم لليوم الثالث على التوالي، "
            "فيما ارتفع عدد السفن المنتظرة إلى أكثر من 40 سفينة.",
            "ar",
        ),
        (
            "Hadramout governor meets Mukalla port union",
            "Hadramout's governor met leaders of the Mukalla port workers' union on Wednesday, "
            "a union official said, without giving details.",
            "en",
        ),
    ]
    for hours, (title, text, language) in enumerate(follow_ups, start=1):
        decision = desk.report(title, text, language, T0 + timedelta(days=hours))
        assert decision.story_id == 1, (title, decision.reason)
    paid = desk.report(
        "الحكومة تصرف رواتب عمال ميناء المكلا المتأخرة",
        "صرفت الحكومة اليمنية رواتب ثلاثة أشهر متأخرة لعمال ميناء المكلا الخميس، وقالت النقابة إن العمال "
        "سيعودون إلى أعمالهم صباح الجمعة.",
        "ar",
        T0 + timedelta(days=4),
    )
    assert paid.story_id == 1, paid.reason
    assert paid.event is EventType.DEVELOPMENT, paid.reason
    assert "wages_paid" in [d["category"] for d in paid.explanation()["developments"]], paid.reason
    english = desk.report(
        "Mukalla dockers to return to work after wages paid",
        "Yemen's government paid three months of overdue wages to Mukalla port workers on Thursday, "
        "and the union said its members would return to work on Friday.",
        "en",
        T0 + timedelta(days=4, hours=3),
    )
    assert english.story_id == 1, english.reason
    assert english.event in (EventType.UPDATE, EventType.DUPLICATE), english.reason


def test_an_arabic_write_up_headed_apart_from_an_english_report_is_not_news(encoder: SentenceEncoder) -> None:
    desk = port_strike(encoder)
    arabic_first = desk.report(
        "تكدس السفن أمام ميناء المكلا مع استمرار الإضراب",
        "ارتفع عدد السفن المنتظرة أمام ميناء المكلا إلى أكثر من 40 سفينة مع دخول إضراب العمال يومه الثالث.",
        "ar",
        T0 + timedelta(days=2),
    )
    assert arabic_first.story_id == 1, arabic_first.reason
    hired = desk.report(
        "Mukalla port hires casual workers from Aden to break the strike",
        "The Mukalla port authority hired 250 casual workers from Aden on Wednesday to unload the waiting "
        "ships, defying the union.",
        "en",
        T0 + timedelta(days=3),
    )
    assert hired.event is EventType.DEVELOPMENT and hired.story_id == 1, hired.reason
    # Arabic is not new to the story, but what this body says the story told in English only:
    # its headline, worded apart, is no fact of its own.
    write_up = desk.report(
        "إدارة الميناء تتحدى النقابة بعمال مؤقتين",
        "استقدمت إدارة ميناء المكلا الأربعاء 250 عاملا مؤقتا من عدن لتفريغ السفن المنتظرة، في تحد للنقابة.",
        "ar",
        T0 + timedelta(days=3, hours=2),
    )
    assert write_up.story_id == 1, write_up.reason
    assert write_up.event in (EventType.UPDATE, EventType.DUPLICATE), write_up.reason


def test_a_number_the_story_wrote_in_a_compound_is_not_new(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    first = desk.report(
        "Jordan's king dissolves parliament, sets vote for November",
        "Jordan's King Abdullah dissolved the 138-seat House of Representatives on Sunday and called an election "
        "for November. "
        "More than 400 candidates are expected to register, officials said.",
        "en",
        T0,
    )
    assert first.event is EventType.NEW_STORY, first.reason
    arabic = desk.report(
        "العاهل الأردني يحل مجلس النواب ويدعو إلى انتخابات في نوفمبر",
        "حل العاهل الأردني الملك عبدالله الأحد مجلس النواب المؤلف من 138 مقعدا ودعا إلى انتخابات في نوفمبر. "
        "ويتوقع أن يتقدم أكثر من 400 مرشح للتسجيل بحسب مسؤولين.",
        "ar",
        T0 + timedelta(hours=3),
    )
    assert arabic.story_id == 1, arabic.reason
    assert arabic.event in (EventType.UPDATE, EventType.DUPLICATE), arabic.reason
    registered = desk.report(
        "Jordan: 1,623 candidates register for November election",
        "A total of 1,623 candidates registered to run for Jordan's 138-seat House of Representatives, "
        "the election commission said.",
        "en",
        T0 + timedelta(days=5),
    )
    assert registered.event is EventType.DEVELOPMENT and registered.story_id == 1, registered.reason


def test_a_party_rejecting_a_stored_proposal_is_a_development_and_its_restatement_is_not(
    encoder: SentenceEncoder,
) -> None:
    desk = Desk(encoder, Categoriser([]))
    proposal = desk.report(
        "AU mediator proposes 72-hour truce around El Obeid",
        "The African Union mediator proposed on Monday a 72-hour truce around El Obeid to let aid convoys "
        "reach the besieged city, and asked both sides to answer within two days.",
        "en",
        T0,
    )
    assert proposal.event is EventType.NEW_STORY, proposal.reason
    # Read as close to the proposal by the encoder; what is new is the answer.
    rejected = desk.report(
        "الجيش السوداني يرفض مقترح الهدنة حول الأبيض",
        "رفض الجيش السوداني الثلاثاء مقترح الوسيط الأفريقي لهدنة مدتها 72 ساعة حول مدينة الأبيض للسماح "
        "بدخول قوافل المساعدات.",
        "ar",
        T0 + timedelta(days=1),
    )
    assert rejected.story_id == 1, rejected.reason
    assert rejected.event is EventType.DEVELOPMENT, rejected.reason
    restated = desk.report(
        "Sudan's army rejects AU truce proposal for El Obeid",
        "Sudan's army on Tuesday rejected the African Union mediator's proposal for a 72-hour truce around "
        "El Obeid to let aid convoys in.",
        "en",
        T0 + timedelta(days=1, hours=4),
    )
    assert restated.story_id == 1, restated.reason
    assert restated.event in (EventType.UPDATE, EventType.DUPLICATE), restated.reason


def test_a_price_the_story_wrote_without_its_currency_is_not_new(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    first = desk.report(
        "Lebanese pound slides past 90,000 per dollar on the parallel market",
        "The Lebanese pound weakened past 90,000 to the dollar on the parallel market on Monday, dealers said, "
        "while the official rate stayed at 15,000. Fuel importers said they could not pay for cargoes.",
        "en",
        T0,
    )
    assert first.event is EventType.NEW_STORY, first.reason
    # The Arabic write-up names the currency, so only it is read as a price (15,000 pounds).
    arabic = desk.report(
        "الليرة اللبنانية تتخطى 90 ألفا مقابل الدولار في السوق الموازية",
        "تراجعت الليرة اللبنانية الاثنين إلى ما بعد 90 ألفا مقابل الدولار في السوق الموازية، "
        "بينما بقي السعر الرسمي عند 15000 ليرة، وقال مستوردو الوقود إنهم عاجزون عن دفع ثمن الشحنات.",
        "ar",
        T0 + timedelta(hours=3),
    )
    assert arabic.story_id == 1, arabic.reason
    assert not arabic.novelty.figure_changes, arabic.reason
    assert arabic.event in (EventType.UPDATE, EventType.DUPLICATE), arabic.reason
    moved = desk.report(
        "لبنان يرفع السعر الرسمي لليرة إلى 89500 مقابل الدولار",
        "أعلن مصرف لبنان رفع السعر الرسمي إلى 89500 ليرة مقابل الدولار بدءا من الأول من الشهر المقبل.",
        "ar",
        T0 + timedelta(days=2),
    )
    assert moved.story_id == 1, moved.reason
    assert moved.novelty.figure_changes and moved.event is EventType.DEVELOPMENT, moved.reason


@pytest.mark.parametrize(
    ("talks", "answer", "language"),
    [
        (
            (
                "المبعوث الأممي يقدم مقترحا لفتح 3 معابر في الحديدة على مراحل",
                "بدأ وفدا الحكومة والحوثيين في مسقط مفاوضات برعاية الأمم المتحدة لفتح المعابر المغلقة في الحديدة. "
                "وبحث الوفدان مقترح المبعوث الأممي بشأن معابر الحديدة دون التوصل إلى اتفاق.",
            ),
            "الحكومة توافق على مقترح المبعوث الأممي بشأن معابر الحديدة",
            "ar",
        ),
        (
            (
                "Yemen talks in Muscat end without deal on prisoners or salaries",
                "Government and Houthi delegations began UN-sponsored talks in Muscat on opening closed crossings "
                "in Hodeidah. Talks also covered the UN envoy's proposal on the Hodeidah crossings, a prisoner swap, "
                "public salaries and flights from Sanaa airport, but ended without agreement.",
            ),
            "Government accepts UN envoy's proposal on Hodeidah crossings",
            "en",
        ),
    ],
)
def test_an_answer_worded_with_the_proposal_s_own_words_is_a_development(
    encoder: SentenceEncoder, talks: tuple[str, str], answer: str, language: str
) -> None:
    desk = Desk(encoder, Categoriser([]))
    first = desk.report(*talks, language, T0)
    assert first.event is EventType.NEW_STORY, first.reason
    # A headline alone, most of whose words a stored sentence holds: the word it adds, the
    # acceptance, is the news, not a rewording of the talks.
    accepted = desk.report(answer, "", language, T0 + timedelta(days=1))
    assert accepted.story_id == 1, accepted.reason
    assert accepted.event is EventType.DEVELOPMENT, accepted.reason


FIRE_EN = (
    "Wildfire tears through forests near Chefchaouen",
    "A wildfire tore through pine forests near the Moroccan town of Chefchaouen on Tuesday, forcing the "
    "evacuation of two villages. Civil protection chief Mohamed Alami said strong winds and the dry scrub were "
    "feeding the flames, and water bombers could not fly at night.",
    "en",
)
FIRE_AR = (
    "حريق يلتهم غابات قرب شفشاون",
    "اندلع حريق الثلاثاء في غابات الصنوبر قرب مدينة شفشاون المغربية وأجبر سكان قريتين على المغادرة. "
    "وقال رئيس الوقاية المدنية محمد العلمي إن الرياح القوية وجفاف الأعشاب يغذيان النيران، "
    "وإن طائرات الإطفاء لا تستطيع التحليق ليلا.",
    "ar",
)


@pytest.mark.parametrize(
    ("story", "report"),
    [
        (
            FIRE_EN,
            (
                "المغرب يكافح حريقا في غابات الريف لليوم الثاني",
                "اندلع حريق في غابات الصنوبر قرب مدينة شفشاون المغربية الثلاثاء وأجبر سكان قريتين على المغادرة. "
                "وقال رئيس الوقاية المدنية محمد العلمي إن الرياح القوية وجفاف الغطاء النباتي تساعد على انتشار "
                "الحريق.",
                "ar",
            ),
        ),
        (
            FIRE_AR,
            (
                "Moroccan firefighters battle Chefchaouen blaze for a second day",
                "Fire broke out in pine forests near the Moroccan town of Chefchaouen on Tuesday, and residents of "
                "two villages had to leave. Mohamed Alami of the civil protection said high winds and parched grass "
                "were helping the fire spread.",
                "en",
            ),
        ),
    ],
)
def test_a_quote_reworded_in_the_other_language_is_not_news_and_a_new_detail_is(
    encoder: SentenceEncoder, story: tuple[str, str, str], report: tuple[str, str, str]
) -> None:
    desk = Desk(encoder, Categoriser([]))
    first = desk.report(*story, T0)
    assert first.event is EventType.NEW_STORY, first.reason
    # The quote reads 0.47 against the story's own, in the other language: said, as a rendering.
    reworded = desk.report(*report, T0 + timedelta(hours=3))
    assert reworded.story_id == 1, reworded.reason
    assert reworded.event in (EventType.UPDATE, EventType.DUPLICATE), reworded.reason
    found = {
        "ar": "وعثر عناصر الإنقاذ على جثة راع في إحدى القريتين اللتين أخليتا، بحسب مسؤول محلي.",
        "en": "A shepherd was found dead in one of the evacuated villages, a local official said.",
    }[report[2]]
    developed = desk.report(report[0], f"{report[1]} {found}", report[2], T0 + timedelta(hours=5))
    assert developed.story_id == 1, developed.reason
    assert developed.event is EventType.DEVELOPMENT, developed.reason


KASSALA_EN = (
    "Cholera overwhelms clinics in Sudan's Kassala",
    "Clinics in the Sudanese city of Kassala are overwhelmed as cholera spreads, health officials said on "
    "Monday. The city's 60-bed isolation centre is full, they said.",
    "en",
)


def test_a_number_the_restated_sentence_writes_is_not_new(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    assert desk.report(*KASSALA_EN, T0).event is EventType.NEW_STORY
    # "60-bed" is no count of the story ("60 سريرا" is one): the sentence it restates writes it.
    body = (
        "قال مسؤولو الصحة في مدينة كسلا السودانية الاثنين إن العيادات مكتظة مع انتشار الكوليرا. "
        "وأضافوا أن مركز العزل في المدينة، الذي يضم 60 سريرا، ممتلئ."
    )
    restated = desk.report("الكوليرا تنهك عيادات كسلا", body, "ar", T0 + timedelta(hours=3))
    assert restated.story_id == 1, restated.reason
    assert restated.event in (EventType.UPDATE, EventType.DUPLICATE), restated.reason
    counted = desk.report(
        "الكوليرا تنهك عيادات كسلا",
        body.replace("ممتلئ.", "ممتلئ، وإنه استقبل 85 مريضا منذ الأحد."),
        "ar",
        T0 + timedelta(hours=6),
    )
    assert counted.story_id == 1, counted.reason
    assert counted.event is EventType.DEVELOPMENT, counted.reason


@pytest.mark.parametrize(
    ("value", "text", "written"),
    [
        (10, "Zelensky says Ukraine downs 10 drones a day", True),
        (10, "قال زيلينسكي إن القوات الأوكرانية تسقط ١٠ مسيرات كل يوم", True),
        (14, "ليصل لتر بنزين 92 إلى 13.75 جنيه", True),  # counts are kept whole
        (12, "ليصل لتر بنزين 92 إلى 13.75 جنيه", False),
        (1200, "cases rose to 1,200 from 980", True),
        (98, "cases rose to 1,200 from 980", False),
    ],
)
def test_a_number_is_written_in_either_script(value: int, text: str, written: bool) -> None:
    assert written_in(value, text) is written
