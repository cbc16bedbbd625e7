"""The transactional outbox: alert rows written with the decision that caused them, then claimed
under a lease, sent, and marked by the deliverer. A crash loses neither the article nor its
alerts, and a claimed but unconfirmed alert is claimed again once its lease expires."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from storage.models import AlertChannel, DeliveryAttempt, OutboxEntry

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"


def event_id(match_id: int) -> str:
    """Stable for the life of the match row: every resend of its alert carries the same id."""
    return "evt_" + hashlib.blake2b(f"raqib-match-{match_id}".encode(), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    event_id: str
    channel: str
    story_id: int | None
    attempts: int
    payload: dict[str, Any]  # the event as written (alerts.outbox.event_from_json reads it)
    token: str  # the fencing token of the claim: only its holder may send and record
    message_id: str | None  # the id of the group it was first sent in, if it was
    delivered_to: frozenset[str]  # recipients that already have it


def claim_due(session: Session, now: datetime, lease: timedelta, limit: int = 200) -> list[Claimed]:
    """Take the alerts that are due (and those whose sender died holding them) under a lease and
    a fresh fencing token: a holder whose lease expired and was taken over can no longer send or
    record them (see :func:`hold_for_send` and :func:`record_attempt`)."""
    due = or_(
        and_(OutboxEntry.status == PENDING, OutboxEntry.next_attempt_at <= now),
        and_(OutboxEntry.status == SENDING, OutboxEntry.lease_until < now),
    )
    query = select(OutboxEntry).where(due).order_by(OutboxEntry.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    token = uuid.uuid4().hex
    rows = list(session.scalars(query))
    for row in rows:
        row.status = SENDING
        row.lease_until = now + lease
        row.claim_token = token
    session.flush()
    return [
        Claimed(
            r.id,
            r.event_id,
            r.channel,
            r.story_id,
            r.attempts,
            dict(r.payload),
            token,
            r.message_id,
            frozenset(r.delivered_to or ()),
        )
        for r in rows
    ]


def _held(ids: Sequence[int], token: str) -> Any:
    return and_(OutboxEntry.id.in_(ids), OutboxEntry.claim_token == token, OutboxEntry.status == SENDING)


def hold_for_send(
    session: Session, ids: Sequence[int], token: str, *, message_id: str | None, now: datetime, lease: timedelta
) -> set[int]:
    """Just before a send: the alerts still held under ``token``. The others were taken over by
    another deliverer after this claim's lease ran out, and must not be sent by this one.

    The token is the fence: a claim that took an alert over wrote its own token. What is held is
    kept held for the send: a lease with less than half its length left is renewed (a write, so
    the database orders it against any claim), and ``message_id``, when given, is kept with the
    alerts so a retry goes out under the same id. Otherwise nothing is written: a commit per
    message would double the cost of a delivery on SQLite."""
    rows = session.execute(select(OutboxEntry.id, OutboxEntry.lease_until).where(_held(ids, token)))
    held: dict[int, datetime | None] = {row_id: until for row_id, until in rows}
    if not held:
        return set()
    renew = any(until is None or until < now + lease / 2 for until in held.values())
    if renew or message_id is not None:
        values: dict[str, Any] = {"lease_until": now + lease}
        if message_id is not None:
            values["message_id"] = message_id
        session.execute(update(OutboxEntry).where(_held(list(held), token)).values(**values))
        return set(session.scalars(select(OutboxEntry.id).where(_held(list(held), token))))
    return set(held)


def expire_leases(session: Session) -> int:
    """Make every claimed alert claimable again at once. Only for the start of ``raqib run``,
    which holds the run lock: the process that claimed them is gone (delivery is at least once,
    and a resend carries the same id)."""
    result = session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.status == SENDING)
        .values(status=PENDING, lease_until=None, claim_token=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(session: Session, ids: Sequence[int], token: str, until: datetime) -> None:
    """Give claimed alerts back without counting a try (quiet hours, cooldown)."""
    session.execute(
        update(OutboxEntry)
        .where(_held(ids, token))
        .values(status=PENDING, next_attempt_at=until, lease_until=None, claim_token=None)
    )


def record_attempt(
    session: Session,
    ids: Sequence[int],
    token: str,
    *,
    now: datetime,
    ok: bool,
    seconds: float,
    status_code: int | None = None,
    error: str | None = None,
    retry: datetime | None = None,
    delivered: Sequence[str] = (),
) -> list[int]:
    """Log one try for each alert still held under ``token`` and move it on: sent, pending again
    at ``retry``, or dead. ``delivered`` names the recipients that accepted it on this try when
    others refused: they are kept and not sent it again. Returns the ids recorded; an alert that
    another deliverer took over meanwhile is left alone (its record belongs to the new holder)."""
    recorded: list[int] = []
    for entry in session.scalars(select(OutboxEntry).where(_held(ids, token))):
        entry.attempts += 1
        entry.lease_until = entry.claim_token = None
        if delivered:
            entry.delivered_to = sorted(set(entry.delivered_to or ()) | set(delivered))
        if ok:
            entry.status, entry.sent_at, entry.last_error = SENT, now, None
        elif retry is not None:
            entry.status, entry.next_attempt_at, entry.last_error = PENDING, retry, error
        else:
            entry.status, entry.last_error = DEAD, error
        session.add(
            DeliveryAttempt(
                outbox_id=entry.id, attempted_at=now, ok=ok, status_code=status_code, error=error, seconds=seconds
            )
        )
        recorded.append(entry.id)
    return recorded


def last_sent(session: Session, channel: str, story_id: int) -> datetime | None:
    return session.scalar(
        select(OutboxEntry.sent_at)
        .where(OutboxEntry.channel == channel, OutboxEntry.story_id == story_id, OutboxEntry.status == SENT)
        .order_by(OutboxEntry.sent_at.desc())
        .limit(1)
    )


def disabled_channels(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(AlertChannel.name, AlertChannel.disabled_reason).where(AlertChannel.disabled_at.is_not(None))
    )
    return {name: reason or "disabled" for name, reason in rows}


def disable_channel(session: Session, name: str, reason: str, now: datetime) -> None:
    channel = session.scalar(select(AlertChannel).where(AlertChannel.name == name))
    if channel is None:
        channel = AlertChannel(name=name)
        session.add(channel)
    channel.disabled_at, channel.disabled_reason = now, reason


def enable_channel(session: Session, name: str) -> bool:
    channel = session.scalar(select(AlertChannel).where(AlertChannel.name == name))
    if channel is None or channel.disabled_at is None:
        return False
    channel.disabled_at = channel.disabled_reason = None
    return True


def retry_now(session: Session, outbox_id: int, now: datetime) -> bool:
    """Send a dead-lettered (or any unsent) alert again at once, with the same event id, to the
    recipients that do not have it yet."""
    entry = session.get(OutboxEntry, outbox_id)
    if entry is None or entry.status == SENT:
        return False
    entry.status, entry.next_attempt_at, entry.lease_until, entry.claim_token = PENDING, now, None, None
    return True
