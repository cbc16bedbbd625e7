"""Institutions named in words, one key in Arabic and English (``stories.institutions``)."""

from __future__ import annotations

import tomllib
from importlib.resources import files

from stories.institutions import INSTITUTION, institution_keys


def test_one_institution_gives_one_key_in_either_script() -> None:
    assert institution_keys("The World Health Organization said on Monday") == {"#WHO"}
    assert institution_keys("WHO declares an emergency") == {"#WHO"}
    assert institution_keys("وقالت منظمة الصحة العالمية الاثنين") == {"#WHO"}
    assert institution_keys("Egypt reaches a deal with the International Monetary Fund") == {"#IMF"}
    assert institution_keys("مصر تتوصل إلى اتفاق مع صندوق النقد الدولي") == {"#IMF"}
    assert institution_keys("Houthis accuse the coalition") == institution_keys("أنصار الله تتهم التحالف")


def test_two_institutions_give_two_keys() -> None:
    assert institution_keys("the IMF and the World Bank") == {"#IMF", "#WORLD_BANK"}
    assert institution_keys("صندوق النقد الدولي والبنك الدولي") == {"#IMF", "#WORLD_BANK"}
    assert institution_keys("the Red Cross") != institution_keys("الهلال الأحمر")


def test_arabic_proclitics_and_the_article_do_not_hide_a_name() -> None:
    assert institution_keys("ووفقا للجنة الدولية للصليب الأحمر") == {"#ICRC"}
    assert institution_keys("بالتعاون مع الاتحاد الأوروبي ولصندوق النقد") == {"#EU", "#IMF"}


def test_a_word_that_is_also_a_common_word_is_not_a_name() -> None:
    assert institution_keys("who knows what the amnesty will bring") == frozenset()
    assert institution_keys("Amnesty International said") == {"#AMNESTY"}
    assert institution_keys("قصف القاعدة الجوية") == frozenset()  # "the air base"
    assert institution_keys("هجوم لتنظيم القاعدة") == {"#AL_QAEDA"}


def test_the_longest_spelling_wins() -> None:
    assert institution_keys("Africa CDC said") == {"#AFRICA_CDC"}
    assert institution_keys("the US CDC said") == {"#US_CDC"}
    assert institution_keys("اجتماع مجلس الأمن القومي") == frozenset()  # a national council, not the UN's
    assert institution_keys("اجتماع مجلس الأمن الدولي") == {"#UNSC"}
    assert institution_keys("the European Central Bank") == {"#ECB"}


def test_an_office_every_country_has_or_an_umbrella_gives_no_key() -> None:
    assert institution_keys("the central bank raised rates") == frozenset()
    assert institution_keys("رفع البنك المركزي أسعار الفائدة") == frozenset()
    assert institution_keys("the UN envoy said") == frozenset()
    assert institution_keys("قال المبعوث الأممي") == frozenset()
    assert institution_keys("the UN Security Council met") == {"#UNSC"}


def test_an_army_is_named_by_its_country_in_either_script() -> None:
    assert institution_keys("the Lebanese army deployed") == institution_keys("انتشر الجيش اللبناني") == {"#ARMY@LB"}
    assert institution_keys("للقوات المسلحة المصرية") == {"#ARMY@EG"}
    assert institution_keys("the army deployed") == frozenset()


def test_a_place_named_in_words_gives_one_key_in_either_script() -> None:
    assert institution_keys("ships attacked in the Red Sea") == institution_keys("في البحر الأحمر") == {"#RED_SEA"}
    assert institution_keys("the Suez Canal Authority said") == {"#SUEZ_CANAL_AUTHORITY"}
    assert institution_keys("بلغ المتوسط 12 في المئة") == frozenset()  # "the average", not the sea


def test_every_institution_is_written_in_both_languages() -> None:
    with files("stories").joinpath("data/institutions.toml").open("rb") as handle:
        entries = tomllib.load(handle)
    assert len(entries) >= 60
    for name, spellings in entries.items():
        assert spellings.get("en") and spellings.get("ar"), name
        assert set(spellings) <= {"en", "ar", "generic"}, name
    assert all(key.startswith(INSTITUTION) for key in institution_keys("WHO, UNICEF and MSF"))
