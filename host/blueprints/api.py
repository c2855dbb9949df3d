"""JSON API under /api/v1, authenticated by per-user bearer tokens only.

CSRF-exempt because it never reads the session: a request without a valid
``Authorization: Bearer <token>`` header is a 401, even from a logged-in browser. Every lookup
is scoped to the token owner's organization (another organization's record is a 404). Errors
are RFC 9457 problem details.

Every value is checked by ``host.services.validation`` (money finite, within the column and the
currency's minor units; ids, dates, booleans and texts typed and in range); a refused value is a
422 (a query parameter: 400) whose ``errors`` name the field. Each request that writes is one
transaction, committed once at the end (``_write``); a ``POST`` with an ``Idempotency-Key``
header answers a retry with the first answer. Bodies over ``MAX_CONTENT_LENGTH`` are 413
before they are read.

Endpoints (money as strings, dates YYYY-MM-DD; lists take ``limit``/``offset``):
  GET business-units | service-types | tax-rates | gl-accounts
  GET/POST clients, GET/PATCH clients/<id>; GET/POST projects, GET projects/<id>
  GET/POST invoices (``?status=&client_id=&project_id=&business_unit_id=``),
  GET/PATCH invoices/<id>, POST invoices/<id>/approve|send|void, GET invoices/<id>/sync
  GET/POST invoices/<id>/credit-notes, GET credit-notes/<id>
  GET/POST invoices/<id>/payments, GET payments/<id>
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, g, jsonify, make_response, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from host import events
from host.extensions import csrf, db
from host.models import (
    BusinessUnit, Client, ContractLine, CreditNote, GLAccount, Invoice, Payment, Project,
    ServiceType, TaxRate,
)
from host.models.invoice import STATUSES
from host.services import credit_notes, idempotency, invoicing, payments, validation
from host.services import representations as rep
from host.services.api_tokens import user_for_token
from host.services.errors import DomainError, InvalidField
from host.services.problems import PROBLEM_TYPES, problem
from host.services.queries import org_get, org_rows

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


# -- authentication and errors ---------------------------------------------------------------

@bp.before_request
def authenticate():
    if request.endpoint == "api.problem_type":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        return problem(401, "Missing, unknown or revoked API token.")
    if db.session.dirty:
        db.session.commit()  # last_used_at
    g.api_user = user
    g._login_user = user  # current_user for shared helpers; the session is never read
    return None


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return problem(exc.code or 500, exc.description or "")


@bp.app_errorhandler(405)
def unrouted(exc: HTTPException):
    if request.path.startswith(bp.url_prefix + "/"):
        return problem(exc.code, exc.description or "")
    return exc


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    db.session.rollback()
    slug = {409: "invalid-transition", 400: "bad-request"}.get(exc.status, "validation-error")
    errors = [{"field": exc.field, "detail": exc.message}] if exc.field else []
    return problem(exc.status, exc.message, slug, errors=errors)


@bp.errorhandler(IntegrityError)
def integrity_error(exc: IntegrityError):
    db.session.rollback()
    return problem(409, "The request conflicts with an existing record (a name or number "
                        "already taken); nothing was saved.")


#: A writing request that loses a race on a unique number (INV-0002 taken by a concurrent
#: request between our read and our write) is run again, whole, in a fresh transaction.
TRANSACTION_ATTEMPTS = 3


def _write(view):
    """One transaction per writing request, committed once after the view; with an
    ``Idempotency-Key`` header (POST), a retry gets the stored first answer.

    The view changes the session only (services with ``commit=False``) and flushes before it
    renders; any exception rolls everything back (the error handlers and the request's end).
    An ``IntegrityError`` (a concurrent request took the same number or key) rolls back and
    runs the view again, up to ``TRANSACTION_ATTEMPTS`` times.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(idempotency.HEADER)
        if key is not None and request.method == "POST":
            key = idempotency.check_key(key)
            fingerprint = idempotency.fingerprint(request.method, request.path, request.get_data())
            stored = idempotency.stored_answer(_org(), key, fingerprint)
            if stored is not None:
                return _replay(stored)
        else:
            key = None
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                response = make_response(view(*args, **kwargs))
                if key is not None and response.status_code < 300:
                    idempotency.remember(_org(), key, fingerprint, response.status_code,
                                         response.get_data(as_text=True))
                db.session.commit()
                return response
            except IntegrityError:
                db.session.rollback()
                stored = key and idempotency.stored_answer(_org(), key, fingerprint)
                if stored:
                    return _replay(stored)  # a concurrent request with this key committed first
                if attempt == TRANSACTION_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    return wrapped


def _replay(stored):
    response = make_response(stored.response_body, stored.status_code)
    response.mimetype = "application/json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.route("/problems/<slug>")
def problem_type(slug: str):
    if slug not in PROBLEM_TYPES:
        abort(404)
    title, meaning = PROBLEM_TYPES[slug]
    return jsonify({"type": slug, "title": title, "description": meaning})


def _org() -> int:
    return g.api_user.organization_id


def _get(model, object_id):
    obj = org_get(model, _org(), object_id)
    if obj is None:
        abort(404, f"No {model.__name__} {object_id} in your organization.")
    return obj


def _body() -> dict:
    """The JSON object of the request; decimals stay exact (``Decimal``), so a value the
    validation refuses (``1e400``, ``NaN``) is named rather than silently rounded."""
    try:
        data = json.loads(request.get_data() or b"null", parse_float=Decimal)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        data = None
    if not isinstance(data, dict):
        abort(400, "The request body must be a JSON object (Content-Type: application/json).")
    return data


def _require(data: dict, *fields: str) -> None:
    missing = [f for f in fields if data.get(f) in (None, "")]
    if missing:
        raise InvalidField(missing[0], f"Missing field(s): {', '.join(missing)}.")


def _arg_id(name: str) -> int | None:
    return validation.optional_id(request.args.get(name), name, status=400)


def _page(stmt, to_json):
    limit = validation.integer(request.args.get("limit", 100), "limit", minimum=1, maximum=1000,
                               status=400)
    offset = validation.integer(request.args.get("offset", 0), "offset", status=400)
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar()
    rows = db.session.execute(stmt.limit(limit).offset(offset)).scalars().all()
    return jsonify({"items": [to_json(r) for r in rows], "total": total,
                    "limit": limit, "offset": offset})


def _sync_status(obj) -> dict | None:
    """helper-5's sync status, when the sync package provides it."""
    try:
        from host.sync.status import sync_status_for
    except ImportError:
        return None
    return sync_status_for(obj)


# -- reference data --------------------------------------------------------------------------

@bp.route("/business-units")
def business_units():
    rows = org_rows(BusinessUnit, _org(), BusinessUnit.name)
    return jsonify({"items": [{"id": r.id, "name": r.name} for r in rows], "total": len(rows)})


@bp.route("/service-types")
def service_types():
    rows = org_rows(ServiceType, _org(), ServiceType.name)
    return jsonify({"items": [{"id": r.id, "name": r.name, "sku": r.sku, "active": r.active,
                               "default_gl_account_id": r.default_gl_account_id} for r in rows],
                    "total": len(rows)})


@bp.route("/tax-rates")
def tax_rates():
    rows = org_rows(TaxRate, _org(), TaxRate.name)
    return jsonify({"items": [{"id": r.id, "name": r.name, "rate": format(r.rate.normalize(), "f"),
                               "active": r.active} for r in rows], "total": len(rows)})


@bp.route("/gl-accounts")
def gl_accounts():
    rows = org_rows(GLAccount, _org(), GLAccount.code)
    return jsonify({"items": [{"id": r.id, "code": r.code, "name": r.name, "active": r.active}
                              for r in rows], "total": len(rows)})


# -- clients ---------------------------------------------------------------------------------

@bp.route("/clients")
def list_clients():
    stmt = sa.select(Client).where(Client.organization_id == _org()).order_by(Client.id)
    return _page(stmt, rep.client_json)


@bp.route("/clients/<int:client_id>")
def get_client(client_id: int):
    return jsonify(rep.client_json(_get(Client, client_id)))


@bp.route("/clients", methods=["POST"])
@bp.route("/clients/<int:client_id>", methods=["PATCH"])
@_write
def save_client(client_id: int | None = None):
    data = _body()
    client = _get(Client, client_id) if client_id else Client(organization_id=_org())
    if client_id is None:
        _require(data, "name")
    if "name" in data:
        client.name = validation.text(data["name"], "name", validation.column_length(Client.name),
                                      required=True)
    if "billing_contact_name" in data:
        client.billing_contact_name = validation.text(
            data["billing_contact_name"], "billing_contact_name",
            validation.column_length(Client.billing_contact_name))
    if "billing_email" in data:
        client.billing_email = validation.email(
            data["billing_email"], "billing_email", validation.column_length(Client.billing_email))
    if "currency" in data:
        client.currency = validation.currency(data["currency"])
    if "active" in data:
        client.active = validation.boolean(data["active"], "active")
    db.session.add(client)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return problem(409, "A client with this name already exists.")
    events.client_saved.send(client, created=client_id is None)
    return jsonify(rep.client_json(client)), (201 if client_id is None else 200)


# -- projects --------------------------------------------------------------------------------

@bp.route("/projects")
def list_projects():
    stmt = sa.select(Project).where(Project.organization_id == _org()).order_by(Project.id)
    client_id = _arg_id("client_id")
    if client_id is not None:
        stmt = stmt.where(Project.client_id == client_id)
    return _page(stmt, rep.project_json)


@bp.route("/projects/<int:project_id>")
def get_project(project_id: int):
    return jsonify(rep.project_json(_get(Project, project_id)))


@bp.route("/projects", methods=["POST"])
@_write
def create_project():
    """``{name, client_id, business_unit_id, due_days?, contract_lines?: [{service_type_id,
    rate, description?, gl_account_id?, tax_rate_id?, class_label?}]}``"""
    data = _body()
    _require(data, "name", "client_id", "business_unit_id")
    org = _org()
    client = _known(Client, data["client_id"], "client_id")
    unit = _known(BusinessUnit, data["business_unit_id"], "business_unit_id")
    project = Project(organization_id=org, client=client, business_unit=unit,
                      name=validation.text(data["name"], "name",
                                           validation.column_length(Project.name), required=True),
                      due_days=validation.due_days(data.get("due_days")))
    contract_lines = validation.objects(data.get("contract_lines", []), "contract_lines")
    for position, line in enumerate(contract_lines, start=1):
        at = f"contract_lines[{position - 1}]"
        _require(line, "service_type_id", "rate")
        project.contract_lines.append(ContractLine(
            position=position,
            service_type=_known(ServiceType, line["service_type_id"], f"{at}.service_type_id"),
            rate=validation.money(line["rate"], f"{at}.rate", currency=client.effective_currency),
            description=validation.text(line.get("description"), f"{at}.description",
                                        validation.column_length(ContractLine.description)),
            gl_account=_known(GLAccount, line.get("gl_account_id"), f"{at}.gl_account_id"),
            tax_rate=_known(TaxRate, line.get("tax_rate_id"), f"{at}.tax_rate_id"),
            class_label=validation.text(line.get("class_label"), f"{at}.class_label",
                                        validation.column_length(ContractLine.class_label)),
        ))
    db.session.add(project)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return problem(409, "A project with this name already exists.")
    return jsonify(rep.project_json(project)), 201


def _known(model, value, field: str):
    """The organization's ``model`` row with id ``value`` (None for no value); else a 422."""
    object_id = validation.optional_id(value, field)
    if object_id is None:
        return None
    obj = org_get(model, _org(), object_id)
    if obj is None:
        raise InvalidField(field, f"Unknown {field} {object_id}.")
    return obj


# -- invoices --------------------------------------------------------------------------------

@bp.route("/invoices")
def list_invoices():
    from host.blueprints.invoices import LIST_LOADS

    stmt = (sa.select(Invoice).where(Invoice.organization_id == _org())
            .options(*LIST_LOADS).order_by(Invoice.id))
    status = request.args.get("status")
    if status:
        if status not in STATUSES:
            raise InvalidField("status", f"status must be one of {', '.join(STATUSES)}.",
                               status=400)
        stmt = stmt.where(Invoice.status == status)
    for field in ("client_id", "project_id", "business_unit_id"):
        value = _arg_id(field)
        if value is not None:
            stmt = stmt.where(getattr(Invoice, field) == value)
    return _page(stmt, lambda inv: rep.invoice_json(inv, _sync_status(inv), with_lines=False))


@bp.route("/invoices/<int:invoice_id>")
def get_invoice(invoice_id: int):
    invoice = _get(Invoice, invoice_id)
    return jsonify(rep.invoice_json(invoice, _sync_status(invoice)))


@bp.route("/invoices", methods=["POST"])
@_write
def create_invoice():
    """``{project_id, issue_date?, memo?, send?}`` plus either ``lines`` (see
    ``invoicing.create_invoice``) or ``quantities`` ``{contract_line_id: qty}``; neither bills
    each contract line once. ``"send": true`` sends it right away, in the same transaction:
    either both happen or neither."""
    data = _body()
    _require(data, "project_id")
    project = _known(Project, data["project_id"], "project_id")
    send = validation.boolean(data.get("send", False), "send")
    common = {"issue_date": data.get("issue_date"), "memo": data.get("memo"),
              "created_by": g.api_user, "commit": False}
    if data.get("lines") is not None:
        invoice = invoicing.create_invoice(project, data["lines"], **common)
    else:
        invoice = invoicing.create_invoice_from_project(project, data.get("quantities"), **common)
    if send:
        invoicing.send_invoice(invoice, commit=False)
    db.session.flush()
    return jsonify(rep.invoice_json(invoice, _sync_status(invoice))), 201


@bp.route("/invoices/<int:invoice_id>", methods=["PATCH"])
@_write
def update_invoice(invoice_id: int):
    """``{lines?, memo?, issue_date?}`` on a draft, approved or unpaid sent invoice."""
    invoice = _get(Invoice, invoice_id)
    data = _body()
    invoicing.update_invoice(invoice, data.get("lines"), memo=data.get("memo"),
                             issue_date=data.get("issue_date"), commit=False)
    db.session.flush()
    return jsonify(rep.invoice_json(invoice, _sync_status(invoice)))


@bp.route("/invoices/<int:invoice_id>/<any(approve, send, void):action>", methods=["POST"])
@_write
def invoice_action(invoice_id: int, action: str):
    invoice = _get(Invoice, invoice_id)
    {"approve": invoicing.approve, "send": invoicing.send_invoice,
     "void": invoicing.void_invoice}[action](invoice, commit=False)
    db.session.flush()
    return jsonify(rep.invoice_json(invoice, _sync_status(invoice)))


@bp.route("/invoices/<int:invoice_id>/sync")
def invoice_sync(invoice_id: int):
    invoice = _get(Invoice, invoice_id)
    return jsonify({"invoice_id": invoice.id, "number": invoice.number,
                    "sync": _sync_status(invoice)})


# -- credit notes and payments ---------------------------------------------------------------

@bp.route("/invoices/<int:invoice_id>/credit-notes")
def list_credit_notes(invoice_id: int):
    invoice = _get(Invoice, invoice_id)
    return jsonify({"items": [rep.credit_note_json(cn) for cn in invoice.credit_notes],
                    "total": len(invoice.credit_notes)})


@bp.route("/invoices/<int:invoice_id>/credit-notes", methods=["POST"])
@_write
def create_credit_note(invoice_id: int):
    """``{lines: [{invoice_line_id, quantity?}]}`` or ``{amount}``, plus ``reason?``."""
    invoice = _get(Invoice, invoice_id)
    data = _body()
    note = credit_notes.issue_credit_note(
        invoice, data.get("lines"), amount=data.get("amount"), reason=data.get("reason"),
        issue_date=data.get("issue_date"), commit=False)
    db.session.flush()
    return jsonify(rep.credit_note_json(note)), 201


@bp.route("/credit-notes/<int:credit_note_id>")
def get_credit_note(credit_note_id: int):
    note = _get(CreditNote, credit_note_id)
    return jsonify(rep.credit_note_json(note) | {"sync": _sync_status(note)})


@bp.route("/invoices/<int:invoice_id>/payments")
def list_payments(invoice_id: int):
    invoice = _get(Invoice, invoice_id)
    return jsonify({"items": [rep.payment_json(p) for p in invoice.payments],
                    "total": len(invoice.payments)})


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
@_write
def create_payment(invoice_id: int):
    """``{amount, date?, reference?}``: a payment received outside the accounting system."""
    invoice = _get(Invoice, invoice_id)
    data = _body()
    _require(data, "amount")
    payment = payments.record_payment(
        invoice, data["amount"], data.get("date"), source="host",
        reference=data.get("reference"), recorded_by=g.api_user, commit=False)
    db.session.flush()
    return jsonify(rep.payment_json(payment) | {"invoice_status": invoice.status}), 201


@bp.route("/payments/<int:payment_id>")
def get_payment(payment_id: int):
    return jsonify(rep.payment_json(_get(Payment, payment_id)))
