"""Users, teams, passwords and tokens: argon2 hashes, signed bearer tokens and cookie sessions.

Bearer tokens and session cookies are signed with itsdangerous and carry the user id and
``auth_epoch``; bumping the epoch (password change, deactivation) revokes them. The CSRF
token of a form is an HMAC of the session cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from touchpoint.domain.errors import DomainError, empty_field
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import Tier
from touchpoint.services.base import Actor, check_version, get_or_404, require, snapshot, write
from touchpoint.services.errors import AuthenticationError, ConflictError, NotFoundError
from touchpoint.storage.models import Team, TeamMember, User

__all__ = [
    "TOKEN_MAX_AGE_SECONDS",
    "SignedInUser",
    "TeamDraft",
    "TokenSigner",
    "UserDraft",
    "actor_for",
    "actor_named",
    "authenticate",
    "create_team",
    "create_user",
    "get_user",
    "hash_password",
    "list_teams",
    "list_users",
    "principal_for_token",
    "set_team_members",
    "update_user",
    "verify_password",
]

TOKEN_MAX_AGE_SECONDS = 12 * 3600
#: A password's length in characters, as the API's schema also says.
PASSWORD_LENGTH = (8, 200)
_hasher = PasswordHasher()
_VERIFIED_MAX = 4096  # tokens whose signature is remembered, per signer


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (at least 8 characters)."""
    if len(password) < 8:
        raise DomainError("password: must be at least 8 characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class TokenSigner:
    """Signs bearer tokens, session cookies and CSRF tokens with one secret key."""

    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key.encode()
        self._tokens = URLSafeTimedSerializer(secret_key, salt="touchpoint.api-token")
        self._cookies = URLSafeTimedSerializer(secret_key, salt="touchpoint.session")
        # Tokens whose signature checked out: (uid, epoch, signed at, epoch seconds). Every
        # request still loads the user, so revocation (the epoch) and roles stay live.
        self._verified: dict[tuple[bool, str], tuple[int, int, float]] = {}

    def issue(self, user: User, *, cookie: bool = False) -> str:
        """A token (or cookie value) for ``user``."""
        s = self._cookies if cookie else self._tokens
        return str(s.dumps({"uid": user.id, "ep": user.auth_epoch}))

    def read(self, token: str, *, cookie: bool = False) -> tuple[int, int]:
        """The (user id, epoch) in a valid token; raises ``AuthenticationError``."""
        key = (cookie, token)
        hit = self._verified.get(key)
        if hit is not None and 0 <= time.time() - hit[2] <= TOKEN_MAX_AGE_SECONDS:
            return hit[0], hit[1]
        s = self._cookies if cookie else self._tokens
        try:
            data, signed = s.loads(token, max_age=TOKEN_MAX_AGE_SECONDS, return_timestamp=True)
        except SignatureExpired:
            raise AuthenticationError("token expired; log in again") from None
        except BadSignature:
            raise AuthenticationError("invalid token") from None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
            raise AuthenticationError("invalid token")
        uid, epoch = int(data["uid"]), int(data.get("ep", 0))
        if len(self._verified) >= _VERIFIED_MAX:
            self._verified.clear()
        self._verified[key] = (uid, epoch, signed.timestamp())
        return uid, epoch

    def csrf_token(self, session_cookie: str) -> str:
        """The CSRF token that forms of this session must send back."""
        return hmac.new(
            self._secret, b"csrf:" + session_cookie.encode(), hashlib.sha256
        ).hexdigest()

    def check_csrf(self, session_cookie: str, token: str) -> bool:
        """Whether ``token`` is the CSRF token of ``session_cookie``."""
        return hmac.compare_digest(self.csrf_token(session_cookie), token)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this username and password, else ``AuthenticationError``.

    A plain check, neither throttled nor audited: the API and the pages log in through
    ``services.login`` (user locks, waits per address, the bounded pool of checks)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise AuthenticationError("unknown user or wrong password")
    return user


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """The user a token or session cookie belongs to, as routes and pages show them."""

    id: int
    username: str
    display_name: str
    role: str


_USERS = User.metadata.tables[User.__tablename__]
_MEMBERS = TeamMember.metadata.tables[TeamMember.__tablename__]
# The user joined to its team memberships, on the request's connection: every request
# asks it, and an ORM object of the user is not needed to answer it.
_PRINCIPAL = (
    select(
        _USERS.c.id,
        _USERS.c.username,
        _USERS.c.display_name,
        _USERS.c.role,
        _USERS.c.active,
        _USERS.c.auth_epoch,
        _MEMBERS.c.team_id,
    )
    .outerjoin(_MEMBERS, _MEMBERS.c.user_id == _USERS.c.id)
    .where(_USERS.c.id == bindparam("uid"))
)


def principal_for_token(
    session: Session, signer: TokenSigner, token: str, *, cookie: bool = False
) -> tuple[SignedInUser, Actor]:
    """The active user a token belongs to and its ``Actor``, read in one query (the user
    joined to its team memberships); raises ``AuthenticationError``."""
    uid, epoch = signer.read(token, cookie=cookie)
    rows = session.connection().execute(_PRINCIPAL, {"uid": uid}).all()
    if not rows:
        raise AuthenticationError("token revoked; log in again")
    user_id, username, display_name, role, active, auth_epoch, _team = rows[0]
    if not active or auth_epoch != epoch:
        raise AuthenticationError("token revoked; log in again")
    teams = frozenset(row.team_id for row in rows if row.team_id is not None)
    user = SignedInUser(user_id, username, display_name, role)
    return user, Actor(user_id=user_id, username=username, role=Role(role), team_ids=teams)


def actor_for(session: Session, user: User) -> Actor:
    """The ``Actor`` of ``user``, with the teams it belongs to."""
    teams = session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id)).all()
    return Actor(
        user_id=user.id, username=user.username, role=Role(user.role), team_ids=frozenset(teams)
    )


def actor_named(session: Session, username: str) -> Actor:
    """The ``Actor`` of the active user ``username`` (a command run on the server on a
    person's behalf, so that the audit log names them)."""
    user = session.scalars(select(User).where(User.username == username, User.active)).first()
    if user is None:
        raise NotFoundError("user", username)
    return actor_for(session, user)


@dataclass(frozen=True, slots=True)
class UserDraft:
    """Fields of a new user."""

    username: str
    password: str
    role: Role
    display_name: str = ""
    email: str | None = None


def _check_password(password: str) -> None:
    """Refuse a password shorter or longer than :data:`PASSWORD_LENGTH` (never echoed)."""
    low, high = PASSWORD_LENGTH
    if not low <= len(password) <= high:
        raise DomainError(
            f"password: must be {low}–{high} characters",
            code="password_length",
            params={"low": low, "high": high},
        )


def create_user(session: Session, actor: Actor, draft: UserDraft, *, now: datetime) -> User:
    """Create a user (admin only); the password is stored as an argon2 hash."""
    require(actor, actor.role.can_administer, "manage users")
    name = draft.username.strip()
    if not name or len(name) > 64:
        raise DomainError(
            f"username: {draft.username!r} must be 1–64 characters",
            code="username_length",
            params={"value": draft.username},
        )
    _check_password(draft.password)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise ConflictError(
            f"username: {name!r} is taken", code="username_taken", params={"username": name}
        )
    with write(session, actor, "user.create", now=now) as unit:
        user = User(
            username=name,
            display_name=draft.display_name or name,
            email=draft.email,
            password_hash=hash_password(draft.password),
            role=draft.role.value,
            active=True,
            auth_epoch=0,
            created_at=now,
        )
        session.add(user)
        session.flush()
        unit.audit("user", user.id, before=None, after=snapshot(user))
    return user


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    version: int,
    now: datetime,
    role: Role | None = None,
    display_name: str | None = None,
    email: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> User:
    """Change a user (admin only); a new password or deactivation revokes its tokens."""
    require(actor, actor.role.can_administer, "manage users")
    with write(session, actor, "user.update", now=now) as unit:
        user = get_or_404(session, User, user_id)
        check_version("user", user.id, user.version, version)
        before = snapshot(user)
        if role is not None:
            user.role = role.value
        if display_name is not None:
            user.display_name = display_name
        if email is not None:
            user.email = email or None  # a blank e-mail removes it
        if active is not None and active != user.active:
            user.active = active
            user.auth_epoch += 1
        if password is not None:
            _check_password(password)
            user.password_hash = hash_password(password)
            user.auth_epoch += 1
        session.flush()
        unit.audit("user", user.id, before=before, after=snapshot(user))
    return user


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    """One user (admins), or ``NotFoundError``."""
    require(actor, actor.role.can_administer, "manage users")
    return get_or_404(session, User, user_id)


def list_users(session: Session, actor: Actor) -> list[User]:
    """All users (supervisors and admins)."""
    require(actor, actor.role.can_supervise, "list users")
    return list(session.scalars(select(User).order_by(User.id)))


@dataclass(frozen=True, slots=True)
class TeamDraft:
    """Fields of a new team."""

    name: str
    tier: Tier = Tier.L1
    supervisor_id: int | None = None
    member_ids: tuple[int, ...] = ()


def create_team(session: Session, actor: Actor, draft: TeamDraft, *, now: datetime) -> Team:
    """Create a team with its members (admin only)."""
    require(actor, actor.role.can_administer, "manage teams")
    name = draft.name.strip()
    if not name:
        raise empty_field("name")
    if session.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise ConflictError(
            f"name: team {name!r} exists", code="team_name_taken", params={"name": name}
        )
    with write(session, actor, "team.create", now=now) as unit:
        if draft.supervisor_id is not None:
            get_or_404(session, User, draft.supervisor_id)
        team = Team(name=name, tier=draft.tier.value, supervisor_id=draft.supervisor_id)
        session.add(team)
        session.flush()
        members = sorted(set(draft.member_ids))
        for uid in members:
            get_or_404(session, User, uid)
            session.add(TeamMember(team_id=team.id, user_id=uid))
        unit.audit("team", team.id, before=None, after={**snapshot(team), "members": members})
    return team


def set_team_members(
    session: Session,
    actor: Actor,
    team_id: int,
    member_ids: list[int],
    *,
    version: int,
    now: datetime,
) -> Team:
    """Replace a team's members (admin only)."""
    require(actor, actor.role.can_administer, "manage teams")
    with write(session, actor, "team.members", now=now) as unit:
        team = get_or_404(session, Team, team_id)
        check_version("team", team.id, team.version, version)
        before = sorted(
            session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id))
        )
        members = sorted(set(member_ids))
        for uid in members:
            get_or_404(session, User, uid)
        session.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
        for uid in members:
            session.add(TeamMember(team_id=team_id, user_id=uid))
        flag_modified(team, "name")  # membership lives in its own table; bump the team version
        session.flush()
        unit.audit("team", team.id, before={"members": before}, after={"members": members})
    return team


def list_teams(session: Session) -> list[tuple[Team, list[int]]]:
    """Teams with their member ids."""
    teams = list(session.scalars(select(Team).order_by(Team.id)))
    rows = session.execute(select(TeamMember.team_id, TeamMember.user_id)).all()
    members: dict[int, list[int]] = {}
    for tid, uid in rows:
        members.setdefault(tid, []).append(uid)
    return [(t, sorted(members.get(t.id, []))) for t in teams]
