"""The call screen and the customers page find the demo's callers by fragments of their
phone number, account or e-mail, best match first, masked for analysts as before."""

from __future__ import annotations

import re
from html import unescape

from tests.web.support import Site, csrf_of, post_form

_PICKED = re.compile(r'class="pick-customer">([^<]+)</a>')


def _call_results(site: Site, q: str) -> list[str]:
    r = site.client("agent", "en").get("/call", params={"q": q}, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    return _PICKED.findall(unescape(r.text))


def test_the_call_screen_finds_a_caller_by_fragments(site: Site) -> None:
    assert _call_results(site, "0013-8002") == ["王芳"]
    assert _call_results(site, "138 0013 8002") == ["王芳"]
    assert _call_results(site, "00002") == ["王芳"]  # the account 3100000002
    assert _call_results(site, "fang@exa") == ["王芳"]
    assert _call_results(site, "13800138002") == ["王芳"]
    assert _call_results(site, "800138")[:2] == ["张伟", "王芳"]  # fragments, by id


def test_the_customers_page_masks_fragment_results_for_analysts(site: Site) -> None:
    page = site.client("analyst", "en").get("/customers", params={"q": "0013-8002"})
    assert page.status_code == 200
    text = unescape(page.text)
    assert "王芳" in text
    assert "138******02" in text and "13800138002" not in text


def test_a_new_caller_with_a_known_number_is_shown_who_has_it(site: Site) -> None:
    """Creating a customer on the call screen with a number the desk knows is refused,
    naming its customers and listing them as a search would, with what was typed kept;
    ticked "another person with this number", it is created (shared numbers exist)."""
    agent = site.client("agent")
    typed = {"name": "张伟新", "phone": "138 0013 8001"}
    refused = post_form(agent, "/call", "/call/customer", typed)
    assert refused.status_code == 400
    text = unescape(refused.text)
    assert "138 0013 8001 已属于 张伟 (#1)" in text and "同号的另一位客户" in text
    assert 'class="pick-customer">张伟</a>' in text
    assert 'value="张伟新"' in text and 'id="new-customer" open' in text
    shared = agent.post(
        "/call/customer", data={"csrf_token": csrf_of(refused.text), **typed, "shared": "1"}
    )
    assert shared.status_code == 303 and "done=customer" in shared.headers["location"]
    # The API still takes a shared number without asking (a family, a switchboard).
    en = site.client("agent", "en")
    token = csrf_of(en.get("/call").text)
    body = {"name": "Zhang Wei Jr", "identities": [{"kind": "phone", "value": "13800138001"}]}
    made = en.post("/api/customers", json=body, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text


def test_a_refused_order_on_the_call_screen_keeps_what_the_agent_typed(site: Site) -> None:
    """An agent on a live call types the caller's story; a refusal (here a subject of
    blanks) brings the form back with every choice and text as typed, not empty."""
    agent = site.client("agent")
    typed = {
        "form": "order",
        "customer_id": "2",
        "type": "complaint",
        "channel": "app",
        "priority": "urgent",
        "subject": "   ",
        "description": "电表读数与实际不符，已连续两个月",
        "summary": "客户很着急",
        "hostile": "1",
    }
    page = "/call?customer_id=2"
    refused = post_form(agent, page, "/call/order", typed)
    assert refused.status_code == 400
    html = unescape(refused.text)
    form = html[html.index('id="open-order-form"') : html.index('id="log-contact-form"')]
    assert '<option value="complaint" selected>' in form
    assert '<option value="app" selected>' in form and 'value="urgent" selected' in form
    assert ">电表读数与实际不符，已连续两个月</textarea>" in form and 'value="客户很着急"' in form
    assert 'name="hostile" value="1" checked' in form
    assert 'name="take" value="1" checked' not in form  # unticked, as sent
    contact = html[html.index('id="log-contact-form"') :]
    assert "客户很着急" not in contact  # the other form stays as it was
