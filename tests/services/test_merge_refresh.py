"""The whole merge-candidate list, refreshed in the background and stored (issue 21,
item 3), on both databases with a controlled clock: the stored list is what a live
search over every customer finds, written in parts; a merge drops its pairs at once and
pairs no longer found drop out at the next refresh."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domain.merge_samples import RECORDS
from tests.services.support import people
from tests.storage.support import Clock, Database
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.merge import MergeCandidate, MergeReason
from touchpoint.services import merge_refresh
from touchpoint.services.base import Actor
from touchpoint.services.customers import (
    CustomerChanges,
    CustomerDraft,
    create_customer,
    update_customer,
)
from touchpoint.services.errors import ForbiddenError
from touchpoint.services.merge import merge_customers, search_merge_candidates, unmerge_customers
from touchpoint.services.merge_refresh import refresh_merge_candidates, stored_merge_candidates
from touchpoint.storage import blocking
from touchpoint.storage.merge_candidates import count_stored, store_candidates
from touchpoint.storage.merge_models import StoredMergeCandidate
from touchpoint.storage.models import Customer

PHONE = IdentityKind.PHONE


def _create(s: Session, actor: Actor, name: str, *idents: tuple[IdentityKind, str]) -> int:
    view = create_customer(s, actor, CustomerDraft(name=name, identities=idents), now=Clock().now)
    return view.customer.id


def _pairs(found: list[MergeCandidate]) -> list[tuple[int, int, float]]:
    return [(m.a_id, m.b_id, m.score) for m in found]


def _stored(s: Session, actor: Actor) -> list[MergeCandidate]:
    return stored_merge_candidates(s, actor, limit=1_000_000)


def _seed(s: Session, agent: Actor) -> None:
    if s.scalar(select(Customer.id).limit(1)) is None:
        for _label, name, idents in RECORDS:
            _create(s, agent, name, *idents)


def test_the_stored_list_is_the_live_list(db: Database, clock: Clock) -> None:
    with db.factory() as s:
        _sup, agent, analyst = people(db, s)
        _seed(s, agent)
        summary = refresh_merge_candidates(s, clock.now)
        live = search_merge_candidates(s, agent, limit=500).candidates
        assert live and _pairs(_stored(s, agent)) == _pairs(live)
        assert summary.removed == 0 and summary.parts >= 1
        # Reasons keep their code and params; their text is made again.
        stored = {(m.a_id, m.b_id): m.reasons for m in _stored(s, agent)}
        for m in live:
            assert [(r.code, dict(r.params), str(r)) for r in stored[(m.a_id, m.b_id)]] == [
                (r.code, dict(r.params), str(r)) for r in m.reasons
            ]
        row = s.scalars(select(StoredMergeCandidate).limit(1)).one()
        assert row.computed_at == clock.now
        # Pages: offset and limit over the same order; a higher threshold filters.
        page = stored_merge_candidates(s, agent, limit=2, offset=1)
        assert _pairs(page) == _pairs(live)[1:3]
        high = stored_merge_candidates(s, agent, name_threshold=99.5, limit=500)
        assert all(m.score >= 99.5 for m in high)
        with pytest.raises(ForbiddenError):
            stored_merge_candidates(s, analyst)


def test_parts_give_the_same_list(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        _seed(s, agent)
        whole = _pairs(search_merge_candidates(s, agent, limit=500).candidates)
        # One pair per part, a handful of customers per batch, three key rows per page.
        monkeypatch.setattr(merge_refresh, "_PAIRS_PER_PART", 1)
        monkeypatch.setattr("touchpoint.services.merge._PROFILES_PER_BATCH", 3)
        real = blocking.blocks_in_key_order
        monkeypatch.setattr(
            blocking,
            "blocks_in_key_order",
            lambda session, *, cap: real(session, cap=cap, rows_per_fetch=3),
        )
        summary = refresh_merge_candidates(s, clock.advance(hours=1))
        assert summary.parts > 2
        assert _pairs(_stored(s, agent)) == whole


def test_merges_and_changes_leave_the_list(db: Database, clock: Clock) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        mail = (IdentityKind.EMAIL, "nana@example.cn")
        a = _create(s, agent, "欧阳娜娜", (PHONE, "13955501234"), mail)
        b = _create(s, agent, "歐陽娜娜", (IdentityKind.EMAIL, "Nana+vip@example.cn"))
        c = _create(s, agent, "Ouyang Nana", (PHONE, "139-5550-1234"), mail)
        d = _create(s, agent, "Hermione Granger", (PHONE, "13055500000"))
        e = _create(s, agent, "Hermione Grangor", (PHONE, "+86 130 5550 0000"))
        refresh_merge_candidates(s, clock.advance(hours=1))
        pairs = {(m.a_id, m.b_id) for m in _stored(s, agent)}
        assert {(a, b), (a, c), (b, c), (d, e)} <= pairs
        # A merge drops the merged customer's pairs at once.
        log = merge_customers(s, sup, a, c, now=clock.now)
        pairs = {(m.a_id, m.b_id) for m in _stored(s, agent)}
        assert (a, b) in pairs and not {(a, c), (b, c)} & pairs
        # A renamed customer stays until the next refresh, which drops its pair.
        version = s.get(Customer, e).version  # type: ignore[union-attr]
        update_customer(
            s, agent, e, CustomerChanges(name="Ron Weasley"), version=version, now=clock.now
        )
        assert (d, e) in {(m.a_id, m.b_id) for m in _stored(s, agent)}
        summary = refresh_merge_candidates(s, clock.advance(hours=1))
        pairs = {(m.a_id, m.b_id) for m in _stored(s, agent)}
        assert (d, e) not in pairs and (a, b) in pairs and summary.removed >= 1
        # A pair a refresh under way writes again after the merge is not listed.
        store_candidates(s, [MergeCandidate(b, c, 100.0, ())], clock.now)
        assert (b, c) not in {(m.a_id, m.b_id) for m in _stored(s, agent)}
        # Unmerged, the customer's pairs come back at the next refresh.
        unmerge_customers(s, sup, log.id, now=clock.now)
        refresh_merge_candidates(s, clock.advance(hours=1))
        pairs = {(m.a_id, m.b_id) for m in _stored(s, agent)}
        assert {(a, c), (b, c)} <= pairs
        rows = s.scalars(select(StoredMergeCandidate.computed_at)).all()
        assert set(rows) == {clock.now} and len(rows) == count_stored(s)


def test_reasons_round_trip() -> None:
    for reason in (
        MergeReason.same_identity(PHONE, "13800138000"),
        MergeReason.same_identity(IdentityKind.EMAIL, "a@b.cn"),
        MergeReason.similar_names(91.5),
        MergeReason.different_identity(PHONE),
    ):
        again = MergeReason.from_json(reason.as_json())
        assert (again.code, dict(again.params), again.text) == (
            reason.code,
            dict(reason.params),
            reason.text,
        )
