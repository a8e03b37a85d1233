"""AHP weights of the five SERVQUAL dimensions from pairwise judgements, alone or applied
to a wave's SERVQUAL analysis (``services.servqual_ahp``).

``judgements`` is a JSON object keyed ``"first:second"`` (two of tangibles, reliability,
responsiveness, assurance, empathy), each value how many times more important the first
dimension is than the second on Saaty's scale, a number or a fraction as text within
1/9 … 9; each of the 10 pairs once, in either order. Example:
``{"tangibles:reliability": "1/3", "tangibles:responsiveness": 1, …}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from touchpoint.api.deps import IdPath, ReporterDesk
from touchpoint.api.errors import SURVEY_RESPONSES
from touchpoint.api.schemas.analytics import AhpWeightsPublic, WaveAhpPublic
from touchpoint.engine.documents import finite
from touchpoint.services import servqual_ahp as svc

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["surveys"], responses=SURVEY_RESPONSES)

Judgements = Annotated[
    str,
    Query(
        max_length=4000,
        description='JSON object {"tangibles:reliability": 3, …}: the 10 pairs of the '
        "five SERVQUAL dimensions on Saaty's 1/9 … 9 scale",
    ),
]


# The schemas document the answers; the dicts are sent as built (no re-validation).
@router.get("/servqual-ahp", response_model=None, responses={200: {"model": AhpWeightsPublic}})
def servqual_ahp_weights(judgements: Judgements, _d: ReporterDesk) -> dict[str, Any]:
    """AHP weights and consistency of the five SERVQUAL dimensions: ``criteria``,
    ``judgements`` (each pair, earlier dimension first, as a number), ``matrix`` and
    ``touchpoint analyze ahp``'s ``weights``, ``lambda_max``, ``ci``, ``cr``, ``consistent``
    (``cr < 0.10``). 400 names the pair and value outside the scale."""
    weighted = svc.servqual_weights(svc.parse_judgements(judgements))
    return dict(finite(weighted.to_dict()))


@router.get(
    "/waves/{wave_id}/servqual-ahp",
    response_model=None,
    responses={200: {"model": WaveAhpPublic}},
)
def wave_servqual_ahp(wave_id: IdPath, judgements: Judgements, d: ReporterDesk) -> dict[str, Any]:
    """``{"ahp": <as GET /api/servqual-ahp>, "servqual": <GET
    /api/waves/{wave_id}/analysis/servqual?weights=<ahp.weights as JSON>>}``: the wave's
    SERVQUAL weighted by exactly the AHP weights of the judgements."""
    weighted, servqual = svc.servqual_ahp(
        d.session,
        d.actor,
        wave_id,
        svc.parse_judgements(judgements),
        snapshots=d.state.snapshots,
    )
    return {"ahp": dict(finite(weighted.to_dict())), "servqual": servqual}
