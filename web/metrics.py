"""``GET /metrics``: Prometheus metrics, every series named ``raqib_…``.

Crawls and deliveries run in other processes, so the figures are read from the database when
Prometheus scrapes (``storage.read.metrics``) by a custom collector, never counted in this
process. The token rules are the API's: free on loopback, the token beyond it (Prometheus sends it
as ``authorization: Bearer …``, or as the ``token`` parameter).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from config.schema import RaqibConfig
from storage.db import Database
from storage.read.metrics import FETCH_SECONDS_BUCKETS, PENDING, FetchLogTotals, snapshot

router = APIRouter(tags=["metrics"])


class DatabaseCollector(Collector):
    """Collects every ``raqib_`` series from the database at scrape time."""

    def __init__(self, database: Database, config: RaqibConfig) -> None:
        self.database = database
        self.config = config
        self.fetch_log = FetchLogTotals()

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration: the series are known only at scrape time

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        with self.database.read_session() as session:
            data = snapshot(session, now, self.fetch_log)

        fetches = CounterMetricFamily(
            "raqib_feed_fetches",
            "Feed fetches by outcome (ok, not_modified, unchanged, error, deferred)",
            labels=["status"],
        )
        entries = CounterMetricFamily("raqib_feed_entries", "Entries read in fetched feeds")
        new = CounterMetricFamily("raqib_articles_new", "Entries stored as new articles")
        matched = CounterMetricFamily("raqib_articles_matched", "New or revised articles that matched a watch")
        for totals in data.fetches:
            fetches.add_metric([totals.status], totals.fetches)
        entries.add_metric([], sum(totals.entries for totals in data.fetches))
        new.add_metric([], sum(totals.new for totals in data.fetches))
        matched.add_metric([], sum(totals.matched for totals in data.fetches))
        yield from (fetches, entries, new, matched)

        buckets = [
            (_bound(bound), sum(totals.buckets[index] for totals in data.fetches))
            for index, bound in enumerate(FETCH_SECONDS_BUCKETS)
        ]
        buckets.append(("+Inf", sum(totals.fetches for totals in data.fetches)))
        histogram = HistogramMetricFamily(
            "raqib_feed_fetch_duration_seconds",
            "Time from a feed's request to its entries stored, per fetch",
            buckets=buckets,
            sum_value=sum(totals.seconds for totals in data.fetches),
        )
        yield histogram

        last = GaugeMetricFamily("raqib_last_fetch_timestamp_seconds", "When the newest fetch started (Unix time)")
        last.add_metric([], data.last_fetch_at.timestamp() if data.last_fetch_at else 0.0)
        interval = GaugeMetricFamily("raqib_schedule_interval_seconds", "The default crawl interval of the config")
        interval.add_metric([], self.config.schedule.interval.total_seconds())
        feeds = GaugeMetricFamily("raqib_feeds", "Stored feeds")
        feeds.add_metric([], data.feeds)
        failing = GaugeMetricFamily("raqib_feeds_failing", "Feeds whose last fetch failed")
        failing.add_metric([], data.feeds_failing)
        yield from (last, interval, feeds, failing)

        matches = CounterMetricFamily("raqib_watch_matches", "Articles that matched a watch", labels=["watch"])
        decisions = CounterMetricFamily(
            "raqib_decisions", "Decided events (new_story, development, update, duplicate)", labels=["watch", "event"]
        )
        per_watch: dict[str, int] = {}
        for watch, event, count in data.decisions:
            decisions.add_metric([watch, event], count)
            per_watch[watch] = per_watch.get(watch, 0) + count
        for watch, count in sorted(per_watch.items()):
            matches.add_metric([watch], count)
        yield from (matches, decisions)

        sent = CounterMetricFamily("raqib_alerts_sent", "Alerts delivered", labels=["channel"])
        dead = GaugeMetricFamily("raqib_alerts_dead", "Alerts dead-lettered", labels=["channel"])
        depth = GaugeMetricFamily("raqib_outbox_depth", "Alerts pending or being sent", labels=["channel"])
        by_channel: dict[str, dict[str, int]] = {}
        for channel, status, count in data.alerts:
            by_channel.setdefault(channel, {})[status] = count
        for channel in sorted({*by_channel, *(alert.name for alert in self.config.alerts)}):
            statuses = by_channel.get(channel, {})
            sent.add_metric([channel], statuses.get("sent", 0))
            dead.add_metric([channel], statuses.get("dead", 0))
            depth.add_metric([channel], sum(statuses.get(status, 0) for status in PENDING))
        attempts = CounterMetricFamily(
            "raqib_alert_attempts", "Delivery attempts by outcome", labels=["channel", "outcome"]
        )
        for channel, ok, count in data.attempts:
            attempts.add_metric([channel, "ok" if ok else "failed"], count)
        oldest = GaugeMetricFamily(
            "raqib_outbox_oldest_due_age_seconds", "How long the oldest alert due has waited (0: none waiting)"
        )
        oldest.add_metric([], max(0.0, (now - data.oldest_due_at).total_seconds()) if data.oldest_due_at else 0.0)
        yield from (sent, dead, depth, attempts, oldest)

        if data.jobs is not None:
            jobs = GaugeMetricFamily(
                "raqib_worker_queue_jobs", "Jobs of the distributed mode queued or running", labels=["task", "status"]
            )
            for task, status, count in data.jobs:
                jobs.add_metric([task, status], count)
            workers = GaugeMetricFamily("raqib_workers_alive", "Workers with a heartbeat in the last minute")
            workers.add_metric([], data.workers or 0)
            yield from (jobs, workers)


def _bound(value: float) -> str:
    return repr(float(value))


def registry_for(database: Database, config: RaqibConfig) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(database, config))
    return registry


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics
    return Response(content=generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
