"""The wave report's figures (issue 24): every number is the wave analysis's (the API's
JSON) on the same wave, the wave's counts are the wave page's, the analysis is the one
the survey's template (or, for a survey defined by hand, its columns) calls for, below
five answers there is nothing to show, agents may not read it, and a download is one
audit row."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select

from tests.services.support import customer, people
from tests.storage.support import T0, Database
from touchpoint.services.errors import ForbiddenError
from touchpoint.services.survey_invitations import Channel, invite
from touchpoint.services.survey_links import SurveyLinks
from touchpoint.services.survey_responses import submit_response
from touchpoint.services.surveys import create_survey, create_wave
from touchpoint.services.wave_analysis import AnalysisOptions, Instrument, analyze_wave
from touchpoint.services.wave_report import (
    Z_95,
    headline_instrument,
    record_report_export,
    wave_report,
)
from touchpoint.storage.models import AuditEntry

LINKS = SurveyLinks("survey-test-key", public_url="https://desk.example.com")


def _answered(db: Database, template: str, answers: dict[str, Any], n: int) -> tuple[Any, int]:
    """A wave of ``template`` with ``n`` invitations, each answered with ``answers``'s
    values drawn for it (a list: one per respondent)."""
    with db.factory() as s:
        sup, _agent, _analyst = people(db, s)
        made = create_survey(s, sup, name=db.unique("r "), template=template, now=T0)
        wave = create_wave(s, sup, made.id, name="w", now=T0)
        ids = [customer(db, s, sup) for _ in range(n)]
        result = invite(s, sup, LINKS, wave.id, customer_ids=ids, channel=Channel.LINK, now=T0)
        for i, invitation in enumerate(result.invitations):
            token = invitation.url.rsplit("/s/", 1)[1]
            submit_response(s, LINKS, token, {k: v[i] for k, v in answers.items()}, now=T0)
    return sup, wave.id


def test_nps_figures_are_the_analysis_numbers(db: Database) -> None:
    scores = [10, 9, 9, 8, 6, 3, 10]
    sup, wave_id = _answered(db, "nps", {"NPS": scores}, 7)
    with db.factory() as s:
        report = wave_report(s, sup, wave_id, now=T0)
        api = analyze_wave(s, sup, wave_id, Instrument.NPS, AnalysisOptions())
    assert report.instrument is Instrument.NPS and report.n == 7 and report.enough(5)
    assert report.wave.invited == 7 and report.wave.completed == 7
    assert report.wave.response_rate == 1.0
    assert report.score is not None
    assert report.score.value == api["nps"] == pytest.approx(100 * (4 - 2) / 7)
    assert [report.score.low, report.score.high] == api["ci95"]
    assert dict(report.score.details) == {"promoters": 4, "passives": 1, "detractors": 2}
    [headline] = report.headline
    assert (headline.key, headline.value, headline.low) == ("score", api["nps"], api["ci95"][0])
    assert report.analysis == api and Z_95 == 1.959964


def test_servqual_figures_carry_alpha_per_dimension(db: Database) -> None:
    rng = random.Random(7)
    answers = {f"{k}{i}": [rng.randint(2, 7) for _ in range(6)] for k in "EP" for i in range(1, 23)}
    sup, wave_id = _answered(db, "servqual", answers, 6)
    with db.factory() as s:
        report = wave_report(s, sup, wave_id, now=T0)
    dims = report.analysis["dimensions"]
    assert [g.dimension for g in report.gaps] == [d["dimension"] for d in dims]
    assert [g.alpha_perception for g in report.gaps] == [d["alpha_perception"] for d in dims]
    worst = min(report.gaps, key=lambda g: g.gap or 0.0)
    mean_gap, largest = report.headline
    assert mean_gap.value == report.analysis["unweighted"]
    assert (largest.subject, largest.value) == (worst.dimension, worst.gap)


def test_few_answers_roles_and_the_audited_download(db: Database) -> None:
    _sup, wave_id = _answered(db, "csat", {"CSAT": [5, 4, 2]}, 3)
    with db.factory() as s:
        _, agent, analyst = people(db, s)
        report = wave_report(s, analyst, wave_id, now=T0)
        assert report.n == 3 and not report.enough(5)
        with pytest.raises(ForbiddenError):
            wave_report(s, agent, wave_id, now=T0)
        record_report_export(s, analyst, report, "pdf", now=T0)
        rows = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "survey.report", AuditEntry.entity_id == str(wave_id)
            )
        ).all()
    assert [(r.entity, r.actor_id, r.after) for r in rows] == [
        ("survey_wave", analyst.user_id, {"format": "pdf", "instrument": "csat", "n": 3})
    ]


def test_the_instrument_a_survey_is_read_with() -> None:
    assert headline_instrument("servqual-zone", ["A1", "D1", "P1"]) is Instrument.ZONE
    assert headline_instrument("csat", []) is Instrument.CSAT
    assert headline_instrument("drivers-and-more", ["NPS"]) is None
    assert headline_instrument(None, ["E1", "P1", "E2", "P2"]) is Instrument.SERVQUAL
    assert headline_instrument(None, ["wifi_f", "wifi_d"]) is Instrument.KANO
    assert headline_instrument(None, ["SAT", "NPS"]) is Instrument.NPS
    assert headline_instrument(None, ["SAT"]) is None
