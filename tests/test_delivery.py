"""No alert sent twice: one deliverer at a time in a process, a fencing token on every claim so a
deliverer whose lease ran out can neither send nor record what another took over, and message
ids that stay the same across retries. Real outbox rows in SQLite, a real webhook receiver on
loopback, and a second deliverer as a real `raqib alerts deliver` process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from support.crawl import raqib
from support.receiver import Receiver, Reply
from test_alert_rules import SECRET, T0, Desk, setup
from test_stories_seed import DRONES, ENGLISH_WIRE, MORE_TROOPS

from alerts.deliver import Deliverer, DeliveryReport
from storage import outbox
from storage.models import DeliveryAttempt, OutboxEntry


class LateClock:
    """Reads ``claimed_at`` for the claim, then the real time: a batch that outlived its lease."""

    def __init__(self, claimed_at: datetime) -> None:
        self.claimed_at: datetime | None = claimed_at

    def __call__(self) -> datetime:
        first, self.claimed_at = self.claimed_at, None
        return first or datetime.now(UTC)


def three_alerts(desk: Desk) -> None:
    decided = datetime.now(UTC) - timedelta(minutes=20)
    for entry in (ENGLISH_WIRE, MORE_TROOPS, DRONES):
        desk.store(entry, decided)


def in_thread(work: Callable[[], DeliveryReport]) -> tuple[threading.Thread, list[DeliveryReport]]:
    reports: list[DeliveryReport] = []
    thread = threading.Thread(target=lambda: reports.append(work()), daemon=True)
    thread.start()
    return thread, reports


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def rows(desk: Desk) -> list[OutboxEntry]:
    with desk.database.session() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def attempts(desk: Desk) -> int:
    with desk.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(DeliveryAttempt)) or 0)


def test_a_deliverer_whose_lease_ran_out_does_not_send_what_another_took_over(
    tmp_path: Path, receiver: Receiver
) -> None:
    # The first send is held until another process has started and delivered: that can take more
    # than the suite's 3 s send deadline on a loaded machine (seen: a timeout, not a take-over).
    desk = setup(tmp_path, receiver, "", timeout="60s")
    three_alerts(desk)
    gate = threading.Event()
    receiver.answer(Reply(release=gate))  # the first alert's receiver answers when the test says
    desk.deliverer.clock = LateClock(datetime.now(UTC) - timedelta(minutes=10))
    first, reports = in_thread(desk.deliverer.deliver_due)
    try:
        wait_for(lambda: len(receiver.requests) == 1)
        # Meanwhile another process delivers: the leases of the two alerts the first deliverer has
        # not reached yet ran out, so it takes them over and sends them.
        other = raqib(tmp_path / "raqib.toml", "alerts", "deliver", env={"SECRET": SECRET})
        assert other.returncode == 0 and other.stdout.startswith("2 sent"), other.stdout + other.stderr
    finally:
        gate.set()
        first.join(30)
    [report] = reports
    assert (report.sent, report.taken_over) == (1, 2), report.line()
    assert "taken over by another deliverer" in report.line()
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(ids) == 3 and set(ids) == {row.event_id for row in rows(desk)}, "each alert arrives once"
    assert all(row.status == "sent" and row.attempts == 1 for row in rows(desk))
    assert attempts(desk) == 3, "one recorded try per alert: the stale deliverer recorded nothing"
    desk.database.dispose()


def test_a_stale_holder_cannot_record_an_attempt(tmp_path: Path, receiver: Receiver) -> None:
    desk = setup(tmp_path, receiver, "")
    desk.store(ENGLISH_WIRE, T0)
    lease = timedelta(minutes=5)
    with desk.database.session() as session:
        [stale] = outbox.claim_due(session, T0, lease)
    with desk.database.session() as session:
        [taken] = outbox.claim_due(session, T0 + lease + timedelta(seconds=1), lease)
    assert taken.id == stale.id and taken.token != stale.token
    with desk.database.session() as session:
        assert outbox.hold_for_send(session, [stale.id], stale.token, message_id="x", now=T0, lease=lease) == set()
        assert outbox.record_attempt(session, [stale.id], stale.token, now=T0, ok=True, seconds=1.0) == []
    [row] = rows(desk)
    assert (row.status, row.attempts, row.claim_token) == ("sending", 0, taken.token), "the record was refused"
    assert attempts(desk) == 0
    with desk.database.session() as session:
        assert outbox.record_attempt(session, [taken.id], taken.token, now=T0, ok=True, seconds=1.0) == [taken.id]
    assert rows(desk)[0].status == "sent"
    desk.database.dispose()


def test_two_deliverers_in_one_process_take_turns(tmp_path: Path, receiver: Receiver) -> None:
    # `raqib run` delivers every 30 seconds and after each crawl, from two threads.
    desk = setup(tmp_path, receiver, "")
    three_alerts(desk)
    gate = threading.Event()
    receiver.answer(Reply(release=gate))
    desk.deliverer.clock = LateClock(datetime.now(UTC) - timedelta(minutes=10))
    second = Deliverer(desk.database, desk.deliverer.channels, desk.deliverer.senders)
    first, first_reports = in_thread(desk.deliverer.deliver_due)
    try:
        wait_for(lambda: len(receiver.requests) == 1)
        other, other_reports = in_thread(second.deliver_due)
        time.sleep(1.0)
        assert len(receiver.requests) == 1, "the second waits for the first instead of taking its alerts"
    finally:
        gate.set()
        first.join(30)
    other.join(30)
    assert first_reports[0].sent == 3 and other_reports[0].sent == 0
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(ids) == 3 == len(set(ids))
    desk.database.dispose()


def test_a_digest_keeps_its_id_when_more_alerts_are_due_at_its_retry(tmp_path: Path, receiver: Receiver) -> None:
    desk = setup(tmp_path, receiver, 'digest = "hourly"')
    receiver.answer(500)
    desk.store(ENGLISH_WIRE, T0 + timedelta(minutes=5))
    desk.store(MORE_TROOPS, T0 + timedelta(minutes=20))
    desk.clock.now = T0 + timedelta(hours=1, seconds=1)
    assert desk.deliverer.deliver_due().failed == 2
    failed = receiver.requests[0].json()
    # a report of the next hour: due at 14:00, when the first digest's retry is due too
    desk.store(DRONES, T0 + timedelta(hours=1, seconds=2))
    desk.clock.now = T0 + timedelta(hours=2, seconds=1)
    assert desk.deliverer.deliver_due().sent == 3
    retried, later = (request.json() for request in receiver.requests[1:])
    assert retried["id"] == failed["id"] and receiver.requests[1].headers["webhook-id"] == failed["id"]
    assert [e["id"] for e in retried["events"]] == [e["id"] for e in failed["events"]], "the same digest again"
    assert later["id"] != failed["id"] and [e["type"] for e in later["events"]] == ["development"]
    assert all(request.verified for request in receiver.requests)
    desk.database.dispose()
