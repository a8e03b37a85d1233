"""Built-in survey templates (issue 22): the raw JSON definition of each, as a plain dict.

``POST /api/surveys`` with ``{"template": T}`` stores what :func:`template_definition`
returns, and the definition parser (``survey_definition``) checks it like any hand-written
definition. Question ids, their order and their scales are a contract: the wave exports
name their columns after the ids in this order, and ``touchpoint analyze`` reads them.

Templates (every item is optional unless marked required):

==================  ===============================================================
``servqual``        ``E1``–``E22`` expectations, then ``P1``–``P22`` perceptions; 1–7
                    (PZB 1988/1991: tangibles 1–4, reliability 5–9, responsiveness
                    10–13, assurance 14–17, empathy 18–22)
``servqual-zone``   ``A1``–``A22`` adequate (minimum), ``D1``–``D22`` desired,
                    ``P1``–``P22`` perceived; 1–9 (PZB 1994)
``kano``            per feature, in the given order: ``<key>_f`` (functional) then
                    ``<key>_d`` (dysfunctional); 1–5 = like, must-be, neutral,
                    live-with, dislike (DOMAIN.md §3.3)
``nps``             ``NPS`` 0–10 (required), ``COMMENT`` text
``csat``            ``CSAT`` 1–5 (required), ``COMMENT`` text
``ces``             ``CES`` 1–7 (required), ``COMMENT`` text
``return-visit``    ``CSAT`` 1–5 (required), ``NPS`` 0–10, ``COMMENT``, then
                    ``J_DIST``, ``J_PROC``, ``J_INTER`` 1–5 (perceived justice), shown
                    only when the invitation's ``order_type`` is ``complaint``
``critical-incident`` ``CI_STORY`` text (required), ``CI_VALENCE`` choice ``good`` /
                    ``bad`` (required), ``CI_WHEN``, ``CI_WHERE`` text
``five-element``    20 items ``FE_<ELEMENT>_<TARGET>_<WHOM>``, 1–7 (table below)
==================  ===============================================================

Five-element ids (五大要素, DOMAIN.md §3.1), in this order: all of ``US`` (our service),
then all of ``COMP`` (the competitor the wave names); within each, element by element,
environment before staff:

=============  ===================  =====================  =====================
ELEMENT        meaning              TARGET                 WHOM
=============  ===================  =====================  =====================
``TAN``        有形度 tangibility    ``ENV`` 环境 environment  ``US`` our service
``EMP``        同理度 empathy        ``STAFF`` 人员 staff      ``COMP`` the competitor
``RES``        反应度 responsiveness
``PRO``        专业度 professionalism
``REL``        信赖度 reliability
=============  ===================  =====================  =====================

e.g. ``FE_TAN_ENV_US``, ``FE_TAN_STAFF_US``, ``FE_EMP_ENV_US`` … ``FE_REL_STAFF_COMP``.
The competitor's items carry the placeholder :data:`COMPETITOR_PLACEHOLDER`
(``{competitor}``) literally in their zh-CN and en text; the respondent page substitutes
the name the wave gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_definition import LANGUAGES
from touchpoint.domain.survey_texts import (
    AGREE_5,
    AGREE_7,
    CSAT_5,
    FIVE_ELEMENT_TARGETS,
    FIVE_ELEMENTS,
    KANO_ANSWERS,
    SERVQUAL_ITEMS,
    Bilingual,
)

__all__ = [
    "COMPETITOR_PLACEHOLDER",
    "FIVE_ELEMENT_IDS",
    "ITEM_BATTERIES",
    "LANGUAGES",
    "TEMPLATE_NAMES",
    "template_definition",
]

TEMPLATE_NAMES: tuple[str, ...] = (
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
"""The built-in templates, in the order the builder offers them."""

ITEM_BATTERIES: frozenset[str] = frozenset({"servqual", "servqual-zone", "kano", "five-element"})
"""The templates whose items are analysed as a set (gap scores, zones, Kano pairs, the
five elements), where an item left blank weakens the analysis: their respondent page
asks before "submit" leaves items blank (the short NPS, CSAT, CES and return-visit forms
do not: their follow-ups are optional by design)."""

COMPETITOR_PLACEHOLDER = "{competitor}"
"""Stands for the competitor's name in the five-element ``COMP`` items' text."""

FIVE_ELEMENT_IDS: tuple[str, ...] = tuple(
    f"FE_{element.code}_{target}_{whom}"
    for whom in ("US", "COMP")
    for element in FIVE_ELEMENTS
    for target, _ in FIVE_ELEMENT_TARGETS
)
"""The five-element template's 20 question ids, in the definition's order."""

_FEATURE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_COMMENT_MAX_LENGTH = 2000
_STORY_MAX_LENGTH = 4000
_COMPLAINT_ONLY: dict[str, str] = {"context": "order_type", "equals": "complaint"}

Definition = dict[str, Any]
"""A raw survey definition: JSON-shaped, as the definition parser reads it."""


def _tx(zh: str, en: str) -> dict[str, str]:
    """A bilingual text object ``{"zh-CN": zh, "en": en}``."""
    return {"zh-CN": zh, "en": en}


def _bi(pair: Bilingual) -> dict[str, str]:
    """A bilingual text object from a ``(zh-CN, en)`` pair of :mod:`survey_texts`."""
    return _tx(pair[0], pair[1])


def _labels(labels: Sequence[Bilingual], first: int = 1) -> dict[str, dict[str, str]]:
    """A scale's per-value labels, ``{"1": {...}, ...}``, from its labels in value order."""
    return {str(first + offset): _bi(label) for offset, label in enumerate(labels)}


def _scale(
    qid: str,
    low: int,
    high: int,
    text: dict[str, str],
    *,
    required: bool = False,
    anchors: tuple[Bilingual, Bilingual] | None = None,
    labels: Sequence[Bilingual] | None = None,
    matrix: str | None = None,
    show_if: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An integer scale question from ``low`` to ``high``; optional keys only when given,
    so the definition stays as small as a hand-written one."""
    question: dict[str, Any] = {
        "id": qid,
        "type": "scale",
        "min": low,
        "max": high,
        "required": required,
        "text": text,
    }
    if anchors is not None:
        question["anchors"] = {"min": _bi(anchors[0]), "max": _bi(anchors[1])}
    if labels is not None:
        question["labels"] = _labels(labels, low)
    if matrix is not None:
        question["matrix"] = matrix
    if show_if is not None:
        question["show_if"] = dict(show_if)
    return question


def _free_text(
    qid: str, text: dict[str, str], *, required: bool = False, max_length: int = _COMMENT_MAX_LENGTH
) -> dict[str, Any]:
    """A free-text question of at most ``max_length`` characters."""
    return {"id": qid, "type": "text", "required": required, "text": text, "max_length": max_length}


def _comment() -> dict[str, Any]:
    """The optional closing ``COMMENT`` question shared by the short templates."""
    return _free_text(
        "COMMENT",
        _tx(
            "还有什么想告诉我们的吗？您的意见将帮助我们改进服务。",
            "Is there anything else you would like to tell us? It helps us improve.",
        ),
    )


def _nps_question(*, required: bool) -> dict[str, Any]:
    """``NPS``: likelihood to recommend, 0–10 (Reichheld)."""
    return _scale(
        "NPS",
        0,
        10,
        _tx(
            "您有多大可能向朋友或同事推荐我们？",
            "How likely are you to recommend us to a friend or colleague?",
        ),
        required=required,
        anchors=(("完全不可能", "Not at all likely"), ("极有可能", "Extremely likely")),
    )


def _csat_question() -> dict[str, Any]:
    """``CSAT``: overall satisfaction, 1–5, required."""
    return _scale(
        "CSAT",
        1,
        5,
        _tx(
            "总体而言，您对这次服务的满意程度如何？",
            "Overall, how satisfied are you with our service?",
        ),
        required=True,
        anchors=(CSAT_5[0], CSAT_5[-1]),
        labels=CSAT_5,
    )


def _servqual() -> Definition:
    """PZB's 22 items asked as expectations (E) then perceptions (P), 1–7 agreement."""
    anchors = (AGREE_7[0], AGREE_7[-1])
    expectations = [
        _scale(f"E{n}", 1, 7, _bi(item.expectation), anchors=anchors, matrix="expectations")
        for n, item in enumerate(SERVQUAL_ITEMS, start=1)
    ]
    perceptions = [
        _scale(f"P{n}", 1, 7, _bi(item.perception), anchors=anchors, matrix="perceptions")
        for n, item in enumerate(SERVQUAL_ITEMS, start=1)
    ]
    return {
        "title": _tx("服务质量调查（SERVQUAL）", "Service quality survey (SERVQUAL)"),
        "intro": _tx(
            "本问卷分两部分：先请您说出对同类服务中卓越企业的期望，再请您评价本公司的实际"
            "表现。1 表示非常不同意，7 表示非常同意；没有对错之分，不确定的题目可以跳过。",
            "This survey has two parts: first what you expect of excellent companies in this "
            "kind of service, then how you see this company. 1 means strongly disagree, 7 "
            "strongly agree; there are no right or wrong answers, and you may skip any item.",
        ),
        "anonymous": False,
        "matrices": {
            "expectations": _tx(
                "第一部分：您对卓越服务企业的期望", "Part 1: what you expect of excellent companies"
            ),
            "perceptions": _tx("第二部分：您对本公司的评价", "Part 2: how you see this company"),
        },
        "questions": expectations + perceptions,
    }


def _servqual_zone() -> Definition:
    """The zone of tolerance (PZB 1994): adequate, desired and perceived level of each
    of the 22 attributes on a 1–9 scale, as three grids in that order."""
    anchors: tuple[Bilingual, Bilingual] = (("低", "Low"), ("高", "High"))
    columns = (("A", "adequate"), ("D", "desired"), ("P", "perceived"))
    questions = [
        _scale(f"{prefix}{n}", 1, 9, _bi(item.attribute), anchors=anchors, matrix=matrix)
        for prefix, matrix in columns
        for n, item in enumerate(SERVQUAL_ITEMS, start=1)
    ]
    return {
        "title": _tx("服务质量容忍区域调查", "Service quality zone-of-tolerance survey"),
        "intro": _tx(
            "对下列每一项服务特征，请分别给出您能接受的最低服务水平、您理想的服务水平，以及"
            "您认为本公司实际提供的服务水平。1 表示低，9 表示高；不确定的题目可以跳过。",
            "For each feature of the service below, please rate the minimum level you would "
            "accept, the level you desire, and the level you believe this company delivers. "
            "1 means low, 9 high; you may skip any item.",
        ),
        "anonymous": False,
        "matrices": {
            "adequate": _tx(
                "最低服务水平：您能接受的最低水平",
                "Minimum service level: the least you would accept",
            ),
            "desired": _tx(
                "理想服务水平：您希望得到的水平", "Desired service level: the level you want"
            ),
            "perceived": _tx(
                "感知服务水平：本公司实际提供的水平",
                "Perceived service level: what this company delivers",
            ),
        },
        "questions": questions,
    }


def _check_label(index: int, label: object) -> dict[str, str]:
    """A feature's ``label``: exactly the two languages, each a non-empty string."""
    where = f"template: features[{index}].label"
    if not isinstance(label, dict):
        raise DomainError(f"{where}: must be an object with 'zh-CN' and 'en'")
    extra = sorted(str(key) for key in label if key not in LANGUAGES)
    if extra:
        raise DomainError(f"{where}: unknown language {extra[0]!r}; only 'zh-CN' and 'en'")
    checked: dict[str, str] = {}
    for lang in LANGUAGES:
        text = label.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise DomainError(f"{where}.{lang}: must be a non-empty string, got {text!r}")
        checked[lang] = text.strip()
    return checked


def _check_features(features: object) -> list[tuple[str, dict[str, str]]]:
    """The Kano features as ``(key, label)``: a non-empty list of ``{"key", "label"}``,
    keys matching ``[A-Za-z][A-Za-z0-9_]{0,39}`` and unique ignoring case (the exports'
    column names are read by tools that fold case, e.g. SQL engines)."""
    if not isinstance(features, list) or not features:
        raise DomainError("template: features: kano needs a non-empty list of features")
    checked: list[tuple[str, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        if not isinstance(feature, dict):
            raise DomainError(f"template: features[{index}]: must be an object with key and label")
        extra = sorted(str(field) for field in feature if field not in ("key", "label"))
        if extra:
            raise DomainError(f"template: features[{index}]: unknown field {extra[0]!r}")
        key = feature.get("key")
        if not isinstance(key, str) or not _FEATURE_KEY.fullmatch(key):
            raise DomainError(
                f"template: features[{index}].key: {key!r} must match [A-Za-z][A-Za-z0-9_]{{0,39}}"
            )
        if key.casefold() in seen:
            raise DomainError(
                f"template: features[{index}].key: {key!r} repeats features"
                f"[{seen[key.casefold()]}].key"
            )
        seen[key.casefold()] = index
        checked.append((key, _check_label(index, feature.get("label"))))
    return checked


def _kano(features: object) -> Definition:
    """A functional then a dysfunctional question per feature, answered on Kano's five
    labelled answers (1 like … 5 dislike, DOMAIN.md §3.3)."""
    anchors = (KANO_ANSWERS[0], KANO_ANSWERS[-1])
    questions: list[dict[str, Any]] = []
    for key, label in _check_features(features):
        zh, en = label["zh-CN"], label["en"]
        functional = _tx(
            f"如果服务具备「{zh}」，您觉得如何？", f"If the service has {en}, how do you feel?"
        )
        dysfunctional = _tx(
            f"如果服务不具备「{zh}」，您觉得如何？",
            f"If the service does not have {en}, how do you feel?",
        )
        questions.append(_scale(f"{key}_f", 1, 5, functional, anchors=anchors, labels=KANO_ANSWERS))
        questions.append(
            _scale(f"{key}_d", 1, 5, dysfunctional, anchors=anchors, labels=KANO_ANSWERS)
        )
    return {
        "title": _tx("服务功能需求调查（Kano）", "Service feature survey (Kano)"),
        "intro": _tx(
            "每项功能有两个问题：服务具备该功能时您的感受，以及不具备时您的感受。"
            "请按第一感觉作答。",
            "Each feature has two questions: how you feel if the service has it, and how you "
            "feel if it does not. Please answer with your first impression.",
        ),
        "anonymous": False,
        "questions": questions,
    }


def _nps() -> Definition:
    """Net Promoter Score: likelihood to recommend 0–10 (required) and a comment."""
    return {
        "title": _tx("推荐意愿调查", "Would you recommend us?"),
        "anonymous": False,
        "questions": [_nps_question(required=True), _comment()],
    }


def _csat() -> Definition:
    """Customer satisfaction: overall satisfaction 1–5 (required) and a comment."""
    return {
        "title": _tx("服务满意度调查", "Customer satisfaction survey"),
        "anonymous": False,
        "questions": [_csat_question(), _comment()],
    }


def _ces() -> Definition:
    """Customer effort: "the company made it easy …", 1–7 agreement (required), comment."""
    ces = _scale(
        "CES",
        1,
        7,
        _tx(
            "本公司让我很轻松地办好了我的事情。",
            "The company made it easy for me to handle my issue.",
        ),
        required=True,
        anchors=(AGREE_7[0], AGREE_7[-1]),
        labels=AGREE_7,
    )
    return {
        "title": _tx("服务便捷度调查", "Customer effort survey"),
        "anonymous": False,
        "questions": [ces, _comment()],
    }


def _return_visit() -> Definition:
    """The return visit (回访) after an order: satisfaction (required), recommendation and a
    comment; for a complaint also the three perceived-justice items of service recovery
    (distributive, procedural, interactional), 1–5 agreement."""
    anchors = (AGREE_5[0], AGREE_5[-1])
    justice = (
        (
            "J_DIST",
            _tx("投诉的处理结果是公平的。", "The outcome of my complaint was fair."),
        ),
        (
            "J_PROC",
            _tx(
                "投诉的处理方式和过程公平、及时。",
                "The way my complaint was handled was fair and timely.",
            ),
        ),
        (
            "J_INTER",
            _tx(
                "处理投诉的人员对我礼貌、尊重。",
                "I was treated with courtesy and respect while my complaint was handled.",
            ),
        ),
    )
    questions = [_csat_question(), _nps_question(required=False), _comment()]
    questions += [
        _scale(qid, 1, 5, text, anchors=anchors, labels=AGREE_5, show_if=_COMPLAINT_ONLY)
        for qid, text in justice
    ]
    return {
        "title": _tx("服务回访", "Follow-up on your request"),
        "intro": _tx(
            "感谢您联系我们。请花一分钟告诉我们这次服务的情况。",
            "Thank you for contacting us. Please take a minute to tell us how it went.",
        ),
        "anonymous": False,
        "questions": questions,
    }


def _critical_incident() -> Definition:
    """Bitner's critical incident technique: one memorable encounter, told freely, marked
    good or bad, with when and where (coded later, DOMAIN.md §3.6)."""
    story = _free_text(
        "CI_STORY",
        _tx(
            "请回想您与我们打交道时一次印象特别深刻（特别好或特别差）的具体经历：发生了什么？"
            "员工说了什么、做了什么？为什么让您印象深刻？",
            "Please think of one specific occasion in your dealings with us that you remember "
            "as especially good or especially bad: what happened, what did our staff say or "
            "do, and why does it stay with you?",
        ),
        required=True,
        max_length=_STORY_MAX_LENGTH,
    )
    valence = {
        "id": "CI_VALENCE",
        "type": "choice",
        "required": True,
        "text": _tx(
            "总的来说，这次经历是好是坏？", "Overall, was this a good or a bad experience?"
        ),
        "options": [
            {"value": "good", "label": _tx("好的经历", "A good experience")},
            {"value": "bad", "label": _tx("不好的经历", "A bad experience")},
        ],
    }
    when = _free_text(
        "CI_WHEN",
        _tx("这件事大约发生在什么时候？", "Roughly when did it happen?"),
        max_length=200,
    )
    where = _free_text(
        "CI_WHERE",
        _tx(
            "这件事发生在哪里（哪个网点、渠道或环节）？",
            "Where did it happen (which site, channel or step)?",
        ),
        max_length=200,
    )
    return {
        "title": _tx("难忘的服务经历", "A service experience you remember"),
        "anonymous": False,
        "questions": [story, valence, when, where],
    }


def _five_element() -> Definition:
    """The training's five-element variant (五大要素): each element rated for the
    environment and the staff, first for us, then for the competitor the wave names."""
    anchors: tuple[Bilingual, Bilingual] = (("非常差", "Very poor"), ("非常好", "Excellent"))
    whoms = (
        ("US", "five_element_us", "本公司", "our"),
        ("COMP", "five_element_comp", COMPETITOR_PLACEHOLDER, f"{COMPETITOR_PLACEHOLDER}'s"),
    )
    questions: list[dict[str, Any]] = []
    for whom, matrix, owner_zh, owner_en in whoms:
        for element in FIVE_ELEMENTS:
            for target, target_name in FIVE_ELEMENT_TARGETS:
                meaning = element.environment if target == "ENV" else element.staff
                text = _tx(
                    f"{owner_zh}{target_name[0]}的{element.name[0]}：{meaning[0]}",
                    f"{element.name[1]} of {owner_en} {target_name[1].lower()}: {meaning[1]}",
                )
                qid = f"FE_{element.code}_{target}_{whom}"
                questions.append(_scale(qid, 1, 7, text, anchors=anchors, matrix=matrix))
    return {
        "title": _tx("服务五大要素评价", "Five elements of service"),
        "intro": _tx(
            f"请评价本公司和{COMPETITOR_PLACEHOLDER}的环境与人员在有形度、同理度、反应度、"
            "专业度和信赖度五个方面的表现。1 表示非常差，7 表示非常好；不了解的题目可以跳过。",
            f"Please rate our environment and staff, and those of {COMPETITOR_PLACEHOLDER}, on "
            "tangibility, empathy, responsiveness, professionalism and reliability. 1 means "
            "very poor, 7 excellent; skip any item you cannot judge.",
        ),
        "anonymous": False,
        "matrices": {
            "five_element_us": _tx("本公司", "Our service"),
            "five_element_comp": _tx(COMPETITOR_PLACEHOLDER, COMPETITOR_PLACEHOLDER),
        },
        "questions": questions,
    }


_BUILDERS: dict[str, Callable[[], Definition]] = {
    "servqual": _servqual,
    "servqual-zone": _servqual_zone,
    "nps": _nps,
    "csat": _csat,
    "ces": _ces,
    "return-visit": _return_visit,
    "critical-incident": _critical_incident,
    "five-element": _five_element,
}


def template_definition(name: str, *, features: list[dict[str, Any]] | None = None) -> Definition:
    """The raw definition of the built-in template ``name``, a fresh dict on every call
    (the caller may store or change it).

    ``features`` (``[{"key": str, "label": {"zh-CN": str, "en": str}}]``) is required for
    ``kano`` and refused for every other template, so a misplaced list is not silently
    dropped. Raises :class:`DomainError` naming the unknown template or the bad feature.
    """
    if name == "kano":
        if features is None:
            raise DomainError("template: features: kano needs a non-empty list of features")
        return _kano(features)
    builder = _BUILDERS.get(name)
    if builder is None:
        raise DomainError(
            f"template: unknown template {name!r}; one of {', '.join(TEMPLATE_NAMES)}"
        )
    if features is not None:
        raise DomainError(
            f"template: features: only the kano template takes features, not {name!r}"
        )
    return builder()
