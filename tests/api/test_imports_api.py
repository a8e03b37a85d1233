"""Customer, transaction and response imports of CSV files in the encodings Excel writes:
UTF-8 by default, GBK (read as GB18030) or another named ``encoding``; a file that is not
in its encoding is refused naming the line, and nothing is written."""

from __future__ import annotations

from tests.api.support import Desk

_GBK_CUSTOMERS = "name,phone\n张三丰,13900000001\n李四光,13900000002\n".encode("gbk")


def _import(desk: Desk, content: bytes, **form: str) -> tuple[int, dict[str, object]]:
    r = desk.client.post(
        "/api/imports/customers",
        files={"file": ("客户.csv", content, "text/csv")},
        data=form,
        headers=desk.h("supervisor"),
    )
    return r.status_code, r.json()


def _names(desk: Desk, ids: list[int]) -> list[str]:
    return [
        desk.client.get(f"/api/customers/{i}", headers=desk.h("supervisor")).json()["name"]
        for i in ids
    ]


def test_a_gbk_file_is_refused_as_utf8_naming_the_line_then_read_as_gbk(desk: Desk) -> None:
    before = desk.client.get("/api/customers", headers=desk.h("supervisor")).json()
    status, body = _import(desk, _GBK_CUSTOMERS)
    assert status == 400, body
    assert body["detail"] == (
        "file: '客户.csv' line 2: not utf-8 text (byte 1 of the line is 0xd5); send the "
        "file's encoding (encoding=gb18030 for Excel's CSV on a Chinese Windows) or save "
        "it as CSV UTF-8"
    )
    assert desk.client.get("/api/customers", headers=desk.h("supervisor")).json() == before
    for encoding in ("gbk", "GB18030"):
        status, body = _import(desk, _GBK_CUSTOMERS, encoding=encoding)
        assert status == 201, body
        assert _names(desk, body["created_ids"]) == ["张三丰", "李四光"]  # type: ignore[arg-type]


def test_utf8_with_a_byte_order_mark_and_an_unknown_encoding(desk: Desk) -> None:
    status, body = _import(desk, "\ufeffname\n王五\n".encode())
    assert status == 201 and _names(desk, body["created_ids"]) == ["王五"], body  # type: ignore[arg-type]
    status, body = _import(desk, b"name\nX\n", encoding="ebcdic")
    assert status == 400
    assert body["detail"] == (
        "encoding: 'ebcdic' is not one of utf-8, gb18030, gbk, gb2312, big5, windows-1252"
    )


def test_each_problem_carries_a_message_code_beside_its_english_message(desk: Desk) -> None:
    status, body = _import(desk, b"name,kind,phone\n,robot,12\n")
    assert status == 400
    listed = body["problems"]
    assert isinstance(listed, list)
    problems = {p["column"]: p for p in listed}
    assert problems["name"]["message"] == "must not be empty"
    assert (problems["name"]["code"], problems["name"]["params"]) == ("import_empty", {})
    assert problems["kind"]["code"] == "import_not_choice"
    assert problems["kind"]["params"] == {"allowed": "person, organisation"}
    assert problems["phone"]["code"] == "invalid_phone"
    assert problems["phone"]["params"] == {"value": "12"}


def test_a_file_larger_than_one_batch_keeps_each_customer_with_its_identities(desk: Desk) -> None:
    rows = [f"客户{i},139{i:08d}" for i in range(1201)]  # three batches of inserts
    status, body = _import(desk, ("name,phone\n" + "\n".join(rows) + "\n").encode())
    assert status == 201, body
    ids = body["created_ids"]
    assert isinstance(ids, list) and len(ids) == 1201 and ids == sorted(ids)
    for i in (0, 499, 500, 1000, 1200):
        r = desk.client.get(f"/api/customers/{ids[i]}", headers=desk.h("supervisor")).json()
        assert r["name"] == f"客户{i}"
        assert [x["value"] for x in r["identities"]] == [f"139{i:08d}"]
    found = desk.client.get(
        "/api/customers", params={"q": "13900000777"}, headers=desk.h("supervisor")
    ).json()
    assert [c["id"] for c in found] == [ids[777]]  # the search index took the identities
