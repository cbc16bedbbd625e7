"""Name keys across scripts (``stories.names``): transliteration keys, and the country a report's
lead puts its event in, one key in Arabic and English."""

from __future__ import annotations

from stories.concepts import Lexicon
from stories.features import extract_features
from stories.names import COUNTRY, country_keys, name_key, query_keys
from stories.types import Entry, Language


def test_one_place_gives_one_key_in_either_script() -> None:
    assert name_key("Gedaref") == name_key("القضارف") == "kdrf"
    assert name_key("Khartoum") == name_key("الخرطوم") == "krtm"


def test_a_name_of_two_consonants_gives_a_key_only_when_asked() -> None:
    # Taiz / تعز, Kyiv / كييف: too short to be telling by default (collisions), but the
    # diagnostic asks what they would tie together.
    assert name_key("Taiz") == name_key("تعز") == ""
    assert name_key("Taiz", shortest=2) == name_key("تعز", shortest=2) == "tz"
    assert name_key("Kyiv", shortest=2) == name_key("كييف", shortest=2) == "kf"
    assert name_key("Gedaref", shortest=2) == "kdrf"


def _names(title: str, text: str, language: Language) -> frozenset[str]:
    return extract_features(Entry(feed="wire", title=title, text=text), language, Lexicon()).names


def test_reports_placing_their_event_in_one_country_share_its_key_in_either_script() -> None:
    # "Egypt" and "مصر" have no transliteration key in common; the country they place the event in does.
    english = _names(
        "Fuel queues lengthen in Egypt as pumps run dry",
        "Drivers waited for hours at stations across the country. The ministry promised new deliveries.",
        "en",
    )
    arabic = _names(
        "طوابير الوقود تطول في مصر مع نفاد البنزين",
        "انتظر السائقون ساعات أمام المحطات. ووعدت الوزارة بشحنات جديدة.",
        "ar",
    )
    assert "@EG" in english & arabic
    # A country that acts, or one named past the lead, is not where the event is.
    helper = _names(
        "Jordan sends tankers to ease Egyptian fuel shortage",
        "The tankers left Aqaba on Monday. Queues were also reported in Lebanon last year.",
        "en",
    )
    assert not {key for key in helper if key.startswith(COUNTRY)}
    assert not {
        key
        for key in _names("الأردن يرسل ناقلات وقود", "وقالت عمّان إن الناقلات غادرت.", "ar")
        if key.startswith(COUNTRY)
    }


def test_a_country_owning_a_region_is_left_to_the_region() -> None:
    assert country_keys("Fires spread in Lebanon") == country_keys("اتسعت الحرائق في لبنان") == {"@LB"}
    assert country_keys("Fires spread in Lebanon's Akkar district") == set()


def test_the_countries_a_watch_query_names_are_among_its_names() -> None:
    keys = query_keys("(fuel OR الوقود) AND (Egypt* OR مصر)")
    assert "@EG" in keys and name_key("Egypt") in keys and name_key("مصر") in keys
