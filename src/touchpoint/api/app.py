"""The FastAPI application factory of the service desk."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

from anyio import to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import NoMatchFound

from touchpoint.api.deps import DeskState
from touchpoint.api.errors import install_error_handlers
from touchpoint.api.routes import (
    admin,
    ahp,
    auth,
    customers,
    gaps,
    incidents,
    loop,
    outer_loop,
    reports,
    sla,
    surveys,
    trends,
    work_orders,
)
from touchpoint.api.time_limit import TimeLimit
from touchpoint.domain.login_throttle import LoginPolicy
from touchpoint.services.auth import TokenSigner
from touchpoint.services.desk_clock import EscalationSweeper, escalate_as_desk, refresh_as_desk
from touchpoint.services.login import LoginGate
from touchpoint.services.notify import MailConfig, OutboxDispatcher
from touchpoint.services.survey_links import SurveyLinks
from touchpoint.services.survey_responses import KioskGate
from touchpoint.services.wave_snapshots import WaveSnapshots
from touchpoint.settings import Settings
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.deadline import watch_statements
from touchpoint.storage.sweep_lock import sweep_lock_for

__all__ = ["create_app", "utc_now"]

_SWAGGER_UI_VERSION = "5.36.0"
#: Swagger UI's script, style sheet and icon, in the pages' ``static/vendor``.
_SWAGGER_UI_FILES = (
    f"swagger-ui-bundle-{_SWAGGER_UI_VERSION}.js",
    f"swagger-ui-{_SWAGGER_UI_VERSION}.css",
    f"swagger-ui-favicon-{_SWAGGER_UI_VERSION}.png",
)


def utc_now() -> datetime:
    """The wall clock, timezone-aware (the only clock read of the API)."""
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    mail: MailConfig | None = None,
    engine: Engine | None = None,
    dispatch: bool = True,
    sweep: bool = False,
) -> FastAPI:
    """Build the app on ``settings.effective_database_url()`` (already migrated).

    ``clock`` stamps every write (tests inject a fixed one); ``mail`` enables e-mail
    notifications; ``dispatch`` starts the outbox thread with the app's lifespan.
    ``sweep`` runs the escalation sweep every ``settings.sweep_seconds`` with the app's
    lifespan (``app.state.sweeper``; one process at a time per database): ``touchpoint
    serve`` turns it on. It is off by default so that an app built for a test, a
    benchmark or inside another program escalates only when asked. With ``sweep`` the
    stored merge-candidate list is also refreshed every
    ``settings.merge_refresh_seconds`` (``app.state.merge_refresher``, which
    ``POST /api/merge/candidates/refresh`` runs once either way).

    ``/docs`` is Swagger UI on files served with the pages (:func:`_add_swagger_ui`);
    there is no ``/redoc``.

    Every request may take ``settings.request_seconds``: past that its statements are
    stopped, its write rolled back and it is answered 503 (``api.time_limit``).
    """
    if mail is None and settings.smtp_host:
        mail = MailConfig(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from
        )
    eng = engine or make_engine(settings.effective_database_url())
    watch_statements(eng)  # an engine passed in may come from elsewhere than make_engine
    factory = make_session_factory(eng)
    dispatcher = OutboxDispatcher(factory, clock=clock, mail=mail) if dispatch else None
    links = _survey_links(settings)
    snapshots = WaveSnapshots(settings.data_dir / "wave-snapshots")
    sweeper = (
        _escalation_sweeper(settings, factory, eng, clock, dispatcher, (links, snapshots))
        if sweep
        else None
    )
    refresher = _merge_refresher(settings, factory, eng, clock)
    timed_refresher = refresher if sweep and settings.merge_refresh_seconds > 0 else None
    state = DeskState(
        engine=eng,
        factory=factory,
        signer=TokenSigner(settings.effective_secret_key()),
        clock=clock,
        dispatcher=dispatcher,
        mail=mail,
        login=_login_gate(settings),
        surveys=links,
        kiosk=KioskGate(settings.survey_kiosk_per_minute),
        snapshots=snapshots,
        time_zone=settings.time_zone,
    )
    app = FastAPI(
        title="touchpoint service desk",
        version="0.1.0",
        description="Customers, work orders, SLAs, complaints and service recovery.",
        lifespan=_lifespan(
            settings, dispatcher, (sweeper, timed_refresher), eng if engine is None else None
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.desk = state
    app.state.sweeper = sweeper
    app.state.merge_refresher = refresher
    install_error_handlers(app)
    app.add_middleware(TimeLimit, seconds=settings.request_seconds)
    _include_routers(app)
    _add_swagger_ui(app)
    _add_health_probe(app)
    return app


def _survey_links(settings: Settings) -> SurveyLinks:
    """The signer of the desk's survey links, with the settings' re-contact rules."""
    return SurveyLinks(
        settings.effective_secret_key(),
        public_url=settings.effective_public_url(),
        recontact_days=settings.survey_recontact_days,
        return_visit_delay_minutes=settings.return_visit_delay_minutes,
        return_visit_recontact_days=settings.return_visit_recontact_days,
        time_zone=settings.time_zone,
    )


def _login_gate(settings: Settings) -> LoginGate:
    """Login throttling as configured: the lock and address limits, and how many
    password checks may run at once."""
    policy = LoginPolicy(
        max_failures=settings.login_max_failures,
        lock_minutes=settings.login_lock_minutes,
        max_failures_per_address=settings.login_max_failures_per_address,
    )
    return LoginGate(policy, verifiers=settings.login_verify_threads)


def _escalation_sweeper(
    settings: Settings,
    factory: sessionmaker[Session],
    engine: Engine,
    clock: Callable[[], datetime],
    dispatcher: OutboxDispatcher | None,
    surveys: tuple[SurveyLinks, WaveSnapshots],
) -> EscalationSweeper | None:
    """The sweep that escalates due orders (and sends due survey reminders, keeps the
    wave snapshots fresh) every ``settings.sweep_seconds`` (``None`` when that is 0: no
    sweep). It takes the database's sweep lock, so that one process at a time sweeps,
    and wakes the outbox dispatcher when it queued notices."""
    if settings.sweep_seconds <= 0:
        return None
    return EscalationSweeper(
        factory,
        sweep_lock_for(engine),
        clock=clock,
        interval=settings.sweep_seconds,
        sweep=escalate_as_desk(dispatcher.wake if dispatcher is not None else None, *surveys),
    )


def _merge_refresher(
    settings: Settings,
    factory: sessionmaker[Session],
    engine: Engine,
    clock: Callable[[], datetime],
) -> EscalationSweeper:
    """The refresh of the stored merge-candidate list, under a turn of its own. Always
    built, so that ``POST /api/merge/candidates/refresh`` can run a round; its timer
    thread starts only with ``sweep`` and a positive ``merge_refresh_seconds``."""
    return EscalationSweeper(
        factory,
        sweep_lock_for(engine, "merge-refresh"),
        clock=clock,
        interval=settings.merge_refresh_seconds or 3600.0,
        sweep=refresh_as_desk(),
        name="merge refresh",
    )


def _lifespan(
    settings: Settings,
    dispatcher: OutboxDispatcher | None,
    timers: tuple[EscalationSweeper | None, EscalationSweeper | None],
    owned_engine: Engine | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: start the background threads with the app and stop them
    with it (``timers``: the escalation sweeper and the merge refresher, if they run);
    ``owned_engine``, the engine the app made itself, is disposed of at the
    end (an engine passed in belongs to the caller)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What is loaded by now (modules, mappers, schemas: a few hundred thousand objects)
        # lives as long as the app: keep it out of the garbage collector's scans, which
        # would otherwise walk all of it again and again under load, to free nothing.
        # Thawed on shutdown, so that an app started and stopped in a test leaves nothing
        # uncollectable behind.
        gc.freeze()
        # The loop's thread pool for blocking calls (``DeskState.call`` on PostgreSQL).
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if dispatcher is not None:
            dispatcher.start()
        for timer in timers:
            if timer is not None:
                timer.start()
        merge_refresher = timers[1]
        if merge_refresher is not None:
            # A desk just started or upgraded lists its merge candidates at once, not an
            # interval later; the escalation sweep keeps its interval.
            merge_refresher.wake()
        try:
            yield
        finally:
            # The sweeper first: its last sweep may queue notices for the dispatcher,
            # which delivers what is pending once more as it stops.
            for timer in timers:
                if timer is not None:
                    timer.stop()
            if dispatcher is not None:
                dispatcher.stop()
            if owned_engine is not None:
                owned_engine.dispose()
            gc.unfreeze()

    return lifespan


def _include_routers(app: FastAPI) -> None:
    """The API's routers, the desk's busiest (token, then work orders) first: FastAPI
    tries a request's path against the routes in the order they were included, so
    these are found soonest. No two routers' paths overlap, so the order decides only
    how soon a route is found, never which one answers."""
    routers = (auth, work_orders, customers, sla, incidents, admin, reports, surveys, loop)
    for module in (*routers, outer_loop, gaps, ahp, trends):
        app.include_router(module.router)


def _add_health_probe(app: FastAPI) -> None:
    """``GET /healthz``: the liveness probe, answered without touching the database."""

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}


def _add_swagger_ui(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` from this server's own files, so that it works
    offline: its script, style sheet and icon are vendored with the pages' static files
    (``touchpoint/web/static/vendor``, swagger-ui-dist from npm, Apache-2.0) and found
    through their ``static`` mount. An app without the pages has no such mount, and
    answers 404 rather than a page whose script is missing.

    Swagger UI's validator badge would send the document to an outside validator: it
    is turned off.
    """
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} - Swagger UI"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")

        def vendored(name: str) -> str:
            return root + app.url_path_for("static", path=f"vendor/{name}")

        try:
            js, css, icon = (vendored(name) for name in _SWAGGER_UI_FILES)
        except NoMatchFound:
            raise HTTPException(404, "Swagger UI is served with the pages") from None
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=title,
            swagger_js_url=js,
            swagger_css_url=css,
            swagger_favicon_url=icon,
            swagger_ui_parameters={"validatorUrl": None},
        )
