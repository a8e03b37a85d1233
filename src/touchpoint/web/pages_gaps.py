"""The five-gap report's page (服务质量差距模型): pick the customers' wave, the managers'
wave and the desk's period, and see each gap by dimension, standard and pledge, with
the largest gap named (``services.gaps``; the page never queries the database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.services.errors import ForbiddenError, NotFoundError
from touchpoint.services.gaps import GapPeriod, gap_report
from touchpoint.web.forms import Refusal, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.site import ReporterPage
from touchpoint.web.views import Failure, refused

__all__ = ["GAPS_TZ", "router"]

router = APIRouter(include_in_schema=False)
GAPS_TZ = "Asia/Shanghai"


def _names(_: Callable[[str], str]) -> dict[str, str]:
    """The five SERVQUAL dimensions and the five gaps in the page's language."""
    return {
        "tangibles": _("Tangibles"),
        "reliability": _("Reliability"),
        "responsiveness": _("Responsiveness"),
        "assurance": _("Assurance"),
        "empathy": _("Empathy"),
        "1": _("Gap 1: knowledge (managers' view of expectations)"),
        "2": _("Gap 2: standards (important items without a standard)"),
        "3": _("Gap 3: delivery (standards met by the desk)"),
        "4": _("Gap 4: communication (pledges kept)"),
        "5": _("Gap 5: customer (perception minus expectation)"),
    }


def _id(raw: str, name: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 2_147_483_647:
        raise DomainError(f"{name}: {raw!r} is not a wave number")
    return int(raw)


def _period(start: str, end: str) -> GapPeriod | None:
    if not start and not end:
        return None
    try:
        return GapPeriod(date.fromisoformat(start), date.fromisoformat(end), GAPS_TZ)
    except ValueError:
        raise DomainError("from, to: give both dates of the period as YYYY-MM-DD") from None


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(
    request: Request,
    page: ReporterPage,
    session: SessionDep,
    now: NowDep,
    customer_wave: Annotated[str, Query(max_length=12)] = "",
    manager_wave: Annotated[str, Query(max_length=12)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The report for the waves and period asked for (none asked: the form alone)."""
    _ = translations(page.viewer.locale).gettext
    report: dict[str, Any] | None = None
    failure: Failure | None = None
    try:
        customers = _id(customer_wave, "customer_wave")
        managers = _id(manager_wave, "manager_wave")
        period = _period(start, end)
        if customers is not None:
            report = gap_report(
                session,
                page.principal.actor,
                customer_wave=customers,
                manager_wave=managers,
                period=period,
                now=now,
                snapshots=desk_state(request).snapshots,
            )
    except NotFoundError as exc:
        failure = refused(404, "missing", exc)
    except ForbiddenError as exc:
        failure = refused(403, "forbidden", exc)
    except DomainError as exc:
        failure = refused(400, "invalid", exc)
    except InputError as exc:  # not a SERVQUAL wave: its columns are not E1-E22, P1-P22
        failure = Failure(422, "invalid", str(exc))
    return render_form_page(
        request,
        page.viewer,
        "gaps.html",
        refusal=None if failure is None else Refusal(failure),
        report=report,
        names=_names(_),
        form={
            "customer_wave": customer_wave,
            "manager_wave": manager_wave,
            "start": start,
            "end": end,
        },
    )
