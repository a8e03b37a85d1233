"""The desk announces only the events a webhook can subscribe to, each labelled on the
webhooks page in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from touchpoint.domain.webhook_events import WEBHOOK_EVENTS, is_webhook_event
from touchpoint.services.base import Actor, WriteUnit
from touchpoint.web import labels
from touchpoint.web.i18n import translations


def test_a_write_refuses_to_announce_an_event_no_one_can_subscribe_to() -> None:
    unit = WriteUnit(Session(), Actor.system(), "test", datetime(2026, 3, 1, tzinfo=UTC))
    unit.notify("work_order.resolved", {})
    with pytest.raises(ValueError, match=r"'work_order\.created' is not in"):
        unit.notify("work_order.created", {})
    with pytest.raises(ValueError, match=r"'work_order\.sla_late' is not in"):
        unit.webhook_targets(["work_order.sla_warning", "work_order.sla_late"])


def test_the_list_names_what_the_desk_announces_and_each_has_a_label() -> None:
    assert {"work_order.reopened", "work_order.sla_breach", "survey.response.completed"} <= set(
        WEBHOOK_EVENTS
    )
    assert not is_webhook_event("*") and not is_webhook_event("work_order.internal_note")
    assert list(labels.WEBHOOK_EVENT) == list(WEBHOOK_EVENTS)
    zh = translations("zh_CN").gettext
    assert zh(labels.WEBHOOK_EVENT["work_order.sla_breach"]) == "SLA 超时"
