"""Reading HTML form fields into typed values; bad input becomes a ``DomainError`` that
the page shows next to the form (never a 500)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from starlette.datastructures import FormData

from touchpoint.domain.errors import DomainError

__all__ = ["FormReader"]

E = TypeVar("E", bound=StrEnum)


class FormReader:
    """Typed access to one submitted form."""

    def __init__(self, form: FormData) -> None:
        self._form = form

    def text(self, name: str, default: str = "") -> str:
        """A text field, stripped."""
        value = self._form.get(name)
        return value.strip() if isinstance(value, str) else default

    def flag(self, name: str) -> bool:
        """A checkbox: ticked when present with any value but ``0``/``false``."""
        return self.text(name).lower() not in ("", "0", "false", "off")

    def integer(self, name: str) -> int | None:
        """An optional integer field."""
        raw = self.text(name)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise DomainError(f"{name}: {raw!r} is not a whole number") from None

    def required_int(self, name: str) -> int:
        """A required integer field."""
        value = self.integer(name)
        if value is None:
            raise DomainError(f"{name}: required")
        return value

    def choice(self, name: str, enum: type[E], default: E | None = None) -> E:
        """One value of ``enum``."""
        raw = self.text(name)
        if not raw and default is not None:
            return default
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise DomainError(f"{name}: {raw!r} is not one of {allowed}") from None

    def money_minor(self, name: str) -> int:
        """An amount in yuan/dollars (``12.50``) as minor units (1250)."""
        raw = self.text(name)
        if not raw:
            return 0
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise DomainError(f"{name}: {raw!r} is not an amount") from None
        if not amount.is_finite() or amount < 0 or amount > Decimal("1e12"):
            raise DomainError(f"{name}: {raw!r} must be a non-negative amount")
        return int((amount * 100).to_integral_value())
