"""Webhook delivery (DESIGN §3.4): a signed JSON ``POST``, one attempt per call.

Signing follows the Standard Webhooks scheme (https://www.standardwebhooks.com/), done by its
reference library ``standardwebhooks``:
``webhook-id`` is the event id (stable across retries, receivers deduplicate by it),
``webhook-timestamp`` is the time of the attempt in integer seconds, and ``webhook-signature``
is ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")). A secret written as
``whsec_<base64>`` is decoded to its key bytes; any other secret is used as its UTF-8 bytes.

Retrying is the outbox's job: build a fresh request for each attempt (new timestamp, same id)
and hand it to :func:`send_webhook`, which reports the outcome as a value and never raises for
network trouble.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from alerts.types import AlertEvent, ArticleRef, StoryRef
from config.schema import DEFAULT_USER_AGENT
from net.guard import RefusedURL, URLGuard, url_host
from net.http import Deadline, PinnedTransport

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
MAX_RESPONSE_BYTES = 64 * 1024  # enough for an error page; the rest is never read
MAX_HEADER_BYTES = 64 * 1024  # what an attempt reads at most besides the body's start
MAX_RETRY_AFTER_SECONDS = 86_400.0  # a hostile or confused Retry-After cannot park a channel for ever
ERROR_SNIPPET_CHARS = 200


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """The outcome of one delivery attempt.

    ``gone`` means the receiver answered 410: the caller disables the channel and says so.
    ``retry_after`` is the wait in seconds a 429 or 503 asked for, when it asked.
    """

    status: int | None
    ok: bool
    gone: bool = False
    error: str | None = None
    retry_after: float | None = None


# --- signing -----------------------------------------------------------------------------------


def signing_key(secret: str | bytes) -> bytes:
    """The HMAC key of a secret: ``whsec_`` + base64 is decoded, anything else is taken as is.

    Checked here rather than left to the library, which decodes leniently: a mistyped
    ``whsec_`` secret must be refused, not turned into some other key."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    prefix = SECRET_PREFIX.encode("ascii")
    if not raw.startswith(prefix):
        return raw
    try:
        key = base64.b64decode(raw[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"a webhook secret starting with {SECRET_PREFIX!r} must be base64 after the prefix") from error
    if not key:
        raise ValueError(f"the webhook secret {SECRET_PREFIX}… decodes to nothing")
    return key


def signer(secret: str | bytes) -> Webhook:
    """The ``standardwebhooks`` signer for a channel's secret (given its key bytes, so a raw
    secret is used as its UTF-8 bytes, as the README promises)."""
    return Webhook(signing_key(secret))


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``, by the ``standardwebhooks`` library."""
    return signer(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)


def verify(secret: str | bytes, headers: Mapping[str, str], body: bytes) -> bool:
    """A receiver's check, by the ``standardwebhooks`` library: one of the ``v1`` signatures
    matches (several may be listed during a key rotation) and the timestamp is within five
    minutes of now."""
    try:
        signer(secret).verify(body, dict(headers), json_parse=False)
    except WebhookVerificationError:
        return False
    return True


# --- requests ----------------------------------------------------------------------------------


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Compact JSON in UTF-8; Arabic stays readable instead of ``\\u`` escapes."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(secret: str | bytes | None, msg_id: str, body: bytes, *, now: datetime) -> dict[str, str]:
    """The headers of one attempt. Without a secret the delivery goes out unsigned."""
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        headers["webhook-signature"] = sign(secret, msg_id, timestamp, body)
    return headers


def build_request(event: AlertEvent, secret: str | bytes | None, *, now: datetime) -> tuple[bytes, dict[str, str]]:
    """Body and headers for one attempt at delivering ``event``; ``now`` is the attempt's time."""
    body = encode_body(event.payload())
    return body, signed_headers(secret, event.id, body, now=now)


def build_digest_request(
    digest_id: str, events: Sequence[AlertEvent], secret: str | bytes | None, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """Several events in one delivery: ``{"id", "type": "digest", "events": [payload, ...], "created"}``.

    ``digest_id`` must be stable across retries of the same digest, like an event id.
    """
    payload = {
        "id": digest_id,
        "type": "digest",
        "events": [event.payload() for event in events],
        "created": _iso(now),
    }
    body = encode_body(payload)
    return body, signed_headers(secret, digest_id, body, now=now)


def build_test_request(channel_name: str, secret: str | bytes | None, now: datetime) -> tuple[bytes, dict[str, str]]:
    """A ``type: "test"`` message with every §3.4 key, so a receiver's parser is exercised too.

    It carries Arabic text on purpose: a receiver that mangles UTF-8 shows it on the first test.
    """
    moment = now.astimezone(UTC)
    digest = hashlib.sha256(f"{channel_name}\n{moment.isoformat()}".encode()).hexdigest()[:24]
    event = AlertEvent(
        id=f"evt_test_{digest}",
        type="test",
        watch="",
        story=StoryRef(id=0, title="Raqib test message — رسالة تجريبية من رقيب", url=""),
        article=ArticleRef(title="Raqib test message", url=None, source="Raqib", language="en", published=None),
        created=moment,
    )
    payload = event.payload() | {
        "channel": channel_name,
        "message": f"Test message from Raqib for channel {channel_name!r}: if you can read this, delivery works.",
    }
    body = encode_body(payload)
    return body, signed_headers(secret, event.id, body, now=now)


# --- delivery ----------------------------------------------------------------------------------


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for the process: building it reloads the CA bundle (~28 ms),
    which was the whole cost of a delivery to a fast receiver (bench/bench_alerts.py)."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


def send_webhook(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout_seconds: float,
    allow_private: bool,
    private_hosts: Sequence[str] = (),
    connect_timeout_seconds: float | None = None,
    user_agent: str = DEFAULT_USER_AGENT,
    guard: URLGuard | None = None,
) -> WebhookResult:
    """POST once and say what happened. Never raises for network errors.

    No redirect is followed (a 3xx is a failure naming its Location), TLS is verified for the
    host name, proxy settings from the environment are ignored (the address check must see the
    real server), the connection goes to the address the guard vetted (pinned DNS: no second
    lookup a rebinding server could answer differently), the whole attempt ends within
    ``timeout_seconds`` however slowly the receiver answers, and at most ``MAX_RESPONSE_BYTES``
    of an error response are read. ``guard`` replaces the ``URLGuard`` built here
    (tests inject a resolver through it).
    """
    where = _origin(url)
    guard = guard or URLGuard(allow_private, private_hosts=private_hosts)
    deadline = Deadline(timeout_seconds)
    try:
        guard.check(url)
    except RefusedURL as error:
        return WebhookResult(status=None, ok=False, error=f"refused: {error}")

    connect = timeout_seconds if connect_timeout_seconds is None else connect_timeout_seconds
    timeout = httpx.Timeout(timeout_seconds, connect=connect)
    request_headers = {"User-Agent": user_agent, "Accept-Encoding": "identity", **headers}
    transport = PinnedTransport(
        guard, deadline, max_bytes=MAX_RESPONSE_BYTES + MAX_HEADER_BYTES, ssl_context=_tls_context()
    )
    try:
        with (
            httpx.Client(transport=transport, follow_redirects=False, trust_env=False, timeout=timeout) as client,
            client.stream("POST", url, content=body, headers=request_headers) as response,
        ):
            try:
                guard.check_peer(url_host(url), _peer_address(response))
            except RefusedURL as error:
                return WebhookResult(status=response.status_code, ok=False, error=f"refused: {error}")
            return _judge(response, where)
    except httpx.ConnectTimeout:
        return _failed(f"timed out after {min(connect, timeout_seconds):g} s connecting to {where}")
    except httpx.ReadTimeout:
        return _failed(f"timed out after {timeout_seconds:g} s waiting for {where} to answer")
    except httpx.WriteTimeout:
        return _failed(f"timed out after {timeout_seconds:g} s sending to {where}")
    except httpx.TimeoutException as error:
        return _failed(f"timed out talking to {where}: {_describe(error)}")
    except httpx.ConnectError as error:
        return _failed(f"could not connect to {where}: {_describe(error)}")
    except httpx.RemoteProtocolError as error:
        return _failed(f"{where} broke the HTTP exchange: {_describe(error)}")
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ValueError) as error:
        return _failed(f"request to {where} failed: {_describe(error)}")


def _judge(response: httpx.Response, where: str) -> WebhookResult:
    status = response.status_code
    if 200 <= status < 300:
        # The receiver took it; what it says besides is of no interest and is never read.
        return WebhookResult(status=status, ok=True)
    if 300 <= status < 400:
        location = response.headers.get("location")
        target = f" to {_without_secrets(location)}" if location else " without a Location"
        return WebhookResult(
            status=status,
            ok=False,
            error=f"HTTP {status} from {where}: redirect{target} not followed; configure the final URL",
        )
    detail = _snippet(response)
    suffix = f": {detail}" if detail else ""
    if status == 410:
        return WebhookResult(
            status=status,
            ok=False,
            gone=True,
            error=f"HTTP 410 Gone from {where}: the receiver no longer accepts deliveries{suffix}",
        )
    retry_after = _retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
    wait = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
    return WebhookResult(
        status=status, ok=False, error=f"HTTP {status} from {where}{wait}{suffix}", retry_after=retry_after
    )


def _snippet(response: httpx.Response) -> str:
    """The start of an error response, read up to the cap and no further."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_raw(MAX_RESPONSE_BYTES):
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_RESPONSE_BYTES:
                break
    except (httpx.HTTPError, httpx.StreamError, OSError):
        pass  # the status already says what matters
    text = b"".join(chunks)[:MAX_RESPONSE_BYTES].decode("utf-8", errors="replace")
    printable = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(printable.split())[:ERROR_SNIPPET_CHARS]


def _retry_after(value: str | None) -> float | None:
    """Seconds from ``Retry-After``: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _peer_address(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    peer = stream.get_extra_info("server_addr")
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return None


def _origin(url: str) -> str:
    """The URL as errors show it: scheme, host and port only.

    Webhook URLs often carry their secret in the path or the query (Slack, Discord, ...), and
    error messages end up in logs and on the web page.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    rest = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def _without_secrets(url: str) -> str:
    """A Location as errors show it: no user info, query or fragment, printable characters only."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path
    if parts.query:
        shown += "?…"
    return "".join(char for char in shown if char.isprintable())[:300]


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return text or type(error).__name__


def _failed(error: str) -> WebhookResult:
    return WebhookResult(status=None, ok=False, error=error)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
