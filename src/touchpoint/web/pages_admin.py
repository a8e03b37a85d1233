"""The administrator's pages of users and teams: every user with role, teams and login
lock, a form that makes a user, and one user's page to change role, name, e-mail,
activity or password (a version check: a stale form gets 409) and to end a login lock
early; every team with its supervisor and members, a form that makes one and, per team,
the boxes that set its members (a version check too); the audit log, newest first, by
action, record or user; the outbox, its failed messages set going again; the webhook
subscriptions, added and removed. The API's rules and audit; passwords are never shown
or kept in a refused form."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep
from touchpoint.domain.login_throttle import UserLock
from touchpoint.domain.roles import Role
from touchpoint.domain.webhook_events import WEBHOOK_EVENTS
from touchpoint.domain.work_orders import Tier
from touchpoint.services import auth as auth_svc
from touchpoint.services import login as login_svc
from touchpoint.services import notify as notify_svc
from touchpoint.services.audit_reads import AuditFilter, list_audit
from touchpoint.services.outbox_reads import OutboxState, list_outbox, outbox_counts, retry_failed
from touchpoint.storage.models import User
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.site import AdminPage, CsrfDep, Page, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DONE = {
    "created": "User created.",
    "saved": "User saved.",
    "unlocked": "User unlocked: the failed logins are cleared.",
}
_TEAM_DONE = {
    "created": "Team created.",
    "members": "Team members saved.",
}
#: Typed fields that survive a refused form (never a password).
_NEW_KEEP = ("username", "display_name", "email", "role")
_EDIT_KEEP = ("display_name", "email", "role")


def _teams_of(session: SessionDep) -> dict[int, list[str]]:
    """Each user's team names."""
    teams: dict[int, list[str]] = {}
    for team, members in auth_svc.list_teams(session):
        for uid in members:
            teams.setdefault(uid, []).append(team.name)
    return teams


def _locked(user: User, now: datetime) -> bool:
    return UserLock(user.failed_logins, user.locked_until).locked_at(now)


def _users_page(
    request: Request, page: Page, session: SessionDep, now: datetime, refusal: Refusal | None = None
) -> Response:
    users = auth_svc.list_users(session, page.principal.actor)
    return render_form_page(
        request,
        page.viewer,
        "admin_users.html",
        refusal=refusal,
        done=_DONE,
        users=users,
        teams=_teams_of(session),
        locked={u.id for u in users if _locked(u, now)},
        roles=list(Role),
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, page: AdminPage, session: SessionDep, now: NowDep) -> Response:
    """Every user, and the form that makes one."""
    return _users_page(request, page, session, now)


@router.post("/admin/users")
async def user_create(
    request: Request, page: AdminPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Make a user; a refusal keeps what was typed except the password."""

    def run(form: FormReader) -> User:
        draft = auth_svc.UserDraft(
            username=form.text("username"),
            password=form.text("password"),
            role=form.choice("role", Role),
            display_name=form.text("display_name"),
            email=form.text("email") or None,
        )
        return auth_svc.create_user(session, page.principal.actor, draft, now=now)

    return await form_write(
        request,
        run,
        keep=_NEW_KEEP,
        redraw=lambda refusal: _users_page(request, page, session, now, refusal),
        done=lambda user: f"/admin/users/{user.id}?done=created",
        missing_is_404=False,
    )


def _user_page(
    request: Request,
    page: Page,
    session: SessionDep,
    now: datetime,
    user_id: int,
    refusal: Refusal | None = None,
) -> Response:
    user = auth_svc.get_user(session, page.principal.actor, user_id)
    return render_form_page(
        request,
        page.viewer,
        "admin_user.html",
        refusal=refusal,
        done=_DONE,
        person=user,
        teams=_teams_of(session).get(user.id, []),
        locked=_locked(user, now),
        roles=list(Role),
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(
    request: Request, user_id: int, page: AdminPage, session: SessionDep, now: NowDep
) -> Response:
    """One user: the form that changes it, and its login lock."""
    return _user_page(request, page, session, now, user_id)


@router.post("/admin/users/{user_id}")
async def user_edit(
    request: Request, user_id: int, page: AdminPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Change a user; a new password or deactivation signs it out everywhere."""

    def run(form: FormReader) -> User:
        return auth_svc.update_user(
            session,
            page.principal.actor,
            user_id,
            version=form.required_int("version"),
            now=now,
            role=form.choice("role", Role),
            display_name=form.text("display_name"),
            email=form.text("email"),
            active=form.flag("active"),
            password=form.text("password") or None,
        )

    return await form_write(
        request,
        run,
        keep=_EDIT_KEEP,
        redraw=lambda refusal: _user_page(request, page, session, now, user_id, refusal),
        done=f"/admin/users/{user_id}?done=saved",
    )


@router.post("/admin/users/{user_id}/unlock")
async def user_unlock(
    request: Request, user_id: int, page: AdminPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """End the user's login lock now and clear its failed logins (audited)."""

    def run(_form: FormReader) -> User:
        return login_svc.unlock_user(session, page.principal.actor, user_id, now=now)

    return await form_write(
        request,
        run,
        redraw=lambda refusal: _user_page(request, page, session, now, user_id, refusal),
        done=f"/admin/users/{user_id}?done=unlocked",
    )


def _teams_page(
    request: Request, page: Page, session: SessionDep, refusal: Refusal | None = None
) -> Response:
    teams = auth_svc.list_teams(session)
    users = auth_svc.list_users(session, page.principal.actor)
    return render_form_page(
        request,
        page.viewer,
        "admin_teams.html",
        refusal=refusal,
        done=_TEAM_DONE,
        teams=teams,
        users=users,
        names={u.id: u.display_name or u.username for u in users},
        supervisors=[u for u in users if Role(u.role).can_supervise],
        tiers=list(Tier),
    )


@router.get("/admin/teams", response_class=HTMLResponse)
def teams_page(request: Request, page: AdminPage, session: SessionDep) -> Response:
    """Every team with its members, the form that makes one and, per team, the boxes
    that set its members."""
    return _teams_page(request, page, session)


@router.post("/admin/teams")
async def team_create(
    request: Request, page: AdminPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Make a team with its supervisor and members."""

    def run(form: FormReader) -> object:
        draft = auth_svc.TeamDraft(
            name=form.text("name"),
            tier=form.choice("tier", Tier),
            supervisor_id=form.integer("supervisor_id"),
            member_ids=tuple(form.ids("member_ids")),
        )
        return auth_svc.create_team(session, page.principal.actor, draft, now=now)

    return await form_write(
        request,
        run,
        keep=("name",),
        redraw=lambda refusal: _teams_page(request, page, session, refusal),
        done="/admin/teams?done=created",
        missing_is_404=False,
    )


@router.post("/admin/teams/{team_id}/members")
async def team_members(
    request: Request, team_id: int, page: AdminPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Set a team's members to the ticked users; a form older than the team gets 409."""

    def run(form: FormReader) -> object:
        return auth_svc.set_team_members(
            session,
            page.principal.actor,
            team_id,
            form.ids("member_ids"),
            version=form.required_int("version"),
            now=now,
        )

    return await form_write(
        request,
        run,
        redraw=lambda refusal: _teams_page(request, page, session, refusal),
        done=f"/admin/teams?done=members#team-{team_id}",
    )


#: Audit entries, or outbox messages, per page.
PAGE_SIZE = 50
#: The page of each kind of record an audit entry can link to.
_RECORD_PAGES = {
    "work_order": "/orders/{}",
    "customer": "/customers/{}",
    "user": "/admin/users/{}",
    "survey": "/surveys/{}",
    "survey_wave": "/waves/{}",
}
_Filter = Annotated[str, Query(max_length=60)]


def _older_query(where: AuditFilter, last_id: int) -> str:
    """The query of the next (older) page: the same filters, those set only."""
    fields = {
        "action": where.action,
        "entity": where.entity,
        "entity_id": where.entity_id,
        "actor_id": "" if where.actor_id is None else str(where.actor_id),
    }
    return urlencode({**{k: v for k, v in fields.items() if v}, "before_id": last_id})


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    page: AdminPage,
    session: SessionDep,
    action: _Filter = "",
    entity: _Filter = "",
    entity_id: Annotated[str, Query(max_length=40)] = "",
    actor_id: Annotated[str, Query(max_length=12, pattern=r"^\d*$")] = "",
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    """The audit log, newest first, filtered by action, record or user (the filter form
    sends ``actor_id`` empty for anyone); older entries a page at a time."""
    where = AuditFilter(
        action=action.strip(),
        entity=entity.strip(),
        entity_id=entity_id.strip(),
        actor_id=int(actor_id) if actor_id else None,
        before_id=before_id,
    )
    entries = list_audit(session, page.principal.actor, where, limit=PAGE_SIZE + 1)
    return render(
        request,
        page.viewer,
        "admin_audit.html",
        entries=entries[:PAGE_SIZE],
        older=_older_query(where, entries[PAGE_SIZE - 1].id) if len(entries) > PAGE_SIZE else None,
        where=where,
        users=auth_svc.list_users(session, page.principal.actor),
        record_pages=_RECORD_PAGES,
    )


_OUTBOX_DONE = {"retried": "The failed messages will be tried again."}


def _outbox_page(
    request: Request,
    page: Page,
    session: SessionDep,
    now: datetime,
    state: OutboxState,
    before_id: int | None = None,
    refusal: Refusal | None = None,
) -> Response:
    actor = page.principal.actor
    messages = list_outbox(session, actor, state, before_id=before_id, limit=PAGE_SIZE + 1)
    return render_form_page(
        request,
        page.viewer,
        "admin_outbox.html",
        refusal=refusal,
        done=_OUTBOX_DONE,
        counts=outbox_counts(session, actor, now=now),
        state=state,
        states=list(OutboxState),
        messages=messages[:PAGE_SIZE],
        older=messages[PAGE_SIZE - 1].id if len(messages) > PAGE_SIZE else None,
    )


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request,
    page: AdminPage,
    session: SessionDep,
    now: NowDep,
    state: OutboxState = OutboxState.PENDING,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    """The outbox: how many messages wait, failed or went out, and a page of one kind."""
    return _outbox_page(request, page, session, now, state, before_id)


@router.post("/admin/outbox/retry")
async def outbox_retry(
    request: Request,
    page: AdminPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Try the failed messages again: the one given (``id``), else every failed one."""

    def run(form: FormReader) -> int:
        one = form.integer("id")
        return retry_failed(
            session,
            page.principal.actor,
            ids=None if one is None else [one],
            now=now,
            after_commit=after,
        )

    return await form_write(
        request,
        run,
        redraw=lambda refusal: _outbox_page(
            request, page, session, now, OutboxState.FAILED, refusal=refusal
        ),
        done="/admin/outbox?state=failed&done=retried",
        missing_is_404=False,
    )


_HOOK_DONE = {
    "created": "Webhook added: its events are posted to it from now on.",
    "deleted": "Webhook removed.",
}


def _webhooks_page(
    request: Request, page: Page, session: SessionDep, refusal: Refusal | None = None
) -> Response:
    return render_form_page(
        request,
        page.viewer,
        "admin_webhooks.html",
        refusal=refusal,
        done=_HOOK_DONE,
        hooks=notify_svc.list_webhooks(session, page.principal.actor),
        events=WEBHOOK_EVENTS,
    )


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, page: AdminPage, session: SessionDep) -> Response:
    """The webhook subscriptions (never their secrets) and the form that adds one."""
    return _webhooks_page(request, page, session)


@router.post("/admin/webhooks")
async def webhook_create(
    request: Request, page: AdminPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Subscribe a URL to the events ticked (``*``: every event)."""

    def run(form: FormReader) -> object:
        return notify_svc.create_webhook(
            session,
            page.principal.actor,
            url=form.text("url"),
            events=form.ticked("events"),
            secret=form.text("secret"),
            now=now,
        )

    return await form_write(
        request,
        run,
        keep=("url", "events"),
        redraw=lambda refusal: _webhooks_page(request, page, session, refusal),
        done="/admin/webhooks?done=created",
        missing_is_404=False,
    )


@router.post("/admin/webhooks/{webhook_id}/delete")
async def webhook_delete(
    request: Request,
    webhook_id: int,
    page: AdminPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Remove a subscription."""

    def run(_form: FormReader) -> None:
        notify_svc.delete_webhook(session, page.principal.actor, webhook_id, now=now)

    return await form_write(
        request,
        run,
        redraw=lambda refusal: _webhooks_page(request, page, session, refusal),
        done="/admin/webhooks?done=deleted",
    )
