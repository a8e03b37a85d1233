"""Fixtures: one fresh database per module, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from tests.storage.support import BACKENDS, Clock, Database, open_database
from touchpoint.services.notify import MailConfig


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.factory() as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Inbox:
    """What the test SMTP server received: (recipients, message) pairs."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, MailConfig]]:
    inbox = Inbox()
    port = _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, MailConfig(host="127.0.0.1", port=port, sender="desk@example.com")
    finally:
        ctl.stop()
