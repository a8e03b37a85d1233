"""Wiring of the pages into a FastAPI app: routers, static files and error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from touchpoint.api.deps import desk_state
from touchpoint.api.errors import RETRY_LATE_SECONDS, not_found, too_late
from touchpoint.services.errors import NotFoundError
from touchpoint.storage.deadline import DeadlineExceeded, no_deadline
from touchpoint.web import (
    pages_admin,
    pages_ahp,
    pages_analysis,
    pages_board,
    pages_call,
    pages_customers,
    pages_gaps,
    pages_imports,
    pages_incidents,
    pages_login,
    pages_order,
    pages_orders,
    pages_queue,
    pages_respond,
    pages_responses,
    pages_sla,
    pages_surveys,
    pages_trends,
    pages_wave_report,
    pages_waves,
)
from touchpoint.web.messages import translate
from touchpoint.web.site import (
    STATIC_DIR,
    LoginRequired,
    PageForbidden,
    PageNotFound,
    login_redirect,
    render,
    viewer_for,
)

__all__ = ["PAGE_MODULES", "mount"]

#: The page families, each a module with its ``router``, in the order they are mounted.
PAGE_MODULES = (
    pages_login,
    pages_queue,
    pages_call,
    pages_order,
    pages_orders,
    pages_customers,
    pages_imports,
    pages_board,
    pages_gaps,
    pages_incidents,
    pages_respond,
    pages_surveys,
    pages_waves,
    pages_responses,
    pages_analysis,
    pages_ahp,
    pages_wave_report,
    pages_trends,
    pages_admin,
    pages_sla,
)


def mount(app: FastAPI) -> None:
    """Add the pages to ``app`` (call once, after the API routers)."""
    for module in PAGE_MODULES:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Browsers ask for this path where a page names no icon (a QR code, a JSON
        answer opened in a tab): the pages' own icon, not a 404."""
        return RedirectResponse("/static/favicon.svg", status_code=301)

    def error_page(
        request: Request, template: str, status: int, reason: object, missing: PageNotFound | None
    ) -> Response:
        state = desk_state(request)
        with state.factory() as session:
            viewer = viewer_for(request, session)
            # Which record is missing, only when it can be said in the page's language.
            detail = translate(missing.code, missing.params, viewer.locale) if missing else None
            return render(
                request, viewer, template, status_code=status, reason=reason, detail=detail
            )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return error_page(request, "403.html", 403, exc.reason, None)

    @app.exception_handler(PageNotFound)
    async def _missing(request: Request, exc: PageNotFound) -> Response:
        return error_page(request, "404.html", 404, "", exc)

    # These two replace the API's handlers (one app, one handler per error): the API's
    # paths keep its JSON answer, a page gets the error page (a missing record named in
    # the viewer's language), so no page has to turn the services' errors into pages.
    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        if request.url.path.startswith("/api/"):
            return not_found(exc)
        return error_page(request, "404.html", 404, "", PageNotFound(exc.code, exc.params))

    @app.exception_handler(RequestValidationError)
    async def _unreadable(request: Request, exc: RequestValidationError) -> Response:
        """The API answers 422 with FastAPI's JSON; a page whose address cannot be read
        (``/orders/abc``, ``/board?group_by=nope``) answers with a page, in the viewer's
        language: 404 when the path names no record, else 422 naming the parameters."""
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        locations = [(error["loc"], error.get("input", "")) for error in exc.errors()]
        if any(loc[0] == "path" for loc, _ in locations):
            return error_page(request, "404.html", 404, "", None)
        # (parameter, value as sent) of each query or form field it could not read
        shown = [(str(loc[-1]), str(value)[:40]) for loc, value in locations if len(loc) > 1]
        return error_page(request, "422.html", 422, shown, None)

    @app.exception_handler(DeadlineExceeded)
    async def _late(request: Request, exc: DeadlineExceeded) -> Response:
        if request.url.path.startswith("/api/"):
            return too_late(exc)
        # The page reads who is looking, which the passed deadline would refuse.
        with no_deadline():
            response = error_page(request, "503.html", 503, "", None)
        response.headers["Retry-After"] = str(RETRY_LATE_SECONDS)
        return response
