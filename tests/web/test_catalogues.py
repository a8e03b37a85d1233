"""Every label the pages pass through gettext has a zh-CN translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import touchpoint.web
from touchpoint.web import labels
from touchpoint.web.i18n import translations

WEB = Path(touchpoint.web.__file__).parent
_CALL = re.compile(r"""_\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")


def _msgids() -> set[str]:
    found: set[str] = set()
    for path in [*(WEB / "templates").glob("*.html"), *WEB.glob("*.py")]:
        found.update(m.group(1) for m in _CALL.finditer(path.read_text(encoding="utf-8")))
    for name in [*labels.__all__, "CUSTOMER_KIND"]:
        table = getattr(labels, name)
        if isinstance(table, dict):
            found.update(v for v in table.values() if isinstance(v, str))
    return found


def _translated(catalogue: Catalog, msgid: str) -> bool:
    message = catalogue.get(msgid)
    return message is not None and bool(message.string)


def test_every_label_has_a_chinese_translation() -> None:
    with (WEB / "locales/zh_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="zh_CN")
    ids = _msgids()
    assert len(ids) > 200
    missing = sorted(i for i in ids if not _translated(catalogue, i))
    assert missing == []


def test_catalogues_translate_and_fall_back() -> None:
    assert translations("zh_CN").gettext("Queue") == "工单队列"
    assert translations("en").gettext("Queue") == "Queue"
    assert translations("zh_CN").ngettext("%(n)d open order", "%(n)d open orders", 3) == (
        "%(n)d 张在办工单"
    )


def test_a_blank_message_stays_blank() -> None:
    """gettext's entry for "" is a catalogue's header (Project-Id-Version …): a blank
    passed to ``_`` prints nothing, in either language, and labels show a dash for it."""
    for locale in ("zh_CN", "en"):
        assert translations(locale).gettext("") == ""
    assert translations("zh_CN").gettext("Skipped") == "未发送"
    assert labels.label(labels.SURVEY_CHANNEL, "") == "—"
