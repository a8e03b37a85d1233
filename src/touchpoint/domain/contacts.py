"""Channels and the entries of the contact card and transaction card (DOMAIN.md §1–2)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Channel", "ContactDirection", "ContactOutcome", "TransactionKind"]


class Channel(StrEnum):
    """Where a contact happens."""

    HOTLINE = "hotline"
    COUNTER = "counter"
    CHAT = "chat"
    APP = "app"
    EMAIL = "email"
    SOCIAL = "social"
    FIELD_VISIT = "field_visit"

    @property
    def is_real_time(self) -> bool:
        """Whether the customer waits on the line (hotline, counter, chat, field visit)."""
        return self in (Channel.HOTLINE, Channel.COUNTER, Channel.CHAT, Channel.FIELD_VISIT)


class ContactDirection(StrEnum):
    """Inbound contacts come from the customer; outbound ones reach the customer."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"

    @property
    def is_inbound(self) -> bool:
        """True for a contact started by the customer."""
        return self is ContactDirection.INBOUND


class ContactOutcome(StrEnum):
    """What a contact ended with."""

    ANSWERED = "answered"
    ORDER_OPENED = "order_opened"
    ORDER_UPDATED = "order_updated"
    ANNOUNCEMENT = "announcement"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"

    @property
    def resolved_at_contact(self) -> bool:
        """Contacts answered on the spot count toward first-contact resolution."""
        return self in (ContactOutcome.ANSWERED, ContactOutcome.ANNOUNCEMENT)


class TransactionKind(StrEnum):
    """Entries of the transaction card (客户交易卡片)."""

    PURCHASE = "purchase"
    PAYMENT = "payment"
    BILL = "bill"
    REFUND = "refund"
    STAY = "stay"
    FEE_APPLICATION = "fee_application"
    REIMBURSEMENT = "reimbursement"
    OTHER = "other"
