"""Reading HTML form fields into typed values, and running one form's write.

Bad input becomes a ``DomainError``; a refused write (400, 403, 404, 409, 503) is shown next
to the form with a translated lead and the service's message, never as a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from touchpoint.domain.errors import DomainError
from touchpoint.web.i18n import translations
from touchpoint.web.site import PageNotFound, Viewer, off_loop, redirect
from touchpoint.web.views import Failure, attempt

__all__ = ["FormReader", "failure_flash", "form_write"]

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


def failure_flash(viewer: Viewer, failure: Failure) -> tuple[str, str]:
    """A translated, clear message for a refused write (the detail stays visible)."""
    _ = translations(viewer.locale).gettext
    if failure.kind == "conflict":
        lead = _(
            "Someone else changed this record while you were editing. "
            "Nothing was saved; the page now shows the current version. "
            "Check it and submit again."
        )
    elif failure.kind == "busy":
        lead = _(
            "The desk is busy with other changes. Nothing was saved; submit again in a moment."
        )
    elif failure.kind == "missing":
        lead = _("Not found.")
    elif failure.kind == "forbidden":
        lead = _("Your role may not do this.")
    else:
        lead = _("Please correct the form.")
    return ("error", f"{lead} ({failure.detail})")


async def form_write(
    request: Request,
    run: Callable[[FormReader], object],
    *,
    keep: tuple[str, ...],
    rerender: Callable[[Failure, dict[str, str]], Response],
    done_url: str,
    missing_is_404: bool = True,
) -> Response:
    """Run one form's write: redirect on success; on failure re-render with the typed text.

    ``keep`` names the fields whose typed text survives a refused write (a 409 never
    loses what the agent wrote); ``rerender`` draws the page with the failure.
    """
    form = FormReader(await request.form())

    def respond() -> Response:
        result = attempt(lambda: run(form))
        if isinstance(result, Failure):
            if missing_is_404 and result.kind == "missing":
                raise PageNotFound
            return rerender(result, {k: form.text(k) for k in keep})
        return redirect(done_url)

    return await off_loop(request, respond)
