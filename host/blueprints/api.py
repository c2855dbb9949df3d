"""JSON API under /api/v1, authenticated by per-user bearer tokens only.

CSRF-exempt because it never reads the session: a request without a valid
``Authorization: Bearer <token>`` header is a 401, even from a logged-in browser. Every lookup
is scoped to the token owner's organization (another organization's record is a 404). Errors
are RFC 9457 problem details.

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
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from host.extensions import csrf, db
from host.models import (
    BusinessUnit, Client, ContractLine, CreditNote, GLAccount, Invoice, Payment, Project,
    ServiceType, TaxRate,
)
from host.services import credit_notes, invoicing, payments
from host.services import representations as rep
from host.forms.validators import is_email
from host.services.api_tokens import user_for_token
from host.services.errors import DomainError
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
    slug = "invalid-transition" if exc.status == 409 else "validation-error"
    return problem(exc.status, exc.message, slug)


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
    try:
        data = json.loads(request.get_data() or b"null", parse_float=Decimal)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        abort(400, "The request body must be a JSON object (Content-Type: application/json).")
    return data


def _require(data: dict, *fields: str) -> None:
    missing = [f for f in fields if data.get(f) in (None, "")]
    if missing:
        raise DomainError(f"Missing field(s): {', '.join(missing)}.")


def _page(stmt, to_json):
    limit = min(max(request.args.get("limit", 100, type=int), 1), 1000)
    offset = max(request.args.get("offset", 0, type=int), 0)
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar()
    rows = db.session.execute(stmt.limit(limit).offset(offset)).scalars().all()
    return jsonify({"items": [to_json(r) for r in rows], "total": total,
                    "limit": limit, "offset": offset})


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(f"{field} must be a date (YYYY-MM-DD).") from None


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
def save_client(client_id: int | None = None):
    data = _body()
    client = _get(Client, client_id) if client_id else Client(organization_id=_org())
    if client_id is None:
        _require(data, "name")
    for field in ("name", "billing_contact_name", "billing_email", "currency"):
        if field in data:
            setattr(client, field, str(data[field] or "").strip())
    if "active" in data:
        client.active = bool(data["active"])
    client.currency = (client.currency or "").upper()
    if client.billing_email and not is_email(client.billing_email):
        raise DomainError("billing_email is not an email address.")
    db.session.add(client)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return problem(409, "A client with this name already exists.")
    return jsonify(rep.client_json(client)), (201 if client_id is None else 200)


# -- projects --------------------------------------------------------------------------------

@bp.route("/projects")
def list_projects():
    stmt = sa.select(Project).where(Project.organization_id == _org()).order_by(Project.id)
    if request.args.get("client_id"):
        stmt = stmt.where(Project.client_id == request.args.get("client_id", type=int))
    return _page(stmt, rep.project_json)


@bp.route("/projects/<int:project_id>")
def get_project(project_id: int):
    return jsonify(rep.project_json(_get(Project, project_id)))


@bp.route("/projects", methods=["POST"])
def create_project():
    """``{name, client_id, business_unit_id, due_days?, contract_lines?: [{service_type_id,
    rate, description?, gl_account_id?, tax_rate_id?, class_label?}]}``"""
    data = _body()
    _require(data, "name", "client_id", "business_unit_id")
    org = _org()
    client = org_get(Client, org, data["client_id"])
    unit = org_get(BusinessUnit, org, data["business_unit_id"])
    if client is None or unit is None:
        raise DomainError("Unknown client_id or business_unit_id.")
    project = Project(organization_id=org, name=str(data["name"]).strip(), client=client,
                      business_unit=unit, due_days=_int_or_none(data.get("due_days")))
    contract_lines = data.get("contract_lines") or []
    if not isinstance(contract_lines, list) or not all(isinstance(x, dict) for x in contract_lines):
        raise DomainError("contract_lines must be a list of objects.")
    for position, line in enumerate(contract_lines, start=1):
        _require(line, "service_type_id", "rate")
        service_type = org_get(ServiceType, org, line["service_type_id"])
        if service_type is None:
            raise DomainError(f"Unknown service_type_id {line['service_type_id']!r}.")
        project.contract_lines.append(ContractLine(
            position=position, service_type=service_type,
            rate=invoicing._decimal(line["rate"], "rate"),
            description=str(line.get("description") or ""),
            gl_account=org_get(GLAccount, org, line.get("gl_account_id")),
            tax_rate=org_get(TaxRate, org, line.get("tax_rate_id")),
            class_label=str(line.get("class_label") or ""),
        ))
    db.session.add(project)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return problem(409, "A project with this name already exists.")
    return jsonify(rep.project_json(project)), 201


def _int_or_none(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(f"Not an integer: {value!r}.") from None


# -- invoices --------------------------------------------------------------------------------

@bp.route("/invoices")
def list_invoices():
    from host.blueprints.invoices import LIST_LOADS

    stmt = (sa.select(Invoice).where(Invoice.organization_id == _org())
            .options(*LIST_LOADS).order_by(Invoice.id))
    for field in ("status", "client_id", "project_id", "business_unit_id"):
        if request.args.get(field):
            stmt = stmt.where(getattr(Invoice, field) == request.args.get(field))
    return _page(stmt, lambda inv: rep.invoice_json(inv, _sync_status(inv), with_lines=False))


@bp.route("/invoices/<int:invoice_id>")
def get_invoice(invoice_id: int):
    invoice = _get(Invoice, invoice_id)
    return jsonify(rep.invoice_json(invoice, _sync_status(invoice)))


@bp.route("/invoices", methods=["POST"])
def create_invoice():
    """``{project_id, issue_date?, memo?, send?}`` plus either ``lines`` (see
    ``invoicing.create_invoice``) or ``quantities`` ``{contract_line_id: qty}``; neither bills
    each contract line once. ``"send": true`` sends it right away."""
    data = _body()
    _require(data, "project_id")
    project = org_get(Project, _org(), data["project_id"])
    if project is None:
        raise DomainError(f"Unknown project_id {data['project_id']!r}.")
    common = {"issue_date": _date(data.get("issue_date"), "issue_date"),
              "memo": str(data.get("memo") or ""), "created_by": g.api_user}
    if data.get("lines") is not None:
        if not isinstance(data["lines"], list):
            raise DomainError("lines must be a list.")
        invoice = invoicing.create_invoice(project, data["lines"], **common)
    else:
        quantities = data.get("quantities")
        if quantities is not None and not isinstance(quantities, dict):
            raise DomainError("quantities must be an object {contract_line_id: quantity}.")
        invoice = invoicing.create_invoice_from_project(project, quantities, **common)
    if data.get("send"):
        invoicing.send_invoice(invoice)
    return jsonify(rep.invoice_json(invoice, _sync_status(invoice))), 201


@bp.route("/invoices/<int:invoice_id>", methods=["PATCH"])
def update_invoice(invoice_id: int):
    """``{lines?, memo?, issue_date?}`` on a draft, approved or unpaid sent invoice."""
    invoice = _get(Invoice, invoice_id)
    data = _body()
    invoicing.update_invoice(invoice, data.get("lines"), memo=data.get("memo"),
                             issue_date=_date(data.get("issue_date"), "issue_date"))
    return jsonify(rep.invoice_json(invoice, _sync_status(invoice)))


@bp.route("/invoices/<int:invoice_id>/<any(approve, send, void):action>", methods=["POST"])
def invoice_action(invoice_id: int, action: str):
    invoice = _get(Invoice, invoice_id)
    {"approve": invoicing.approve, "send": invoicing.send_invoice,
     "void": invoicing.void_invoice}[action](invoice)
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
def create_credit_note(invoice_id: int):
    """``{lines: [{invoice_line_id, quantity?}]}`` or ``{amount}``, plus ``reason?``."""
    invoice = _get(Invoice, invoice_id)
    data = _body()
    note = credit_notes.issue_credit_note(
        invoice, data.get("lines"), amount=data.get("amount"), reason=str(data.get("reason") or ""),
        issue_date=_date(data.get("issue_date"), "issue_date"))
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
def create_payment(invoice_id: int):
    """``{amount, date?, reference?}``: a payment received outside the accounting system."""
    invoice = _get(Invoice, invoice_id)
    data = _body()
    _require(data, "amount")
    payment = payments.record_payment(
        invoice, payments.parse_amount(data["amount"]), _date(data.get("date"), "date"),
        source="host", reference=str(data.get("reference") or ""), recorded_by=g.api_user)
    return jsonify(rep.payment_json(payment) | {"invoice_status": invoice.status}), 201


@bp.route("/payments/<int:payment_id>")
def get_payment(payment_id: int):
    return jsonify(rep.payment_json(_get(Payment, payment_id)))
