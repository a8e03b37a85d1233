"""The administrator's user pages: make a user who can then log in, change role, name,
e-mail, activity and password (a stale form gets 409), end a login lock early; refusals
in the page's language, with the typed text kept and never the password."""

from __future__ import annotations

import re

from tests.web.support import Site, csrf_of, post_form


def _log_in(site: Site, username: str, password: str) -> int:
    c = site.client()
    page = c.get("/login")
    form = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    status: int = c.post("/login", data=form).status_code
    return status


def _new_user(site: Site, **fields: str) -> int:
    admin = site.client("admin")
    form = {"role": "agent", "display_name": "", "email": "", **fields}
    r = post_form(admin, "/admin/users", "/admin/users", form)
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/admin/users/(\d+)\?done=created", r.headers["location"])
    assert found is not None
    return int(found.group(1))


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def test_only_administrators_manage_users(site: Site) -> None:
    admin = site.client("admin").get("/admin/users")
    assert admin.status_code == 200 and 'id="nav-users"' in admin.text
    assert "Supervisor" in admin.text and "95598 hotline L1" in admin.text  # names and teams
    for who in ("supervisor", "agent", "analyst"):
        c = site.client(who)
        assert 'id="nav-users"' not in c.get("/queue").text
        assert c.get("/admin/users").status_code == 403
        assert c.get("/admin/users/1").status_code == 403
    assert site.client("admin").get("/admin/users/9999999").status_code == 404


def test_a_new_user_logs_in_and_refusals_keep_the_form_but_not_the_password(site: Site) -> None:
    uid = _new_user(site, username="wang.fang", password="s3cret-pass", display_name="王芳")  # noqa: S106
    page = site.client("admin").get(f"/admin/users/{uid}?done=created").text
    assert "用户已创建。" in page and "王芳" in page
    assert _log_in(site, "wang.fang", "s3cret-pass") == 303
    admin = site.client("admin")
    short = {"username": "li.na", "password": "short", "role": "analyst", "display_name": "李娜"}
    r = post_form(admin, "/admin/users", "/admin/users", short)
    assert r.status_code == 400 and "密码须为 8 至 200 个字符。" in r.text
    assert 'value="li.na"' in r.text and 'value="李娜"' in r.text and "short" not in r.text
    assert '<option value="analyst" selected>' in r.text
    taken = {**short, "username": "wang.fang", "password": "long-enough"}
    r = post_form(admin, "/admin/users", "/admin/users", taken)
    assert r.status_code == 409 and "用户名“wang.fang”已被使用。" in r.text
    assert _log_in(site, "li.na", "short") == 401  # nothing was made


def test_editing_a_user_checks_its_version_and_signs_it_out(site: Site) -> None:
    uid = _new_user(site, username="zhao.min", password="first-pass", email="z@desk.example")  # noqa: S106
    admin = site.client("admin")
    url = f"/admin/users/{uid}"
    page = admin.get(url).text
    form = {
        "version": _version(page), "display_name": "赵敏", "email": "", "role": "supervisor",
        "active": "1", "password": "second-pass",
    }  # fmt: skip
    r = admin.post(url, data={"csrf_token": csrf_of(page), **form})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=saved"
    row = re.search(rf'<tr id="user-{uid}">(.*?)</tr>', admin.get("/admin/users").text, re.S)
    assert row is not None and "赵敏" in row.group(1) and "班长" in row.group(1)
    assert "z@desk.example" not in row.group(1)  # a blank e-mail removes it
    assert _log_in(site, "zhao.min", "first-pass") == 401
    assert _log_in(site, "zhao.min", "second-pass") == 303

    stale = admin.post(url, data={"csrf_token": csrf_of(page), **form, "display_name": "旧名"})
    assert stale.status_code == 409 and 'value="旧名"' in stale.text
    fresh = admin.get(url).text
    off = {**form, "version": _version(fresh), "password": ""}
    del off["active"]  # the box left unticked
    assert admin.post(url, data={"csrf_token": csrf_of(fresh), **off}).status_code == 303
    assert "已停用" in admin.get(url).text
    assert _log_in(site, "zhao.min", "second-pass") == 401


def test_an_administrator_ends_a_login_lock(site: Site) -> None:
    uid = _new_user(site, username="locked.out", password="right-pass")  # noqa: S106
    for _ in range(10):
        assert _log_in(site, "locked.out", "wrong-pass") == 401
    assert _log_in(site, "locked.out", "right-pass") == 429
    admin = site.client("admin")
    url = f"/admin/users/{uid}"
    page = admin.get(url).text
    assert 'id="unlock-form"' in page and "连续登录失败 10 次" in page
    r = post_form(admin, url, f"{url}/unlock", {})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=unlocked"
    after = admin.get(r.headers["location"]).text
    assert "用户已解锁" in after and 'id="unlock-form"' not in after and "未锁定" in after
    assert _log_in(site, "locked.out", "right-pass") == 303


def _team_card(html: str, name: str) -> str:
    found = re.search(r'<div class="card" id="team-(\d+)">\s*<h2>' + re.escape(name), html)
    assert found is not None, name
    card = re.search(rf'<div class="card" id="team-{found.group(1)}">(.*?)</form>', html, re.S)
    assert card is not None
    return card.group(0)


def _ticked(card: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="member_ids" value="(\d+)" checked', card)]


def test_teams_are_made_and_their_members_set_with_a_version_check(site: Site) -> None:
    admin = site.client("admin")
    uid = _new_user(site, username="team.member", password="member-pass")  # noqa: S106
    form = {"name": "抢修二班", "tier": "L2", "supervisor_id": "2", "member_ids": ["3", str(uid)]}
    r = post_form(admin, "/admin/teams", "/admin/teams", form)
    assert r.status_code == 303 and r.headers["location"] == "/admin/teams?done=created"
    page = admin.get(r.headers["location"]).text
    assert "班组已创建。" in page
    card = _team_card(page, "抢修二班")
    assert _ticked(card) == [3, uid] and "二线技术支持" in card and "Supervisor" in card
    again = post_form(admin, "/admin/teams", "/admin/teams", form)
    assert again.status_code == 409 and "已有名为“抢修二班”的班组。" in again.text
    bad = post_form(
        admin, "/admin/teams", "/admin/teams", {**form, "name": "x", "member_ids": "3x"}
    )
    assert bad.status_code == 400 and "“3x”不是整数" in bad.text

    team_id = re.search(r'id="team-(\d+)"', card)
    assert team_id is not None
    action = f"/admin/teams/{team_id.group(1)}/members"
    version = re.search(r'name="version" value="(\d+)"', card)
    assert version is not None
    token = csrf_of(page)
    r = admin.post(action, data={"csrf_token": token, "version": version.group(1),
                                 "member_ids": [str(uid)]})  # fmt: skip
    assert r.status_code == 303
    after = admin.get(r.headers["location"]).text
    assert _ticked(_team_card(after, "抢修二班")) == [uid] and "班组成员已保存。" in after
    users = admin.get("/admin/users").text
    row = re.search(rf'<tr id="user-{uid}">(.*?)</tr>', users, re.S)
    assert row is not None and "抢修二班" in row.group(1)
    stale = admin.post(action, data={"csrf_token": token, "version": version.group(1)})
    assert stale.status_code == 409
    assert _ticked(_team_card(admin.get("/admin/teams").text, "抢修二班")) == [uid]
    assert site.client("supervisor").get("/admin/teams").status_code == 403


def test_webhooks_are_added_and_removed_without_showing_their_secret(site: Site) -> None:
    admin = site.client("admin")
    form = {
        "url": "https://crm.example.com/hooks",
        "events": ["work_order.opened", "work_order.resolved"],
        "secret": "s3cret-signing-key",
    }
    r = post_form(admin, "/admin/webhooks", "/admin/webhooks", form)
    assert r.status_code == 303 and r.headers["location"] == "/admin/webhooks?done=created"
    page = admin.get(r.headers["location"]).text
    assert "订阅已添加" in page and "s3cret-signing-key" not in page
    row = re.search(r'<tr id="webhook-(\d+)">(.*?)</tr>', page, re.S)
    assert row is not None and "https://crm.example.com/hooks" in row.group(2)
    assert "<code>work_order.opened</code> <code>work_order.resolved</code>" in row.group(2)
    bad = post_form(admin, "/admin/webhooks", "/admin/webhooks", {**form, "url": "ftp://x"})
    assert bad.status_code == 400 and "“ftp://x”不是 http(s) 地址。" in bad.text
    ticked = re.findall(r'name="events" value="([\w.*]+)" checked', bad.text)
    assert ticked == ["work_order.opened", "work_order.resolved"]  # the ticked boxes kept
    assert "<code>work_order.resolved</code> 工单已解决" in bad.text  # labelled in Chinese
    none = post_form(admin, "/admin/webhooks", "/admin/webhooks", {**form, "events": []})
    assert none.status_code == 400 and "请至少选择一个事件" in none.text
    hook = row.group(1)
    r = post_form(admin, "/admin/webhooks", f"/admin/webhooks/{hook}/delete", {})
    assert r.status_code == 303 and f'id="webhook-{hook}"' not in admin.get("/admin/webhooks").text
    assert site.client("supervisor").get("/admin/webhooks").status_code == 403
