"""Log in (bearer token or cookie session), log out, who am I, and the benchmark no-op."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from touchpoint.api.deps import SESSION_COOKIE, CurrentUser, ReaderDesk, SessionDep, desk_state
from touchpoint.api.errors import ERROR_RESPONSES, LOGIN_RESPONSES
from touchpoint.api.schemas import LoginCreate, MePublic, NoopPublic, TokenPublic
from touchpoint.services.auth import TOKEN_MAX_AGE_SECONDS, actor_for

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["auth"], responses=ERROR_RESPONSES)


# Both logins are ``async``: the password is checked in the login pool (DeskState.sign_in),
# so that a flood of wrong passwords holds neither the event loop nor the thread pool.
@router.post("/auth/token", response_model=TokenPublic, responses=LOGIN_RESPONSES)
async def issue_token(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
) -> TokenPublic:
    """OAuth2 password form → bearer token. Throttled: 429 with ``Retry-After`` while
    the user is locked after too many failed logins, or this address must wait."""
    state = desk_state(request)
    user = await state.sign_in(request, session, username, password)
    return TokenPublic(access_token=state.signer.issue(user), role=user.role, user_id=user.id)


@router.post("/auth/login", response_model=MePublic, responses=LOGIN_RESPONSES)
async def login(
    request: Request, response: Response, session: SessionDep, body: LoginCreate
) -> MePublic:
    """Start a cookie session (for the web pages); the answer carries the CSRF token.
    Throttled as ``/api/auth/token``."""
    state = desk_state(request)
    user = await state.sign_in(request, session, body.username, body.password)
    signer = state.signer
    cookie = signer.issue(user, cookie=True)
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=TOKEN_MAX_AGE_SECONDS, httponly=True, samesite="lax"
    )
    actor = await state.call(actor_for, session, user)
    return MePublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        team_ids=sorted(actor.team_ids),
        csrf_token=signer.csrf_token(cookie),
    )


@router.post("/auth/logout", status_code=204)
def logout(response: Response) -> Response:
    """End the cookie session."""
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


@router.get("/auth/me", response_model=MePublic)
def me(request: Request, principal: CurrentUser) -> MePublic:
    """The current user (and, for cookie sessions, its CSRF token)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    u = principal.user
    return MePublic(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        team_ids=sorted(principal.actor.team_ids),
        csrf_token=desk_state(request).signer.csrf_token(cookie) if cookie else None,
    )


@router.get("/noop", response_model=NoopPublic)
async def noop(d: ReaderDesk) -> NoopPublic:
    """Authenticated no-op: the write benchmark's baseline (same auth path as writes).

    ``async`` and on a ``RequestDesk`` like the work-order routes, so that it measures
    the same path: the token is checked through ``DeskState.call``, the session closed
    afterwards, and no thread hand-off follows.
    """
    del d
    return NoopPublic()
