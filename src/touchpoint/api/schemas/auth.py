"""Schemas of the auth router: tokens, login, the current user, the no-op."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from touchpoint.domain.roles import Role

__all__ = [
    "LoginCreate",
    "MePublic",
    "NoopPublic",
    "TokenPublic",
]


class TokenPublic(BaseModel):
    """A bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (OAuth2 token type, not a secret)
    role: Role
    user_id: int


class LoginCreate(BaseModel):
    """Username and password (JSON form of the token request)."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class MePublic(BaseModel):
    """The current user."""

    id: int
    username: str
    display_name: str
    role: Role
    team_ids: list[int]
    csrf_token: str | None = None


class NoopPublic(BaseModel):
    """The no-op answer."""

    ok: bool = True
