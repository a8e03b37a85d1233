"""Blocking keys: every planted duplicate shares a block, only block pairs are scored,
oversized blocks are skipped and counted."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.domain.merge_samples import DUPLICATES, label_ids, profiles
from touchpoint.domain.blocking import (
    blocking_keys,
    compact_spellings,
    mailbox,
    name_keys,
    spelled,
)
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.match_weights import name_similarity
from touchpoint.domain.merge import (
    CustomerProfile,
    MergeCandidate,
    TopCandidates,
    candidate_order,
    candidate_pairs,
    search_candidates,
)


def _shared_key_pairs(ps: list[CustomerProfile]) -> set[tuple[int, int]]:
    keys = {p.id: blocking_keys(p.name, p.identities) for p in ps}
    return {(a.id, b.id) for a, b in combinations(ps, 2) if keys[a.id] & keys[b.id]}


def test_every_planted_duplicate_shares_a_block() -> None:
    ids = label_ids()
    pairs, skipped = candidate_pairs(profiles())
    missed = [(a, b) for a, b in DUPLICATES if (ids[a], ids[b]) not in pairs]
    assert missed == []
    assert skipped == 0


def test_no_pair_outside_the_blocks() -> None:
    ps = profiles()
    pairs, _ = candidate_pairs(ps)
    assert pairs == _shared_key_pairs(ps)
    # ... and far fewer than all pairs: blocking is what keeps the work small.
    assert len(pairs) < len(ps) * (len(ps) - 1) // 2 // 5
    found = search_candidates(ps).candidates
    assert {(m.a_id, m.b_id) for m in found} <= pairs


def test_planted_duplicates_are_candidates_at_the_default_threshold() -> None:
    ids = label_ids()
    found = {(m.a_id, m.b_id): m for m in search_candidates(profiles()).candidates}
    # Candidates at 88 are the pairs sharing an identity with names of one spelling.
    # A name alone never makes one (``match_weights.name_only_ceiling``); a shared phone
    # with a name that is only related (赵敏 / Zhao M., a family's pattern), a phone
    # tail (Grace / G. Hopper, 87.7) or a mailbox with another surname stays under it.
    above = [a[:-2] for a, b in DUPLICATES if (ids[a], ids[b]) in found]
    assert above == ["family_phone", "alias_gmail"]
    same_phone = found[(ids["family_phone_a"], ids["family_phone_b"])]
    assert same_phone.score > 99
    assert [r.code for r in same_phone.reasons] == ["same_phone", "similar_names"]
    assert str(same_phone.reasons[0]) == "same phone 02155556789"
    # Below the threshold, every planted pair is still scored: blocking lost none.
    everything = {
        (m.a_id, m.b_id): m for m in search_candidates(profiles(), name_threshold=0).candidates
    }
    assert {(ids[a], ids[b]) for a, b in DUPLICATES} <= set(everything)
    tail = everything[(ids["landline_a"], ids["landline_b"])]
    assert 80 < tail.score < 88
    assert [str(r) for r in tail.reasons] == ["same phone …8881234"]


def test_oversized_block_is_skipped_and_counted() -> None:
    switchboard = frozenset({(IdentityKind.PHONE, "4008008000")})
    ps = [CustomerProfile(i, f"Guest {i:04d} Unique{i}", switchboard) for i in range(1, 251)]
    own = frozenset({(IdentityKind.PHONE, "13612345678")})
    ps.append(CustomerProfile(251, "李雷", own))
    ps.append(CustomerProfile(252, "Li Lei", own))
    found = search_candidates(ps, block_cap=200, name_threshold=0)
    # The phone (and its tail) blocks hold 250 customers: no pair comes from them.
    assert found.skipped_blocks >= 2
    assert all(m.a_id > 250 or m.b_id > 250 for m in found.candidates)
    assert [(m.a_id, m.b_id) for m in found.candidates] == [(251, 252)]
    # Under a cap that fits, the same phone pairs everyone (as before blocking).
    small = search_candidates(ps[:5], block_cap=200, name_threshold=0)
    assert len(small.candidates) == 10 and small.skipped_blocks == 0  # 5 · 4 / 2 pairs


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("张伟", "Zhang Wei"),
        ("張偉", "张伟"),
        ("Zhang Wei", "Zhangwei"),
        ("王小明", "Xiaoming Wang"),
        ("黄志强", "Huang Zhiqiang"),
    ],
)
def test_scripts_and_orders_of_one_name_score_100(a: str, b: str) -> None:
    assert name_similarity(a, b) == 100.0
    assert name_keys(a) & name_keys(b)


def test_spellings_and_mailboxes() -> None:
    assert spelled("張偉 明") == "zhang wei ming"
    assert spelled("李lee") == "li lee"
    assert compact_spellings("王小明") == ("wangxiaoming", "xiaomingwang")
    assert compact_spellings("wang xiaoming") == ("wangxiaoming",)
    assert mailbox("zhou.jie+shop@googlemail.com") == "zhoujie@gmail.com"
    assert mailbox("anna.b+news@example.com") == "anna.b@example.com"
    assert name_keys("  ") == set()
    keys = blocking_keys("x", [(IdentityKind.PHONE, "01088881234")])
    assert {"phone:01088881234", "tail:8881234"} <= keys
    assert all(len(k) <= 200 for k in blocking_keys("a" * 200, [(IdentityKind.SOCIAL, "s" * 300)]))


# Scores are a function of the pair, as ``score_pair``'s are; a pair may come again.
scored = st.tuples(st.integers(1, 30), st.integers(31, 60)).map(
    lambda t: MergeCandidate(t[0], t[1], float((t[0] * 7 + t[1] * 13) % 5 * 20), ())
)


@given(st.lists(scored, max_size=60), st.integers(0, 10))
def test_top_candidates_keeps_the_best(offers: list[MergeCandidate], limit: int) -> None:
    top = TopCandidates(limit)
    for m in offers:
        top.offer(m)
    unique = {(m.a_id, m.b_id): m for m in offers}
    expected = sorted(unique.values(), key=candidate_order)[:limit]
    assert top.best() == expected


@given(st.lists(scored, max_size=60), st.integers(0, 10))
def test_pairs_top_candidates_cannot_keep_are_not_needed(
    offers: list[MergeCandidate], limit: int
) -> None:
    checked, plain = TopCandidates(limit), TopCandidates(limit)
    for m in offers:
        plain.offer(m)
        if checked.could_keep(m.a_id, m.b_id):
            checked.offer(m)
    assert checked.best() == plain.best()
