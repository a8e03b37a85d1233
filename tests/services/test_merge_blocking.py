"""Merge candidates from stored blocking keys, on both databases: the keys follow every
write of a customer, candidates come only from shared keys, oversized blocks are
skipped and reported."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domain.merge_samples import DUPLICATES, RECORDS
from tests.services.support import people
from tests.storage.support import T0, Database
from touchpoint.domain.blocking import blocking_keys
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.merge import MergeCandidate, search_candidates
from touchpoint.services.base import Actor
from touchpoint.services.customers import (
    CustomerChanges,
    CustomerDraft,
    add_identity,
    create_customer,
    remove_identity,
    update_customer,
)
from touchpoint.services.imports import import_customers
from touchpoint.services.merge import (
    merge_customers,
    rebuild_merge_keys,
    search_merge_candidates,
    unmerge_customers,
)
from touchpoint.storage.blocking import (
    block_members,
    count_keys,
    customer_keys,
    live_profiles,
)
from touchpoint.storage.models import Customer, CustomerIdentity

PHONE, EMAIL = IdentityKind.PHONE, IdentityKind.EMAIL


def _keys(s: Session, cid: int) -> set[str]:
    return set(customer_keys(s, cid))


def _expected(s: Session, cid: int) -> frozenset[str]:
    """The keys the customer's stored name and identities make."""
    c = s.get(Customer, cid)
    assert c is not None
    rows = s.execute(
        select(CustomerIdentity.kind, CustomerIdentity.normalised).where(
            CustomerIdentity.customer_id == cid
        )
    )
    return blocking_keys(c.name, [(IdentityKind(k), n) for k, n in rows])


def _create(s: Session, actor: Actor, name: str, *idents: tuple[IdentityKind, str]) -> int:
    view = create_customer(s, actor, CustomerDraft(name=name, identities=idents), now=T0)
    return view.customer.id


def test_keys_follow_creates_identities_and_renames(db: Database) -> None:
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        cid = _create(s, agent, "Li Lei", (PHONE, "135 1234 5678"))
        assert _keys(s, cid) == blocking_keys("Li Lei", [(PHONE, "13512345678")])
        view = add_identity(s, agent, cid, EMAIL, "Li.Lei+desk@example.com", now=T0)
        assert "email:li.lei@example.com" in _keys(s, cid)
        phone = next(i.id for i in view.identities if i.kind is PHONE)
        remove_identity(s, agent, cid, phone, now=T0)
        assert not {"phone:13512345678", "tail:2345678"} & _keys(s, cid)
        version = s.get(Customer, cid).version  # type: ignore[union-attr]
        update_customer(s, agent, cid, CustomerChanges(name="韩梅梅"), version=version, now=T0)
        assert _keys(s, cid) == _expected(s, cid)
        assert "tok:han mei mei" in _keys(s, cid) and "tok:lei li" not in _keys(s, cid)


def test_keys_follow_merges_and_unmerges(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        a = _create(s, agent, "王芳", (PHONE, "13722223333"))
        b = _create(s, agent, "Wang Fang", (EMAIL, "wangfang@example.cn"))
        before_a, before_b = _keys(s, a), _keys(s, b)
        log = merge_customers(s, sup, a, b, now=T0)
        assert _keys(s, b) == set()  # the merged customer leaves every block
        assert _keys(s, a) == _expected(s, a)
        assert "email:wangfang@example.cn" in _keys(s, a)
        assert b not in {m.b_id for m in _candidates(s, agent, a)}
        unmerge_customers(s, sup, log.id, now=T0)
        assert (_keys(s, a), _keys(s, b)) == (before_a, before_b)


def test_keys_follow_imports(db: Database) -> None:
    with db.factory() as s:
        sup, _agent, _ = people(db, s)
        csv = "name,phone,email\n赵敏,+86 138-0013-9001,\nZhao Min,,zhaomin@example.cn\n"
        report = import_customers(s, sup, csv.encode(), "guests.csv", now=T0)
        for cid in report.created_ids:
            assert _keys(s, cid) == _expected(s, cid) != frozenset()


def _candidates(
    s: Session, actor: Actor, cid: int, *, name_threshold: float = 88.0
) -> list[MergeCandidate]:
    return search_merge_candidates(
        s, actor, customer_id=cid, limit=500, name_threshold=name_threshold
    ).candidates


def test_labelled_duplicates_share_stored_blocks(db: Database) -> None:
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        ids = {label: _create(s, agent, name, *idents) for label, name, idents in RECORDS}
        for a, b in DUPLICATES:
            shared = _keys(s, ids[a]) & _keys(s, ids[b])
            assert shared, (a, b)
            assert any(ids[b] in (block_members(s, k, cap=200) or []) for k in shared)
            # Every planted pair is scored (a candidate at threshold 0): blocking lost none.
            found = {(m.a_id, m.b_id) for m in _candidates(s, agent, ids[a], name_threshold=0)}
            assert (min(ids[a], ids[b]), max(ids[a], ids[b])) in found, (a, b)


def test_candidates_come_only_from_shared_keys_and_match_the_domain(db: Database) -> None:
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        live = list(s.scalars(select(Customer.id).where(Customer.merged_into_id.is_(None))))
        if len(live) < 10:  # run alone: bring the labelled set
            for _label, name, idents in RECORDS:
                _create(s, agent, name, *idents)
            live = list(s.scalars(select(Customer.id).where(Customer.merged_into_id.is_(None))))
        everyone = search_merge_candidates(s, agent, limit=500)
        for m in everyone.candidates:
            assert _keys(s, m.a_id) & _keys(s, m.b_id), m
        # The streamed search over stored blocks finds what the in-memory one does.
        profiles = list(live_profiles(s, live).values())
        assert everyone.candidates == search_candidates(profiles, limit=500).candidates
        # One customer's candidates are the pairs of the whole list involving it.
        for cid in live[-8:]:
            mine = [m for m in everyone.candidates if cid in (m.a_id, m.b_id)]
            assert _candidates(s, agent, cid) == mine


def test_oversized_block_is_capped_and_reported(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    names = ["Ernesto Alvarez", "Bjorn Lindqvist", "Chidi Okafor", "诸葛明", "Yuki Tanaka"]
    names += ["Priya Raman", "Olga Petrova"]
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        ids = [_create(s, agent, n, (PHONE, "400-800-8000")) for n in names]
        # Different names on one phone are no candidates at 88: threshold 0 lists every
        # pair the blocks give.
        fits = search_merge_candidates(s, agent, customer_id=ids[0], block_cap=7, name_threshold=0)
        assert {m.b_id for m in fits.candidates} == set(ids[1:])
        assert [str(r) for r in fits.candidates[0].reasons] == ["same phone 4008008000"]
        with caplog.at_level(logging.INFO, logger="touchpoint.services.merge"):
            capped = search_merge_candidates(
                s, agent, customer_id=ids[0], block_cap=5, name_threshold=0
            )
        assert capped.candidates == []
        assert capped.skipped_blocks == 2  # the phone and its tail
        assert "2 blocks over 5 members skipped" in caplog.text
        everyone = search_merge_candidates(s, agent, block_cap=5, limit=500, name_threshold=0)
        assert everyone.skipped_blocks >= 2
        assert not {(m.a_id, m.b_id) for m in everyone.candidates} & {
            (a, b) for a in ids for b in ids if a < b
        }


def test_rebuild_writes_the_same_keys(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        _create(s, agent, "Rebuild Probe", (PHONE, "13312341234"))
        live = list(s.scalars(select(Customer.id).where(Customer.merged_into_id.is_(None))))
        before = {cid: _keys(s, cid) for cid in live}
        written = rebuild_merge_keys(s, sup, now=T0)
        assert written == count_keys(s) == sum(len(k) for k in before.values())
        assert {cid: _keys(s, cid) for cid in live} == before
