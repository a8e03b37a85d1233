"""Server-rendered pages (Jinja2 + HTMX), charts and the zh-CN/en catalogues.

``mount_web(app)`` adds the pages, their static files and their error pages to the
API app; ``create_site(settings)`` builds the API app with the pages mounted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from touchpoint.settings import Settings

__all__ = ["create_site", "mount_web"]


def mount_web(app: FastAPI) -> None:
    """Add the pages, ``/static`` and the page error handlers to ``app``."""
    from touchpoint.web.mount import mount

    mount(app)


def create_site(settings: Settings, **options: Any) -> FastAPI:
    """The API app (``create_app(settings, **options)``) with the pages mounted."""
    from touchpoint.api.app import create_app

    app = create_app(settings, **options)
    mount_web(app)
    return app
