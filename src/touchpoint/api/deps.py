"""Request dependencies: session, clock, current user (bearer token or cookie), roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from touchpoint.domain.roles import Role
from touchpoint.services.auth import TokenSigner, actor_for, user_for_token
from touchpoint.services.base import Actor
from touchpoint.services.errors import AuthenticationError, ForbiddenError
from touchpoint.services.notify import MailConfig, OutboxDispatcher
from touchpoint.storage.models import User

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Admin",
    "AfterCommitDep",
    "CurrentUser",
    "DeskState",
    "IdPath",
    "NowDep",
    "Principal",
    "Reader",
    "Reporter",
    "SessionDep",
    "Supervisor",
    "Worker",
    "get_current_user",
    "get_session",
    "require_roles",
]

SESSION_COOKIE = "touchpoint_session"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="Numeric id")]


@dataclass
class DeskState:
    """What the app factory wires up once: database, signer, clock, outbox."""

    engine: Engine
    factory: sessionmaker[Session]
    signer: TokenSigner
    clock: Callable[[], datetime]
    dispatcher: OutboxDispatcher | None
    mail: MailConfig | None


def _state(request: Request) -> DeskState:
    state: DeskState = request.app.state.desk
    return state


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, closed afterwards."""
    with _state(request).factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_now(request: Request) -> datetime:
    """The request's instant (the app's clock; tests inject a fixed one)."""
    return _state(request).clock()


NowDep = Annotated[datetime, Depends(get_now)]


def get_after_commit(request: Request) -> Callable[[], None] | None:
    """Wakes the outbox dispatcher after a commit that queued notifications."""
    d = _state(request).dispatcher
    return d.wake if d is not None else None


AfterCommitDep = Annotated[Callable[[], None] | None, Depends(get_after_commit)]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/auth/token")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user and its service-layer actor."""

    user: User
    actor: Actor


def get_current_user(
    request: Request,
    session: SessionDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The user of a bearer token, else of the signed session cookie.

    Cookie-authenticated unsafe requests must carry the CSRF token in the
    ``X-CSRF-Token`` header (forms: check it with ``TokenSigner.check_csrf``).
    """
    signer = _state(request).signer
    if creds is not None:
        user = user_for_token(session, signer, creds.credentials)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise AuthenticationError("not authenticated: send a bearer token or log in")
        user = user_for_token(session, signer, cookie, cookie=True)
        if request.method in _UNSAFE:
            token = request.headers.get(CSRF_HEADER, "")
            if not signer.check_csrf(cookie, token):
                raise ForbiddenError(f"missing or wrong {CSRF_HEADER} header")
    return Principal(user=user, actor=actor_for(session, user))


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only ``roles`` through (403 otherwise)."""
    allowed = frozenset(roles)

    def check(principal: CurrentUser) -> Principal:
        if principal.actor.role not in allowed:
            names = sorted(r.value for r in allowed)
            raise ForbiddenError(
                f"role {principal.actor.role.value!r} may not use this endpoint; needs {names}"
            )
        return principal

    return check


Reader = Annotated[Principal, Depends(require_roles(*Role))]
Worker = Annotated[Principal, Depends(require_roles(Role.AGENT, Role.SUPERVISOR, Role.ADMIN))]
Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]
Reporter = Annotated[Principal, Depends(require_roles(Role.ANALYST, Role.SUPERVISOR, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
