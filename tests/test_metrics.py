"""``/metrics`` as Prometheus scrapes it, on both databases, and the example alert rules in deploy/.

The database is filled through the real path (fetches recorded, Arabic and English reports saved
and decided with an outbox writer, delivery attempts recorded), then the page is served for real
and its text parsed with prometheus-client's own parser: what an operator's Prometheus would see.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text
from support.web import running_web
from test_stories_seed import ARABIC_FIRST, ENGLISH_WIRE, MORE_TROOPS, WATCH

from alerts.outbox import OutboxWriter
from alerts.rules import ChannelRules
from config.loader import BUNDLED_DEFAULT, load_config
from config.schema import RaqibConfig
from ingest.store import save_article
from raqib.compose import story_desk
from storage import feed_repo
from storage.db import Database
from storage.models import OutboxEntry
from storage.outbox import claim_due, record_attempt
from storage.types import FetchResult, FetchStatus
from stories.analysis import Analyser

RULES = Path(__file__).resolve().parent.parent / "deploy" / "prometheus" / "raqib-rules.yml"
CHANNEL = "ops-hook"


@dataclass
class Feed:
    name: str
    url: str
    language: str


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def metrics_site(database: Database, tmp_path: Path) -> Iterator[tuple[str, RaqibConfig]]:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    analyser = Analyser({watch.name: watch.query for watch in config.watches})
    writer = OutboxWriter([ChannelRules(name=CHANNEL, kind="webhook", on=frozenset({"new_story", "development"}))], "")
    with database.session() as session:
        feed_repo.sync_feeds(
            session, [Feed("الجزيرة", "https://aj.example/rss", "ar"), Feed("Wire", "https://w.example", "en")]
        )
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    for hours, entry in enumerate([ARABIC_FIRST, ENGLISH_WIRE, MORE_TROOPS]):
        feed = "الجزيرة" if entry is ARABIC_FIRST else "Wire"
        with database.session() as session:
            when = start + timedelta(hours=hours)
            save_article(
                session, feed, entry, analyser.analyse(entry), desk=story_desk(config), outbox=writer, now=when
            )
    with database.session() as session:
        fetches = [
            FetchResult("الجزيرة", "https://aj.example/rss", start, start + timedelta(seconds=0.3), FetchStatus.OK, 200,
                        entries=20, new=1, matched=1),
            FetchResult("Wire", "https://w.example", start, start + timedelta(seconds=7), FetchStatus.OK, 200,
                        entries=30, new=2, matched=2),
            FetchResult("Wire", "https://w.example", start, start + timedelta(seconds=0.05), FetchStatus.NOT_MODIFIED,
                        304),
            FetchResult("Wire", "https://w.example", start, start + timedelta(seconds=40), FetchStatus.ERROR, None,
                        error="timed out"),
        ]  # fmt: skip
        for result in fetches:
            feed_repo.record_fetch(session, result)
        outbox = list(session.scalars(select(OutboxEntry.id).order_by(OutboxEntry.id)))
        assert len(outbox) == 2, "the new story and the development alert"
        now = datetime.now(UTC)
        token = claim_due(session, now, timedelta(minutes=5))[0].token  # a deliverer holds them
        record_attempt(session, outbox[:1], token, now=now, ok=True, seconds=0.1, status_code=204)
        # The development failed once and is due again since 15 minutes.
        record_attempt(session, outbox[1:], token, now=now, ok=False, seconds=1.0, status_code=500, error="HTTP 500",
                       retry=now - timedelta(minutes=15))  # fmt: skip

    with running_web(config, database) as url:
        yield url, config


def test_metrics_count_fetches_decisions_and_alerts_from_the_database(metrics_site: tuple[str, RaqibConfig]) -> None:
    url, config = metrics_site
    response = httpx.get(url + "/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff"
    families = list(text_string_to_metric_families(response.text))
    assert families and all(family.name.startswith("raqib_") for family in families), "only raqib_ series"
    samples = _samples(response.text)

    assert _value(samples, "raqib_feed_fetches_total", status="ok") == 2
    assert _value(samples, "raqib_feed_fetches_total", status="not_modified") == 1
    assert _value(samples, "raqib_feed_fetches_total", status="error") == 1
    assert _value(samples, "raqib_feed_entries_total") == 50
    assert _value(samples, "raqib_articles_new_total") == 3
    assert _value(samples, "raqib_feeds_failing") == 1 and _value(samples, "raqib_feeds") == 2

    histogram = "raqib_feed_fetch_duration_seconds"
    assert _value(samples, f"{histogram}_bucket", le="0.1") == 1
    assert _value(samples, f"{histogram}_bucket", le="0.5") == 2
    assert _value(samples, f"{histogram}_bucket", le="10.0") == 3
    assert _value(samples, f"{histogram}_bucket", le="+Inf") == 4 == _value(samples, f"{histogram}_count")
    assert _value(samples, f"{histogram}_sum") == pytest.approx(47.35, abs=0.01)
    assert time.time() - _value(samples, "raqib_last_fetch_timestamp_seconds") == pytest.approx(3 * 3600, abs=120)
    assert _value(samples, "raqib_schedule_interval_seconds") == config.schedule.interval.total_seconds()

    assert _value(samples, "raqib_watch_matches_total", watch=WATCH) == 3
    assert _value(samples, "raqib_decisions_total", watch=WATCH, event="new_story") == 1
    assert _value(samples, "raqib_decisions_total", watch=WATCH, event="development") == 1

    assert _value(samples, "raqib_alerts_sent_total", channel=CHANNEL) == 1
    assert _value(samples, "raqib_outbox_depth", channel=CHANNEL) == 1
    assert _value(samples, "raqib_alerts_dead", channel=CHANNEL) == 0
    assert _value(samples, "raqib_alert_attempts_total", channel=CHANNEL, outcome="ok") == 1
    assert _value(samples, "raqib_alert_attempts_total", channel=CHANNEL, outcome="failed") == 1
    assert _value(samples, "raqib_outbox_oldest_due_age_seconds") == pytest.approx(15 * 60, abs=60)


def test_metrics_need_the_token_beyond_loopback(database: Database, tmp_path: Path) -> None:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    token = "metrics-test-token-0123456789abcdefghij"
    with running_web(config, database, host="0.0.0.0", token=token) as base:
        url = f"{base}/metrics"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        scraped = httpx.get(url, params={"token": token})
        assert scraped.status_code == 200, "Prometheus may pass the token as a parameter (no redirect to a cookie)"
        assert "raqib_outbox_depth" in scraped.text or "raqib_feed_fetches" in scraped.text


def test_alert_rules_use_only_metrics_that_exist(metrics_site: tuple[str, RaqibConfig]) -> None:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert {"RaqibNoCrawl", "RaqibOutboxStuck"} <= set(alerts)
    assert "600" in alerts["RaqibOutboxStuck"]["expr"], "outbox older than 10 minutes"
    assert "2 * raqib_schedule_interval_seconds" in alerts["RaqibNoCrawl"]["expr"], "no crawl in two intervals"

    url, _ = metrics_site
    exposed = {name for name, _ in _samples(httpx.get(url + "/metrics").text)}
    for name, rule in alerts.items():
        used = set(re.findall(r"\braqib_[a-z_]+", rule["expr"]))
        assert used, name
        assert used <= exposed, (name, used - exposed)

    # Both conditions, evaluated by hand on what was scraped, hold here: an alert has been due for
    # 15 minutes, and the newest fetch is 3 hours old, more than two default intervals.
    samples = _samples(httpx.get(url + "/metrics").text)
    assert _value(samples, "raqib_outbox_oldest_due_age_seconds") > 600
    age = time.time() - _value(samples, "raqib_last_fetch_timestamp_seconds")
    assert age > 2 * _value(samples, "raqib_schedule_interval_seconds")


def test_worker_queue_depth_on_postgresql(database: Database, tmp_path: Path) -> None:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    if not database.is_sqlite:
        with database.session() as session:
            # procrastinate's triggers name its tables without the schema, as its workers see them
            session.execute(text("SET LOCAL search_path TO procrastinate, public"))
            for task, status in [("crawl", "todo"), ("crawl", "todo"), ("crawl", "doing"), ("deliver", "todo")]:
                session.execute(
                    text(
                        "INSERT INTO procrastinate.procrastinate_jobs (queue_name, task_name, args, status) "
                        "VALUES ('default', :task, '{}', CAST(:status AS procrastinate.procrastinate_job_status))"
                    ),
                    {"task": task, "status": status},
                )
            session.execute(text("INSERT INTO procrastinate.procrastinate_workers (last_heartbeat) VALUES (now())"))
    with running_web(config, database) as url:
        samples = _samples(httpx.get(url + "/metrics").text)
    if database.is_sqlite:  # the embedded mode: no job queue, no series for it
        assert not any(name.startswith(("raqib_worker_queue", "raqib_workers")) for name, _ in samples)
        return
    assert _value(samples, "raqib_worker_queue_jobs", task="crawl", status="todo") == 2
    assert _value(samples, "raqib_worker_queue_jobs", task="crawl", status="doing") == 1
    assert _value(samples, "raqib_worker_queue_jobs", task="deliver", status="todo") == 1
    assert _value(samples, "raqib_workers_alive") == 1


def test_fetch_counts_stay_exact_across_scrapes_as_the_log_settles(
    metrics_site: tuple[str, RaqibConfig], database: Database
) -> None:
    url, _ = metrics_site

    def fetches() -> tuple[float, float, float]:
        samples = _samples(httpx.get(url + "/metrics").text)
        return (
            _value(samples, "raqib_feed_fetches_total", status="ok"),
            _value(samples, "raqib_feed_entries_total"),
            _value(samples, "raqib_feed_fetch_duration_seconds_count"),
        )

    assert fetches() == (2, 50, 4)
    now = datetime.now(UTC)
    with database.session() as session:
        for started, entries in [(now - timedelta(seconds=5), 7), (now - timedelta(hours=1), 11)]:
            done = started + timedelta(seconds=1)
            feed_repo.record_fetch(session, FetchResult("Wire", "https://w.example", started, done, FetchStatus.OK, 200,
                                                   entries=entries))  # fmt: skip
    # A recent fetch and an older one written after it: each counted once, on every scrape.
    assert fetches() == (4, 68, 6)
    assert fetches() == (4, 68, 6)
