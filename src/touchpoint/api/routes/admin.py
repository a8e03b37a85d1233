"""Users, teams and webhook subscriptions (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from touchpoint.api.convert import team_public
from touchpoint.api.deps import Admin, IdPath, NowDep, Reader, SessionDep, Supervisor
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas import (
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
from touchpoint.services import notify

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["admin"], responses=ERROR_RESPONSES)


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, session: SessionDep, p: Admin, now: NowDep) -> UserPublic:
    """Create a user (argon2-hashed password)."""
    draft = svc.UserDraft(
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        email=body.email,
    )
    return UserPublic.model_validate(svc.create_user(session, p.actor, draft, now=now))


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, p: Supervisor) -> list[UserPublic]:
    """All users."""
    return [UserPublic.model_validate(u) for u in svc.list_users(session, p.actor)]


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(
    user_id: IdPath, body: UserUpdate, session: SessionDep, p: Admin, now: NowDep
) -> UserPublic:
    """Change a user; a new password or deactivation revokes its tokens."""
    user = svc.update_user(
        session,
        p.actor,
        user_id,
        version=body.version,
        now=now,
        role=body.role,
        display_name=body.display_name,
        email=body.email,
        active=body.active,
        password=body.password,
    )
    return UserPublic.model_validate(user)


@router.post("/teams", response_model=TeamPublic, status_code=201)
def create_team(body: TeamCreate, session: SessionDep, p: Admin, now: NowDep) -> TeamPublic:
    """Create a team."""
    draft = svc.TeamDraft(
        name=body.name,
        tier=body.tier,
        supervisor_id=body.supervisor_id,
        member_ids=tuple(body.member_ids),
    )
    team = svc.create_team(session, p.actor, draft, now=now)
    return team_public(team, sorted(set(body.member_ids)))


@router.get("/teams", response_model=list[TeamPublic])
def list_teams(session: SessionDep, p: Reader) -> list[TeamPublic]:
    """Teams with members."""
    del p
    return [team_public(t, m) for t, m in svc.list_teams(session)]


@router.put("/teams/{team_id}/members", response_model=TeamPublic)
def set_team_members(
    team_id: IdPath, body: TeamMembersUpdate, session: SessionDep, p: Admin, now: NowDep
) -> TeamPublic:
    """Replace a team's members."""
    team = svc.set_team_members(
        session, p.actor, team_id, list(body.member_ids), version=body.version, now=now
    )
    return team_public(team, sorted(set(body.member_ids)))


@router.post("/webhooks", response_model=WebhookPublic, status_code=201)
def create_webhook(
    body: WebhookCreate, session: SessionDep, p: Admin, now: NowDep
) -> WebhookPublic:
    """Subscribe a URL to events (``work_order.opened``, ``work_order.resolved``, …, ``*``)."""
    hook = notify.create_webhook(
        session, p.actor, url=body.url, events=list(body.events), secret=body.secret, now=now
    )
    return WebhookPublic.model_validate(hook)


@router.get("/webhooks", response_model=list[WebhookPublic])
def list_webhooks(session: SessionDep, p: Admin) -> list[WebhookPublic]:
    """All subscriptions."""
    return [WebhookPublic.model_validate(h) for h in notify.list_webhooks(session, p.actor)]


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: IdPath, session: SessionDep, p: Admin, now: NowDep) -> Response:
    """Remove a subscription."""
    notify.delete_webhook(session, p.actor, webhook_id, now=now)
    return Response(status_code=204)
