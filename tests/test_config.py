"""The configuration file: the bundled ones load, and every mistake in a file is reported at
once with its key path and line, the way `raqib config check` shows them."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.fields import parse_duration
from config.loader import (
    BUNDLED_DEFAULT,
    BUNDLED_DEMO,
    check_config,
    load_config,
    resolve_config_path,
    resolve_data_dir,
)
from config.problems import ConfigError, Problem
from config.schema import FeedConfig, RaqibConfig, ScheduleSettings

DATA = Path(__file__).parent / "data" / "config"

NK_QUERY = (
    '("North Korea*" OR Pyongyang OR DPRK OR "كوريا الشمالية" OR "الكورية الشمالية" OR "الكوري الشمالي" '
    'OR "الكوريين الشماليين" OR "كوريين شماليين" OR "بيونغ يانغ" OR بيونغيانغ) '
    "AND (Kursk OR Russia* OR Ukrain* OR كورسك OR روسيا OR الروسية OR الروسي OR أوكرانيا OR الأوكرانية) "
    "AND (troop* OR soldier* OR forces OR drone* OR قوات OR جنود OR جندي OR جنديين OR مسيرات OR مسيرة)"
)
CATEGORIES = {
    "deployment",
    "withdrawal",
    "return_to_front",
    "casualties",
    "prisoners",
    "drones",
    "weapons",
    "treaty",
    "acknowledgement",
}


def problems_of(name: str, tmp_path: Path) -> list[tuple[str, int | None]]:
    return [(p.location, p.line) for p in check_config(DATA / name, data_dir=tmp_path)]


def messages_of(name: str, tmp_path: Path) -> dict[str, str]:
    return {p.location: p.message for p in check_config(DATA / name, data_dir=tmp_path)}


# --- the bundled files ----------------------------------------------------------------------


def test_bundled_default_loads_with_real_feeds_the_watch_and_all_categories(tmp_path: Path) -> None:
    assert check_config(BUNDLED_DEFAULT, data_dir=tmp_path) == []
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)

    languages = [feed.language for feed in config.feeds if feed.enabled]
    assert languages.count("ar") >= 8
    assert languages.count("en") >= 8
    assert all(feed.url.startswith("https://") for feed in config.feeds)
    assert len({feed.name for feed in config.feeds}) == len(config.feeds)

    assert config.watch_queries()["nk-troops-kursk"] == NK_QUERY
    categories = config.watches[0].categories
    assert set(categories) == CATEGORIES  # the shipped categories are the default watch's
    for category_id, category in categories.items():
        assert category.label.en and category.label.ar and "_" not in category.label.en, category_id
        assert category.examples and category.terms["en"] and category.terms["ar"], category_id
    assert "قتلى" in categories["casualties"].terms["ar"]  # broken plurals are listed
    assert "طائرات مسيرة" in categories["drones"].terms["ar"]

    assert config.network.allow_private is False
    assert config.alerts == []
    assert config.schedule.interval == timedelta(minutes=15)
    assert config.stories.window == timedelta(days=7)
    assert config.database == f"sqlite:///{tmp_path.resolve().as_posix()}/raqib.db"


def test_bundled_demo_loads_with_loopback_feeds(tmp_path: Path) -> None:
    config = load_config(BUNDLED_DEMO, data_dir=tmp_path)
    assert [(f.name, f.url) for f in config.feeds] == [
        ("Demo Arabic", "http://127.0.0.1:0/demo/ar-news.xml"),
        ("Demo English", "http://127.0.0.1:0/demo/en-news.xml"),
        ("Demo World", "http://127.0.0.1:0/demo/world.xml"),
    ]
    assert config.network.allow_private is True
    assert config.schedule.interval == timedelta(minutes=1)
    assert config.watch_queries() == {"nk-troops-kursk": NK_QUERY}
    assert set(config.watches[0].categories) <= CATEGORIES  # a few, written as a user would
    assert all(category.examples for category in config.watches[0].categories.values())


# --- every problem, with its place ----------------------------------------------------------


def test_several_errors_are_all_reported_with_path_and_line(tmp_path: Path) -> None:
    assert problems_of("many_errors.toml", tmp_path) == [
        ("colour", 2),
        ("schedule.interval", 5),
        ("network.timeout", 8),
        ("network.user_agent", 9),
        ("feeds[1].url", 17),
        ("feeds[2].name", 19),  # missing: the line of its [[feeds]] header
        ("feeds[2].language", 21),
        ("feeds[3].name", 24),
        ("feeds[3].fetch_articles", 26),
        ("watches[0].name", 29),
    ]
    problems = check_config(DATA / "many_errors.toml", data_dir=tmp_path)
    shown = [str(p) for p in problems]
    path = DATA / "many_errors.toml"
    assert f"{path}:17: feeds[1].url: URL scheme must be http or https, got 'ftp'" in shown
    messages = {p.location: p.message for p in problems}
    assert "unknown key 'colour'" in messages["colour"]
    assert "at least 1m" in messages["schedule.interval"]
    assert "CR/LF" in messages["network.user_agent"]
    assert "duplicate feed name 'Good feed'" in messages["feeds[3].name"]
    assert "missing" in messages["feeds[2].name"]

    with pytest.raises(ConfigError) as raised:
        load_config(path, data_dir=tmp_path)
    assert raised.value.problems == problems
    assert str(raised.value).splitlines() == shown


def test_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    [problem] = check_config(DATA / "syntax_error.toml", data_dir=tmp_path)
    assert (problem.line, problem.column) == (6, 36)
    assert problem.message.startswith("TOML syntax error")
    assert "(at line" not in problem.message
    assert str(problem).startswith(f"{DATA / 'syntax_error.toml'}:6:36: TOML syntax error")


def test_unknown_keys_are_errors_at_every_level(tmp_path: Path) -> None:
    assert problems_of("unknown_keys.toml", tmp_path) == [
        ("verbose", 1),
        ("network.proxy", 5),
        ("feeds[1].intervall", 14),
    ]
    assert "did you mean 'interval'" in messages_of("unknown_keys.toml", tmp_path)["feeds[1].intervall"]


def test_bad_durations_are_reported(tmp_path: Path) -> None:
    assert problems_of("bad_durations.toml", tmp_path) == [
        ("schedule.interval", 2),
        ("stories.window", 5),
        ("feeds[0].interval", 10),
        ("feeds[1].interval", 15),
        ("alerts[0].cooldown", 21),
    ]
    messages = messages_of("bad_durations.toml", tmp_path)
    assert "got '15 minutes'" in messages["schedule.interval"]
    assert "at least 1m" in messages["feeds[0].interval"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 1d 2h ", timedelta(days=1, hours=2)),
        ("0s", timedelta(0)),
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
    ],
)
def test_durations_parse(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["15", "", "1M", "h", "1.5.h", "-5m", "15 minutes", True, -3, None])
def test_malformed_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_duplicate_names_are_reported_at_the_second_one(tmp_path: Path) -> None:
    assert problems_of("duplicates.toml", tmp_path) == [
        ("feeds[2].name", 10),
        ("watches[1].name", 18),
        ("alerts[1].name", 27),
    ]
    assert "first used by feeds[0]" in messages_of("duplicates.toml", tmp_path)["feeds[2].name"]


def test_a_query_that_does_not_parse_is_reported_under_its_watch(tmp_path: Path) -> None:
    # In a multi-line query the line is the one where the parser stopped, not the key's line.
    assert problems_of("bad_query.toml", tmp_path) == [("watches[1].query", 7), ("watches[2].query", 14)]
    assert all(
        p.message.startswith("query does not parse") for p in check_config(DATA / "bad_query.toml", data_dir=tmp_path)
    )


def test_watch_categories_are_checked_with_their_lines(tmp_path: Path) -> None:
    where = "watches[0].categories"
    assert problems_of("bad_categories.toml", tmp_path) == [
        (f"{where}.drones.terms.en[1]", 7),
        (f"{where}.drones.terms.ar[0]", 7),
        (f"{where}.casualties.label.ar", 10),
        (f"{where}.casualties.terms.fr", 11),
        (f'{where}."mass graves"', 13),
        (f"{where}.sieges.examples[0]", 19),
        (f"{where}.evacuation", 21),
    ]
    messages = messages_of("bad_categories.toml", tmp_path)
    assert "'*' is only allowed at the end of a term" in messages[f"{where}.drones.terms.en[1]"]
    assert "'ar' or 'en'" in messages[f"{where}.casualties.terms.fr"]
    assert "example sentences or terms" in messages[f"{where}.evacuation"]


def test_alert_channel_rules(tmp_path: Path) -> None:
    assert problems_of("alert_errors.toml", tmp_path) == [
        ("alerts[0].url", 5),
        ("alerts[1].to", 10),
        ("alerts[1].smtp", 10),
        ("alerts[1].watches[1]", 13),
        ("alerts[2].categories[1]", 19),
        ("alerts[2].smtp.password", 23),
        ("alerts[3].kind", 29),
        ("alerts[3].on", 30),
        ("alerts[3].languages[0]", 31),
        ("alerts[3].quiet_hours.timezone", 32),
    ]
    messages = messages_of("alert_errors.toml", tmp_path)
    assert "webhook alert needs url" in messages["alerts[0].url"]
    assert "unknown watch 'no-such-watch'" in messages["alerts[1].watches[1]"]
    assert "environment variable" in messages["alerts[2].smtp.password"]


def test_smtp_cannot_use_ssl_and_starttls_together(tmp_path: Path) -> None:
    path = tmp_path / "raqib.toml"
    path.write_text(
        '[[alerts]]\nname = "mail"\nkind = "email"\nto = ["a@example.org"]\n'
        'smtp = { host = "mx", ssl = true, starttls = true }\n',
        encoding="utf-8",
    )
    [problem] = check_config(path, data_dir=tmp_path)
    assert (problem.location, problem.line) == ("alerts[0].smtp", 5)
    assert "not both" in problem.message


# --- what a valid file gives ----------------------------------------------------------------


def test_a_full_file_loads_with_its_values(tmp_path: Path) -> None:
    config = load_config(DATA / "valid_full.toml", data_dir=tmp_path)
    assert config.database == "sqlite:///relative/raqib.db"  # as given: relative to the working dir
    assert config.schedule.interval == timedelta(hours=1, minutes=30)
    assert config.network.timeout == timedelta(seconds=12)
    assert config.network.max_bytes == 512 * 1024
    assert config.network.max_redirects == 0
    assert config.stories.window == timedelta(days=2)

    first, second = config.feeds
    assert first.effective_interval(config.schedule) == timedelta(minutes=5)
    assert second.effective_interval(config.schedule) == timedelta(hours=1, minutes=30)
    assert (second.language, second.fetch_articles, second.enabled) == ("auto", False, False)

    assert config.watches[0].query.startswith('("North Korea*"')
    assert "\n" in config.watches[0].query

    # Categories belong to their watch: a watch without any has none (no global defaults).
    kursk, fasher = config.watches
    assert list(kursk.categories) == ["drones"]
    assert kursk.categories["drones"].terms == {"en": ["drone*", "UAV*"]}
    assert kursk.categories["drones"].label.ar == "مسيّرات"
    assert fasher.categories["evacuation"].terms == {"en": ["evacuat*"], "ar": ["إجلاء"]}

    mail, hook = config.alerts
    assert mail.smtp is not None and (mail.smtp.port, mail.smtp.starttls) == (587, True)
    assert mail.smtp.password_env == "SMTP_PASS"
    assert mail.quiet_hours is not None
    assert (mail.quiet_hours.start, mail.quiet_hours.end) == (time(22, 30), time(6, 0))
    assert mail.cooldown == timedelta(minutes=10)
    assert (mail.digest, mail.languages, mail.categories) == ("hourly", ["ar"], ["drones", "evacuation"])
    assert (hook.kind, hook.secret_env, hook.on, hook.enabled) == (
        "webhook",
        "RAQIB_WEBHOOK_SECRET",
        ["development"],
        False,
    )
    assert hook.watches == [] and hook.smtp is None


def test_arabic_text_round_trips(tmp_path: Path) -> None:
    config = load_config(DATA / "valid_full.toml", data_dir=tmp_path)
    assert config.feeds[0].name == "الجزيرة نت — عاجل"
    assert RaqibConfig.model_validate_json(config.model_dump_json()) == config

    path = tmp_path / "arabic.toml"
    path.write_text(
        '[[feeds]]\nname = "بي بي سي"\nurl = "https://example.org/a.xml"\n\n'
        '[[feeds]]\nname = "بي بي سي"\nurl = "https://example.org/b.xml"\n',
        encoding="utf-8",
    )
    [problem] = check_config(path, data_dir=tmp_path)
    assert str(problem) == f"{path}:6: feeds[1].name: duplicate feed name 'بي بي سي' (first used by feeds[0])"


def test_a_missing_file_is_one_problem_without_a_line(tmp_path: Path) -> None:
    [problem] = check_config(tmp_path / "nope.toml", data_dir=tmp_path)
    assert problem.line is None
    assert str(problem).startswith(f"{tmp_path / 'nope.toml'}: cannot read the file")


def test_problem_text_leaves_out_what_is_unknown() -> None:
    assert str(Problem(Path("c.toml"), "feeds[2].url", 12, "bad")) == "c.toml:12: feeds[2].url: bad"
    assert str(Problem(Path("c.toml"), "", None, "bad")) == "c.toml: bad"
    assert str(Problem(Path("c.toml"), "", 3, "bad", column=7)) == "c.toml:3:7: bad"


def test_rules_across_entries_also_hold_when_building_the_model_in_code() -> None:
    feed = {"name": "Same", "url": "https://example.org/a.xml"}
    with pytest.raises(ValidationError, match="duplicate feed name"):
        RaqibConfig.model_validate({"database": "sqlite://", "feeds": [feed, feed]})
    built = FeedConfig(name="X", url="https://example.org/x.xml", interval="2h")  # type: ignore[arg-type]
    assert built.effective_interval(ScheduleSettings()) == timedelta(hours=2)
    assert FeedConfig(name="Y", url="https://example.org/y.xml").effective_interval(timedelta(minutes=3)) == (
        timedelta(minutes=3)
    )


# --- where the file and the data live -------------------------------------------------------


def test_config_path_precedence(tmp_path: Path) -> None:
    env = {"RAQIB_CONFIG": "from-env.toml"}
    assert resolve_config_path("given.toml", env, tmp_path) == tmp_path / "given.toml"
    assert resolve_config_path("/abs/given.toml", env, tmp_path) == Path("/abs/given.toml")
    assert resolve_config_path(None, env, tmp_path) == tmp_path / "from-env.toml"
    assert resolve_config_path(None, {}, tmp_path) == BUNDLED_DEFAULT
    assert resolve_config_path(None, {"RAQIB_CONFIG": ""}, tmp_path) == BUNDLED_DEFAULT

    (tmp_path / "raqib.toml").write_text("", encoding="utf-8")
    assert resolve_config_path(None, {}, tmp_path) == tmp_path / "raqib.toml"
    assert resolve_config_path(None, env, tmp_path) == tmp_path / "from-env.toml"
    assert resolve_config_path("given.toml", env, tmp_path) == tmp_path / "given.toml"


def test_data_dir_precedence(tmp_path: Path) -> None:
    assert resolve_data_dir({}, tmp_path) == tmp_path / "raqib-data"
    assert resolve_data_dir({"RAQIB_DATA": "elsewhere"}, tmp_path) == tmp_path / "elsewhere"
    assert resolve_data_dir({"RAQIB_DATA": "/srv/raqib"}, tmp_path) == Path("/srv/raqib")


def test_an_empty_file_is_a_valid_config_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    config = load_config(path, data_dir=tmp_path / "data")
    assert config.database == f"sqlite:///{(tmp_path / 'data').resolve().as_posix()}/raqib.db"
    assert config.feeds == [] and config.alerts == []
    assert config.category_labels() == {}  # categories belong to watches; there are none


def test_keys_of_earlier_versions_say_what_took_their_place(tmp_path: Path) -> None:
    assert problems_of("old_keys.toml", tmp_path) == [("developments", 5), ("stories.semantic", 9)]
    messages = messages_of("old_keys.toml", tmp_path)
    assert "[watches.categories.<id>]" in messages["developments"]
    assert "always on" in messages["stories.semantic"]
