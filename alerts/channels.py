"""Alert channels as the config describes them: their rules, and a sender for each.

The edge of the alerts package: secrets are looked up here, by the environment variable the
config names, in the ``env`` mapping the command line passes in (never a stray os.getenv)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from alerts import chat
from alerts import email as email_channel
from alerts import webhook as webhook_channel
from alerts.deliver import Deliverer, Outgoing, Sender, SendResult
from alerts.rules import ChannelRules, QuietWindow
from alerts.types import AlertEvent
from config.schema import AlertConfig, RaqibConfig
from net.guard import URLGuard
from storage.db import Database


def channel_rules(alert: AlertConfig) -> ChannelRules:
    quiet = alert.quiet_hours
    return ChannelRules(
        name=alert.name,
        kind=alert.kind,
        on=frozenset(alert.on),
        watches=frozenset(alert.watches),
        languages=frozenset(alert.languages),
        categories=frozenset(alert.categories),
        digest=alert.digest,
        cooldown=alert.cooldown,
        quiet=QuietWindow(quiet.start, quiet.end, quiet.timezone) if quiet else None,
    )


def active_channels(config: RaqibConfig) -> dict[str, ChannelRules]:
    return {alert.name: channel_rules(alert) for alert in config.alerts if alert.enabled}


class MissingSecret(ValueError):
    pass


def _secret(alert: AlertConfig, env: Mapping[str, str]) -> str | None:
    if not alert.secret_env:
        return None
    value = env.get(alert.secret_env)
    if not value:
        # Sending unsigned when a secret was meant would let anyone forge our alerts.
        raise MissingSecret(f"alert channel {alert.name!r}: environment variable {alert.secret_env} is not set")
    return value


def _chat_urls(alert: AlertConfig, env: Mapping[str, str]) -> list[str]:
    urls = chat.split_urls(env.get(alert.urls_env, "")) if alert.urls_env else []
    if not urls:
        raise MissingSecret(f"alert channel {alert.name!r}: environment variable {alert.urls_env} holds no URL")
    return urls


def _digest_title(alert: AlertConfig, events: Sequence[AlertEvent]) -> str | None:
    return None if len(events) == 1 else f"{alert.digest if alert.digest != 'none' else 'story'} update"


def _send_chat(
    alert: AlertConfig, config: RaqibConfig, env: Mapping[str, str], title: str, body: str, skip: frozenset[str]
) -> SendResult:
    """One message to each of the channel's Apprise URLs that does not have it yet."""
    try:
        urls = _chat_urls(alert, env)
    except MissingSecret as missing:
        return SendResult(False, error=str(missing))
    guard = URLGuard(config.network.allow_private, private_hosts=config.network.private_hosts)
    timeout = config.network.timeout.total_seconds()
    outcomes = [
        chat.notify_url(url, title, body, guard=guard, timeout_seconds=timeout)
        for url in urls
        if chat.recipient_key(url) not in skip
    ]
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if not failed:
        return SendResult(True)
    delivered = tuple(outcome.key for outcome in outcomes if outcome.ok)
    reasons = "; ".join(str(outcome.error) for outcome in failed)
    if delivered:
        reasons += f" (delivered to the other {len(delivered)} of {len(urls)} URLs)"
    waits = [outcome.retry_after for outcome in failed if outcome.retry_after is not None]
    return SendResult(
        False,
        error=reasons,
        retry_after=max(waits) if waits else None,
        permanent=all(outcome.permanent for outcome in failed),
        delivered=delivered,
    )


def apprise_sender(alert: AlertConfig, config: RaqibConfig, env: Mapping[str, str]) -> Sender:
    def send(outgoing: Outgoing) -> SendResult:
        digest = _digest_title(alert, outgoing.events)
        title = chat.chat_title(outgoing.events, digest_title=digest)
        body = chat.chat_body(outgoing.events, digest_title=digest)
        return _send_chat(alert, config, env, title, body, outgoing.skip)

    return send


def webhook_sender(alert: AlertConfig, config: RaqibConfig, env: Mapping[str, str]) -> Sender:
    assert alert.url is not None

    def send(message: Outgoing) -> SendResult:
        now = datetime.now(UTC)
        try:
            secret = _secret(alert, env)
        except MissingSecret as error:
            return SendResult(False, error=str(error))
        events = message.events
        if len(events) == 1 and events[0].id == message.message_id:
            body, headers = webhook_channel.build_request(events[0], secret, now=now)
        else:
            body, headers = webhook_channel.build_digest_request(message.message_id, list(events), secret, now)
        result = webhook_channel.send_webhook(
            alert.url or "",
            body,
            headers,
            timeout_seconds=config.network.timeout.total_seconds(),
            allow_private=config.network.allow_private,
            private_hosts=config.network.private_hosts,
            user_agent=config.network.user_agent,
        )
        return SendResult(result.ok, result.status, result.error, result.gone, result.retry_after)

    return send


def email_sender(alert: AlertConfig, env: Mapping[str, str]) -> Sender:
    assert alert.smtp is not None
    smtp = alert.smtp

    def send(outgoing: Outgoing) -> SendResult:
        events = outgoing.events
        digest = _digest_title(alert, events)
        try:
            message = email_channel.build_email(
                events, sender=alert.sender, to=alert.to, message_id=outgoing.message_id, digest_title=digest
            )
            email_channel.send_with_settings(message, smtp, env, skip=outgoing.skip)
        except email_channel.EmailDeliveryError as error:
            return SendResult(False, error=error.reason, permanent=error.permanent, delivered=error.delivered)
        return SendResult(True)

    return send


def build_senders(config: RaqibConfig, env: Mapping[str, str]) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    for alert in config.alerts:
        if not alert.enabled:
            continue
        if alert.kind == "webhook":
            senders[alert.name] = webhook_sender(alert, config, env)
        elif alert.kind == "apprise":
            senders[alert.name] = apprise_sender(alert, config, env)
        else:
            senders[alert.name] = email_sender(alert, env)
    return senders


def build_deliverer(config: RaqibConfig, database: Database, env: Mapping[str, str]) -> Deliverer:
    return Deliverer(database, active_channels(config), build_senders(config, env))


def send_test(config: RaqibConfig, channel: str, env: Mapping[str, str]) -> SendResult:
    """A clearly marked test message through one channel, outside the outbox."""
    alert = next(a for a in config.alerts if a.name == channel)
    if alert.kind == "webhook":
        try:
            secret = _secret(alert, env)
        except MissingSecret as error:
            return SendResult(False, error=str(error))
        body, headers = webhook_channel.build_test_request(alert.name, secret, datetime.now(UTC))
        result = webhook_channel.send_webhook(
            alert.url or "",
            body,
            headers,
            timeout_seconds=config.network.timeout.total_seconds(),
            allow_private=config.network.allow_private,
            private_hosts=config.network.private_hosts,
            user_agent=config.network.user_agent,
        )
        return SendResult(result.ok, result.status, result.error, result.gone)
    if alert.kind == "apprise":
        return _send_chat(alert, config, env, *chat.test_message(alert.name), frozenset())
    assert alert.smtp is not None
    message = email_channel.build_test_email(alert.name, alert.sender, alert.to)
    try:
        email_channel.send_with_settings(message, alert.smtp, env)
    except email_channel.EmailDeliveryError as error:
        return SendResult(False, error=error.reason, permanent=error.permanent)
    return SendResult(True)
