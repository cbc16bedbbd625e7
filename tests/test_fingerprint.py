"""Exact fingerprints, MinHash signatures and band keys (stories.fingerprint).

The texts below are realistic pairs written for these tests: a wire report in English and in
Arabic, the copies other outlets make of it (new headline, a prefix, a few edited sentences) and
another outlet's own report on the same event (same facts and names, its own words).

Measured similarities (exact Jaccard of word shingles / MinHash estimate with the default
MinHasher, 128 permutations, seed fixed; k = shingle size in words). Not asserted exactly:
the asserts below only check the side of the threshold.

    pair                               k=1       k=2       k=3       k=4       k=5  expected
    en retitled                   0.97/0.97 0.94/0.97 0.93/0.91 0.92/0.89 0.92/0.96  near
    en prefixed                   0.97/0.95 0.97/0.97 0.97/0.97 0.97/0.98 0.97/0.97  near
    en edited                     0.80/0.77 0.76/0.74 0.73/0.73 0.71/0.71 0.69/0.72  near
    en prefixed summary           0.91/0.88 0.91/0.91 0.91/0.93 0.91/0.90 0.90/0.91  near
    en other report               0.30/0.24 0.06/0.09 0.01/0.01 0.00/0.00 0.00/0.00  not near
    en unrelated                  0.07/0.07 0.00/0.00 0.00/0.00 0.00/0.00 0.00/0.00  not near
    ar retitled                   0.98/0.97 0.94/0.95 0.92/0.93 0.91/0.95 0.91/0.91  near
    ar prefixed                   0.99/0.98 0.99/0.99 0.99/0.98 0.99/1.00 0.99/1.00  near
    ar edited                     0.85/0.83 0.81/0.82 0.78/0.77 0.74/0.72 0.71/0.72  near
    ar prefixed summary           0.98/0.98 0.98/0.96 0.98/0.98 0.98/1.00 0.98/1.00  near
    ar other report               0.19/0.20 0.04/0.03 0.00/0.01 0.00/0.00 0.00/0.00  not near
    en/ar translation             0.00/0.00 0.00/0.00 0.00/0.00 0.00/0.00 0.00/0.00  not near
    en follow-up (+3 sentences)   0.88/0.91 0.84/0.82 0.83/0.78 0.83/0.83 0.83/0.84  (not asserted)
    ar follow-up (+3 sentences)   0.88/0.85 0.84/0.84 0.83/0.84 0.83/0.80 0.83/0.84  (not asserted)

Reading it: with k = 1 or 2 another outlet's report on the same event shares names, figures and
set phrases (0.2-0.3 and up to 0.09); with k = 4 or 5 every edited word costs more (the edited
copies fall towards 0.7). k = 3 keeps edited copies at 0.73-0.78 and other reports at 0.01, so
the threshold sits at 0.6: the edited copies stay three standard errors of the 128-permutation
estimate (about 0.04) above it, and other reports are far below. On the real Arabic wire copies
of /work/shared/data/fetched/saudinewsnet_sample (same story in several Saudi papers, 2015),
k = 3 estimates 0.41-1.0 for copies; of the 3,003 pairs of its 78 articles, the only one above
0.1 outside those clusters is one Interior Ministry statement printed under two headlines
(0.93). Note the follow-ups: a copy that adds three sentences of new facts is as similar as an
edited copy (0.78-0.84), so a near-duplicate is not proof of "nothing new"; what the copy adds
has to be judged by the novelty check.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stories.fingerprint import NEAR_DUPLICATE_THRESHOLD, MinHasher, body_fingerprint
from stories.text import normalise, tokenise

ROOT = Path(__file__).resolve().parent.parent

EN_TITLE = "North Korean troops deployed to front line in Kursk, Seoul says"
EN_NEW_TITLE = "Seoul: thousands of Pyongyang's soldiers now fighting for Moscow"
EN_SENTENCES = [
    "North Korean troops have been deployed to the front line in Russia's Kursk region, where "
    "Ukrainian forces have held territory since an incursion in August, South Korea's "
    "intelligence agency said on Wednesday.",
    "The National Intelligence Service told lawmakers in Seoul that about 12,000 soldiers, "
    "including special forces officers, had been moved to Russia by ship and by air since early "
    "October.",
    "Some of the units had already taken part in combat alongside Russian marines and "
    "paratroopers, the agency said, and had suffered casualties.",
    "Pyongyang and Moscow have denied the deployment, although Russian President Vladimir Putin "
    "did not rule it out when asked by reporters last week.",
    "Ukrainian President Volodymyr Zelensky said the arrival of the troops marked a new "
    "escalation and urged Western allies to allow strikes on military bases deep inside Russia.",
    "The Pentagon said it had seen evidence that North Korean soldiers were wearing Russian "
    "uniforms and carrying Russian equipment.",
    "A NATO spokesperson said the alliance was consulting its members and would discuss the "
    "matter at a meeting in Brussels next week.",
    "Analysts say North Korea is likely to receive money, oil and military technology in return for the soldiers.",
    "The two countries signed a mutual defence treaty in June that obliges each to assist the other if attacked.",
    "South Korea said it was considering supplying weapons directly to Ukraine in response, a "
    "step it has so far avoided.",
]
EN_BODY = " ".join(EN_SENTENCES)
EN_PREFIXED = "Here's what you need to know: " + EN_BODY
# Another outlet's copy: a figure updated, a sentence trimmed, one dropped, one added.
EN_EDITED = " ".join(
    [
        EN_SENTENCES[0],
        EN_SENTENCES[1].replace("about 12,000 soldiers", "more than 11,000 soldiers"),
        EN_SENTENCES[2],
        "Pyongyang and Moscow have denied the deployment.",
        *EN_SENTENCES[4:6],
        *EN_SENTENCES[7:],
        "The Kremlin did not immediately respond to a request for comment.",
    ]
)
EN_OTHER_REPORT = (
    "Seoul says thousands of soldiers from North Korea are now fighting for Russia in Kursk. "
    "South Korean spies told a closed parliamentary session on Wednesday that roughly 12,000 "
    "North Korean troops, among them officers from special operations units, have arrived in "
    "Russia since October. According to lawmakers who attended the briefing, some of the "
    "soldiers have already fought Ukrainian forces in the Kursk region and several were killed. "
    "The Kremlin has dismissed the reports as fake, and North Korea's state media has not "
    "mentioned any deployment. In Kyiv, Volodymyr Zelensky called it a dangerous escalation and "
    "again asked allies for permission to hit targets deep inside Russia with Western missiles. "
    "US defence officials said they had evidence that the North Korean soldiers were issued "
    "Russian uniforms. Experts believe Pyongyang is being paid in cash, fuel and weapons "
    "technology. Moscow and Pyongyang agreed a defence pact in June pledging mutual military "
    "assistance. South Korea has said it may now send arms to Ukraine directly."
)
# A later version of the wire story with three new sentences: a development, not a copy.
EN_FOLLOW_UP = EN_BODY + (
    " On Thursday Ukraine's military intelligence said North Korean units had also begun "
    "operating reconnaissance drones near the village of Plekhovo."
    " It said at least 200 of the soldiers had been killed or wounded in the first week of "
    "fighting."
    " Russia's defence ministry declined to comment on the figures."
)

AR_TITLE = "سيول: قوات كورية شمالية على خط المواجهة في كورسك"
AR_NEW_TITLE = "الاستخبارات الكورية الجنوبية: آلاف الجنود من بيونغ يانغ يقاتلون مع موسكو"
AR_SENTENCES = [
    "قالت وكالة الاستخبارات الكورية الجنوبية يوم الأربعاء إن قوات كورية شمالية انتشرت على خط "
    "المواجهة في منطقة كورسك الروسية، حيث تسيطر القوات الأوكرانية على أراض منذ توغلها في أغسطس.",
    "وأوضح جهاز الاستخبارات الوطني للنواب في سيول أن نحو 12 ألف جندي، بينهم ضباط من القوات "
    "الخاصة، نُقلوا إلى روسيا بحرًا وجوًا منذ مطلع أكتوبر.",
    "وأضاف الجهاز أن بعض الوحدات شاركت بالفعل في القتال إلى جانب مشاة البحرية والمظليين الروس، وتكبدت خسائر.",
    "ونفت بيونغ يانغ وموسكو عملية النشر، غير أن الرئيس الروسي فلاديمير بوتين لم يستبعدها عندما "
    "سأله الصحفيون الأسبوع الماضي.",
    "وقال الرئيس الأوكراني فولوديمير زيلينسكي إن وصول هذه القوات يمثل تصعيدًا جديدًا، وحث الحلفاء "
    "الغربيين على السماح بضرب قواعد عسكرية في عمق الأراضي الروسية.",
    "وذكرت وزارة الدفاع الأمريكية أنها رصدت أدلة على أن الجنود الكوريين الشماليين يرتدون الزي "
    "العسكري الروسي ويحملون معدات روسية.",
    "وقال متحدث باسم حلف شمال الأطلسي إن الحلف يتشاور مع أعضائه وسيبحث المسألة خلال اجتماع في بروكسل الأسبوع المقبل.",
    "ويرى محللون أن كوريا الشمالية ستحصل على أموال ونفط وتكنولوجيا عسكرية مقابل إرسال الجنود.",
    "ووقّع البلدان في يونيو معاهدة دفاع مشترك تلزم كلًا منهما بمساعدة الآخر في حال تعرضه لهجوم.",
    "وقالت كوريا الجنوبية إنها تدرس تزويد أوكرانيا بالأسلحة مباشرة ردًا على ذلك، وهي خطوة تجنبتها حتى الآن.",
]
AR_BODY = " ".join(AR_SENTENCES)
AR_PREFIXED = "عاجل: " + AR_BODY
# Another paper's copy: honorifics added, a figure updated, a sentence dropped, one added, and
# spelled without diacritics and with other hamza forms (the normaliser folds those).
AR_EDITED = " ".join(
    [
        AR_SENTENCES[0].replace("أغسطس", "آب/أغسطس"),
        "واوضح جهاز الاستخبارات الوطني للنواب في سيول ان اكثر من 11 الف جندي، بينهم ضباط من القوات "
        "الخاصة، نقلوا الى روسيا بحرا وجوا منذ مطلع اكتوبر.",
        AR_SENTENCES[2],
        AR_SENTENCES[3].replace("الرئيس الروسي", "فخامة الرئيس الروسي"),
        AR_SENTENCES[4],
        AR_SENTENCES[5],
        *AR_SENTENCES[7:],
        "ولم يصدر تعليق فوري من الكرملين.",
    ]
)
AR_OTHER_REPORT = (
    "أفادت الاستخبارات في سيول بأن آلاف الجنود من كوريا الشمالية يقاتلون الآن إلى جانب روسيا في "
    "كورسك. وخلال جلسة مغلقة في البرلمان يوم الأربعاء، أبلغ مسؤولو الاستخبارات النواب أن قرابة 12 "
    "ألف عسكري كوري شمالي، من بينهم ضباط في وحدات العمليات الخاصة، وصلوا إلى الأراضي الروسية منذ "
    "أكتوبر. ونقل نواب حضروا الإحاطة أن بعض هؤلاء الجنود خاضوا معارك ضد القوات الأوكرانية في كورسك "
    "وقتل عدد منهم. ووصف الكرملين هذه التقارير بأنها كاذبة، فيما لم تتطرق وسائل الإعلام الرسمية في "
    "بيونغ يانغ إلى أي انتشار. وفي كييف، اعتبر زيلينسكي الأمر تصعيدًا خطيرًا وجدد مطالبته الحلفاء "
    "بالإذن بضرب أهداف داخل روسيا بصواريخ غربية. وقال مسؤولون في البنتاغون إن لديهم ما يثبت تسليم "
    "الجنود الكوريين الشماليين أزياء عسكرية روسية. ويعتقد خبراء أن بيونغ يانغ تتلقى مقابل ذلك أموالًا "
    "ووقودًا وتقنيات تسليح. وكانت موسكو وبيونغ يانغ قد أبرمتا في يونيو اتفاقية دفاعية تنص على "
    "المساعدة العسكرية المتبادلة. وأشارت سيول إلى أنها قد ترسل أسلحة إلى أوكرانيا بشكل مباشر."
)
AR_FOLLOW_UP = AR_BODY + (
    " وقالت الاستخبارات العسكرية الأوكرانية يوم الخميس إن وحدات كورية شمالية بدأت أيضًا تشغيل "
    "طائرات مسيرة للاستطلاع قرب قرية بليخوفو."
    " وأضافت أن 200 جندي على الأقل قتلوا أو أصيبوا في الأسبوع الأول من القتال."
    " ورفضت وزارة الدفاع الروسية التعليق على هذه الأرقام."
)

# An off-topic story, for the "unrelated" side.
EN_UNRELATED = (
    "The central bank held its main interest rate at 4.5 percent on Thursday, saying inflation "
    "had eased but remained above its target. Policymakers voted seven to two to keep rates on "
    "hold, with two members favouring a cut. The governor said borrowing costs would stay high "
    "for as long as needed to bring price growth back to two percent."
)

# A feed summary alone (no article text fetched): the first two sentences.
EN_SUMMARY = " ".join(EN_SENTENCES[:2])
AR_SUMMARY = " ".join(AR_SENTENCES[:2])

# (name, original, copy, expected: near-duplicate or not); the copy of a "retitled" pair is the
# same body with a new headline, as a caller that signs title and body together would see it.
PAIRS = [
    ("en retitled", f"{EN_TITLE}. {EN_BODY}", f"{EN_NEW_TITLE}. {EN_BODY}", True),
    ("en prefixed", EN_BODY, EN_PREFIXED, True),
    ("en edited", EN_BODY, EN_EDITED, True),
    ("en prefixed summary", EN_SUMMARY, "Here's what you need to know: " + EN_SUMMARY, True),
    ("en other report", EN_BODY, EN_OTHER_REPORT, False),
    ("en unrelated", EN_BODY, EN_UNRELATED, False),
    ("ar retitled", f"{AR_TITLE}. {AR_BODY}", f"{AR_NEW_TITLE}. {AR_BODY}", True),
    ("ar prefixed", AR_BODY, AR_PREFIXED, True),
    ("ar edited", AR_BODY, AR_EDITED, True),
    ("ar prefixed summary", AR_SUMMARY, "عاجل: " + AR_SUMMARY, True),
    ("ar other report", AR_BODY, AR_OTHER_REPORT, False),
    ("en/ar translation", EN_BODY, AR_BODY, False),
]
# Not asserted: a follow-up that adds three sentences is measured for the table only.
INFORMATIVE_PAIRS = [
    ("en follow-up (+3 sentences)", EN_BODY, EN_FOLLOW_UP),
    ("ar follow-up (+3 sentences)", AR_BODY, AR_FOLLOW_UP),
]


@pytest.fixture(scope="module")
def hasher() -> MinHasher:
    return MinHasher()


def signature_of(hasher: MinHasher, text: str) -> bytes:
    return hasher.signature(tokenise(text))


def test_body_fingerprint_is_32_hex_and_ignores_the_title_by_construction() -> None:
    fingerprint = body_fingerprint(normalise(EN_BODY))
    assert len(fingerprint) == 32
    int(fingerprint, 16)
    # The same body spelled differently (diacritics, hamza forms) normalises to the same text.
    assert body_fingerprint(normalise("نُقلوا إلى روسيا")) == body_fingerprint(normalise("نقلوا الى روسيا"))
    assert body_fingerprint(normalise(EN_BODY)) != body_fingerprint(normalise(EN_EDITED))


def test_signature_layout_and_band_keys(hasher: MinHasher) -> None:
    signature = signature_of(hasher, EN_BODY)
    assert len(signature) == 128 * 4
    keys = hasher.band_keys(signature)
    assert len(keys) == 32
    assert len(set(keys)) == 32
    assert all(-(2**63) <= key < 2**63 for key in keys)


def test_equal_rows_in_different_bands_give_different_keys(hasher: MinHasher) -> None:
    constant = (7).to_bytes(4, "little") * 128
    keys = hasher.band_keys(constant)
    assert len(set(keys)) == 32


def test_signature_is_deterministic_across_instances_and_processes(hasher: MinHasher) -> None:
    signature = signature_of(hasher, AR_BODY)
    assert signature_of(MinHasher(), AR_BODY) == signature
    code = (
        "from stories.fingerprint import MinHasher; from stories.text import tokenise; import sys; "
        "sys.stdout.write(MinHasher().signature(tokenise(sys.stdin.read())).hex())"
    )
    # A fresh interpreter with another hash seed: nothing may depend on Python's salted hash().
    other = subprocess.run(
        [sys.executable, "-c", code],
        input=AR_BODY,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert bytes.fromhex(other.stdout) == signature


def test_fixed_input_gives_a_fixed_band_key(hasher: MinHasher) -> None:
    # Pinned: a change here means the algorithm changed and every stored signature and band key
    # is incomparable with new ones (rebuild them), so it must never happen silently.
    signature = hasher.signature(["north", "korean", "troops", "in", "kursk"])
    assert signature[:8].hex() == "fb466bca1d7b6ec0"
    assert hasher.band_keys(signature)[0] == 7684035517849655034


@pytest.mark.parametrize(("name", "original", "copy", "near"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_near_duplicate_pairs(hasher: MinHasher, name: str, original: str, copy: str, near: bool) -> None:
    similarity = hasher.similarity(signature_of(hasher, original), signature_of(hasher, copy))
    if near:
        assert similarity >= NEAR_DUPLICATE_THRESHOLD, name
    else:
        # Well below the threshold, not just under it.
        assert similarity < NEAR_DUPLICATE_THRESHOLD / 3, name


def test_near_duplicates_share_a_band_and_other_reports_do_not(hasher: MinHasher) -> None:
    for _name, original, copy, near in PAIRS:
        shared = set(hasher.band_keys(signature_of(hasher, original))) & set(
            hasher.band_keys(signature_of(hasher, copy))
        )
        assert bool(shared) == near, _name


def test_short_and_empty_texts(hasher: MinHasher) -> None:
    # Shorter than a shingle: the words themselves are hashed.
    assert hasher.similarity(hasher.signature(["kursk"]), hasher.signature(["kursk"])) == 1.0
    assert hasher.similarity(hasher.signature(["kursk", "drones"]), hasher.signature(["gaza"])) == 0.0
    empty = hasher.signature([])
    assert hasher.is_empty(empty)
    assert hasher.band_keys(empty) == []
    assert hasher.similarity(empty, empty) == 0.0


def test_similarity_rejects_signatures_of_another_size(hasher: MinHasher) -> None:
    with pytest.raises(ValueError):
        hasher.similarity(b"\0" * 512, b"\0" * 256)
    with pytest.raises(ValueError):
        MinHasher(num_perm=64, bands=32, rows=4)
