"""Pytest plugin: real SMTP servers (aiosmtpd) on 127.0.0.1 that keep what they receive.

``smtp_server`` is a plain server; ``smtp_server_factory(...)`` starts one with a login
(``users``), STARTTLS or implicit TLS, using a self-signed certificate for 127.0.0.1 made with
``cryptography`` (``smtp_tls_cert``). A received message keeps its envelope (the recipients the
server was really given) and its bytes, parsed on demand.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None  # the user that logged in, if any
    tls: bool  # whether the session was encrypted (STARTTLS or implicit TLS)

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Collector:
    refuse: frozenset[str] = frozenset()
    defer: frozenset[str] = frozenset()  # answered 450: try again later
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:  # noqa: N802 - aiosmtpd hook
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.defer:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        mail = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
            login=login,
            tls=session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
        )
        with self.lock:
            self.messages.append(mail)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    collector: _Collector
    cert_file: Path | None = None

    @property
    def messages(self) -> list[ReceivedMail]:
        with self.collector.lock:
            return list(self.collector.messages)

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server's self-signed certificate."""
        assert self.cert_file is not None, "this server has no TLS"
        return ssl.create_default_context(cafile=str(self.cert_file))


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


def make_self_signed(folder: Path) -> TlsFiles:
    """A certificate for 127.0.0.1 and localhost, signed by itself, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "raqib test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return TlsFiles(cert_file, key_file)


@pytest.fixture(scope="session")
def smtp_tls_cert(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed(tmp_path_factory.mktemp("smtp-tls"))


StartServer = Callable[..., SmtpServer]


@pytest.fixture
def smtp_server_factory(smtp_tls_cert: TlsFiles) -> Iterator[StartServer]:
    """Start an SMTP server on 127.0.0.1: ``users`` (name → password) requires a login;
    ``starttls`` offers and requires STARTTLS; ``implicit_tls`` speaks TLS from the first byte;
    ``auth_require_tls`` (default: with STARTTLS) refuses a login before encryption;
    ``refuse`` lists recipients the server answers with 550, ``defer`` those it answers with 450."""
    controllers: list[Controller] = []

    def start(
        *,
        users: Mapping[str, str] | None = None,
        starttls: bool = False,
        implicit_tls: bool = False,
        auth_require_tls: bool | None = None,
        refuse: frozenset[str] = frozenset(),
        defer: frozenset[str] = frozenset(),
    ) -> SmtpServer:
        collector = _Collector(refuse=refuse, defer=defer)
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
        tls = starttls or implicit_tls
        if users is not None:

            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
                if isinstance(auth_data, LoginPassword):
                    name, secret = auth_data.login.decode(), auth_data.password.decode()
                    if users.get(name) == secret:
                        return AuthResult(success=True, auth_data=auth_data)
                return AuthResult(success=False, handled=False)

            kwargs.update(
                authenticator=authenticate,
                auth_required=True,
                # aiosmtpd only counts STARTTLS as TLS: under implicit TLS it would hide AUTH
                auth_require_tls=starttls if auth_require_tls is None else auth_require_tls,
            )
        if starttls:
            kwargs.update(tls_context=smtp_tls_cert.server_context(), require_starttls=True)
        port = free_port()
        controller = Controller(
            collector,
            hostname=HOST,
            port=port,
            ssl_context=smtp_tls_cert.server_context() if implicit_tls else None,
            server_hostname="raqib-test-smtp",
            **kwargs,
        )
        controller.start()
        controllers.append(controller)
        return SmtpServer(HOST, port, collector, smtp_tls_cert.cert if tls else None)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: StartServer) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 (no TLS, no login) that keeps every message."""
    return smtp_server_factory()


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """A port that accepts connections and never says a word: an SMTP client must time out."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        sock.listen(8)
        yield HOST, int(sock.getsockname()[1])
