"""Name keys across scripts (``stories.names``): what bench/name_keys.py measures with."""

from __future__ import annotations

from stories.names import name_key


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
