"""The import page: a supervisor imports customers and transactions from CSV or XLSX
files, all rows or none; a refused file lists its bad cells in the page's language and
nothing of it is written; the columns are explained and an empty file can be downloaded."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from openpyxl import Workbook

from tests.web.support import Site, csrf_of, post_form


def _send(
    site: Site, who: str, kind: str, name: str, content: bytes, lang: str = "zh_CN", **form: str
) -> Any:
    c = site.client(who, lang)
    page = c.get("/imports")
    assert page.status_code == 200, page.text
    files = {"file": (name, content, "text/csv")}
    return c.post(f"/imports/{kind}", data={"csrf_token": csrf_of(page.text), **form}, files=files)


def _audited(site: Site, action: str) -> list[dict[str, Any]]:
    c = site.client()
    token = c.post(
        "/api/auth/token", data={"username": "admin", "password": "admin-demo-1"}
    ).json()["access_token"]
    rows: list[dict[str, Any]] = c.get(
        "/api/audit", params={"action": action}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    return rows


def _found(site: Site, name: str) -> bool:
    """Whether the customer search lists a customer of this name."""
    page = site.client("supervisor").get("/customers", params={"q": name}).text
    return f">{name}</a>" in page


def test_supervisors_import_and_others_may_not(site: Site) -> None:
    sup = site.client("supervisor")
    page = sup.get("/imports")
    assert page.status_code == 200
    assert (
        'id="import-form-customers"' in page.text and 'id="import-form-transactions"' in page.text
    )
    assert "客户名称。必填。" in page.text  # the columns explained in Chinese
    assert "<code>key_account</code>" in page.text and "<code>fee_application</code>" in page.text
    assert 'id="imports-link"' in sup.get("/customers").text
    for who in ("agent", "analyst"):
        c = site.client(who)
        assert c.get("/imports").status_code == 403
        assert 'id="imports-link"' not in c.get("/customers").text
    agent = site.client("agent")
    form = {"csrf_token": csrf_of(agent.get("/queue").text)}
    r = agent.post("/imports/customers", data=form, files={"file": ("c.csv", b"name\nX\n")})
    assert r.status_code == 403
    assert sup.get("/imports/suppliers/template.csv").status_code == 404


def test_the_empty_file_has_the_columns_and_excel_reads_it_as_utf8(site: Site) -> None:
    r = site.client("supervisor").get("/imports/customers/template.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert (
        r.content
        == (
            "\ufeffname,kind,customer_class,organisation,phone,email,account,social,notes\r\n"
        ).encode()
    )
    assert 'filename="customers.csv"' in r.headers["content-disposition"]


def test_customers_are_imported_and_audited(site: Site) -> None:
    before = len(_audited(site, "customer.import"))
    content = "name,customer_class,phone,account\n欧阳锋,vip,13911112222,9000000001\n黄药师,,,\n"
    r = _send(site, "supervisor", "customers", "客户.csv", content.encode())
    assert r.status_code == 303 and r.headers["location"] == "/imports?done=customers&rows=2"
    done = site.client("supervisor").get(r.headers["location"]).text
    assert "已导入客户：2 位。" in done
    assert _found(site, "欧阳锋")
    assert _found(site, "黄药师")
    audited = _audited(site, "customer.import")
    assert len(audited) == before + 1
    assert audited[0]["after"]["file"] == "客户.csv" and audited[0]["after"]["rows"] == 2


def test_a_bad_file_lists_each_bad_cell_in_chinese_and_imports_nothing(site: Site) -> None:
    content = (
        "name,customer_class,phone,colour\n"
        "周伯通,vip,13900001111,\n"
        ",gold,abc,\n"
    ).encode()  # fmt: skip
    r = _send(site, "supervisor", "customers", "bad.csv", content, encoding="utf-8")
    assert r.status_code == 400
    assert "未导入任何数据：文件有 4 个问题，见下表。" in r.text
    assert "bad.csv 中的问题 · 客户" in r.text
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td>(?:<code>(\w*)</code>)?</td><td>([^<]*)</td>'
        r'<td class="error-text">([^<]*)</td></tr>',
        r.text,
    )
    assert rows == [
        ("1", "colour", "colour", "未知的列；可用的列为：name, kind, customer_class, "
         "organisation, phone, email, account, social, notes。"),
        ("3", "name", "", "不能为空。"),
        ("3", "customer_class", "gold", "须为以下之一：key_account, vip, normal, potential, "
         "former, internal。"),
        ("3", "phone", "abc", "“abc”不是有效的电话号码。"),
    ]  # fmt: skip
    assert not _found(site, "周伯通")  # row 2 was good, but not written
    english = _send(site, "supervisor", "customers", "bad.csv", content, lang="en")
    assert english.status_code == 400 and "Must not be empty." in english.text
    assert "Nothing was imported: the file has 4 problems" in english.text


def test_the_encoding_is_chosen_and_a_wrong_one_names_the_line(site: Site) -> None:
    gbk = "name,phone\n郭靖,13900002222\n".encode("gbk")
    r = _send(site, "supervisor", "customers", "gbk.csv", gbk, encoding="utf-8")
    assert r.status_code == 400
    assert "第 2 行不是 utf-8 编码的文本" in r.text
    assert not _found(site, "郭靖")
    r = _send(site, "supervisor", "customers", "gbk.csv", gbk, encoding="gbk")
    assert r.status_code == 303
    assert _found(site, "郭靖")


def test_a_form_without_a_file_or_with_another_type_is_refused(site: Site) -> None:
    c = site.client("supervisor")
    page = c.get("/imports")
    r = c.post("/imports/customers", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 400 and "请填写文件。" in r.text
    r = _send(site, "supervisor", "customers", "notes.txt", b"name\nX\n")
    assert r.status_code == 400 and "“notes.txt”不是 CSV 或 XLSX 文件。" in r.text
    r = c.post("/imports/customers", files={"file": ("c.csv", b"name\nX\n", "text/csv")})
    assert r.status_code == 403  # no CSRF token


def test_transactions_find_their_customer_by_account_from_an_xlsx_file(site: Site) -> None:
    _send(site, "supervisor", "customers", "c.csv", "name,account\n洪七公,9000000077\n".encode())
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["account", "kind", "at", "amount", "reference"])
    sheet.append(["9000000077", "payment", "2026-03-01T09:30:00+08:00", "128.50", "B-1"])
    buffer = io.BytesIO()
    book.save(buffer)
    r = _send(site, "supervisor", "transactions", "t.xlsx", buffer.getvalue())
    assert r.status_code == 303 and r.headers["location"] == "/imports?done=transactions&rows=1"
    assert "已导入交易：1 笔。" in site.client("supervisor").get(r.headers["location"]).text
    bad = "account,kind,at,amount\n9000000078,payment,2026-03-01 09:30,1.234\n"
    r = _send(site, "supervisor", "transactions", "t.csv", bad.encode(), encoding="utf-8")
    assert r.status_code == 400
    assert "没有客户拥有此身份标识。" in r.text
    assert "须带时区偏移（如 +08:00）或 Z。" in r.text
    assert "小数超过两位。" in r.text
    assert '<option value="utf-8" selected>' in r.text.split('id="encoding-transactions"')[1]


_SURVEY = {
    "title": {"zh-CN": "营业厅服务", "en": "Branch service"},
    "questions": [
        {"id": "SAT", "type": "scale", "min": 1, "max": 5, "required": True,
         "text": {"zh-CN": "总体满意吗？", "en": "Satisfied overall?"}},
        {"id": "WHERE", "type": "choice", "text": {"zh-CN": "在哪办理？", "en": "Where?"},
         "options": [{"value": "hall", "label": {"zh-CN": "营业厅", "en": "Branch"}},
                     {"value": "app", "label": {"zh-CN": "掌上电力", "en": "App"}}]},
        {"id": "WHY", "type": "text", "text": {"zh-CN": "意见", "en": "Comments"}},
    ],
}  # fmt: skip


def _wave(site: Site) -> int:
    sup = site.client("supervisor")
    form = {"name": "纸质问卷", "source": "definition", "definition": json.dumps(_SURVEY)}
    r = post_form(sup, "/surveys", "/surveys", form)
    assert r.status_code == 303, r.text
    survey = r.headers["location"].split("?")[0]
    r = post_form(sup, survey, f"{survey}/waves", {"wave_name": "三月", "expires_in_days": "14"})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])


def _send_answers(site: Site, wave_id: int, content: bytes, lang: str = "zh_CN") -> Any:
    c = site.client("supervisor", lang)
    page = c.get(f"/waves/{wave_id}/import")
    assert page.status_code == 200, page.text
    files = {"file": ("paper.csv", content, "text/csv")}
    form = {"csrf_token": csrf_of(page.text), "encoding": "utf-8"}
    return c.post(f"/waves/{wave_id}/import", data=form, files=files)


def test_a_wave_takes_answers_collected_elsewhere_all_or_none(site: Site) -> None:
    wave_id = _wave(site)
    sup = site.client("supervisor")
    assert 'id="import-link"' in sup.get(f"/waves/{wave_id}").text
    page = sup.get(f"/waves/{wave_id}/import").text
    assert "总体满意吗？" in page and "<code>app</code> 掌上电力" in page and "1–5" in page
    template = sup.get(f"/waves/{wave_id}/import/template.csv").content.decode("utf-8-sig")
    assert template.startswith("SAT,WHERE,WHY,respondent,customer_id,channel,submitted_at,")
    bad = "SAT,WHERE,WHY,channel\n5,hall,很好,phone\n9,bank,,fax\n"
    r = _send_answers(site, wave_id, bad.encode())
    assert r.status_code == 400 and "paper.csv 中的问题" in r.text
    assert "不是有效的渠道。" in r.text and "第 SAT 题：该回答无效。" in r.text
    counted = sup.get(f"/api/waves/{wave_id}").json()["responses"]
    assert counted == 0  # the good row 2 was not stored either
    good = (
        "SAT,WHERE,WHY,channel,submitted_at\n"
        "5,hall,很好,phone,2026-03-01T09:30:00+08:00\n"
        "2,app,,kiosk,\n"
    )
    r = _send_answers(site, wave_id, good.encode())
    assert r.status_code == 303
    assert r.headers["location"] == f"/waves/{wave_id}/import?done=1&rows=2"
    assert "已导入答卷：2 份。" in sup.get(r.headers["location"]).text
    assert sup.get(f"/api/waves/{wave_id}").json()["responses"] == 2
    assert "很好" in sup.get(f"/waves/{wave_id}/responses").text


def test_a_closed_wave_and_other_roles_take_no_import(site: Site) -> None:
    wave_id = _wave(site)
    for who in ("agent", "analyst"):
        assert site.client(who).get(f"/waves/{wave_id}/import").status_code == 403
    assert 'id="import-link"' not in site.client("analyst").get(f"/waves/{wave_id}").text
    sup = site.client("supervisor")
    r = post_form(sup, f"/waves/{wave_id}", f"/waves/{wave_id}/close", {})
    assert r.status_code == 303, r.text
    page = sup.get(f"/waves/{wave_id}/import").text
    assert 'id="wave-closed"' in page and 'id="import-form-responses"' not in page
    assert sup.get("/waves/9999999/import").status_code == 404
