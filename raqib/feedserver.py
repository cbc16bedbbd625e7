"""A small loopback HTTP server for feed files: the demo serves its bundled feeds with it, and the
tests build their misbehaving servers on it.

It answers conditional GETs like a well-behaved feed host (ETag, Last-Modified, 304) and replaces
the placeholder address ``127.0.0.1:0`` inside served files with its real address, so bundled feeds
can link to their own article pages."""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

PLACEHOLDER = b"127.0.0.1:0"

Route = Callable[["FeedRequestHandler"], None]


class FeedRequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # As web servers do (nginx's tcp_nodelay is on by default): without it a kept-alive
    # connection's body waited for the client's delayed ACK of the header segment, ~40 ms per
    # response, and a crawl of one host measured that wait, not the crawler (300 x 50 at 2 %:
    # raqib 7.5 s -> 4.5 s, the naive loop, one request per connection, 3.3 s either way).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        path = urlsplit(self.path).path
        route = self.server.owner.routes.get(path)
        if route is not None:
            route(self)
            return
        self.serve_file(path)

    def serve_file(self, path: str, content_type: str | None = None) -> None:
        owner = self.server.owner
        if not path.startswith(owner.mount):
            self.send_body(404, b"not found", "text/plain")
            return
        file = (owner.root / path[len(owner.mount) :]).resolve()
        if not file.is_file() or owner.root not in file.parents:
            self.send_body(404, b"not found", "text/plain")
            return
        body = file.read_bytes().replace(PLACEHOLDER, owner.address.encode("ascii"))
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        last_modified = formatdate(int(file.stat().st_mtime), usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self.send_body(304, b"", None, {"ETag": etag, "Last-Modified": last_modified})
            return
        guessed = content_type or _content_type(file)
        self.send_body(200, body, guessed, {"ETag": etag, "Last-Modified": last_modified})

    def send_body(
        self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.server.owner.record(self.path, status)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # the owner keeps its own log; stderr stays for the program under test


def _content_type(file: Path) -> str:
    if file.suffix in {".xml", ".rss", ".atom"}:
        # No charset: a feed states its encoding itself, or does not (which we must cope with).
        return "application/rss+xml" if file.suffix != ".atom" else "application/atom+xml"
    guessed, _ = mimetypes.guess_type(file.name)
    if guessed == "text/html":
        return "text/html; charset=utf-8"
    return guessed or "application/octet-stream"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FeedServer


class FeedServer:
    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, mount: str = "/") -> None:
        self.root = root.resolve()
        self.mount = mount  # the URL path under which root is served, with its trailing slash
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), FeedRequestHandler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="feed-server", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.address}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def record(self, path: str, status: int) -> None:
        with self._lock:
            self.log.append((path, status))

    def statuses(self, path: str) -> list[int]:
        with self._lock:
            return [status for logged, status in self.log if urlsplit(logged).path == path]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
