"""Every message code the sources raise has an entry in both catalogues, with the same
placeholders in Chinese, and every entity an error can name has a label."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import touchpoint
import touchpoint.web
from touchpoint.domain.customers import IdentityKind
from touchpoint.storage.models import Base
from touchpoint.web import labels
from touchpoint.web.messages import LABEL_PARAMS, MESSAGES, translate

SRC = Path(touchpoint.__file__).parent
WEB = Path(touchpoint.web.__file__).parent
#: ``code="…"`` in a raise or a call, and ``code: str | None = "…"`` as a default.
_CODE = re.compile(r"""\bcode(?:\s*:\s*[\w |]+?)?\s*=\s*"([a-z][a-z0-9_]*)\"""")
_PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _codes_in_sources() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        found.update(_CODE.findall(path.read_text(encoding="utf-8")))
    # MergeReason.same_identity and different_identity build their codes from the kind.
    found.update(f"same_{kind.value}" for kind in IdentityKind)
    found.update(f"different_{kind.value}" for kind in IdentityKind)
    return found


def _catalogue(locale: str) -> Catalog:
    with (WEB / f"locales/{locale}/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_every_code_the_sources_use_has_a_message_and_no_message_is_unused() -> None:
    used = _codes_in_sources()
    assert {"stale_version", "invalid_phone", "same_phone", "similar_names"} <= used
    assert sorted(used - set(MESSAGES)) == []
    assert sorted(set(MESSAGES) - used) == []


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_message_code_is_in_the_catalogue(locale: str) -> None:
    catalogue = _catalogue(locale)
    missing = sorted(code for code, msgid in MESSAGES.items() if catalogue.get(msgid) is None)
    assert missing == []


def test_every_message_code_has_a_chinese_text_with_the_same_placeholders() -> None:
    catalogue = _catalogue("zh_CN")
    for code, msgid in MESSAGES.items():
        message = catalogue.get(msgid)
        assert message is not None and isinstance(message.string, str) and message.string, code
        assert set(_PLACEHOLDER.findall(message.string)) == set(_PLACEHOLDER.findall(msgid)), code


def test_every_record_an_error_names_has_a_label() -> None:
    # get_or_404 names a record by its table without the trailing "s"
    names = {table.rstrip("s") for table in Base.metadata.tables}
    names |= {"customer_identity", "recovery", "sla_policy"}  # check_version's own names
    assert sorted(names - set(labels.ENTITY)) == []


def test_label_params_are_translated_and_unknown_ones_fall_back() -> None:
    stale = {"entity": "work_order", "id": 15, "expected": 3, "current": 4}
    assert translate("stale_version", stale, "zh_CN") == (
        "工单 15：您编辑的是第 3 版，当前已是第 4 版。"
    )
    assert translate("stale_version", stale, "en") == (
        "Work order 15: you edited version 3; it is now at version 4."
    )
    assert translate("field_empty", {"field": "subject"}, "zh_CN") == "主题不能为空。"
    assert translate("similar_names", {"score": 99.6}, "zh_CN") == "姓名相似（100）"
    # an unlabelled field, an unknown code or no code: the caller shows the English
    assert translate("field_empty", {"field": "no_such_field"}, "zh_CN") is None
    assert translate("no_such_code", {}, "zh_CN") is None
    assert translate(None, {}, "zh_CN") is None
    # a label param the message does not show needs no label
    assert translate("unknown_reference", {"field": "?", "entity": "team", "id": 5}, "en") == (
        "Team 5 does not exist."
    )
    assert set(LABEL_PARAMS) >= {"field", "entity", "kind", "status", "tier", "type"}
