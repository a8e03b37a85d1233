"""One analytics path for every backend: Ibis reduces rows to sufficient statistics.

The notebook-facing API: each function takes a file path (CSV, Parquet, XLSX),
a pandas or Polars DataFrame, a pyarrow Table or an Ibis table, and returns a
frozen report with ``to_dict()`` (the CLI's JSON) and ``to_frame()`` (pandas).
Ibis and pandas are imported only when a function runs, so importing this
package stays cheap for the command line.
"""

from __future__ import annotations

from touchpoint.engine.ahp_report import AhpReport, ahp
from touchpoint.engine.csi_report import CsiReport, csi
from touchpoint.engine.drivers_report import DriversReport, drivers
from touchpoint.engine.errors import InputError
from touchpoint.engine.kano_report import KanoFeature, KanoReport, kano
from touchpoint.engine.loyalty_report import LoyaltyReport, loyalty
from touchpoint.engine.score_reports import CesReport, CsatReport, NpsReport, ces, csat, nps
from touchpoint.engine.servqual_report import (
    ServqualDimension,
    ServqualGroup,
    ServqualItem,
    ServqualReport,
    servqual,
)
from touchpoint.engine.zone_report import ZoneReport, zone

__all__ = [
    "AhpReport",
    "CesReport",
    "CsatReport",
    "CsiReport",
    "DriversReport",
    "InputError",
    "KanoFeature",
    "KanoReport",
    "LoyaltyReport",
    "NpsReport",
    "ServqualDimension",
    "ServqualGroup",
    "ServqualItem",
    "ServqualReport",
    "ZoneReport",
    "ahp",
    "ces",
    "csat",
    "csi",
    "drivers",
    "kano",
    "loyalty",
    "nps",
    "servqual",
    "zone",
]
