"""The login pool: at most ``verifiers`` password checks at once, the rest waiting their
turn; each answered as argon2 answers it."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from argon2 import PasswordHasher

from touchpoint.domain.login_throttle import LoginPolicy
from touchpoint.services import login
from touchpoint.services.auth import hash_password
from touchpoint.services.login import LoginGate


def test_at_most_verifiers_checks_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running = 0
    most = 0
    guard = threading.Lock()

    def slow_check(password_hash: str, password: str) -> bool:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with guard:
            running -= 1
        return password == password_hash

    monkeypatch.setattr(login, "verify_password", slow_check)
    gate = LoginGate(verifiers=2)

    async def main() -> list[bool]:
        started = time.monotonic()
        answers = await asyncio.gather(
            *(gate.verify("right", "right" if i % 2 else "wrong") for i in range(8))
        )
        assert time.monotonic() - started >= 4 * 0.05  # eight checks, two at a time
        return answers

    assert asyncio.run(main()) == [bool(i % 2) for i in range(8)]
    assert most == 2


def test_the_pool_checks_argon2_hashes() -> None:
    gate = LoginGate(LoginPolicy(max_failures=3), verifiers=1)
    hashed = hash_password("password-123")

    async def main() -> tuple[bool, bool]:
        return await gate.verify(hashed, "password-123"), await gate.verify(hashed, "nope-nope")

    assert asyncio.run(main()) == (True, False)
    assert gate.policy.max_failures == 3


def test_a_pool_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="verifiers"):
        LoginGate(verifiers=0)


def test_an_unknown_username_costs_the_same_argon2_check() -> None:
    """The decoy hash has the hasher's own parameters, so that checking it takes as
    long as checking a user's; were the defaults to change, it would need a new one."""
    assert not PasswordHasher().check_needs_rehash(login._DECOY_HASH)
