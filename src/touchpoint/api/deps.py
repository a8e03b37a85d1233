"""Request dependencies: session, clock, current user (bearer token or cookie), roles.

API routes take one :class:`RequestDesk` for the roles they admit (``WorkerDesk``,
``ReaderDesk``, ``SupervisorDesk``, ``ReporterDesk``, ``AdminDesk``): session, user,
instant and outbox wake-up in one dependency. The pages (``touchpoint.web``) combine
their own page dependency with ``SessionDep``, ``NowDep`` and ``AfterCommitDep``.

Every dependency is ``async def``: FastAPI would run a plain ``def`` in its thread pool,
a hand-off per dependency per request. The one that reads the database (the current
user) goes through :meth:`DeskState.call`, like the routes' service calls.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, ParamSpec, TypeVar

import anyio
from fastapi import Depends, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import UploadFile

from touchpoint.domain.errors import DomainError
from touchpoint.domain.roles import Role
from touchpoint.services.auth import SignedInUser, TokenSigner, principal_for_token
from touchpoint.services.base import Actor, WouldWait, not_waiting
from touchpoint.services.errors import AuthenticationError, ForbiddenError
from touchpoint.services.imports import IMPORT_ENCODINGS
from touchpoint.services.login import LoginGate
from touchpoint.services.notify import MailConfig, OutboxDispatcher
from touchpoint.services.survey_links import DESK_TIME_ZONE, SurveyLinks
from touchpoint.services.survey_responses import KioskGate
from touchpoint.services.wave_snapshots import WaveSnapshots
from touchpoint.storage.models import User

__all__ = [
    "CSRF_HEADER",
    "MAX_UPLOAD",
    "SESSION_COOKIE",
    "AdminDesk",
    "AfterCommitDep",
    "CsvEncoding",
    "CurrentUser",
    "DeskState",
    "IdPath",
    "NowDep",
    "Principal",
    "ReaderDesk",
    "ReporterDesk",
    "RequestDesk",
    "SessionDep",
    "SupervisorDesk",
    "WorkerDesk",
    "client_address",
    "desk_for",
    "desk_state",
    "get_current_user",
    "get_session",
    "read_upload",
]

SESSION_COOKIE = "touchpoint_session"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="Numeric id")]

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass
class DeskState:
    """What the app factory wires up once: database, signer, clock, outbox."""

    engine: Engine
    factory: sessionmaker[Session]
    signer: TokenSigner
    clock: Callable[[], datetime]
    dispatcher: OutboxDispatcher | None
    mail: MailConfig | None
    # Login throttling and the bounded pool of password checks (``services.login``).
    login: LoginGate = field(default_factory=LoginGate)
    # Survey links (signing, public URL, recontact days) and the kiosk's rate limit. A
    # desk built without them signs its links with a key of its own making.
    surveys: SurveyLinks = field(default_factory=lambda: SurveyLinks(secrets.token_urlsafe(32)))
    kiosk: KioskGate = field(default_factory=KioskGate)
    # The waves' Parquet snapshots the analyses read (``services.wave_snapshots``); a desk
    # built without a folder writes a temporary one per analysis.
    snapshots: WaveSnapshots = field(default_factory=WaveSnapshots)
    # The desk's time zone (``TOUCHPOINT_TIME_ZONE``): local dates of the reports when a
    # request names none, and the month of a return visit.
    time_zone: str = DESK_TIME_ZONE

    @property
    def local_database(self) -> bool:
        """SQLite: a local file, no network round trip per statement."""
        return self.engine.dialect.name == "sqlite"

    async def call(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run a blocking database call (a service function) for a request.

        On SQLite it runs right here on the event loop. Its statements only use CPU and
        the local file, so a worker thread would not run in parallel anyway (it holds the
        GIL); it would hand the GIL back and forth with the loop at every SQLite call,
        which only adds CPU to every write (bench/api_writes.py measures it). Several
        worker processes give the parallelism. Only when its write unit would wait for
        SQLite's writer lock beyond a few milliseconds (another process's sweep or import
        holds it: ``services.base.not_waiting``) does the call, having written nothing,
        run again in the thread pool and wait there, while the loop serves other requests.
        Over a network (PostgreSQL) the call runs in the thread pool, so that the loop
        serves other requests while it waits.
        """
        if self.local_database:
            try:
                with not_waiting():
                    return fn(*args, **kwargs)
            except WouldWait:
                pass  # another writer holds the file for long: wait for it in a thread
        return await run_in_threadpool(fn, *args, **kwargs)

    async def sign_in(
        self, request: Request, session: Session, username: str, password: str
    ) -> User:
        """The user with this username and password, throttled per user and per client
        address (``services.login``): ``AuthenticationError`` or ``LoginThrottled``
        otherwise. The database steps go through :meth:`call`; the argon2 check runs in
        the login pool, so that the loop and the thread pool stay free meanwhile."""
        return await self.login.sign_in(
            self.call,
            session,
            username,
            password,
            address=client_address(request),
            clock=self.clock,
        )


#: The largest file an import takes.
MAX_UPLOAD = 20 * 1024 * 1024


#: An import's ``encoding`` form field: the CSV file's text encoding.
CsvEncoding = Annotated[
    str,
    Form(
        max_length=20,
        description="The CSV file's text encoding: "
        + ", ".join(IMPORT_ENCODINGS)
        + " (XLSX ignores it)",
    ),
]


def read_upload(upload: UploadFile) -> bytes:
    """An uploaded file's bytes, refused (naming the limit) when larger than
    :data:`MAX_UPLOAD`."""
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise DomainError(
            f"file: larger than {MAX_UPLOAD} bytes",
            code="import_file_too_large",
            params={"megabytes": MAX_UPLOAD // (1024 * 1024)},
        )
    return bytes(data)


def client_address(request: Request) -> str:
    """The client's address, as the server saw it (behind a proxy, the proxy's unless
    the server is told to trust its forwarding headers: ``uvicorn --proxy-headers``)."""
    return request.client.host if request.client is not None else ""


def desk_state(request: Request) -> DeskState:
    """The desk the app serves (``app.state.desk``), typed."""
    state: DeskState = request.app.state.desk
    return state


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, closed afterwards (see ``_close``)."""
    state = desk_state(request)
    session = state.factory()
    try:
        yield session
    finally:
        await _close(state, session)


async def _close(state: DeskState, session: Session) -> None:
    """Close a request's session. Opening one does no I/O (it connects on first use).
    Closing one that still holds a transaction rolls it back, a round trip on
    PostgreSQL: that is done in the thread pool; a committed write (or SQLite, where the
    rollback stays in process) closes on the loop. Shielded: a request cancelled at its
    time limit (``api.time_limit``) still gives its connection back to the pool."""
    if session.in_transaction() and not state.local_database:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(session.close)
    else:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


async def get_now(request: Request) -> datetime:
    """The request's instant (the app's clock; tests inject a fixed one)."""
    return desk_state(request).clock()


NowDep = Annotated[datetime, Depends(get_now)]


async def get_after_commit(request: Request) -> Callable[[], None] | None:
    """Wakes the outbox dispatcher after a commit that queued notifications."""
    return _wake(desk_state(request))


def _wake(state: DeskState) -> Callable[[], None] | None:
    return state.dispatcher.wake if state.dispatcher is not None else None


AfterCommitDep = Annotated[Callable[[], None] | None, Depends(get_after_commit)]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/auth/token")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user and its service-layer actor."""

    user: SignedInUser
    actor: Actor


async def get_current_user(
    request: Request,
    session: SessionDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The user of a bearer token, else of the signed session cookie.

    Cookie-authenticated unsafe requests must carry the CSRF token in the
    ``X-CSRF-Token`` header (forms: check it with ``TokenSigner.check_csrf``).
    """
    state = desk_state(request)
    return await state.call(_authenticate, request, state.signer, session, creds)


def _authenticate(
    request: Request,
    signer: TokenSigner,
    session: Session,
    creds: HTTPAuthorizationCredentials | None,
) -> Principal:
    if creds is not None:
        user, actor = principal_for_token(session, signer, creds.credentials)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise AuthenticationError("not authenticated: send a bearer token or log in")
        user, actor = principal_for_token(session, signer, cookie, cookie=True)
        if request.method in _UNSAFE:
            token = request.headers.get(CSRF_HEADER, "")
            if not signer.check_csrf(cookie, token):
                raise ForbiddenError(f"missing or wrong {CSRF_HEADER} header")
    return Principal(user=user, actor=actor)


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def _check_role(principal: Principal, allowed: frozenset[Role]) -> None:
    if principal.actor.role not in allowed:
        names = sorted(r.value for r in allowed)
        raise ForbiddenError(
            f"role {principal.actor.role.value!r} may not use this endpoint; needs {names}"
        )


@dataclass(frozen=True, slots=True)
class RequestDesk:
    """What a route's service calls need, solved as one dependency (``desk_for``): the
    request's session, its authenticated user and actor, its instant, the outbox wake-up
    and the app's wiring (``call``)."""

    session: Session
    principal: Principal
    now: datetime
    after_commit: Callable[[], None] | None
    state: DeskState

    @property
    def actor(self) -> Actor:
        """The authenticated user as the service layer sees it."""
        return self.principal.actor

    async def call(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run a service call for this request (:meth:`DeskState.call`)."""
        return await self.state.call(fn, *args, **kwargs)


def desk_for(*roles: Role) -> Callable[..., AsyncIterator[RequestDesk]]:
    """A dependency giving a route its :class:`RequestDesk` when the caller has one of
    ``roles`` (401 unauthenticated, 403 otherwise).

    It does in one dependency what a session, a role check (on the current user), the
    clock and the outbox wake-up would do as five, with the user's, the session's and
    the bearer's below them: FastAPI solves every dependency of every request again, so
    fewer dependencies make every write cheaper (bench/api_writes.py ``--in-process``).
    The session is the request's own (closed as by ``get_session``); the user is read
    once, as by ``get_current_user``.
    """
    allowed = frozenset(roles)

    async def desk(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> AsyncIterator[RequestDesk]:
        state = desk_state(request)
        session = state.factory()
        try:
            principal = await state.call(_authenticate, request, state.signer, session, creds)
            _check_role(principal, allowed)
            yield RequestDesk(
                session=session,
                principal=principal,
                now=state.clock(),
                after_commit=_wake(state),
                state=state,
            )
        finally:
            await _close(state, session)

    return desk


ReaderDesk = Annotated[RequestDesk, Depends(desk_for(*Role))]
WorkerDesk = Annotated[RequestDesk, Depends(desk_for(Role.AGENT, Role.SUPERVISOR, Role.ADMIN))]
SupervisorDesk = Annotated[RequestDesk, Depends(desk_for(Role.SUPERVISOR, Role.ADMIN))]
ReporterDesk = Annotated[RequestDesk, Depends(desk_for(Role.ANALYST, Role.SUPERVISOR, Role.ADMIN))]
AdminDesk = Annotated[RequestDesk, Depends(desk_for(Role.ADMIN))]
