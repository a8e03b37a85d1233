"""Checks that hold for every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from touchpoint.storage.models import WorkOrder


def _orders_saved_by_the_order_store(session: Session, *_args: Any) -> None:
    """A work order has one write path (``storage.order_store.save_order``): no changed
    order may be left for the ORM's flush to send with an UPDATE of its own."""
    for obj in session.dirty:
        if isinstance(obj, WorkOrder) and session.is_modified(obj):
            raise AssertionError(f"work_order {obj.id} changed outside storage.order_store")


@pytest.fixture(autouse=True, scope="session")
def _one_write_path_for_orders() -> Iterator[None]:
    event.listen(Session, "before_flush", _orders_saved_by_the_order_store)
    yield
    event.remove(Session, "before_flush", _orders_saved_by_the_order_store)
