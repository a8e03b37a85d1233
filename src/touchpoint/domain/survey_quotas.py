"""Quotas of a wave: at most so many completed responses in one cell of a segment (a
customer class, a region, a channel). A full cell issues no more invitations to its
customers and takes no more answers from them, with a message naming the cell.

A customer's region is the ``region`` entry of their preferences (客史档案).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from touchpoint.domain.errors import DomainError

__all__ = [
    "CUSTOMER_SEGMENTS",
    "SEGMENTS",
    "Quota",
    "customer_segments",
    "full_quota",
    "parse_quotas",
]

#: The segments a quota may cut a wave by.
SEGMENTS = ("customer_class", "region", "channel")
#: The segments a response keeps of its customer (the channel is the response's own).
CUSTOMER_SEGMENTS = ("customer_class", "region")
_MAX_QUOTAS = 200


@dataclass(frozen=True, slots=True)
class Quota:
    """At most ``limit`` completed responses whose ``segment`` is ``value``."""

    segment: str
    value: str
    limit: int

    def as_json(self) -> dict[str, Any]:
        """The quota as the API shows and stores it."""
        return {"segment": self.segment, "value": self.value, "limit": self.limit}

    def describe(self) -> str:
        """``customer_class 'vip' (limit 50)``: how messages name the cell."""
        return f"{self.segment} {self.value!r} (limit {self.limit})"


def parse_quotas(raw: object) -> tuple[Quota, ...]:
    """Check a list of ``{"segment", "value", "limit"}``; ``DomainError`` names the entry
    and field at fault (an unknown segment, an empty value, a limit below 1, a cell
    listed twice)."""
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) > _MAX_QUOTAS:
        raise DomainError(
            f"quotas: must be a list of at most {_MAX_QUOTAS} quotas",
            code="quota_too_many",
            params={"limit": _MAX_QUOTAS},
        )
    quotas: list[Quota] = []
    for index, item in enumerate(raw):
        where = f"quotas[{index}]"
        if not isinstance(item, Mapping):
            raise DomainError(f"{where}: must be an object with segment, value and limit")
        segment, value, limit = item.get("segment"), item.get("value"), item.get("limit")
        number = {"number": index + 1}
        if segment not in SEGMENTS:
            allowed = ", ".join(SEGMENTS)
            raise DomainError(
                f"{where}.segment: {segment!r} is not one of {allowed}",
                code="quota_segment",
                params={**number, "value": str(segment), "allowed": allowed},
            )
        if not isinstance(value, str) or not value.strip():
            raise DomainError(
                f"{where}.value: {value!r} must be non-empty text",
                code="quota_value",
                params=number,
            )
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise DomainError(
                f"{where}.limit: {limit!r} must be a whole number of at least 1",
                code="quota_limit",
                params={**number, "value": str(limit)},
            )
        quota = Quota(segment=str(segment), value=value.strip(), limit=limit)
        if any((q.segment, q.value) == (quota.segment, quota.value) for q in quotas):
            raise DomainError(
                f"{where}: {quota.segment} {quota.value!r} has a quota already",
                code="quota_twice",
                params={**number, "segment": quota.segment, "value": quota.value},
            )
        quotas.append(quota)
    return tuple(quotas)


def customer_segments(customer_class: str, preferences: Mapping[str, Any] | None) -> dict[str, str]:
    """A customer's cells: their class, and the region of their preferences if any."""
    segments = {"customer_class": customer_class}
    region = (preferences or {}).get("region")
    if region:
        segments["region"] = str(region)
    return segments


def full_quota(
    quotas: Sequence[Quota],
    cell: Mapping[str, str | None],
    completed: Mapping[tuple[str, str], int],
) -> Quota | None:
    """The first quota whose cell this respondent (``cell``: segment → value) falls in
    and that is full, given the completed responses per (segment, value)."""
    for quota in quotas:
        in_cell = cell.get(quota.segment) == quota.value
        if in_cell and completed.get((quota.segment, quota.value), 0) >= quota.limit:
            return quota
    return None
