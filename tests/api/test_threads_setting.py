"""``TOUCHPOINT_THREADS`` sizes the server loop's pool for blocking calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient
from pydantic import ValidationError

from touchpoint.api.app import create_app
from touchpoint.settings import Settings
from touchpoint.storage.migrate import upgrade


async def _tokens() -> float:
    return to_thread.current_default_thread_limiter().total_tokens


def test_the_setting_sizes_the_loop_s_thread_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("TOUCHPOINT_THREADS", "3")
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key="threads-test")  # noqa: S106
    assert settings.threads == 3
    with TestClient(create_app(settings)) as client:
        assert client.portal is not None
        assert client.portal.call(_tokens) == 3
    with TestClient(create_app(settings.model_copy(update={"threads": 4}))) as client:
        assert client.portal is not None
        assert client.portal.call(_tokens) == 4  # the default anyio gives is 40


def test_a_thread_count_below_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOUCHPOINT_THREADS", "0")
    with pytest.raises(ValidationError, match="threads"):
        Settings()
