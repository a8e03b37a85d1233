"""Surveys over the API (issue 22): templates and definitions, waves, invitations with
their skip reasons, the respondent's signed link, wave counts and exports, on SQLite and
PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.api.support import Desk, open_desk
from tests.storage.support import Database
from touchpoint.engine.servqual_report import servqual
from touchpoint.services.return_visits import RETURN_VISIT_SURVEY_NAME, month_wave_id
from touchpoint.services.survey_links import DEFAULT_PUBLIC_URL


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("site"), site=True)


def _survey(site: Desk, who: str = "analyst", **body: Any) -> dict[str, Any]:
    return site.post(who, "/api/surveys", {"name": site.db.unique("survey "), **body})  # type: ignore[no-any-return]


def _wave(site: Desk, survey_id: int, **body: Any) -> dict[str, Any]:
    payload = {"name": site.db.unique("wave "), **body}
    return site.post("supervisor", f"/api/surveys/{survey_id}/waves", payload)  # type: ignore[no-any-return]


def _invite(site: Desk, wave_id: int, ids: list[int], channel: str = "link", **extra: Any) -> Any:
    body = {"customer_ids": ids, "channel": channel, **extra}
    return site.post("supervisor", f"/api/waves/{wave_id}/invitations", body)


def _token(url: str) -> str:
    assert url.startswith(DEFAULT_PUBLIC_URL + "/s/"), url
    return url.rsplit("/s/", 1)[1]


def _answer(site: Desk, token: str, answers: dict[str, Any]) -> Any:
    return site.client.post(f"/s/{token}", json={"answers": answers})


def test_templates_give_the_contracted_items_in_export_order(site: Desk) -> None:
    ids = [q["id"] for q in _survey(site, template="servqual")["questions"]]
    assert ids == [f"E{i}" for i in range(1, 23)] + [f"P{i}" for i in range(1, 23)]
    zone = _survey(site, template="servqual-zone")["questions"]
    assert [q["id"] for q in zone][::22] == ["A1", "D1", "P1"]
    assert {(q["min"], q["max"]) for q in zone} == {(1, 9)}
    features = [
        {"key": "wifi", "label": {"zh-CN": "免费无线网", "en": "Free Wi-Fi"}},
        {"key": "late", "label": {"zh-CN": "延迟退房", "en": "Late check-out"}},
    ]
    kano = _survey(site, template="kano", features=features)
    assert [q["id"] for q in kano["questions"]] == ["wifi_f", "wifi_d", "late_f", "late_d"]
    nps = _survey(site, template="nps")
    assert nps["version"] == 1 and isinstance(nps["id"], int)
    assert [(q["id"], q["type"], q.get("min"), q.get("max")) for q in nps["questions"]] == [
        ("NPS", "scale", 0, 10),
        ("COMMENT", "text", None, None),
    ]


def _definition(show_if: dict[str, Any] | None = None) -> dict[str, Any]:
    text = {"zh-CN": "问题", "en": "Question"}
    later: dict[str, Any] = {"id": "WHY", "type": "text", "text": text}
    if show_if is not None:
        later["show_if"] = show_if
    return {
        "title": {"zh-CN": "满意度", "en": "Satisfaction"},
        "questions": [
            {"id": "SAT", "type": "scale", "min": 1, "max": 5, "required": True, "text": text},
            later,
        ],
    }


def test_own_definitions_are_checked_and_versioned(site: Desk) -> None:
    ok = _survey(site, definition=_definition({"question": "SAT", "at_most": 2}))
    assert [q["id"] for q in ok["questions"]] == ["SAT", "WHY"]
    for show_if, named in (
        ({"question": "WHY", "equals": "x"}, "WHY"),
        ({"question": "NOPE", "equals": "x"}, "NOPE"),
    ):
        r = site.client.post(
            "/api/surveys",
            json={"name": "bad", "definition": _definition(show_if)},
            headers=site.h("analyst"),
        )
        assert r.status_code == 422 and named in r.json()["detail"], r.text
    r = site.client.post(
        "/api/surveys", json={"name": "bad", "template": "nope"}, headers=site.h("analyst")
    )
    assert r.status_code == 422 and "nope" in r.json()["detail"]
    edited = site.client.put(
        f"/api/surveys/{ok['id']}",
        json={"definition": _definition(), "version": 1},
        headers=site.h("analyst"),
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = site.client.put(
        f"/api/surveys/{ok['id']}", json={"name": "x", "version": 1}, headers=site.h("analyst")
    )
    assert stale.status_code == 409


def test_a_renamed_survey_still_opens_waves_that_answer(site: Desk) -> None:
    """A rename is an edit too: the wave opened after it gets a definition to answer
    (it had a version number with no stored definition, and its links answered 404)."""
    survey = _survey(site, template="csat")
    renamed = site.client.put(
        f"/api/surveys/{survey['id']}",
        json={"name": site.db.unique("renamed "), "version": survey["version"]},
        headers=site.h("analyst"),
    )
    assert renamed.status_code == 200 and renamed.json()["template"] == "csat"
    wave = _wave(site, survey["id"])
    assert wave["survey_version"] == renamed.json()["version"]
    link = _invite(site, wave["id"], [site.customer()["id"]])["invitations"][0]["url"]
    token = _token(link)
    assert site.client.get(f"/s/{token}").status_code == 200
    assert _answer(site, token, {"CSAT": 4}).status_code == 201


def test_roles(site: Desk) -> None:
    r = site.client.post(
        "/api/surveys", json={"name": "x", "template": "nps"}, headers=site.h("agent")
    )
    assert r.status_code == 403
    survey = _survey(site, who="analyst", template="csat")
    wave = site.post("analyst", f"/api/surveys/{survey['id']}/waves", {"name": "w"})
    customer = site.customer()
    r = site.client.post(
        f"/api/waves/{wave['id']}/invitations",
        json={"customer_ids": [customer["id"]], "channel": "link"},
        headers=site.h("analyst"),
    )
    assert r.status_code == 403
    assert site.client.get(f"/api/waves/{wave['id']}", headers=site.h("agent")).status_code == 403
    assert site.client.get(f"/api/waves/{wave['id']}", headers=site.h("analyst")).status_code == 200


def test_invitations_skip_with_reasons(site: Desk) -> None:
    survey = _survey(site, template="nps")
    wave, other = _wave(site, survey["id"]), _wave(site, survey["id"])
    mail = site.customer(identities=[{"kind": "email", "value": "li.lei@example.com"}])
    bare = site.customer()
    merged_away = 9_999_999
    result = _invite(site, wave["id"], [mail["id"], bare["id"], merged_away, mail["id"]], "email")
    assert [i["customer_id"] for i in result["invitations"]] == [mail["id"]]
    assert result["invitations"][0]["channel"] == "email"
    assert result["invitations"][0]["status"] == "sent"
    reasons = {(s["customer_id"], s["reason"]) for s in result["skipped"]}
    assert reasons == {
        (bare["id"], "no_address"),
        (merged_away, "unknown_customer"),
        (mail["id"], "already_invited"),
    }
    again = _invite(site, wave["id"], [mail["id"]], "link")
    assert again["skipped"] == [{"customer_id": mail["id"], "reason": "already_invited"}]
    throttled = _invite(site, other["id"], [mail["id"]], "link")
    assert throttled == {
        "invitations": [],
        "skipped": [{"customer_id": mail["id"], "reason": "throttled"}],
    }
    forced = _invite(site, other["id"], [mail["id"]], "link", ignore_throttle=True)
    assert len(forced["invitations"]) == 1


def test_respondent_link_contract(site: Desk) -> None:
    survey = _survey(site, template="nps")
    wave = _wave(site, survey["id"], expires_in_days=3)
    people = [site.customer()["id"] for _ in range(3)]
    invited = _invite(site, wave["id"], people)["invitations"]
    tokens = [_token(i["url"]) for i in invited]
    page = site.client.get(f"/s/{tokens[0]}")
    assert page.status_code == 200 and "提交" in page.text
    assert "Submit" in site.client.get(f"/s/{tokens[0]}?lang=en").text
    bad: list[tuple[dict[str, Any], str]] = [
        ({"NPS": 11}, "NPS"),
        ({"NPS": 7.5}, "NPS"),
        ({"NPS": "7"}, "NPS"),
        ({"NPS": True}, "NPS"),
        ({"COMMENT": "hi"}, "NPS"),
        ({"NPS": 7, "EXTRA": 1}, "EXTRA"),
    ]
    for answers, named in bad:
        r = _answer(site, tokens[0], answers)
        assert r.status_code == 422 and named in r.json()["detail"], (answers, r.text)
    r = _answer(site, tokens[0], {"NPS": 9.0, "COMMENT": "很好"})
    assert r.status_code == 201 and isinstance(r.json()["response_id"], int)
    assert _answer(site, tokens[0], {"NPS": 3}).status_code == 409
    altered = tokens[1][:-2] + ("AA" if not tokens[1].endswith("AA") else "BB")
    assert _answer(site, altered, {"NPS": 3}).status_code == 404
    assert site.client.get(f"/s/{altered}").status_code == 404
    site.clock.advance(days=3, seconds=1)
    try:
        assert _answer(site, tokens[1], {"NPS": 3}).status_code == 410
    finally:
        site.clock.advance(days=-3, seconds=-1)
    closed = site.client.post(f"/api/waves/{wave['id']}/close", headers=site.h("supervisor"))
    assert closed.status_code == 200
    assert _answer(site, tokens[2], {"NPS": 3}).status_code == 410
    counts = site.client.get(f"/api/waves/{wave['id']}", headers=site.h("analyst")).json()
    assert (counts["invited"], counts["completed"]) == (3, 1)
    assert counts["response_rate"] == pytest.approx(1 / 3)
    assert counts["survey_id"] == survey["id"]
    again = site.client.post(
        f"/api/waves/{wave['id']}/invitations",
        json={"customer_ids": [site.customer()["id"]], "channel": "link"},
        headers=site.h("supervisor"),
    )
    assert again.status_code == 409


def test_a_wave_nobody_was_invited_to_has_no_rate(site: Desk) -> None:
    wave = _wave(site, _survey(site, template="csat")["id"])
    body = site.client.get(f"/api/waves/{wave['id']}", headers=site.h("supervisor")).json()
    assert (body["invited"], body["completed"], body["response_rate"]) == (0, 0, None)


def _servqual_answers(seed: int) -> dict[str, int]:
    answers = {f"E{i}": 5 + (seed + i) % 3 for i in range(1, 23)}
    answers.update({f"P{i}": 3 + (seed * i) % 5 for i in range(1, 23)})
    return answers


def test_exports_read_by_touchpoint_analyze(site: Desk, tmp_path: Path) -> None:
    survey = _survey(site, template="servqual")
    wave = _wave(site, survey["id"])
    people = [site.customer()["id"] for _ in range(4)]
    invited = _invite(site, wave["id"], people)["invitations"]
    for n, invitation in enumerate(invited[:3]):
        answers = _servqual_answers(n)
        if n == 2:
            del answers["E5"]  # an optional item left out: an empty cell
        assert _answer(site, _token(invitation["url"]), answers).status_code == 201
    frames = {}
    for fmt in ("csv", "xlsx", "parquet"):
        r = site.client.get(f"/api/waves/{wave['id']}/responses.{fmt}", headers=site.h("analyst"))
        assert r.status_code == 200, r.text
        path = tmp_path / f"wave.{fmt}"
        path.write_bytes(r.content)
        data = io.BytesIO(r.content)
        if fmt == "csv":
            frames[fmt] = pd.read_csv(data)
        elif fmt == "xlsx":
            frames[fmt] = pd.read_excel(data)
        else:
            frames[fmt] = pd.read_parquet(data)
        report = servqual(str(path))
        assert report.n_respondents == 3, fmt
    frame = frames["csv"]
    expected = ["respondent", *[f"E{i}" for i in range(1, 23)], *[f"P{i}" for i in range(1, 23)]]
    expected += ["customer_id", "channel", "submitted_at", "work_order_id", "touchpoint"]
    assert list(frame.columns)[: len(expected)] == expected
    assert sorted(frame["customer_id"]) == sorted(people[:3])
    assert set(frame["channel"]) == {"link"}
    assert frame["submitted_at"].str.endswith("Z").all()
    assert frame["E5"].isna().sum() == 1
    assert frames["parquet"]["P3"].tolist() == frame["P3"].tolist()
    # The gap of item 1 is the mean of P1 - E1 over the three respondents.
    gaps = [(a["P1"] - a["E1"]) for a in (_servqual_answers(n) for n in range(3))]
    report = servqual(str(tmp_path / "wave.parquet"))
    assert report.items[0].gap == pytest.approx(sum(gaps) / 3)


def test_partial_answers_are_saved_and_resumed(site: Desk) -> None:
    survey = _survey(site, template="return-visit")
    wave = _wave(site, survey["id"])
    invitation = _invite(site, wave["id"], [site.customer()["id"]])["invitations"][0]
    token = _token(invitation["url"])
    saved = site.client.post(f"/s/{token}/progress", json={"answers": {"NPS": 8}})
    assert saved.status_code == 200
    page = site.client.get(f"/s/{token}")
    assert 'value="8" checked' in page.text
    status = site.client.get(f"/api/waves/{wave['id']}/invitations", headers=site.h("supervisor"))
    assert status.json()[0]["status"] == "partial"
    assert _answer(site, token, {"NPS": 8}).status_code == 422  # CSAT is required
    assert _answer(site, token, {"CSAT": 4, "NPS": 8, "J_DIST": 2}).status_code == 201


def test_kiosk_link_is_reusable_and_marked(site: Desk) -> None:
    wave = _wave(site, _survey(site, template="csat")["id"])
    kiosk = _token(wave["kiosk_url"])
    assert _answer(site, kiosk, {"CSAT": 5}).status_code == 201
    assert _answer(site, kiosk, {"CSAT": 4}).status_code == 201
    r = site.client.get(f"/api/waves/{wave['id']}/responses.csv", headers=site.h("supervisor"))
    frame = pd.read_csv(io.BytesIO(r.content))
    assert list(frame["channel"]) == ["kiosk", "kiosk"] and frame["customer_id"].isna().all()
    qr = site.client.get(f"/api/waves/{wave['id']}/kiosk.svg", headers=site.h("supervisor"))
    assert qr.status_code == 200 and qr.text.lstrip().startswith("<?xml")
    analyst = site.client.get(f"/api/waves/{wave['id']}", headers=site.h("analyst"))
    assert analyst.json()["kiosk_url"] is None


def test_opt_out_stops_further_invitations(site: Desk) -> None:
    wave = _wave(site, _survey(site, template="nps")["id"])
    customer = site.customer()
    token = _token(_invite(site, wave["id"], [customer["id"]])["invitations"][0]["url"])
    assert site.client.get(f"/s/{token}/opt-out").status_code == 200
    assert site.client.post(f"/s/{token}/opt-out").status_code == 200
    later = _wave(site, _survey(site, template="nps")["id"])
    skipped = _invite(site, later["id"], [customer["id"]], ignore_throttle=True)["skipped"]
    assert skipped == [{"customer_id": customer["id"], "reason": "opted_out"}]


def test_display_logic_drops_hidden_answers(site: Desk) -> None:
    survey = _survey(site, definition=_definition({"question": "SAT", "at_most": 2}))
    wave = _wave(site, survey["id"])
    token = _token(_invite(site, wave["id"], [site.customer()["id"]])["invitations"][0]["url"])
    assert _answer(site, token, {"SAT": 5, "WHY": "hidden when satisfied"}).status_code == 201
    r = site.client.get(f"/api/waves/{wave['id']}/responses.csv", headers=site.h("supervisor"))
    frame = pd.read_csv(io.BytesIO(r.content))
    assert frame["SAT"].tolist() == [5] and frame["WHY"].isna().all()


def test_a_full_quota_stops_invitations_and_answers_in_its_cell(site: Desk) -> None:
    survey = _survey(site, template="csat")
    quotas = [{"segment": "customer_class", "value": "vip", "limit": 1}]
    wave = _wave(site, survey["id"], quotas=quotas)
    vips = [site.customer(customer_class="vip")["id"] for _ in range(3)]
    normal = site.customer()["id"]
    tokens = [_token(i["url"]) for i in _invite(site, wave["id"], vips[:2])["invitations"]]
    assert _answer(site, tokens[0], {"CSAT": 5}).status_code == 201
    refused = _answer(site, tokens[1], {"CSAT": 4})
    assert refused.status_code == 409 and "customer_class 'vip'" in refused.json()["detail"]
    result = _invite(site, wave["id"], [vips[2], normal])
    assert [i["customer_id"] for i in result["invitations"]] == [normal]
    assert result["skipped"] == [{"customer_id": vips[2], "reason": "quota_full"}]
    body = site.client.get(f"/api/waves/{wave['id']}", headers=site.h("analyst")).json()
    assert body["quotas"] == [{**quotas[0], "completed": 1}]
    bad = site.client.post(
        f"/api/surveys/{survey['id']}/waves",
        json={"name": "w", "quotas": [{"segment": "shoe size", "value": "42", "limit": 1}]},
        headers=site.h("analyst"),
    )
    assert bad.status_code == 422


def test_import_is_all_or_nothing_and_names_each_bad_cell(site: Desk) -> None:
    wave = _wave(site, _survey(site, template="nps")["id"])
    known = site.customer()["id"]
    bad = (
        f"NPS,COMMENT,customer_id,channel\n9,好,{known},phone\n11,,,\n7.5,,,fax\n4,,999999,\n"
        f"5,,{2**64},\n"  # no database integer holds it
    )
    r = site.client.post(
        f"/api/waves/{wave['id']}/responses/import",
        files={"file": ("old.csv", bad.encode(), "text/csv")},
        headers=site.h("supervisor"),
    )
    assert r.status_code == 400, r.text
    cells = {(p["row"], p["column"], p["value"]) for p in r.json()["problems"]}
    assert cells == {
        (3, "NPS", "11"),
        (4, "NPS", "7.5"),
        (4, "channel", "fax"),
        (5, "customer_id", "999999"),
        (6, "customer_id", str(2**64)),
    }
    counts = site.client.get(f"/api/waves/{wave['id']}", headers=site.h("supervisor")).json()
    assert counts["responses"] == 0
    good = f"NPS,COMMENT,customer_id,submitted_at\n9,好,{known},2026-11-30T08:00:00Z\n3,,,\n"
    r = site.client.post(
        f"/api/waves/{wave['id']}/responses/import",
        files={"file": ("old.csv", good.encode(), "text/csv")},
        headers=site.h("supervisor"),
    )
    assert r.status_code == 201 and r.json()["rows"] == 2
    export = site.client.get(f"/api/waves/{wave['id']}/responses.csv", headers=site.h("analyst"))
    frame = pd.read_csv(io.BytesIO(export.content))
    assert frame["NPS"].tolist() == [9, 3] and frame["channel"].tolist() == ["phone", "phone"]
    assert frame["submitted_at"].tolist()[0] == "2026-11-30T08:00:00Z"


def test_import_names_every_refused_answer_of_a_row(site: Desk) -> None:
    """A row with three bad answers and a required question left blank lists all four,
    not only the first; the answers of a good row are kept as the survey keeps them."""
    text = {"zh-CN": "题", "en": "Question"}
    options = [{"value": v, "label": {"zh-CN": v, "en": v}} for v in ("app", "hotline")]
    definition = {
        "title": {"zh-CN": "渠道", "en": "Channels"},
        "questions": [
            {"id": "A", "type": "scale", "min": 1, "max": 5, "text": text},
            {"id": "B", "type": "scale", "min": 1, "max": 5, "text": text},
            {"id": "C", "type": "scale", "min": 1, "max": 5, "required": True, "text": text},
            {"id": "USED", "type": "choice", "options": options, "text": text},
        ],
    }
    wave = _wave(site, _survey(site, definition=definition)["id"])
    path = f"/api/waves/{wave['id']}/responses/import"
    bad = "A,B,C,USED\n9,0,,fax\n1,2,3,app\n"
    r = site.client.post(
        path, files={"file": ("old.csv", bad.encode(), "text/csv")}, headers=site.h("supervisor")
    )
    assert r.status_code == 400, r.text
    cells = [(p["row"], p["column"], p["value"], p["code"]) for p in r.json()["problems"]]
    assert cells == [
        (2, "A", "9", "answer_invalid"),
        (2, "B", "0", "answer_invalid"),
        (2, "C", "", "answer_invalid"),
        (2, "USED", "fax", "answer_invalid"),
    ]
    good = "A,B,C,USED\n,2,3,app\n"
    r = site.client.post(
        path, files={"file": ("old.csv", good.encode(), "text/csv")}, headers=site.h("supervisor")
    )
    assert r.status_code == 201 and r.json()["rows"] == 1, r.text
    export = site.client.get(f"/api/waves/{wave['id']}/responses.csv", headers=site.h("analyst"))
    frame = pd.read_csv(io.BytesIO(export.content))
    assert frame[["B", "C", "USED"]].values.tolist() == [[2, 3, "app"]]
    assert frame["A"].isna().tolist() == [True]


def test_a_multiple_choice_exports_its_values_joined(site: Desk) -> None:
    text = {"zh-CN": "题", "en": "Question"}
    options = [{"value": v, "label": {"zh-CN": v, "en": v}} for v in ("app", "hotline", "counter")]
    definition = {
        "title": {"zh-CN": "渠道", "en": "Channels"},
        "questions": [{"id": "USED", "type": "multi", "options": options, "text": text}],
    }
    wave = _wave(site, _survey(site, definition=definition)["id"])
    people = [site.customer()["id"] for _ in range(2)]
    invited = _invite(site, wave["id"], people)["invitations"]
    assert _answer(site, _token(invited[0]["url"]), {"USED": ["app", "counter"]}).status_code == 201
    assert _answer(site, _token(invited[1]["url"]), {}).status_code == 201
    r = site.client.get(f"/api/waves/{wave['id']}/responses.csv", headers=site.h("analyst"))
    frame = pd.read_csv(io.BytesIO(r.content))
    assert frame["USED"].tolist()[0] == "app;counter" and frame["USED"].isna().tolist()[1]


def test_links_follow_the_port_the_desk_listens_on(
    db: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Without TOUCHPOINT_PUBLIC_URL a link reaches the server where it listens (a desk
    moved to port 8123 mails links to 8123, not to the default 8000); set, it wins."""
    for port, public, expected in (
        (8123, "", "http://127.0.0.1:8123/s/"),
        (8123, "https://desk.example.com/", "https://desk.example.com/s/"),
    ):
        tmp = tmp_path_factory.mktemp("links")
        for desk in open_desk(db, tmp, port=port, public_url=public):
            wave = _wave(desk, _survey(desk, template="nps")["id"])
            (invited,) = _invite(desk, wave["id"], [desk.customer()["id"]])["invitations"]
            assert invited["url"].startswith(expected), invited["url"]


def test_responses_import_reads_the_named_encoding(site: Desk) -> None:
    """Answers typed in Excel on a Chinese Windows arrive as GBK: named, they are read."""
    wave = _wave(site, _survey(site, template="nps")["id"])
    gbk = "NPS,COMMENT\n3,排队太久\n".encode("gbk")
    path = f"/api/waves/{wave['id']}/responses/import"
    refused = site.client.post(
        path, files={"file": ("old.csv", gbk, "text/csv")}, headers=site.h("supervisor")
    )
    assert refused.status_code == 400 and "line 2: not utf-8 text" in refused.json()["detail"]
    r = site.client.post(
        path,
        files={"file": ("old.csv", gbk, "text/csv")},
        data={"encoding": "gbk"},
        headers=site.h("supervisor"),
    )
    assert r.status_code == 201, r.text
    export = site.client.get(f"/api/waves/{wave['id']}/responses.csv", headers=site.h("analyst"))
    assert pd.read_csv(io.BytesIO(export.content))["COMMENT"].tolist() == ["排队太久"]


def test_the_desk_s_return_visit_survey_keeps_its_questions_not_its_name(site: Desk) -> None:
    with site.db.engine.begin() as connection:  # made when the month's first visit needs it
        wave_id = month_wave_id(connection, site.clock.now)
    surveys = site.client.get("/api/surveys", headers=site.h("analyst")).json()
    (survey,) = [s for s in surveys if s["name"] == RETURN_VISIT_SURVEY_NAME]
    r = site.client.put(
        f"/api/surveys/{survey['id']}",
        json={"definition": _definition(), "version": survey["version"]},
        headers=site.h("analyst"),
    )
    assert r.status_code == 400 and "keeps its questions" in r.json()["detail"]
    renamed = site.client.put(
        f"/api/surveys/{survey['id']}",
        json={"name": "客户回访（电力）", "version": survey["version"]},
        headers=site.h("analyst"),
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["template"] == "return-visit"
    with site.db.engine.begin() as connection:  # found by its purpose, not its name
        assert month_wave_id(connection, site.clock.now) == wave_id
        next_month = month_wave_id(connection, site.clock.now + timedelta(days=40))
    wave = site.client.get(f"/api/waves/{next_month}", headers=site.h("analyst")).json()
    assert wave["survey_id"] == survey["id"]
    after = site.client.get("/api/surveys", headers=site.h("analyst")).json()
    assert len(after) == len(surveys)  # no second return-visit survey was made
