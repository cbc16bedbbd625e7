"""Email alerts through a real SMTP server on loopback (tests/support/smtp.py): what arrives is
decoded and checked as a reader and a mail server would see it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from support.smtp import SmtpServer, StartServer, free_port

from alerts import render
from alerts.email import (
    EmailDeliveryError,
    build_email,
    build_test_email,
    message_id_header,
    send_email,
    send_with_settings,
)
from alerts.types import AlertEvent, ArticleRef, StoryRef
from config.schema import SmtpSettings

SENDER = "Raqib رقيب <raqib@example.org>"
TO = ["desk@example.org", "analyst@example.org"]
AR_STORY = "قوات كورية شمالية في كورسك"
AR_FACT = "قالت مصادر أوكرانية إن القوات الكورية الشمالية استخدمت طائرات مسيرة في هجوم ليلي قرب سودجا."
CREATED = datetime(2025, 2, 4, 10, 1, 2, tzinfo=UTC)


def arabic_event(event_id: str = "evt_0a1b2c3d", **changes: object) -> AlertEvent:
    fields: dict[str, object] = {
        "id": event_id,
        "type": "development",
        "watch": "nk-troops-kursk",
        "story": StoryRef(12, AR_STORY, "http://127.0.0.1:8080/stories/12"),
        "article": ArticleRef(
            title="ارتفاع عدد القتلى الكوريين الشماليين في كورسك إلى 600",
            url="https://www.aljazeera.net/news/2025/2/4/kursk",
            source="الجزيرة نت",
            language="ar",
            published=datetime(2025, 2, 4, 10, 0, tzinfo=UTC),
        ),
        "created": CREATED,
        "developments": [
            {"category": "drones", "evidence": AR_FACT},
            {"category": "figure", "evidence": "killed: 300 → 600"},
        ],
        "figures": [{"kind": "killed", "old": 300, "new": 600, "label": "killed: 300 → 600"}],
        "new_facts": [AR_FACT],
    }
    fields.update(changes)
    return AlertEvent(**fields)  # type: ignore[arg-type]


def english_event(
    event_id: str = "evt_e1", *, story_id: int = 7, title: str = "North Korean troops in Kursk"
) -> AlertEvent:
    return AlertEvent(
        id=event_id,
        type="development",
        watch="nk-troops-kursk",
        story=StoryRef(story_id, title, f"http://127.0.0.1:8080/stories/{story_id}"),
        article=ArticleRef(
            title="Ukraine says North Korean units now use drones",
            url="https://example.com/world/nk-drones",
            source="Example Wire",
            language="en",
            published=None,
        ),
        created=CREATED + timedelta(minutes=5),
        developments=[{"category": "drones", "evidence": "Ukrainian officials said the troops used drones."}],
        new_facts=["The units were seen operating loitering munitions near Sudzha for the first time."],
    )


def send(server: SmtpServer, message: EmailMessage, **options: object) -> None:
    settings: dict[str, object] = {"host": server.host, "port": server.port, "timeout_seconds": 5}
    settings.update(options)
    send_email(message, **settings)  # type: ignore[arg-type]


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None, "both a plain-text and an HTML part"
    return str(text.get_content()), str(html.get_content())


def test_arabic_development_arrives_with_arabic_subject_both_parts_and_rtl(smtp_server: SmtpServer) -> None:
    send(smtp_server, build_email([arabic_event()], sender=SENDER, to=TO))

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == TO
    assert mail.mail_from == "raqib@example.org"
    raw_headers = mail.data.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii(), "non-ASCII headers travel RFC 2047 encoded"
    message = mail.message
    assert message["Subject"] == f"[Raqib] development: {AR_STORY}"
    assert message["From"].addresses[0].display_name == "Raqib رقيب"
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == "ar"
    assert message["Message-ID"] == "<evt_0a1b2c3d@raqib>"
    text, html = parts(message)
    assert "killed: 300 → 600" in text
    assert "first report of drones" in text
    assert f"«{AR_FACT}»" in text
    assert text.count(AR_FACT) == 1, "a sentence that is both evidence and a new fact is quoted once"
    assert "killed: 300 → 600" in text and text.count("killed: 300 → 600") == 1
    assert "الجزيرة نت" in text and "Arabic" in text
    assert "https://www.aljazeera.net/news/2025/2/4/kursk" in text
    assert "http://127.0.0.1:8080/stories/12" in text
    assert '<html dir="rtl" lang="ar">' in html
    assert '<a href="http://127.0.0.1:8080/stories/12"' in html
    assert AR_FACT in html and "killed: 300 → 600" in html
    assert "<script" not in html and "http" not in html.split("<body", 1)[0], "no scripts, no external assets"


def test_english_event_is_ltr_and_says_what_is_new(smtp_server: SmtpServer) -> None:
    send(smtp_server, build_email([english_event()], sender="raqib@example.org", to=["desk@example.org"]))

    message = smtp_server.messages[0].message
    assert message["Subject"] == "[Raqib] development: North Korean troops in Kursk"
    text, html = parts(message)
    assert '<html dir="ltr" lang="en">' in html
    assert "first report of drones" in text
    assert "“The units were seen operating loitering munitions near Sudzha for the first time.”" in text
    assert "Source: Example Wire · English" in text


def test_one_message_per_event_each_with_its_own_stable_message_id(smtp_server: SmtpServer) -> None:
    events = [arabic_event("evt_1"), english_event("evt_2"), arabic_event("evt_3")]
    for event in events:
        send(smtp_server, build_email([event], sender=SENDER, to=TO))

    assert [m.message["Message-ID"] for m in smtp_server.messages] == [
        "<evt_1@raqib>",
        "<evt_2@raqib>",
        "<evt_3@raqib>",
    ]
    assert all(m.rcpt_tos == TO for m in smtp_server.messages)


def test_message_id_is_stable_across_builds_and_a_digest_uses_its_own_id() -> None:
    first = build_email([arabic_event("evt_77")], sender=SENDER, to=TO)
    again = build_email([arabic_event("evt_77")], sender=SENDER, to=TO, date=CREATED + timedelta(hours=3))
    assert first["Message-ID"] == again["Message-ID"] == "<evt_77@raqib>"
    digest = build_email([arabic_event("evt_1"), english_event("evt_2")], sender=SENDER, to=TO, message_id="dig_2025")
    assert digest["Message-ID"] == "<dig_2025@raqib>"
    with pytest.raises(ValueError, match="digest id"):
        build_email([arabic_event("evt_1"), english_event("evt_2")], sender=SENDER, to=TO)
    # an id with characters a Message-ID cannot carry still gives one stable, single-line id
    odd = message_id_header("evt_1\r\nBcc: victim@example.org")
    assert odd == message_id_header("evt_1\r\nBcc: victim@example.org")
    assert odd.startswith("<x") and odd.endswith("@raqib>") and "\n" not in odd and " " not in odd


def test_crlf_in_feed_text_adds_no_recipient_and_no_header(smtp_server: SmtpServer) -> None:
    hostile = "Troops\r\nBcc: victim@example.org"
    event = AlertEvent(
        id="evt_crlf",
        type="new_story",
        watch="nk\r\nX-Injected: 1",
        story=StoryRef(3, hostile, "http://127.0.0.1:8080/stories/3"),
        article=ArticleRef(
            hostile, "https://example.com/a\r\nBcc: x@example.org", "Wire\nCc: cc@example.org", "en", None
        ),
        created=CREATED,
    )
    send(smtp_server, build_email([event], sender=SENDER, to=["desk@example.org"]))

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["desk@example.org"], "the envelope goes to the configured address only"
    message = mail.message
    assert message["Bcc"] is None and message["Cc"] is None and message["X-Injected"] is None
    assert message["Subject"] == "[Raqib] new story: Troops Bcc: victim@example.org"
    header_lines = mail.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert not any(line.lower().startswith((b"bcc:", b"cc:", b"x-injected:")) for line in header_lines)
    text, _ = parts(message)
    assert "Story: Troops Bcc: victim@example.org" in text


def test_a_long_title_gives_a_short_one_line_subject() -> None:
    title = "North Korean troops " * 30
    message = build_email([english_event(title=title)], sender=SENDER, to=TO)
    assert len(message["Subject"]) <= 150 and message["Subject"].endswith("…")
    assert "\n" not in message["Subject"]


def test_feed_text_is_escaped_never_evaluated(smtp_server: SmtpServer) -> None:
    title = "{{ 7*7 }} <script>alert(1)</script> & {% raw %}"
    event = AlertEvent(
        id="evt_tpl",
        type="development",
        watch="w",
        story=StoryRef(4, title, "http://127.0.0.1:8080/stories/4"),
        article=ArticleRef(title, "javascript:alert(1)", "<b>Source</b>", "en", None),
        created=CREATED,
        new_facts=['He said "<img src=x onerror=alert(1)>" twice.'],
    )
    send(smtp_server, build_email([event], sender=SENDER, to=TO))

    message = smtp_server.messages[0].message
    assert message["Subject"] == f"[Raqib] development: {title}"
    text, html = parts(message)
    assert "{{ 7*7 }} <script>alert(1)</script>" in text
    assert "{{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt; &amp; {% raw %}" in html
    assert "<script" not in html and "<img" not in html and "<b>Source" not in html
    assert "&lt;b&gt;Source&lt;/b&gt;" in html
    assert "49" not in text and "49" not in html
    assert 'href="javascript' not in html, "a feed's javascript: link is not made clickable"


def test_mixed_language_digest_groups_by_story_with_direction_per_block(smtp_server: SmtpServer) -> None:
    events = [english_event("evt_b", story_id=7), arabic_event("evt_a"), english_event("evt_c", story_id=12)]
    message = build_email(events, sender=SENDER, to=TO, message_id="dig_1", digest_title="hourly digest")
    send(smtp_server, message)

    received = smtp_server.messages[0].message
    assert received["Subject"] == "[Raqib] hourly digest: 3 alerts on 2 stories"
    text, html = parts(received)
    assert '<html dir="auto">' in html
    assert '<div style="' in html and 'dir="auto" lang="ar"' in html and 'dir="auto" lang="en"' in html
    assert html.count("<h2") == 2, "one heading per story"
    assert text.index("Story: North Korean troops in Kursk") < text.index(f"Story: {AR_STORY}")
    story_12 = text[text.index(f"Story: {AR_STORY}") :]
    assert story_12.count("--- development") == 2, "both events on story 12 sit under it"


def test_test_message_is_clearly_marked(smtp_server: SmtpServer) -> None:
    send(smtp_server, build_test_email("analysts", SENDER, TO))

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == TO
    message = mail.message
    assert message["Subject"].startswith("[Raqib] test message")
    text, html = parts(message)
    assert "[Raqib] test message" in text and "analysts" in text
    assert "[Raqib] test message" in html
    assert "رسالة اختبار" in text
    assert build_test_email("analysts", SENDER, TO)["Message-ID"] != message["Message-ID"]


def test_starttls_with_login(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(starttls=True, users={"raqib": "s3cret-كلمة"})
    send(
        server,
        build_email([arabic_event()], sender=SENDER, to=TO),
        starttls=True,
        username="raqib",
        password="s3cret-كلمة",
        ssl_context=server.client_context(),
    )
    [mail] = server.messages
    assert mail.tls and mail.login == "raqib"
    assert mail.message["Subject"] == f"[Raqib] development: {AR_STORY}"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_login(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(implicit_tls=True, users={"raqib": "pw"})
    send(
        server,
        build_email([english_event()], sender=SENDER, to=TO),
        ssl=True,
        username="raqib",
        password="pw",
        ssl_context=server.client_context(),
    )
    assert server.messages[0].tls and server.messages[0].login == "raqib"


def test_settings_take_the_login_from_the_environment(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(starttls=True, users={"desk": "from-env"})
    settings = SmtpSettings(
        host=server.host,
        port=server.port,
        starttls=True,
        username_env="RAQIB_SMTP_USER",
        password_env="RAQIB_SMTP_PASSWORD",
        timeout=timedelta(seconds=5),
    )
    env = {"RAQIB_SMTP_USER": "desk", "RAQIB_SMTP_PASSWORD": "from-env"}
    message = build_email([english_event()], sender=SENDER, to=TO)
    send_with_settings(message, settings, env, ssl_context=server.client_context())
    assert server.messages[0].login == "desk"

    with pytest.raises(EmailDeliveryError, match="RAQIB_SMTP_PASSWORD"):
        send_with_settings(message, settings, {"RAQIB_SMTP_USER": "desk"}, ssl_context=server.client_context())


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_wrong_password_is_a_named_permanent_failure(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(users={"raqib": "right"}, auth_require_tls=False)
    with pytest.raises(EmailDeliveryError, match="login refused for user 'raqib'") as failure:
        send(server, build_email([english_event()], sender=SENDER, to=TO), username="raqib", password="wrong")
    assert failure.value.permanent
    assert f"{server.host}:{server.port}" in str(failure.value)
    assert server.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_over_plain_connection_when_the_server_allows_it(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(users={"raqib": "pw"}, auth_require_tls=False)
    send(server, build_email([english_event()], sender=SENDER, to=TO), username="raqib", password="pw")
    assert server.messages[0].login == "raqib" and not server.messages[0].tls


def test_untrusted_certificate_is_refused(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(starttls=True)
    with pytest.raises(EmailDeliveryError, match="certificate"):
        send(server, build_email([english_event()], sender=SENDER, to=TO), starttls=True)  # system trust store
    assert server.messages == []


def test_refused_recipients_are_reported(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(refuse=frozenset(TO))
    with pytest.raises(EmailDeliveryError, match="recipients refused: desk@example.org: 550") as failure:
        send(server, build_email([english_event()], sender=SENDER, to=TO))
    assert failure.value.permanent

    partly = smtp_server_factory(refuse=frozenset({"analyst@example.org"}))
    with pytest.raises(EmailDeliveryError, match="refused some recipients .*analyst@example.org") as some:
        send(partly, build_email([english_event()], sender=SENDER, to=TO))
    assert partly.messages[0].rcpt_tos == ["desk@example.org"]
    assert some.value.delivered == ("desk@example.org",) and some.value.permanent


def test_a_busy_mailbox_is_retried_for_that_recipient_only(smtp_server_factory: StartServer) -> None:
    server = smtp_server_factory(defer=frozenset({"analyst@example.org"}))
    message = build_email([english_event()], sender=SENDER, to=TO)
    with pytest.raises(EmailDeliveryError, match="analyst@example.org: 450") as busy:
        send(server, message)
    assert busy.value.delivered == ("desk@example.org",) and not busy.value.permanent, "worth another try"
    server.collector.defer = frozenset()
    assert send_email(message, host=server.host, port=server.port, skip=busy.value.delivered) == ["analyst@example.org"]
    assert [mail.rcpt_tos for mail in server.messages] == [["desk@example.org"], ["analyst@example.org"]]
    assert send_email(message, host=server.host, port=server.port, skip=TO) == [], "everyone has it: nothing sent"
    assert len(server.messages) == 2


def test_server_down_fails_quickly_naming_host_and_port() -> None:
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(EmailDeliveryError, match=f"127.0.0.1:{port}.*connection refused"):
        send_email(build_test_email("x", SENDER, TO), host="127.0.0.1", port=port, timeout_seconds=2)
    assert time.monotonic() - started < 2


def test_a_silent_server_times_out(silent_server: tuple[str, int]) -> None:
    host, port = silent_server
    started = time.monotonic()
    with pytest.raises(EmailDeliveryError, match=f"{host}:{port}: no answer within 0.5s"):
        send_email(build_test_email("x", SENDER, TO), host=host, port=port, timeout_seconds=0.5)
    assert time.monotonic() - started < 3


# --- the words, without a server ------------------------------------------------------------


def test_what_is_new_lines() -> None:
    event = arabic_event(
        developments=[
            {"category": "drones", "evidence": AR_FACT},
            {"category": "figure", "evidence": "killed: 300 → 600"},
            {"category": "figure", "evidence": "wounded: 40 (new)"},
            {"category": "new iran", "evidence": "Iranian advisers were seen."},
        ],
        figures=[
            {"kind": "killed", "old": 300, "new": 600, "label": "killed: 300 → 600"},
            {"kind": "troops", "old": None, "new": 3000},
        ],
    )
    assert render.what_is_new(event) == [
        "killed: 300 → 600",
        "troops: 3,000 (new)",
        "wounded: 40 (new)",
        "first report of drones",
        "first mention of iran",
        "1 new sentence",
    ]
    assert render.headline(event) == f"development: {AR_STORY}"


def test_one_line_removes_every_kind_of_line_break() -> None:
    assert render.one_line("a\r\nb\nc\rd\x85e\u2028f\u2029g\x0bh\x00i  \t j") == "a b c d e f g h i j"
