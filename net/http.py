"""An httpx transport that connects only to pinned, vetted addresses, within one overall deadline.

httpx (through httpcore) would resolve the URL's host name again when it connects, after the
guard checked it: a rebinding DNS server answers that second question with ``127.0.0.1``. This
transport's network backend asks the :class:`net.guard.URLGuard` instead, so the socket goes to
the vetted address, while TLS still verifies the certificate for the host name (httpcore passes
the URL's host as ``server_hostname``) and the ``Host`` header is unchanged.

httpx timeouts are per socket operation: a receiver that trickles its answer a byte at a time
keeps every read short and the attempt alive for ever. Every connect, TLS handshake, write and
read here gets at most what is left of one :class:`Deadline`, and the bytes read are capped.
"""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from net.guard import RefusedURL, URLGuard

WRITE_CHUNK = 16 * 1024  # writes are split so that a receiver reading slowly meets the deadline


class Deadline:
    """A point in (monotonic) time after which the attempt gives up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def clip(self, timeout: float | None, expired: type[Exception]) -> float:
        """``timeout`` shortened to what is left; raises ``expired`` when nothing is left."""
        left = self._ends - time.monotonic()
        if left <= 0:
            raise expired(f"the attempt's overall deadline of {self.seconds:g} s passed")
        return min(left, math.inf if timeout is None else timeout)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline, budget: list[int]) -> None:
        self._inner = inner
        self._deadline = deadline
        self._budget = budget  # bytes still allowed to be read, shared with the TLS-wrapped stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._budget[0] <= 0:
            raise httpcore.ReadError("the answer is larger than the size cap; the rest is not read")
        data = self._inner.read(min(max_bytes, self._budget[0]), self._deadline.clip(timeout, httpcore.ReadTimeout))
        self._budget[0] -= len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), WRITE_CHUNK):
            chunk = buffer[start : start + WRITE_CHUNK]
            self._inner.write(chunk, self._deadline.clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wrapped = self._inner.start_tls(
            ssl_context, server_hostname, self._deadline.clip(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(wrapped, self._deadline, self._budget)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Opens TCP connections to the guard's vetted addresses for a host, never to a fresh lookup."""

    def __init__(self, guard: URLGuard, deadline: Deadline, max_bytes: int) -> None:
        self._guard = guard
        self._deadline = deadline
        self._max_bytes = max_bytes
        self._system = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._guard.addresses(host)
        except RefusedURL as refused:
            raise httpcore.ConnectError(f"refused: {refused}") from None
        failure: Exception | None = None
        for address in addresses:  # in the resolver's order, like a normal connect
            try:
                stream = self._system.connect_tcp(
                    address,
                    port,
                    self._deadline.clip(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except httpcore.ConnectError as error:
                failure = error
                continue
            return _DeadlineStream(stream, self._deadline, [self._max_bytes])
        raise failure or httpcore.ConnectError(f"no address to connect to for {host}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for outbound requests")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connection pool uses :class:`PinnedBackend`: one connection,
    HTTP/1.1, no retries, no proxy (a proxy would resolve the name itself)."""

    def __init__(self, guard: URLGuard, deadline: Deadline, *, max_bytes: int, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx has no parameter for the network backend; its pool is built here the way
        # HTTPTransport builds it, with ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            http1=True,
            http2=False,
            retries=0,
            network_backend=PinnedBackend(guard, deadline, max_bytes),
        )
