"""The search plan: which patterns typed text yields, tier by tier."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from touchpoint.domain.customer_search import MatchTier, Pattern, search_plan


def _identities(q: str, tier: MatchTier) -> list[Pattern]:
    return [p for t in search_plan(q) if t.tier is tier for p in t.identities]


def _names(q: str, tier: MatchTier) -> list[Pattern]:
    return [p for t in search_plan(q) if t.tier is tier for p in t.names]


def test_blank_and_control_text_searches_nothing() -> None:
    assert search_plan("") == ()
    assert search_plan(" \t\n") == ()
    assert search_plan("\x00\x02") == ()


def test_typed_phone_numbers_are_also_searched_as_digits() -> None:
    assert [p.text for p in _identities("138-0013 (8000)", MatchTier.FRAGMENT)] == [
        "138-0013 (8000)",
        "13800138000",
    ]
    assert _identities("+86 138 0013", MatchTier.PREFIX)[-1] == Pattern("1380013", at_start=True)
    assert _identities("0086 1380", MatchTier.FRAGMENT)[-1].text == "1380"
    assert _identities("１３８００", MatchTier.FRAGMENT) == [Pattern("13800")]  # full-width


def test_identities_under_four_characters_are_only_whole_values() -> None:
    assert [t.tier for t in search_plan("911") if t.identities] == [MatchTier.EXACT]
    assert _identities("911", MatchTier.EXACT) == [Pattern("911", at_start=True, at_end=True)]


def test_names_by_length() -> None:
    assert _names("王", MatchTier.FRAGMENT) == []
    assert _names("王", MatchTier.PREFIX) == [Pattern("王", at_start=True)]
    assert _names("小明", MatchTier.FRAGMENT) == [Pattern("小明", at_end=True)]
    assert _names("Wang  Fang", MatchTier.FRAGMENT) == [Pattern("Wang Fang")]


def test_identity_keys_are_case_folded_like_normalised_identities() -> None:
    assert [p.text for p in _identities("ACC-Straße", MatchTier.FRAGMENT)] == [
        "acc-strasse",
        "acc-straße",
    ]


@given(st.text(max_size=30))
def test_every_pattern_can_be_answered_by_a_trigram_index(q: str) -> None:
    tiers = search_plan(q)
    assert [t.tier for t in tiers] == sorted(t.tier for t in tiers)
    for t in tiers:
        for p in (*t.names, *t.identities):
            anchors = 2 * (p.at_start + p.at_end)  # each anchor is a two-character marker
            assert len(p.text) + anchors >= 3, (q, p)
            assert p.text == p.text.strip() and "\x00" not in p.text
