"""Survey services (issue 22): one response per link under concurrent submissions, none
lost across many links at once, the invitation mail through SMTP and its link answered,
reminders, anonymous surveys, and the exports read by the analyses of every template."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.services.conftest import Inbox
from tests.services.support import customer, people
from tests.storage.support import T0, Database
from touchpoint.domain.roles import Role
from touchpoint.engine.kano_report import kano
from touchpoint.engine.zone_report import zone
from touchpoint.services.base import Actor
from touchpoint.services.desk_clock import escalate_as_desk
from touchpoint.services.errors import ConflictError
from touchpoint.services.notify import MailConfig, create_webhook, deliver_pending
from touchpoint.services.survey_exports import ExportFormat, export_wave
from touchpoint.services.survey_invitations import Channel, invite, send_reminders
from touchpoint.services.survey_links import SurveyLinks
from touchpoint.services.survey_responses import submit_response
from touchpoint.services.surveys import create_survey, create_wave, get_wave, update_survey
from touchpoint.storage.models import OutboxMessage, WorkOrder
from touchpoint.storage.survey_models import SurveyResponse

LINKS = SurveyLinks("survey-test-key", public_url="https://desk.example.com")


def _token(url: str) -> str:
    assert url.startswith("https://desk.example.com/s/"), url
    return url.rsplit("/s/", 1)[1]


def _wave(db: Database, template: str = "nps", **survey: Any) -> tuple[Any, int]:
    with db.factory() as s:
        sup, _, _ = people(db, s)
        made = create_survey(s, sup, name=db.unique("s "), template=template, now=T0, **survey)
        wave = create_wave(s, sup, made.id, name="w", reminder_days=2, now=T0)
    return sup, wave.id


def _tokens(
    db: Database, sup: Any, wave_id: int, n: int, channel: Channel = Channel.LINK
) -> list[str]:
    with db.factory() as s:
        ids = [customer(db, s, sup) for _ in range(n)]
        result = invite(s, sup, LINKS, wave_id, customer_ids=ids, channel=channel, now=T0)
    return [_token(i.url) for i in result.invitations]


def _at_once(db: Database, jobs: list[tuple[str, dict[str, Any]]]) -> list[object]:
    """Submit every (token, answers) from its own thread and session, all released together."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, token: str, answers: dict[str, Any]) -> None:
        with db.factory() as s:
            start.wait()
            try:
                results[index] = submit_response(s, LINKS, token, answers, now=T0)
            except ConflictError as exc:
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _stored(db: Database, wave_id: int) -> int:
    with db.factory() as s:
        return int(s.scalar(select(func.count()).where(SurveyResponse.wave_id == wave_id)) or 0)


def test_one_link_submitted_many_times_at_once_stores_one_response(db: Database) -> None:
    sup, wave_id = _wave(db)
    (token,) = _tokens(db, sup, wave_id, 1)
    results = _at_once(db, [(token, {"NPS": n}) for n in range(8)])
    assert sum(isinstance(r, int) for r in results) == 1
    assert sum(isinstance(r, ConflictError) for r in results) == 7
    assert _stored(db, wave_id) == 1


def test_many_links_at_once_lose_nothing(db: Database) -> None:
    sup, wave_id = _wave(db)
    tokens = _tokens(db, sup, wave_id, 12)
    results = _at_once(db, [(t, {"NPS": 9}) for t in tokens])
    assert all(isinstance(r, int) for r in results), results
    assert _stored(db, wave_id) == 12
    with db.factory() as s:
        assert get_wave(s, sup, wave_id).response_rate == 1.0


def test_the_invitation_mail_arrives_and_its_link_is_answered(
    db: Database, smtp: tuple[Inbox, MailConfig]
) -> None:
    inbox, mail = smtp
    sup, wave_id = _wave(db, "csat")
    with db.factory() as s:
        cid = customer(db, s, sup, email="wang.fang@example.com")
        invite(s, sup, LINKS, wave_id, customer_ids=[cid], channel=Channel.EMAIL, now=T0)
    assert deliver_pending(db.factory, clock=lambda: T0, mail=mail) >= 1
    (_, message), *_ = [m for m in inbox.messages if "wang.fang@example.com" in m[0]]
    body = message.get_payload(decode=True).decode()
    url = re.search(r"https://desk\.example\.com/s/[^\s]+", body)
    assert url is not None and "/opt-out" in body
    with db.factory() as s:
        submit_response(s, LINKS, _token(url.group(0)), {"CSAT": 4, "COMMENT": "准时"}, now=T0)
        out = io.BytesIO()
        export_wave(s, sup, wave_id, ExportFormat.CSV, out, now=T0)
    lines = out.getvalue().decode().splitlines()
    assert lines[0].startswith('"respondent","CSAT","COMMENT","customer_id","channel"')
    assert f',4,"准时",{cid},"email",' in lines[1]


def test_one_reminder_after_its_days(db: Database) -> None:
    sup, wave_id = _wave(db, "csat")
    with db.factory() as s:
        cid = customer(db, s, sup, email="zhao.lei@example.com")
        invite(s, sup, LINKS, wave_id, customer_ids=[cid], channel=Channel.EMAIL, now=T0)
        assert send_reminders(s, sup, LINKS, wave_id, now=T0 + timedelta(days=1)) == 0
        assert send_reminders(s, sup, LINKS, wave_id, now=T0 + timedelta(days=2)) == 1
        assert send_reminders(s, sup, LINKS, wave_id, now=T0 + timedelta(days=3)) == 0
        assert get_wave(s, sup, wave_id).channels[0].reminded == 1


def test_the_desk_clock_sends_due_reminders_once(db: Database) -> None:
    sup, wave_id = _wave(db, "nps")
    with db.factory() as s:
        cid = customer(db, s, sup, email="sun.li@example.com")
        invite(s, sup, LINKS, wave_id, customer_ids=[cid], channel=Channel.EMAIL, now=T0)
    sweep = escalate_as_desk(None, LINKS)
    with db.factory() as s:
        sweep(s, T0 + timedelta(days=1))
        assert get_wave(s, sup, wave_id).channels[0].reminded == 0
        sweep(s, T0 + timedelta(days=2))
        sweep(s, T0 + timedelta(days=2, hours=1))
        assert get_wave(s, sup, wave_id).channels[0].reminded == 1
        mails = s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.target == "sun.li@example.com", OutboxMessage.channel == "email")
            .order_by(OutboxMessage.id)
        ).all()
    assert len(mails) == 2 and "Reminder" in mails[1]["subject"]


def test_an_anonymous_survey_keeps_no_customer(db: Database) -> None:
    text = {"zh-CN": "总体满意吗？", "en": "Satisfied overall?"}
    definition = {
        "title": {"zh-CN": "匿名", "en": "Anonymous"},
        "anonymous": True,
        "questions": [{"id": "SAT", "type": "scale", "min": 1, "max": 5, "text": text}],
    }
    sup, wave_id = _wave(db, template=None, definition=definition)  # type: ignore[arg-type]
    (token,) = _tokens(db, sup, wave_id, 1)
    with db.factory() as s:
        submit_response(s, LINKS, token, {"SAT": 5}, now=T0)
        assert (
            s.scalar(select(SurveyResponse.customer_id).where(SurveyResponse.wave_id == wave_id))
            is None
        )
        out = io.BytesIO()
        export_wave(s, sup, wave_id, ExportFormat.CSV, out, now=T0)
    assert "customer_id" not in out.getvalue().decode().splitlines()[0]


def _export(db: Database, sup: Any, wave_id: int, path: Path) -> Path:
    with db.factory() as s, path.open("wb") as out:
        export_wave(s, sup, wave_id, ExportFormat.PARQUET, out, now=T0)
    return path


def test_zone_and_kano_exports_are_read_by_their_analyses(db: Database, tmp_path: Path) -> None:
    sup, wave_id = _wave(db, "servqual-zone")
    tokens = _tokens(db, sup, wave_id, 2)
    with db.factory() as s:
        for token, (a, d, p) in zip(tokens, [(5, 8, 9), (4, 7, 6)], strict=True):
            answers = {
                f"{k}{i}": v for k, v in (("A", a), ("D", d), ("P", p)) for i in range(1, 23)
            }
            submit_response(s, LINKS, token, answers, now=T0)
    report = zone(str(_export(db, sup, wave_id, tmp_path / "zone.parquet")))
    assert report.n_respondents == 2
    # Respondent 1 is above desired (9 > 8), respondent 2 within (4 <= 6 <= 7).
    assert report.items[0].share_above == pytest.approx(0.5)
    assert report.items[0].share_within == pytest.approx(0.5)
    features = [{"key": "wifi", "label": {"zh-CN": "无线网", "en": "Wi-Fi"}}]
    sup, wave_id = _wave(db, "kano", features=features)
    tokens = _tokens(db, sup, wave_id, 3)
    with db.factory() as s:
        # (like, dislike) = one-dimensional twice; (neutral, dislike) = must-be once.
        for token, (f, d) in zip(tokens, [(1, 5), (1, 5), (3, 5)], strict=True):
            submit_response(s, LINKS, token, {"wifi_f": f, "wifi_d": d}, now=T0)
    (feature,) = kano(str(_export(db, sup, wave_id, tmp_path / "kano.parquet"))).features
    assert feature.feature == "wifi"
    assert feature.to_dict()["counts"] == {"A": 0, "O": 2, "M": 1, "I": 0, "R": 0, "Q": 0}


def test_a_completed_response_is_a_webhook_event(db: Database) -> None:
    sup, wave_id = _wave(db, "csat")
    with db.factory() as s:
        admin = Actor(user_id=sup.user_id, username="admin", role=Role.ADMIN)
        create_webhook(
            s, admin, url="http://hooks.test/surveys", events=["survey.response.completed"], now=T0
        )
    (token,) = _tokens(db, sup, wave_id, 1)
    with db.factory() as s:
        response_id = submit_response(s, LINKS, token, {"CSAT": 5, "COMMENT": "好"}, now=T0)
        payload = s.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.event == "survey.response.completed",
                OutboxMessage.target == "http://hooks.test/surveys",
            )
        ).one()
    assert payload["response_id"] == response_id and payload["wave_id"] == wave_id
    assert payload["answers"] == {"CSAT": 5, "COMMENT": "好"}


def test_a_detractor_answer_sent_many_times_at_once_opens_one_recovery(db: Database) -> None:
    sup, wave_id = _wave(db, "nps")
    (token,) = _tokens(db, sup, wave_id, 1)
    results = _at_once(db, [(token, {"NPS": 2}) for _ in range(6)])
    assert sum(isinstance(r, int) for r in results) == 1
    (response_id,) = [r for r in results if isinstance(r, int)]
    with db.factory() as s:
        opened = s.scalars(
            select(WorkOrder.id).where(WorkOrder.origin_response_id == response_id)
        ).all()
        every = s.scalars(
            select(WorkOrder.id).where(
                WorkOrder.origin_response_id.in_(
                    select(SurveyResponse.id).where(SurveyResponse.wave_id == wave_id)
                )
            )
        ).all()
    assert len(opened) == 1 and every == opened


def test_a_mail_names_the_survey_as_the_wave_asks_it(db: Database) -> None:
    """A wave opened before the survey was retitled mails the title its respondents see
    (the wave's version), not the newer one."""
    text = {"zh-CN": "满意吗？", "en": "Satisfied?"}
    question = {"id": "SAT", "type": "scale", "min": 1, "max": 5, "text": text}

    def definition(zh: str, en: str) -> dict[str, Any]:
        return {"title": {"zh-CN": zh, "en": en}, "questions": [question]}

    sup, wave_id = _wave(db, template=None, definition=definition("旧标题", "Old title"))  # type: ignore[arg-type]
    with db.factory() as s:
        survey_id = get_wave(s, sup, wave_id).survey_id
        update_survey(s, sup, survey_id, definition=definition("新标题", "New title"), now=T0)
        cid = customer(db, s, sup, email="qian.yu@example.com")
        invite(s, sup, LINKS, wave_id, customer_ids=[cid], channel=Channel.EMAIL, now=T0)
        (mail,) = s.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.target == "qian.yu@example.com")
        ).all()
    assert "旧标题" in mail["subject"] and "新标题" not in mail["subject"]
