"""The deliverer: claim what is due in the outbox, hold back what quiet hours or a story's
cooldown defer, send the rest (one message per story and channel, or one digest), and record
every attempt. Run after each crawl, every 30 seconds by the scheduler, and by
``raqib alerts deliver``."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.rules import ChannelRules, retry_at
from alerts.types import AlertEvent
from storage import outbox
from storage.db import Database

LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    gone: bool = False  # the receiver said 410 Gone: disable the channel
    retry_after: float | None = None  # seconds the receiver asked us to wait
    permanent: bool = False  # refused for good (a 5xx SMTP reply): retrying will not help


# A channel sends a group of events (one event, the held-back events of one story, or a digest)
# under one message id; it never raises for delivery failures.
Sender = Callable[[Sequence[AlertEvent], str], SendResult]


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.sent} sent, {self.failed} to retry, {self.dead} dead-lettered, {self.held} held back"
        return text + ("" if not self.errors else " — " + "; ".join(self.errors[:3]))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Deliverer:
    def __init__(
        self,
        database: Database,
        channels: Mapping[str, ChannelRules],
        senders: Mapping[str, Sender],
        *,
        clock: Callable[[], datetime] = _utcnow,
        lease: timedelta = LEASE,
    ) -> None:
        self.database = database
        self.channels = channels
        self.senders = senders
        self.clock = clock
        self.lease = lease

    def deliver_due(self, limit: int = 200) -> DeliveryReport:
        report = DeliveryReport()
        while True:
            now = self.clock()
            with self.database.session() as session:
                claimed = outbox.claim_due(session, now, self.lease, limit)
                disabled = outbox.disabled_channels(session)
            if not claimed:
                return report
            for group_id, entries in self._groups(claimed, disabled, report).items():
                self._send(group_id, entries, report)
            if len(claimed) < limit:
                return report

    def _groups(
        self, claimed: list[outbox.Claimed], disabled: Mapping[str, str], report: DeliveryReport
    ) -> dict[str, list[outbox.Claimed]]:
        """Sort the claimed alerts into messages, holding back what may not go out now."""
        now = self.clock()
        groups: dict[str, list[outbox.Claimed]] = defaultdict(list)
        held: dict[datetime, list[int]] = defaultdict(list)
        dead: list[tuple[int, str]] = []
        with self.database.session() as session:
            for entry in claimed:
                rules = self.channels.get(entry.channel)
                if rules is None or entry.channel not in self.senders:
                    dead.append((entry.id, f"channel {entry.channel!r} is no longer configured"))
                    continue
                if entry.channel in disabled:
                    dead.append((entry.id, f"channel {entry.channel!r} is disabled: {disabled[entry.channel]}"))
                    continue
                quiet_end = rules.held_until(now)
                if quiet_end is not None:
                    held[quiet_end].append(entry.id)
                    continue
                if rules.digest != "none":
                    groups[f"dig_{entry.channel}_{now:%Y%m%d%H}"].append(entry)
                    continue
                if rules.cooldown and entry.story_id is not None:
                    previous = outbox.last_sent(session, entry.channel, entry.story_id)
                    if previous is not None and previous + rules.cooldown > now:
                        held[previous + rules.cooldown].append(entry.id)
                        continue
                # Alerts of one story held back by a cooldown leave together, in one message;
                # without a cooldown every event is its own message under its own id.
                grouped = rules.cooldown and entry.story_id is not None
                key = f"{entry.channel}:{entry.story_id}" if grouped else f"{entry.channel}:{entry.event_id}"
                groups[key].append(entry)
            for until, ids in held.items():
                outbox.release(session, ids, until)
                report.held += len(ids)
            for entry_id, reason in dead:
                outbox.record_attempt(session, [entry_id], now=now, ok=False, seconds=0.0, error=reason)
                report.dead += 1
        return groups

    def _send(self, group_id: str, entries: list[outbox.Claimed], report: DeliveryReport) -> None:
        channel = entries[0].channel
        events = [entry.event for entry in entries]
        # One event keeps its own id; a group is named after its first event, so a resend of the
        # same group carries the same id too.
        message_id = events[0].id if len(events) == 1 else f"{events[0].id}-{len(events)}"
        if group_id.startswith("dig_"):
            message_id = f"dig_{events[0].id}-{len(events)}"
        started = time.monotonic()
        result = self.senders[channel](events, message_id)
        seconds = time.monotonic() - started
        now = self.clock()
        ids = [entry.id for entry in entries]
        with self.database.session() as session:
            if result.ok:
                outbox.record_attempt(session, ids, now=now, ok=True, seconds=seconds, status_code=result.status_code)
                report.sent += len(ids)
                return
            error = result.error or "delivery failed"
            if result.gone:
                reason = f"receiver answered 410 Gone at {now:%Y-%m-%d %H:%M} UTC"
                outbox.disable_channel(session, channel, reason, now)
                outbox.record_attempt(
                    session, ids, now=now, ok=False, seconds=seconds, status_code=410, error=f"{error}; {reason}"
                )
                report.dead += len(ids)
                report.errors.append(f"{channel} disabled: {reason}")
                return
            attempts = max(entry.attempts for entry in entries) + 1
            retry = None if result.permanent else retry_at(attempts, now)
            if retry is not None and result.retry_after is not None:
                retry = max(retry, now + timedelta(seconds=result.retry_after))
            outbox.record_attempt(
                session,
                ids,
                now=now,
                ok=False,
                seconds=seconds,
                status_code=result.status_code,
                error=error,
                retry=retry,
            )
            if retry is None:
                report.dead += len(ids)
            else:
                report.failed += len(ids)
            report.errors.append(f"{channel}: {error}")
