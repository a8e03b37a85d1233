"""Roles of desk users and what each may do."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    """A user's role: agent, supervisor, analyst or admin."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def can_handle_orders(self) -> bool:
        """Agents, supervisors and admins work orders; analysts only read."""
        return self in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)

    @property
    def sees_all_queues(self) -> bool:
        """Agents see their own teams' queues; the others see every team."""
        return self is not Role.AGENT

    @property
    def sees_contact_details(self) -> bool:
        """Analysts see masked phone numbers and e-mail addresses."""
        return self is not Role.ANALYST

    @property
    def can_supervise(self) -> bool:
        """Supervisors and admins run escalations, incidents, merges and imports."""
        return self in (Role.SUPERVISOR, Role.ADMIN)

    @property
    def can_administer(self) -> bool:
        """Only admins manage users, teams and webhooks."""
        return self is Role.ADMIN

    @property
    def can_read_reports(self) -> bool:
        """Everyone but agents reads KPI boards and exports."""
        return self is not Role.AGENT
