"""Version seams between Ibis 12 and DuckDB 2.

Ibis 12 still calls DuckDB's ``fetch_arrow_table()``, which DuckDB 2 deprecates
(the call works). The warning is about Ibis's code, not the user's, so the
engine silences exactly that message around its Ibis calls.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_backend_deprecations"]


@contextmanager
def quiet_backend_deprecations() -> Iterator[None]:
    """Ignore DuckDB's ``fetch_arrow_table`` deprecation raised from inside Ibis."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"fetch_arrow_table\(\) is deprecated",
            category=DeprecationWarning,
        )
        yield
