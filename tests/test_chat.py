"""Chat and push alerts through Apprise, offline: its json:// and form:// targets pointed at real
receivers on loopback, real crawls and the real outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from support.crawl import crawl_json, raqib, write_config
from support.receiver import Receiver, Reply
from test_alerts import outbox_rows

from alerts import chat
from alerts.channels import build_deliverer
from alerts.types import AlertEvent, ArticleRef, StoryRef
from config.loader import load_config
from raqib.feedserver import FeedServer
from storage.db import Database

RLM = "\u200f"


def chat_alert(extra: str = "") -> str:
    return f"""
[[alerts]]
name = "desk-chat"
kind = "apprise"
urls_env = "RAQIB_CHAT_URLS"
on = ["new_story", "development"]
{extra}
"""


def arabic_event(**changes: object) -> AlertEvent:
    base: dict[str, object] = {
        "id": "evt_chat",
        "type": "development",
        "watch": "nk-troops-kursk",
        "story": StoryRef(7, "قوات كورية شمالية في كورسك", "http://raqib.example/stories/7"),
        "article": ArticleRef(
            "مسيرات كورية شمالية فوق كورسك", "https://aj.example/a/1", "الجزيرة", "ar", datetime(2025, 2, 4, tzinfo=UTC)
        ),
        "created": datetime(2025, 2, 4, 10, tzinfo=UTC),
        "developments": [{"category": "drones", "evidence": "أطلقت القوات الكورية الشمالية طائرات مسيرة"}],
        "new_facts": ["أطلقت القوات الكورية الشمالية طائرات مسيرة للمرة الأولى " * 5],
    }
    base.update(changes)
    return AlertEvent(**base)  # type: ignore[arg-type]


def test_a_chat_message_is_short_right_to_left_for_arabic_and_links_the_story() -> None:
    event = arabic_event()
    title, body = chat.chat_title([event]), chat.chat_body([event])
    lines = body.split("\n")
    assert title.startswith(RLM + "[Raqib] development: قوات كورية")
    assert lines[0] == "What is new: first report of drones", "English words read left to right"
    assert lines[1].startswith(RLM + "«") and len(lines[1]) <= chat.MAX_FACT + 3, "one new sentence, cut short"
    assert lines[2] == RLM + "الجزيرة: https://aj.example/a/1"
    assert lines[3] == "Raqib: http://raqib.example/stories/7"
    assert len(lines) == 4
    english = chat.chat_body([arabic_event(article=ArticleRef("Drones", "javascript:alert(1)", "Wire", "en", None))])
    assert RLM not in english.split("\n")[0] and "javascript:" not in english, "no link that is not http(s)"


def test_a_digest_is_one_line_per_alert_and_says_how_many_more() -> None:
    events = [
        arabic_event(id=f"evt_{n}", story=StoryRef(n, f"story {n}", f"http://r.example/stories/{n}")) for n in range(14)
    ]
    body = chat.chat_body(events, digest_title="hourly update")
    lines = body.split("\n")
    assert len(lines) == chat.MAX_DIGEST_LINES + 1 and lines[-1] == "… and 4 more"
    assert lines[0].startswith("• development: story 0 — first report of drones") and "/stories/0" in lines[0]
    quiet = arabic_event(developments=[], new_facts=["جملة جديدة"])
    assert chat.chat_body([quiet, quiet], digest_title="hourly update").startswith(
        RLM + "• development: قوات كورية شمالية في كورسك — جملة جديدة"
    ), "without a named change, the new sentence says what is new"


def test_a_crawl_sends_each_alert_to_every_url_json_and_form(tmp_path: Path, feed_server: FeedServer) -> None:
    with Receiver() as json_side, Receiver() as form_side:
        urls = f"json://127.0.0.1:{json_side.port}/hooks/raqib, form://127.0.0.1:{form_side.port}/chat"
        config = write_config(
            tmp_path, [{"name": "عربي", "url": feed_server.url("ar_utf8.xml"), "language": "ar"}], extra=chat_alert()
        )
        crawl = crawl_json(config, env={"RAQIB_CHAT_URLS": urls})
        assert crawl.returncode == 0, crawl.stderr
        sent = outbox_rows(tmp_path)
        assert sent and all(row.status == "sent" for row in sent)
        assert len(json_side.requests) == len(form_side.requests) == len(sent)
        message = json_side.requests[0].json()
        assert message["title"].startswith(RLM + "[Raqib] ") and len(message["title"]) < 160
        lines = message["body" if "body" in message else "message"].split("\n")
        assert 2 <= len(lines) <= 4 and any("/stories/" in line for line in lines)
        assert any(line.startswith(RLM) and "\u0600" <= line[1] <= "\u06ff" for line in lines), "Arabic reads RTL"
        form = parse_qs(form_side.requests[0].body.decode("utf-8"))
        assert form["title"] == [message["title"]] and form["message"][0].split("\n") == lines


def test_a_429_is_obeyed_and_only_the_refusing_url_is_tried_again(tmp_path: Path, feed_server: FeedServer) -> None:
    with Receiver() as busy, Receiver() as fine:
        busy.answer(Reply(429, headers={"Retry-After": "600"}))
        env = {"RAQIB_CHAT_URLS": f"json://127.0.0.1:{busy.port}/a json://127.0.0.1:{fine.port}/b"}
        config_path = write_config(
            tmp_path, [{"name": "Plain", "url": feed_server.url("no_guid_no_date.xml")}], extra=chat_alert()
        )
        crawl_json(config_path, env=env)
        [row] = outbox_rows(tmp_path)
        assert (len(busy.requests), len(fine.requests)) == (1, 1)
        assert (
            row.status == "pending" and "HTTP 429" in (row.last_error or "") and "retry after 600 s" in row.last_error
        )
        failed_at = datetime.now(UTC)
        assert row.next_attempt_at >= failed_at + timedelta(seconds=590), "the service's wait, not the 5 s step"
        assert row.delivered_to == [chat.recipient_key(f"json://127.0.0.1:{fine.port}/b")]
        assert f"127.0.0.1:{busy.port}/a" not in row.last_error, "no path (tokens live there) in errors"

        config = load_config(config_path, data_dir=tmp_path)
        database = Database(config.database)
        deliverer = build_deliverer(config, database, env)
        deliverer.clock = lambda: failed_at + timedelta(seconds=300)
        assert deliverer.deliver_due().sent == 0 and len(busy.requests) == 1, "not before the wait is over"
        deliverer.clock = lambda: failed_at + timedelta(seconds=601)
        assert deliverer.deliver_due().sent == 1
        database.dispose()
        assert (len(busy.requests), len(fine.requests)) == (2, 1), "the URL that had it is not sent it again"
        assert busy.requests[1].json() == fine.requests[0].json()


def test_chat_urls_to_private_addresses_are_refused(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    env = {"RAQIB_CHAT_URLS": f"json://127.0.0.1:{receiver.port}/hooks"}
    config = write_config(tmp_path, [], allow_private=False, extra=chat_alert())
    result = raqib(config, "alerts", "test", "desk-chat", env=env)
    assert result.returncode == 1 and "private or loopback" in result.stderr
    assert receiver.requests == []
    unknown = raqib(config, "alerts", "test", "desk-chat", env={"RAQIB_CHAT_URLS": "nosuch://token@x"})
    assert unknown.returncode == 1 and "Apprise does not know this URL (nosuch://…)" in unknown.stderr
    assert "token" not in unknown.stderr
    missing = raqib(config, "alerts", "test", "desk-chat", env={"RAQIB_CHAT_URLS": ""})
    assert missing.returncode == 1 and "RAQIB_CHAT_URLS holds no URL" in missing.stderr


def test_alerts_test_sends_a_marked_chat_message(tmp_path: Path, receiver: Receiver) -> None:
    config = write_config(tmp_path, [], extra=chat_alert())
    result = raqib(
        config, "alerts", "test", "desk-chat", env={"RAQIB_CHAT_URLS": f"json://127.0.0.1:{receiver.port}/t"}
    )
    assert result.returncode == 0 and "test message delivered" in result.stdout
    message = receiver.requests[0].json()
    assert message["title"] == "[Raqib] test message (desk-chat)"
    assert RLM + "رسالة اختبار من رقيب" in message["message"]


def test_config_check_asks_an_apprise_channel_for_its_variable(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, [], extra=chat_alert().replace('urls_env = "RAQIB_CHAT_URLS"', 'url = "https://x.example/"')
    )
    result = raqib(config, "config", "check")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "an apprise alert needs urls_env" in output and "url is for webhook alerts, not apprise" in output
