"""Inviting customers to a wave: who may be asked, the signed links, the mail and SMS,
one reminder, and the invitation list.

A customer is skipped, with the reason, when unknown (or merged away), already invited
to the wave, opted out, without an address for the channel, throttled (invited to, or
having answered, any survey within the recontact days, unless the caller overrides it),
or in a cell of the wave whose quota is full. A skipped customer is not part of the wave;
a later call may invite them (as in Qualtrics, a skipped send is not retried on its own).
Reminders are no new contacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.orm import Session

from touchpoint.domain.customers import IdentityKind, mask_identity
from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_quotas import customer_segments, full_quota
from touchpoint.services.base import Actor, AfterCommit, WriteUnit, get_or_404, require, write
from touchpoint.services.errors import ConflictError
from touchpoint.services.survey_links import SurveyLinks, new_nonce
from touchpoint.services.surveys import (
    InvitationStatus,
    WaveStatus,
    completed_by_cell,
    definition_for,
    quotas_of,
)
from touchpoint.storage.models import Customer, CustomerIdentity
from touchpoint.storage.survey_models import (
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
    SurveyVersion,
    SurveyWave,
)

__all__ = [
    "MAX_INVITATIONS_PER_CALL",
    "Channel",
    "InvitationResult",
    "InvitationView",
    "SkipReason",
    "Skipped",
    "invitation_views",
    "invite",
    "queue_invitation_message",
    "send_due_reminders",
    "send_reminders",
]

#: Customers one call may invite (a larger wave is invited in several calls).
MAX_INVITATIONS_PER_CALL = 10_000


class Channel(StrEnum):
    """How an invitation reaches the customer: a link handed over by the caller, an
    e-mail, an SMS; kiosk and phone answers come without a personal invitation."""

    LINK = "link"
    EMAIL = "email"
    SMS = "sms"
    KIOSK = "kiosk"
    PHONE = "phone"


class SkipReason(StrEnum):
    """Why a customer was not invited."""

    THROTTLED = "throttled"
    NO_ADDRESS = "no_address"
    OPTED_OUT = "opted_out"
    ALREADY_INVITED = "already_invited"
    UNKNOWN_CUSTOMER = "unknown_customer"
    QUOTA_FULL = "quota_full"


@dataclass(frozen=True, slots=True)
class InvitationView:
    """An issued invitation with its absolute link (shown to whoever invited)."""

    id: int
    customer_id: int | None
    channel: str
    url: str
    expires_at: datetime
    status: str
    address: str = ""
    opened_at: datetime | None = None
    reminded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A customer left out of the wave, and why."""

    customer_id: int
    reason: SkipReason


@dataclass(frozen=True, slots=True)
class InvitationResult:
    """What one call to :func:`invite` issued and whom it skipped."""

    invitations: tuple[InvitationView, ...]
    skipped: tuple[Skipped, ...]


def _addresses(session: Session, ids: Sequence[int], channel: Channel) -> dict[int, str]:
    """Each customer's first e-mail (or phone) identity, for the channel."""
    kind = {Channel.EMAIL: IdentityKind.EMAIL, Channel.SMS: IdentityKind.PHONE}.get(channel)
    if kind is None:
        return {}
    rows = session.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.value)
        .where(CustomerIdentity.customer_id.in_(ids), CustomerIdentity.kind == kind.value)
        .order_by(CustomerIdentity.id)
    )
    found: dict[int, str] = {}
    for customer_id, value in rows:
        found.setdefault(customer_id, value)
    return found


def _recently_contacted(session: Session, ids: Sequence[int], since: datetime) -> set[int]:
    """Customers invited to, or answering, any survey since ``since``."""
    invited = select(SurveyInvitation.customer_id).where(
        SurveyInvitation.customer_id.in_(ids), SurveyInvitation.created_at >= since
    )
    answered = select(SurveyResponse.customer_id).where(
        SurveyResponse.customer_id.in_(ids), SurveyResponse.submitted_at >= since
    )
    return set(session.scalars(invited.union(answered)))


def _reasons(
    session: Session,
    wave: SurveyWave,
    ids: Sequence[int],
    channel: Channel,
    *,
    since: datetime | None,
) -> tuple[dict[int, SkipReason], dict[int, str]]:
    """Why each customer of ``ids`` is skipped (if they are), and the addresses."""
    live = {
        cid: {**customer_segments(cls, prefs), "channel": channel}
        for cid, cls, prefs in session.execute(
            select(Customer.id, Customer.customer_class, Customer.preferences).where(
                Customer.id.in_(ids), Customer.merged_into_id.is_(None)
            )
        )
    }
    quotas = quotas_of(wave)
    filled = completed_by_cell(session, wave.id, quotas) if quotas else {}
    invited = set(
        session.scalars(
            select(SurveyInvitation.customer_id).where(
                SurveyInvitation.wave_id == wave.id, SurveyInvitation.customer_id.in_(ids)
            )
        )
    )
    opted = set(
        session.scalars(select(SurveyOptOut.customer_id).where(SurveyOptOut.customer_id.in_(ids)))
    )
    addresses = _addresses(session, ids, channel)
    recent = _recently_contacted(session, ids, since) if since is not None else set()
    reasons: dict[int, SkipReason] = {}
    for cid in ids:  # distinct: the caller drops repeats
        if cid not in live:
            reasons[cid] = SkipReason.UNKNOWN_CUSTOMER
        elif cid in invited:
            reasons[cid] = SkipReason.ALREADY_INVITED
        elif cid in opted:
            reasons[cid] = SkipReason.OPTED_OUT
        elif channel in (Channel.EMAIL, Channel.SMS) and cid not in addresses:
            reasons[cid] = SkipReason.NO_ADDRESS
        elif cid in recent:
            reasons[cid] = SkipReason.THROTTLED
        elif quotas and full_quota(quotas, live[cid], filled) is not None:
            reasons[cid] = SkipReason.QUOTA_FULL
    return reasons, addresses


def invite(
    session: Session,
    actor: Actor,
    links: SurveyLinks,
    wave_id: int,
    *,
    customer_ids: Sequence[int],
    channel: Channel,
    ignore_throttle: bool = False,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> InvitationResult:
    """Invite customers to an open wave through ``channel``: one signed, single-use link
    each, valid for the wave's ``expires_in_days``; e-mail and SMS leave through the
    outbox after commit, with the link and an opt-out link in their text."""
    require(actor, actor.role.can_supervise, "invite customers to surveys")
    if channel not in (Channel.LINK, Channel.EMAIL, Channel.SMS):
        raise DomainError(f"channel: {channel.value!r} must be link, email or sms")
    if len(customer_ids) > MAX_INVITATIONS_PER_CALL:
        raise DomainError(
            f"customer_ids: {len(customer_ids)} customers; at most "
            f"{MAX_INVITATIONS_PER_CALL} per call",
            code="invite_too_many",
            params={"n": len(customer_ids), "limit": MAX_INVITATIONS_PER_CALL},
        )
    with write(session, actor, "survey.invite", now=now, after_commit=after_commit) as unit:
        wave = get_or_404(session, SurveyWave, wave_id)
        if wave.status != WaveStatus.OPEN:
            raise ConflictError(
                f"wave {wave_id} is closed: it issues no invitations", code="wave_closed"
            )
        since = None if ignore_throttle else now - timedelta(days=links.recontact_days)
        ids = list(dict.fromkeys(customer_ids))
        reasons, addresses = _reasons(session, wave, ids, channel, since=since)
        skipped = [Skipped(cid, reasons[cid]) for cid in ids if cid in reasons]
        skipped += [Skipped(cid, SkipReason.ALREADY_INVITED) for cid in _repeated(customer_ids)]
        rows = [
            SurveyInvitation(
                wave_id=wave.id,
                customer_id=cid,
                channel=channel.value,
                address=addresses.get(cid, ""),
                nonce=new_nonce(),
                status=InvitationStatus.SENT.value,
                context={},
                created_at=now,
                expires_at=now + timedelta(days=wave.expires_in_days),
            )
            for cid in ids
            if cid not in reasons
        ]
        session.add_all(rows)
        session.flush()
        views = [_view(links, row) for row in rows]
        _send(unit, session, links, wave, rows)
        unit.audit(
            "survey_wave",
            wave.id,
            before=None,
            after={
                "channel": channel.value,
                "invited": [row.customer_id for row in rows],
                "skipped": [{"customer_id": s.customer_id, "reason": s.reason} for s in skipped],
            },
        )
    return InvitationResult(invitations=tuple(views), skipped=tuple(skipped))


def _repeated(customer_ids: Sequence[int]) -> list[int]:
    """Ids listed more than once in one call: each repeat is already invited."""
    seen: set[int] = set()
    repeats = []
    for cid in customer_ids:
        if cid in seen:
            repeats.append(cid)
        seen.add(cid)
    return repeats


def _view(links: SurveyLinks, row: SurveyInvitation) -> InvitationView:
    return InvitationView(
        id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        url=links.url(links.personal_token(row.id, row.nonce)),
        expires_at=row.expires_at,
        status=row.status,
        address=row.address,
        opened_at=row.opened_at,
        reminded_at=row.reminded_at,
    )


def _send(
    unit: WriteUnit,
    session: Session,
    links: SurveyLinks,
    wave: SurveyWave,
    rows: Sequence[SurveyInvitation],
    *,
    reminder: bool = False,
) -> None:
    """Queue each invitation's mail or SMS (the survey's title read once)."""
    if not rows:
        return
    title = _title(session.connection(), wave.id)
    for row in rows:
        _message(unit, links, title, row.id, row.nonce, row.channel, row.address, reminder)


def _title(connection: Connection, wave_id: int) -> tuple[str, str]:
    """The survey's title in zh-CN and English, for the mail's subject: the title of the
    version the wave was opened on, which the respondent's page shows (a later edit of
    the survey changes neither)."""
    stored = connection.execute(
        select(SurveyVersion.definition, SurveyWave.name)
        .join(
            SurveyWave,
            and_(
                SurveyWave.survey_id == SurveyVersion.survey_id,
                SurveyWave.survey_version == SurveyVersion.version,
            ),
        )
        .where(SurveyWave.id == wave_id)
    ).first()
    if stored is None:
        return "", ""
    title = definition_for(stored[0]).title
    return title.get("zh-CN", stored[1]), title.get("en", stored[1])


def _message(
    unit: WriteUnit,
    links: SurveyLinks,
    title: tuple[str, str],
    invitation_id: int,
    nonce: str,
    channel: str,
    address: str,
    reminder: bool = False,
) -> None:
    """Queue one invitation's mail or SMS, in zh-CN then English, with its opt-out link."""
    token = links.personal_token(invitation_id, nonce)
    url, opt_out = links.url(token), links.url(token, "/opt-out")
    zh, en = title
    again = ("提醒：" if reminder else "", "Reminder: " if reminder else "")
    if channel == Channel.EMAIL:
        body = (
            f"{again[0]}您好，请花几分钟告诉我们您的感受：{url}\n"
            f"不想再收到调查？{opt_out}\n\n"
            f"{again[1]}Please tell us how we did: {url}\n"
            f"No more surveys: {opt_out}\n"
        )
        unit.email(address, f"{again[0]}{zh} / {again[1]}{en}", body)
    elif channel == Channel.SMS:
        unit.text_message(address, f"{again[0]}{zh} {url} 退订 {opt_out}")


def queue_invitation_message(
    unit: WriteUnit,
    links: SurveyLinks,
    wave_id: int,
    invitation_id: int,
    nonce: str,
    channel: str,
    address: str,
    connection: Connection,
) -> None:
    """Queue the mail or SMS of one invitation issued outside :func:`invite` (an order's
    return visit), sent after the write's commit."""
    title = _title(connection, wave_id)
    _message(unit, links, title, invitation_id, nonce, channel, address)


def send_reminders(
    session: Session,
    actor: Actor,
    links: SurveyLinks,
    wave_id: int,
    *,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> int:
    """Send the wave's one reminder to every e-mail or SMS invitation still unanswered
    ``reminder_days`` after it was issued (and not expired, not reminded yet); returns
    how many. A reminder is no new contact for throttling."""
    require(actor, actor.role.can_supervise, "send survey reminders")
    with write(session, actor, "survey.remind", now=now, after_commit=after_commit) as unit:
        wave = get_or_404(session, SurveyWave, wave_id)
        if wave.status != WaveStatus.OPEN or wave.reminder_days is None:
            rows: list[SurveyInvitation] = []
        else:
            due = now - timedelta(days=wave.reminder_days)
            open_states = [s.value for s in InvitationStatus if s.answerable]
            rows = list(
                session.scalars(
                    select(SurveyInvitation).where(
                        SurveyInvitation.wave_id == wave.id,
                        SurveyInvitation.status.in_(open_states),
                        SurveyInvitation.reminded_at.is_(None),
                        SurveyInvitation.created_at <= due,
                        SurveyInvitation.expires_at > now,
                        or_(
                            SurveyInvitation.channel == Channel.EMAIL.value,
                            SurveyInvitation.channel == Channel.SMS.value,
                        ),
                    )
                )
            )
        if rows:
            session.execute(
                update(SurveyInvitation)
                .where(SurveyInvitation.id.in_([r.id for r in rows]))
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            )
        _send(unit, session, links, wave, rows, reminder=True)
        unit.audit("survey_wave", wave_id, before=None, after={"reminded": [r.id for r in rows]})
    return len(rows)


def send_due_reminders(
    session: Session, links: SurveyLinks, *, now: datetime, after_commit: AfterCommit | None
) -> int:
    """The desk clock's part: each open wave with a reminder and invitations due for it
    sends its reminders (as the desk itself); returns how many went out."""
    oldest = (
        select(SurveyWave.id, SurveyWave.reminder_days, func.min(SurveyInvitation.created_at))
        .join(SurveyWave, SurveyWave.id == SurveyInvitation.wave_id)
        .where(
            SurveyWave.status == WaveStatus.OPEN.value,
            SurveyWave.reminder_days.is_not(None),
            SurveyInvitation.reminded_at.is_(None),
            SurveyInvitation.status.in_([s.value for s in InvitationStatus if s.answerable]),
            SurveyInvitation.expires_at > now,
            SurveyInvitation.channel.in_([Channel.EMAIL.value, Channel.SMS.value]),
        )
        .group_by(SurveyWave.id, SurveyWave.reminder_days)
    )
    waves = [
        wave_id
        for wave_id, days, first in session.execute(oldest)
        if days is not None and first <= now - timedelta(days=days)
    ]
    session.rollback()  # the read's transaction: each wave's reminders are a write
    return sum(
        send_reminders(session, Actor.system(), links, wave_id, now=now, after_commit=after_commit)
        for wave_id in waves
    )


def invitation_views(
    session: Session,
    actor: Actor,
    links: SurveyLinks,
    wave_id: int,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[InvitationView]:
    """A page of a wave's invitations. Addresses are masked for roles that may not see
    contact details, and the links are shown to those who may invite only (anyone with a
    link could answer for the customer)."""
    require(actor, actor.role.can_read_reports, "read waves")
    get_or_404(session, SurveyWave, wave_id)
    rows = session.scalars(
        select(SurveyInvitation)
        .where(SurveyInvitation.wave_id == wave_id)
        .order_by(SurveyInvitation.id)
        .limit(limit)
        .offset(offset)
    )
    views = []
    for row in rows:
        view = _view(links, row)
        kind = IdentityKind.EMAIL if row.channel == Channel.EMAIL else IdentityKind.PHONE
        if not actor.role.sees_contact_details and row.address:
            view = replace(view, address=mask_identity(kind, row.address))
        if not actor.role.can_supervise:
            view = replace(view, url="")
        views.append(view)
    return views
