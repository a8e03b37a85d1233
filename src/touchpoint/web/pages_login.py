"""Signing in and out, and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import SESSION_COOKIE, SessionDep, desk_state
from touchpoint.services.errors import AuthenticationError, LoginThrottled
from touchpoint.web import site
from touchpoint.web.forms import FormReader
from touchpoint.web.i18n import LOCALES, translations
from touchpoint.web.messages import say
from touchpoint.web.site import LANG_COOKIE, CsrfDep, Viewer, ViewerDep, redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(viewer: ViewerDep) -> Response:
    """Start at the queue (or the login form)."""
    return redirect("/queue" if viewer.principal is not None else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, viewer: ViewerDep, next: str = "/queue") -> Response:
    """The login form."""
    return render(request, viewer, "login.html", next=site.safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, viewer: CsrfDep, session: SessionDep) -> Response:
    """Check the password and set the signed session cookie; throttled as the API's
    logins (``DeskState.sign_in``: the argon2 check in the login pool), a refused
    attempt answered 401, or 429 with ``Retry-After`` while the user or address waits."""
    form = FormReader(await request.form())
    target = site.safe_next(form.text("next"))
    username = form.text("username")
    state = desk_state(request)
    try:
        user = await state.sign_in(request, session, username, form.text("password"))
    except AuthenticationError:
        _ = translations(viewer.locale).gettext
        return _refused(
            request, viewer, 401, target, username, _("Unknown user or wrong password.")
        )
    except LoginThrottled as exc:
        message = say(exc, viewer.locale)
        response = _refused(request, viewer, 429, target, username, message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    cookie = state.signer.issue(user, cookie=True)
    response = redirect(target)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", max_age=12 * 3600)
    return response


def _refused(
    request: Request, viewer: Viewer, status: int, target: str, username: str, message: str
) -> Response:
    """The login form again, with why the attempt was refused."""
    return render(
        request,
        viewer,
        "login.html",
        status_code=status,
        next=target,
        username=username,
        flashes=[("error", message)],
    )


@router.post("/logout")
def logout(_viewer: CsrfDep) -> Response:
    """Forget the session cookie."""
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/lang")
async def switch_language(request: Request, _viewer: CsrfDep) -> Response:
    """Keep the chosen language in a cookie and go back to the page."""
    form = FormReader(await request.form())
    lang = form.text("lang")
    response = redirect(site.safe_next(form.text("next")))
    if lang in LOCALES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response
