"""Per-channel rules: which events a channel wants, quiet hours, cooldown per story, digests.
Real outbox rows (decided by the real story desk) and a real webhook receiver; only the clock
is ours to move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from support.crawl import write_config
from support.receiver import Receiver
from test_stories_seed import DRONES, ENGLISH_WIRE, MORE_TROOPS

from alerts.channels import active_channels, build_senders
from alerts.deliver import Deliverer
from alerts.outbox import OutboxWriter
from alerts.rules import ChannelRules, QuietWindow, retry_at
from config.loader import load_config
from ingest.store import save_article
from raqib.compose import story_desk
from storage import feed_repo
from storage.db import Database
from stories.analysis import Analyser
from stories.types import ArticleOutcome, Entry

SECRET = "rules-test-secret"
T0 = datetime(2025, 2, 4, 12, 0, tzinfo=UTC)


@dataclass
class FeedSpec:
    name: str
    url: str
    language: str


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    deliverer: Deliverer
    database: Database
    clock: Clock
    store: Callable[[Entry, datetime], ArticleOutcome]


# The watch's development categories (a watch without any still alerts, on new facts and figures).
WATCH_CATEGORIES = """
[watches.categories.deployment]
label = { en = "deployment", ar = "نشر القوات" }
examples = ["Pyongyang is sending thousands more soldiers to fight for Russia"]
terms = { en = ["more troops", "withdraw*"] }
"""


def setup(tmp_path: Path, receiver: Receiver, alert_extra: str, timeout: str = "3s") -> Desk:
    """``timeout``: the network's, which bounds each send."""
    receiver.secret = SECRET
    config_path = write_config(
        tmp_path,
        [],
        timeout=timeout,
        extra=f"""
[[alerts]]
name = "hook"
kind = "webhook"
url = "{receiver.url}"
secret_env = "SECRET"
on = ["new_story", "development"]
{alert_extra}
{WATCH_CATEGORIES}
""",
    )
    config = load_config(config_path, data_dir=tmp_path)
    database = Database(config.database)
    database.upgrade()
    channels = active_channels(config)
    writer = OutboxWriter(list(channels.values()), "http://raqib.example")
    analyser = Analyser({w.name: w.query for w in config.watches})
    desk = story_desk(config)
    with database.session() as session:
        feed_repo.sync_feeds(session, [FeedSpec("Wire", "https://wire.example", "en")])
    clock = Clock(T0)
    deliverer = Deliverer(database, channels, build_senders(config, {"SECRET": SECRET}), clock=clock)

    def store(entry: Entry, at: datetime) -> ArticleOutcome:
        with database.session() as session:
            return save_article(session, "Wire", entry, analyser.analyse(entry), desk=desk, outbox=writer, now=at)

    return Desk(deliverer, database, clock, store)


def test_channel_rules_filter_events_watches_languages_and_categories() -> None:
    rules = ChannelRules(
        "c", "webhook", frozenset({"development"}), languages=frozenset({"ar"}), categories=frozenset({"drones"})
    )
    assert rules.wants("development", "w", "ar", ["drones", "casualties"])
    assert not rules.wants("development", "w", "ar", ["casualties"])
    assert not rules.wants("development", "w", "en", ["drones"])
    assert not rules.wants("new_story", "w", "ar", [])
    watching = ChannelRules("c", "email", frozenset({"new_story"}), watches=frozenset({"w"}))
    assert watching.wants("new_story", "w", "en", []) and not watching.wants("new_story", "other", "en", [])


def test_quiet_hours_across_midnight_in_a_time_zone() -> None:
    quiet = QuietWindow(time(22, 0), time(7, 0), "Asia/Riyadh")  # UTC+3
    assert quiet.contains(datetime(2025, 2, 4, 20, 0, tzinfo=UTC))  # 23:00 in Riyadh
    assert not quiet.contains(datetime(2025, 2, 4, 12, 0, tzinfo=UTC))  # 15:00
    assert quiet.ends_after(datetime(2025, 2, 4, 20, 0, tzinfo=UTC)) == datetime(2025, 2, 5, 4, 0, tzinfo=UTC)


def test_backoff_follows_the_standard_webhooks_schedule_for_about_three_days() -> None:
    waits = []
    attempt = 1
    while (due := retry_at(attempt, T0)) is not None:
        waits.append(due - T0)
        attempt += 1
    assert waits[:5] == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
    ]
    assert timedelta(days=2.5) < sum(waits, timedelta()) < timedelta(days=3.5)


def test_cooldown_holds_back_a_fast_story_and_sends_it_in_the_next_message(tmp_path: Path, receiver: Receiver) -> None:
    desk = setup(tmp_path, receiver, 'cooldown = "30m"')
    desk.store(ENGLISH_WIRE, T0)
    assert desk.deliverer.deliver_due().sent == 1
    desk.store(MORE_TROOPS, T0 + timedelta(minutes=2))
    desk.store(DRONES, T0 + timedelta(minutes=3))
    desk.clock.now = T0 + timedelta(minutes=5)
    report = desk.deliverer.deliver_due()
    assert (report.sent, report.held) == (0, 2)
    desk.clock.now = T0 + timedelta(minutes=31)
    assert desk.deliverer.deliver_due().sent == 2
    assert len(receiver.requests) == 2, "the held-back developments leave together, in one message"
    held_back = receiver.requests[1].json()
    assert held_back["type"] == "digest" and len(held_back["events"]) == 2
    desk.database.dispose()


def test_quiet_hours_defer_instead_of_dropping(tmp_path: Path, receiver: Receiver) -> None:
    desk = setup(tmp_path, receiver, 'quiet_hours = { start = "11:00", end = "13:00", timezone = "UTC" }')
    desk.store(ENGLISH_WIRE, T0)
    assert desk.deliverer.deliver_due().held == 1 and receiver.requests == []
    desk.clock.now = datetime(2025, 2, 4, 13, 0, 1, tzinfo=UTC)
    assert desk.deliverer.deliver_due().sent == 1
    assert receiver.requests[0].json()["type"] == "new_story"
    desk.database.dispose()


def test_hourly_digest_lists_everything_due_in_one_message(tmp_path: Path, receiver: Receiver) -> None:
    desk = setup(tmp_path, receiver, 'digest = "hourly"')
    desk.store(ENGLISH_WIRE, T0 + timedelta(minutes=5))
    desk.store(MORE_TROOPS, T0 + timedelta(minutes=20))
    desk.clock.now = T0 + timedelta(minutes=30)
    assert desk.deliverer.deliver_due().sent == 0
    desk.clock.now = T0 + timedelta(hours=1, seconds=1)
    assert desk.deliverer.deliver_due().sent == 2
    assert len(receiver.requests) == 1 and receiver.requests[0].verified
    digest = receiver.requests[0].json()
    assert digest["type"] == "digest" and [e["type"] for e in digest["events"]] == ["new_story", "development"]
    desk.database.dispose()
