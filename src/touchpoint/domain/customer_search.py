"""What a customer search looks for: the patterns an agent's typed text yields, tier by
tier (exact, then prefix, then fragment), as DOMAIN §1's identities and names are typed
at a touchpoint. Pure; the indexes that answer a pattern live in
``touchpoint.storage.customer_search``.

The rules, chosen so that every pattern can be answered from a trigram index (FTS5's
trigram tokenizer on SQLite, ``pg_trgm`` on PostgreSQL) without a table scan:

* **Identities** (phone, e-mail, account, social id) are searched in their normalised
  form. A fragment of at least :data:`MIN_IDENTITY_FRAGMENT` (4) characters is found
  anywhere in a value; a shorter text only finds a value equal to it. Text that looks
  like a phone number (digits with spaces, dashes, dots, brackets or a leading ``+``)
  is also searched as digits only, so ``138-0013`` and ``1380013`` find
  ``13800138000``; a leading ``+86``/``0086`` country code is dropped as
  ``normalise_identity`` drops it.
* **Names** are searched case-insensitively. One character finds names that start with
  it (``王`` finds 王芳); two characters find names that start or end with them, which
  covers every part of a two- or three-character Chinese name (``小明`` finds 李小明,
  ``Li`` finds Li Na and Wei Li); three or more characters are found anywhere
  (``fang`` finds Wang Fang). A two-character fragment in the middle of a longer name
  (``阳娜`` in 欧阳娜娜) is not found: a trigram index cannot answer it.
* Results are ranked **exact > prefix > fragment** (a customer counts at their best
  tier), then by customer id.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "MIN_IDENTITY_FRAGMENT",
    "MIN_NAME_FRAGMENT",
    "MatchTier",
    "Pattern",
    "TierPatterns",
    "search_plan",
]

#: Shortest identity text searched as a fragment or prefix (the issue's "≥ 4 characters").
MIN_IDENTITY_FRAGMENT = 4
#: Shortest name text searched anywhere in a name; two characters match at either end.
MIN_NAME_FRAGMENT = 3

# What a typed phone number may hold besides digits.
_PHONE_TYPED = re.compile(r"^\+?[\d\s\-().]+$")


class MatchTier(IntEnum):
    """How well a customer matched; lower ranks first."""

    EXACT = 0
    PREFIX = 1
    FRAGMENT = 2


@dataclass(frozen=True, slots=True)
class Pattern:
    """``text`` somewhere in a value; ``at_start``/``at_end`` anchor it to the value's
    first/last character (both: the whole value)."""

    text: str
    at_start: bool = False
    at_end: bool = False


@dataclass(frozen=True, slots=True)
class TierPatterns:
    """The patterns of one tier: a customer matches if its name matches one of
    ``names`` or one of its identities matches one of ``identities``."""

    tier: MatchTier
    names: tuple[Pattern, ...]
    identities: tuple[Pattern, ...]


def _clean(q: str) -> str:
    """NFKC (full-width digits and letters become ASCII), control characters dropped (an
    index never holds them, and PostgreSQL refuses NUL), whitespace collapsed."""
    text = unicodedata.normalize("NFKC", q)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch.isspace())
    return " ".join(text.split())


def _phone_digits(text: str) -> str | None:
    """The digits of a typed phone number (country code 86 dropped), else None."""
    if not _PHONE_TYPED.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        digits = digits.removeprefix("86") if len(digits) > 2 else digits
    return digits or None


def _identity_keys(text: str) -> tuple[str, ...]:
    """The forms ``text`` may take among normalised identities: case-folded as account
    numbers and social ids are, lower-cased as e-mails are, and digits only."""
    keys = dict.fromkeys([text.casefold(), text.lower()])
    digits = _phone_digits(text)
    if digits:
        keys[digits] = None
    return tuple(keys)


def _name_patterns(name: str, tier: MatchTier) -> tuple[Pattern, ...]:
    if tier is MatchTier.EXACT:
        return (Pattern(name, at_start=True, at_end=True),)
    if tier is MatchTier.PREFIX:
        return (Pattern(name, at_start=True),)
    if len(name) >= MIN_NAME_FRAGMENT:
        return (Pattern(name),)
    if len(name) == 2:
        return (Pattern(name, at_end=True),)
    return ()


def _identity_patterns(keys: tuple[str, ...], tier: MatchTier) -> tuple[Pattern, ...]:
    if tier is MatchTier.EXACT:
        return tuple(Pattern(k, at_start=True, at_end=True) for k in keys)
    long_keys = [k for k in keys if len(k) >= MIN_IDENTITY_FRAGMENT]
    at_start = tier is MatchTier.PREFIX
    return tuple(Pattern(k, at_start=at_start) for k in long_keys)


def search_plan(q: str) -> tuple[TierPatterns, ...]:
    """The tiers to search for the typed text ``q``, best first; empty for blank text.

    >>> [p.text for p in search_plan("138-0013")[-1].identities]
    ['138-0013', '1380013']
    >>> [[(p.text, p.at_start, p.at_end) for p in t.names] for t in search_plan("小明")]
    [[('小明', True, True)], [('小明', True, False)], [('小明', False, True)]]
    """
    text = _clean(q)
    if not text:
        return ()
    keys = _identity_keys(text)
    plan = []
    for tier in MatchTier:
        tier_patterns = TierPatterns(
            tier, _name_patterns(text, tier), _identity_patterns(keys, tier)
        )
        if tier_patterns.names or tier_patterns.identities:
            plan.append(tier_patterns)
    return tuple(plan)
