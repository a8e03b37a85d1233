"""Fragment search of customers on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): phone
fragments typed with or without separators, e-mail and account fragments, parts of
Chinese and Latin names, the ranking exact > prefix > fragment, short text, masking,
and writes found at once (create, rename, identities added and removed, merge, undo).

All customers live in this module's database, so every search text below is unique to
the customers the test creates."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.services.support import people
from tests.storage.support import T0, Database
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.errors import DomainError
from touchpoint.services.base import Actor
from touchpoint.services.customers import (
    CustomerChanges,
    CustomerDraft,
    add_identity,
    create_customer,
    remove_identity,
    search_customers,
    update_customer,
)
from touchpoint.services.merge import merge_customers, unmerge_customers


def _new(s: Session, agent: Actor, name: str, *idents: tuple[IdentityKind, str]) -> int:
    view = create_customer(s, agent, CustomerDraft(name=name, identities=idents), now=T0)
    return view.customer.id


def _ids(s: Session, actor: Actor, q: str, **kw: int) -> list[int]:
    return [v.customer.id for v in search_customers(s, actor, q=q, **kw)]


@pytest.fixture
def agent(db: Database, session: Session) -> Actor:
    return people(db, session)[1]


@pytest.mark.parametrize(
    "typed",
    ["00138000", "0013-8000", "0013 8000", "(0013) 8000", "138.0013.8000", "8000", "+86 138 0013"],
)
def test_a_phone_fragment_is_found_with_or_without_separators(
    db: Database, session: Session, agent: Actor, typed: str
) -> None:
    if not _ids(session, agent, "138-0013-8000"):
        _new(session, agent, "Phone Owner", (IdentityKind.PHONE, "+86 138-0013-8000"))
    found = search_customers(session, agent, q=typed)
    assert [v.customer.name for v in found] == ["Phone Owner"]


def test_email_and_account_fragments_are_found(session: Session, agent: Actor) -> None:
    mail = _new(session, agent, "Mail Owner", (IdentityKind.EMAIL, "Mei.Ling@Example.org"))
    account = _new(session, agent, "Account Owner", (IdentityKind.ACCOUNT, "ACC-2024-0042"))
    assert _ids(session, agent, "ling@exam") == [mail]
    assert _ids(session, agent, "EXAMPLE.ORG") == [mail]
    assert _ids(session, agent, "2024-004") == [account]
    assert _ids(session, agent, "acc-2024") == [account]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("李小明", True),  # the whole name
        ("李小", True),  # its start
        ("小明", True),  # a two-character end
        ("李", True),  # one character: names that start with it
        ("明", False),  # ...not names that end with it
        ("阳娜娜", True),  # three characters anywhere
        ("阳娜", False),  # two characters in the middle: not answered (documented)
        ("欧阳", True),
        ("wang", True),  # Latin, any case
        ("ANG FA", True),
        ("Fang", True),
        ("Wa", True),  # two characters at the start...
        ("an", False),  # ...not in the middle
    ],
)
def test_parts_of_chinese_and_latin_names_are_found(
    session: Session, agent: Actor, typed: str, found: bool
) -> None:
    if not _ids(session, agent, "李小明"):
        for name in ("李小明", "欧阳娜娜", "Wang Fang"):
            _new(session, agent, name)
    names = {v.customer.name for v in search_customers(session, agent, q=typed)}
    assert bool(names & {"李小明", "欧阳娜娜", "Wang Fang"}) is found, names


def test_exact_ranks_before_prefix_before_fragment(session: Session, agent: Actor) -> None:
    # Created worst first, so that ranking by id alone would put them the other way.
    fragment = _new(session, agent, "F", (IdentityKind.PHONE, "11556677"))
    prefix = _new(session, agent, "P", (IdentityKind.PHONE, "55667788"))
    exact = _new(session, agent, "E", (IdentityKind.PHONE, "5566"))
    both = _new(session, agent, "B", (IdentityKind.PHONE, "5566"), (IdentityKind.ACCOUNT, "x5566"))
    assert _ids(session, agent, "5566") == [exact, both, prefix, fragment]
    assert _ids(session, agent, "5566", limit=2, offset=1) == [both, prefix]
    assert _ids(session, agent, "5566", limit=1, offset=3) == [fragment]
    assert _ids(session, agent, "5566", limit=5, offset=4) == []
    late = _new(session, agent, "Chen Jing Li")
    middle = _new(session, agent, "Chen Jing")
    first = _new(session, agent, "chen jing")
    assert _ids(session, agent, "Chen Jing") == [middle, first, late]


def test_short_text_finds_only_whole_values(session: Session, agent: Actor) -> None:
    short = _new(session, agent, "Short Phone", (IdentityKind.PHONE, "911"))
    _new(session, agent, "Long Phone", (IdentityKind.PHONE, "19110000"))
    assert _ids(session, agent, "911") == [short]  # three digits: no fragment search
    assert _ids(session, agent, "91") == []
    assert _ids(session, agent, "   ") != []  # blank text lists every customer, as before


def test_wildcards_and_quotes_are_plain_text(session: Session, agent: Actor) -> None:
    odd = _new(session, agent, 'Odd_100% "Q"')
    _new(session, agent, "Odd X100Y")
    assert _ids(session, agent, '_100% "Q') == [odd]
    assert _ids(session, agent, "%%%") == []
    assert _ids(session, agent, "Odd\x00_1") == [odd]  # control characters are dropped


def test_contact_details_stay_masked_for_analysts(db: Database, session: Session) -> None:
    _sup, agent, analyst = people(db, session)
    _new(session, agent, "Masked One", (IdentityKind.PHONE, "13712345601"))
    (seen,) = search_customers(session, analyst, q="2345601")
    assert [(i.value, i.masked) for i in seen.identities] == [("137******01", True)]
    (clear,) = search_customers(session, agent, q="2345601")
    assert [(i.value, i.masked) for i in clear.identities] == [("13712345601", False)]


def test_writes_are_found_at_once(session: Session, agent: Actor) -> None:
    cid = _new(session, agent, "Before Rename")
    view = update_customer(
        session, agent, cid, CustomerChanges(name="After Rename"), version=1, now=T0
    )
    assert _ids(session, agent, "Before Re") == []
    assert _ids(session, agent, "ter Ren") == [cid]
    view = add_identity(session, agent, cid, IdentityKind.EMAIL, "renamed@corp.test", now=T0)
    assert _ids(session, agent, "med@corp") == [cid]
    remove_identity(session, agent, cid, view.identities[0].id, now=T0)
    assert _ids(session, agent, "med@corp") == []


def test_merged_customers_are_found_as_their_survivor(db: Database, session: Session) -> None:
    sup, agent, _analyst = people(db, session)
    survivor = _new(session, agent, "Survivor Sun", (IdentityKind.PHONE, "13600000001"))
    merged = _new(session, agent, "Merged Moon", (IdentityKind.PHONE, "13699990002"))
    log = merge_customers(session, sup, survivor, merged, now=T0)
    assert _ids(session, agent, "99990002") == [survivor]  # the phone moved with the merge
    assert _ids(session, agent, "Merged Mo") == []  # merged away
    unmerge_customers(session, sup, log.id, now=T0)
    assert _ids(session, agent, "99990002") == [merged]
    assert _ids(session, agent, "Merged Mo") == [merged]


def test_limits_are_checked(session: Session, agent: Actor) -> None:
    with pytest.raises(DomainError):
        search_customers(session, agent, q="x", limit=0)
    with pytest.raises(DomainError):
        search_customers(session, agent, q="x", offset=-1)
