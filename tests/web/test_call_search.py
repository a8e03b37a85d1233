"""The call screen and the customers page find the demo's callers by fragments of their
phone number, account or e-mail, best match first, masked for analysts as before."""

from __future__ import annotations

import re
from html import unescape

from tests.web.support import Site

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
