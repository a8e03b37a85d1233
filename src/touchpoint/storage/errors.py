"""Errors the storage layer raises; services re-export them and the API maps each."""

from __future__ import annotations

from collections.abc import Mapping

from touchpoint.domain.errors import CodedError

__all__ = ["BusyError"]


class BusyError(CodedError, RuntimeError):
    """Another write kept the database longer than a writer waits for it: HTTP 503, to be
    retried in a moment; nothing was written.

    It only ever means that, so its code is ``database_busy`` unless a caller names
    another: the pages say so in the viewer's language whichever write met it.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = "database_busy",
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
