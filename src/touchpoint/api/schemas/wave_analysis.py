"""What ``GET /api/waves/{id}/analysis/{instrument}`` answers: the JSON that
``touchpoint analyze INSTRUMENT --format json`` prints, one shape per instrument.

Documentation only: the route sends the analysis as the engine built it (its
``to_dict``, non-finite numbers as null), and a test checks every instrument's answer
against its model here key for key. A number the data cannot give (a mean of no
answers, an alpha of one item) is null. ``groups`` is there only with ``by``: one entry
per value of that column (``group``, null for blank cells), each with the same keys as
the whole.
"""

from __future__ import annotations

from pydantic import BaseModel, RootModel

__all__ = [
    "WAVE_ANALYSES",
    "CesAnalysisPublic",
    "CsatAnalysisPublic",
    "CsiAnalysisPublic",
    "DriversAnalysisPublic",
    "KanoAnalysisPublic",
    "LoyaltyAnalysisPublic",
    "NpsAnalysisPublic",
    "ServqualAnalysisPublic",
    "WaveAnalysisPublic",
    "ZoneAnalysisPublic",
]

#: A group's value as the export holds it (a channel, a segment's label, a number).
GroupValue = str | int | float | bool | None


class ServqualItemPublic(BaseModel):
    """One of the 22 items: means of its expectation and perception answers, P − E."""

    item: int
    dimension: str
    n: int
    expectation: float | None
    perception: float | None
    gap: float | None


class ServqualDimensionPublic(BaseModel):
    """A dimension's means over its items, its gap and Cronbach's alpha of each side."""

    dimension: str
    expectation: float | None
    perception: float | None
    gap: float | None
    alpha_expectation: float | None
    alpha_perception: float | None


class ServqualPartPublic(BaseModel):
    """A SERVQUAL analysis of a set of respondents; ``weights`` (points per dimension)
    and the weighted score only when the respondents allocated them."""

    instrument: str
    n_respondents: int
    items: list[ServqualItemPublic]
    dimensions: list[ServqualDimensionPublic]
    unweighted: float | None
    weighted: float | None
    weights: dict[str, float] | None


class ServqualGroupPublic(ServqualPartPublic):
    group: GroupValue


class ServqualAnalysisPublic(ServqualPartPublic):
    """``servqual``: gaps per item and dimension."""

    groups: list[ServqualGroupPublic] | None = None


class ZoneDimensionPublic(BaseModel):
    """A dimension's adequate, desired and perceived means over its items, MSA, MSS and
    the shares of respondents below, within and above their zone of tolerance."""

    dimension: str
    adequate: float | None
    desired: float | None
    perception: float | None
    msa: float | None
    mss: float | None
    share_below: float | None
    share_within: float | None
    share_above: float | None


class ZoneItemPublic(ZoneDimensionPublic):
    """The same of one item, with its respondents."""

    item: int
    n: int


class ZoneAnalysisPublic(BaseModel):
    """``zone``: the zone of tolerance per item and dimension."""

    instrument: str
    n_respondents: int
    items: list[ZoneItemPublic]
    dimensions: list[ZoneDimensionPublic]


class KanoFeaturePublic(BaseModel):
    """One feature: answers per category (A, O, M, I, R, Q), the most frequent
    (``mode``), the category reported after Fong's test, Better and Worse."""

    feature: str
    n: int
    counts: dict[str, int]
    mode: str | None
    category: str | None
    better: float | None
    worse: float | None
    significant: bool | None


class KanoAnalysisPublic(BaseModel):
    """``kano``: every feature of the survey, in question order."""

    features: list[KanoFeaturePublic]


class CsiAnalysisPublic(BaseModel):
    """``csi``: the 0–100 index, the respondents behind it and each indicator's
    normalised weight."""

    csi: float | None
    n: int
    weights: dict[str, float]


class NpsPartPublic(BaseModel):
    """Promoters (9–10), passives (7–8), detractors (0–6), NPS and its adjusted-Wald
    95% interval."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ci95: list[float] | None


class NpsGroupPublic(NpsPartPublic):
    group: GroupValue


class NpsAnalysisPublic(NpsPartPublic):
    """``nps``."""

    groups: list[NpsGroupPublic] | None = None


class CsatPartPublic(BaseModel):
    """Answers in the top two points of the scale, their share (CSAT) with its Wilson
    95% interval, and the mean."""

    n: int
    satisfied: int
    csat: float | None
    mean: float | None
    ci95: list[float] | None


class CsatGroupPublic(CsatPartPublic):
    group: GroupValue


class CsatAnalysisPublic(CsatPartPublic):
    """``csat``."""

    groups: list[CsatGroupPublic] | None = None


class CesPartPublic(BaseModel):
    """Mean effort with its t interval, the standard deviation and the share of easy
    answers."""

    n: int
    mean: float | None
    sd: float | None
    ci95: list[float] | None
    easy: float | None


class CesGroupPublic(CesPartPublic):
    group: GroupValue


class CesAnalysisPublic(CesPartPublic):
    """``ces``."""

    groups: list[CesGroupPublic] | None = None


class DriverPublic(BaseModel):
    """One item: its mean, standardised beta, Johnson's relative weight (raw and as a
    share of R²) and importance–performance quadrant; null where no regression fits."""

    item: str
    mean: float | None
    beta: float | None
    relative_weight: float | None
    rescaled_weight: float | None
    quadrant: str | None


class DriversPartPublic(BaseModel):
    """The complete rows, R² and every item's part in the outcome."""

    n: int
    r2: float | None
    drivers: list[DriverPublic]


class DriversGroupPublic(DriversPartPublic):
    group: GroupValue


class DriversAnalysisPublic(DriversPartPublic):
    """``drivers``."""

    groups: list[DriversGroupPublic] | None = None


class LoyaltyPartPublic(BaseModel):
    """Respondents per Dick & Basu quadrant (true, latent, spurious, none), their
    shares and the cuts of relative attitude and repeat patronage used."""

    n: int
    counts: dict[str, int]
    shares: dict[str, float | None]
    attitude_cut: float | None
    repeat_cut: float | None


class LoyaltyGroupPublic(LoyaltyPartPublic):
    group: GroupValue


class LoyaltyAnalysisPublic(LoyaltyPartPublic):
    """``loyalty``."""

    groups: list[LoyaltyGroupPublic] | None = None


#: Each instrument's answer.
WAVE_ANALYSES: dict[str, type[BaseModel]] = {
    "servqual": ServqualAnalysisPublic,
    "zone": ZoneAnalysisPublic,
    "kano": KanoAnalysisPublic,
    "csi": CsiAnalysisPublic,
    "nps": NpsAnalysisPublic,
    "csat": CsatAnalysisPublic,
    "ces": CesAnalysisPublic,
    "drivers": DriversAnalysisPublic,
    "loyalty": LoyaltyAnalysisPublic,
}


class WaveAnalysisPublic(
    RootModel[
        ServqualAnalysisPublic
        | ZoneAnalysisPublic
        | KanoAnalysisPublic
        | CsiAnalysisPublic
        | NpsAnalysisPublic
        | CsatAnalysisPublic
        | CesAnalysisPublic
        | DriversAnalysisPublic
        | LoyaltyAnalysisPublic
    ]
):
    """The analysis of a wave, in the shape of its instrument (the path's last part)."""
