"""The survey pages (issue 22): the builder and its refusals in the page's language, a
survey's preview drawn like the respondent page, the wave page's numbers (the API's),
roles (agents 403, analysts masked and without the invite form), invitations with their
skip reasons, closing, reminders, the kiosk QR code and the export links."""

from __future__ import annotations

import html
import itertools
import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from tests.storage.support import BACKENDS, Clock, open_database
from tests.web.support import Site, csrf_of, post_form
from touchpoint.domain.survey_definition import parse_definition
from touchpoint.services.seed import seed_demo
from touchpoint.services.survey_links import DEFAULT_PUBLIC_URL
from touchpoint.settings import Settings
from touchpoint.web import create_site
from touchpoint.web.pages_responses import answer_text

with warnings.catch_warnings():
    # starlette prefers the httpx2 package for its test client; httpx (locked) still works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

_names = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The demo desk with the pages, on SQLite and on PostgreSQL (the wave counts are
    grouped in SQL)."""
    tmp = tmp_path_factory.mktemp("survey-pages")
    for db in open_database(request.param, tmp):
        clock = Clock()
        with db.factory() as session:
            seed_demo(session, clock.now)
            session.commit()
        settings = Settings(data_dir=tmp, database_url=db.url, secret_key="web-test-secret")  # noqa: S106
        app = create_site(settings, clock=clock, dispatch=False)
        with TestClient(app):
            yield Site(app=app, clock=clock, url=db.url)


def _api(c: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the API with the page session's cookie (and its CSRF header)."""
    token = csrf_of(c.get("/surveys").text)
    r = c.request(method, path, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code in (200, 201), r.text
    return r.json()


def _create(c: Any, **data: str) -> int:
    r = post_form(c, "/surveys", "/surveys", {"name": f"survey {next(_names)}", **data})
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/surveys/(\d+)\?done=created", r.headers["location"])
    assert found is not None, r.headers["location"]
    return int(found.group(1))


def _open_wave(c: Any, survey_id: int, **data: str) -> int:
    url = f"/surveys/{survey_id}"
    payload = {"wave_name": f"wave {next(_names)}", "expires_in_days": "14", **data}
    r = post_form(c, url, f"{url}/waves", payload)
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/waves/(\d+)\?done=opened", r.headers["location"])
    assert found is not None
    return int(found.group(1))


_LOGIC = {
    "title": {"zh-CN": "服务满意度", "en": "Service satisfaction"},
    "questions": [
        {
            "id": "SAT",
            "type": "scale",
            "min": 1,
            "max": 5,
            "required": True,
            "text": {"zh-CN": "总体满意吗？", "en": "Satisfied overall?"},
        },
        {
            "id": "WHY",
            "type": "text",
            "text": {"zh-CN": "哪里不满意？", "en": "What went wrong?"},
            "show_if": {"question": "SAT", "at_most": 2},
        },
    ],
}


def test_agents_may_not_open_the_survey_pages(site: Site) -> None:
    agent = site.client("agent")
    assert agent.get("/surveys").status_code == 403
    assert "/surveys" not in agent.get("/queue").text
    analyst = site.client("analyst")
    survey_id = _create(analyst, source="template", template="nps")
    wave_id = _open_wave(analyst, survey_id)
    for path in (f"/surveys/{survey_id}", f"/surveys/{survey_id}/preview", f"/waves/{wave_id}"):
        assert agent.get(path).status_code == 403, path
    page = agent.get("/queue")
    r = agent.post(f"/waves/{wave_id}/close", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    assert site.client().get("/surveys").status_code == 303  # anonymous: to the login form


def test_nav_link_and_builder_in_both_languages(site: Site) -> None:
    zh = site.client("analyst").get("/surveys")
    assert zh.status_code == 200
    assert 'id="nav-surveys">调查问卷</a>' in zh.text
    assert "由模板新建问卷" in zh.text and "SERVQUAL（22 项期望与感知，1–7 分）" in zh.text
    en = site.client("supervisor", lang="en").get("/surveys")
    assert 'id="nav-surveys">Surveys</a>' in en.text
    assert "New survey from a JSON definition" in en.text


def test_template_survey_with_kano_features(site: Site) -> None:
    c = site.client("analyst")
    features = "wifi | 免费无线网 | Free Wi-Fi\nlate | 延迟退房 | Late check-out\n"
    survey_id = _create(c, source="template", template="kano", features=features)
    api = _api(c, "GET", f"/api/surveys/{survey_id}")
    assert [q["id"] for q in api["questions"]] == ["wifi_f", "wifi_d", "late_f", "late_d"]
    page = c.get(f"/surveys/{survey_id}?done=created")
    assert "问卷已保存。" in page.text and "wifi_f" in page.text
    listing = c.get("/surveys").text
    assert f'href="/surveys/{survey_id}"' in listing


def test_each_rule_of_a_definition_is_said_in_the_page_language(site: Site) -> None:
    """The rules the builder's JSON breaks most (an unknown type, a scale upside down,
    a wording missing in one language, an option twice) in zh-CN and en, never in the
    API's English."""
    text = {"zh-CN": "题", "en": "Question"}
    option = {"value": "a", "label": text}
    cases = [
        (
            {"id": "Q1", "type": "rating", "text": text},
            "题目 Q1：题型 'rating' 不是 scale, choice, multi, text 之一。",
            "Question Q1: the type 'rating' is not one of scale, choice, multi, text.",
        ),
        (
            {"id": "Q1", "type": "scale", "min": 5, "max": 1, "text": text},
            "题目 Q1：量表 5..1 必须由小到大，且在 ±1000 以内。",
            "Question Q1: the scale 5..1 must rise and stay within ±1000.",
        ),
        (
            {"id": "Q1", "type": "text", "text": {"zh-CN": "题", "en": " "}},
            "question Q1.text：en 措辞缺失或为空。",
            "question Q1.text: the en wording is missing or empty.",
        ),
        (
            {"id": "Q1", "type": "choice", "options": [option, option], "text": text},
            "题目 Q1：选项 'a' 重复。",
            "Question Q1: the option 'a' is listed twice.",
        ),
    ]
    for question, zh_said, en_said in cases:
        typed = json.dumps({"title": text, "questions": [question]}, ensure_ascii=False)
        for lang, said in (("zh-CN", zh_said), ("en", en_said)):
            r = post_form(site.client("analyst", lang=lang), "/surveys", "/surveys", {
                "source": "definition", "name": "坏定义", "definition": typed,
            })  # fmt: skip
            shown = html.unescape(r.text)
            assert r.status_code == 422 and said in shown, (lang, said, shown[-3000:])


def test_builder_refusal_names_the_question_in_the_page_language(site: Site) -> None:
    bad = json.loads(json.dumps(_LOGIC))
    bad["questions"][1]["show_if"] = {"question": "LATER", "at_most": 2}
    bad["questions"].append(
        {"id": "LATER", "type": "text", "text": {"zh-CN": "稍后", "en": "Later"}}
    )
    typed = json.dumps(bad, ensure_ascii=False)
    zh = post_form(site.client("analyst"), "/surveys", "/surveys", {
        "source": "definition", "name": "坏定义", "definition": typed,
    })  # fmt: skip
    assert zh.status_code == 422
    assert "题目 WHY：show_if 引用了后面的题目 LATER；只能引用前面的题目。" in zh.text
    assert "refers to later question" not in zh.text  # the API's English stays there
    assert "坏定义" in zh.text  # the typed text survives
    assert "LATER" in zh.text and "&#34;show_if&#34;" in zh.text
    en = post_form(site.client("analyst", lang="en"), "/surveys", "/surveys", {
        "source": "definition", "name": "bad", "definition": "{not json",
    })  # fmt: skip
    assert en.status_code == 422
    assert "The definition is not valid JSON (line 1, column 2)." in en.text
    kano = post_form(site.client("analyst"), "/surveys", "/surveys", {
        "source": "template", "template": "kano", "name": "k", "features": "wifi 免费无线网",
    })  # fmt: skip
    assert kano.status_code == 422
    assert "功能第 1 行“wifi 免费无线网”未按 key | 中文 | English 的格式填写。" in kano.text


def test_survey_page_preview_is_the_respondent_markup_and_does_not_submit(site: Site) -> None:
    c = site.client("analyst")
    survey_id = _create(c, source="definition", definition=json.dumps(_LOGIC))
    page = c.get(f"/surveys/{survey_id}")
    assert page.status_code == 200
    assert f'src="/surveys/{survey_id}/preview"' in page.text
    assert "show_if" in page.text and "开启调查轮次" in page.text
    preview = c.get(f"/surveys/{survey_id}/preview")
    assert preview.status_code == 200
    html = preview.text
    assert "总体满意吗？" in html and 'id="question-WHY"' in html
    assert 'name="q.SAT" value="1"' in html and "respond.js" in html
    assert '"WHY":{"question":"SAT","at_most":2}' in html  # the display logic, as the page has
    assert '<form id="survey"' in html and "action=" not in html.split('id="survey"')[0][-80:]
    assert 'type="submit"' not in html and "保存，稍后继续" in html
    assert "data-unanswered" not in html  # an own definition: blank items go unasked
    servqual = _create(c, source="template", template="servqual")
    assert "data-unanswered=" in c.get(f"/surveys/{servqual}/preview").text
    en = c.get(f"/surveys/{survey_id}/preview?lang=en").text
    assert "Satisfied overall?" in en and "Save and continue later" in en
    # Without ?lang the preview speaks the viewer's language.
    english_viewer = site.client("analyst", lang="en").get(f"/surveys/{survey_id}/preview")
    assert "Satisfied overall?" in english_viewer.text
    assert "总体满意吗？" in site.client("analyst").get(f"/surveys/{survey_id}/preview").text


def test_display_logic_is_stated_in_the_page_language(site: Site) -> None:
    """The question list states each condition in words, an option by its wording, not
    as the definition's JSON."""
    topic = {
        "id": "TOPIC",
        "type": "choice",
        "text": {"zh-CN": "主要原因？", "en": "Main reason?"},
        "options": [
            {"value": "price", "label": {"zh-CN": "价格", "en": "Price"}},
            {"value": "staff", "label": {"zh-CN": "员工", "en": "Staff"}},
            {"value": "other", "label": {"zh-CN": "其他", "en": "Other"}},
        ],
    }
    staff = {
        "id": "STAFF",
        "type": "text",
        "text": {"zh-CN": "员工哪里做得不好？", "en": "What did our staff get wrong?"},
        "show_if": {"question": "TOPIC", "in": ["price", "staff"]},
    }
    definition = {**_LOGIC, "questions": [*_LOGIC["questions"], topic, staff]}
    c = site.client("analyst")
    survey_id = _create(c, source="definition", definition=json.dumps(definition))

    def conditions(html: str) -> list[str]:
        cells = re.findall(r'<span class="condition">(.*?)</span>', html, flags=re.S)
        return [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in cells]

    zh = c.get(f"/surveys/{survey_id}").text
    assert conditions(zh) == ["SAT 不高于 2", "TOPIC 属于 价格, 员工"]
    assert "价格 <code>price</code>, 员工 <code>staff</code>, 其他 <code>other</code>" in zh
    en = site.client("analyst", lang="en").get(f"/surveys/{survey_id}").text
    assert conditions(en) == ["SAT is at most 2", "TOPIC is one of Price, Staff"]
    return_visit = _create(c, source="template", template="return-visit")
    assert conditions(c.get(f"/surveys/{return_visit}").text) == ["工单类型 为 投诉"] * 3


def test_survey_edit_makes_a_new_version_and_refuses_stale_or_bad_forms(site: Site) -> None:
    """The survey page edits the name and, for a survey of its own definition, the
    questions: a new version that new waves use; a stale form answers 409 and a broken
    definition 422, the typed text kept and nothing saved."""
    c = site.client("analyst")
    survey_id = _create(c, source="definition", definition=json.dumps(_LOGIC))
    url = f"/surveys/{survey_id}"
    first_wave = _open_wave(c, survey_id)
    before = _api(c, "GET", f"/api/surveys/{survey_id}")
    extra = {"id": "AGAIN", "type": "scale", "min": 0, "max": 10,
             "text": {"zh-CN": "还会再来吗？", "en": "Would you come again?"}}  # fmt: skip
    edited = {**_LOGIC, "questions": [*_LOGIC["questions"], extra]}
    form = {"version": str(before["version"]), "edit_name": "服务满意度（第二版）"}
    r = post_form(c, url, f"{url}/edit", {**form, "edit_definition": json.dumps(edited)})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=edited"
    after = _api(c, "GET", f"/api/surveys/{survey_id}")
    assert after["name"] == "服务满意度（第二版）" and after["version"] > before["version"]
    assert [q["id"] for q in after["definition"]["questions"]] == ["SAT", "WHY", "AGAIN"]
    page = c.get(r.headers["location"]).text
    assert "问卷已更新。" in page and "还会再来吗？" in page
    second_wave = _open_wave(c, survey_id)
    waves = {
        w["id"]: w["survey_version"]
        for w in _api(c, "GET", f"{url.replace('/surveys', '/api/surveys')}/waves")
    }
    assert waves[first_wave] < waves[second_wave]

    # A form drawn before that edit is stale: 409, the typed text kept, nothing saved.
    old_form = {**form, "edit_name": "旧表单", "edit_definition": json.dumps(_LOGIC)}
    stale = c.post(f"{url}/edit", data={"csrf_token": csrf_of(page), **old_form})
    assert stale.status_code == 409
    assert 'value="旧表单"' in stale.text
    bad = post_form(c, url, f"{url}/edit", {
        "version": str(after["version"]), "edit_name": "x", "edit_definition": '{"title": ',
    })  # fmt: skip
    assert bad.status_code == 422 and "问卷定义不是有效的 JSON" in bad.text
    assert 'name="edit_definition" rows="16" spellcheck="false">{&#34;title&#34;:<' in bad.text
    assert _api(c, "GET", f"/api/surveys/{survey_id}") == after

    # A template survey is renamed only; it stays the template's.
    nps = _create(c, source="template", template="nps")
    nps_page = c.get(f"/surveys/{nps}").text
    assert 'id="e-definition"' not in nps_page and "模板问卷的题目固定不变" in nps_page
    version = _api(c, "GET", f"/api/surveys/{nps}")["version"]
    r = post_form(c, f"/surveys/{nps}", f"/surveys/{nps}/edit", {
        "version": str(version), "edit_name": "门店 NPS",
    })  # fmt: skip
    assert r.status_code == 303
    renamed = _api(c, "GET", f"/api/surveys/{nps}")
    assert renamed["name"] == "门店 NPS" and renamed["template"] == "nps"
    assert site.client("agent").post(f"/surveys/{nps}/edit", data={}).status_code == 403


def test_wave_form_refusal_and_numbers_match_the_api(site: Site) -> None:
    analyst = site.client("analyst")
    survey_id = _create(analyst, source="definition", definition=json.dumps(_LOGIC))
    url = f"/surveys/{survey_id}"
    refused = post_form(analyst, url, f"{url}/waves", {"wave_name": "w", "expires_in_days": "400"})
    assert refused.status_code == 422
    assert "链接的有效期为 1 至 365 天，而不是 400 天。" in refused.text
    wave_id = _open_wave(analyst, survey_id, reminder_days="3")
    sup = site.client("supervisor")
    mail = _api(sup, "POST", "/api/customers", {
        "name": "李雷", "identities": [{"kind": "email", "value": "li.lei.pages@example.com"}],
    })  # fmt: skip
    bare = _api(sup, "POST", "/api/customers", {"name": "韩梅梅"})
    others = [_api(sup, "POST", "/api/customers", {"name": f"客户{i}"})["id"] for i in range(3)]
    wave_url = f"/waves/{wave_id}"
    ids = f"{mail['id']}, {bare['id']}\n9999999"
    r = post_form(
        sup, wave_url, f"{wave_url}/invitations", {"customer_ids": ids, "channel": "email"}
    )
    assert r.status_code == 201, r.text
    assert "已邀请：1 · 已跳过：2" in r.text
    assert "该渠道无联系地址" in r.text and "客户不存在" in r.text
    links = _api(sup, "POST", f"/api/waves/{wave_id}/invitations", {
        "customer_ids": others, "channel": "link",
    })  # fmt: skip
    tokens = [i["url"].rsplit("/s/", 1)[1] for i in links["invitations"]]
    assert sup.post(f"/s/{tokens[0]}", json={"answers": {"SAT": 5}}).status_code == 201
    assert sup.post(f"/s/{tokens[1]}/progress", json={"answers": {"SAT": 2}}).status_code == 200
    assert sup.get(f"/s/{tokens[2]}").status_code == 200  # opened

    api = _api(sup, "GET", f"/api/waves/{wave_id}")
    page = sup.get(wave_url).text
    assert api["invited"] == 4 and api["completed"] == 1
    assert f'id="total-invited">{api["invited"]}<' in page
    assert f'id="total-completed">{api["completed"]}<' in page
    assert f'id="total-rate" data-rate="{api["response_rate"]}"' in page
    assert 'id="total-opened">3<' in page and 'id="total-partial">1<' in page
    for ch in api["channels"]:
        row = re.search(rf'<tr data-channel="{ch["channel"]}">(.*?)</tr>', page, re.DOTALL)
        assert row is not None
        cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row.group(1))
        assert cells[:6] == [str(ch[k]) for k in ("invited", "opened", "partial", "completed",
                                                 "cancelled", "reminded")]  # fmt: skip
        assert f'data-rate="{ch["response_rate"]}"' in row.group(1)
    # supervisors see the address, the links, the forms and the kiosk QR code
    assert "li.lei.pages@example.com" in page
    assert f"{DEFAULT_PUBLIC_URL}/s/{tokens[0]}" in page
    assert 'id="invite-form"' in page and 'id="close-form"' in page and "<svg" in page
    assert (
        sup.get(f"/api/waves/{wave_id}/kiosk.svg")
        .headers["content-type"]
        .startswith("image/svg+xml")
    )
    csv = sup.get(f"/api/waves/{wave_id}/responses.csv")
    assert csv.status_code == 200 and csv.text.splitlines()[1].split(",")[1] == "5"

    # analysts: the same numbers, addresses masked, no links, no forms, no kiosk
    seen = site.client("analyst").get(wave_url).text
    assert f'id="total-invited">{api["invited"]}<' in seen
    assert "li.lei.pages@example.com" not in seen and "@example.com" in seen
    assert "/s/" not in seen
    assert 'id="invite-form"' not in seen and 'id="close-form"' not in seen
    assert 'id="kiosk"' not in seen and 'id="export-csv"' in seen


def test_respondent_form_without_scripts_saves_refuses_and_submits(site: Site) -> None:
    """The respondent page's form posted as a form (no respond.js): a part saved, a
    refused answer shown on the page again with the part saved, then the thank-you."""
    sup = site.client("supervisor")
    survey_id = _create(sup, source="definition", definition=json.dumps(_LOGIC))
    wave_id = _open_wave(sup, survey_id)
    who = _api(sup, "POST", "/api/customers", {"name": "表单作答"})["id"]
    links = _api(sup, "POST", f"/api/waves/{wave_id}/invitations", {
        "customer_ids": [who], "channel": "link", "ignore_throttle": True,
    })  # fmt: skip
    path = "/s/" + links["invitations"][0]["url"].rsplit("/s/", 1)[1]
    saved = sup.post(f"{path}/progress", data={"q.SAT": "2", "q.WHY": "排队太久"})
    assert saved.status_code == 200 and "已保存。" in saved.text
    refused = sup.post(path, data={"q.SAT": "9", "q.WHY": "排队太久"})
    assert refused.status_code == 422 and 'id="answer-error"' in refused.text
    assert '<form method="post" action="' + path + '"' in refused.text
    assert 'value="2" checked' in refused.text and ">排队太久</textarea>" in refused.text
    done = sup.post(path, data={"q.SAT": "4"})
    assert done.status_code == 201 and "感谢您的反馈！" in done.text
    again = sup.post(path, data={"q.SAT": "4"})
    assert again.status_code == 409 and "该调查链接已作答" in again.text
    api = _api(sup, "GET", f"/api/waves/{wave_id}")
    assert api["completed"] == 1 and api["responses"] == 1


def test_reminders_close_and_paging(site: Site) -> None:
    sup = site.client("supervisor", lang="en")
    survey_id = _create(sup, source="template", template="csat")
    wave_id = _open_wave(sup, survey_id, reminder_days="1")
    people = [_api(sup, "POST", "/api/customers", {"name": f"P{i}"})["id"] for i in range(54)]
    mailed = _api(sup, "POST", "/api/customers", {
        "name": "Mailed", "identities": [{"kind": "email", "value": "mailed.pages@example.com"}],
    })  # fmt: skip
    _api(sup, "POST", f"/api/waves/{wave_id}/invitations", {
        "customer_ids": [mailed["id"]], "channel": "email", "ignore_throttle": True,
    })  # fmt: skip
    _api(sup, "POST", f"/api/waves/{wave_id}/invitations", {
        "customer_ids": people, "channel": "link", "ignore_throttle": True,
    })  # fmt: skip
    url = f"/waves/{wave_id}"
    first = sup.get(url).text
    assert first.count('<tr id="invitation-') == 50 and 'id="next-page"' in first
    # Each invitation names its customer, linked to the customer's page.
    assert f'<a href="/customers/{mailed["id"]}">Mailed</a>' in first
    second = sup.get(f"{url}?offset=50").text
    assert second.count('<tr id="invitation-') == 5 and 'id="prev-page"' in second
    site.clock.advance(days=2)
    r = post_form(sup, url, f"{url}/reminders", {})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=reminded&n=1"
    reminded = sup.get(r.headers["location"]).text
    assert "Reminders sent." in reminded
    assert re.search(r'<tr data-channel="email">(?:.*?<td class="num">){6}1</td>', reminded, re.S)
    r = post_form(sup, url, f"{url}/close", {})
    assert r.status_code == 303
    closed = sup.get(r.headers["location"]).text
    assert "Wave closed" in closed and 'id="invite-form"' not in closed
    again = sup.post(f"{url}/close", data={"csrf_token": csrf_of(closed)})
    assert again.status_code == 409
    for missing in ("/waves/9999999", "/surveys/9999999", "/surveys/9999999/preview"):
        r = sup.get(missing)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert sup.post(f"{url}/close", data={}).status_code == 403  # no CSRF token


def test_wave_quotas_typed_as_lines_are_shown_and_fill(site: Site) -> None:
    sup = site.client("supervisor")
    survey_id = _create(sup, source="template", template="csat")
    url = f"/surveys/{survey_id}"
    bad = post_form(sup, url, f"{url}/waves", {"wave_name": "q", "quotas": "channel link 1"})
    assert bad.status_code == 422
    assert "配额第 1 行“channel link 1”未按 细分 | 取值 | 上限 的格式填写。" in bad.text
    unknown = post_form(sup, url, f"{url}/waves", {"wave_name": "q", "quotas": "city | 北京 | 3"})
    assert unknown.status_code == 422
    assert "第 1 个配额：“city”不是细分依据；可选 customer_class, region, channel" in unknown.text
    for typed, said in (
        (
            {"quotas": "channel | link | 1\nchannel | link | 2"},
            "第 2 个配额：channel“link”已有配额。",
        ),
        ({"quotas": "channel | link | 0"}, "第 1 个配额：上限须为不小于 1 的整数，而不是 0。"),
        (
            {"expires_in_days": "7", "reminder_days": "9"},
            "提醒须在邀请发出至少 1 天后、链接失效（7 天）之前发送，而不是在 9 天后。",
        ),
    ):
        refused = post_form(sup, url, f"{url}/waves", {"wave_name": "q", **typed})
        assert refused.status_code == 422 and said in refused.text, (said, refused.text[-2000:])
    wave_id = _open_wave(sup, survey_id, quotas="channel | link | 1\n")
    people = [_api(sup, "POST", "/api/customers", {"name": f"Q{i}"})["id"] for i in range(3)]
    made = _api(sup, "POST", f"/api/waves/{wave_id}/invitations", {
        "customer_ids": people[:2], "channel": "link", "ignore_throttle": True,
    })  # fmt: skip
    token = made["invitations"][0]["url"].rsplit("/s/", 1)[1]
    assert sup.post(f"/s/{token}", json={"answers": {"CSAT": 4}}).status_code == 201
    wave_url = f"/waves/{wave_id}"
    page = sup.get(wave_url).text
    row = re.search(r'<tr data-segment="channel" data-value="link">(.*?)</tr>', page, re.S)
    assert row is not None and "链接" in row.group(1) and "已满" in row.group(1)
    ids = str(people[2])
    r = post_form(sup, wave_url, f"{wave_url}/invitations", {
        "customer_ids": ids, "channel": "link", "ignore_throttle": "1",
    })  # fmt: skip
    assert r.status_code == 201 and "客户所在细分的配额已满" in r.text


def test_return_visits_not_issued_are_outside_the_wave_counts(site: Site) -> None:
    """The seeded desk's return-visit wave: the orders of the mass incident and the
    consultations without a customer message are skipped, one complaint's visit was made
    by phone. Skipped ones are neither invited nor non-responses (as on the KPI board);
    the page counts them apart and lists them with "—" for the channel they never had,
    never gettext's catalogue header (the msgid "")."""
    sup = site.client("supervisor")
    (wave,) = [
        wave
        for survey in _api(sup, "GET", "/api/surveys")
        if survey["template"] == "return-visit"
        for wave in _api(sup, "GET", f"/api/surveys/{survey['id']}/waves")
    ]
    invitations = _api(sup, "GET", f"/api/waves/{wave['id']}/invitations")
    skipped = [i for i in invitations if i["status"] == "skipped"]
    called = [i for i in invitations if i["status"] == "completed"]
    assert skipped and len(called) == 1 and called[0]["channel"] == "phone"
    assert {i["channel"] for i in skipped} == {""}
    assert wave["invited"] == 1 and wave["completed"] == 1 and wave["response_rate"] == 1.0
    assert [c["channel"] for c in wave["channels"]] == ["phone"]
    for lang, word in (("zh_CN", "未发送"), ("en", "Skipped")):
        page = site.client("supervisor", lang=lang).get(f"/waves/{wave['id']}").text
        assert "Project-Id-Version" not in page and "Plural-Forms" not in page
        assert 'data-channel=""' not in page and 'id="total-invited">1<' in page
        assert f'<span data-status="skipped">{word} {len(skipped)}</span>' in page
        for i in skipped:
            row = re.search(rf'<tr id="invitation-{i["id"]}">(.*?)</tr>', page, re.S)
            assert row is not None and '<td>—</td><td class="address">—</td>' in row.group(1)


def test_responses_page_reads_each_answer_and_leads_to_its_recovery(site: Site) -> None:
    """A wave's responses one by one, newest first: the customer, the scores, the
    comment, every answer on demand; a detractor's row links the recovery order its
    answer opened, and the detractors can be read alone. Paged by 50."""
    sup = site.client("supervisor")
    survey_id = _create(sup, source="template", template="csat")
    wave_id = _open_wave(sup, survey_id)
    people = [_api(sup, "POST", "/api/customers", {"name": f"答卷人{i}"})["id"] for i in range(52)]
    links = _api(sup, "POST", f"/api/waves/{wave_id}/invitations", {
        "customer_ids": people, "channel": "link", "ignore_throttle": True,
    })["invitations"]  # fmt: skip
    tokens = {i["customer_id"]: i["url"].rsplit("/s/", 1)[1] for i in links}
    for who in people[2:]:
        assert sup.post(f"/s/{tokens[who]}", json={"answers": {"CSAT": 4}}).status_code == 201
    unhappy = {"CSAT": 1, "COMMENT": "等了三天没人回电话"}
    assert sup.post(f"/s/{tokens[people[0]]}", json={"answers": unhappy}).status_code == 201
    assert (
        sup.post(f"/s/{tokens[people[1]]}/progress", json={"answers": {"CSAT": 5}}).status_code
        == 200
    )

    url = f"/waves/{wave_id}/responses"
    assert f'href="{url}"' in sup.get(f"/waves/{wave_id}").text
    first = sup.get(url).text
    rows = re.findall(r'<tr id="response-(\d+)">(.*?)</tr>', first, flags=re.S)
    assert len(rows) == 50 and 'id="next-page"' in first  # 51 completed; the partial is not one
    newest = rows[0][1]
    assert f'<a href="/customers/{people[0]}">答卷人0</a>' in newest
    assert '<td class="num bad">1</td>' in newest and "<p>等了三天没人回电话</p>" in newest
    assert "COMMENT · " in newest  # every answer, under its question
    recovery = re.search(r'<a href="/orders/(\d+)" class="recovery-link">', newest)
    assert recovery is not None
    order = _api(sup, "GET", f"/api/work-orders/{recovery.group(1)}")
    assert order["customer_id"] == people[0] and order["type"] == "complaint"
    second = sup.get(f"{url}?offset=50").text
    assert second.count('<tr id="response-') == 1 and 'id="prev-page"' in second

    only = sup.get(f"{url}?detractors=1").text
    assert re.findall(r'<tr id="response-(\d+)">', only) == [rows[0][0]]
    en = site.client("analyst", lang="en").get(f"{url}?detractors=1").text
    assert "Detractors only (CSAT ≤ 2 or NPS ≤ 6)" in en and "等了三天没人回电话" in en
    assert site.client("agent").get(url).status_code == 403
    assert sup.get("/waves/9999999/responses").status_code == 404


def test_an_answer_is_read_by_its_option_wording() -> None:
    definition = parse_definition({
        "title": {"zh-CN": "原因", "en": "Reasons"},
        "questions": [{
            "id": "WHY", "type": "multi", "text": {"zh-CN": "原因？", "en": "Why?"},
            "options": [
                {"value": "price", "label": {"zh-CN": "价格", "en": "Price"}},
                {"value": "staff", "label": {"zh-CN": "员工", "en": "Staff"}},
            ],
        }],
    })  # fmt: skip
    why = definition.questions[0]
    assert answer_text(why, ["price", "staff"], "zh-CN") == "价格, 员工"
    assert answer_text(why, ["staff"], "en") == "Staff"
    assert answer_text(why, ["gone"], "en") == "gone"  # an option no longer defined
    assert answer_text(why, [], "en") == ""


def test_the_return_visit_survey_is_renamed_on_its_page_but_keeps_its_questions(
    site: Site,
) -> None:
    c = site.client("supervisor")
    surveys = _api(c, "GET", "/api/surveys")
    (visit,) = [
        s for s in surveys if s["template"] == "return-visit" and s["name"] == "回访 Return visit"
    ]
    page = c.get(f"/surveys/{visit['id']}").text
    assert not re.search(r'id="e-name" name="edit_name"[^>]*readonly', page)
    assert 'id="e-definition"' not in page  # a template's questions are not edited here
    r = post_form(c, f"/surveys/{visit['id']}", f"/surveys/{visit['id']}/edit", {
        "version": str(visit["version"]), "edit_name": "供电服务回访",
    })  # fmt: skip
    assert r.status_code == 303, r.text
    assert "供电服务回访" in c.get(f"/surveys/{visit['id']}").text
    changed = _api(c, "GET", f"/api/surveys/{visit['id']}")
    bad = c.put(
        f"/api/surveys/{visit['id']}",
        json={"definition": _LOGIC, "version": changed["version"]},
        headers={"X-CSRF-Token": csrf_of(page)},
    )
    assert bad.status_code == 400 and "keeps its questions" in bad.text
