"""Benchmark: the analysis path with stories and novelty, pure and through storage, and its memory.

Run: .venv/bin/python bench/bench_stories.py [--items N] [--storage-items M] [--stored S]
     [--decisions D] [--repeat R] [--sections 1,2,3] [--profile]

One seeded stream of synthetic news items (Arabic and English, one a minute, about 15 % matching
the default watch), the same for the same seed and a prefix of any longer stream. Matching items
report several parallel events (deployments, casualties, prisoners, drones ...) whose figures
grow and whose categories widen over time; some are copies of earlier reports (same text under
another feed, re-titled, or lightly edited). Everything else is unrelated news, near misses
included ("Ukrainian drones strike Kursk", "Pyongyang test-fires a missile").

Prints absolute figures and, since the machine is shared and noisy, ratios against baselines run
in this same process:

1. Pure (no database), on N items (default 20,000): (a) ``Analyser.analyse`` alone, the crawl's
   analysis path and the baseline; (b) (a) plus, for matched items, ``extract_features``, the
   MinHash signature, band keys and body fingerprint, an in-memory duplicate lookup, ``decide``
   against the active stories' ``StoryMemory`` objects and ``absorb`` (what ``ingest.desk`` does,
   kept in dicts); (c) (b) with the memories kept as JSON text and rebuilt for every decision, as
   the desk reads and writes ``stories.state``. Items/s, ratios, and per-matched-item times of
   each stage. ``--profile`` runs (b) again under cProfile and prints the hottest functions.
2. Storage, on the first M items (default 5,000): ``ingest.store.save_article`` with the desk on a
   SQLite file, one transaction per 50 items like a crawled feed, next to (a) and (b) on the same
   items; and whether storage decided the same events as the pure mirror.
3. Memory, with S stored articles (default 100,000): a forked child builds the database by running
   the pure path (b) over the first S items, then bulk-inserting what it produced (articles with
   their fingerprint, signature and features JSON, ``storage.bands.add_bands`` for the band rows,
   stories with their final ``StoryMemory`` state, watch matches with their explanations). Then
   this process, which never held the build, stores the next D matched items of the stream
   (default 1,000) through ``ingest.store.save_article`` against that database and reads its own RSS
   (``/proc/self/statm`` after every item, and the VmHWM high-water mark, reset before they run)
   to show the growth; also the database size per 100k articles and per table, and the size of
   the story states. When sections 1 or 2 ran first, section 3 runs in a fresh interpreter: the
   heap they leave behind (freed, not given back to the system) would hide any growth.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import multiprocessing
import os
import pstats
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, null  # noqa: E402

from config.loader import BUNDLED_DEFAULT, load_config  # noqa: E402
from config.schema import RaqibConfig  # noqa: E402
from ingest.desk import StoryDesk  # noqa: E402
from ingest.store import save_article  # noqa: E402
from raqib.compose import story_desk  # noqa: E402
from storage import bands, feed_repo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article, Story, WatchMatch  # noqa: E402
from stories.analysis import Analyser  # noqa: E402
from stories.decide import Decision, StoryCandidate, decide  # noqa: E402
from stories.features import ArticleFeatures, extract_features  # noqa: E402
from stories.fingerprint import NEAR_DUPLICATE_THRESHOLD, body_fingerprint  # noqa: E402
from stories.memory import StoryMemory  # noqa: E402
from stories.text import tokenise  # noqa: E402
from stories.types import Analysis, Entry  # noqa: E402

SEED = 20250301
START = datetime(2025, 1, 6, tzinfo=UTC)
ITEM_SPACING = timedelta(seconds=60)  # 1,440 items a day across all feeds
MATCHED_SHARE = 0.15
COPY_SHARE = 0.2  # of the matched items: copies of an earlier report
TEXT_SHARE = 0.75  # items whose article page was fetched (the rest: title + summary)
TRANSACTION_ITEMS = 50  # a crawled feed's batch: one transaction per 50 entries

# --- the synthetic stream ------------------------------------------------------------------

PLACES = [
    ("Kursk", "كورسك"),
    ("Sudzha", "سودجا"),
    ("Belgorod", "بيلغورود"),
    ("Pokrovsk", "بوكروفسك"),
    ("Kherson", "خيرسون"),
    ("Zaporizhzhia", "زابوريجيا"),
    ("Donetsk", "دونيتسك"),
]
SOURCES = [  # English, Arabic, short (for headlines)
    ("South Korea's National Intelligence Service", "جهاز الاستخبارات الوطني في كوريا الجنوبية", "Seoul"),
    ("Ukrainian military intelligence", "الاستخبارات العسكرية الأوكرانية", "Kyiv"),
    ("the Pentagon", "البنتاغون", "Pentagon"),
    ("Ukrainian President Zelensky", "الرئيس الأوكراني زيلينسكي", "Zelensky"),
    ("NATO Secretary General Rutte", "الأمين العام لحلف الناتو روته", "NATO"),
    ("a senior US official", "مسؤول أمريكي كبير", "US"),
]
# Per figure kind: low, high, step of the first value an event gives.
FIGURE_RANGES = {
    "troops": (1500, 15000, 500),
    "killed": (100, 1200, 10),
    "wounded": (300, 4000, 100),
    "captured": (2, 30, 1),
    "drones": (50, 600, 10),
    "shells": (100_000, 3_000_000, 100_000),
}
THEME_FIGURES = {
    "deployment": ("troops",),
    "casualties": ("killed", "wounded"),
    "prisoners": ("captured",),
    "drones": ("drones",),
    "weapons": ("shells",),
}
# theme -> language -> (fact sentences, headlines). Every fact names North Korea, Russia or
# Ukraine and troops, forces or drones, so a report led by any of them matches the default watch.
THEMES: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "deployment": {
        "en": (
            [
                "North Korea has sent about {troops} more troops to Russia, and some units have been moved "
                "toward {place}, {source} said.",
                "{Source} said a fresh contingent of roughly {troops} North Korean soldiers had arrived in Russia "
                "and was being deployed near {place}.",
            ],
            [
                "North Korea sends {troops} more troops to Russia, {short} says",
                "Fresh North Korean contingent deployed near {place}",
                "More North Korean soldiers head to Russia's war against Ukraine",
            ],
        ),
        "ar": (
            [
                "وقال {source} إن كوريا الشمالية أرسلت نحو {troops} جندي إضافي إلى روسيا، وإن بعض القوات "
                "الكورية الشمالية نقلت إلى {place}.",
                "وأفاد {source} بوصول دفعة جديدة من القوات الكورية الشمالية تضم قرابة {troops} جندي إلى روسيا "
                "ونشرها قرب {place}.",
            ],
            [
                "كوريا الشمالية ترسل {troops} جندي إضافي إلى روسيا",
                "نشر دفعة جديدة من القوات الكورية الشمالية قرب {place}",
                "تعزيزات كورية شمالية جديدة في روسيا",
            ],
        ),
    },
    "casualties": {
        "en": (
            [
                "About {killed} North Korean soldiers fighting for Russia have been killed and {wounded} wounded "
                "near {place}, {source} said.",
                "{Source} estimated that North Korean troops in Russia had suffered {killed} dead and {wounded} "
                "wounded in the battles around {place}.",
            ],
            [
                "North Korean troops suffer heavy losses near {place}",
                "{killed} North Korean soldiers killed in Russia's war, {short} says",
                "Death toll among North Korean troops rises to {killed}",
            ],
        ),
        "ar": (
            [
                "وأسفرت المعارك قرب {place} عن مقتل نحو {killed} جندي من القوات الكورية الشمالية في روسيا "
                "وإصابة {wounded} آخرين، بحسب {source}.",
                "وقدر {source} خسائر القوات الكورية الشمالية في روسيا بنحو {killed} قتيل و{wounded} جريح في "
                "معارك {place}.",
            ],
            [
                "مقتل {killed} جندي كوري شمالي في {place}",
                "خسائر فادحة في صفوف القوات الكورية الشمالية قرب {place}",
                "ارتفاع عدد قتلى القوات الكورية الشمالية إلى {killed}",
            ],
        ),
    },
    "prisoners": {
        "en": (
            [
                "Ukrainian forces captured {captured} North Korean soldiers near {place}, {source} said.",
                "{Source} said {captured} North Korean troops had been taken prisoner in the fighting for {place} "
                "and were being interrogated in Ukraine.",
            ],
            [
                "Ukraine captures {captured} North Korean soldiers in {place}",
                "North Korean prisoners taken near {place}, {short} says",
            ],
        ),
        "ar": (
            [
                "وأعلن {source} أسر {captured} جنود من القوات الكورية الشمالية قرب {place} في روسيا.",
                "وقال {source} إن القوات الأوكرانية أسرت {captured} جنود من كوريا الشمالية في معارك {place} "
                "ويجري استجوابهم.",
            ],
            [
                "أوكرانيا تأسر {captured} جنود من كوريا الشمالية في {place}",
                "أسرى من القوات الكورية الشمالية قرب {place}",
            ],
        ),
    },
    "drones": {
        "en": (
            [
                "North Korea has delivered {drones} attack drones to Russia, and they have been used against "
                "Ukrainian positions near {place}, {source} said.",
                "{Source} said Russian units near {place} were operating {drones} drones supplied by Pyongyang, "
                "with North Korean troops trained to use them.",
            ],
            [
                "North Korea supplies {drones} attack drones to Russia",
                "North Korean drones used against Ukraine near {place}",
            ],
        ),
        "ar": (
            [
                "وسلمت كوريا الشمالية روسيا {drones} طائرة مسيرة هجومية استخدمتها القوات ضد مواقع أوكرانية قرب "
                "{place}، بحسب {source}.",
                "وقال {source} إن بيونغ يانغ زودت روسيا بنحو {drones} مسيرة انتحارية وإن القوات الكورية "
                "الشمالية تتدرب على تشغيلها قرب {place}.",
            ],
            [
                "كوريا الشمالية تزود روسيا بـ{drones} مسيرة",
                "مسيرات كورية شمالية تضرب مواقع أوكرانية قرب {place}",
            ],
        ),
    },
    "weapons": {
        "en": (
            [
                "Pyongyang has also shipped {shells} artillery shells and dozens of ballistic missiles to Russia "
                "for its forces, {source} said.",
                "{Source} said North Korean forces in Russia were firing {shells} shells shipped through the port "
                "of Rajin toward {place}.",
            ],
            [
                "North Korea ships {shells} artillery shells to Russia, {short} says",
                "North Korean shells and missiles fuel Russia's push near {place}",
            ],
        ),
        "ar": (
            [
                "كما شحنت بيونغ يانغ {shells} قذيفة مدفعية وعشرات الصواريخ الباليستية إلى روسيا لدعم القوات، "
                "بحسب {source}.",
                "وقال {source} إن كوريا الشمالية زودت روسيا بنحو {shells} قذيفة عبر ميناء راجين تستخدمها "
                "القوات قرب {place}.",
            ],
            [
                "كوريا الشمالية تشحن {shells} قذيفة مدفعية إلى روسيا",
                "قذائف وصواريخ كورية شمالية لدعم القوات الروسية قرب {place}",
            ],
        ),
    },
    "withdrawal": {
        "en": (
            [
                "North Korean troops have been pulled back from the front line near {place} after heavy losses, "
                "{source} said.",
                "{Source} said North Korean units had not been seen on the {place} front for two weeks, "
                "suggesting a withdrawal from Russia's front line.",
            ],
            [
                "North Korean troops pulled from {place} front",
                "North Korean units withdraw after heavy losses in Russia, {short} says",
            ],
        ),
        "ar": (
            [
                "وأفاد {source} بانسحاب القوات الكورية الشمالية من خط المواجهة قرب {place} في روسيا بعد خسائر فادحة.",
                "وقال {source} إن وحدات القوات الكورية الشمالية لم ترصد على جبهة {place} منذ أسبوعين، ما يرجح "
                "سحبها من روسيا.",
            ],
            [
                "سحب القوات الكورية الشمالية من جبهة {place}",
                "انسحاب الوحدات الكورية الشمالية بعد خسائر فادحة",
            ],
        ),
    },
    "return_to_front": {
        "en": (
            [
                "North Korean troops have returned to the front near {place} after weeks of retraining in Russia, "
                "{source} said.",
            ],
            ["North Korean troops back on the front near {place}"],
        ),
        "ar": (
            [
                "وقال {source} إن القوات الكورية الشمالية عادت إلى الجبهة قرب {place} بعد أسابيع من إعادة "
                "التدريب في روسيا.",
            ],
            ["عودة القوات الكورية الشمالية إلى الجبهة في {place}"],
        ),
    },
    "treaty": {
        "en": (
            [
                "Russia's parliament ratified the mutual defence treaty with North Korea, which obliges each side "
                "to send troops if the other is attacked, {source} said.",
            ],
            ["Russia ratifies defence pact with North Korea as troops fight in {place}"],
        ),
        "ar": (
            [
                "وصادق البرلمان الروسي على معاهدة الدفاع المشترك مع كوريا الشمالية التي تلزم كل طرف بإرسال "
                "قوات إذا تعرض الآخر لهجوم.",
            ],
            ["روسيا تصادق على معاهدة الدفاع المشترك مع كوريا الشمالية"],
        ),
    },
    "acknowledgement": {
        "en": (
            [
                "For the first time, Pyongyang publicly acknowledged that North Korean troops were fighting for "
                "Russia in {place}.",
            ],
            ["North Korea acknowledges its troops fight for Russia"],
        ),
        "ar": (
            ["واعترفت بيونغ يانغ لأول مرة بأن القوات الكورية الشمالية تقاتل إلى جانب روسيا في {place}."],
            ["كوريا الشمالية تعترف بمشاركة قواتها في القتال إلى جانب روسيا"],
        ),
    },
}
BACKGROUND = {
    "en": [
        "North Korea sent about 12,000 troops to Russia last autumn, according to Seoul and Washington.",
        "Kim Jong Un and Vladimir Putin signed a mutual defence treaty in June 2024.",
        "Moscow and Pyongyang initially denied that any North Korean soldiers were in Russia.",
        "Ukrainian forces launched an incursion into the Kursk region in August.",
    ],
    "ar": [
        "وكانت كوريا الشمالية قد أرسلت قرابة 12 ألف جندي إلى روسيا الخريف الماضي، بحسب سول وواشنطن.",
        "ووقع كيم جونغ أون وفلاديمير بوتين معاهدة للدفاع المشترك في يونيو 2024.",
        "ونفت موسكو وبيونغ يانغ في البداية وجود جنود كوريين شماليين في روسيا.",
        "وكانت القوات الأوكرانية قد توغلت في منطقة كورسك في أغسطس.",
    ],
}
CONTEXT = {  # matched reports' own filler: no concepts, no figures
    "en": [
        "There was no immediate comment from Pyongyang or Moscow.",
        "The claims could not be independently verified.",
        "Analysts say the deployment gives the North's army its first combat experience in decades.",
        "Officials spoke on condition of anonymity because they were not authorised to brief the media.",
        "Seoul has said it could consider sending weapons to Kyiv in response.",
        "Lawmakers were briefed in a closed-door session on {weekday}.",
        "The briefing came as fighting intensified along several sections of the front.",
        "Western governments have condemned the growing military cooperation between the two countries.",
        "Military experts said the units appeared to have adapted their tactics after the first weeks.",
        "The information was based on interrogations, intercepted communications and battlefield reports.",
        "Video footage shared online could not be verified by journalists.",
        "The foreign ministry summoned the ambassador to protest, a spokesperson said on {weekday}.",
    ],
    "ar": [
        "ولم يصدر تعليق فوري من بيونغ يانغ أو موسكو.",
        "ولم يتسن التحقق من هذه المعلومات بشكل مستقل.",
        "ويرى محللون أن المشاركة تمنح الجيش الشمالي أول خبرة قتالية منذ عقود.",
        "وتحدث المسؤولون شريطة عدم الكشف عن هويتهم لأنهم غير مخولين بالحديث إلى وسائل الإعلام.",
        "وكانت سول قد لوحت بإمكانية إرسال أسلحة إلى كييف ردا على ذلك.",
        "وجاءت الإحاطة في جلسة مغلقة للبرلمان يوم {weekday}.",
        "وتأتي هذه المعلومات في وقت تصاعدت فيه المعارك على عدة محاور من الجبهة.",
        "ونددت الحكومات الغربية بالتعاون العسكري المتزايد بين البلدين.",
        "وقال خبراء عسكريون إن الوحدات بدت وكأنها غيرت أساليبها بعد الأسابيع الأولى.",
        "واستندت المعلومات إلى استجوابات واتصالات جرى اعتراضها وتقارير ميدانية.",
        "ولم يتسن للصحفيين التحقق من مقاطع مصورة جرى تداولها على الإنترنت.",
        "واستدعت وزارة الخارجية السفير للاحتجاج، بحسب متحدث باسمها يوم {weekday}.",
    ],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "ar": ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"],
}
CITIES = {
    "en": ["Cairo", "Berlin", "Lagos", "Jakarta", "Lima", "Madrid", "Nairobi", "Seoul", "Toronto", "Riyadh"],
    "ar": ["القاهرة", "برلين", "لاغوس", "جاكرتا", "ليما", "مدريد", "نيروبي", "سول", "تورنتو", "الرياض"],
}
# Unrelated news, near misses of the watch among it.
OTHER_TITLES = {
    "en": [
        "Ukrainian drones strike oil depot in Russia's Kursk region",
        "South Korea holds joint drills with US forces near {city}",
        "Pyongyang test-fires ballistic missile into the sea",
        "Central bank in {city} holds interest rates at {pct} percent",
        "Floods displace {n} families in southern provinces",
        "Election commission in {city} announces preliminary results",
        "Gaza aid convoy of {n} trucks reaches northern areas",
        "Iran says talks on its nuclear programme will resume in {city}",
        "Champions League draw pits holders against old rivals",
        "Oil prices climb as OPEC+ extends output cuts",
        "Russian shelling kills {small} in Kharkiv, governor says",
        "Heatwave in {city} breaks a record set in {year}",
        "Tech firm cuts {n} jobs as demand slows",
        "Parliament in {city} passes budget after long debate",
        "Wildfire forces evacuation of {n} residents",
        "Zelensky meets European leaders to discuss air defence",
        "Airline adds {small} routes from {city} for the summer",
        "Kremlin says talks with Washington are possible",
        "Museum in {city} returns {small} looted artefacts",
        "Strike halts rail traffic across the country",
    ],
    "ar": [
        "مسيرات أوكرانية تضرب مصفاة نفط في كورسك",
        "كوريا الجنوبية تجري مناورات مع القوات الأمريكية قرب {city}",
        "بيونغ يانغ تطلق صاروخا باليستيا باتجاه البحر",
        "البنك المركزي في {city} يبقي سعر الفائدة عند {pct} في المئة",
        "فيضانات تشرد {n} أسرة في المحافظات الجنوبية",
        "لجنة الانتخابات في {city} تعلن النتائج الأولية",
        "قافلة من {n} شاحنة مساعدات تصل إلى شمال غزة",
        "إيران تعلن استئناف المحادثات بشأن برنامجها النووي في {city}",
        "قرعة دوري الأبطال تضع حامل اللقب أمام منافس قديم",
        "ارتفاع أسعار النفط بعد تمديد خفض الإنتاج",
        "قصف روسي يقتل {small} أشخاص في خاركيف",
        "موجة حر في {city} تحطم رقما قياسيا يعود إلى عام {year}",
        "شركة تقنية تسرح {n} موظف مع تراجع الطلب",
        "برلمان {city} يقر الموازنة بعد نقاش طويل",
        "حريق غابات يجبر {n} من السكان على الإخلاء",
        "زيلينسكي يلتقي قادة أوروبيين لبحث الدفاع الجوي",
        "شركة طيران تضيف {small} خطوط من {city} للصيف",
        "الكرملين: المحادثات مع واشنطن ممكنة",
        "متحف في {city} يعيد {small} قطع أثرية منهوبة",
        "إضراب يوقف حركة القطارات في أنحاء البلاد",
    ],
}
OTHER_SENTENCES = {
    "en": [
        "Officials in {city} said the situation remained tense on {weekday}.",
        "The ministry did not immediately respond to a request for comment.",
        "About {n} people attended the event, organisers said.",
        "Analysts say the move could reshape the sector over the coming years.",
        "Residents reported long queues at petrol stations and supermarkets.",
        "The statement gave no figure for the cost of the damage.",
        "Talks are expected to continue in {city} in the coming weeks, diplomats said.",
        "Markets reacted cautiously, with the main index down {pct} percent.",
        "The governor urged people to stay away from the area until further notice.",
        "Prices have risen by {pct} percent since the start of the year.",
        "The company said revenue grew to {n} million dollars in the last quarter.",
        "Police said {small} people had been detained after the protest.",
        "The report, published on {weekday}, was based on interviews with {n} households.",
        "Opposition parties criticised the decision as rushed and poorly explained.",
        "Forecasters expect temperatures to fall again by the end of the week.",
        "The club confirmed the transfer in a short statement on its website.",
        "Schools in {city} will remain closed until {weekday}, the authorities said.",
        "The project, first announced in {year}, has faced repeated delays.",
        "Health officials recorded {n} new cases over the past seven days.",
        "Negotiators said a deal was close but several issues remained open.",
        "Farmers said the drought had cut harvests by nearly a third.",
        "A spokesperson said the talks had been constructive and frank.",
        "The court is expected to rule on the case later this month.",
        "Turnout was estimated at {pct} percent, slightly lower than in {year}.",
        "Engineers are still assessing the damage to the bridge near {city}.",
    ],
    "ar": [
        "وقال مسؤولون في {city} إن الوضع لا يزال متوترا يوم {weekday}.",
        "ولم ترد الوزارة على الفور على طلب للتعليق.",
        "وحضر الفعالية نحو {n} شخص بحسب المنظمين.",
        "ويقول محللون إن هذه الخطوة قد تغير ملامح القطاع خلال السنوات المقبلة.",
        "وأفاد سكان بطوابير طويلة أمام محطات الوقود والمتاجر.",
        "ولم يذكر البيان أي أرقام عن تكلفة الأضرار.",
        "ومن المتوقع أن تستمر المحادثات في {city} خلال الأسابيع المقبلة.",
        "وتفاعلت الأسواق بحذر وتراجع المؤشر الرئيسي بنسبة {pct} في المئة.",
        "ودعا المحافظ السكان إلى الابتعاد عن المنطقة حتى إشعار آخر.",
        "وارتفعت الأسعار بنسبة {pct} في المئة منذ بداية العام.",
        "وقالت الشركة إن إيراداتها بلغت {n} مليون دولار في الربع الأخير.",
        "وقالت الشرطة إنها أوقفت {small} أشخاص بعد الاحتجاج.",
        "واستند التقرير الذي نشر يوم {weekday} إلى مقابلات مع {n} أسرة.",
        "وانتقدت أحزاب المعارضة القرار ووصفته بالمتسرع.",
        "ويتوقع خبراء الأرصاد انخفاض درجات الحرارة مجددا بنهاية الأسبوع.",
        "وأكد النادي انتقال اللاعب في بيان مقتضب على موقعه.",
        "وستبقى المدارس في {city} مغلقة حتى يوم {weekday} بحسب السلطات.",
        "ويواجه المشروع الذي أعلن عنه عام {year} تأخيرات متكررة.",
        "وسجلت السلطات الصحية {n} إصابة جديدة خلال الأيام السبعة الماضية.",
        "وقال المفاوضون إن الاتفاق بات قريبا لكن عدة قضايا لا تزال عالقة.",
        "وقال مزارعون إن الجفاف قلص المحاصيل بنحو الثلث.",
        "وقال متحدث إن المحادثات كانت بناءة وصريحة.",
        "ومن المتوقع أن تصدر المحكمة حكمها في القضية في وقت لاحق هذا الشهر.",
        "وقدرت نسبة المشاركة بنحو {pct} في المئة، أقل بقليل من عام {year}.",
        "ولا يزال المهندسون يقيمون الأضرار التي لحقت بالجسر قرب {city}.",
    ],
}
COPY_PREFIX = {"en": ["Here's what you need to know:", "UPDATE:", "Breaking:"], "ar": ["عاجل:", "محدث:", "خاص:"]}
COPY_SUFFIX = {
    "en": "This story has been updated with additional reporting.",
    "ar": "تم تحديث هذا الخبر بمعلومات إضافية.",
}
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# Local names (villages, commanders, reporters) made of syllables, written in both scripts, so
# that each event and each report has words of its own, as real ones do.
SYLLABLES = [
    ("ka", "كا"),
    ("lo", "لو"),
    ("mi", "مي"),
    ("ro", "رو"),
    ("va", "فا"),
    ("ne", "ني"),
    ("sho", "شو"),
    ("tu", "تو"),
    ("zi", "زي"),
    ("pe", "بي"),
    ("dor", "دور"),
    ("gra", "غرا"),
    ("lin", "لين"),
    ("vol", "فول"),
    ("mar", "مار"),
    ("bel", "بيل"),
    ("sen", "سين"),
    ("ga", "غا"),
]
NAME_ENDINGS = [("ovka", "وفكا"), ("ivka", "يفكا"), ("ne", "ني"), ("ino", "ينو"), ("sk", "سك"), ("ov", "وف")]
DETAILS = {
    "en": [
        "Fighting was reported around the villages of {village1} and {village2}, where the {brigade}th brigade "
        "was said to be positioned.",
        "A commander identified only as {commander} told local media that the situation near {village1} was difficult.",
        "Residents of {village2} said they had seen columns of vehicles moving at night.",
    ],
    "ar": [
        "وأفيد بوقوع معارك حول قريتي {village1} و{village2} حيث يتمركز اللواء {brigade}.",
        "وقال قائد عرف باسم {commander} لوسائل إعلام محلية إن الوضع قرب {village1} صعب.",
        "وقال سكان في {village2} إنهم شاهدوا أرتالا من الآليات تتحرك ليلا.",
    ],
}
BYLINE = {"en": "Reporting by {reporter}; editing by {editor}.", "ar": "إعداد {reporter}، تحرير {editor}."}


@dataclass(frozen=True, slots=True)
class Item:
    entry: Entry
    at: datetime
    kind: str  # "other", "report", "copy", "retitled" or "edited"
    event: int | None = None  # the event a report or copy is about


@dataclass
class Event:
    number: int
    theme: str
    place: tuple[str, str]
    source: tuple[str, str, str]
    ends: datetime
    facts: list[str]
    figures: dict[str, int] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # village1, village2, commander
    brigade: int = 0


def _count_en(value: int) -> str:
    return f"{value:,}"


def _count_ar(value: int, rng: random.Random) -> str:
    if value >= 1000 and value % 1000 == 0:
        thousands = value // 1000
        if thousands < 1000:
            return f"{thousands} آلاف" if 3 <= thousands <= 10 else f"{thousands} ألف"
    text = str(value)
    return text.translate(ARABIC_DIGITS) if rng.random() < 0.2 else text


def _name(rng: random.Random) -> tuple[str, str]:
    """A made-up proper name in Latin and Arabic script."""
    parts = rng.sample(SYLLABLES, rng.randrange(2, 4)) + [rng.choice(NAME_ENDINGS)]
    return "".join(part[0] for part in parts).capitalize(), "".join(part[1] for part in parts)


def _initial(kind: str, rng: random.Random) -> int:
    low, high, step = FIGURE_RANGES[kind]
    return rng.randrange(low, high + 1, step)


class Stream:
    """The synthetic stream: ``next()`` gives one item a minute, deterministic for a seed."""

    def __init__(self, feeds: Sequence[Any], seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.feeds = {language: [feed.name for feed in feeds if feed.language == language] for language in ("ar", "en")}
        self.number = 0
        self.events: list[Event] = []
        self.event_count = 0
        self.originals: list[tuple[Entry, str, int]] = []  # recent matched reports: entry, language, event

    def take(self, count: int) -> list[Item]:
        return [self.next() for _ in range(count)]

    def next(self) -> Item:
        rng = self.rng
        at = START + self.number * ITEM_SPACING
        self.number += 1
        language = "ar" if rng.random() < 0.5 else "en"
        if rng.random() >= MATCHED_SHARE:
            return Item(self._other(language, at), at, "other")
        if self.originals and rng.random() < COPY_SHARE:
            return self._copy(at)
        event = self._event(at)
        if rng.random() < 0.3:
            self._develop(event)
        entry = self._report(event, language, at)
        self.originals.append((entry, language, event.number))
        del self.originals[:-300]
        return Item(entry, at, "report", event.number)

    # -- helpers ----------------------------------------------------------------------------

    def _entry(self, language: str, title: str, sentences: list[str], at: datetime, feed: str | None = None) -> Entry:
        rng = self.rng
        feed = feed or rng.choice(self.feeds[language])
        host = "".join(ch for ch in feed.lower() if ch.isalnum())[:24]
        url = f"https://www.{host}.example/{at:%Y/%m/%d}/{self.number}-{rng.randrange(10**6)}"
        summary = " ".join(sentences[:2])
        text = " ".join(sentences) if rng.random() < TEXT_SHARE else ""
        return Entry(
            feed=feed,
            title=title,
            summary=summary,
            guid=url if rng.random() < 0.7 else None,
            url=url,
            text=text,
            published=at,
            language_hint=language,  # type: ignore[arg-type]
        )

    def _slots(self, language: str) -> dict[str, object]:
        rng = self.rng
        return {
            "city": rng.choice(CITIES[language]),
            "weekday": rng.choice(WEEKDAYS[language]),
            "n": rng.randrange(20, 5000),
            "small": rng.randrange(3, 10),
            "pct": rng.randrange(2, 60),
            "year": rng.randrange(1990, 2024),
        }

    def _other(self, language: str, at: datetime) -> Entry:
        rng = self.rng
        title = rng.choice(OTHER_TITLES[language]).format(**self._slots(language))
        count = rng.randrange(10, 25)
        sentences = [
            sentence.format(**self._slots(language)) for sentence in rng.sample(OTHER_SENTENCES[language], count)
        ]
        return self._entry(language, title, sentences, at)

    def _event(self, at: datetime) -> Event:
        rng = self.rng
        self.events = [event for event in self.events if event.ends > at]
        if len(self.events) < 3 or (len(self.events) < 8 and rng.random() < 0.04):
            theme = rng.choice(list(THEMES))
            event = Event(
                number=self.event_count,
                theme=theme,
                place=rng.choice(PLACES),
                source=rng.choice(SOURCES),
                ends=at + timedelta(hours=rng.uniform(12, 96)),
                facts=[theme],
                figures={kind: _initial(kind, rng) for kind in THEME_FIGURES.get(theme, ())},
                names={key: _name(rng) for key in ("village1", "village2", "commander")},
                brigade=rng.randrange(11, 120),
            )
            self.event_count += 1
            self.events.append(event)
            return event
        # Newer events are reported more.
        return rng.choices(self.events, weights=range(1, len(self.events) + 1))[0]

    def _develop(self, event: Event) -> None:
        """A development: a figure grows, or the event gains a category (with its figures)."""
        rng = self.rng
        if event.figures and rng.random() < 0.5:
            kind = rng.choice(sorted(event.figures))
            step = FIGURE_RANGES[kind][2]
            grown = int(event.figures[kind] * rng.uniform(1.2, 2.0))
            event.figures[kind] = max(step, grown - grown % step)
            return
        unused = [theme for theme in THEMES if theme not in event.facts]
        if unused:
            theme = rng.choice(unused)
            event.facts.append(theme)
            for kind in THEME_FIGURES.get(theme, ()):
                event.figures.setdefault(kind, _initial(kind, rng))

    def _fact(self, event: Event, theme: str, language: str) -> tuple[str, str]:
        rng = self.rng
        place = event.place[0] if language == "en" else event.place[1]
        source = event.source[0] if language == "en" else event.source[1]
        slots: dict[str, object] = {"place": place, "source": source, "Source": source[0].upper() + source[1:]}
        slots["short"] = event.source[2]
        for kind, value in event.figures.items():
            slots[kind] = _count_en(value) if language == "en" else _count_ar(value, rng)
        facts, titles = THEMES[theme][language]
        return rng.choice(facts).format(**slots), rng.choice(titles).format(**slots)

    def _report(self, event: Event, language: str, at: datetime) -> Entry:
        """One outlet's own report: the latest fact first, some earlier ones, background, context."""
        rng = self.rng
        lead_theme = event.facts[-1] if rng.random() < 0.7 else event.theme
        lead, title = self._fact(event, lead_theme, language)
        others = [self._fact(event, theme, language)[0] for theme in event.facts if theme != lead_theme]
        rng.shuffle(others)
        body = others[: rng.randrange(0, 4)]
        body += rng.sample(BACKGROUND[language], rng.randrange(1, 3))
        slots = {"weekday": rng.choice(WEEKDAYS[language])}
        body += [sentence.format(**slots) for sentence in rng.sample(CONTEXT[language], rng.randrange(2, 7))]
        # The rest of a long article: general lines that name no concept of the story.
        general = rng.sample(OTHER_SENTENCES[language], rng.randrange(3, 11))
        body += [sentence.format(**self._slots(language)) for sentence in general]
        index = 0 if language == "en" else 1
        names = {key: value[index] for key, value in event.names.items()}
        details = rng.sample(DETAILS[language], rng.randrange(0, 3))
        body += [detail.format(brigade=event.brigade, **names) for detail in details]
        rng.shuffle(body)
        byline = BYLINE[language].format(
            reporter=" ".join(_name(rng)[index] for _ in range(2)), editor=_name(rng)[index]
        )
        return self._entry(language, title, [lead, *body, byline], at)

    def _copy(self, at: datetime) -> Item:
        """A copy of a recent report under another feed: as is, re-titled, or lightly edited."""
        rng = self.rng
        source, language, event_number = rng.choice(self.originals[-200:])
        feed = rng.choice([name for name in self.feeds[language] if name != source.feed] or self.feeds[language])
        host = "".join(ch for ch in feed.lower() if ch.isalnum())[:24]
        url = f"https://www.{host}.example/{at:%Y/%m/%d}/{self.number}-{rng.randrange(10**6)}"
        roll = rng.random()
        title, summary, text = source.title, source.summary, source.text
        if roll < 0.3:
            kind = "copy"
        elif roll < 0.65:
            kind = "retitled"
            title = f"{rng.choice(COPY_PREFIX[language])} {title}"
            if rng.random() < 0.5:
                event = next((event for event in self.events if event.number == event_number), None)
                if event is not None:
                    title = self._fact(event, event.theme, language)[1]
        else:
            kind = "edited"
            sentences = (text or summary).split(". ")
            if len(sentences) > 3:
                del sentences[rng.randrange(1, len(sentences))]
            edited = f"{rng.choice(COPY_PREFIX[language])} " + ". ".join(sentences) + " " + COPY_SUFFIX[language]
            if text:
                text = edited
            else:
                summary = edited
        entry = Entry(
            feed=feed,
            title=title,
            summary=summary,
            guid=url if rng.random() < 0.7 else None,
            url=url,
            text=text,
            published=at,
            language_hint=language,  # type: ignore[arg-type]
        )
        return Item(entry, at, kind, event_number)


# --- the story desk, in memory -------------------------------------------------------------

STAGES = ("features", "signature", "duplicates", "decide", "absorb", "state json")


@dataclass
class Prepared:
    features: ArticleFeatures
    fingerprint: str
    signature: bytes
    band_keys: list[int]


@dataclass
class WatchStories:
    """One watch's stories and duplicate indexes: the rows ingest.desk reads, kept in dicts."""

    memories: dict[int, StoryMemory] = field(default_factory=dict)
    states: dict[int, str] = field(default_factory=dict)  # story id → state as JSON text (mode c)
    last_seen: dict[int, datetime] = field(default_factory=dict)
    titles: dict[int, tuple[str, str, datetime]] = field(default_factory=dict)  # title, language, first seen
    by_fingerprint: dict[str, tuple[int, int]] = field(default_factory=dict)  # → first article, its story
    story_of: dict[int, int] = field(default_factory=dict)  # article id → story id


class MemoryDesk:
    """What ``ingest.desk.StoryDesk`` does for a new article, with dicts instead of tables.

    Same calls (``extract_features``, ``MinHasher``, ``body_fingerprint``, ``decide``,
    ``StoryMemory.absorb``), the same window and candidate limit, the same duplicate rules (the
    first stored article with the same fingerprint, else the best near-duplicate found through
    the bands, capped per band like ``storage.bands``). With ``json_states`` the memories live
    as JSON text and are rebuilt for each decision, as the desk does with ``stories.state``.
    """

    def __init__(self, desk: StoryDesk, *, json_states: bool = False) -> None:
        self.lexicon = desk.lexicon
        self.hasher = desk.hasher
        self.settings = desk.settings
        self.json_states = json_states
        self.watches: dict[str, WatchStories] = defaultdict(WatchStories)
        self.bands: dict[int, list[int]] = defaultdict(list)
        self.signatures: dict[int, bytes] = {}
        self.next_story = 1
        self.seconds: Counter[str] = Counter()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.events: Counter[str] = Counter()
        self.decisions: dict[int, str] = {}  # article id → event (first watch)
        self.candidates: list[int] = []
        self.prepared: dict[int, Prepared] = {}  # kept only when asked (the bulk build of section 3)
        self.explanations: dict[int, tuple[str, int, str, dict[str, Any]]] = {}
        self.keep = False

    def _stage(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[name] += now - started
        self.samples[name].append(now - started)
        return now

    def place(self, article_id: int, entry: Entry, analysis: Analysis, now: datetime) -> None:
        started = time.perf_counter()
        features = extract_features(entry, analysis.language, self.lexicon)
        started = self._stage("features", started)
        body_tokens = tokenise(entry.text or entry.summary)
        tokens = body_tokens if len(body_tokens) >= 12 else tokenise(entry.title) + body_tokens
        signature = self.hasher.signature(tokens)
        prepared = Prepared(features, body_fingerprint(" ".join(tokens)), signature, self.hasher.band_keys(signature))
        started = self._stage("signature", started)
        duplicates_seconds = decide_seconds = absorb_seconds = json_seconds = 0.0
        for hit in analysis.hits:
            stories = self.watches[hit.watch]
            lap = time.perf_counter()
            candidates = self._active(stories, now)
            duplicate_story, duplicate_of = self._duplicate(stories, prepared, article_id)
            if duplicate_story is not None and duplicate_story not in candidates:
                candidates.append(duplicate_story)
            after_lookup = time.perf_counter()
            duplicates_seconds += after_lookup - lap
            if self.json_states:
                memories = {story: StoryMemory.from_json(json.loads(stories.states[story])) for story in candidates}
            else:
                memories = {story: stories.memories[story] for story in candidates}
            after_json = time.perf_counter()
            json_seconds += after_json - after_lookup
            decision = decide(
                prepared.features,
                [StoryCandidate(story, memories[story]) for story in candidates],
                self.settings.decision,
                duplicate_story=duplicate_story,
                duplicate_of=duplicate_of,
            )
            after_decide = time.perf_counter()
            decide_seconds += after_decide - after_json
            story_id, absorb_json = self._absorb(stories, decision, memories, prepared, entry, analysis, now)
            after_absorb = time.perf_counter()
            absorb_seconds += after_absorb - after_decide - absorb_json
            json_seconds += absorb_json
            stories.by_fingerprint.setdefault(prepared.fingerprint, (article_id, story_id))
            stories.story_of[article_id] = story_id
            self.events[decision.event.value] += 1
            self.decisions.setdefault(article_id, decision.event.value)
            self.candidates.append(len(candidates))
            if self.keep:
                self.explanations[article_id] = (hit.watch, story_id, decision.event.value, decision.explanation())
        for key in set(prepared.band_keys):
            self.bands[key].append(article_id)
        self.signatures[article_id] = signature
        if self.keep:
            self.prepared[article_id] = prepared
        for name, seconds in (
            ("duplicates", duplicates_seconds),
            ("decide", decide_seconds),
            ("absorb", absorb_seconds),
            ("state json", json_seconds),
        ):
            self.seconds[name] += seconds
            self.samples[name].append(seconds)

    def _absorb(
        self,
        stories: WatchStories,
        decision: Decision,
        memories: dict[int, StoryMemory],
        prepared: Prepared,
        entry: Entry,
        analysis: Analysis,
        now: datetime,
    ) -> tuple[int, float]:
        """The story the decision names, or a new one, absorbs the article; returns the story id
        and the seconds spent on JSON (the desk reads the state again and writes it back)."""
        json_seconds = 0.0
        if decision.story_id is None:
            story_id = self.next_story
            self.next_story += 1
            stories.titles[story_id] = (entry.title, analysis.language, now)
        else:
            story_id = decision.story_id
        if self.json_states:
            lap = time.perf_counter()
            state = stories.states.get(story_id)
            memory = StoryMemory.from_json(json.loads(state) if state else None)
            json_seconds += time.perf_counter() - lap
        else:
            memory = memories[story_id] if story_id in memories else StoryMemory()
        memory.absorb(prepared.features, core=decision.core)
        stories.last_seen[story_id] = max(stories.last_seen.get(story_id, now), now)
        if self.json_states:
            lap = time.perf_counter()
            stories.states[story_id] = json.dumps(memory.to_json())
            json_seconds += time.perf_counter() - lap
        else:
            stories.memories[story_id] = memory
        return story_id, json_seconds

    def _active(self, stories: WatchStories, now: datetime) -> list[int]:
        since = now - self.settings.window
        active = [(seen, story) for story, seen in stories.last_seen.items() if seen >= since]
        active.sort(reverse=True)
        return [story for _, story in active[: self.settings.max_candidates]]

    def _duplicate(self, stories: WatchStories, prepared: Prepared, article_id: int) -> tuple[int | None, int | None]:
        exact = stories.by_fingerprint.get(prepared.fingerprint)
        if exact is not None:
            return exact[1], exact[0]
        keys = sorted(set(prepared.band_keys))
        if not keys:
            return None, None
        per_band = max(1, bands.MAX_CANDIDATES // len(keys))
        found: set[int] = set()
        for key in keys:
            found.update(self.bands.get(key, [])[-per_band:])
        found.discard(article_id)
        scored = []
        for other in found:
            similarity = self.hasher.similarity(prepared.signature, self.signatures[other])
            if similarity >= NEAR_DUPLICATE_THRESHOLD:
                scored.append((other, similarity))
        scored.sort(key=lambda pair: (-pair[1], -pair[0]))
        for other, _ in scored[:20]:
            if other in stories.story_of:
                return stories.story_of[other], other
        return None, None


# --- helpers -------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """The process's RSS high-water mark (VmHWM), which ``reset_peak_rss`` sets back to now."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # Linux 4.0+: reset the peak RSS to the current RSS
        return True
    except OSError:
        return False


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:7.3f} ms"


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


def batches(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def describe(items: Sequence[Item]) -> str:
    kinds = Counter(item.kind for item in items)
    arabic = sum(1 for item in items if item.entry.language_hint == "ar")
    matched = len(items) - kinds["other"]
    events = len({item.event for item in items if item.event is not None})
    words = statistics.mean(len((item.entry.text or item.entry.summary).split()) for item in items)
    return (
        f"{len(items):,} items ({arabic:,} Arabic, {len(items) - arabic:,} English, {words:.0f} words of body on "
        f"average, {TEXT_SHARE:.0%} with fetched text), {matched:,} about the watch's subject "
        f"({matched / len(items):.1%}) on {events} events: {kinds['report']:,} own reports, "
        f"{kinds['copy']:,} copies, {kinds['retitled']:,} re-titled and {kinds['edited']:,} edited copies"
    )


def run_analysis(items: Sequence[Item], analyser: Analyser) -> tuple[float, list[Analysis]]:
    analyse = analyser.analyse
    started = time.perf_counter()
    analyses = [analyse(item.entry) for item in items]
    return time.perf_counter() - started, analyses


def run_pure(
    items: Sequence[Item],
    analyser: Analyser,
    desk: StoryDesk,
    *,
    json_states: bool = False,
    profile: cProfile.Profile | None = None,
) -> tuple[float, MemoryDesk, int]:
    """Analyse every item and place the matched ones; article ids are 1, 2, ... as in a fresh
    database. With ``profile``, only the placing (the per-matched-item path) is profiled."""
    memory_desk = MemoryDesk(desk, json_states=json_states)
    analyse = analyser.analyse
    matched = 0
    started = time.perf_counter()
    for article_id, item in enumerate(items, start=1):
        analysis = analyse(item.entry)
        if analysis.hits:
            matched += 1
            if profile is not None:
                profile.enable()
                memory_desk.place(article_id, item.entry, analysis, item.at)
                profile.disable()
            else:
                memory_desk.place(article_id, item.entry, analysis, item.at)
    return time.perf_counter() - started, memory_desk, matched


def best(repeat: int, run: Callable[[], tuple[float, Any, int]]) -> tuple[float, Any, int]:
    results = [run() for _ in range(repeat)]
    return min(results, key=lambda result: result[0])


def stage_report(memory_desk: MemoryDesk, matched: int, stages: Sequence[str]) -> None:
    for name in stages:
        samples = memory_desk.samples[name]
        if not samples:
            continue
        mean = memory_desk.seconds[name] / matched
        print(
            f"      {name:<11} mean {ms(mean)}   p50 {ms(percentile(samples, 0.5))}   "
            f"p95 {ms(percentile(samples, 0.95))}   max {ms(max(samples))}"
        )


# --- 1. pure -------------------------------------------------------------------------------


def section_pure(config: RaqibConfig, items: Sequence[Item], repeat: int, profile: bool) -> float:
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    print(f"## 1. Analysis path with stories and novelty, pure (no database), best of {repeat}")
    print(f"  {describe(items)}")
    analysis_seconds, analyses = best(repeat, lambda: (*run_analysis(items, analyser), 0))[:2]
    matched = sum(1 for analysis in analyses if analysis.hits)
    rate_a = len(items) / analysis_seconds
    print(f"  (a) Analyser.analyse alone (baseline)        {rate_a:>9,.0f} items/s  ({analysis_seconds:.2f} s)")
    print(f"      {matched:,} matched the watch ({matched / len(items):.1%})")
    seconds_b, desk_b, _ = best(repeat, lambda: run_pure(items, analyser, desk))
    rate_b = len(items) / seconds_b
    print(
        f"  (b) + features, signature, decide, absorb    {rate_b:>9,.0f} items/s  ({seconds_b:.2f} s)  "
        f"ratio b/a {rate_b / rate_a:.3f}"
    )
    placing = sum(desk_b.seconds[name] for name in STAGES)
    print(
        f"      per matched item {ms(placing / matched)} on the story path "
        f"({matched / placing:,.0f} matched items/s); per stage:"
    )
    stage_report(desk_b, matched, STAGES[:5])
    stories = sum(len(watch.last_seen) for watch in desk_b.watches.values())
    print(
        f"      decisions: {dict(desk_b.events)}; {stories} stories; active candidates per decision "
        f"mean {statistics.mean(desk_b.candidates):.1f}, max {max(desk_b.candidates)}"
    )
    sizes = [
        len(json.dumps(memory.to_json())) for watch in desk_b.watches.values() for memory in watch.memories.values()
    ]
    print(
        f"      story state JSON: mean {statistics.mean(sizes) / 1024:.1f} KiB, "
        f"p95 {percentile(sizes, 0.95) / 1024:.1f} KiB, max {max(sizes) / 1024:.1f} KiB"
    )
    seconds_c, desk_c, _ = best(repeat, lambda: run_pure(items, analyser, desk, json_states=True))
    rate_c = len(items) / seconds_c
    print(
        f"  (c) (b) with states as JSON, as the desk     {rate_c:>9,.0f} items/s  ({seconds_c:.2f} s)  "
        f"ratio c/a {rate_c / rate_a:.3f}, c/b {rate_c / rate_b:.3f}"
    )
    placing_c = sum(desk_c.seconds[name] for name in STAGES)
    print(f"      per matched item {ms(placing_c / matched)}; per stage:")
    stage_report(desk_c, matched, STAGES)
    agree = sum(1 for article, event in desk_b.decisions.items() if desk_c.decisions.get(article) == event)
    print(f"      same events as (b): {agree}/{len(desk_b.decisions)}")
    at_the_cap(desk, desk_b, items, analyses)
    if profile:
        profiler = cProfile.Profile()
        run_pure(items, analyser, desk, profile=profiler)
        print("\n  cProfile of (b), the per-matched-item path only (MemoryDesk.place), by cumulative time:")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative")
        total = stats.total_tt  # type: ignore[attr-defined]
        rows = []
        for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((cumtime, tottime, calls, f"{Path(filename).name}:{line}({name})"))
        rows.sort(reverse=True)
        print(f"      {'cumulative':>10} {'own':>8} {'calls':>9}  function   (profiled total {total:.2f} s)")
        for cumtime, tottime, calls, where in rows[:18]:
            print(f"      {cumtime:>9.2f}s {tottime:>7.2f}s {calls:>9,}  {where}")
    return rate_b


def at_the_cap(desk: StoryDesk, memory_desk: MemoryDesk, items: Sequence[Item], analyses: Sequence[Analysis]) -> None:
    """A decision against ``max_candidates`` active stories (the stories of (b) repeated): what
    a busy watch would cost, since the stream above leaves only a few stories open."""
    memories = [memory for watch in memory_desk.watches.values() for memory in watch.memories.values()]
    states = [json.dumps(memory.to_json()) for memory in memories]
    cap = desk.settings.max_candidates
    candidates = [StoryCandidate(index + 1, memories[index % len(memories)]) for index in range(cap)]
    matched = [(item, analysis) for item, analysis in zip(items, analyses, strict=True) if analysis.hits][-100:]
    features = [extract_features(item.entry, analysis.language, desk.lexicon) for item, analysis in matched]
    started = time.perf_counter()
    for one in features:
        decide(one, candidates, desk.settings.decision)
    decide_seconds = (time.perf_counter() - started) / len(features)
    started = time.perf_counter()
    for _ in range(3):
        for index in range(cap):
            StoryMemory.from_json(json.loads(states[index % len(states)]))
    json_seconds = (time.perf_counter() - started) / 3
    mean_size = statistics.mean(len(state) for state in states[: min(cap, len(states))])
    print(
        f"  at the candidate cap ({cap} active stories, states of {mean_size / 1024:.0f} KiB on average, "
        f"{len(features)} decisions): decide {ms(decide_seconds)} per decision, and rebuilding the {cap} "
        f"memories from JSON as the desk does {ms(json_seconds)}"
    )


# --- 2. storage ----------------------------------------------------------------------------


def save_items(
    database: Database,
    desk: StoryDesk,
    analyser: Analyser,
    items: Sequence[Item],
    *,
    on_item: Callable[[int], None] | None = None,
) -> tuple[float, dict[str, list[float]], dict[int, str]]:
    """Analyse and store ``items`` one transaction per TRANSACTION_ITEMS; seconds, per-item save
    times (matched, unmatched, commit) and the first event of each stored article."""
    times: dict[str, list[float]] = {"matched": [], "other": [], "commit": []}
    events: dict[int, str] = {}
    done = 0
    started = time.perf_counter()
    for batch in batches(items, TRANSACTION_ITEMS):
        with database.session() as session:
            for item in batch:
                analysis = analyser.analyse(item.entry)
                lap = time.perf_counter()
                outcome = save_article(session, item.entry.feed, item.entry, analysis, desk=desk, now=item.at)
                times["matched" if analysis.hits else "other"].append(time.perf_counter() - lap)
                if outcome.events:
                    events[outcome.article_id] = next(iter(outcome.events.values())).value
                done += 1
                if on_item is not None:
                    on_item(done)
            lap = time.perf_counter()
        times["commit"].append(time.perf_counter() - lap)
    return time.perf_counter() - started, times, events


def section_storage(config: RaqibConfig, items: Sequence[Item], scratch: Path) -> float:
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    print(f"\n## 2. The same path through storage: SQLite file, one transaction per {TRANSACTION_ITEMS} items")
    print(f"  {describe(items)}")
    analysis_seconds, _ = run_analysis(items, analyser)
    pure_seconds, memory_desk, matched = run_pure(items, analyser, desk)
    database = Database(f"sqlite:///{scratch}/storage.db")
    database.upgrade()
    with database.session() as session:
        feed_repo.sync_feeds(session, config.feeds)
    seconds, times, events = save_items(database, desk, analyser, items)
    database.dispose()
    rate_a, rate_b, rate = len(items) / analysis_seconds, len(items) / pure_seconds, len(items) / seconds
    print(f"  (a) Analyser.analyse alone                   {rate_a:>9,.0f} items/s")
    print(f"  (b) pure path, in memory                     {rate_b:>9,.0f} items/s")
    print(
        f"  (s) analyse + store.save_article with desk    {rate:>9,.0f} items/s  ({seconds:.2f} s)  "
        f"ratio s/a {rate / rate_a:.3f}, s/b {rate / rate_b:.3f}"
    )
    for name, label in (("matched", "matched item"), ("other", "unmatched item"), ("commit", "transaction commit")):
        values = times[name]
        print(
            f"      save_article per {label:<15} mean {ms(statistics.mean(values))}   "
            f"p50 {ms(percentile(values, 0.5))}   p95 {ms(percentile(values, 0.95))}  ({len(values):,})"
        )
    pure_matched = memory_desk.seconds
    placing = sum(pure_matched[name] for name in STAGES) / matched
    storage_matched = statistics.mean(times["matched"])
    print(
        f"      per matched item: storage {ms(storage_matched)} against {ms(placing)} pure "
        f"(ratio {storage_matched / placing:.2f})"
    )
    agree = sum(1 for article, event in memory_desk.decisions.items() if events.get(article) == event)
    print(
        f"      events decided through storage: {dict(Counter(events.values()))}; "
        f"same as the pure mirror for {agree}/{len(memory_desk.decisions)}"
    )
    return storage_matched


# --- 3. memory per 100k --------------------------------------------------------------------


def build_database(
    database: Database, config: RaqibConfig, items: Sequence[Item], analyser: Analyser, desk: StoryDesk
) -> dict[str, float]:
    """Stored articles as the crawl would leave them: the pure path decides, bulk inserts persist."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    memory_desk = MemoryDesk(desk)
    memory_desk.keep = True
    analyses: list[Analysis] = []
    for article_id, item in enumerate(items, start=1):
        analysis = analyser.analyse(item.entry)
        analyses.append(analysis)
        if analysis.hits:
            memory_desk.place(article_id, item.entry, analysis, item.at)
    timings["decide"] = time.perf_counter() - started
    started = time.perf_counter()
    with database.session() as session:
        feed_repo.sync_feeds(session, config.feeds)
        feed_ids = {row.name: row.id for row in session.execute(Article.metadata.tables["feeds"].select())}
    for start in range(0, len(items), 5000):
        with database.session() as session:
            rows = []
            for offset, item in enumerate(items[start : start + 5000]):
                article_id = start + offset + 1
                entry, analysis = item.entry, analyses[article_id - 1]
                prepared = memory_desk.prepared.get(article_id)
                rows.append(
                    {
                        "id": article_id,
                        "feed_id": feed_ids[entry.feed],
                        "identity": analysis.identity,
                        "guid": entry.guid,
                        "url": entry.url,
                        "canonical_url": analysis.canonical_url,
                        "title": entry.title,
                        "summary": entry.summary,
                        "text": entry.text,
                        "language": analysis.language,
                        "published_at": entry.published,
                        "fetched_at": item.at,
                        "event_at": item.at,
                        "updated_at": item.at,
                        "content_hash": analysis.content_hash,
                        "revisions": 0,
                        "fingerprint": prepared.fingerprint if prepared else None,
                        "signature": prepared.signature if prepared else None,
                        # null(), not None: the JSON type would store None as the text 'null',
                        # where the app leaves the column NULL for unmatched articles.
                        "features": prepared.features.to_json() if prepared else null(),
                    }
                )
            session.execute(insert(Article), rows)
            for offset in range(len(rows)):
                article_id = start + offset + 1
                prepared = memory_desk.prepared.get(article_id)
                if prepared is not None:
                    bands.add_bands(session, article_id, prepared.band_keys)
    with database.session() as session:
        story_rows = []
        for watch, stories in memory_desk.watches.items():
            for story_id, memory in stories.memories.items():
                title, language, first_seen = stories.titles[story_id]
                story_rows.append(
                    {
                        "id": story_id,
                        "watch": watch,
                        "title": title,
                        "language": language,
                        "first_seen": first_seen,
                        "last_seen": stories.last_seen[story_id],
                        "state": memory.to_json(),
                    }
                )
        session.execute(insert(Story), story_rows)
        match_rows = []
        for article_id, (watch, story_id, event, explanation) in memory_desk.explanations.items():
            analysis = analyses[article_id - 1]
            terms = next(hit.terms for hit in analysis.hits if hit.watch == watch)
            match_rows.append(
                {
                    "article_id": article_id,
                    "watch": watch,
                    "terms": list(terms),
                    "story_id": story_id,
                    "event": event,
                    "explanation": explanation,
                    "created_at": items[article_id - 1].at,
                }
            )
        session.execute(insert(WatchMatch), match_rows)
    timings["insert"] = time.perf_counter() - started
    timings["matched"] = len(memory_desk.explanations)
    timings["stories"] = len(story_rows)
    return timings


def table_sizes(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            rows = connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:  # SQLite built without the dbstat table
            rows = []
        return {name: size for name, size in rows}
    finally:
        connection.close()


def _build_child(config: RaqibConfig, path: Path, stored: int, report: Path) -> None:
    """In a forked child: build the database of ``stored`` articles and leave its numbers in
    ``report``, so that none of the build stays in the measuring process's memory."""
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    items = Stream(config.feeds).take(stored)
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    timings = build_database(database, config, items, analyser, desk)
    database.dispose()
    timings["describe"] = describe(items)  # type: ignore[assignment]
    timings["rss"] = rss_mb()
    report.write_text(json.dumps(timings), encoding="utf-8")


def section_memory(
    config: RaqibConfig, stored: int, decisions: int, scratch: Path, storage_matched: float | None
) -> None:
    print(f"\n## 3. Memory with {stored:,} stored articles (target: at most 100 MB per 100k)", flush=True)
    rss_start = rss_mb()
    path, report = scratch / "memory.db", scratch / "build.json"
    child = multiprocessing.get_context("fork").Process(target=_build_child, args=(config, path, stored, report))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building the database failed (exit code {child.exitcode})")
    timings = json.loads(report.read_text(encoding="utf-8"))
    print(f"  {timings['describe']}")
    print(
        f"  built in a forked child process (its RSS at the end: {timings['rss']:.0f} MB): the pure path (b) "
        f"over the {stored:,} items in {timings['decide']:.1f} s ({timings['matched']:,} matched, "
        f"{timings['stories']:,} stories), then bulk inserts in {timings['insert']:.1f} s: articles with "
        "fingerprint, signature and features JSON, band rows through storage.bands.add_bands, stories with "
        "their StoryMemory state, watch matches with their explanations"
    )
    size = path.stat().st_size
    # This process: the continuation of the same stream, its next matched items.
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    desk = story_desk(config)
    stream = Stream(config.feeds)
    for _ in range(stored):
        stream.next()
    continuation: list[Item] = []
    while len(continuation) < decisions:
        item = stream.next()
        if analyser.analyse(item.entry).hits:
            continuation.append(item)
    del stream
    gc.collect()
    rss_before = rss_mb()
    reset = reset_peak_rss()
    database = Database(f"sqlite:///{path}")
    samples: list[tuple[int, float]] = [(0, rss_before)]

    def sample(done: int) -> None:
        samples.append((done, rss_mb()))

    seconds, times, events = save_items(database, desk, analyser, continuation, on_item=sample)
    database.dispose()
    gc.collect()
    rss_after = rss_mb()
    peak = max(value for _, value in samples)
    high_water = peak_rss_mb()
    high_water_label = "during the decisions" if reset else "of the process's life (could not reset it)"
    per_100k = 100_000 / stored
    print(
        f"  this process's RSS: {rss_start:.0f} MB before the build, {rss_before:.0f} MB with the "
        f"{len(continuation):,} items to store in memory, {rss_after:.0f} MB after deciding them "
        f"(high-water mark {high_water_label}: {high_water:.0f} MB, +{high_water - rss_before:.0f} MB)"
    )
    marks = sorted({0, *(len(continuation) * share // 4 for share in range(1, 5))})
    by_done = dict(samples)
    trail = ", ".join(f"{done:,}: {by_done[done]:.1f}" for done in marks if done in by_done)
    print(f"  RSS (MB) after n decisions: {trail}; highest after any one {peak:.1f}")
    print(
        f"  RSS growth while deciding against {stored:,} stored articles: {rss_after - rss_before:+.1f} MB at the "
        f"end, {peak - rss_before:+.1f} MB at the highest, of which "
        f"{by_done[marks[-1]] - by_done[marks[1]]:+.1f} MB over the last three quarters of the decisions "
        "(stories, fingerprints and bands are read from the database for each decision, not kept)"
    )
    matched = statistics.mean(times["matched"])
    ratio = f", {matched / storage_matched:.2f}x section 2's small database" if storage_matched else ""
    print(
        f"  {len(continuation):,} decisions in {seconds:.1f} s: save_article per matched item mean {ms(matched)}, "
        f"p50 {ms(percentile(times['matched'], 0.5))}, p95 {ms(percentile(times['matched'], 0.95))}{ratio}"
    )
    print(f"  events: {dict(Counter(events.values()))}")
    sizes = table_sizes(path)
    print(
        f"  database file: {size / 1e6:.1f} MB for {stored:,} articles = {size * per_100k / 1e6:.1f} MB per 100k "
        f"(after the decisions: {path.stat().st_size / 1e6:.1f} MB)"
    )
    if sizes:
        top = sorted(sizes.items(), key=lambda pair: -pair[1])[:9]
        print("  per table and index, MB per 100k: " + ", ".join(f"{n} {s * per_100k / 1e6:.1f}" for n, s in top))
    connection = sqlite3.connect(path)
    try:
        states = [row[0] for row in connection.execute("SELECT state FROM stories ORDER BY id")]
        articles = connection.execute(
            "SELECT COUNT(*) FROM watch_matches GROUP BY story_id ORDER BY story_id"
        ).fetchall()
        features = connection.execute(
            "SELECT AVG(LENGTH(CAST(features AS BLOB))), AVG(LENGTH(signature)), "
            "AVG(LENGTH(CAST(title || summary || text AS BLOB))) FROM articles WHERE features IS NOT NULL"
        ).fetchone()
        others = connection.execute(
            "SELECT AVG(LENGTH(CAST(title || summary || text AS BLOB))) FROM articles WHERE features IS NULL"
        ).fetchone()
    finally:
        connection.close()
    lengths = [len(state.encode()) for state in states]
    # SQLAlchemy's JSON type writes json.dumps' default ASCII escapes: every Arabic letter takes
    # six bytes (\\u0627) instead of two in UTF-8.
    unescaped = [len(json.dumps(json.loads(state), ensure_ascii=False).encode()) for state in states]
    per_story = ", ".join(
        f"{length / 1024:.0f} KiB ({count[0]:,} articles)" for length, count in zip(lengths, articles, strict=False)
    )
    print(
        f"  story state JSON as stored: {len(lengths):,} stories, mean {statistics.mean(lengths) / 1024:.1f} KiB"
        + (f"; per story: {per_story}" if len(lengths) <= 6 else "")
        + f"; {statistics.mean(unescaped) / 1024:.1f} KiB on average if written as UTF-8 (ensure_ascii=False)"
    )
    print(
        f"  per matched article: features JSON {features[0]:.0f} B, signature {features[1]:.0f} B, 32 band rows, "
        f"title + summary + text {features[2]:,.0f} B (unmatched articles: {others[0]:,.0f} B)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="items for section 1")
    parser.add_argument("--storage-items", type=int, default=5_000, help="items for section 2")
    parser.add_argument("--stored", type=int, default=100_000, help="stored articles for section 3")
    parser.add_argument("--decisions", type=int, default=1_000, help="decisions measured in section 3")
    parser.add_argument("--repeat", type=int, default=1, help="section 1: best of this many runs")
    parser.add_argument("--sections", default="1,2,3")
    parser.add_argument("--profile", action="store_true", help="profile section 1 (b)")
    # Section 3 in a fresh interpreter: section 2's per-item time to compare with.
    parser.add_argument("--compare-ms", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sections = {int(part) for part in args.sections.split(",") if part.strip()}
    child = args.compare_ms is not None

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="raqib-bench-stories-") as folder:
        scratch = Path(folder)
        config = load_config(BUNDLED_DEFAULT, data_dir=scratch)
        if not child:
            print(
                f"watch {', '.join(watch.name for watch in config.watches)}; story window "
                f"{config.stories.window}; one item a minute; seed {SEED}"
            )
        storage_matched = args.compare_ms / 1e3 if child and args.compare_ms else None
        if 1 in sections:
            section_pure(config, Stream(config.feeds).take(args.items), args.repeat, args.profile)
        if 2 in sections:
            storage_matched = section_storage(config, Stream(config.feeds).take(args.storage_items), scratch)
        if 3 in sections and sections & {1, 2}:
            # Sections 1 and 2 leave this process's heap large (freed, not returned to the system),
            # which would hide any growth: section 3 measures in a fresh interpreter.
            sys.stdout.flush()
            command = [sys.executable, __file__, "--sections", "3", "--stored", str(args.stored)]
            command += ["--decisions", str(args.decisions), "--compare-ms", str((storage_matched or 0) * 1e3)]
            subprocess.run(command, check=True)
        elif 3 in sections:
            section_memory(config, args.stored, args.decisions, scratch, storage_matched)
    if not child:
        print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
