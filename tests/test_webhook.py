"""Webhook delivery (DESIGN §3.4) against a real receiver on loopback (tests/support/receiver.py)."""

from __future__ import annotations

import base64
import socket
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook
from support.receiver import Receiver, Reply

from alerts.types import AlertEvent, ArticleRef, StoryRef
from alerts.webhook import (
    WebhookResult,
    build_digest_request,
    build_request,
    build_test_request,
    send_webhook,
    sign,
    signing_key,
    verify,
)

SECRET = b"correct horse battery staple"
TIMEOUT = 2.0
TITLE_AR = "مسيرات كورية شمالية فوق كورسك"
EVIDENCE_AR = "أطلقت القوات الكورية الشمالية طائرات مسيرة"


def event(event_id: str = "evt_0123456789abcdef") -> AlertEvent:
    return AlertEvent(
        id=event_id,
        type="development",
        watch="nk-troops-kursk",
        story=StoryRef(id=12, title=TITLE_AR, url="http://127.0.0.1:8080/stories/12"),
        article=ArticleRef(
            title=TITLE_AR,
            url="https://www.aljazeera.net/news/2025/2/4/kursk",
            source="Al Jazeera Arabic",
            language="ar",
            published=datetime(2025, 2, 4, 10, 0, tzinfo=UTC),
        ),
        created=datetime(2025, 2, 4, 10, 1, 2, tzinfo=UTC),
        developments=[{"category": "drones", "evidence": EVIDENCE_AR}],
        new_facts=["North Korean units used drones for the first time", EVIDENCE_AR],
    )


def now() -> datetime:
    return datetime.now(UTC)


def post(
    receiver: Receiver, body: bytes, headers: dict[str, str], *, timeout_seconds: float = TIMEOUT
) -> WebhookResult:
    return send_webhook(receiver.url, body, headers, timeout_seconds=timeout_seconds, allow_private=True)


def test_signed_delivery_carries_the_section_3_4_body(receiver: Receiver) -> None:
    receiver.secret = SECRET
    attempt = now()
    body, headers = build_request(event(), SECRET, now=attempt)

    result = post(receiver, body, headers)

    assert result.ok and result.status == 200 and result.error is None and not result.gone
    [got] = receiver.requests
    assert got.method == "POST" and got.path == "/hooks/raqib"
    assert got.verified is True
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"].startswith("Raqib/")
    assert got.headers["webhook-id"] == "evt_0123456789abcdef"
    assert got.headers["webhook-timestamp"] == str(int(attempt.timestamp()))
    assert got.headers["webhook-signature"].startswith("v1,")
    # Arabic travels as UTF-8, not as \u escapes, and the body is exactly what was signed.
    assert got.body == body
    assert TITLE_AR.encode("utf-8") in got.body and b"\\u" not in got.body

    payload = got.json()
    assert set(payload) == {"id", "type", "watch", "story", "article", "developments", "new_facts", "created"}
    assert payload["id"] == "evt_0123456789abcdef"
    assert payload["type"] == "development"
    assert payload["watch"] == "nk-troops-kursk"
    assert payload["story"] == {"id": 12, "title": TITLE_AR, "url": "http://127.0.0.1:8080/stories/12"}
    assert payload["article"] == {
        "title": TITLE_AR,
        "url": "https://www.aljazeera.net/news/2025/2/4/kursk",
        "source": "Al Jazeera Arabic",
        "language": "ar",
        "published": "2025-02-04T10:00:00Z",
    }
    assert payload["developments"] == [{"category": "drones", "evidence": EVIDENCE_AR}]
    assert payload["new_facts"] == ["North Korean units used drones for the first time", EVIDENCE_AR]
    assert payload["created"] == "2025-02-04T10:01:02Z"


def test_a_wrong_secret_fails_verification(receiver: Receiver) -> None:
    receiver.secret = b"not the secret"
    body, headers = build_request(event(), SECRET, now=now())

    post(receiver, body, headers)

    assert receiver.requests[0].verified is False
    assert verify(SECRET, headers, body)
    assert not verify(SECRET, headers, body.replace(b"drones", b"drone"))
    assert not verify(SECRET, {**headers, "webhook-id": "evt_other"}, body)
    assert not verify(SECRET, {k: v for k, v in headers.items() if k != "webhook-signature"}, body)


def test_verify_refuses_a_stale_or_future_timestamp() -> None:
    current = datetime.now(UTC)
    for offset, accepted in ((-290, True), (-310, False), (290, True), (310, False)):
        body, headers = build_request(event(), SECRET, now=current + timedelta(seconds=offset))
        assert verify(SECRET, headers, body) is accepted, f"sent {offset} s from now"


def test_retries_keep_the_id_and_take_a_fresh_timestamp(receiver: Receiver) -> None:
    receiver.secret = SECRET
    receiver.answer(500, 500, 500, 200)
    first = now()

    results = []
    for attempt in range(4):
        body, headers = build_request(event(), SECRET, now=first + timedelta(seconds=10 * attempt))
        results.append(post(receiver, body, headers))

    assert [r.ok for r in results] == [False, False, False, True]
    assert [r.status for r in results] == [500, 500, 500, 200]
    assert results[0].error == f"HTTP 500 from {receiver.base}/…"
    assert results[3].error is None
    assert len(receiver.requests) == 4
    assert {r.headers["webhook-id"] for r in receiver.requests} == {"evt_0123456789abcdef"}
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 4
    assert len({r.headers["webhook-signature"] for r in receiver.requests}) == 4
    assert all(r.verified for r in receiver.requests)
    assert len({r.body for r in receiver.requests}) == 1


def test_410_means_the_receiver_is_gone(receiver: Receiver) -> None:
    receiver.answer(Reply(status=410, body=b"this hook was deleted"))
    body, headers = build_request(event(), SECRET, now=now())

    result = post(receiver, body, headers)

    assert not result.ok and result.gone and result.status == 410
    assert result.error is not None and "410" in result.error and "this hook was deleted" in result.error


def test_429_with_retry_after_says_how_long_to_wait(receiver: Receiver) -> None:
    receiver.answer(
        Reply(status=429, headers={"Retry-After": "7"}),
        Reply(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        Reply(status=503),
        Reply(status=500, headers={"Retry-After": "7"}),
    )
    body, headers = build_request(event(), SECRET, now=now())

    limited, past_date, no_header, not_asked = (post(receiver, body, headers) for _ in range(4))

    assert not limited.ok and limited.status == 429 and limited.retry_after == 7.0 and not limited.gone
    assert limited.error is not None and "HTTP 429" in limited.error and "retry after 7 s" in limited.error
    assert past_date.retry_after == 0.0
    assert no_header.status == 503 and no_header.retry_after is None
    assert not_asked.retry_after is None


def test_a_redirect_is_reported_not_followed(receiver: Receiver) -> None:
    receiver.answer(Reply(status=302, headers={"Location": "/elsewhere?token=abc"}))
    body, headers = build_request(event(), SECRET, now=now())

    result = post(receiver, body, headers)

    assert not result.ok and result.status == 302
    assert result.error is not None
    assert "302" in result.error and "/elsewhere" in result.error and "not followed" in result.error
    assert "token=abc" not in result.error
    assert [r.path for r in receiver.requests] == ["/hooks/raqib"]


def test_a_slow_receiver_times_out_on_the_read_timeout(receiver: Receiver) -> None:
    receiver.answer(Reply(delay=5.0))
    body, headers = build_request(event(), SECRET, now=now())

    started = time.monotonic()
    result = post(receiver, body, headers, timeout_seconds=1.0)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert not result.ok and result.status is None
    assert result.error == f"timed out after 1 s waiting for {receiver.base}/… to answer"


@pytest.mark.parametrize("status", [200, 500])
def test_a_huge_response_body_is_not_read(receiver: Receiver, status: int) -> None:
    receiver.answer(Reply(status=status, body_size=10 * 2**20))
    body, headers = build_request(event(), SECRET, now=now())

    tracemalloc.start()
    started = time.monotonic()
    try:
        result = post(receiver, body, headers)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.status == status and result.ok == (status == 200)
    assert elapsed < 1.0
    assert peak < 2 * 2**20, f"peak {peak} bytes while answering a 10 MB body"
    if status == 500:
        assert result.error is not None and len(result.error) < 400


def test_a_loopback_url_is_refused_unless_private_addresses_are_allowed(receiver: Receiver) -> None:
    body, headers = build_request(event(), SECRET, now=now())

    by_address = send_webhook(receiver.url, body, headers, timeout_seconds=TIMEOUT, allow_private=False)
    by_name = send_webhook(
        f"http://localhost:{receiver.port}/hooks/raqib", body, headers, timeout_seconds=TIMEOUT, allow_private=False
    )
    not_http = send_webhook("file:///etc/passwd", body, headers, timeout_seconds=TIMEOUT, allow_private=True)

    for result in (by_address, by_name, not_http):
        assert not result.ok and result.status is None
        assert result.error is not None and result.error.startswith("refused: ")
    assert "allow_private" in (by_address.error or "")
    assert receiver.requests == []


def test_nothing_listening_is_a_readable_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    body, headers = build_request(event(), SECRET, now=now())

    result = send_webhook(
        f"http://127.0.0.1:{port}/hook?key=s3cret", body, headers, timeout_seconds=TIMEOUT, allow_private=True
    )

    assert not result.ok and result.status is None
    assert result.error is not None and result.error.startswith(f"could not connect to http://127.0.0.1:{port}/…")
    assert "s3cret" not in result.error


def test_a_whsec_secret_is_base64_after_the_prefix(receiver: Receiver) -> None:
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    receiver.secret = secret
    body, headers = build_request(event(), secret, now=now())

    assert post(receiver, body, headers).ok
    assert receiver.requests[0].verified is True
    assert signing_key(secret) == key
    assert verify(key, headers, body)  # the decoded key verifies the same signature
    assert not verify(secret[len("whsec_") :].encode(), headers, body)  # the base64 text itself does not
    assert signing_key("plain secret") == b"plain secret"
    # a secret without the prefix is its UTF-8 bytes: a receiver's library given those bytes agrees
    body, headers = build_request(event(), "كلمة سر plain", now=now())
    Webhook("كلمة سر plain".encode()).verify(body, headers, json_parse=False)
    with pytest.raises(ValueError, match="base64"):
        signing_key("whsec_not base64!")


def test_the_standard_webhooks_reference_vector() -> None:
    # From the Standard Webhooks reference libraries: proves a receiver's library accepts ours.
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,bm9wZQ== " + signature,  # several signatures during key rotation
    }
    # the reference library, receiving it, accepts it (it checks the time too: sign it fresh)
    stamp = int(datetime.now(UTC).timestamp())
    fresh = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers["webhook-id"], stamp, b'{"test": 2432232314}')
    headers |= {"webhook-timestamp": str(stamp), "webhook-signature": "v1,bm9wZQ== " + fresh}
    Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(b'{"test": 2432232314}', headers, json_parse=False)


def test_a_digest_carries_several_events_in_one_signed_delivery(receiver: Receiver) -> None:
    receiver.secret = SECRET
    attempt = now()
    body, headers = build_digest_request("dig_hourly_42", [event("evt_a"), event("evt_b")], SECRET, attempt)

    assert post(receiver, body, headers).ok

    [got] = receiver.requests
    assert got.verified is True and got.headers["webhook-id"] == "dig_hourly_42"
    payload = got.json()
    assert set(payload) == {"id", "type", "events", "created"}
    assert payload["id"] == "dig_hourly_42" and payload["type"] == "digest"
    assert [e["id"] for e in payload["events"]] == ["evt_a", "evt_b"]
    assert payload["events"][0]["story"]["title"] == TITLE_AR
    assert payload["created"] == attempt.isoformat().replace("+00:00", "Z")


def test_a_test_message_is_signed_and_shaped_like_an_event(receiver: Receiver) -> None:
    receiver.secret = SECRET
    body, headers = build_test_request("ops-hook", SECRET, now())

    assert post(receiver, body, headers).ok

    [got] = receiver.requests
    assert got.verified is True
    payload = got.json()
    assert payload["type"] == "test" and payload["channel"] == "ops-hook"
    assert payload["id"].startswith("evt_") and got.headers["webhook-id"] == payload["id"]
    assert {"id", "type", "watch", "story", "article", "developments", "new_facts", "created"} <= set(payload)
    assert "رقيب" in payload["story"]["title"]


def test_without_a_secret_the_delivery_is_unsigned(receiver: Receiver) -> None:
    body, headers = build_request(event(), None, now=now())

    assert post(receiver, body, headers).ok
    assert "webhook-signature" not in receiver.requests[0].headers
    assert receiver.requests[0].headers["webhook-id"] == "evt_0123456789abcdef"
