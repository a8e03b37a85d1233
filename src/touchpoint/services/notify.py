"""Webhook subscriptions and the outbox: notifications are written with their write and
delivered after commit (webhooks by HTTP POST, e-mail by SMTP, SMS through a transport)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from touchpoint.domain.errors import DomainError
from touchpoint.services.base import Actor, get_or_404, require, snapshot, write
from touchpoint.storage.models import OutboxMessage, Webhook

__all__ = [
    "MAX_ATTEMPTS",
    "LoggedSms",
    "MailConfig",
    "OutboxDispatcher",
    "SmsTransport",
    "create_webhook",
    "delete_webhook",
    "deliver_pending",
    "list_webhooks",
]

_log = logging.getLogger(__name__)

#: Failed deliveries of one message before the outbox stops trying it (an administrator
#: can set it going again: ``services.outbox_reads.retry_failed``).
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Where e-mail goes: an SMTP host (no TLS/auth: a local relay) and the sender."""

    host: str
    port: int = 25
    sender: str = "touchpoint@localhost"
    timeout: float = 10.0


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError(
            f"url: {url!r} must be an http(s) URL", code="webhook_url", params={"value": url}
        )
    return url


def create_webhook(
    session: Session,
    actor: Actor,
    *,
    url: str,
    events: list[str],
    secret: str = "",
    now: datetime,
) -> Webhook:
    """Subscribe ``url`` to ``events`` (e.g. ``work_order.opened``; ``*`` for all)."""
    require(actor, actor.role.can_administer, "manage webhooks")
    clean = [e.strip() for e in events if e.strip()]
    if not clean:
        raise DomainError("events: name at least one event, or '*'", code="webhook_no_events")
    with write(session, actor, "webhook.create", now=now) as unit:
        hook = Webhook(
            url=_check_url(url), events=clean, secret=secret, active=True, created_at=now
        )
        session.add(hook)
        session.flush()
        unit.audit("webhook", hook.id, before=None, after=snapshot(hook, exclude=("secret",)))
    return hook


def delete_webhook(session: Session, actor: Actor, webhook_id: int, *, now: datetime) -> None:
    """Remove a subscription."""
    require(actor, actor.role.can_administer, "manage webhooks")
    with write(session, actor, "webhook.delete", now=now) as unit:
        hook = get_or_404(session, Webhook, webhook_id)
        before = snapshot(hook, exclude=("secret",))
        session.delete(hook)
        unit.audit("webhook", webhook_id, before=before, after=None)


def list_webhooks(session: Session, actor: Actor) -> list[Webhook]:
    """All subscriptions."""
    require(actor, actor.role.can_administer, "manage webhooks")
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def _signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_pending(
    factory: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    mail: MailConfig | None,
    http: httpx.Client | None = None,
    limit: int = 100,
    max_attempts: int = MAX_ATTEMPTS,
    sms: SmsTransport | None = None,
) -> int:
    """Send up to ``limit`` unsent outbox messages; returns how many were delivered.

    Failures are counted in ``attempts`` and retried on later calls, up to
    ``max_attempts``. E-mail waits while no SMTP host is configured (and is not read
    then, so that a backlog of waiting mail never holds up webhooks and SMS); SMS goes
    through ``sms`` (by default written to the log).
    """
    sent = 0
    # Built only when a webhook is due: an httpx client loads a CA bundle into a new SSL
    # context, and the dispatcher calls this every few seconds, mostly for nothing.
    client = http
    try:
        with factory() as session:
            due = select(OutboxMessage).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < max_attempts
            )
            if mail is None:
                due = due.where(OutboxMessage.channel != "email")
            rows = list(session.scalars(due.order_by(OutboxMessage.id).limit(limit)))
            if not rows:
                return 0
            secrets = {h.url: h.secret for h in session.scalars(select(Webhook))}
            texts = sms or LoggedSms()
            for msg in rows:
                try:
                    client = _deliver(msg, secrets, mail, texts, client)
                    msg.sent_at = clock()
                    sent += 1
                except (httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
                    msg.attempts += 1
                    msg.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
                    _log.warning("outbox %s to %s failed: %s", msg.id, msg.target, exc)
                session.commit()
    finally:
        if http is None and client is not None:
            client.close()
    return sent


class SmsTransport(Protocol):
    """Sends one text message; raises ``OSError`` when the gateway refuses it (the outbox
    then retries later)."""

    def send(self, to: str, text: str) -> None:
        """Send ``text`` to the phone number ``to``."""


class LoggedSms:
    """The default SMS transport: no gateway, each message is written to the log (a desk
    plugs in its operator's gateway by passing another ``SmsTransport``)."""

    def send(self, to: str, text: str) -> None:
        """Log the message instead of sending it."""
        _log.info("SMS to %s: %s", to, text)


def _deliver(
    msg: OutboxMessage,
    secrets: dict[str, str],
    mail: MailConfig | None,
    sms: SmsTransport,
    client: httpx.Client | None,
) -> httpx.Client | None:
    """Send one outbox message; returns the HTTP client, made when a webhook needed it."""
    if msg.channel == "webhook":
        body = json.dumps(msg.payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Touchpoint-Event": msg.event}
        secret = secrets.get(msg.target, "")
        if secret:
            headers["X-Touchpoint-Signature"] = _signature(secret, body)
        if client is None:
            client = httpx.Client(timeout=5.0)
        client.post(msg.target, content=body, headers=headers).raise_for_status()
    elif msg.channel == "sms":
        sms.send(msg.target, str(msg.payload.get("text", "")))
    elif mail is not None:
        email = EmailMessage()
        email["From"] = mail.sender
        email["To"] = msg.target
        email["Subject"] = str(msg.payload.get("subject", ""))
        email.set_content(str(msg.payload.get("body", "")))
        with smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout) as smtp:
            smtp.send_message(email)
    return client


class OutboxDispatcher:
    """A background thread that delivers the outbox when woken (after a commit) and
    every ``interval`` seconds."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        mail: MailConfig | None,
        interval: float = 5.0,
        sms: SmsTransport | None = None,
    ) -> None:
        self._factory = factory
        self._sms = sms
        self._clock = clock
        self._mail = mail
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Ask for a delivery round soon (called after a commit that queued messages)."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Deliver what is pending once more and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                deliver_pending(self._factory, clock=self._clock, mail=self._mail, sms=self._sms)
            except Exception:  # keep the thread alive; the next round retries
                _log.exception("outbox delivery round failed")
