"""``/docs`` works offline: Swagger UI's script, style sheet and icon come from the
server's own static files, and the page names no other host."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from touchpoint.api.app import create_app
from touchpoint.settings import Settings
from touchpoint.web import create_site

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as in tests/api/support.py
    from fastapi.testclient import TestClient

_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
_URL = re.compile(r"""https?://[^\s"'<>)]+""")


def _settings(tmp: Path) -> Settings:
    return Settings(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'desk.sqlite3'}",
        secret_key="test-secret-key",  # noqa: S106 (test key)
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[FastAPI]:
    yield create_site(_settings(tmp_path), dispatch=False)


def test_docs_page_names_no_other_host_and_its_assets_are_served(site: FastAPI) -> None:
    with TestClient(site) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        assert _URL.findall(html) == []
        assets = _ASSET.findall(html)
        assert len(assets) == 3  # script, style sheet, icon
        assert all(a.startswith("/static/vendor/swagger-ui") for a in assets)
        for url in assets:
            got = client.get(url)
            assert got.status_code == 200, url
            assert len(got.content) > 0, url
        assert "url: '/openapi.json'" in html
        assert client.get("/openapi.json").status_code == 200


def test_swagger_ui_is_the_vendored_bundle(site: FastAPI) -> None:
    with TestClient(site) as client:
        [script] = re.findall(r'<script src="([^"]+)"', client.get("/docs").text)
        body = client.get(script).text
    assert "SwaggerUIBundle" in body
    assert script.endswith(".js") and re.search(r"\d+\.\d+\.\d+", script)


def test_docs_follow_the_root_path(site: FastAPI) -> None:
    with TestClient(site, root_path="/desk") as client:
        html = client.get("/docs").text
    assert "url: '/desk/openapi.json'" in html
    assert all(a.startswith("/desk/static/vendor/") for a in _ASSET.findall(html))


def test_redoc_is_off(site: FastAPI) -> None:
    with TestClient(site) as client:
        assert client.get("/redoc").status_code == 404


def test_the_api_alone_serves_no_docs_but_its_openapi(tmp_path: Path) -> None:
    """Without the pages there are no static files, so no Swagger UI (rather than a
    page whose script is missing); the OpenAPI document is still there."""
    with TestClient(create_app(_settings(tmp_path), dispatch=False)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 200
