"""Blocking keys of customers (客户合并): which records are worth comparing at all.

Comparing every customer with every other is n² work (62,326 customers made a 15 GB
matrix). Instead each customer carries a small set of *blocking keys*, and two customers
are compared only when they share one (a *block*), as record-linkage tools (Splink's
blocking rules, ``recordlinkage``'s indexes) do. The keys are kept in the database
beside the customer, so one customer's blocks are a few indexed reads.

Key families, each a prefix before the value:

``phone:`` ``account:`` ``social:``
    A normalised identity (``normalise_identity``).
``email:``
    The mailbox of an e-mail: the ``+tag`` of the local part dropped (and, on Gmail,
    its dots), so that aliases of one mailbox share the block.
``tail:``
    The last seven digits of a phone: ``010-8888 1234`` and ``8888 1234``, or a number
    typed with a different area code.
``tok:``
    The sorted tokens of the name, and of its pinyin spelling: swapped family and given
    names (``Zhang Wei`` / ``Wei Zhang``), hanzi and pinyin (``张伟`` / ``Zhang Wei``),
    simplified and traditional characters (``张伟`` / ``張偉``, one spelling).
``bg:``
    Hanzi bigrams of a Chinese name, and the pairs that skip one character: a name with
    one wrong character (``张伟明`` / ``张为明``) keeps one of them.
``sp:``
    The spelling of the name without spaces, in written and in sorted token order (and a
    Chinese name with its family name last), and for Latin names every spelling with one
    letter left out (a deletion neighbourhood): one typo (``Zhang Wie``), a missing
    space (``Zhangwei``), ``Xiaoming Wang`` for ``王小明``. Letter bigrams of Latin
    names are not used: each is shared by a large part of any desk and would never pass
    the block cap.

Blocks larger than the cap (a switchboard phone shared by 500 customers, the name
``0``) say little about duplicates and would expand into too many pairs: they are
skipped and counted, never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from pypinyin import lazy_pinyin

from touchpoint.domain.customers import IdentityKind, normalise_name

__all__ = [
    "DEFAULT_BLOCK_CAP",
    "MAX_KEY_LENGTH",
    "PHONE_TAIL_DIGITS",
    "block_pairs",
    "blocking_keys",
    "compact_spellings",
    "exact_name_key",
    "identity_keys",
    "mailbox",
    "name_keys",
    "spelled",
    "spelling_keys",
]

#: Blocks with more members than this are skipped (and reported), never paired.
DEFAULT_BLOCK_CAP = 200
#: Keys are cut to this length (the column's size); a cut key only widens its block.
MAX_KEY_LENGTH = 200
#: Digits of a phone number's tail key.
PHONE_TAIL_DIGITS = 7
# Latin spellings get one-letter deletions only from this length on: shorter ones
# leave 1–3 letters, blocks that hold a large part of any desk.
_MIN_DELETION_LENGTH = 5
# ... and only of their first letters, so that a 200-character name is 24 keys, not 200.
_MAX_DELETION_LENGTH = 24
_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_WORD = re.compile(r"[^\W_]+")


def _is_hanzi(ch: str) -> bool:
    """CJK unified ideographs (with extension A, the compatibility block and the
    supplementary planes' extensions)."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3FFFF
    )


@lru_cache(maxsize=65_536)
def _syllable(ch: str) -> str:
    # One character at a time: names are not phrases, and a cached lookup per character
    # keeps spelling a name at about a microsecond, where pypinyin's phrase segmentation
    # of a whole name costs some 30.
    return lazy_pinyin(ch)[0]


def spelled(name: str) -> str:
    """The name in lower-case Latin letters: hanzi as tone-less pinyin syllables, one
    token each; other words as their word characters. ``張偉 明`` → ``zhang wei ming``.

    ``name`` is expected normalised (``normalise_name``).
    """
    parts: list[str] = []
    for word in _WORD.findall(name):
        run: list[str] = []
        for ch in word:
            if _is_hanzi(ch):
                if run:
                    parts.append("".join(run))
                    run = []
                parts.append(_syllable(ch))
            else:
                run.append(ch)
        if run:
            parts.append("".join(run))
    return " ".join(parts)


def compact_spellings(name: str) -> tuple[str, ...]:
    """The spelling of a normalised name without spaces, in written order and, for a
    name that starts with a hanzi family name, also with it moved last (``王小明`` →
    ``wangxiaoming``, ``xiaomingwang``: how ``Xiaoming Wang`` is written)."""
    syllables = spelled(name).split()
    if not syllables:
        return ()
    written = "".join(syllables)
    first = next((ch for ch in name if not ch.isspace()), "")
    if len(syllables) > 1 and _is_hanzi(first):
        return written, "".join(syllables[1:]) + syllables[0]
    return (written,)


def exact_name_key(norm: str) -> str:
    """The ``tok:`` key of a normalised name's tokens, sorted: its block size is the
    name's count on the desk (``domain.match_weights``)."""
    return "tok:" + " ".join(sorted(_WORD.findall(norm)))


def spelling_keys(norm: str) -> frozenset[str]:
    """The ``sp:`` keys of a normalised name's spellings without spaces (written, family
    name last, sorted syllables): two names sharing one are spelled alike."""
    syllables = spelled(norm).split()
    keys = {"sp:" + c for c in compact_spellings(norm)}
    if syllables:
        keys.add("sp:" + "".join(sorted(syllables)))
    return frozenset(keys)


def mailbox(email: str) -> str:
    """The mailbox an address delivers to: ``Zhang.San+shop@gmail.com`` →
    ``zhangsan@gmail.com``; ``li+x@example.com`` → ``li@example.com``."""
    local, _, domain = email.lower().rpartition("@")
    if not local:
        return email.lower()
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def identity_keys(kind: IdentityKind, normalised: str) -> set[str]:
    """Keys of one normalised identity."""
    if kind is IdentityKind.EMAIL:
        return {f"email:{mailbox(normalised)}"}
    keys = {f"{kind.value}:{normalised}"}
    if kind is IdentityKind.PHONE and len(normalised) >= PHONE_TAIL_DIGITS:
        keys.add(f"tail:{normalised[-PHONE_TAIL_DIGITS:]}")
    return keys


def _hanzi_bigrams(name: str) -> set[str]:
    chars = [ch for ch in name if _is_hanzi(ch)]
    keys: set[str] = set()
    for i in range(len(chars) - 1):
        keys.add(f"bg:{chars[i]}{chars[i + 1]}")
        if i + 2 < len(chars):
            keys.add(f"bg:{chars[i]}{chars[i + 2]}")
    return keys


def name_keys(name: str) -> set[str]:
    """Keys of a customer name (Chinese or Latin); none for an empty name."""
    norm = normalise_name(name)
    tokens = _WORD.findall(norm)
    if not tokens:
        return set()
    spelling = spelled(norm).split()
    keys = {exact_name_key(norm), "tok:" + " ".join(sorted(spelling)), *spelling_keys(norm)}
    bigrams = _hanzi_bigrams(norm)
    if bigrams:
        return keys | bigrams
    compact = "".join(sorted(spelling))[:_MAX_DELETION_LENGTH]
    if len(compact) >= _MIN_DELETION_LENGTH:
        keys |= {f"sp:{compact[:i]}{compact[i + 1 :]}" for i in range(len(compact))}
    return keys


def blocking_keys(name: str, identities: Iterable[tuple[IdentityKind, str]]) -> frozenset[str]:
    """Every blocking key of a customer with ``name`` and normalised ``identities``."""
    keys = name_keys(name)
    for kind, normalised in identities:
        keys |= identity_keys(kind, normalised)
    return frozenset(k[:MAX_KEY_LENGTH] for k in keys)


def block_pairs(members: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Every pair ``(a, b)``, ``a < b``, of a block's distinct member ids."""
    ids = sorted(set(members))
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            yield a, b
