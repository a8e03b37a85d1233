"""Signed survey links: the token in ``/s/<token>`` is the respondent's only credential.

A personal link carries its invitation's id and a random nonce kept with the invitation;
a kiosk link carries the wave's kiosk key. Both are signed with the desk's secret key
(itsdangerous, a salt of their own), so an altered or made-up token is refused before the
database is asked. Expiry, single use and cancellation are kept on the invitation (the
link itself never expires by its signature: a wave closed early must stop its links).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeSerializer

from touchpoint.services.errors import NotFoundError

__all__ = ["DEFAULT_PUBLIC_URL", "DESK_TIME_ZONE", "LinkTarget", "SurveyLinks", "new_nonce"]

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
#: The desk's time zone unless configured (``TOUCHPOINT_TIME_ZONE``).
DESK_TIME_ZONE = "Asia/Shanghai"


def new_nonce() -> str:
    """A fresh random nonce (128 bits) for an invitation or a kiosk key."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a valid token points at: an invitation (id and nonce) or a wave's kiosk."""

    invitation_id: int | None = None
    nonce: str = ""
    kiosk_key: str = ""

    @property
    def kiosk(self) -> bool:
        """A kiosk link (not personal, not single-use)."""
        return bool(self.kiosk_key)


@dataclass(frozen=True)
class SurveyLinks:
    """Signs and reads survey links; builds their absolute URLs.

    ``public_url`` is where respondents reach this server (``TOUCHPOINT_PUBLIC_URL``);
    ``recontact_days`` how long after an invitation or an answer a customer is not
    invited again (``TOUCHPOINT_SURVEY_RECONTACT_DAYS``). A resolved order's
    return visit is issued ``return_visit_delay_minutes`` after the resolution (0: in the
    resolving commit) and skipped as throttled when the customer answered another return
    visit within ``return_visit_recontact_days``; it joins the return-visit wave of its
    month in the desk's ``time_zone`` (``TOUCHPOINT_TIME_ZONE``).
    """

    secret_key: str
    public_url: str = DEFAULT_PUBLIC_URL
    recontact_days: int = 30
    return_visit_delay_minutes: int = 60
    return_visit_recontact_days: int = 7
    time_zone: str = DESK_TIME_ZONE
    _serializer: URLSafeSerializer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        serializer = URLSafeSerializer(self.secret_key, salt="touchpoint.survey-link")
        object.__setattr__(self, "_serializer", serializer)

    def personal_token(self, invitation_id: int, nonce: str) -> str:
        """The token of an invitation's link."""
        return str(self._serializer.dumps([invitation_id, nonce]))

    def kiosk_token(self, kiosk_key: str) -> str:
        """The token of a wave's kiosk link."""
        return str(self._serializer.dumps(["k", kiosk_key]))

    def url(self, token: str, suffix: str = "") -> str:
        """The absolute URL of a link (``suffix`` e.g. ``/opt-out``)."""
        return f"{self.public_url.rstrip('/')}/s/{token}{suffix}"

    def kiosk_url(self, kiosk_key: str) -> str:
        """The absolute URL of a wave's kiosk link."""
        return self.url(self.kiosk_token(kiosk_key))

    def read(self, token: str) -> LinkTarget:
        """What ``token`` points at; ``NotFoundError`` for an altered or unknown one."""
        try:
            data = self._serializer.loads(token)
        except BadSignature:
            raise NotFoundError("survey link", token[:12] + "…") from None
        if isinstance(data, list) and len(data) == 2:
            first, second = data
            if first == "k" and isinstance(second, str):
                return LinkTarget(kiosk_key=second)
            if isinstance(first, int) and not isinstance(first, bool) and isinstance(second, str):
                return LinkTarget(invitation_id=first, nonce=second)
        raise NotFoundError("survey link", token[:12] + "…")
