"""Reading HTML form fields into typed values, running one form's write, and drawing a
page of forms again after a refused write.

Bad input becomes a ``DomainError``; a refused write (400, 403, 404, 409, 503) is shown next
to the form with a translated lead and the service's message, never as a 500, and the text
the user typed survives it. The message is said in the page's language when the error
carries a message code (``web.messages``), in the service's English otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from touchpoint.domain.errors import DomainError
from touchpoint.web.i18n import translations
from touchpoint.web.messages import lead_and_detail, translate
from touchpoint.web.site import PageNotFound, Viewer, off_loop, redirect, render
from touchpoint.web.views import Failure, attempt

__all__ = [
    "FormReader",
    "Refusal",
    "failure_flash",
    "form_write",
    "render_form_page",
]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
D = TypeVar("D", date, None)


class FormReader:
    """Typed access to one submitted form."""

    def __init__(self, form: FormData) -> None:
        self._form = form

    def text(self, name: str, default: str = "") -> str:
        """A text field, stripped."""
        value = self._form.get(name)
        return value.strip() if isinstance(value, str) else default

    def json(self, name: str, *, code: str) -> object:
        """A field holding a JSON document (a survey's or a calendar's definition); text
        that is not JSON is refused with ``code``, naming its line and column."""
        try:
            return json.loads(self.text(name))
        except json.JSONDecodeError as exc:
            raise DomainError(
                f"{name}: not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})",
                code=code,
                params={"line": exc.lineno, "column": exc.colno},
            ) from None

    def kept(self, name: str) -> str:
        """What was typed into ``name`` (several boxes of that name: their values joined
        by commas), for a form drawn again after a refusal."""
        values = self.ticked(name)
        return values[0] if len(values) == 1 else ",".join(values)

    def ticked(self, name: str) -> list[str]:
        """The values of the boxes named ``name`` that are ticked, stripped."""
        return [v.strip() if isinstance(v, str) else "" for v in self._form.getlist(name)]

    def choices(self, name: str, enum: type[E]) -> list[E]:
        """The ticked boxes named ``name``, each a value of ``enum``; another value is
        refused naming the field."""
        allowed = {e.value: e for e in enum}
        out = []
        for text in self.ticked(name):
            if text not in allowed:
                raise DomainError(
                    f"{name}: {text!r} is not one of {', '.join(allowed)}",
                    code="not_a_choice",
                    params={"field": name, "value": text},
                )
            out.append(allowed[text])
        return out

    def ids(self, name: str) -> list[int]:
        """The ticked boxes named ``name``, each a record's number; a value that is not a
        number is refused naming the field."""
        out = []
        for text in self.ticked(name):
            if not text.isdigit():
                raise DomainError(
                    f"{name}: {text!r} is not a whole number",
                    code="not_whole_number",
                    params={"field": name, "value": text},
                )
            out.append(int(text))
        return out

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
            raise DomainError(
                f"{name}: {raw!r} is not a whole number",
                code="not_whole_number",
                params={"field": name, "value": raw},
            ) from None

    def required_int(self, name: str) -> int:
        """A required integer field."""
        value = self.integer(name)
        if value is None:
            raise DomainError(f"{name}: required", code="field_required", params={"field": name})
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
            raise DomainError(
                f"{name}: {raw!r} is not one of {allowed}",
                code="not_a_choice",
                params={"field": name, "value": raw},
            ) from None

    def money_minor(self, name: str) -> int:
        """An amount in yuan/dollars (``12.50``) as minor units (1250)."""
        raw = self.text(name)
        if not raw:
            return 0
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise DomainError(
                f"{name}: {raw!r} is not an amount",
                code="not_an_amount",
                params={"field": name, "value": raw},
            ) from None
        if not amount.is_finite() or amount > Decimal("1e12"):
            raise DomainError(
                f"{name}: {raw!r} must be a non-negative amount",
                code="not_an_amount",
                params={"field": name, "value": raw},
            )
        if amount < 0:
            raise DomainError(
                f"{name}: {raw!r} must be a non-negative amount",
                code="negative_amount",
                params={"field": name},
            )
        return int((amount * 100).to_integral_value())


def local_day(raw: str, fallback: D) -> date | D:
    """A date typed as ``YYYY-MM-DD`` (a date input's value), or ``fallback`` when blank;
    anything else is refused with the text typed."""
    if not raw:
        return fallback
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(
            f"date: {raw!r} is not YYYY-MM-DD", code="invalid_date", params={"value": raw}
        ) from None


def failure_flash(viewer: Viewer, failure: Failure) -> tuple[str, str]:
    """A translated, clear message for a refused write: a lead for its kind and what
    was refused, in the page's language when the error has a message code, else in the
    service's English."""
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
    said = translate(failure.code, failure.params, viewer.locale)
    return ("error", lead_and_detail(lead, said or failure.detail, viewer.locale))


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused write as its page shows it again: why, and the text the user typed in
    the fields the page keeps (``draft``)."""

    failure: Failure
    draft: dict[str, str] = field(default_factory=dict)


def render_form_page(
    request: Request,
    viewer: Viewer,
    template: str,
    *,
    refusal: Refusal | None = None,
    done: Mapping[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    """Draw a page that holds forms.

    After a refused write: with its HTTP status, its message (:func:`failure_flash`)
    and the typed text as ``draft``. Otherwise with the message ``done`` holds for the
    page's ``?done=`` parameter, which names the write that redirected here.
    """
    if refusal is not None:
        failure = refusal.failure
        return render(
            request,
            viewer,
            template,
            status_code=failure.status,
            flashes=[failure_flash(viewer, failure)],
            draft=refusal.draft,
            **values,
        )
    key = request.query_params.get("done", "")
    flashes = []
    if done is not None and key in done:
        flashes.append(("ok", translations(viewer.locale).gettext(done[key])))
    return render(request, viewer, template, flashes=flashes, draft={}, **values)


async def form_write(
    request: Request,
    run: Callable[[FormReader], T],
    *,
    redraw: Callable[[Refusal], Response],
    done: str | Callable[[T], str],
    keep: tuple[str, ...] = (),
    missing_is_404: bool = True,
) -> Response:
    """Run one form's write: redirect on success, to ``done`` (or ``done(result)``); on
    a refusal, ``redraw`` the page with it.

    ``keep`` names the fields whose typed text survives a refused write (a 409 never
    loses what the agent wrote; ticked boxes of one name as their values joined by
    commas). With ``missing_is_404`` a write whose record is gone
    answers with the 404 page instead of the form.
    """
    form = FormReader(await request.form())

    def respond() -> Response:
        result = attempt(lambda: run(form))
        if isinstance(result, Failure):
            if missing_is_404 and result.kind == "missing":
                raise PageNotFound(result.code, result.params)
            return redraw(Refusal(result, {k: form.kept(k) for k in keep}))
        return redirect(done if isinstance(done, str) else done(result))

    return await off_loop(request, respond)
