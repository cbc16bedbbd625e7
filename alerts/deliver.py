"""The deliverer: claim what is due in the outbox, hold back what quiet hours or a story's
cooldown defer, send the rest (one message per story and channel, or one digest), and record
every attempt. Run after each crawl, every 30 seconds by the scheduler, and by
``raqib alerts deliver``."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.outbox import event_from_json
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
    # The recipients that took the message when others refused it (email addresses, Apprise
    # URL keys): they are remembered and not sent it again.
    delivered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message: one event, the held-back events of one story, or a digest."""

    message_id: str  # stable across retries: the webhook-id, the email Message-ID
    events: Sequence[AlertEvent]
    skip: frozenset[str] = frozenset()  # recipients that already have it


# A channel sends one message; it never raises for delivery failures.
Sender = Callable[[Outgoing], SendResult]


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    held: int = 0
    taken_over: int = 0  # alerts another deliverer took after this one's lease ran out
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.sent} sent, {self.failed} to retry, {self.dead} dead-lettered, {self.held} held back"
        if self.taken_over:
            text += f", {self.taken_over} taken over by another deliverer"
        return text + ("" if not self.errors else " — " + "; ".join(self.errors[:3]))


def _utcnow() -> datetime:
    return datetime.now(UTC)


def group_message_id(kind: str, channel: str, event_ids: Sequence[str]) -> str:
    """The id of a message about several events: ``dig_…`` for a digest, ``grp_…`` for the
    held-back events of one story. Made from what it holds, then kept with the alerts
    (``message_id``), so a retry carries it even when more alerts became due meanwhile."""
    text = "\n".join([channel, *sorted(event_ids)])
    return f"{kind}_" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


# One deliverer at a time in a process: `raqib run` delivers every 30 seconds and after each
# crawl, from two scheduler threads; two batches side by side could only race for the same rows.
_ONE_AT_A_TIME = threading.Lock()


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
        with _ONE_AT_A_TIME:
            return self._deliver_due(limit)

    def _deliver_due(self, limit: int) -> DeliveryReport:
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
        token = claimed[0].token
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
                if entry.message_id is not None:
                    # a retry: the same message again, under the same id, whatever joined since
                    groups[f"msg:{entry.channel}:{entry.message_id}"].append(entry)
                    continue
                if rules.digest != "none":
                    groups[f"dig:{entry.channel}"].append(entry)
                    continue
                if rules.cooldown and entry.story_id is not None:
                    previous = outbox.last_sent(session, entry.channel, entry.story_id)
                    if previous is not None and previous + rules.cooldown > now:
                        held[previous + rules.cooldown].append(entry.id)
                        continue
                # Alerts of one story held back by a cooldown leave together, in one message;
                # without a cooldown every event is its own message under its own id.
                grouped = rules.cooldown and entry.story_id is not None
                key = f"grp:{entry.channel}:{entry.story_id}" if grouped else f"evt:{entry.channel}:{entry.event_id}"
                groups[key].append(entry)
            for until, ids in held.items():
                outbox.release(session, ids, token, until)
                report.held += len(ids)
            for entry_id, reason in dead:
                outbox.record_attempt(session, [entry_id], token, now=now, ok=False, seconds=0.0, error=reason)
                report.dead += 1
        return groups

    @staticmethod
    def _message_id(group_id: str, entries: list[outbox.Claimed]) -> str:
        kept = entries[0].message_id
        if kept is not None:
            return kept
        if len(entries) == 1 and not group_id.startswith("dig:"):
            return entries[0].event_id
        kind = "dig" if group_id.startswith("dig:") else "grp"
        return group_message_id(kind, entries[0].channel, [entry.event_id for entry in entries])

    def _send(self, group_id: str, entries: list[outbox.Claimed], report: DeliveryReport) -> None:
        channel, token = entries[0].channel, entries[0].token
        message_id = self._message_id(group_id, entries)
        # A group's id is kept with its alerts for the retries; a lone event's id is its own.
        keep = None if message_id == entries[0].event_id or message_id == entries[0].message_id else message_id
        with self.database.session() as session:
            held = outbox.hold_for_send(
                session, [e.id for e in entries], token, message_id=keep, now=self.clock(), lease=self.lease
            )
        if len(held) < len(entries):
            self._taken_over(channel, len(entries) - len(held), report)
            entries = [entry for entry in entries if entry.id in held]
            if not entries:
                return
        # A recipient is skipped only when it has every alert of this message.
        skip = frozenset.intersection(*(entry.delivered_to for entry in entries))
        started = time.monotonic()
        events = [event_from_json(entry.payload) for entry in entries]
        result = self.senders[channel](Outgoing(message_id, events, skip))
        seconds = time.monotonic() - started
        now = self.clock()
        ids = [entry.id for entry in entries]
        with self.database.session() as session:
            if result.ok:
                recorded = outbox.record_attempt(
                    session,
                    ids,
                    token,
                    now=now,
                    ok=True,
                    seconds=seconds,
                    status_code=result.status_code,
                    delivered=result.delivered,
                )
                report.sent += len(recorded)
                self._taken_over(channel, len(ids) - len(recorded), report)
                return
            error = result.error or "delivery failed"
            if result.gone:
                reason = f"receiver answered 410 Gone at {now:%Y-%m-%d %H:%M} UTC"
                outbox.disable_channel(session, channel, reason, now)
                recorded = outbox.record_attempt(
                    session, ids, token, now=now, ok=False, seconds=seconds, status_code=410, error=f"{error}; {reason}"
                )
                report.dead += len(recorded)
                report.errors.append(f"{channel} disabled: {reason}")
                self._taken_over(channel, len(ids) - len(recorded), report)
                return
            attempts = max(entry.attempts for entry in entries) + 1
            retry = None if result.permanent else retry_at(attempts, now)
            if retry is not None and result.retry_after is not None:
                retry = max(retry, now + timedelta(seconds=result.retry_after))
            recorded = outbox.record_attempt(
                session,
                ids,
                token,
                now=now,
                ok=False,
                seconds=seconds,
                status_code=result.status_code,
                error=error,
                retry=retry,
                delivered=result.delivered,
            )
            if retry is None:
                report.dead += len(recorded)
            else:
                report.failed += len(recorded)
            report.errors.append(f"{channel}: {error}")
            self._taken_over(channel, len(ids) - len(recorded), report)

    @staticmethod
    def _taken_over(channel: str, count: int, report: DeliveryReport) -> None:
        if count:
            report.taken_over += count
            report.errors.append(
                f"{channel}: {count} alert(s) taken over by another deliverer after this one's lease ran out"
            )
