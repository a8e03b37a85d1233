"""Fellegi–Sunter match weights of merge candidates: a family sharing a phone is not one
person, one person in other characters or pinyin with a shared phone is, a common name
alone says less than a rare one, and no name alone makes a candidate."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.match_weights import (
    DeskFrequencies,
    IdentityLevel,
    NameLevel,
    compare_names,
    exact_name_key,
    identity_comparisons,
    match_probability,
    name_only_ceiling,
    spelling_keys,
)
from touchpoint.domain.merge import (
    DEFAULT_NAME_THRESHOLD,
    CustomerProfile,
    match_weight,
    score_pair,
)

PHONE, EMAIL = IdentityKind.PHONE, IdentityKind.EMAIL
MOBILE = frozenset({(PHONE, "13912345678")})
DESK = DeskFrequencies(1_000_000, {})


Idents = frozenset[tuple[IdentityKind, str]]


def _pair(a: str, b: str, ia: Idents = MOBILE, ib: Idents = MOBILE) -> float:
    found = score_pair(
        CustomerProfile(1, a, ia), CustomerProfile(2, b, ib), name_threshold=0, frequencies=DESK
    )
    assert found is not None
    return found.score


def test_a_family_sharing_a_phone_is_not_a_candidate() -> None:
    assert _pair("王建国", "王丽") < DEFAULT_NAME_THRESHOLD
    assert _pair("John Smith", "Mary Smith") < DEFAULT_NAME_THRESHOLD


@pytest.mark.parametrize(
    "other",
    ["張偉明", "Zhang Weiming", "Weiming Zhang", "zhangweiming", "张伟明", "张玮明", "张伟铭"],
)
def test_one_person_in_other_characters_or_pinyin_with_a_shared_phone_is(other: str) -> None:
    formatted = frozenset({(PHONE, "13912345678")})
    assert _pair("张伟明", other, MOBILE, formatted) >= DEFAULT_NAME_THRESHOLD


def test_a_common_name_alone_scores_below_a_rare_one() -> None:
    common, rare = "王伟", "欧阳明华"
    desk = DeskFrequencies(1_000_000, {exact_name_key(common): 3_000, exact_name_key(rare): 2})
    nothing: frozenset[tuple[IdentityKind, str]] = frozenset()

    def alone(name: str) -> float:
        weight, _ = match_weight(
            CustomerProfile(1, name, nothing), CustomerProfile(2, name, nothing), desk
        )
        return weight

    assert alone(common) < alone(rare)
    assert match_probability(alone(rare)) <= name_only_ceiling() < 0.5
    # With a shared phone both are one person, the rare name more surely.
    shared = MOBILE
    w_common, _ = match_weight(
        CustomerProfile(1, common, shared), CustomerProfile(2, common, shared), desk
    )
    w_rare, _ = match_weight(
        CustomerProfile(1, rare, shared), CustomerProfile(2, rare, shared), desk
    )
    assert w_common < w_rare
    assert 100 * match_probability(w_common) >= DEFAULT_NAME_THRESHOLD


def test_conflicting_phones_are_evidence_against() -> None:
    other = frozenset({(PHONE, "13511112222")})
    none: frozenset[tuple[IdentityKind, str]] = frozenset()
    assert _pair("Catherine Miller", "Catherine Miller", MOBILE, other) < _pair(
        "Catherine Miller", "Catherine Miller", MOBILE, none
    )
    found = score_pair(
        CustomerProfile(1, "李雷", MOBILE | {(EMAIL, "lilei@example.cn")}),
        CustomerProfile(2, "Li Lei", other | {(EMAIL, "lilei+x@example.cn")}),
        name_threshold=0,
    )
    assert found is not None
    assert [str(r) for r in found.reasons] == [
        "same email lilei@example.cn",
        "different phones",
        "similar names (100)",
    ]


def test_levels() -> None:
    assert compare_names("Smith, John", "John Smith", DESK).level is NameLevel.EXACT
    assert compare_names("張偉", "Zhang Wei", DESK).level is NameLevel.SPELLED
    assert compare_names("Catherine Miller", "Catherine Millr", DESK).level is NameLevel.CLOSE
    assert compare_names("李建国", "李建图", DESK).level is NameLevel.CLOSE
    assert compare_names("李建", "李图", DESK).level is NameLevel.DIFFERENT
    assert compare_names("", "李图", DESK).level is NameLevel.MISSING
    assert spelling_keys("王小明") >= {"sp:wangxiaoming", "sp:xiaomingwang"}
    (phone,) = identity_comparisons([(PHONE, "01088881234")], [(PHONE, "88881234")])
    assert (phone.level, phone.shared) == (IdentityLevel.TAIL, ("…8881234",))
    (mail,) = identity_comparisons([(EMAIL, "a.b+x@gmail.com")], [(EMAIL, "ab@googlemail.com")])
    assert mail.level is IdentityLevel.AGREE
    (missing,) = identity_comparisons([(PHONE, "13912345678")], [])
    assert missing.level is IdentityLevel.MISSING and missing.weight(DESK) == 0.0


@given(st.integers(10, 10**8), st.floats(-60, 60))
def test_name_only_ceiling_holds_on_any_desk(size: int, weight: float) -> None:
    desk = DeskFrequencies(size, {})
    ghost: frozenset[tuple[IdentityKind, str]] = frozenset()
    w, _ = match_weight(
        CustomerProfile(1, "欧阳明华", ghost), CustomerProfile(2, "欧阳明华", ghost), desk
    )
    assert match_probability(w) <= name_only_ceiling() + 1e-12
    p = match_probability(weight)
    assert 0.0 <= p <= 1.0 and math.isclose(p, 1 / (1 + 2**-weight), rel_tol=1e-9)
