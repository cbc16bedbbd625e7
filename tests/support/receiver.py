"""Pytest plugin: a real webhook receiver on loopback (``receiver`` fixture).

An ``http.server`` in a thread on 127.0.0.1 (or another loopback address) at a free port. It
records every request (method, path, headers, body, and whether the signature verified with
``receiver.secret``) and answers with a programmable sequence of replies:
``receiver.answer(500, 500, 500, 200)``, or
``Reply(status=..., headers=..., delay=..., body_size=..., release=...)`` for a slow, huge or
held answer. When the sequence runs out it answers ``receiver.default`` (200).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from alerts.webhook import verify

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering
    body_size: int = 0  # when set, answer this many filler bytes instead of ``body``
    release: threading.Event | None = None  # when set, answer only once the test sets this event


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    verified: bool | None  # None when the receiver has no secret
    at: float  # time.monotonic() when the request arrived

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class Receiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret: str | bytes | None = None
        self.default = Reply()
        self.requests: list[Received] = []
        self.bytes_sent: list[int] = []  # per answer, what the socket accepted
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.receiver = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host!s}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/hooks/raqib"

    def answer(self, *replies: Reply | int) -> None:
        with self._lock:
            self._replies.extend(reply if isinstance(reply, Reply) else Reply(status=reply) for reply in replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else self.default

    def record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()  # wakes handlers that are sleeping through a delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WebhookReceiver/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _handle(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        verified = verify(receiver.secret, headers, body) if receiver.secret is not None else None
        receiver.record(Received(self.command, self.path, headers, body, verified, time.monotonic()))
        reply = receiver.next_reply()
        if reply.delay and receiver.stopping.wait(reply.delay):
            return
        if reply.release is not None and not reply.release.wait(60):
            return
        size = reply.body_size or len(reply.body)
        sent = 0
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(size))
            self.send_header("Connection", "close")
            self.end_headers()
            if reply.body_size:
                filler = b"x" * CHUNK
                while sent < size:
                    piece = filler[: size - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
            else:
                self.wfile.write(reply.body)
                sent = size
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the client hung up, as a client that stops reading should
        finally:
            receiver.bytes_sent.append(sent)
        self.close_connection = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
