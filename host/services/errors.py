"""Errors the domain services raise; pages flash them, the API turns them into 409/422."""

from __future__ import annotations


class DomainError(ValueError):
    """A request the domain refuses. ``status`` is the HTTP status the API answers with."""

    status = 422
    title = "Invalid request"
    #: The input field the error is about (``"amount"``, ``"lines[0].unit_price"``), if one.
    field: str | None = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidField(DomainError):
    """One input value is refused (wrong type, not finite, out of the column's range ...).

    ``status`` is 422 for a request body's field, 400 for a query parameter.
    """

    def __init__(self, field: str, message: str, *, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


class InvalidTransition(DomainError):
    """The record's current status does not allow the action (e.g. void a paid invoice)."""

    status = 409
    title = "Not allowed in the current status"
