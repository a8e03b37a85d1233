"""The forms that close the desk's gaps: transfer/assign on the work-order page,
the incident board, the opening contact of a call, and customer edits on the 360."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.support import Site, csrf_of, post_form
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.models import (
    AuditEntry,
    Contact,
    Customer,
    CustomerIdentity,
    Incident,
    User,
    WorkOrder,
    WorkOrderEvent,
)


def _db(site: Site, query: Any) -> list[Any]:
    engine = make_engine(site.url)
    try:
        with make_session_factory(engine)() as s:
            return list(s.scalars(query))
    finally:
        engine.dispose()


def _user_id(site: Site, username: str) -> int:
    return int(_db(site, select(User.id).where(User.username == username))[0])


def _order(site: Site, order_id: int) -> WorkOrder:
    return _db(site, select(WorkOrder).where(WorkOrder.id == order_id))[0]  # type: ignore[no-any-return]


def _version(html: str) -> str:
    m = re.search(r'name="version" value="(\d+)"', html)
    assert m is not None
    return m.group(1)


def _open_order(site: Site, customer_id: int = 2, summary: str = "") -> int:
    c = site.client("agent")
    data = {
        "customer_id": str(customer_id),
        "type": "repair",
        "channel": "hotline",
        "priority": "normal",
        "subject": "表计故障 gap test",
        "team_id": "1",
        "take": "1",
    }
    if summary:
        data["summary"] = summary
    r = post_form(c, f"/call?customer_id={customer_id}", "/call/order", data)
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/orders/(\d+)\?done=opened", r.headers["location"])
    assert m is not None
    return int(m.group(1))


# ---------------------------------------------------------------- 1. transfer / assign


@pytest.mark.parametrize(
    ("lang", "title", "owner_note"),
    [("en", "Transfer or assign", "stays accountable"), ("zh_CN", "转派 / 指派", "首问负责制")],
)
def test_order_page_offers_the_transfer_form_in_both_languages(
    site: Site, lang: str, title: str, owner_note: str
) -> None:
    oid = _open_order(site)
    page = unescape(site.client("agent", lang).get(f"/orders/{oid}").text)
    assert 'id="assign-form"' in page and title in page and owner_note in page
    assert 'id="assign-owner">Agent<' in page
    tiers = re.search(r'<select id="a-tier" name="tier">(.*?)</select>', page, re.S)
    assert tiers is not None
    assert re.findall(r'value="([^"]+)"', tiers.group(1)) == ["L1", "L2", "expert"]


def test_transfer_keeps_the_first_contact_owner_and_moves_up_a_tier(site: Site) -> None:
    oid = _open_order(site)
    agent, agent2 = _user_id(site, "agent"), _user_id(site, "agent2")
    c = site.client("agent", "en")
    page = c.get(f"/orders/{oid}").text
    r = post_form(
        c,
        f"/orders/{oid}",
        f"/orders/{oid}/assign",
        {"assignee_id": str(agent2), "team_id": "2", "tier": "L2", "version": _version(page)},
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/orders/{oid}?done=assigned"
    order = _order(site, oid)
    assert (order.owner_id, order.assignee_id, order.team_id, order.tier) == (
        agent,
        agent2,
        2,
        "L2",
    )
    shown = c.get(r.headers["location"]).text
    assert "Order transferred." in shown and "L2 support" in shown
    assert 'id="assign-owner">Agent<' in shown
    # tier up again, keeping the assignee (the supervisor sees every queue)
    sup = site.client("supervisor", "en")
    page = sup.get(f"/orders/{oid}").text
    tiers = re.search(r'<select id="a-tier" name="tier">(.*?)</select>', page, re.S)
    assert tiers is not None and 'value="L1"' not in tiers.group(1)
    r = post_form(
        sup,
        f"/orders/{oid}",
        f"/orders/{oid}/assign",
        {"tier": "expert", "version": _version(page)},
    )
    assert r.status_code == 303, r.text
    order = _order(site, oid)
    assert (order.owner_id, order.assignee_id, order.tier) == (agent, agent2, "expert")


def test_a_transfer_down_a_tier_is_refused_with_both_tiers_named(site: Site) -> None:
    oid = _open_order(site)
    c = site.client("agent", "en")
    page = c.get(f"/orders/{oid}").text
    r = post_form(
        c, f"/orders/{oid}", f"/orders/{oid}/assign", {"tier": "L2", "version": _version(page)}
    )
    assert r.status_code == 303, r.text
    before = _order(site, oid)
    page = c.get(f"/orders/{oid}").text
    # the form offers only the current tier and those above; a forged L1 is refused
    r = post_form(
        c, f"/orders/{oid}", f"/orders/{oid}/assign", {"tier": "L1", "version": _version(page)}
    )
    assert r.status_code == 400
    text = unescape(r.text)
    assert "Please correct the form." in text
    # both tiers by their labels, not the developer's 'L2' / 'L1'
    assert "The order is at “L2 support” and cannot move down to “L1 front line”" in text
    after = _order(site, oid)
    assert (after.tier, after.assignee_id, after.version) == (
        "L2",
        before.assignee_id,
        before.version,
    )


def test_a_stale_transfer_gets_the_409_page_and_changes_nothing(site: Site) -> None:
    oid = _open_order(site)
    agent2 = _user_id(site, "agent2")
    c = site.client("agent", "en")
    page = c.get(f"/orders/{oid}").text
    token, version = csrf_of(page), _version(page)
    r = c.post(
        f"/orders/{oid}/status",
        data={"csrf_token": token, "to": "in_progress", "version": version},
    )
    assert r.status_code == 303
    before = _order(site, oid)
    stale = c.post(
        f"/orders/{oid}/assign",
        data={"csrf_token": token, "assignee_id": str(agent2), "tier": "L2", "version": version},
    )
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text
    after = _order(site, oid)
    assert (after.assignee_id, after.tier, after.version) == (
        before.assignee_id,
        before.tier,
        before.version,
    )


def test_transfer_needs_a_worker_role_and_the_csrf_token(site: Site) -> None:
    oid = _open_order(site)
    agent2 = _user_id(site, "agent2")
    analyst = site.client("analyst", "en")
    page = analyst.get(f"/orders/{oid}").text
    assert 'id="assign-form"' not in page
    r = analyst.post(
        f"/orders/{oid}/assign",
        data={"csrf_token": csrf_of(page), "assignee_id": str(agent2), "version": "1"},
    )
    assert r.status_code == 403
    c = site.client("agent", "en")
    r = c.post(f"/orders/{oid}/assign", data={"assignee_id": str(agent2), "version": "1"})
    assert r.status_code == 403 and "security token" in r.text
    assert _order(site, oid).assignee_id == _user_id(site, "agent")
    bad = post_form(
        c, f"/orders/{oid}", f"/orders/{oid}/assign", {"assignee_id": "999999", "version": "1"}
    )
    assert bad.status_code == 400 and "Please correct the form." in bad.text


# ---------------------------------------------------------------- 2. incidents


@pytest.mark.parametrize(
    ("lang", "heading", "form"),
    [("en", "Incidents", "Open an incident"), ("zh_CN", "突发事件", "登记突发事件")],
)
def test_incident_page_renders_for_supervisors_in_both_languages(
    site: Site, lang: str, heading: str, form: str
) -> None:
    c = site.client("supervisor", lang)
    page = unescape(c.get("/incidents").text)
    assert heading in page and form in page
    assert "新华路片区停电" in page  # the demo's resolved outage, with its linked orders
    assert 'id="nav-incidents"' in page
    assert 'id="nav-incidents"' not in site.client("agent", lang).get("/queue").text


@pytest.mark.parametrize("who", ["agent", "analyst"])
def test_incident_page_is_for_supervisors_and_admins_only(site: Site, who: str) -> None:
    c = site.client(who, "en")
    assert c.get("/incidents").status_code == 403
    token = csrf_of(c.get("/customers").text)
    r = c.post("/incidents", data={"csrf_token": token, "title": "x", "announcement": "y"})
    assert r.status_code == 403
    assert _db(site, select(Incident.id).where(Incident.title == "x")) == []


def test_an_announcement_too_long_is_said_in_the_page_language(site: Site) -> None:
    zh = site.client("supervisor")
    long = "停" * 2001
    r = post_form(zh, "/incidents", "/incidents", {"title": "长", "announcement": long})
    assert r.status_code == 400 and "播报：2001 个字符，最多 2000 个。" in r.text, r.text[-2000:]
    assert _db(site, select(Incident.id).where(Incident.title == "长")) == []


def test_open_link_and_resolve_an_incident(site: Site) -> None:
    a, b = _open_order(site, 2), _open_order(site, 3)
    c = site.client("admin", "en")
    assert c.post("/incidents", data={"title": "t", "announcement": "a"}).status_code == 403
    r = post_form(
        c,
        "/incidents",
        "/incidents",
        {"title": "东区停电 East outage", "area": "East", "announcement": "东区停电，预计18点恢复"},
    )
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"]).text
    assert "Incident opened." in page and "东区停电，预计18点恢复" in page
    inc = _db(site, select(Incident).where(Incident.title == "东区停电 East outage"))[0]
    # agents read the announcement when they take a call
    assert "东区停电，预计18点恢复" in site.client("agent", "en").get("/call").text
    r = post_form(c, "/incidents", f"/incidents/{inc.id}/link", {"work_order_ids": f"{a}, #{b}"})
    assert r.status_code == 303, r.text
    assert {_order(site, a).incident_id, _order(site, b).incident_id} == {inc.id}
    page = c.get(r.headers["location"]).text
    assert f'href="/orders/{a}"' in page and "Orders linked" in page
    bad = post_form(c, "/incidents", f"/incidents/{inc.id}/link", {"work_order_ids": "12x"})
    assert bad.status_code == 400 and "12x" in bad.text
    stale = post_form(
        c,
        "/incidents",
        f"/incidents/{inc.id}/resolve",
        {"note": "已恢复", "version": str(inc.version - 1)},
    )
    assert stale.status_code == 409 and "Someone else changed this record" in stale.text
    assert _order(site, a).status != "resolved"
    r = post_form(
        c,
        "/incidents",
        f"/incidents/{inc.id}/resolve",
        {"note": "东区已恢复供电", "version": str(inc.version)},
    )
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"]).text
    assert "Incident resolved" in page and f'id="link-form-{inc.id}"' not in page
    for oid in (a, b):
        assert _order(site, oid).status == "resolved"
        notices = _db(
            site,
            select(WorkOrderEvent.body).where(
                WorkOrderEvent.work_order_id == oid, WorkOrderEvent.tag == "incident_notice"
            ),
        )
        assert notices == ["东区已恢复供电"]


# ---------------------------------------------------------------- 3. the opening contact


@pytest.mark.parametrize(("lang", "outcome"), [("en", "Order opened"), ("zh_CN", "已建工单")])
def test_taking_a_call_that_opens_an_order_records_the_contact(
    site: Site, lang: str, outcome: str
) -> None:
    summary = f"来电报修表计 {lang}"
    oid = _open_order(site, 4, summary=summary)
    contacts = _db(site, select(Contact).where(Contact.work_order_id == oid))
    assert len(contacts) == 1
    ct = contacts[0]
    assert (ct.customer_id, ct.agent_id, ct.outcome, ct.channel, ct.summary) == (
        4,
        _user_id(site, "agent"),
        "order_opened",
        "hotline",
        summary,
    )
    page = unescape(site.client("agent", lang).get("/customers/4").text)
    card = re.search(r'id="contact-card">(.*?)</table>', page, re.S)
    assert card is not None
    row = re.search(rf"<tr>(?:(?!</tr>).)*{summary}(?:(?!</tr>).)*</tr>", card.group(1), re.S)
    assert row is not None and outcome in row.group(0) and f'href="/orders/{oid}"' in row.group(0)
    # first-contact resolution counts customer_message events: the opening adds none
    events = _db(site, select(WorkOrderEvent.type).where(WorkOrderEvent.work_order_id == oid))
    assert "customer_message" not in events
    audits = _db(
        site,
        select(AuditEntry).where(
            AuditEntry.action == "work_order.open", AuditEntry.entity_id == str(oid)
        ),
    )
    assert len(audits) == 1 and audits[0].after["opening_contact"]["id"] == ct.id


# ---------------------------------------------------------------- 4. customer edits


@pytest.mark.parametrize(
    ("lang", "edit", "add"),
    [("en", "Edit customer", "Add an identity"), ("zh_CN", "编辑客户资料", "添加身份标识")],
)
def test_customer_forms_show_for_workers_not_analysts(
    site: Site, lang: str, edit: str, add: str
) -> None:
    page = unescape(site.client("agent", lang).get("/customers/5").text)
    assert edit in page and add in page
    assert 'id="customer-form"' in page and 'id="identity-form"' in page
    analyst = site.client("analyst", lang).get("/customers/5").text
    assert 'id="customer-form"' not in analyst and 'id="identity-form"' not in analyst


def test_analysts_cannot_post_customer_edits(site: Site) -> None:
    c = site.client("analyst", "en")
    token = csrf_of(c.get("/customers/5").text)
    for action, data in (
        ("/customers/5/identities", {"kind": "email", "value": "spy@example.com"}),
        ("/customers/5/edit", {"name": "Renamed", "customer_class": "vip", "version": "1"}),
    ):
        r = c.post(action, data={"csrf_token": token, **data})
        assert r.status_code == 403
    assert (
        _db(site, select(CustomerIdentity).where(CustomerIdentity.value == "spy@example.com")) == []
    )
    r = site.client("agent", "en").post(
        "/customers/5/identities", data={"kind": "email", "value": "nocsrf@example.com"}
    )
    assert r.status_code == 403


def test_add_an_identity_then_find_the_caller_by_it(site: Site) -> None:
    c = site.client("agent", "en")
    r = post_form(
        c,
        "/customers/6",
        "/customers/6/identities",
        {"kind": "email", "value": "Li.Na@Example.com"},
    )
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"]).text
    assert "Identity added." in page and "Li.Na@Example.com" in page
    assert "/call?customer_id=6" in c.get("/call", params={"q": "li.na@example.com"}).text
    again = post_form(
        c,
        "/customers/6",
        "/customers/6/identities",
        {"kind": "email", "value": "li.na@example.com"},
    )
    assert again.status_code == 400 and "already an identity" in again.text
    bad = post_form(c, "/customers/6", "/customers/6/identities", {"kind": "fax", "value": "1"})
    assert bad.status_code == 400 and "Please correct the form." in bad.text


def test_edit_class_name_and_guest_history_with_a_409_on_a_stale_form(site: Site) -> None:
    c = site.client("agent", "zh_CN")
    page = c.get("/customers/7").text
    token, version = csrf_of(page), _version(page)
    r = c.post(
        "/customers/7/edit",
        data={
            "csrf_token": token,
            "version": version,
            "name": "刘洋 Liu Yang",
            "customer_class": "key_account",
            "preferences": "房间: 高楼层\npillow=buckwheat\n\n渠道：微信",
        },
    )
    assert r.status_code == 303, r.text
    shown = unescape(c.get(r.headers["location"]).text)
    assert "客户资料已保存。" in shown and "刘洋 Liu Yang" in shown and "重点客户" in shown
    stored = _db(site, select(Customer).where(Customer.id == 7))[0]
    assert stored.customer_class == "key_account"
    assert stored.preferences == {"房间": "高楼层", "pillow": "buckwheat", "渠道": "微信"}
    stale = c.post(
        "/customers/7/edit",
        data={
            "csrf_token": token,
            "version": version,
            "name": "Lost edit",
            "customer_class": "normal",
            "preferences": "",
        },
    )
    assert stale.status_code == 409
    text = unescape(stale.text)
    assert "此记录已被他人修改" in text
    assert 'value="Lost edit"' in text  # the agent's input is kept in the form, not saved
    assert _db(site, select(Customer.name).where(Customer.id == 7)) == ["刘洋 Liu Yang"]
    bad = post_form(
        c,
        "/customers/7",
        "/customers/7/edit",
        {
            "version": _version(shown),
            "name": "刘洋",
            "customer_class": "normal",
            "preferences": "no",
        },
    )
    assert bad.status_code == 400 and "第 1 行“no”应写成“名称: 值”" in unescape(bad.text)
