"""Outbound safety end to end: a name that answers public then loopback (DNS rebinding) reaches
nothing on loopback from a feed, an article link or a webhook; a name that does not resolve is
refused; a server that trickles its answer cannot hold a webhook attempt or a feed past its
timeout. Real loopback servers; only the DNS answers are scripted (tests/support/dns.py).

No test sends traffic off the machine: the "public" server a rebinding name first answers is a
real loopback server on 127.0.0.2, which the guard's classifier in these tests calls public
(``stand_in_is_public``); the victim is a server on 127.0.0.1, private as in production."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.crawl import FIXTURES, Crawl, write_config
from support.dns import LOG_ENV, PUBLIC_STAND_IN, SCRIPT_ENV, ScriptedResolver, stand_in_is_public
from support.receiver import Receiver

from alerts.types import AlertEvent, ArticleRef, StoryRef
from alerts.webhook import build_request, send_webhook
from net.guard import RefusedURL, URLGuard
from raqib.feedserver import FeedServer

TESTS = Path(__file__).parent
PUBLIC = PUBLIC_STAND_IN  # what the rebinding name answers first: "public", so the guard lets it by
REBIND = {"rebind.example": [[PUBLIC], ["127.0.0.1"]]}  # then the victim's address


# --- helpers -----------------------------------------------------------------------------------


def scripted_guard(dns: ScriptedResolver, private_hosts: list[str] | None = None) -> URLGuard:
    """The guard as production builds it, with scripted DNS and PUBLIC (a loopback address) public."""
    return URLGuard(allow_private=False, resolver=dns, private_hosts=private_hosts or (), is_public=stand_in_is_public)


def crawl_with_dns(config: Path, script: dict[str, list[list[str]]], tmp_path: Path) -> tuple[Crawl, list[str]]:
    """`raqib crawl --json` in a child process whose DNS answers come from ``script``."""
    questions = tmp_path / "dns-questions.txt"
    env = {
        **os.environ,
        "RAQIB_DATA": str(config.parent / "data"),
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        SCRIPT_ENV: json.dumps(script),
        LOG_ENV: str(questions),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "support.dns", "--config", str(config), "crawl", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    asked = questions.read_text(encoding="utf-8").split() if questions.exists() else []
    return Crawl(done.returncode, done.stdout, done.stderr, time.monotonic() - started), asked


def with_private_hosts(config: Path, hosts: list[str]) -> Path:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[network]\n", f"[network]\nprivate_hosts = {json.dumps(hosts)}\n", 1), "utf-8")
    return config


def event() -> AlertEvent:
    return AlertEvent(
        id="evt_0123456789abcdef",
        type="new_story",
        watch="nk-troops-kursk",
        story=StoryRef(id=1, title="قوات كورية شمالية في كورسك", url="http://127.0.0.1:8080/stories/1"),
        article=ArticleRef(title="قوات كورية شمالية في كورسك", url=None, source="Test", language="ar", published=None),
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )


class TricklingServer:
    """Accepts connections, reads the request, then sends ``answer`` one byte per ``interval``
    seconds for at most ``seconds``: every single read is quick, the whole answer never ends."""

    def __init__(self, answer: bytes, interval: float = 0.1, seconds: float = 30.0) -> None:
        self.answer = answer
        self.interval = interval
        self.seconds = seconds
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def __enter__(self) -> TricklingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            try:
                conn.recv(65536)  # the request: its content does not matter here
                ends = time.monotonic() + self.seconds
                for index in range(len(self.answer)):
                    if self._stop.is_set() or time.monotonic() > ends:
                        return
                    conn.sendall(self.answer[index : index + 1])
                    time.sleep(self.interval)
            except OSError:
                return  # the client gave up, as it should


@pytest.fixture
def trickling_headers() -> Iterator[TricklingServer]:
    with TricklingServer(b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"a" * 2000 + b"\r\n\r\n") as server:
        yield server


# --- the guard itself ----------------------------------------------------------------------------


def test_a_host_is_resolved_once_and_every_later_question_gets_the_vetted_answer() -> None:
    dns = ScriptedResolver(REBIND)
    guard = scripted_guard(dns)
    assert guard.check("http://rebind.example/feed.xml") == (PUBLIC,)
    assert guard.addresses("rebind.example") == (PUBLIC,)
    assert guard.addresses("REBIND.example.") == (PUBLIC,)
    assert dns.questions == ["rebind.example"]


def test_a_name_that_does_not_resolve_is_refused_not_allowed() -> None:
    guard = scripted_guard(ScriptedResolver({}))
    with pytest.raises(RefusedURL, match="nowhere.example does not resolve"):
        guard.check("https://nowhere.example/feed")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fd00::2]/",
        "http://[fe80::1]/",
    ],
)
def test_loopback_private_link_local_and_metadata_addresses_are_refused_in_every_form(url: str) -> None:
    guard = URLGuard(allow_private=False)  # numeric forms are read by the system resolver itself
    with pytest.raises(RefusedURL, match="private or loopback"):
        guard.check(url)


def test_a_private_host_listed_by_name_is_allowed_and_no_other() -> None:
    dns = ScriptedResolver({"intranet.example": [["10.1.2.3"]], "router.example": [["192.168.1.1"]]})
    guard = scripted_guard(dns, private_hosts=["Intranet.example"])
    assert guard.check("http://intranet.example/feed.xml") == ("10.1.2.3",)
    with pytest.raises(RefusedURL, match="private_hosts"):
        guard.check("http://router.example/admin")


def test_a_response_from_an_address_other_than_the_pinned_one_is_refused() -> None:
    guard = scripted_guard(ScriptedResolver(REBIND))
    guard.check("http://rebind.example/")
    guard.check_peer("rebind.example", PUBLIC)
    with pytest.raises(RefusedURL, match="private or loopback"):
        guard.check_peer("rebind.example", "127.0.0.1")


# --- webhooks ------------------------------------------------------------------------------------


def test_a_webhook_to_a_rebinding_name_goes_to_the_vetted_address_never_the_rebound_one(receiver: Receiver) -> None:
    dns = ScriptedResolver(REBIND)
    body, headers = build_request(event(), b"secret", now=datetime.now(UTC))
    url = f"http://rebind.example:{receiver.port}/hooks/raqib"

    with Receiver(PUBLIC, receiver.port) as public:  # the victim, `receiver`, is on 127.0.0.1
        result = send_webhook(url, body, headers, timeout_seconds=2, allow_private=False, guard=scripted_guard(dns))

    assert result.ok, result.error
    assert [request.headers["host"] for request in public.requests] == [f"rebind.example:{receiver.port}"]
    assert "قوات كورية" in public.requests[0].body.decode("utf-8")
    assert receiver.requests == [], "the connection went to the re-resolved loopback address"
    assert dns.questions == ["rebind.example"], "the name is resolved once, for the check and the connection"


def test_a_webhook_to_a_name_listed_in_private_hosts_connects_to_its_pinned_address(receiver: Receiver) -> None:
    dns = ScriptedResolver({"hooks.intranet": [["127.0.0.1"]]})
    body, headers = build_request(event(), b"secret", now=datetime.now(UTC))
    guard = scripted_guard(dns, private_hosts=["hooks.intranet"])

    result = send_webhook(
        f"http://hooks.intranet:{receiver.port}/hooks/raqib",
        body,
        headers,
        timeout_seconds=2,
        allow_private=False,
        guard=guard,
    )

    assert result.ok, result.error
    assert [request.headers["host"] for request in receiver.requests] == [f"hooks.intranet:{receiver.port}"]
    assert "قوات كورية" in receiver.requests[0].body.decode("utf-8")


def test_a_webhook_to_a_name_that_does_not_resolve_is_refused() -> None:
    body, headers = build_request(event(), None, now=datetime.now(UTC))
    guard = scripted_guard(ScriptedResolver({}))
    result = send_webhook(
        "https://hooks.nowhere.example/x", body, headers, timeout_seconds=2, allow_private=False, guard=guard
    )
    assert not result.ok
    assert result.error is not None and result.error.startswith("refused: host hooks.nowhere.example does not resolve")


def test_a_receiver_trickling_its_headers_cannot_hold_an_attempt_past_its_timeout(
    trickling_headers: TricklingServer,
) -> None:
    body, headers = build_request(event(), b"secret", now=datetime.now(UTC))
    started = time.monotonic()
    result = send_webhook(
        f"http://127.0.0.1:{trickling_headers.port}/hook", body, headers, timeout_seconds=1.5, allow_private=True
    )
    took = time.monotonic() - started
    assert trickling_headers.connections == 1
    assert not result.ok
    assert result.error is not None and "timed out after 1.5 s" in result.error
    assert took < 1.5 + 1.0, f"the attempt took {took:.1f} s"


def test_a_receiver_trickling_an_error_body_cannot_hold_an_attempt_past_its_timeout() -> None:
    answer = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100000\r\n\r\n" + "خطأ ".encode() * 20000
    with TricklingServer(answer, interval=0.001) as server:
        body, headers = build_request(event(), None, now=datetime.now(UTC))
        started = time.monotonic()
        result = send_webhook(
            f"http://127.0.0.1:{server.port}/hook", body, headers, timeout_seconds=1.5, allow_private=True
        )
        took = time.monotonic() - started
    assert not result.ok
    assert took < 1.5 + 1.0, f"the attempt took {took:.1f} s"


# --- the crawler ---------------------------------------------------------------------------------


def test_a_feed_on_a_rebinding_name_is_fetched_from_the_vetted_address_never_the_rebound_one(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    port = feed_server.address.rsplit(":", 1)[1]
    config = write_config(
        tmp_path, [{"name": "Rebinding", "url": f"http://rebind.example:{port}/rss_en.xml"}], allow_private=False
    )
    with FeedServer(FIXTURES, host=PUBLIC, port=int(port)) as public:  # the victim, feed_server, is on 127.0.0.1
        result, asked = crawl_with_dns(config, REBIND, tmp_path)
    assert result.feed("Rebinding")["status"] != "error", result.stdout
    assert public.log == [("/rss_en.xml", 200)]
    assert feed_server.log == [], "the crawler connected to the re-resolved loopback address"
    assert asked == ["rebind.example"]


def test_an_article_link_on_a_rebinding_name_is_fetched_from_the_vetted_address_never_the_rebound_one(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    port = feed_server.address.rsplit(":", 1)[1]
    page = "/articles/nk-withdrawal.html"
    fixture = (FIXTURES / "rss_with_articles.xml").read_bytes()  # its matching entries link to pages
    feed = fixture.replace(b"http://127.0.0.1:0/articles/", f"http://rebind.example:{port}/articles/".encode())
    assert page.encode() in feed

    def serve_feed(handler: object) -> None:
        handler.send_body(200, feed, "application/rss+xml")  # type: ignore[attr-defined]

    feed_server.routes["/intranet.xml"] = serve_feed
    config = write_config(
        tmp_path,
        [{"name": "Intranet", "url": f"http://feeds.intranet:{port}/intranet.xml", "fetch_articles": True}],
        allow_private=False,
    )
    with_private_hosts(config, ["feeds.intranet"])
    script = {**REBIND, "feeds.intranet": [["127.0.0.1"]]}

    with FeedServer(FIXTURES, host=PUBLIC, port=int(port)) as public:  # the victim, feed_server, is on 127.0.0.1
        result, asked = crawl_with_dns(config, script, tmp_path)

    assert result.returncode in (0, 1), result.stderr
    assert public.statuses(page) == [200], "the article page was fetched from the vetted address"
    assert [path for path, _ in feed_server.log] == ["/intranet.xml"], "only the feed itself was fetched"
    assert feed_server.statuses(page) == []
    assert sorted(asked) == ["feeds.intranet", "rebind.example"], "each name was resolved once"


def test_a_feed_whose_name_does_not_resolve_is_an_error_with_the_reason(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, [{"name": "Nowhere", "url": "http://feeds.nowhere.example/rss.xml"}], allow_private=False
    )
    result, _ = crawl_with_dns(config, {}, tmp_path)
    report = result.feed("Nowhere")
    assert report["status"] == "error"
    assert "feeds.nowhere.example does not resolve" in report["error"]


def test_a_feed_trickling_its_body_ends_at_the_download_timeout(tmp_path: Path) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n" + b"<" * 5000
    with TricklingServer(answer, interval=0.05) as server:
        config = write_config(
            tmp_path, [{"name": "Trickle", "url": f"http://127.0.0.1:{server.port}/feed.xml"}], timeout="2s"
        )
        result, _ = crawl_with_dns(config, {}, tmp_path)
    report = result.feed("Trickle")
    assert report["status"] == "error" and "timed out" in report["error"], report
    assert report["seconds"] < 2 + 1.0, report


def test_concurrent_first_questions_about_one_name_get_one_answer() -> None:
    dns = ScriptedResolver(REBIND, delay=0.2)
    guard = scripted_guard(dns)
    answers: list[tuple[str, ...] | str] = []

    def ask() -> None:
        try:
            answers.append(guard.addresses("rebind.example"))
        except RefusedURL as refused:
            answers.append(str(refused))

    askers = [threading.Thread(target=ask) for _ in range(8)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert answers == [(PUBLIC,)] * 8
    assert dns.questions == ["rebind.example"]
