"""Errors the domain services raise; pages flash them, the API turns them into 409/422."""

from __future__ import annotations


class DomainError(ValueError):
    """A request the domain refuses. ``status`` is the HTTP status the API answers with."""

    status = 422
    title = "Invalid request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(DomainError):
    """The record's current status does not allow the action (e.g. void a paid invoice)."""

    status = 409
    title = "Not allowed in the current status"
