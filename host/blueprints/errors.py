"""Error pages: 403, 404 and 500 in the app's layout, and the ``/favicon.ico`` browsers ask for.

Under ``/api/`` the same errors answer as problem+json (``host.services.problems``), never as
a page.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, send_from_directory
from werkzeug.exceptions import HTTPException, InternalServerError

from host.extensions import db
from host.services.problems import problem

bp = Blueprint("errors", __name__)

PAGES = {
    403: ("Not allowed", "Your account may not open this page. Settings are for admins; ask an "
                         "admin of your organization if you need it."),
    404: ("Page not found", "Nothing here: the address is wrong, or the record was removed or "
                            "belongs to another organization."),
    500: ("Something went wrong", "The page could not be shown because of an error on our side. "
                                  "It was logged; try again, and tell your admin if it persists."),
}


def _answer(exc: HTTPException):
    code = exc.code or 500
    if request.path.startswith("/api/"):
        return problem(code, exc.description or "")
    title, text = PAGES[code]
    return render_template("errors/error.html", code=code, title=title, text=text), code


@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
def client_error(exc: HTTPException):
    return _answer(exc)


@bp.app_errorhandler(InternalServerError)
def server_error(exc: InternalServerError):
    db.session.rollback()  # the failed request may have left the session unusable
    return _answer(exc)


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg",
                               mimetype="image/svg+xml", max_age=86400)
