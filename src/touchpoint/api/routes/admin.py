"""Users, teams, webhook subscriptions, the outbox and the audit log (admins)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from touchpoint.api.convert import team_public
from touchpoint.api.deps import AdminDesk, IdPath, ReaderDesk, SupervisorDesk
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas import (
    AuditEntryPublic,
    OutboxMessagePublic,
    OutboxRetry,
    OutboxRetryPublic,
    TeamCreate,
    TeamMembersUpdate,
    TeamPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
    WebhookCreate,
    WebhookPublic,
)
from touchpoint.services import auth as svc
from touchpoint.services import login, notify
from touchpoint.services.audit_reads import AuditFilter, AuditView, list_audit
from touchpoint.services.outbox_reads import OutboxState, list_outbox, retry_failed

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["admin"], responses=ERROR_RESPONSES)


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, d: AdminDesk) -> UserPublic:
    """Create a user (argon2-hashed password)."""
    draft = svc.UserDraft(
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        email=body.email,
    )
    return UserPublic.model_validate(svc.create_user(d.session, d.actor, draft, now=d.now))


@router.get("/users", response_model=list[UserPublic])
def list_users(d: SupervisorDesk) -> list[UserPublic]:
    """All users."""
    return [UserPublic.model_validate(u) for u in svc.list_users(d.session, d.actor)]


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: IdPath, body: UserUpdate, d: AdminDesk) -> UserPublic:
    """Change a user; a new password or deactivation revokes its tokens."""
    user = svc.update_user(
        d.session,
        d.actor,
        user_id,
        version=body.version,
        now=d.now,
        role=body.role,
        display_name=body.display_name,
        email=body.email,
        active=body.active,
        password=body.password,
    )
    return UserPublic.model_validate(user)


@router.post("/admin/users/{user_id}/unlock", response_model=UserPublic)
def unlock_user(user_id: IdPath, d: AdminDesk) -> UserPublic:
    """End a user's lock after too many failed logins now, and clear its count of
    failures (audited as ``user.unlock``); the user's ``version`` stays."""
    return UserPublic.model_validate(login.unlock_user(d.session, d.actor, user_id, now=d.now))


@router.post("/teams", response_model=TeamPublic, status_code=201)
def create_team(body: TeamCreate, d: AdminDesk) -> TeamPublic:
    """Create a team."""
    draft = svc.TeamDraft(
        name=body.name,
        tier=body.tier,
        supervisor_id=body.supervisor_id,
        member_ids=tuple(body.member_ids),
    )
    team = svc.create_team(d.session, d.actor, draft, now=d.now)
    return team_public(team, sorted(set(body.member_ids)))


@router.get("/teams", response_model=list[TeamPublic])
def list_teams(d: ReaderDesk) -> list[TeamPublic]:
    """Teams with members."""
    return [team_public(t, m) for t, m in svc.list_teams(d.session)]


@router.put("/teams/{team_id}/members", response_model=TeamPublic)
def set_team_members(team_id: IdPath, body: TeamMembersUpdate, d: AdminDesk) -> TeamPublic:
    """Replace a team's members."""
    team = svc.set_team_members(
        d.session, d.actor, team_id, list(body.member_ids), version=body.version, now=d.now
    )
    return team_public(team, sorted(set(body.member_ids)))


@router.post("/webhooks", response_model=WebhookPublic, status_code=201)
def create_webhook(body: WebhookCreate, d: AdminDesk) -> WebhookPublic:
    """Subscribe a URL to events (``work_order.opened``, ``work_order.resolved``, …, ``*``)."""
    hook = notify.create_webhook(
        d.session, d.actor, url=body.url, events=list(body.events), secret=body.secret, now=d.now
    )
    return WebhookPublic.model_validate(hook)


@router.get("/webhooks", response_model=list[WebhookPublic])
def list_webhooks(d: AdminDesk) -> list[WebhookPublic]:
    """All subscriptions."""
    return [WebhookPublic.model_validate(h) for h in notify.list_webhooks(d.session, d.actor)]


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: IdPath, d: AdminDesk) -> Response:
    """Remove a subscription."""
    notify.delete_webhook(d.session, d.actor, webhook_id, now=d.now)
    return Response(status_code=204)


def audit_public(view: AuditView) -> AuditEntryPublic:
    """An audit entry as the API shows it."""
    return AuditEntryPublic(**asdict(view), changed=view.changed)


_Filter = Annotated[str, Query(max_length=60)]


@router.get("/audit", response_model=list[AuditEntryPublic])
def read_audit(
    d: AdminDesk,
    action: _Filter = "",
    entity: _Filter = "",
    entity_id: Annotated[str, Query(max_length=40, description="With entity only")] = "",
    actor_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Entries older than this one")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AuditEntryPublic]:
    """The audit log, newest first: every write with who, when, the record before and
    after. Filter by ``action`` (``work_order.update``), ``entity`` (``customer``) and
    ``entity_id``, or ``actor_id``; page with ``before_id`` (the last id of a page)."""
    where = AuditFilter(
        action=action, entity=entity, entity_id=entity_id, actor_id=actor_id, before_id=before_id
    )
    return [audit_public(v) for v in list_audit(d.session, d.actor, where, limit=limit)]


@router.get("/outbox", response_model=list[OutboxMessagePublic])
def read_outbox(
    d: AdminDesk,
    state: OutboxState = OutboxState.PENDING,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Messages older than this one")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[OutboxMessagePublic]:
    """Outbox messages (e-mail, SMS, webhooks) in ``state``, newest first: ``pending``
    (still tried), ``failed`` (given up after 5 failed deliveries, with the last error),
    ``sent``."""
    return [
        OutboxMessagePublic(**asdict(m), state=state.value)
        for m in list_outbox(d.session, d.actor, state, before_id=before_id, limit=limit)
    ]


@router.post("/outbox/retry", response_model=OutboxRetryPublic)
def retry_outbox(body: OutboxRetry, d: AdminDesk) -> OutboxRetryPublic:
    """Try failed messages again (those of ``ids``, else every failed one); audited."""
    n = retry_failed(d.session, d.actor, ids=body.ids, now=d.now, after_commit=d.after_commit)
    return OutboxRetryPublic(retried=n)
