"""Alerts by email, with the standard library's ``email`` and ``smtplib`` (DESIGN §4).

A message is multipart/alternative: a plain-text part and an HTML part (alerts.render).
Non-ASCII headers (an Arabic subject, a display name) are RFC 2047 encoded by the ``email``
package's SMTP policy. No CR or LF from a feed reaches a header: every header value built from
feed text goes through ``render.one_line``, and addresses and ids are checked.

The Message-ID derives from the event id (or a digest id), so a resend carries the same id and
receivers can deduplicate.
"""

from __future__ import annotations

import base64
import hashlib
import smtplib
import socket
import ssl as ssl_lib
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from html import escape

from alerts import render
from alerts.types import AlertEvent
from config.schema import SmtpSettings

MESSAGE_ID_DOMAIN = "raqib"
TEST_SUBJECT = f"{render.SUBJECT_PREFIX} test message"


class EmailDeliveryError(Exception):
    """A message was not delivered; ``str()`` is a reason a person can act on.

    ``permanent`` is True when the server refused for good (a 5xx reply: bad login, unknown
    recipient, message rejected): trying again will not help without a change. ``delivered``
    lists the recipients the server accepted when it refused only some."""

    def __init__(self, reason: str, *, permanent: bool = False, delivered: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.delivered = tuple(delivered)


def message_id_header(identifier: str) -> str:
    """``<evt_…@raqib>``: the same identifier gives the same Message-ID, whatever it contains."""
    local = identifier.strip()
    if not local or not all(ch.isascii() and (ch.isalnum() or ch in "._-+=") for ch in local):
        # keep it deterministic and distinct rather than dropping characters
        local = "x" + hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32]
    return f"<{local}@{MESSAGE_ID_DOMAIN}>"


def _address(value: str) -> str:
    """An address from the (validated) config; refuse anything that could split a header."""
    if any(ch in value for ch in "\r\n\0") or render.one_line(value) != value.strip():
        raise ValueError(f"not a single-line email address: {value!r}")
    if "@" not in parseaddr(value)[1]:
        raise ValueError(f"not an email address: {value!r}")
    return value.strip()


def _new_message(*, sender: str, to: Sequence[str], subject: str, msgid: str, date: datetime | None) -> EmailMessage:
    if not to:
        raise ValueError("an email needs at least one recipient")
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = render.one_line(subject)
    message["From"] = _address(sender)
    message["To"] = ", ".join(_address(address) for address in to)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = msgid
    # RFC 3834: machine-sent; vacation responders and the like should not answer
    message["Auto-Submitted"] = "auto-generated"
    return message


def build_email(
    events: Sequence[AlertEvent],
    *,
    sender: str,
    to: Sequence[str],
    message_id: str | None = None,
    digest_title: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """One message about ``events``: one event, or a digest of several grouped by story.

    The Message-ID is ``<message_id@raqib>``: pass the digest id for a digest; for one event it
    defaults to the event's id."""
    if not events:
        raise ValueError("a message needs at least one event")
    if message_id is None:
        if len(events) != 1:
            raise ValueError("a digest of several events needs a digest id (message_id)")
        message_id = events[0].id
    message = _new_message(
        sender=sender,
        to=to,
        subject=render.subject(events, digest_title=digest_title),
        msgid=message_id_header(message_id),
        date=date,
    )
    if len(events) == 1:
        event = events[0]
        message["X-Raqib-Event"] = render.one_line(event.id)
        message["X-Raqib-Watch"] = render.one_line(event.watch)
    message.set_content(render.render_text(events, digest_title=digest_title))
    message.add_alternative(render.render_html(events, digest_title=digest_title), subtype="html")
    language, _ = render.document_direction(events)
    if language:  # after the parts: making the message multipart moves Content-* headers into them
        message["Content-Language"] = render.one_line(language)
    return message


def build_test_email(
    channel_name: str, sender: str, to: Sequence[str], *, date: datetime | None = None
) -> EmailMessage:
    """ "[Raqib] test message" for ``raqib alerts test CHANNEL``; it carries Arabic text so the
    reader sees that Arabic arrives intact. Each test gets a fresh Message-ID."""
    channel = render.one_line(channel_name)
    message = _new_message(
        sender=sender,
        to=to,
        subject=f"{TEST_SUBJECT} ({render.shorten(channel, 60)}) — رسالة اختبار",
        msgid=make_msgid(idstring="test", domain=MESSAGE_ID_DOMAIN),
        date=date,
    )
    arabic = "رسالة اختبار من رقيب: إذا ظهر هذا النص العربي سليمًا فالترميز يعمل."
    text = (
        f"{TEST_SUBJECT}\n\n"
        f"This is a test message from {render.BRAND} for the alert channel {channel!r}.\n"
        "If you can read it, email alerts from this channel reach you.\n\n"
        f"{arabic}\n"
    )
    html = (
        '<!DOCTYPE html>\n<html dir="ltr" lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(TEST_SUBJECT)}</title>\n</head>\n"
        '<body style="font-family:Arial,Tahoma,sans-serif;font-size:15px;line-height:1.5;padding:16px;">\n'
        f'<h1 style="font-size:19px;">{escape(TEST_SUBJECT)}</h1>\n'
        f"<p>This is a test message from {render.BRAND} for the alert channel "
        f"<b>{escape(channel)}</b>.<br>If you can read it, email alerts from this channel reach you.</p>\n"
        f'<p dir="rtl" lang="ar">{escape(arabic)}</p>\n</body>\n</html>\n'
    )
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def recipients(message: EmailMessage) -> list[str]:
    """The envelope recipients: the addresses in To (and Cc), never anything a header smuggled."""
    fields = [str(value) for name in ("To", "Cc") for value in message.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


def send_email(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    starttls: bool = False,
    ssl: bool = False,
    username: str | None = None,
    password: str | None = None,
    timeout_seconds: float = 30.0,
    ssl_context: ssl_lib.SSLContext | None = None,
    skip: Collection[str] = (),
) -> list[str]:
    """Send ``message`` to the addresses in its To header but those in ``skip`` (they have it
    already), over ``ssl`` (implicit TLS, port 465) or ``starttls`` (587), logging in when a
    username is given. ``timeout_seconds`` bounds the connection and every reply. Returns the
    recipients it went to. Raises EmailDeliveryError with a readable reason; when the server
    refused only some recipients, the error's ``delivered`` names the others."""
    if ssl and starttls:
        raise ValueError("use ssl (implicit TLS) or starttls, not both")
    where = f"{host}:{port}"
    to_addrs = [address for address in recipients(message) if address not in skip]
    if not to_addrs and skip:
        return []  # every recipient has it already
    if not to_addrs:
        raise EmailDeliveryError(f"SMTP {where}: the message has no recipients", permanent=True)
    from_addr = parseaddr(str(message.get("From", "")))[1]
    context = ssl_context or ssl_lib.create_default_context()
    try:
        client: smtplib.SMTP
        if ssl:
            client = smtplib.SMTP_SSL(host, port, timeout=timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout_seconds)
        with client:
            client.ehlo()
            if starttls:
                if not client.has_extn("starttls"):
                    raise EmailDeliveryError(f"SMTP {where} does not offer STARTTLS", permanent=True)
                client.starttls(context=context)
                client.ehlo()
            if username:
                _login(client, username, password or "")
            refused = client.send_message(message, from_addr=from_addr, to_addrs=to_addrs)
        if refused:
            delivered = [address for address in to_addrs if address not in refused]
            raise EmailDeliveryError(
                f"SMTP {where} refused some recipients ({_refusals(refused)}); delivered to {', '.join(delivered)}",
                permanent=_all_permanent(refused),
                delivered=delivered,
            )
        return to_addrs
    except EmailDeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailDeliveryError(
            f"SMTP {where}: login refused for user {username!r}: {_reply(exc.smtp_code, exc.smtp_error)}",
            permanent=True,
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise EmailDeliveryError(f"SMTP {where}: {exc} (login or TLS not offered)", permanent=True) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailDeliveryError(
            f"SMTP {where}: recipients refused: {_refusals(exc.recipients)}",
            permanent=_all_permanent(exc.recipients),
        ) from exc
    except smtplib.SMTPSenderRefused as exc:
        raise EmailDeliveryError(
            f"SMTP {where}: sender {exc.sender!r} refused: {_reply(exc.smtp_code, exc.smtp_error)}",
            permanent=exc.smtp_code >= 500,
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise EmailDeliveryError(
            f"SMTP {where}: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=exc.smtp_code >= 500
        ) from exc
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):  # smtplib reports a read timeout as a disconnect
            raise EmailDeliveryError(f"SMTP {where}: no answer within {timeout_seconds:g}s (timeout)") from exc
        raise EmailDeliveryError(f"SMTP {where}: the server closed the connection ({exc})") from exc
    except ssl_lib.SSLCertVerificationError as exc:
        raise EmailDeliveryError(f"SMTP {where}: TLS certificate not trusted: {exc.verify_message}") from exc
    except ssl_lib.SSLError as exc:
        raise EmailDeliveryError(f"SMTP {where}: TLS failed: {exc.reason or exc}") from exc
    except TimeoutError as exc:  # socket.timeout is TimeoutError
        raise EmailDeliveryError(f"SMTP {where}: no answer within {timeout_seconds:g}s (timeout)") from exc
    except ConnectionRefusedError as exc:
        raise EmailDeliveryError(f"SMTP {where}: connection refused (is the server running?)") from exc
    except socket.gaierror as exc:
        raise EmailDeliveryError(f"SMTP {where}: cannot resolve host {host!r}: {exc.strerror}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailDeliveryError(f"SMTP {where}: {exc.__class__.__name__}: {exc}") from exc


def send_with_settings(
    message: EmailMessage,
    settings: SmtpSettings,
    env: Mapping[str, str],
    *,
    ssl_context: ssl_lib.SSLContext | None = None,
    skip: Collection[str] = (),
) -> list[str]:
    """``send_email`` with a channel's ``smtp`` settings; the login comes from the variables that
    ``username_env`` and ``password_env`` name, looked up in ``env`` (the caller passes os.environ)."""
    username = password = None
    if settings.username_env:
        username = env.get(settings.username_env)
        if not username:
            raise EmailDeliveryError(
                f"SMTP {settings.host}:{settings.port}: environment variable {settings.username_env} "
                "(username_env) is not set",
                permanent=True,
            )
    if settings.password_env:
        password = env.get(settings.password_env)
        if password is None:
            raise EmailDeliveryError(
                f"SMTP {settings.host}:{settings.port}: environment variable {settings.password_env} "
                "(password_env) is not set",
                permanent=True,
            )
        if username is None:
            raise EmailDeliveryError(
                f"SMTP {settings.host}:{settings.port}: password_env is set but username_env is not",
                permanent=True,
            )
    return send_email(
        message,
        host=settings.host,
        port=settings.port,
        starttls=settings.starttls,
        ssl=settings.ssl,
        username=username,
        password=password,
        timeout_seconds=settings.timeout.total_seconds(),
        ssl_context=ssl_context,
        skip=skip,
    )


def _login(client: smtplib.SMTP, username: str, password: str) -> None:
    """``client.login``, except that smtplib encodes credentials as ASCII: a non-ASCII user or
    password (an Arabic pass phrase) goes as UTF-8 in AUTH PLAIN, as RFC 4616 defines it."""
    if (username + password).isascii():
        client.login(username, password)
        return
    if not client.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in client.esmtp_features.get("auth", "").upper().split():
        raise EmailDeliveryError(
            f"a non-ASCII username or password needs AUTH PLAIN, which the server does not offer "
            f"(it offers {client.esmtp_features.get('auth', '')!r})",
            permanent=True,
        )
    token = base64.b64encode(b"\0" + username.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, reply = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {render.one_line(text)}"


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {_reply(code, text)}" for address, (code, text) in refused.items())


def _all_permanent(refused: Mapping[str, tuple[int, bytes]]) -> bool:
    return all(code >= 500 for code, _ in refused.values())
