"""Seeded demo surveys with planted effects: a power utility (95598 hotline) and a hotel.

Pure generators (no I/O, no clock): every function takes a seed and returns
columns as numpy arrays (``NaN`` = a missing answer) or plain documents, so the
demo report tells the same story on every machine:

* **Utility**: customers expect reliability above all (restoration after an
  outage, correct bills) and get it least; responsiveness is worst for callers
  of the 95598 hotline (waiting in the queue) and best in the app; outage SMS
  notification is a must-be feature, a restoration-time estimate is attractive.
* **Hotel**: staff warmth (empathy) exceeds expectations, the ageing rooms and
  facilities (tangibles) fall short; free Wi-Fi is must-be, remembering a
  guest's preferences (guest history, 客史档案) is attractive.

The same generator scales to the benchmark's million respondents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from touchpoint.quality.kano import KANO_TABLE, KanoCategory
from touchpoint.quality.servqual import SERVQUAL_DIMENSIONS, SERVQUAL_ITEMS

__all__ = [
    "INDUSTRIES",
    "Industry",
    "ahp_document",
    "csi_survey",
    "item_wording",
    "kano_survey",
    "servqual_survey",
    "zone_survey",
]

Columns = dict[str, npt.NDArray[Any]]

# The 22 PZB items, reworded per industry: (en, zh).
_UTILITY_ITEMS: tuple[tuple[str, str], ...] = (
    ("Service halls and equipment look modern", "营业厅和设备现代化"),
    ("Service halls are clean and comfortable", "营业厅整洁舒适"),
    ("Staff are neatly dressed and wear badges", "员工着装整洁、佩戴工牌"),
    ("Bills and notices are clear and easy to read", "账单和通知清晰易懂"),
    ("Power is restored by the time promised", "在承诺时间内恢复供电"),
    ("When I report a fault, they show sincere interest in fixing it", "报修时真诚地解决问题"),
    ("Bills are correct the first time", "电费账单一次准确"),
    ("Connections are done on the promised date", "在承诺日期完成装表接电"),
    ("Records of my account are kept without errors", "客户档案准确无误"),
    ("The 95598 hotline tells me exactly when work will be done", "95598告知确切的处理时间"),
    ("The 95598 hotline answers quickly", "95598接听迅速"),
    ("Staff are always willing to help", "员工总是乐于帮助"),
    ("Staff are never too busy to respond", "员工再忙也会及时回应"),
    ("Staff behaviour instils confidence", "员工的行为令人信任"),
    ("I feel safe paying and sharing my data", "缴费和提供个人信息放心"),
    ("Staff are consistently courteous", "员工始终礼貌待人"),
    ("Staff know enough to answer my questions", "员工有足够的专业知识回答问题"),
    ("They give me individual attention", "给予我个别关注"),
    ("Service hours suit all customers", "服务时间方便所有客户"),
    ("Staff give me personal attention", "员工给予我个性化的关心"),
    ("They have my best interests at heart", "真心为客户利益着想"),
    ("Staff understand my specific needs", "员工理解我的具体需求"),
)

_HOTEL_ITEMS: tuple[tuple[str, str], ...] = (
    ("Rooms and facilities look modern", "客房和设施现代化"),
    ("Lobby and rooms are attractive and comfortable", "大堂和客房美观舒适"),
    ("Staff are well groomed", "员工仪容整洁"),
    ("Menus, guides and signs are clear", "菜单、指南和标识清晰"),
    ("The room is ready at the promised time", "在承诺时间备好客房"),
    ("Problems with the room are solved sincerely", "真诚解决客房问题"),
    ("Check-in is right the first time", "入住一次办理正确"),
    ("Requests are done when promised", "在承诺时间完成客人要求"),
    ("The bill is free of errors", "账单准确无误"),
    ("Staff tell me when services will be provided", "告知服务提供的确切时间"),
    ("Front desk service is prompt", "前台服务迅速"),
    ("Staff are always willing to help", "员工总是乐于帮助"),
    ("Staff are never too busy to respond", "员工再忙也会及时回应"),
    ("Staff behaviour instils confidence", "员工的行为令人信任"),
    ("I feel safe in the hotel", "在酒店感到安全"),
    ("Staff are consistently courteous", "员工始终礼貌待人"),
    ("Staff can answer my questions", "员工能解答我的问题"),
    ("The hotel gives me individual attention", "酒店给予我个别关注"),
    ("Opening hours of services suit guests", "各项服务时间方便客人"),
    ("Staff remember my preferences", "员工记得我的偏好"),
    ("The hotel has my best interests at heart", "酒店真心为客人着想"),
    ("Staff understand my specific needs", "员工理解我的具体需求"),
)


@dataclass(frozen=True)
class Industry:
    """Planted means and features of one demo industry."""

    key: str
    name_en: str
    name_zh: str
    wording: tuple[tuple[str, str], ...]
    expectation: Mapping[str, float]
    perception: Mapping[str, float]
    segment_column: str
    segments: tuple[str, ...]
    segment_shares: tuple[float, ...]
    # Extra perception shift per (segment, dimension): the planted subgroup story.
    segment_shift: Mapping[tuple[str, str], float]
    allocation: Mapping[str, float]
    kano_features: Mapping[str, tuple[str, str, Mapping[str, float]]]


UTILITY = Industry(
    key="utility",
    name_en="Power utility (95598 hotline)",
    name_zh="供电企业（95598热线）",
    wording=_UTILITY_ITEMS,
    expectation={
        "tangibles": 5.2,
        "reliability": 6.5,
        "responsiveness": 6.2,
        "assurance": 6.0,
        "empathy": 5.6,
    },
    perception={
        "tangibles": 5.1,
        "reliability": 5.0,
        "responsiveness": 5.1,
        "assurance": 5.5,
        "empathy": 4.9,
    },
    segment_column="channel",
    segments=("95598 hotline", "service hall", "app", "WeChat"),
    segment_shares=(0.45, 0.2, 0.2, 0.15),
    segment_shift={
        ("95598 hotline", "responsiveness"): -0.8,
        ("95598 hotline", "empathy"): -0.2,
        ("app", "responsiveness"): 0.6,
        ("WeChat", "responsiveness"): 0.4,
        ("service hall", "tangibles"): 0.3,
    },
    allocation={
        "tangibles": 8,
        "reliability": 34,
        "responsiveness": 26,
        "assurance": 18,
        "empathy": 14,
    },
    kano_features={
        "outage_sms": (
            "SMS notice of planned outages",
            "计划停电短信通知",
            {"M": 0.55, "O": 0.2, "A": 0.08, "I": 0.12, "R": 0.02, "Q": 0.03},
        ),
        "restore_eta": (
            "Estimated restoration time during an outage",
            "故障抢修预计恢复时间",
            {"A": 0.5, "O": 0.22, "M": 0.08, "I": 0.15, "R": 0.02, "Q": 0.03},
        ),
        "app_payment": (
            "Pay the bill in the app",
            "掌上电力缴费",
            {"O": 0.48, "M": 0.2, "A": 0.14, "I": 0.14, "R": 0.02, "Q": 0.02},
        ),
        "paper_bill": (
            "Monthly paper bill by post",
            "纸质账单邮寄",
            {"I": 0.55, "R": 0.2, "M": 0.1, "A": 0.05, "O": 0.07, "Q": 0.03},
        ),
        "energy_advice": (
            "Personal energy-saving advice",
            "个性化节能建议",
            {"A": 0.36, "I": 0.34, "O": 0.14, "M": 0.08, "R": 0.05, "Q": 0.03},
        ),
    },
)

HOTEL = Industry(
    key="hotel",
    name_en="Hotel",
    name_zh="酒店",
    wording=_HOTEL_ITEMS,
    expectation={
        "tangibles": 6.2,
        "reliability": 6.3,
        "responsiveness": 5.8,
        "assurance": 5.9,
        "empathy": 5.4,
    },
    perception={
        "tangibles": 5.0,
        "reliability": 5.9,
        "responsiveness": 5.4,
        "assurance": 5.8,
        "empathy": 5.6,
    },
    segment_column="segment",
    segments=("business", "leisure", "group tour"),
    segment_shares=(0.45, 0.4, 0.15),
    segment_shift={
        ("business", "tangibles"): -0.4,
        ("group tour", "empathy"): -0.5,
        ("leisure", "empathy"): 0.2,
    },
    allocation={
        "tangibles": 24,
        "reliability": 28,
        "responsiveness": 18,
        "assurance": 14,
        "empathy": 16,
    },
    kano_features={
        "free_wifi": (
            "Free fast Wi-Fi",
            "免费高速无线网络",
            {"M": 0.58, "O": 0.22, "A": 0.06, "I": 0.1, "R": 0.01, "Q": 0.03},
        ),
        "remembered_preferences": (
            "Staff remember my room and pillow preferences",
            "员工记得我的房型和枕头偏好",
            {"A": 0.52, "O": 0.18, "I": 0.22, "M": 0.04, "R": 0.02, "Q": 0.02},
        ),
        "late_checkout": (
            "Free late check-out",
            "免费延迟退房",
            {"A": 0.4, "O": 0.36, "I": 0.14, "M": 0.06, "R": 0.02, "Q": 0.02},
        ),
        "minibar": (
            "Stocked minibar",
            "迷你吧",
            {"I": 0.58, "A": 0.12, "R": 0.15, "O": 0.08, "M": 0.04, "Q": 0.03},
        ),
        "mobile_key": (
            "Mobile phone as room key",
            "手机开门",
            {"A": 0.34, "I": 0.3, "O": 0.24, "M": 0.06, "R": 0.03, "Q": 0.03},
        ),
    },
)

#: The demo industries by key.
INDUSTRIES: Mapping[str, Industry] = {"utility": UTILITY, "hotel": HOTEL}

_MISSING_RATE = 0.015
_ITEM_DIMENSION = {i: d for d, items in SERVQUAL_ITEMS.items() for i in items}


def item_wording(industry: Industry) -> Columns:
    """Item number, dimension, English and Chinese wording of the 22 items."""
    return {
        "item": np.arange(1, 23),
        "dimension": np.array([_ITEM_DIMENSION[i] for i in range(1, 23)]),
        "en": np.array([en for en, _ in industry.wording]),
        "zh": np.array([zh for _, zh in industry.wording]),
    }


def _likert(
    latent: npt.NDArray[np.float64], low: int = 1, high: int = 7
) -> npt.NDArray[np.float64]:
    return np.clip(np.rint(latent), low, high).astype(np.float64)


def _blank(rng: np.random.Generator, values: npt.NDArray[np.float64], rate: float) -> None:
    values[rng.random(values.shape) < rate] = np.nan


def _segments(rng: np.random.Generator, industry: Industry, n: int) -> npt.NDArray[np.str_]:
    shares = np.asarray(industry.segment_shares)
    return np.asarray(rng.choice(industry.segments, size=n, p=shares / shares.sum()))


def _answers(
    rng: np.random.Generator,
    means: Mapping[str, float],
    n: int,
    shift: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Respondents × 22 latent answers: a per-dimension halo plus item noise."""
    latent = np.empty((n, 22))
    for d_index, dimension in enumerate(SERVQUAL_DIMENSIONS):
        halo = rng.normal(0.0, 0.7, n)
        for i in SERVQUAL_ITEMS[dimension]:
            item_bias = ((i * 37) % 7 - 3) * 0.04
            base = means[dimension] + item_bias + halo + rng.normal(0.0, 0.55, n)
            if shift is not None:
                base = base + shift[:, d_index]
            latent[:, i - 1] = base
    return latent


def _segment_shift(industry: Industry, segments: npt.NDArray[np.str_]) -> npt.NDArray[np.float64]:
    shift = np.zeros((segments.shape[0], len(SERVQUAL_DIMENSIONS)))
    for (segment, dimension), delta in industry.segment_shift.items():
        shift[segments == segment, SERVQUAL_DIMENSIONS.index(dimension)] += delta
    return shift


def servqual_survey(industry: Industry, n: int, seed: int, missing: bool = True) -> Columns:
    """``respondent``, segment, ``E1..E22``, ``P1..P22`` (1–7) and ``W_*`` points."""
    rng = np.random.default_rng([seed, 1, len(industry.key)])
    segments = _segments(rng, industry, n)
    expectations = _likert(_answers(rng, industry.expectation, n))
    perceptions = _likert(_answers(rng, industry.perception, n, _segment_shift(industry, segments)))
    if missing:
        _blank(rng, expectations, _MISSING_RATE)
        _blank(rng, perceptions, _MISSING_RATE)
    columns: Columns = {"respondent": np.arange(1, n + 1), industry.segment_column: segments}
    for i in range(22):
        columns[f"E{i + 1}"] = expectations[:, i]
    for i in range(22):
        columns[f"P{i + 1}"] = perceptions[:, i]
    alpha = np.array([industry.allocation[d] for d in SERVQUAL_DIMENSIONS]) / 4.0
    shares = rng.dirichlet(alpha, n)
    points = np.floor(shares * 100.0)
    points[:, 0] += 100.0 - points.sum(axis=1)  # each allocation totals exactly 100
    if missing:
        skipped = rng.random(n) < 0.05
        points[skipped, :] = np.nan
    for k, dimension in enumerate(SERVQUAL_DIMENSIONS):
        columns[f"W_{dimension}"] = points[:, k]
    return columns


def zone_survey(industry: Industry, n: int, seed: int, missing: bool = True) -> Columns:
    """``A1..A22`` (adequate), ``D1..D22`` (desired), ``P1..P22`` (perceived), 1–7."""
    rng = np.random.default_rng([seed, 2, len(industry.key)])
    segments = _segments(rng, industry, n)
    desired = _likert(_answers(rng, {d: m + 0.2 for d, m in industry.expectation.items()}, n))
    gap = np.clip(rng.normal(1.6, 0.6, (n, 22)), 0.0, None)
    adequate = _likert(desired - gap)
    perceived = _likert(_answers(rng, industry.perception, n, _segment_shift(industry, segments)))
    columns: Columns = {"respondent": np.arange(1, n + 1), industry.segment_column: segments}
    for prefix, values in (("A", adequate), ("D", desired), ("P", perceived)):
        if missing:
            _blank(rng, values, _MISSING_RATE)
        for i in range(22):
            columns[f"{prefix}{i + 1}"] = values[:, i]
    return columns


def _pair_lookup() -> dict[str, npt.NDArray[np.int64]]:
    """For each category, the (functional, dysfunctional) cells that produce it."""
    cells: dict[str, list[tuple[int, int]]] = {c.value: [] for c in KanoCategory}
    for f in range(5):
        for d in range(5):
            cells[KANO_TABLE[f][d].value].append((f + 1, d + 1))
    return {c: np.asarray(v, dtype=np.int64) for c, v in cells.items()}


def kano_answers(
    rng: np.random.Generator, shares: Mapping[str, float], n: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Answer pairs for one feature whose respondents fall into categories by ``shares``."""
    codes = [c.value for c in KanoCategory]
    p = np.array([shares.get(c, 0.0) for c in codes])
    chosen = rng.choice(len(codes), size=n, p=p / p.sum())
    lookup = _pair_lookup()
    functional = np.empty(n)
    dysfunctional = np.empty(n)
    for k, code in enumerate(codes):
        mask = chosen == k
        cells = lookup[code]
        picks = cells[rng.integers(0, len(cells), int(mask.sum()))]
        functional[mask] = picks[:, 0]
        dysfunctional[mask] = picks[:, 1]
    return functional, dysfunctional


def kano_survey(industry: Industry, n: int, seed: int, missing: bool = True) -> Columns:
    """``NAME_f`` / ``NAME_d`` answer pairs (1–5) for the industry's features."""
    rng = np.random.default_rng([seed, 3, len(industry.key)])
    columns: Columns = {"respondent": np.arange(1, n + 1)}
    for name, (_, _, shares) in industry.kano_features.items():
        functional, dysfunctional = kano_answers(rng, shares, n)
        if missing:
            _blank(rng, functional, _MISSING_RATE)
            _blank(rng, dysfunctional, _MISSING_RATE)
        columns[f"{name}_f"] = functional
        columns[f"{name}_d"] = dysfunctional
    return columns


def csi_survey(industry: Industry, n: int, seed: int) -> Columns:
    """ACSI-style indicators on 1–10: C1 overall satisfaction, C2 versus expectations,
    C3 versus the ideal, plus an NPS answer (0–10)."""
    rng = np.random.default_rng([seed, 4, len(industry.key)])
    gap = np.mean([industry.perception[d] - industry.expectation[d] for d in SERVQUAL_DIMENSIONS])
    base = 7.6 + 1.2 * gap + rng.normal(0.0, 1.1, n)
    columns: Columns = {"respondent": np.arange(1, n + 1)}
    for k, offset in enumerate((0.3, -0.3, -0.7), start=1):
        values = _likert(base + offset + rng.normal(0.0, 0.8, n), 1, 10)
        _blank(rng, values, _MISSING_RATE)
        columns[f"C{k}"] = values
    columns["NPS"] = _likert(base + rng.normal(0.0, 1.2, n), 0, 10)
    return columns


def _judge_matrix(
    rng: np.random.Generator, priorities: Sequence[float], noise: float
) -> list[list[float]]:
    """A reciprocal 1–9 judgment matrix close to the ratios of ``priorities``."""
    k = len(priorities)
    matrix = [[1.0] * k for _ in range(k)]
    scale = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=np.float64)
    for i in range(k):
        for j in range(i + 1, k):
            ratio = priorities[i] / priorities[j] * float(np.exp(rng.normal(0.0, noise)))
            value = float(scale[np.argmin(np.abs(scale - max(ratio, 1 / ratio)))])
            matrix[i][j] = value if ratio >= 1 else 1 / value
            matrix[j][i] = 1 / matrix[i][j]
    return matrix


def ahp_document(industry: Industry, seed: int, judges: int = 3) -> dict[str, Any]:
    """A two-level AHP hierarchy judged by several managers (group judgments)."""
    rng = np.random.default_rng([seed, 5, len(industry.key)])
    dimensions = list(SERVQUAL_DIMENSIONS)
    priorities = [industry.allocation[d] for d in dimensions]
    sub = {
        "reliability": (["promise kept", "error-free records", "first-time right"], [5, 2, 3]),
        "responsiveness": (["answer speed", "willingness", "prompt service"], [4, 2, 3]),
    }
    children = {}
    for dimension, (criteria, weights) in sub.items():
        children[dimension] = {
            "criteria": criteria,
            "matrices": [_judge_matrix(rng, weights, 0.25) for _ in range(judges)],
        }
    return {
        "goal": f"{industry.name_en} service quality / {industry.name_zh}服务质量",
        "criteria": dimensions,
        "matrices": [_judge_matrix(rng, priorities, 0.3) for _ in range(judges)],
        "children": children,
    }
