"""Alert delivery end to end: real crawls, a real webhook receiver and a real SMTP server on
loopback, the real outbox in SQLite, and `raqib run` killed with SIGKILL mid-delivery."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from support.crawl import FIXTURES, crawl_json, raqib, write_config
from support.receiver import Receiver, Reply
from support.smtp import SmtpServer, _Collector, free_port

from alerts.channels import build_deliverer
from config.loader import load_config
from raqib.feedserver import FeedRequestHandler, FeedServer
from raqib.lock import RunLock
from storage.db import Database
from storage.models import DeliveryAttempt, OutboxEntry

SECRET = "whsec_" + "c2VjcmV0LWZvci10ZXN0cy1vbmx5LTEyMzQ1Ng=="
ENV = {"RAQIB_TEST_SECRET": SECRET}
PAYLOAD_KEYS = {"id", "type", "watch", "story", "article", "developments", "new_facts", "created"}


def webhook_alert(url: str, extra: str = "") -> str:
    return f"""
[[alerts]]
name = "ops-hook"
kind = "webhook"
url = "{url}"
secret_env = "RAQIB_TEST_SECRET"
on = ["new_story", "development"]
{extra}
"""


def email_alert(port: int, extra: str = "", to: tuple[str, ...] = ("desk@example.org",)) -> str:
    return f"""
[[alerts]]
name = "analysts"
kind = "email"
to = {json.dumps(list(to))}
sender = "raqib@example.org"
smtp = {{ host = "127.0.0.1", port = {port}, timeout = "3s" }}
on = ["new_story", "development"]
{extra}
"""


def outbox_rows(folder: Path) -> list[OutboxEntry]:
    database = Database(f"sqlite:///{folder / 'raqib.db'}")
    with database.session() as session:
        rows = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))
    database.dispose()
    return rows


@pytest.fixture
def hook(receiver: Receiver) -> Iterator[Receiver]:
    receiver.secret = SECRET
    yield receiver


def test_a_crawl_sends_one_signed_webhook_per_alerting_event(
    tmp_path: Path, feed_server: FeedServer, hook: Receiver
) -> None:
    config = write_config(
        tmp_path, [{"name": "English", "url": feed_server.url("rss_en.xml")}], extra=webhook_alert(hook.url)
    )
    first = crawl_json(config, env=ENV)
    assert first.returncode == 0, first.stderr
    assert first.json()["alerts"]["sent"] >= 1
    rows = outbox_rows(tmp_path)
    assert rows and all(row.status == "sent" for row in rows)
    assert sorted(r.headers["webhook-id"] for r in hook.requests) == sorted(row.event_id for row in rows)
    for request in hook.requests:
        assert request.verified, "the signature verifies with the shared secret"
        assert request.headers["content-type"] == "application/json"
        payload = request.json()
        assert set(payload) == PAYLOAD_KEYS
        assert payload["type"] in ("new_story", "development") and payload["watch"] == "nk-troops-kursk"
        assert re.fullmatch(r"http://127.0.0.1:\d+/stories/\d+", payload["story"]["url"])
        assert payload["article"]["source"] == "English" and payload["article"]["language"] == "en"
        assert payload["created"].endswith("Z")
    count = len(hook.requests)
    assert crawl_json(config, env=ENV).returncode == 0
    assert len(hook.requests) == count, "a second crawl stores nothing new and sends nothing"


def test_a_webhook_without_its_secret_sends_nothing_and_says_why(
    tmp_path: Path, feed_server: FeedServer, hook: Receiver
) -> None:
    config = write_config(
        tmp_path, [{"name": "English", "url": feed_server.url("rss_en.xml")}], extra=webhook_alert(hook.url)
    )
    result = raqib(config, "crawl", env={"RAQIB_TEST_SECRET": ""})
    assert hook.requests == []
    assert "RAQIB_TEST_SECRET is not set" in result.stdout
    assert all(row.status == "pending" for row in outbox_rows(tmp_path))


def test_arabic_email_alerts(tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer) -> None:
    config = write_config(
        tmp_path,
        [{"name": "عربي", "url": feed_server.url("ar_utf8.xml"), "language": "ar"}],
        extra=email_alert(smtp_server.port),
    )
    assert crawl_json(config).returncode == 0
    rows = outbox_rows(tmp_path)
    mails = smtp_server.messages
    assert len(mails) == len(rows) >= 1, "one message per event"
    for mail in mails:
        message = mail.message
        subject = str(make_header(decode_header(message["Subject"])))
        assert subject.startswith("[Raqib] ") and any("\u0600" <= ch <= "\u06ff" for ch in subject)
        assert mail.rcpt_tos == ["desk@example.org"]
        html = message.get_body(preferencelist=("html",))
        text = message.get_body(preferencelist=("plain",))
        assert html is not None and text is not None
        assert 'dir="rtl"' in html.get_content() and 'lang="ar"' in html.get_content()
        assert "عربي" in text.get_content()
    assert sorted(mail.message["Message-ID"] for mail in mails) == sorted(f"<{row.event_id}@raqib>" for row in rows)


def test_smtp_down_then_up_delivers_each_mail_exactly_once(tmp_path: Path, feed_server: FeedServer) -> None:
    port = free_port()
    config = write_config(
        tmp_path, [{"name": "English", "url": feed_server.url("rss_en.xml")}], extra=email_alert(port)
    )
    down = raqib(config, "crawl")
    assert "to retry" in down.stdout and "127.0.0.1" in down.stdout
    rows = outbox_rows(tmp_path)
    assert rows and all(row.status == "pending" and row.attempts == 1 for row in rows)
    assert all("refused" in (row.last_error or "") for row in rows)

    collector = _Collector(refuse=frozenset())
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        time.sleep(5.5)  # the first retry is due 5 seconds after the failure
        assert raqib(config, "alerts", "deliver").returncode == 0
        assert raqib(config, "alerts", "deliver").returncode == 0
    finally:
        controller.stop()
    ids = sorted(mail.message["Message-ID"] for mail in SmtpServer("127.0.0.1", port, collector).messages)
    assert ids == sorted(f"<{row.event_id}@raqib>" for row in rows), "each mail arrives exactly once"
    assert all(row.status == "sent" for row in outbox_rows(tmp_path))


def test_smtp_refusing_one_recipient_resends_to_that_recipient_only(tmp_path: Path, feed_server: FeedServer) -> None:
    port = free_port()
    collector = _Collector(refuse=frozenset({"analyst@example.org"}))
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    server = SmtpServer("127.0.0.1", port, collector)
    try:
        config = write_config(
            tmp_path,
            [{"name": "English", "url": feed_server.url("rss_en.xml")}],
            extra=email_alert(port, to=("desk@example.org", "analyst@example.org")),
        )
        crawl = raqib(config, "crawl")
        rows = outbox_rows(tmp_path)
        assert rows and len(server.messages) == len(rows), crawl.stdout
        assert all(mail.rcpt_tos == ["desk@example.org"] for mail in server.messages), "sent to the accepted one"
        assert all(row.status == "dead" and row.delivered_to == ["desk@example.org"] for row in rows)
        listed = raqib(config, "alerts", "list", "--failed")
        assert "analyst@example.org: 550" in listed.stdout and "delivered to desk@example.org" in listed.stdout

        collector.refuse = frozenset()  # the analyst's mailbox exists again
        retried = raqib(config, "alerts", "retry", str(rows[0].id))
        assert retried.returncode == 0 and retried.stdout.startswith("1 sent"), retried.stdout
    finally:
        controller.stop()
    resent = server.messages[len(rows) :]
    assert [mail.rcpt_tos for mail in resent] == [["analyst@example.org"]], "only the refused recipient again"
    assert resent[0].message["Message-ID"] == f"<{rows[0].event_id}@raqib>"
    after = outbox_rows(tmp_path)
    assert after[0].status == "sent" and after[0].delivered_to == ["desk@example.org"]
    assert all(row.status == "dead" for row in after[1:])


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_retries_back_off_and_keep_the_webhook_id(tmp_path: Path, feed_server: FeedServer, hook: Receiver) -> None:
    hook.answer(500, 500, 500)
    config_path = write_config(
        tmp_path, [{"name": "Plain", "url": feed_server.url("no_guid_no_date.xml")}], extra=webhook_alert(hook.url)
    )
    crawl_json(config_path, env=ENV)  # the first try happens right after the crawl: 500
    assert len(hook.requests) == 1
    config = load_config(config_path, data_dir=tmp_path)
    database = Database(config.database)
    with database.session() as session:
        failed_at = session.scalars(select(DeliveryAttempt.attempted_at)).one()
    clock = Clock()
    deliverer = build_deliverer(config, database, ENV)
    deliverer.clock = clock
    second = timedelta(seconds=1)
    # each retry waits its step of the schedule, and not a second less
    for wait, answer in ((timedelta(seconds=5), 500), (timedelta(minutes=5), 500), (timedelta(minutes=30), 200)):
        time.sleep(1.1)  # a real second between tries: each one is stamped and signed afresh
        clock.now = failed_at + wait - second
        tries = len(hook.requests)
        assert deliverer.deliver_due().sent == 0 and len(hook.requests) == tries, f"nothing before {wait}"
        clock.now = failed_at + wait
        report = deliverer.deliver_due()
        assert len(hook.requests) == tries + 1
        assert (report.sent, report.failed) == ((1, 0) if answer == 200 else (0, 1))
        failed_at = clock.now
    assert deliverer.deliver_due().sent == 0, "nothing is sent twice"
    with database.session() as session:
        entry = session.scalars(select(OutboxEntry)).one()
        attempts = list(session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)))
    database.dispose()
    assert entry.status == "sent" and entry.attempts == 4
    assert [attempt.status_code for attempt in attempts] == [500, 500, 500, 200]
    assert [attempt.ok for attempt in attempts] == [False, False, False, True]
    assert {request.headers["webhook-id"] for request in hook.requests} == {entry.event_id}, "the same id each time"
    stamps = [int(request.headers["webhook-timestamp"]) for request in hook.requests]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4, "each try carries its own timestamp"
    assert len({request.headers["webhook-signature"] for request in hook.requests}) == 4
    assert all(request.verified for request in hook.requests), "and a signature that verifies"


def test_gone_disables_the_channel_and_says_so(tmp_path: Path, feed_server: FeedServer, hook: Receiver) -> None:
    hook.answer(410)
    config = write_config(
        tmp_path, [{"name": "Plain", "url": feed_server.url("no_guid_no_date.xml")}], extra=webhook_alert(hook.url)
    )
    result = raqib(config, "crawl", env=ENV)
    assert "ops-hook disabled" in result.stdout and "410" in result.stdout
    failed = raqib(config, "alerts", "list", "--failed", env=ENV)
    assert "dead" in failed.stdout and "410 Gone" in failed.stdout
    assert len(hook.requests) == 1
    enabled = raqib(config, "alerts", "enable", "ops-hook", env=ENV)
    assert enabled.returncode == 0 and "enabled again" in enabled.stdout
    again = raqib(config, "alerts", "enable", "ops-hook", env=ENV)
    assert again.returncode == 2 and "is not disabled" in again.stderr


def test_alerts_test_sends_a_marked_message(tmp_path: Path, hook: Receiver, smtp_server: SmtpServer) -> None:
    config = write_config(tmp_path, [], extra=webhook_alert(hook.url) + email_alert(smtp_server.port))
    assert raqib(config, "alerts", "test", "ops-hook", env=ENV).returncode == 0
    assert raqib(config, "alerts", "test", "analysts", env=ENV).returncode == 0
    assert hook.requests[0].json()["type"] == "test" and hook.requests[0].verified
    assert "test message" in str(make_header(decode_header(smtp_server.messages[0].message["Subject"])))
    unknown = raqib(config, "alerts", "test", "nope", env=ENV)
    assert unknown.returncode == 2 and "ops-hook" in unknown.stderr


def _start_run(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **ENV, "RAQIB_DATA": str(config.parent / "data"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(
        [sys.executable, "-m", "raqib", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_kill_9_while_delivering_then_restart_loses_nothing(
    tmp_path: Path, feed_server: FeedServer, hook: Receiver
) -> None:
    hook.default = Reply(delay=1.5)  # slow enough to be killed mid-delivery
    config = write_config(
        tmp_path,
        [
            {"name": "English", "url": feed_server.url("rss_en.xml")},
            {"name": "Arabic", "url": feed_server.url("ar_utf8.xml"), "language": "ar"},
        ],
        extra=webhook_alert(hook.url),
    )
    first = _start_run(config)
    try:
        assert _wait(lambda: len(hook.requests) >= 1, 60), "the run starts delivering"
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    expected = {row.event_id for row in outbox_rows(tmp_path)}
    assert len(expected) >= 3
    assert any(row.status != "sent" for row in outbox_rows(tmp_path)), "killed before it finished"

    hook.default = Reply()
    second = _start_run(config)
    try:
        delivered = _wait(lambda: {r.headers["webhook-id"] for r in hook.requests} >= expected, 60)
    finally:
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=60)
    assert delivered, output
    assert second.returncode == 0, output
    received = [request.headers["webhook-id"] for request in hook.requests]
    assert set(received) == expected, "every pending alert arrives"
    assert all(request.verified for request in hook.requests)
    assert all(row.status == "sent" for row in outbox_rows(tmp_path))


def test_a_second_run_on_the_same_database_refuses_to_start(tmp_path: Path, feed_server: FeedServer) -> None:
    config = write_config(tmp_path, [{"name": "English", "url": feed_server.url("rss_en.xml")}])
    first = _start_run(config)
    try:
        assert _wait(lambda: (tmp_path / "raqib.db.run.lock").exists(), 30)
        time.sleep(1)
        second = _start_run(config)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "already" in output and "raqib.db" in output
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 0


def test_sigterm_keeps_the_run_lock_until_the_crawl_and_its_delivery_have_finished(
    tmp_path: Path, feed_server: FeedServer, hook: Receiver
) -> None:
    fetching = threading.Event()
    body = (FIXTURES / "rss_en.xml").read_bytes()

    def slow_feed(handler: FeedRequestHandler) -> None:
        fetching.set()
        time.sleep(8)  # the crawl is busy with this feed when the signal comes
        handler.send_body(200, body, "application/rss+xml")

    feed_server.routes["/slow.xml"] = slow_feed
    config = write_config(
        tmp_path, [{"name": "Slow", "url": feed_server.url("slow.xml")}], timeout="30s", extra=webhook_alert(hook.url)
    )
    first = _start_run(config)
    try:
        assert fetching.wait(60), "the run starts crawling"
        first.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        second = _start_run(config)
        try:
            refused, _ = second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.communicate()
            raise AssertionError("a second `raqib run` started while the first was still crawling") from None
        assert second.returncode == 1 and "already" in refused, refused
        assert first.poll() is None, "the second was refused because the first was still finishing"
    finally:
        output, _ = first.communicate(timeout=90)
    assert first.returncode == 0, output
    assert "waiting for the running crawl and delivery to finish" in output
    rows = outbox_rows(tmp_path)
    assert rows and all(row.status == "sent" for row in rows), "its crawl was stored and its alerts delivered"
    assert {request.headers["webhook-id"] for request in hook.requests} == {row.event_id for row in rows}
    RunLock(f"sqlite:///{tmp_path / 'raqib.db'}").acquire().release()  # and then the lock is free
