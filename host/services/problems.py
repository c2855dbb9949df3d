"""RFC 9457 problem details for the JSON API (``application/problem+json``)."""

from __future__ import annotations

import json

from flask import Response, request, url_for
from werkzeug.http import HTTP_STATUS_CODES

MEDIA_TYPE = "application/problem+json"

#: slug -> (title, what it means); served at /api/v1/problems/<slug> for the ``type`` URI.
PROBLEM_TYPES = {
    "unauthorized": ("Authentication required",
                     "Send a valid API token: 'Authorization: Bearer <token>'. Create one on "
                     "the API tokens page of your account."),
    "forbidden": ("Forbidden", "Your role does not allow this request."),
    "not-found": ("Not found", "No such record in your organization, or no such endpoint."),
    "method-not-allowed": ("Method not allowed", "This endpoint does not accept that method."),
    "validation-error": ("Invalid request", "The request body is missing fields or has "
                         "values the domain refuses; see detail and errors."),
    "invalid-transition": ("Not allowed in the current status",
                           "The record's status does not allow this action (for example "
                           "voiding a paid invoice)."),
    "bad-request": ("Bad request", "The request could not be understood (is it JSON?)."),
    "conflict": ("Conflict", "The request conflicts with an existing record."),
    "too-large": ("Request too large", "The request body is larger than the server accepts "
                  "(MAX_CONTENT_LENGTH); it was not read."),
    "unavailable": ("Temporarily unavailable", "The database is busy or cannot be written "
                    "(locked, read-only or full); nothing was saved. Retry after the number of "
                    "seconds in the Retry-After header."),
}

_BY_STATUS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
              405: "method-not-allowed", 409: "conflict", 413: "too-large",
              422: "validation-error", 503: "unavailable"}


def problem(status: int, detail: str, slug: str | None = None, **extra) -> Response:
    slug = slug or _BY_STATUS.get(status)
    if slug in PROBLEM_TYPES:
        type_uri = url_for("api.problem_type", slug=slug, _external=True)
        title = PROBLEM_TYPES[slug][0]
    else:
        type_uri, title = "about:blank", HTTP_STATUS_CODES.get(status, "Error")
    body = {"type": type_uri, "title": title, "status": status, "detail": detail,
            "instance": request.path, **extra}
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="psa-api"'
    return response
