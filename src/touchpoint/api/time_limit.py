"""Every request has a time limit: past it, a 503 and nothing half-written.

:class:`TimeLimit` is a plain ASGI middleware (no ``BaseHTTPMiddleware``: that would run
the app in another task, out of reach of the deadline's context variable). For each
HTTP request it sets the deadline of ``storage.deadline``, which the database enforces
on the request's statements: SQLite's statements run on the event loop, where nothing
else could stop them, and a worker thread cannot be interrupted either. A statement
past the deadline raises ``DeadlineExceeded``, its write unit rolls back and the app's
handler for that error answers 503 (``api.errors``; the pages show their error page).

What the database cannot see (a client sending its body slowly, a call queued for a
free worker thread) is cancelled on the loop a little after the deadline (``_grace``:
the database goes first, so that a write committed just in time still gets its own
answer), and then answered with the same handler. A response already under way cannot
change its status any more: it is cut short, which the client sees as a broken
transfer rather than a complete-looking one.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from touchpoint.storage.deadline import DeadlineExceeded, deadline, no_deadline

__all__ = ["TimeLimit"]


class TimeLimit:
    """Stop each HTTP request ``seconds`` after it arrived (ASGI middleware)."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"seconds: {seconds} must be positive")
        self.app = app
        self.seconds = seconds

    @property
    def _grace(self) -> float:
        """How long after the deadline the loop cancels what the database did not stop:
        up to a second, and no longer than the limit itself."""
        return min(1.0, self.seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with deadline(self.seconds), anyio.move_on_after(self.seconds + self._grace) as limit:
            await self.app(scope, receive, send_watched)
        if limit.cancelled_caught and not started:
            await self._answer_late(scope, receive, send)

    async def _answer_late(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a request cancelled on the loop as one whose statement was stopped:
        with the app's handler for ``DeadlineExceeded`` (the API's JSON, or the pages'
        error page), which may read the database without a deadline."""
        request = Request(scope, receive)
        handler = request.app.exception_handlers[DeadlineExceeded]
        with no_deadline():
            response = await handler(request, DeadlineExceeded())
        await response(scope, receive, send)
