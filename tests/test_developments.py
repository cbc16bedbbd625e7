"""The failure classes of issue 8, each with examples written for this test (not taken from the
timelines): what is new is found by meaning in any watch and either language, one event stays one
story across languages, separate events of one watch stay apart, and figures keep their exact path.

The decision is pure (stories.decide); these tests run it with the real bundled encoder."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from config.loader import BUNDLED_DEFAULT, load_config
from stories.categories import Categoriser, Category
from stories.concepts import Lexicon
from stories.decide import Decision, DecisionSettings, StoryCandidate, another_region, decide, places_new_to
from stories.features import ArticleFeatures, extract_features
from stories.figures import extract_figures
from stories.join import JOIN_EVIDENCE, join_evidence, name_weights
from stories.memory import StoryMemory
from stories.names import name_key, place_names, query_keys
from stories.novelty import assess
from stories.semantic import SentenceEncoder, load_encoder
from stories.types import Entry, EventType
from stories.wording import Label, WhatIsNew

LEXICON = Lexicon()
SETTINGS = DecisionSettings()
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
ADEN_STRIKE = (
    "Dockworkers strike at Aden container terminal over unpaid wages",
    "Dockworkers at Aden's container terminal went on strike on Monday over three months of unpaid wages, "
    "leaving about 40 ships waiting at anchorage.",
    "en",
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(2)


class Desk:
    """The decide loop as the story desk runs it, in memory: tag, decide, absorb."""

    def __init__(self, encoder: SentenceEncoder, categoriser: Categoriser) -> None:
        self.encoder = encoder
        self.categoriser = categoriser
        self.stories: dict[int, StoryMemory] = {}

    def features(self, title: str, text: str, language: str) -> ArticleFeatures:
        entry = Entry(feed="wire", title=title, text=text, language_hint="ar" if language == "ar" else "en")
        return self.categoriser.tag(extract_features(entry, entry.language_hint, LEXICON, self.encoder))  # type: ignore[arg-type]

    def report(self, title: str, text: str, language: str, at: datetime) -> Decision:
        features = self.features(title, text, language)
        candidates = [StoryCandidate(story_id, memory) for story_id, memory in self.stories.items()]
        decision = decide(
            features, candidates, SETTINGS, encoder=self.encoder, at=at, watch_names=self.categoriser.watch_names
        )
        story_id = decision.story_id if decision.story_id is not None else len(self.stories) + 1
        self.stories.setdefault(story_id, StoryMemory()).absorb(features, at=at, core=decision.core)
        return decision


def kursk_desk(encoder: SentenceEncoder) -> Desk:
    watch = load_config(BUNDLED_DEFAULT, data_dir=BUNDLED_DEFAULT.parent).watches[0]
    return Desk(encoder, watch.categoriser(encoder))


def test_troops_back_on_the_front_after_a_withdrawal_is_a_development(encoder: SentenceEncoder) -> None:
    desk = kursk_desk(encoder)
    first = desk.report(
        "North Korean units leave the Kursk front after a bruising month",
        "Pyongyang's soldiers were withdrawn from the Kursk front lines in mid-January after heavy losses, "
        "Western officials said. They had not been seen in combat since.",
        "en",
        T0,
    )
    assert first.event is EventType.NEW_STORY
    back = desk.report(
        "North Korean troops return to the Kursk front",
        "North Korean troops have returned to the front line in the Kursk region after a pause of several "
        "weeks and are again attacking Ukrainian positions, Ukraine's army said.",
        "en",
        T0 + timedelta(days=9),
    )
    assert back.event is EventType.DEVELOPMENT, back.reason
    assert back.story_id == 1
    what = WhatIsNew.from_explanation(back.event, back.explanation())
    assert "return to the front" in what.headline("en") or what.facts, what


def test_an_arabic_report_of_an_english_reported_event_joins_it_for_any_watch(encoder: SentenceEncoder) -> None:
    # A watch with no gazetteer behind it: only meaning, names across scripts and figures tie them.
    desk = Desk(encoder, Categoriser([]))
    desk.report(
        "Floods cut the road to Kassala, stranding 300 trucks",
        "Flash floods washed away a bridge on the highway to Kassala on Sunday, leaving about 300 trucks "
        "stranded, the state governor said.",
        "en",
        T0,
    )
    arabic = desk.report(
        "السيول تقطع الطريق إلى كسلا وتعلق 300 شاحنة",
        "جرفت السيول جسراً على الطريق السريع المؤدي إلى كسلا الأحد، ما أدى إلى تعليق نحو 300 شاحنة، بحسب والي الولاية.",
        "ar",
        T0 + timedelta(hours=3),
    )
    assert arabic.story_id == 1, arabic.reason
    assert arabic.event in (EventType.UPDATE, EventType.DUPLICATE), arabic.reason


def test_separate_events_months_apart_in_one_watch_do_not_merge(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    text = (
        "Health authorities in Sudan's Kassala state declared a cholera outbreak after 120 cases and six "
        "deaths, blaming contaminated water."
    )
    desk.report("Cholera outbreak declared in Kassala", text, "en", T0)
    later = desk.report(
        "Cholera outbreak declared in Kassala again",
        text.replace("120 cases and six", "140 cases and eight"),
        "en",
        T0 + timedelta(days=120),
    )
    assert later.event is EventType.NEW_STORY and later.story_id is None, later.reason


def test_a_death_toll_is_never_read_as_troops() -> None:
    for text, language in (
        ("The death toll among North Korean troops in Kursk rises to 450, Kyiv says.", "en"),
        ("ارتفاع حصيلة قتلى القوات الكورية الشمالية في كورسك إلى 450", "ar"),
        ("The death toll from the strike has risen to 450.", "en"),
    ):
        kinds = {figure.kind for figure in extract_figures(text, language)}  # type: ignore[arg-type]
        assert "troops" not in kinds, text
    assert [f.kind for f in extract_figures("The death toll among the soldiers rose to 450.", "en")] == ["killed"]


def test_a_watch_without_categories_still_alerts_on_a_changed_figure(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    desk.report(
        "Ferry capsizes on the Nile, 22 dead",
        "A ferry carrying villagers capsized on the Nile north of Dongola on Tuesday; 22 people died, police said.",
        "en",
        T0,
    )
    changed = desk.report(
        "Death toll in Nile ferry disaster rises to 41",
        "The death toll from the Nile ferry disaster north of Dongola has risen to 41, police said.",
        "en",
        T0 + timedelta(days=1),
    )
    assert changed.event is EventType.DEVELOPMENT and changed.story_id == 1, changed.reason
    figures = changed.explanation()["figures"]
    assert [(item["kind"], item["old"], item["new"]) for item in figures] == [("killed", 22, 41)]


def test_more_troops_is_not_called_a_return_to_the_front_and_never_shows_an_identifier(
    encoder: SentenceEncoder,
) -> None:
    desk = kursk_desk(encoder)
    story = StoryMemory()
    story.absorb(
        desk.features(
            "North Korean troops pulled back from Kursk after heavy losses",
            "North Korean troops were withdrawn from the Kursk front in January after about 300 were killed.",
            "en",
        )
    )
    more = desk.features(
        "Pyongyang sends about 3,000 more troops to Russia",
        "North Korea has sent about 3,000 additional soldiers to Russia to replace its losses, Seoul said.",
        "en",
    )
    assert "return_to_front" not in more.categories and "deployment" in more.categories
    novelty = assess(more, story, SETTINGS.novelty, encoder)
    what = WhatIsNew.from_explanation("development", novelty.to_json())
    line = what.sentence("en", source="Yonhap", at=T0 + timedelta(days=2))
    assert "_" not in line, line
    assert line.startswith("first report of deployment and reinforcements (نشر القوات والتعزيزات): “"), line
    assert "troops: ~3,000 (new)" in line and line.endswith("— Yonhap, 5 Mar"), line


def test_a_translation_of_a_stored_report_is_not_news(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([Category("aid", Label("aid", "مساعدات"), terms=("convoy*",))]))
    desk.report(
        "UN aid convoy reaches besieged El Fasher",
        "A UN convoy of 12 trucks carrying food and medicine reached El Fasher on Friday, the first in two months.",
        "en",
        T0,
    )
    translated = desk.report(
        "قافلة مساعدات أممية تصل إلى الفاشر المحاصرة",
        "وصلت قافلة أممية من 12 شاحنة تحمل غذاء وأدوية إلى الفاشر الجمعة، وهي الأولى منذ شهرين.",
        "ar",
        T0 + timedelta(hours=2),
    )
    assert translated.story_id == 1 and translated.event in (EventType.DUPLICATE, EventType.UPDATE), translated.reason


def test_a_write_up_in_the_other_language_is_not_news_for_its_headline_alone(encoder: SentenceEncoder) -> None:
    # Outlets word their own headlines freely; in the other language the encoder reads a terse,
    # idiomatic headline as far from every stored sentence. The body says nothing new.
    desk = Desk(encoder, Categoriser([]))
    desk.report(
        "Sudan opens cholera vaccination drive in Kassala",
        "Sudan's health ministry began a cholera vaccination campaign in Kassala state on Sunday, aiming to "
        "reach about 600,000 people in ten days. The doses arrived last week through the global stockpile.",
        "en",
        T0,
    )
    arabic = desk.report(
        "اللقاح يصل إلى أذرع أهالي كسلا",
        "بدأت وزارة الصحة السودانية الأحد حملة تطعيم ضد الكوليرا في ولاية كسلا، تستهدف نحو 600 ألف شخص خلال "
        "عشرة أيام. ووصلت الجرعات الأسبوع الماضي عبر المخزون العالمي.",
        "ar",
        T0 + timedelta(hours=5),
    )
    assert arabic.story_id == 1, arabic.reason
    assert arabic.event in (EventType.UPDATE, EventType.DUPLICATE), arabic.reason


def test_a_sentence_reworded_from_a_stored_one_in_its_language_is_not_news(encoder: SentenceEncoder) -> None:
    # Only a report's lead is encoded; its later sentences are kept as words. Another outlet's
    # edit of the copy moves a late sentence up and rewords it: it is not news.
    desk = Desk(encoder, Categoriser([]))
    late = "وحذر برنامج الأغذية العالمي من أن مخزوناته في مخيمات دارفور لن تكفي أكثر من أسبوعين."
    desk.report(
        "إغلاق معبر أدري أمام شاحنات الإغاثة المتجهة إلى دارفور",
        "أغلقت السلطات السودانية معبر أدري الحدودي مع تشاد أمام شاحنات الإغاثة يوم الاثنين. "
        "وقالت السلطات إن القرار جاء لأسباب أمنية دون أن تحدد مدة الإغلاق. "
        "وتعبر المعبر عادة عشرات الشاحنات يوميا محملة بالغذاء والدواء. "
        "وكانت الأمم المتحدة قد طالبت مرارا بإبقاء المعابر مفتوحة أمام العمل الإنساني. " + late,
        "ar",
        T0,
    )
    copy = desk.report(
        "السلطات السودانية تغلق معبر أدري أمام الإغاثة",
        "أغلقت السلطات السودانية معبر أدري الحدودي مع تشاد أمام شاحنات الإغاثة الاثنين. "
        "وحذر برنامج الأغذية العالمي الاثنين من أن مخزوناته في مخيمات دارفور لن تكفي سوى أسبوعين.",
        "ar",
        T0 + timedelta(hours=4),
    )
    assert copy.story_id == 1, copy.reason
    assert copy.event in (EventType.UPDATE, EventType.DUPLICATE), copy.reason


def test_names_the_watch_query_asks_for_weigh_little_as_evidence_of_one_event(encoder: SentenceEncoder) -> None:
    # Every report of a cholera-in-Sudan watch names Sudan, in either script: sharing it says little
    # about which of the watch's stories a report tells; sharing Kassala says more.
    categoriser = Categoriser([], watch_names=query_keys("(cholera OR الكوليرا) AND (Sudan* OR السودان)"))
    desk = Desk(encoder, categoriser)
    story = StoryMemory()
    story.absorb(desk.features("Cholera spreads in Sudan's Kassala", "Cases rose in Sudan's Kassala state.", "en"))
    weights = name_weights([story], categoriser.watch_names)
    sudan, kassala = name_key("Sudan"), name_key("Kassala")
    assert name_key("السودان") == sudan and name_key("كسلا") == kassala
    assert weights[sudan] < weights[kassala]
    names = JOIN_EVIDENCE.index("names")
    same_place = desk.features("الكوليرا تنتشر في كسلا السودانية", "ارتفعت الإصابات في ولاية كسلا بالسودان.", "ar")
    elsewhere = desk.features("الكوليرا تصل إلى سنار السودانية", "سجلت أولى الإصابات في ولاية سنار بالسودان.", "ar")
    evidence = [join_evidence(f, story, encoder, 0.1, weights)[names] for f in (same_place, elsewhere)]
    assert evidence[0] > evidence[1], evidence


def test_a_large_count_another_open_story_of_the_watch_gave_is_not_news_again(encoder: SentenceEncoder) -> None:
    desk = kursk_desk(encoder)
    drones = StoryMemory()
    drones.absorb(
        desk.features(
            "Pyongyang handed Moscow some 150 attack drones, Kyiv's intelligence says",
            "North Korea has delivered about 150 attack drones to Russia since the autumn, Ukraine's military "
            "intelligence said on Monday.",
            "en",
        )
    )
    troops = StoryMemory()
    troops.absorb(
        desk.features(
            "North Korean soldiers return to the Kursk front",
            "North Korean units are fighting again in the Kursk region after a pause of several weeks, "
            "Ukrainian commanders said.",
            "en",
        )
    )
    # An Arabic round-up of the troops story that also repeats the drones count: the drones story
    # alerted with it, this one does not again (its sentences are judged against its own story).
    roundup = desk.features(
        "ماذا نعرف عن عودة الجنود الكوريين الشماليين إلى جبهة كورسك؟",
        "عادت الوحدات الكورية الشمالية إلى القتال في منطقة كورسك بعد توقف دام أسابيع. "
        "وتقول الاستخبارات الأوكرانية إن بيونغ يانغ سلمت موسكو نحو 150 مسيّرة هجومية منذ الخريف.",
        "ar",
    )
    alone = assess(roundup, troops, SETTINGS.novelty, encoder)
    assert [change.kind for change in alone.figure_changes] == ["drones"], alone.summary()
    with_watch = assess(roundup, troops, SETTINGS.novelty, encoder, others=[drones])
    assert not with_watch.figure_changes, with_watch.summary()


def test_a_write_up_of_a_wire_summary_in_the_other_language_is_not_news(encoder: SentenceEncoder) -> None:
    # The wire's summary (its standfirst) says what its text's lead does not; an Arabic outlet
    # renders that summary alone. The story remembers what the summary said, so it is not news.
    desk = Desk(encoder, Categoriser([]))
    wire = Entry(
        feed="wire",
        title="Port of Aden reopens after four-day strike",
        summary="Dockworkers at Aden's container terminal ended a four-day strike on Thursday after the port "
        "authority agreed to pay three months of overdue wages.",
        text="ADEN, March 3 - Ships began unloading again at Aden on Thursday. About 40 vessels had been waiting "
        "at anchorage, the harbour master said. Shipping agents said it would take a week to clear the backlog.",
        language_hint="en",
    )
    features = desk.categoriser.tag(extract_features(wire, "en", LEXICON, encoder))
    assert features.standfirst and not any("Dockworkers" in s.text for s in features.sentences)
    desk.stories[1] = StoryMemory()
    desk.stories[1].absorb(features, at=T0)
    arabic = desk.report(
        "عمال ميناء عدن ينهون إضرابهم",
        "أنهى عمال محطة الحاويات في ميناء عدن إضرابا استمر أربعة أيام الخميس بعد أن وافقت هيئة الموانئ على "
        "دفع ثلاثة أشهر من الأجور المتأخرة.",
        "ar",
        T0 + timedelta(hours=3),
    )
    assert arabic.story_id == 1 and arabic.event in (EventType.UPDATE, EventType.DUPLICATE), arabic.reason


def test_a_sentence_giving_only_counts_the_story_gave_is_said_at_a_lower_bar(encoder: SentenceEncoder) -> None:
    desk = Desk(encoder, Categoriser([]))
    story = StoryMemory()
    story.absorb(
        desk.features(
            "Ceasefire talks: 2,300 prisoners to be freed in first phase",
            "The two sides agreed to free 2,300 prisoners and to open 14 crossings in the first phase of the deal, "
            "mediators said on Sunday. The phase is to last six weeks.",
            "en",
        )
    )
    restated = (
        "وأعلن الوسطاء الذين رعوا جولات التفاوض الطويلة خلال الأشهر الماضية أن المرحلة الأولى تشمل إطلاق "
        "{} أسير وفتح 14 معبرا."
    )
    title = "الوسطاء يعلنون تفاصيل المرحلة الأولى من اتفاق وقف إطلاق النار"
    same = desk.features(title, restated.format(2300), "ar")
    assert not assess(same, story, SETTINGS.novelty, encoder).adds_something
    # Without the counts' agreement the encoder alone would call it new (a new action, bar 0.6).
    strict = replace(SETTINGS.novelty, known_counts=99)
    assert assess(same, story, strict, encoder).new_facts
    changed = desk.features(title, restated.format(2900), "ar")
    assert assess(changed, story, SETTINGS.novelty, encoder).adds_something


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        (
            "Port authority declines to comment on Aden strike talks",
            "The Aden port authority declined to comment on Friday on whether talks with the striking "
            "dockworkers over their unpaid wages had resumed at the container terminal.",
            "en",
        ),
        (
            "وزارة النقل اليمنية: لم يتسنَّ التحقق من أنباء استئناف الإضراب في ميناء عدن",
            "قالت وزارة النقل اليمنية إنه لم يتسنَّ لها التحقق من الأنباء عن عودة عمال ميناء عدن إلى الإضراب، "
            "وإنها تتابع عن كثب ما يجري في الميناء.",
            "ar",
        ),
        (
            "Seafarers' union welcomes end of Aden port standoff",
            "The International Transport Workers' Federation welcomed the end of the standoff at Aden's "
            "container terminal and thanked the dockworkers for their patience.",
            "en",
        ),
        (
            "نقابة عمال الموانئ العربية ترحب بالتوصل إلى حل في ميناء عدن",
            "رحب اتحاد نقابات عمال الموانئ العرب بما جرى في محطة الحاويات بميناء عدن، وقال إنه يتابع الأوضاع عن كثب.",
            "ar",
        ),
        (
            "UN agency closely monitoring Aden dockworkers' strike",
            "The UN shipping agency said it was closely monitoring the strike by dockworkers at Aden's container "
            "terminal over unpaid wages and was in contact with the port authority.",
            "en",
        ),
    ],
)
def test_a_new_source_that_says_nothing_is_not_news(
    encoder: SentenceEncoder, title: str, text: str, language: str
) -> None:
    desk = Desk(encoder, Categoriser([]))
    desk.report(*ADEN_STRIKE, T0)
    silent = desk.report(title, text, language, T0 + timedelta(days=1))
    assert silent.story_id == 1, silent.reason
    assert silent.event in (EventType.UPDATE, EventType.DUPLICATE), silent.reason
    # A source saying something is news.
    said = desk.features(
        "Terminal director sacked, private operator to take over",
        "Yemen's transport minister dismissed the terminal's director and handed its operation to a private "
        "company, his office announced.",
        "en",
    )
    assert assess(said, desk.stories[1], SETTINGS.novelty, encoder).new_facts


def test_a_report_close_to_a_story_that_adds_only_statements_develops_it(encoder: SentenceEncoder) -> None:
    # Between the fold and join bars (here set wide apart so any related report falls between
    # them): new statements or figures make a development of the closest story; a kind of
    # development the story lacked makes a story of its own.
    settings = replace(SETTINGS, join_probability=0.99, fold_probability=0.05)
    categoriser = Categoriser(
        [Category("strike", Label("strike", "إضراب"), terms=("strike*", "إضراب")),
         Category("fire", Label("fire", "حريق"), terms=("fire", "blaze", "حريق", "النيران"))],
    )  # fmt: skip
    desk = Desk(encoder, categoriser)
    story = StoryMemory()
    story.absorb(desk.features(*ADEN_STRIKE), at=T0)
    candidates = [StoryCandidate(1, story)]
    reports = [
        (
            ("وزير النقل يقيل مدير محطة الحاويات في عدن",
             "قال وزير النقل اليمني إنه أقال مدير محطة الحاويات في ميناء عدن وإن تشغيل المحطة سيُسلَّم إلى "
             "شركة خاصة خلال أسابيع.", "ar"),
            (EventType.DEVELOPMENT, 1),
        ),
        (
            ("Fire breaks out at Aden container terminal",
             "A fire broke out in a warehouse at Aden's container terminal on Wednesday; the blaze was put out "
             "after three hours, port officials said.", "en"),
            (EventType.NEW_STORY, None),
        ),
    ]  # fmt: skip
    for report, expected in reports:
        decision = decide(desk.features(*report), candidates, settings, encoder=encoder, at=T0 + timedelta(days=2))
        assert (decision.event, decision.story_id) == expected, decision.reason


def test_a_statement_days_later_that_wording_puts_far_from_its_story_develops_it(encoder: SentenceEncoder) -> None:
    # A minister's answer to a strike, in the other story language, shares few words with the
    # strike reports (join probability about 0.29): it is a later turn of that event and
    # alerts as its development. Other events in the same port stay stories of their own.
    desk = Desk(encoder, Categoriser([]))
    desk.report(*ADEN_STRIKE, at=T0)
    desk.report(
        "إضراب عمال محطة الحاويات في عدن بسبب تأخر الأجور",
        "أضرب عمال محطة الحاويات في ميناء عدن يوم الاثنين احتجاجا على تأخر صرف أجورهم ثلاثة أشهر، "
        "ما ترك نحو 40 سفينة تنتظر في المرسى.",
        "ar",
        at=T0 + timedelta(hours=3),
    )
    assert list(desk.stories) == [1]
    answer = desk.report(
        "وزير النقل يعد بصرف الأجور المتأخرة من صندوق طوارئ",
        "قال وزير النقل اليمني يوم الخميس إن الحكومة ستصرف الأجور المتأخرة من صندوق للطوارئ بحلول نهاية الشهر.",
        "ar",
        at=T0 + timedelta(days=3),
    )
    assert (answer.event, answer.story_id) == (EventType.DEVELOPMENT, 1), answer.reason
    for other in [
        ("Fire at Aden refinery storage tank put out after six hours",
         "A fire at a storage tank of the Aden refinery was put out after six hours on Thursday, the refinery "
         "said; no one was hurt.", "en"),
        ("Aden airport reopens runway after repairs",
         "Aden's international airport reopened its main runway on Thursday after two weeks of repairs.", "en"),
    ]:  # fmt: skip
        decision = desk.report(*other, at=T0 + timedelta(days=3, hours=2))
        assert decision.event is EventType.NEW_STORY, (other[0], decision.reason)


SUDZHA_STRIKE = (
    ("North Korean soldiers killed in Ukrainian drone strike near Sudzha, Kyiv says",
     "Ukrainian drones hit a group of North Korean soldiers near Sudzha in Russia's Kursk region, killing at least "
     "20, Ukraine's special forces said on Friday. The special forces published footage of the strike.", "en"),
    ("هجوم بالمسيرات يقتل 20 جنديا كوريا شماليا قرب سودجا في كورسك",
     "قالت القوات الخاصة الأوكرانية إن مسيرات أوكرانية استهدفت مجموعة من جنود كوريا الشمالية قرب سودجا في "
     "منطقة كورسك الروسية ما أدى إلى مقتل 20 منهم على الأقل.", "ar"),
)  # fmt: skip


def test_the_same_kind_of_event_a_day_later_in_another_place_starts_its_own_story(encoder: SentenceEncoder) -> None:
    # A drone strike on North Korean soldiers near Sudzha (Kursk), in English and Arabic; the next
    # day, footage of North Korean soldiers under drone fire near Klintsy, in another region
    # (Bryansk). Same actors, same kind of event, wording close enough to fold into the Sudzha
    # story (join probability about 0.31): it is another event and alerts as a story of its own.
    def desk_with_the_strike() -> Desk:
        desk = kursk_desk(encoder)
        for hours, report in enumerate(SUDZHA_STRIKE):
            desk.report(*report, at=T0 + timedelta(hours=3 * hours))
        assert list(desk.stories) == [1]
        return desk

    footage = "Footage released by Ukraine's special forces on Saturday shows North Korean soldiers under drone fire"
    elsewhere = desk_with_the_strike().report(
        "Drone footage shows North Korean soldiers under fire near Klintsy",
        f"{footage} near Klintsy in Russia's Bryansk region, far from the Kursk front where they had fought until now.",
        "en",
        at=T0 + timedelta(hours=26),
    )
    assert elsewhere.event is EventType.NEW_STORY, elsewhere.reason
    # The same footage placed where the story is stays in it.
    there = desk_with_the_strike().report(
        "Drone footage shows North Korean soldiers under fire near Sudzha",
        f"{footage} near Sudzha in Russia's Kursk region, where they have fought since the autumn.",
        "en",
        at=T0 + timedelta(hours=26),
    )
    assert (there.event, there.story_id) == (EventType.UPDATE, 1), there.reason


def test_an_arabic_report_of_the_same_event_in_another_region_starts_its_own_story(encoder: SentenceEncoder) -> None:
    # The Sudzha strike story names "Kursk region" / "منطقة كورسك". Arabic footage a day later of
    # the same kind of strike "in the Bryansk region" (منطقة بريانسك) is another event, however
    # young the story and close the wording (about 0.5 against a two-report story); the same
    # footage in the Kursk region is a re-report of the story's own event.
    def footage(where: str) -> Decision:
        desk = kursk_desk(encoder)
        for hours, report in enumerate(SUDZHA_STRIKE):
            desk.report(*report, at=T0 + timedelta(hours=3 * hours))
        return desk.report(
            f"لقطات لجنود من كوريا الشمالية تحت نيران المسيرات قرب {where.split(' في ')[0]}",
            "أظهرت لقطات نشرتها القوات الخاصة الأوكرانية يوم السبت جنودا من كوريا الشمالية تحت نيران المسيرات "
            f"{where}.",
            "ar",
            at=T0 + timedelta(hours=26),
        )

    elsewhere = footage("مدينة كلينتسي في منطقة بريانسك الروسية، بعيدا عن جبهة كورسك")
    assert elsewhere.event is EventType.NEW_STORY, elsewhere.reason
    there = footage("سودجا في منطقة كورسك الروسية حيث يقاتلون منذ الخريف")
    assert (there.event, there.story_id) == (EventType.UPDATE, 1), there.reason


def test_a_region_is_another_only_when_the_story_named_regions_and_none_of_the_reports() -> None:
    story = StoryMemory()
    story.absorb(
        extract_features(Entry(feed="wire", title=SUDZHA_STRIKE[0][0], text=SUDZHA_STRIKE[0][1]), "en", LEXICON)
    )

    def elsewhere(title: str, language: str = "ar") -> bool:
        report = extract_features(Entry(feed="wire", title=title, text="لم تذكر أي أرقام."), language, LEXICON)  # type: ignore[arg-type]
        return another_region(report, story)

    assert elsewhere("جنود من كوريا الشمالية تحت النيران في منطقة بريانسك")  # Bryansk, not Kursk
    assert elsewhere("جنود من كوريا الشمالية تحت النيران في مقاطعة بريانسك وكلينتسي")
    assert not elsewhere("جنود من كوريا الشمالية تحت النيران في منطقة كورسك")  # the story's region, across scripts
    assert not elsewhere("جنود من كوريا الشمالية تحت النيران قرب كلينتسي")  # a town, no region named
    assert not elsewhere("North Korean soldiers under fire in Russia's Kursk region", "en")
    assert elsewhere("North Korean soldiers under fire in Russia's Bryansk Oblast", "en")
    # A story that never named a region is not judged by it.
    no_region = StoryMemory()
    no_region.absorb(
        extract_features(Entry(feed="wire", title="كوريا الشمالية ترسل جنودا", text="لم تذكر أي أرقام."), "ar", LEXICON)
    )
    report = extract_features(
        Entry(feed="wire", title="جنود في منطقة بريانسك", text="لم تذكر أي أرقام."), "ar", LEXICON
    )
    assert not another_region(report, no_region)


def test_a_place_is_new_to_a_story_only_when_no_report_named_it_in_either_script() -> None:
    arabic_only = StoryMemory()
    arabic_only.absorb(
        extract_features(Entry(feed="wire", title=SUDZHA_STRIKE[1][0], text=SUDZHA_STRIKE[1][1]), "ar", LEXICON)
    )
    watch = query_keys("(Korea* OR كوريا) AND (Russia* OR Kursk OR روسيا OR كورسك)")

    def places(title: str) -> frozenset[str]:
        report = extract_features(Entry(feed="wire", title=title, text="Officials gave no figures."), "en", LEXICON)
        return places_new_to(report, arabic_only, watch)

    assert places("North Korean soldiers hit near Sudzha") == frozenset()  # سودجا in the Arabic report
    assert places("North Korean soldiers hit near Klintsy in Russia's Bryansk Oblast") == {"klnts", "brnsk"}
    assert places("North Korean soldiers hit in Kursk") == frozenset()  # the watch's own place
    assert places("Klintsy residents say North Korean soldiers left") == frozenset()  # who, not where
    # An Arabic report's places, against a story told in English only.
    english_only = StoryMemory()
    english_only.absorb(
        extract_features(Entry(feed="wire", title=SUDZHA_STRIKE[0][0], text=SUDZHA_STRIKE[0][1]), "en", LEXICON)
    )

    def arabic_places(title: str) -> frozenset[str]:
        report = extract_features(Entry(feed="wire", title=title, text="لم تذكر أي أرقام."), "ar", LEXICON)
        return places_new_to(report, english_only, watch)

    assert arabic_places("جنود من كوريا الشمالية تحت النيران قرب سودجا") == frozenset()
    assert arabic_places("جنود من كوريا الشمالية تحت النيران قرب مدينة كلينتسي في منطقة بريانسك") == {"klnts", "brnsk"}
    assert arabic_places("جنود من كوريا الشمالية تحت النيران قرب الحدود") == frozenset()  # no name: no key


def test_a_place_before_a_comma_or_a_full_stop_is_a_place() -> None:
    # "near Zaporizhzhia, Ukraine says": a place name is where the event is whatever follows it.
    assert place_names("Pyongyang engineers build bridges near Zaporizhzhia, Ukraine says", frozenset()) == {
        "zaporizhzhia"
    }
    assert place_names("Sappers build crossings across the Dnipro near Zaporizhzhia.", frozenset()) == {
        "dnipro",
        "zaporizhzhia",
    }
    assert place_names("North Korean soldiers hit in Russia's Kursk region", frozenset()) == {"russia", "kursk"}


def test_a_report_joins_the_story_that_has_been_where_it_happened(encoder: SentenceEncoder) -> None:
    # Two open stories of North Korean soldiers under drone fire: near Sudzha (Kursk), then a day
    # later near Klintsy (Bryansk). An Arabic toll of the Klintsy strikes is worded closer to the
    # Sudzha story (join probability about 0.74 against 0.60), where it would read as that story's
    # toll rising from 20 to 31; it names Klintsy, which only the second story has named.
    desk = kursk_desk(encoder)
    for hours, report in enumerate(SUDZHA_STRIKE):
        desk.report(*report, at=T0 + timedelta(hours=3 * hours))
    desk.report(
        "Drone footage shows North Korean soldiers under fire near Klintsy",
        "Footage released by Ukraine's special forces on Saturday shows North Korean soldiers under drone fire near "
        "Klintsy in Russia's Bryansk region, far from the Kursk front where they had fought until now.",
        "en",
        at=T0 + timedelta(hours=26),
    )
    assert list(desk.stories) == [1, 2]
    toll = desk.report(
        "مقتل 31 جنديا من كوريا الشمالية بضربات مسيرات أوكرانية قرب كلينتسي",
        "قالت القوات الخاصة الأوكرانية إن مسيرات أوكرانية قتلت 31 جنديا من كوريا الشمالية قرب كلينتسي في منطقة "
        "بريانسك الروسية.",
        "ar",
        at=T0 + timedelta(hours=50),
    )
    assert (toll.event, toll.story_id) == (EventType.DEVELOPMENT, 2), toll.reason
    assert [change.new.value for change in toll.novelty.figure_changes] == [31]
    assert all(change.old is None for change in toll.novelty.figure_changes), toll.reason


def test_a_market_reaction_is_a_development_carried_by_its_price(encoder: SentenceEncoder) -> None:
    # The market's answer to an export halt is worded apart from the halt's reports and names the
    # halt it answers; what makes it news is the price it gives. Its Arabic write-up gives the
    # same price and is not news; a later, different price is. (A reaction that does not say what
    # it answers is, by the dev timelines, more often another story: 3 of the 15 dev (report,
    # story) pairs nearest it in join evidence are same-story pairs; of those nearest this one, 5.)
    desk = Desk(encoder, Categoriser([]))
    desk.report(
        "Ivory Coast suspends cocoa export contracts for the new season",
        "Ivory Coast's cocoa regulator suspended forward sales of cocoa for the coming season on Monday, "
        "citing a poor mid-crop and heavy rains in the western growing regions.",
        "en",
        T0,
    )
    reaction = desk.report(
        "Cocoa jumps after Ivorian sales halt",
        "Cocoa futures in New York jumped 8% to $9,450 a tonne on Tuesday after Ivory Coast suspended forward sales "
        "for the coming season.",
        "en",
        T0 + timedelta(days=1),
    )
    assert (reaction.event, reaction.story_id) == (EventType.DEVELOPMENT, 1), reaction.reason
    figures = reaction.explanation()["figures"]
    assert [(item["kind"], item["new_text"]) for item in figures] == [("price_change", "+8%"), ("price", "9,450")]
    write_up = desk.report(
        "الكاكاو يقفز بعد وقف ساحل العاج المبيعات",
        "قفزت أسعار الكاكاو في نيويورك 8% إلى 9450 دولارا للطن يوم الثلاثاء في أكبر مكسب يومي منذ شهر.",
        "ar",
        T0 + timedelta(days=1, hours=2),
    )
    assert write_up.story_id == 1 and write_up.event in (EventType.UPDATE, EventType.DUPLICATE), write_up.reason
    later = desk.report(
        "تراجع أسعار الكاكاو",
        "تراجعت أسعار الكاكاو 9% إلى 8600 دولار للطن يوم الخميس مع تحسن الأمطار في غرب أفريقيا.",
        "ar",
        T0 + timedelta(days=3),
    )
    assert (later.event, later.story_id) == (EventType.DEVELOPMENT, 1), later.reason
    labels = [item["label"] for item in later.explanation()["figures"]]
    assert labels == ["price change: +8% → -9%", "price: 9,450 → 8,600"]


def test_a_write_up_whose_body_the_story_holds_is_not_news_for_its_headline(encoder: SentenceEncoder) -> None:
    # A minister's answer to the strike, reported in Arabic, then written up in English by an
    # outlet whose story already has English reports: the body restates the Arabic report, the
    # headline is worded apart. Nothing new for the reader.
    desk = Desk(encoder, Categoriser([]))
    desk.report(*ADEN_STRIKE, at=T0)
    answer = desk.report(
        "وزير النقل يعد بصرف الأجور المتأخرة من صندوق طوارئ",
        "قال وزير النقل اليمني يوم الخميس إن الحكومة ستصرف الأجور المتأخرة من صندوق للطوارئ بحلول نهاية الشهر.",
        "ar",
        at=T0 + timedelta(days=3),
    )
    assert (answer.event, answer.story_id) == (EventType.DEVELOPMENT, 1), answer.reason
    write_up = desk.report(
        "Aden port strike: minister promises payout",
        "Yemen's transport minister said on Thursday the government would pay the overdue wages from an "
        "emergency fund by the end of the month.",
        "en",
        at=T0 + timedelta(days=3, hours=2),
    )
    assert write_up.story_id == 1 and write_up.event in (EventType.UPDATE, EventType.DUPLICATE), write_up.reason


# Worded apart from the strike (no place, no wounded): a capture telling its region and the
# wounded joins the strike's story outright (join probability 0.66), as 9 of the 15 dev pairs
# nearest it in join evidence are same-story pairs; of the 15 nearest this one, 4.
CAPTURE = (
    "Ukraine says its forces captured two soldiers from North Korea",
    "Ukraine's security service said on Saturday its forces had captured two soldiers from North Korea, the first "
    "taken alive, and that they were being questioned.",
    "en",
)
CAPTURE_AR = (
    "كييف: قواتنا أسرت جنديين من كوريا الشمالية",
    "قال جهاز الأمن الأوكراني يوم السبت إن قواته أسرت جنديين من كوريا الشمالية، هما أول من يؤسر حيا، وإنهما "
    "يخضعان للاستجواب.",
    "ar",
)


def test_a_report_folded_in_under_the_join_bar_does_not_widen_what_its_story_matches(
    encoder: SentenceEncoder,
) -> None:
    # A drone strike near Sudzha, in English and Arabic; a day later the capture of two soldiers
    # folds into it under the join bar (same actors and region, another event). It belongs to
    # the story, but the Arabic write-up of the capture, which matches the story only through it,
    # scores the penalty less than it would if the capture had joined confidently: one weak join
    # must not make a story that matches every later report of the watch.
    desk = kursk_desk(encoder)
    for hours, report in enumerate(SUDZHA_STRIKE):
        desk.report(*report, at=T0 + timedelta(hours=3 * hours))
    capture = desk.report(*CAPTURE, at=T0 + timedelta(hours=30))
    assert capture.story_id == 1 and SETTINGS.fold_probability <= capture.score < SETTINGS.join_probability
    assert not capture.core, capture.reason
    weak = desk.stories[1]
    assert weak.articles == 3 and weak.matched.articles == 2
    confident = StoryMemory.from_json(weak.to_json())
    confident.core = None  # the same reports, the capture a core member

    def arabic_against(memory: StoryMemory) -> Decision:
        features = desk.features(*CAPTURE_AR)
        at = T0 + timedelta(hours=40)
        watch = desk.categoriser.watch_names
        return decide(features, [StoryCandidate(1, memory)], SETTINGS, encoder=encoder, at=at, watch_names=watch)

    through_core, through_weak = arabic_against(confident), arabic_against(weak)
    assert through_weak.score == pytest.approx(through_core.score - SETTINGS.weak_member_penalty, abs=1e-6)
    # Against the story's core alone it would not even fold in: it is the weak member it matches.
    alone = arabic_against(weak.matched)
    assert alone.event is EventType.NEW_STORY and alone.score < SETTINGS.fold_probability
