"""Customers, SLA selection, escalation planning, recovery, KPIs and merge rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import (
    CustomerClass,
    Identity,
    IdentityKind,
    mask_email,
    mask_phone,
    validate_preferences,
)
from touchpoint.domain.errors import DomainError, RuleViolation
from touchpoint.domain.escalation import (
    EscalationLevel,
    EscalationPolicy,
    PendingTarget,
    plan_escalations,
)
from touchpoint.domain.kpi import OrderFacts, Shift, shift_of, sigma_level, summarise
from touchpoint.domain.merge import (
    HOLDING_KINDS,
    CustomerProfile,
    apply_merge,
    apply_unmerge,
    search_candidates,
)
from touchpoint.domain.recovery import Cause5W1H, Compensation, CompensationKind, JusticeScores
from touchpoint.domain.roles import Role
from touchpoint.domain.sla_selection import SlaRule, select_policy
from touchpoint.domain.work_orders import Priority, WorkOrderType

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "raw", "norm"),
    [
        (IdentityKind.PHONE, "+86 138-0013-8000", "13800138000"),
        (IdentityKind.PHONE, "0086 13800138000", "13800138000"),
        (IdentityKind.PHONE, "(010) 9559 8000", "01095598000"),
        (IdentityKind.EMAIL, " Zhang.San@Example.COM ", "zhang.san@example.com"),
        (IdentityKind.ACCOUNT, "ＡＣＣ-42", "acc-42"),
    ],
)
def test_identities_normalise(kind: IdentityKind, raw: str, norm: str) -> None:
    assert Identity.of(kind, raw).normalised == norm


@pytest.mark.parametrize(
    ("kind", "raw"),
    [(IdentityKind.PHONE, "call me"), (IdentityKind.EMAIL, "nope"), (IdentityKind.SOCIAL, " ")],
)
def test_bad_identities_name_the_kind(kind: IdentityKind, raw: str) -> None:
    with pytest.raises(DomainError, match=kind.value):
        Identity.of(kind, raw)


def test_masking_and_roles() -> None:
    assert mask_phone("13800138000") == "138******00"
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert not Role.ANALYST.sees_contact_details and Role.AGENT.sees_contact_details
    assert not Role.ANALYST.can_handle_orders and not Role.AGENT.sees_all_queues
    with pytest.raises(DomainError, match="pillow"):
        validate_preferences({"pillow": ["soft"]})


def test_policy_selection_prefers_rank_then_specificity() -> None:
    rules = [
        SlaRule(policy_id=1, rank=100),
        SlaRule(policy_id=2, rank=100, types=frozenset({WorkOrderType.COMPLAINT})),
        SlaRule(
            policy_id=3,
            rank=10,
            customer_classes=frozenset({CustomerClass.KEY_ACCOUNT}),
            priorities=frozenset({Priority.URGENT}),
        ),
    ]

    def pick(t: WorkOrderType, p: Priority, c: CustomerClass, ch: Channel) -> int | None:
        return select_policy(rules, type=t, priority=p, customer_class=c, channel=ch)

    assert pick(WorkOrderType.REPAIR, Priority.NORMAL, CustomerClass.NORMAL, Channel.APP) == 1
    assert pick(WorkOrderType.COMPLAINT, Priority.NORMAL, CustomerClass.NORMAL, Channel.APP) == 2
    assert (
        pick(WorkOrderType.COMPLAINT, Priority.URGENT, CustomerClass.KEY_ACCOUNT, Channel.HOTLINE)
        == 3
    )
    assert (
        select_policy(
            [],
            type=WorkOrderType.REPAIR,
            priority=Priority.LOW,
            customer_class=CustomerClass.NORMAL,
            channel=Channel.APP,
        )
        is None
    )


def _linear(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds())


def test_escalation_warns_at_share_and_breaches_after_due() -> None:
    pol = EscalationPolicy(warn_share=0.75)
    t_warn = PendingTarget("first_response", 60, NOW + timedelta(minutes=15))
    t_quiet = PendingTarget("resolution", 480, NOW + timedelta(minutes=121))
    t_breach = PendingTarget("next_update", 120, NOW - timedelta(seconds=1))
    steps = plan_escalations(
        [t_warn, t_quiet, t_breach], now=NOW, business_seconds=_linear, policy=pol
    )
    got = {(s.target, s.level) for s in steps}
    assert got == {
        ("first_response", EscalationLevel.WARNING),
        ("next_update", EscalationLevel.BREACH),
    }
    breach = next(s for s in steps if s.level.is_breach)
    assert breach.tier_up and breach.notify_supervisor
    done = frozenset({("next_update", EscalationLevel.BREACH, t_breach.due_at)})
    again = plan_escalations([t_breach], now=NOW, business_seconds=_linear, policy=pol, done=done)
    assert again == []
    with pytest.raises(DomainError, match="warn_share"):
        EscalationPolicy(warn_share=1.0)


def test_recovery_values_are_checked() -> None:
    with pytest.raises(DomainError, match=r"cause\.why"):
        Cause5W1H(what="meter misread", why=" ")
    with pytest.raises(DomainError, match=r"compensation\.amount"):
        Compensation(CompensationKind.NONE, 100)
    with pytest.raises(DomainError, match=r"justice\.process"):
        JusticeScores(outcome=3, process=6, treatment=4)
    assert JusticeScores(4, 5, 3).mean == pytest.approx(4.0)


def test_sigma_level_matches_six_sigma_table() -> None:
    assert sigma_level(34, 10_000_000) == pytest.approx(6.0, abs=0.01)  # 3.4 DPMO
    assert sigma_level(66_807, 1_000_000) == pytest.approx(3.0, abs=0.001)
    assert sigma_level(308_538, 1_000_000) == pytest.approx(2.0, abs=0.001)
    assert sigma_level(0, 10) is None and sigma_level(0, 0) is None
    with pytest.raises(DomainError):
        sigma_level(5, 4)


def test_kpi_summary_rates() -> None:
    facts = [
        OrderFacts(1, False, True, False, True, 10, 100, 2, 0),
        OrderFacts(2, True, True, True, False, 30, 300, 2, 1),
        OrderFacts(3, False, False, False, False, None, None, 1, 1),
        OrderFacts(4, False, False, False, False, 20, None, 1, 0),
    ]
    k = summarise(facts)
    assert (k.orders, k.resolved, k.backlog) == (4, 2, 2)
    assert k.first_response_mean_minutes == pytest.approx(20.0)
    assert k.resolution_median_minutes == pytest.approx(200.0)
    assert k.first_contact_resolution_rate == pytest.approx(0.25)
    assert k.reopen_rate == pytest.approx(0.25) and k.complaint_rate == pytest.approx(0.25)
    assert (k.sla_opportunities, k.sla_breaches) == (6, 2)
    assert k.sla_compliance == pytest.approx(4 / 6)
    assert k.sigma_level == pytest.approx(sigma_level(2, 6))
    assert math.isclose(k.dpmo or 0, 2 / 6 * 1e6)


def test_shifts() -> None:
    assert shift_of(datetime(2026, 1, 1, 6, 0)) is Shift.MORNING  # noqa: DTZ001
    assert shift_of(datetime(2026, 1, 1, 14, 0)) is Shift.AFTERNOON  # noqa: DTZ001
    assert shift_of(datetime(2026, 1, 1, 5, 59)) is Shift.NIGHT  # noqa: DTZ001


def test_candidates_from_identities_and_names() -> None:
    phone = (IdentityKind.PHONE, "13800138000")
    profiles = [
        CustomerProfile(1, "Zhang San", frozenset({phone})),
        CustomerProfile(2, "Wang Wu", frozenset({phone})),  # another name: a family's phone
        CustomerProfile(3, "张三", frozenset({phone})),
        CustomerProfile(4, "Li Si Hotel Guest", frozenset()),
        CustomerProfile(5, "li si  hotel guest", frozenset()),  # a name alone: too weak
    ]
    found = {(m.a_id, m.b_id): m for m in search_candidates(profiles).candidates}
    assert set(found) == {(1, 3)}
    assert found[(1, 3)].score >= 88
    same, similar = found[(1, 3)].reasons
    assert (same.code, dict(same.params), str(same)) == (
        "same_phone",
        {"value": "13800138000"},
        "same phone 13800138000",
    )
    assert similar.code == "similar_names" and similar.params == {"score": 100.0}
    assert str(similar) == "similar names (100)"


holdings = st.dictionaries(
    st.tuples(st.sampled_from(HOLDING_KINDS), st.integers(1, 60)), st.integers(1, 4), max_size=60
)


@given(
    holdings,
    st.integers(1, 4),
    st.integers(1, 4),
    st.lists(st.tuples(st.sampled_from(HOLDING_KINDS), st.integers(61, 90)), max_size=5),
)
def test_merge_then_unmerge_loses_nothing(
    owners: dict[tuple[str, int], int],
    survivor: int,
    merged: int,
    created_after: list[tuple[str, int]],
) -> None:
    if survivor == merged:
        with pytest.raises(RuleViolation):
            apply_merge(owners, survivor_id=survivor, merged_id=merged, merged_already=frozenset())
        return
    after, record = apply_merge(
        owners, survivor_id=survivor, merged_id=merged, merged_already=frozenset()
    )
    assert set(after) == set(owners)
    assert merged not in after.values()
    for row in created_after:  # rows added to the survivor after the merge stay with it
        after[row] = survivor
    back = apply_unmerge(after, record)
    for key, owner in owners.items():
        assert back[key] == owner
    for row in created_after:
        assert back[row] == survivor
