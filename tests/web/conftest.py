"""Fixtures: one seeded demo site per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.support import Site, open_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from open_site(tmp_path_factory.mktemp("web"))
