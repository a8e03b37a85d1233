"""A customer as an actor may see it: phone numbers and e-mail addresses masked for the
roles that may not see contact details (analysts). Shared by the customer use cases and
the customer search."""

from __future__ import annotations

from dataclasses import dataclass

from touchpoint.domain.customers import IdentityKind, mask_identity
from touchpoint.services.base import Actor
from touchpoint.storage.models import Customer

__all__ = ["CustomerView", "IdentityView", "customer_view"]


@dataclass(frozen=True, slots=True)
class IdentityView:
    """An identity as the actor may see it (masked for analysts)."""

    id: int
    kind: IdentityKind
    value: str
    masked: bool


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A customer as the actor may see it."""

    customer: Customer
    identities: list[IdentityView]


def customer_view(customer: Customer, actor: Actor) -> CustomerView:
    """The customer with identities masked when the actor may not see contact details."""
    mask = not actor.role.sees_contact_details
    ids = []
    for ident in customer.identities:
        kind = IdentityKind(ident.kind)
        hide = mask and kind.is_contact_detail
        ids.append(
            IdentityView(
                id=ident.id,
                kind=kind,
                value=mask_identity(kind, ident.value) if hide else ident.value,
                masked=hide,
            )
        )
    return CustomerView(customer=customer, identities=ids)
