"""Alerts out: the outbox newest first, each alert with every delivery attempt, and the channels
a receiver's 410 Gone disabled."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from storage.models import AlertChannel, DeliveryAttempt, OutboxEntry

from .common import PER_PAGE, Page, ReadModel, bounds


class AlertAttempt(ReadModel):
    attempted_at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    seconds: float


class AlertRow(ReadModel):
    id: int
    event_id: str
    channel: str
    event_type: str
    watch: str
    story_id: int | None
    story_title: str
    article_title: str
    language: str
    status: str = Field(description="pending | sending | sent | dead")
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_to: list[str] = Field(default=[], description="email recipients that accepted it (per-recipient status)")
    delivery_attempts: list[AlertAttempt] = []


def alerts_page(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[AlertRow]:
    """Alerts newest first, each with every delivery attempt (one query for the page's attempts)."""
    page, per_page = bounds(page, per_page)
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(OutboxEntry.status == status)
    if channel:
        conditions.append(OutboxEntry.channel == channel)
    where = and_(*conditions) if conditions else None
    count = select(func.count(OutboxEntry.id))
    query = select(OutboxEntry)
    if where is not None:
        count, query = count.where(where), query.where(where)
    total = session.scalar(count) or 0
    entries = session.scalars(query.order_by(OutboxEntry.id.desc()).limit(per_page).offset((page - 1) * per_page))
    items = []
    for entry in entries:
        payload = entry.payload or {}
        items.append(
            AlertRow(
                id=entry.id,
                event_id=entry.event_id,
                channel=entry.channel,
                event_type=entry.event_type,
                watch=entry.watch,
                story_id=entry.story_id,
                story_title=str((payload.get("story") or {}).get("title", "")),
                article_title=str((payload.get("article") or {}).get("title", "")),
                language=entry.language,
                status=entry.status,
                attempts=entry.attempts,
                next_attempt_at=entry.next_attempt_at,
                last_error=entry.last_error,
                created_at=entry.created_at,
                sent_at=entry.sent_at,
                delivered_to=list(entry.delivered_to or ()),
            )
        )
    by_id = {item.id: item for item in items}
    if by_id:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.outbox_id.in_(list(by_id)))
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        )
        for attempt in attempts:
            by_id[attempt.outbox_id].delivery_attempts.append(AlertAttempt.model_validate(attempt))
    return Page[AlertRow](items=items, total=total, page=page, per_page=per_page)


def disabled_channels(session: Session) -> dict[str, tuple[datetime | None, str]]:
    rows = session.execute(
        select(AlertChannel.name, AlertChannel.disabled_at, AlertChannel.disabled_reason).where(
            AlertChannel.disabled_at.is_not(None)
        )
    )
    return {name: (disabled_at, reason or "disabled") for name, disabled_at, reason in rows}
