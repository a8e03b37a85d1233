"""Runtime settings, read only by entry points (cli, api app factory)."""

from __future__ import annotations

import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Settings from ``TOUCHPOINT_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TOUCHPOINT_")

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = "touchpoint@localhost"
    # Threads per server process for blocking calls: plain ``def`` routes and pages (most
    # routes besides work orders, on either database) and, on PostgreSQL, the work-order
    # routes' service calls (on SQLite those run on the event loop). Many threads
    # contend for the GIL: on 2 cores with a local PostgreSQL, 4 gave every request a
    # quicker answer and a lower p99 than anyio's default 40 (bench/README.md).
    # A fifth slow call (an import, a report, a remote database) waits for a free thread:
    # such desks may want more.
    threads: int = Field(default=4, ge=1, le=1000)
    # Seconds between two escalation sweeps of ``touchpoint serve`` (warnings before a
    # due time, tier-up and supervisor notice on breach); 0 turns the server's sweep
    # off, leaving ``POST /api/sla/escalations/run``. With several worker processes,
    # each ticks on its own and one sweeps at a time (``storage.sweep_lock``).
    sweep_seconds: float = Field(default=60, ge=0)
    # Seconds between two refreshes of the stored merge-candidate list by ``touchpoint
    # serve`` (``services.merge_refresh``: every block scored, minutes on a large desk);
    # 0 leaves only ``POST /api/merge/candidates/refresh``. One process at a time.
    merge_refresh_seconds: float = Field(default=3600, ge=0)
    # Login throttling (``services.login``): after this many consecutive failed logins a
    # user is locked for ``login_lock_minutes`` (429 with Retry-After, right password or
    # not; an admin may unlock it sooner), and a client address with more than
    # ``login_max_failures_per_address`` failed logins within 10 minutes waits until
    # fewer remain in that window. The counts live in the database.
    login_max_failures: int = Field(default=10, ge=1)
    login_lock_minutes: float = Field(default=15, gt=0)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    # Password checks (argon2, tens of ms of CPU each) run at most this many at once per
    # server process, beside the ``threads`` pool: a flood of wrong passwords then
    # waits for them and leaves the other requests their threads.
    login_verify_threads: int = Field(default=2, ge=1, le=64)
    # Seconds a request may take: past it the server stops the request's statements,
    # rolls back what it had not committed and answers 503 (``api.time_limit``).
    request_seconds: float = Field(default=30, gt=0)
    # Where respondents reach this server: survey links are this URL + ``/s/<token>``;
    # unset, the address the server listens on (``effective_public_url``).
    public_url: str = ""
    # A customer invited to, or answering, any survey within this many days is not
    # invited again (skipped as ``throttled``) unless the caller overrides it.
    survey_recontact_days: int = Field(default=30, ge=0, le=3650)
    # Answers one client may send through a wave's kiosk link per minute (per process).
    survey_kiosk_per_minute: int = Field(default=20, ge=1, le=10_000)
    # A resolved order's return-visit survey is issued this many minutes after the
    # resolution (0: in the resolving commit, its mail sent right after), and skipped
    # as throttled when the customer answered another return visit within the days.
    return_visit_delay_minutes: int = Field(default=60, ge=0, le=60 * 24 * 30)
    return_visit_recontact_days: int = Field(default=7, ge=0, le=365)
    # The desk's time zone (IANA name): the local dates of the board, the loop metrics,
    # the outer loop and the five-gap report when a request names none, and the month
    # whose return-visit wave a resolution's survey joins.
    time_zone: str = "Asia/Shanghai"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known IANA time zone") from None
        return value

    def effective_database_url(self) -> str:
        """The configured URL, else a SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'touchpoint.sqlite3'}"

    def effective_public_url(self) -> str:
        """The configured public URL, else ``http://host:port`` of this server (the
        loopback address when it listens on every interface), so that a desk moved to
        another port still mails links that reach it."""
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def effective_secret_key(self) -> str:
        """The configured key, else one generated once and kept in ``data_dir``."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()
