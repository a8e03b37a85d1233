"""Customers, their identities and guest history (DOMAIN.md §1)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from touchpoint.domain.errors import DomainError

__all__ = [
    "CustomerClass",
    "CustomerKind",
    "Identity",
    "IdentityKind",
    "mask_email",
    "mask_identity",
    "mask_phone",
    "normalise_identity",
    "normalise_name",
    "validate_preferences",
]


class CustomerKind(StrEnum):
    """A customer is a person or an organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"


class CustomerClass(StrEnum):
    """Customer class used by SLA selection and reporting."""

    KEY_ACCOUNT = "key_account"
    VIP = "vip"
    NORMAL = "normal"
    POTENTIAL = "potential"
    FORMER = "former"
    INTERNAL = "internal"

    @property
    def is_key(self) -> bool:
        """Key accounts and VIPs get their own process."""
        return self in (CustomerClass.KEY_ACCOUNT, CustomerClass.VIP)

    @property
    def is_current(self) -> bool:
        """Whether the customer currently buys (not potential or former)."""
        return self not in (CustomerClass.POTENTIAL, CustomerClass.FORMER)


class IdentityKind(StrEnum):
    """How a customer is recognised at a touchpoint."""

    PHONE = "phone"
    EMAIL = "email"
    ACCOUNT = "account"
    SOCIAL = "social"

    @property
    def is_contact_detail(self) -> bool:
        """Phone numbers and e-mail addresses are masked for analysts."""
        return self in (IdentityKind.PHONE, IdentityKind.EMAIL)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARS = re.compile(r"[\s\-().]")


def normalise_identity(kind: IdentityKind, value: str) -> str:
    """Return the comparable form of an identity, raising ``DomainError`` when malformed.

    Phones keep digits only (a leading ``+86``/``0086`` country code is dropped so that
    ``+86 138-0013-8000`` and ``13800138000`` match); e-mails are lower-cased; account
    numbers and social ids are stripped and case-folded.
    """
    raw = value.strip()
    if not raw:
        raise DomainError(
            f"identity value for {kind.value!r} is empty",
            code="identity_empty",
            params={"kind": kind.value},
        )
    if kind is IdentityKind.PHONE:
        compact = _PHONE_CHARS.sub("", raw)
        if compact.startswith("+"):
            compact = compact[1:]
        elif compact.startswith("00"):
            compact = compact[2:]
        if not compact.isdigit() or not 3 <= len(compact) <= 20:
            raise DomainError(
                f"phone {value!r} is not a phone number",
                code="invalid_phone",
                params={"value": value},
            )
        if compact.startswith("86") and len(compact) == 13:
            compact = compact[2:]
        return compact
    if kind is IdentityKind.EMAIL:
        if not _EMAIL.match(raw):
            raise DomainError(
                f"email {value!r} is not an e-mail address",
                code="invalid_email",
                params={"value": value},
            )
        return raw.lower()
    return unicodedata.normalize("NFKC", raw).casefold()


def normalise_name(name: str) -> str:
    """Comparable form of a name for fuzzy matching: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@dataclass(frozen=True, slots=True)
class Identity:
    """One identity of a customer, with its normalised form."""

    kind: IdentityKind
    value: str
    normalised: str

    @classmethod
    def of(cls, kind: IdentityKind | str, value: str) -> Identity:
        """Validate and normalise an identity."""
        try:
            k = IdentityKind(kind)
        except ValueError:
            raise DomainError(
                f"identity kind {kind!r} is not one of {list(IdentityKind)}",
                code="invalid_identity_kind",
                params={"value": str(kind)},
            ) from None
        return cls(k, value.strip(), normalise_identity(k, value))


def mask_phone(value: str) -> str:
    """Keep the first three and last two digits: ``138******00``."""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_email(value: str) -> str:
    """Keep the first letter of the local part and the domain: ``z***@example.com``."""
    local, _, domain = value.partition("@")
    if not domain:
        return "***"
    return (local[:1] or "") + "***@" + domain


def mask_identity(kind: IdentityKind, value: str) -> str:
    """Mask phone numbers and e-mails; other identities are returned unchanged."""
    if kind is IdentityKind.PHONE:
        return mask_phone(value)
    if kind is IdentityKind.EMAIL:
        return mask_email(value)
    return value


def validate_preferences(prefs: dict[str, Any]) -> dict[str, str]:
    """Guest history (客史档案): a flat map of preference name → text (room, pillow, dish…)."""
    out: dict[str, str] = {}
    for key, val in prefs.items():
        name = str(key).strip()
        if not name or len(name) > 64:
            raise DomainError(
                f"preference name {key!r} must be 1–64 characters",
                code="preference_name_length",
                params={"name": key},
            )
        if not isinstance(val, str | int | float | bool):
            raise DomainError(f"preference {name!r} must be text, got {type(val).__name__}")
        text = str(val)
        if len(text) > 500:
            raise DomainError(
                f"preference {name!r} is longer than 500 characters",
                code="preference_too_long",
                params={"name": name},
            )
        out[name] = text
    return out
