"""zh-CN and en catalogues for the pages, with Babel formatting of dates and money.

Catalogues are kept as ``.po`` files (the translators' format) and compiled in memory
on first use, so there is no build step and no binary ``.mo`` file in the tree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "Catalogue",
    "Formatter",
    "negotiate_locale",
    "translations",
]

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
_CATALOGUE_DIR = Path(__file__).parent / "locales"


class Catalogue(Translations):
    """A compiled catalogue whose ``gettext`` leaves the empty string empty: gettext's
    entry for ``""`` is the catalogue's header (Project-Id-Version, Language-Team …),
    which a label of a blank value (a return visit's channel before it is issued) would
    otherwise print."""

    def gettext(self, message: str) -> str:
        return super().gettext(message) if message else message


@cache
def translations(locale: str) -> Catalogue:
    """The compiled catalogue for ``locale`` (one of :data:`LOCALES`)."""
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; expected one of {LOCALES}")
    po_path = _CATALOGUE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalogue = read_po(fh, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Catalogue(fp=buffer)


def negotiate_locale(cookie: str | None, accept_language: str | None) -> str:
    """Pick the page language: the ``lang`` cookie, else Accept-Language, else zh_CN."""
    if cookie in LOCALES:
        return cookie
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip().replace("-", "_").lower()
            if tag.startswith("zh"):
                return "zh_CN"
            if tag.startswith("en"):
                return "en"
    return DEFAULT_LOCALE


class Formatter:
    """Locale-aware formatting used by the templates (rounding happens only here)."""

    def __init__(self, locale: str, timezone: str = "Asia/Shanghai") -> None:
        self.locale = locale
        self.timezone = timezone
        self._babel_locale = Locale.parse(locale)

    def datetime(self, value: datetime | None, fmt: str = "short") -> str:
        """A date and time in the desk's time zone, or an em dash."""
        if value is None:
            return "—"
        return format_datetime(
            value, fmt, tzinfo=ZoneInfo(self.timezone), locale=self._babel_locale
        )

    def money(self, amount: float | None, currency: str = "CNY") -> str:
        """An amount of money, for example ``¥120.00``."""
        if amount is None:
            return "—"
        return format_currency(amount, currency, locale=self._babel_locale)

    def number(self, value: float | None, digits: int = 2) -> str:
        """A number rounded for display."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self._babel_locale)

    def percent(self, share: float | None, digits: int = 1) -> str:
        """A share in [0, 1] as a percentage."""
        if share is None:
            return "—"
        return self.number(share * 100, digits) + "%"

    def minutes(self, minutes: float | None) -> str:
        """A duration in minutes, spelled for humans."""
        if minutes is None:
            return "—"
        return format_timedelta(timedelta(minutes=minutes), threshold=2, locale=self._babel_locale)
