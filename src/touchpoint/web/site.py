"""The page machinery: Jinja2 rendering with gettext, the signed-cookie login, CSRF
checks on every form, role gates, and the error pages (login redirect, 403, 404).

Pages reuse the API's per-request dependencies (session, clock, outbox wake-up) and
the same session cookie, so a browser logged in here can also call ``/api`` with its
CSRF header.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from touchpoint.api.deps import CSRF_HEADER, SESSION_COOKIE, Principal, SessionDep, desk_state
from touchpoint.domain.roles import Role
from touchpoint.services.auth import principal_for_token
from touchpoint.services.errors import AuthenticationError
from touchpoint.web import labels, messages
from touchpoint.web.i18n import Formatter, negotiate_locale, translations
from touchpoint.web.messages import Coded

__all__ = [
    "ANON_COOKIE",
    "LANG_COOKIE",
    "STATIC_DIR",
    "CsrfDep",
    "CsrfRejected",
    "LoginRequired",
    "Page",
    "PageDep",
    "PageForbidden",
    "PageNotFound",
    "ReporterPage",
    "SupervisorPage",
    "Viewer",
    "ViewerDep",
    "WorkerPage",
    "login_redirect",
    "off_loop",
    "page_context",
    "redirect",
    "remember_anon",
    "render",
    "render_public",
    "require_csrf",
    "roles",
    "safe_next",
    "utc",
    "viewer_for",
]

LANG_COOKIE = "touchpoint_lang"
ANON_COOKIE = "touchpoint_anon"
_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"

_env = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _tojson_attr(value: Any) -> Markup:
    """JSON safe inside an HTML attribute or a ``<script type=application/json>``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("'", "\\u0027"))  # noqa: S704 (escaped above)


_env.filters["json"] = _tojson_attr


class LoginRequired(Exception):
    """No valid session: the page redirects to the login form."""


class PageForbidden(Exception):
    """The role may not use the page (or a form lacked its CSRF token): a 403 page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfRejected(PageForbidden):
    """A form or HTMX request came without the session's CSRF token."""


class PageNotFound(Exception):
    """The entity does not exist or is hidden from the viewer: a 404 page.

    ``code`` and ``params`` (from the service's ``NotFoundError``) let the page say
    which record, in the viewer's language.
    """

    def __init__(self, code: str | None = None, params: Mapping[str, object] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, object] = dict(params) if params else {}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at the page, in which language, with which CSRF token."""

    principal: Principal | None
    locale: str
    csrf_token: str
    cookie: str | None

    @property
    def role(self) -> Role | None:
        """The viewer's role, or None when anonymous."""
        return self.principal.actor.role if self.principal is not None else None


async def off_loop(
    request: Request, respond: Callable[[], Response], *, long: bool = False
) -> Response:
    """Run the blocking rest of a form handler (its service write, and the page drawn
    from the database when the write is refused) as the API runs its service calls
    (``DeskState.call``): in the thread pool on PostgreSQL; on SQLite on the loop unless
    the write would wait for another process's long write. An ``async`` handler awaits
    its form body first; what follows must not hold up the loop's other requests.
    ``long``: a write of thousands of rows (an import) runs in the thread pool on SQLite
    too, as the API's import routes do, so that the loop serves the other pages meanwhile.

    A page answered with 503 (the write found the database busy: nothing was saved)
    says when to try again, as the API does."""
    if long:
        response = await run_in_threadpool(respond)
    else:
        response = await desk_state(request).call(respond)
    if response.status_code == 503:
        response.headers["Retry-After"] = "1"
    return response


def _anon_token(request: Request) -> str:
    """The pre-login nonce (double-submit cookie) that signs the login form's CSRF token."""
    value = request.cookies.get(ANON_COOKIE)
    if not value:
        value = getattr(request.state, "anon_nonce", None) or secrets.token_urlsafe(24)
        request.state.anon_nonce = value
    return value


def viewer_for(request: Request, session: SessionDep) -> Viewer:
    """The viewer of this request (anonymous when the session cookie is missing or bad)."""
    locale = negotiate_locale(
        request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
    )
    signer = desk_state(request).signer
    cookie = request.cookies.get(SESSION_COOKIE)
    principal: Principal | None = None
    if cookie:
        try:
            user, actor = principal_for_token(session, signer, cookie, cookie=True)
        except AuthenticationError:
            cookie = None
        else:
            principal = Principal(user=user, actor=actor)
    if cookie and principal is not None:
        csrf = signer.csrf_token(cookie)
    else:
        csrf = signer.csrf_token("anon:" + _anon_token(request))
    return Viewer(principal=principal, locale=locale, csrf_token=csrf, cookie=cookie)


ViewerDep = Annotated[Viewer, Depends(viewer_for)]


@dataclass(frozen=True, slots=True)
class Page:
    """A logged-in viewer of a page (``principal`` is never None)."""

    viewer: Viewer
    principal: Principal

    @property
    def role(self) -> Role:
        """The viewer's role."""
        return self.principal.actor.role


def _page(viewer: ViewerDep) -> Page:
    if viewer.principal is None:
        raise LoginRequired
    return Page(viewer=viewer, principal=viewer.principal)


PageDep = Annotated[Page, Depends(_page)]


def roles(*allowed: Role) -> Callable[[Page], Page]:
    """A page dependency that lets only ``allowed`` roles in (403 page otherwise)."""
    ok = frozenset(allowed)

    def check(page: PageDep) -> Page:
        if page.role not in ok:
            raise PageForbidden("role")
        return page

    return check


WorkerPage = Annotated[Page, Depends(roles(Role.AGENT, Role.SUPERVISOR, Role.ADMIN))]
SupervisorPage = Annotated[Page, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]
ReporterPage = Annotated[Page, Depends(roles(Role.ANALYST, Role.SUPERVISOR, Role.ADMIN))]
AdminPage = Annotated[Page, Depends(roles(Role.ADMIN))]


async def require_csrf(request: Request, viewer: ViewerDep) -> Viewer:
    """Reject an unsafe request whose form field or header lacks the CSRF token."""
    sent = request.headers.get(CSRF_HEADER, "")
    form = None
    if not sent:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else ""
    if not sent or not secrets.compare_digest(sent, viewer.csrf_token):
        if form is not None:
            await form.close()  # an uploaded file's temporary copy: the handler never runs
        raise CsrfRejected("csrf")
    return viewer


CsrfDep = Annotated[Viewer, Depends(require_csrf)]


def page_context(request: Request, viewer: Viewer) -> dict[str, Any]:
    """What every template sees: gettext, formatter, labels, user, CSRF token, and
    ``say`` for anything with a message code (a merge reason, a refusal)."""
    tr = translations(viewer.locale)

    def say(coded: Coded) -> str:
        return messages.say(coded, viewer.locale)

    user = viewer.principal.user if viewer.principal is not None else None
    return {
        "request": request,
        "_": tr.gettext,
        "ngettext": tr.ngettext,
        "say": say,
        "fmt": Formatter(viewer.locale),
        "L": labels,
        "locale": viewer.locale,
        "csrf_token": viewer.csrf_token,
        "user": user,
        "role": viewer.role.value if viewer.role is not None else None,
        "request_path": request.url.path + (("?" + request.url.query) if request.url.query else ""),
        "static": lambda path: f"/static/{path}",
        "flashes": [],
    }


def render(
    request: Request,
    viewer: Viewer,
    template: str,
    *,
    status_code: int = 200,
    flashes: Iterable[tuple[str, str]] = (),
    **values: Any,
) -> HTMLResponse:
    """Render ``template`` for ``viewer``; the anonymous nonce cookie is set when new."""
    ctx = page_context(request, viewer)
    ctx["flashes"] = list(flashes)
    ctx.update(values)
    html = _env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code)
    remember_anon(request, response)
    return response


def render_public(template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render a page for someone who is no desk user (a survey respondent): no session,
    no CSRF token, no desk navigation; the template gets ``values`` and ``static``."""
    html = _env.get_template(template).render({"static": lambda path: f"/static/{path}", **values})
    response = HTMLResponse(html, status_code=status_code)
    # A survey link is a credential: keep it out of other sites' Referer headers.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def remember_anon(request: Request, response: Response) -> None:
    """Store the pre-login nonce minted for this request."""
    nonce = getattr(request.state, "anon_nonce", None)
    if nonce and not request.cookies.get(ANON_COOKIE):
        response.set_cookie(ANON_COOKIE, nonce, httponly=True, samesite="lax")


def redirect(url: str) -> Response:
    """POST-redirect-GET (303); HTMX requests get an ``HX-Redirect`` instead."""
    return RedirectResponse(url, status_code=303)


def login_redirect(request: Request) -> Response:
    """Send an anonymous viewer to the login form, then back here."""
    target = request.url.path + (("?" + request.url.query) if request.url.query else "")
    url = "/login?next=" + quote(target, safe="")
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login or a language switch."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/queue"
    return target


def utc(value: datetime) -> datetime:
    """An aware instant in UTC (for data attributes read by countdown.js)."""
    return value.astimezone(UTC)
