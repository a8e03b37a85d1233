"""Built-in survey templates (issue 22 item 1): ids, order, scales, required flags and
wording are the contract the exports and ``touchpoint analyze`` rely on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_templates import (
    COMPETITOR_PLACEHOLDER,
    FIVE_ELEMENT_IDS,
    TEMPLATE_NAMES,
    template_definition,
)

FEATURES: list[dict[str, Any]] = [
    {"key": "wifi", "label": {"zh-CN": "免费无线网络", "en": "free Wi-Fi"}},
    {"key": "Late_checkout2", "label": {"zh-CN": "延迟退房", "en": "late check-out"}},
]


def _definition(name: str) -> dict[str, Any]:
    return template_definition(name, features=FEATURES if name == "kano" else None)


def _ids(name: str) -> list[str]:
    return [q["id"] for q in _definition(name)["questions"]]


def _by_id(name: str) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in _definition(name)["questions"]}


def _texts(node: object) -> Iterator[dict[str, Any]]:
    """Every bilingual text object inside a definition (any dict holding a 'zh-CN' key)."""
    if isinstance(node, dict):
        if "zh-CN" in node or "en" in node:
            yield node
            return
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


def test_template_names_are_the_contract() -> None:
    assert TEMPLATE_NAMES == (
        "servqual",
        "servqual-zone",
        "kano",
        "nps",
        "csat",
        "ces",
        "return-visit",
        "critical-incident",
        "five-element",
    )


def test_servqual_ids_scale_and_matrices() -> None:
    expected = [f"E{n}" for n in range(1, 23)] + [f"P{n}" for n in range(1, 23)]
    assert _ids("servqual") == expected
    definition = _definition("servqual")
    for question in definition["questions"]:
        assert question["type"] == "scale"
        assert (question["min"], question["max"], question["required"]) == (1, 7, False)
        assert question["matrix"] == ("expectations" if question["id"][0] == "E" else "perceptions")
        assert question["anchors"]["min"] == {"zh-CN": "非常不同意", "en": "Strongly disagree"}
        assert question["anchors"]["max"] == {"zh-CN": "非常同意", "en": "Strongly agree"}
    assert set(definition["matrices"]) == {"expectations", "perceptions"}
    by_id = _by_id("servqual")
    assert by_id["E1"]["text"]["en"].startswith("Excellent companies will")
    assert by_id["P1"]["text"]["en"].startswith("This company")
    assert by_id["E1"]["text"] != by_id["E2"]["text"]


def test_servqual_zone_ids_and_nine_point_scale() -> None:
    expected = [f"{p}{n}" for p in "ADP" for n in range(1, 23)]
    assert _ids("servqual-zone") == expected
    definition = _definition("servqual-zone")
    matrix_of = {"A": "adequate", "D": "desired", "P": "perceived"}
    for question in definition["questions"]:
        assert (question["type"], question["min"], question["max"]) == ("scale", 1, 9)
        assert question["required"] is False
        assert question["matrix"] == matrix_of[question["id"][0]]
    assert set(definition["matrices"]) == {"adequate", "desired", "perceived"}
    by_id = _by_id("servqual-zone")
    assert by_id["A11"]["text"] == by_id["D11"]["text"] == by_id["P11"]["text"]


def test_kano_functional_then_dysfunctional_per_feature_in_order() -> None:
    assert _ids("kano") == ["wifi_f", "wifi_d", "Late_checkout2_f", "Late_checkout2_d"]
    by_id = _by_id("kano")
    for question in by_id.values():
        assert (question["type"], question["min"], question["max"]) == ("scale", 1, 5)
        assert question["required"] is False
        assert list(question["labels"]) == ["1", "2", "3", "4", "5"]
        zh = [question["labels"][v]["zh-CN"] for v in "12345"]
        assert zh == ["我喜欢", "理所当然", "无所谓", "能忍受", "我不喜欢"]
    assert "free Wi-Fi" in by_id["wifi_f"]["text"]["en"]
    assert "免费无线网络" in by_id["wifi_d"]["text"]["zh-CN"]
    assert "not" in by_id["wifi_d"]["text"]["en"]
    assert "not" not in by_id["wifi_f"]["text"]["en"]


@pytest.mark.parametrize(
    ("name", "qid", "low", "high"),
    [("nps", "NPS", 0, 10), ("csat", "CSAT", 1, 5), ("ces", "CES", 1, 7)],
)
def test_single_score_templates(name: str, qid: str, low: int, high: int) -> None:
    assert _ids(name) == [qid, "COMMENT"]
    score, comment = _definition(name)["questions"]
    assert (score["type"], score["min"], score["max"], score["required"]) == (
        "scale",
        low,
        high,
        True,
    )
    assert (comment["type"], comment["required"]) == ("text", False)
    assert comment["max_length"] > 0


def test_scale_labels_cover_exactly_the_scale() -> None:
    for name in TEMPLATE_NAMES:
        for question in _definition(name)["questions"]:
            if "labels" in question:
                values = [str(v) for v in range(question["min"], question["max"] + 1)]
                assert list(question["labels"]) == values, question["id"]


def test_return_visit_justice_only_for_complaints() -> None:
    assert _ids("return-visit") == ["CSAT", "NPS", "COMMENT", "J_DIST", "J_PROC", "J_INTER"]
    by_id = _by_id("return-visit")
    assert (by_id["CSAT"]["min"], by_id["CSAT"]["max"], by_id["CSAT"]["required"]) == (1, 5, True)
    assert (by_id["NPS"]["min"], by_id["NPS"]["max"], by_id["NPS"]["required"]) == (0, 10, False)
    assert by_id["COMMENT"]["required"] is False
    for qid in ("J_DIST", "J_PROC", "J_INTER"):
        question = by_id[qid]
        assert (question["min"], question["max"], question["required"]) == (1, 5, False)
        assert question["show_if"] == {"context": "order_type", "equals": "complaint"}
    assert all("show_if" not in by_id[q] for q in ("CSAT", "NPS", "COMMENT"))


def test_critical_incident() -> None:
    assert _ids("critical-incident") == ["CI_STORY", "CI_VALENCE", "CI_WHEN", "CI_WHERE"]
    by_id = _by_id("critical-incident")
    assert (by_id["CI_STORY"]["type"], by_id["CI_STORY"]["required"]) == ("text", True)
    valence = by_id["CI_VALENCE"]
    assert (valence["type"], valence["required"]) == ("choice", True)
    assert [o["value"] for o in valence["options"]] == ["good", "bad"]
    for qid in ("CI_WHEN", "CI_WHERE"):
        assert (by_id[qid]["type"], by_id[qid]["required"]) == ("text", False)


def test_five_element_twenty_unique_ids() -> None:
    ids = _ids("five-element")
    assert len(ids) == len(set(ids)) == 20
    assert tuple(ids) == FIVE_ELEMENT_IDS
    assert ids[0] == "FE_TAN_ENV_US"
    expected = {
        f"FE_{e}_{t}_{w}"
        for e in ("TAN", "EMP", "RES", "PRO", "REL")
        for t in ("ENV", "STAFF")
        for w in ("US", "COMP")
    }
    assert set(ids) == expected
    for question in _definition("five-element")["questions"]:
        assert (question["type"], question["min"], question["max"]) == ("scale", 1, 7)
        assert question["required"] is False
        is_comp = question["id"].endswith("_COMP")
        for lang in ("zh-CN", "en"):
            assert (COMPETITOR_PLACEHOLDER in question["text"][lang]) is is_comp


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_text_is_bilingual_and_non_empty(name: str) -> None:
    definition = _definition(name)
    assert definition["anonymous"] is False
    texts = list(_texts(definition))
    assert texts
    for text in texts:
        assert set(text) == {"zh-CN", "en"}
        assert all(isinstance(v, str) and v.strip() for v in text.values()), text
    for question in definition["questions"]:
        assert "text" in question
        if "matrix" in question:
            assert question["matrix"] in definition["matrices"]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_definitions_are_json_and_fresh(name: str) -> None:
    first = _definition(name)
    assert json.loads(json.dumps(first)) == first
    first["questions"][0]["text"]["en"] = "changed"
    assert _definition(name)["questions"][0]["text"]["en"] != "changed"


def test_unknown_template_names_it_and_the_choices() -> None:
    with pytest.raises(DomainError, match=r"template: unknown template 'servqal'; one of servqual"):
        template_definition("servqal")


def test_features_only_for_kano() -> None:
    with pytest.raises(DomainError, match="kano needs"):
        template_definition("kano")
    with pytest.raises(DomainError, match="only the kano template takes features, not 'nps'"):
        template_definition("nps", features=FEATURES)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([], r"features: kano needs a non-empty list"),
        (["wifi"], r"features\[0\]: must be an object"),
        ([{"key": "wifi"}], r"features\[0\]\.label: must be an object"),
        (
            [{"key": "1wifi", "label": {"zh-CN": "a", "en": "b"}}],
            r"features\[0\]\.key: '1wifi' must match",
        ),
        ([{"key": "a" * 41, "label": {"zh-CN": "a", "en": "b"}}], r"features\[0\]\.key"),
        ([{"key": "wi-fi", "label": {"zh-CN": "a", "en": "b"}}], r"features\[0\]\.key: 'wi-fi'"),
        ([{"label": {"zh-CN": "a", "en": "b"}}], r"features\[0\]\.key: None"),
        (
            [FEATURES[0], {"key": "WIFI", "label": {"zh-CN": "a", "en": "b"}}],
            r"features\[1\]\.key: 'WIFI' repeats features\[0\]\.key",
        ),
        (
            [FEATURES[0], {"key": "x", "label": {"zh-CN": " ", "en": "b"}}],
            r"features\[1\]\.label\.zh-CN: must be a non-empty string",
        ),
        ([{"key": "x", "label": {"zh-CN": "a"}}], r"features\[0\]\.label\.en: must be a non-empty"),
        (
            [{"key": "x", "label": {"zh-CN": "a", "en": "b", "fr": "c"}}],
            r"features\[0\]\.label: unknown language 'fr'",
        ),
        (
            [{"key": "x", "label": {"zh-CN": "a", "en": "b"}, "extra": 1}],
            r"features\[0\]: unknown field 'extra'",
        ),
    ],
)
def test_bad_features_name_the_problem(features: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        template_definition("kano", features=features)


def test_feature_labels_are_used_verbatim_even_with_braces() -> None:
    features = [{"key": "x", "label": {"zh-CN": "{a}", "en": "{b}"}}]
    first = template_definition("kano", features=features)["questions"][0]
    assert "{a}" in first["text"]["zh-CN"]
    assert "{b}" in first["text"]["en"]
