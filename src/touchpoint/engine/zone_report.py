"""Zone of tolerance on a survey with adequate (A), desired (D) and perceived (P) columns.

One aggregation pass returns, per item, the count of respondents with all three
answers, the three sums over them and how many fall below, within and above
the zone; ``quality.zone`` finishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from touchpoint.engine._frames import records_frame
from touchpoint.engine.cells import Scale, check_aggregates, clean_column, has_invalid, row_checks
from touchpoint.engine.run import Progress, fetch_rows
from touchpoint.engine.sources import Source, SourceLike, open_source
from touchpoint.quality.zone import ZoneDimension, ZoneItem, zone_from_sums

__all__ = ["ZONE_SCALE", "ZoneReport", "zone"]

#: PZB (1994) asked adequate, desired and perceived service on a nine-point scale, as the
#: ``servqual-zone`` survey template does; a seven-point survey lies inside it.
ZONE_SCALE = (1, 9)
_SCALE = Scale(*ZONE_SCALE)
_ITEMS = tuple(range(1, 23))
_SHARES = ("share_below", "share_within", "share_above")


@dataclass(frozen=True)
class ZoneReport:
    """Zone of tolerance per item and per dimension."""

    n_respondents: int
    items: tuple[ZoneItem, ...]
    dimensions: tuple[ZoneDimension, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``touchpoint analyze zone``."""
        fields = ("adequate", "desired", "perception", "msa", "mss", *_SHARES)
        return {
            "instrument": "zone",
            "n_respondents": self.n_respondents,
            "items": [
                {
                    "item": i.item,
                    "dimension": i.dimension,
                    "n": i.n,
                    **{f: getattr(i, f) for f in fields},
                }
                for i in self.items
            ],
            "dimensions": [
                {"dimension": d.dimension, **{f: getattr(d, f) for f in fields}}
                for d in self.dimensions
            ],
        }

    def to_frame(self, level: str = "items") -> Any:
        """Items (``level="items"``) or dimensions as a pandas DataFrame."""
        if level not in ("items", "dimensions"):
            raise ValueError("level must be 'items' or 'dimensions'")
        records = self.to_dict()[level]
        return records_frame(records, list(records[0]))


def zone(
    source: SourceLike, *, backend: Any = None, progress: Progress | None = None
) -> ZoneReport:
    """Zone of tolerance of a survey with ``A1..A22``, ``D1..D22``, ``P1..P22`` (1–9,
    PZB 1994's scale; seven-point answers are read as they are).

    Means and shares of an item are over respondents with all three answers;
    *within* means adequate ≤ P ≤ desired (see
    :func:`touchpoint.quality.zone.zone_position`).

    Raises
    ------
    InputError
        Missing columns or a bad cell (naming row, column and value).
    """
    src = open_source(source, backend)
    columns = [f"{p}{i}" for p in "ADP" for i in _ITEMS]
    src.require(columns)
    checks = [(c, _SCALE) for c in columns]
    with src.reading():
        rows = fetch_rows(src.backend, _expression(src, checks), src.label, progress)
    bad = [(name, scale) for name, scale in checks if has_invalid(rows[0], name, scale)]
    if bad:
        raise src.first_bad_cell(bad)
    row = rows[0]

    def vector(key: str) -> list[float]:
        return [float(row[f"{key}__{i}"] or 0) for i in _ITEMS]

    result = zone_from_sums(
        vector("n"),
        vector("sa"),
        vector("sd"),
        vector("sp"),
        vector("below"),
        vector("within"),
        vector("above"),
    )
    return ZoneReport(
        n_respondents=int(row["n_respondents__"] or 0),
        items=result.items,
        dimensions=result.dimensions,
    )


def _expression(src: Source, checks: Sequence[tuple[str, Scale]]) -> Any:
    t = src.table
    stage1: dict[str, Any] = {}
    for name, scale in checks:
        stage1[name] = clean_column(t[name], src.kinds[name])
        stage1.update(row_checks(name, t[name], src.kinds[name], scale))
    s1 = t.select(**stage1)
    # 0 when all three answers are present, else null: adding it keeps complete triples.
    s2 = s1.mutate(**{f"mask__{i}": (s1[f"A{i}"] + s1[f"D{i}"] + s1[f"P{i}"]) * 0 for i in _ITEMS})
    stage3: dict[str, Any] = {}
    for i in _ITEMS:
        mask = s2[f"mask__{i}"]
        for p in "ADP":
            stage3[f"c{p}{i}"] = s2[f"{p}{i}"] + mask
    s3 = s2.mutate(**stage3)
    aggregates: dict[str, Any] = {"n_respondents__": s3.count()}
    for name, _ in checks:
        aggregates.update(check_aggregates(name, s3, src.kinds[name]))
    for i in _ITEMS:
        a, d, p = s3[f"cA{i}"], s3[f"cD{i}"], s3[f"cP{i}"]
        below = p < a
        within = (p >= a) & (p <= d)
        above = (p >= a) & (p > d)
        aggregates[f"n__{i}"] = s3[f"mask__{i}"].count()
        aggregates[f"sa__{i}"] = a.sum()
        aggregates[f"sd__{i}"] = d.sum()
        aggregates[f"sp__{i}"] = p.sum()
        aggregates[f"below__{i}"] = below.cast("int64").sum()
        aggregates[f"within__{i}"] = within.cast("int64").sum()
        aggregates[f"above__{i}"] = above.cast("int64").sum()
    return s3.aggregate(**aggregates)
