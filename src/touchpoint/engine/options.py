"""The analyses' options as text, parsed once for every caller: the command line
(``touchpoint analyze``) and the stored waves' analyses (``services.wave_analysis``).

Each caller words its own message (``--scale`` on the command line, ``scale`` in a
query) around the problem found here.
"""

from __future__ import annotations

import json
import re

__all__ = ["dimension_weights", "scale_bounds"]

_SCALE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")


def scale_bounds(text: str) -> tuple[float, float] | None:
    """The two numbers of an answer scale written ``MIN-MAX``; ``None`` when it is not.

    >>> scale_bounds(" 1 - 7 "), scale_bounds("-3-3"), scale_bounds("1..5")
    ((1.0, 7.0), (-3.0, 3.0), None)
    """
    match = _SCALE.match(text)
    if match is None:
        return None
    return float(match.group(1)), float(match.group(2))


def dimension_weights(text: str) -> dict[str, float]:
    """A JSON object of dimension weights (points or AHP weights), checked.

    >>> dimension_weights('{"tangibles": 10, "empathy": 2.5}')
    {'tangibles': 10.0, 'empathy': 2.5}

    Raises
    ------
    json.JSONDecodeError
        The text is not JSON.
    ValueError
        The JSON is not an object, or a weight is not a number (the message says which).
    """
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object of the five dimensions")
    weights: dict[str, float] = {}
    for key, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"weight of {key} must be a number, got {number!r}")
        weights[str(key)] = float(number)
    return weights
