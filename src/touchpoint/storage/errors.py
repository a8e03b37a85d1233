"""Errors the storage layer raises; services re-export them and the API maps each."""

from __future__ import annotations

__all__ = ["BusyError"]


class BusyError(RuntimeError):
    """Another write kept the database longer than a writer waits for it: HTTP 503, to be
    retried in a moment; nothing was written."""
