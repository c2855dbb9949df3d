"""The accountant's pages: contacts, items and sales invoices created and edited in "Xero".

- ``/orgs/<tenant>/contacts/new`` and ``/orgs/<tenant>/contacts/<id>``: a contact's form
  (name, email, first and last name, tax number, archived);
- ``/orgs/<tenant>/items`` (list and new item) and ``/orgs/<tenant>/items/<id>`` (edit,
  delete): code, name, sales description, sale price, sales account, tax rate;
- ``/orgs/<tenant>/invoices/new`` and ``/orgs/<tenant>/invoices/<id>/edit``: a sales invoice
  (contact, date, due date, reference, amounts tax exclusive/inclusive/no tax, up to
  :data:`LINES` lines of item code, description, quantity, unit price, account and tax rate),
  saved as a draft or approved; ``.../approve`` and ``.../void`` on the invoice page.

Every write goes through :mod:`.accountant` (the API's rules) and fires the webhook Xero fires
for it (``CONTACT`` / ``INVOICE``, ``CREATE`` / ``UPDATE``). Errors are Xero's messages, shown
on the form with what was typed kept.
"""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, get_flashed_messages, redirect,
                   render_template, request, url_for)

from . import accountant, documents

bp = Blueprint("xero_books", __name__)
#: invoice lines on the form
LINES = 4
AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")


def _sb():
    return current_app.extensions["xero_sandbox"]


def _org(tenant_id: str) -> dict:
    org = _sb().state.org(tenant_id)
    if org is None:
        abort(404)
    return org


def _form(*names: str) -> dict:
    return {n: (request.form.get(n) or "").strip() for n in names}


def _publish(tenant_id: str, events) -> None:
    for category, event_type, resource_id in events:
        _sb().publish_event(tenant_id, category, event_type, resource_id)


def _write(tenant_id: str, action):
    """Run ``action(state, org) -> (record, events)`` under the lock; save and publish on
    success; on Xero's refusal flash its messages and return None."""
    sb = _sb()
    with sb.state.lock:
        org = _org(tenant_id)
        try:
            record, events = action(sb.state, org)
        except documents.Invalid as exc:
            for message in exc.messages:
                flash(message, "error")
            return None
        sb.state.save()
    _publish(tenant_id, events)
    return record


def _render(template: str, tenant_id: str, **context):
    org = _org(tenant_id)
    return render_template(f"xero_sandbox/{template}", org=org["organisation"],
                           tenant_id=tenant_id, sales_accounts=_sales_accounts(org),
                           tax_rates=_tax_rates(org),
                           messages=get_flashed_messages(with_categories=True), **context)


def _sales_accounts(org: dict) -> list[dict]:
    return sorted((a for a in org["accounts"].values() if a["Status"] == "ACTIVE"
                   and a["Type"] in documents.REVENUE_TYPES), key=lambda a: a["Code"])


def _tax_rates(org: dict) -> list[dict]:
    return [t for t in org["tax_rates"].values() if t.get("Status", "ACTIVE") == "ACTIVE"
            and t.get("CanApplyToRevenue")]


# -- contacts -----------------------------------------------------------------------------------

CONTACT_FIELDS = ("Name", "EmailAddress", "FirstName", "LastName", "TaxNumber")


def _contact_data(existing: dict | None) -> dict:
    data = _form(*CONTACT_FIELDS)
    if existing is not None:  # an emptied field is cleared, as in Xero's form
        data["ContactStatus"] = "ARCHIVED" if request.form.get("archived") else "ACTIVE"
        return data
    return {k: v for k, v in data.items() if v}


@bp.route("/orgs/<tenant_id>/contacts/new", methods=("GET", "POST"))
def new_contact(tenant_id):
    if request.method == "POST":
        saved = _write(tenant_id, lambda state, org: accountant.save_contact(
            state, org, _contact_data(None)))
        if saved is not None:
            flash(f"Contact {saved['Name']} created.", "ok")
            return redirect(url_for("xero_books.contact", tenant_id=tenant_id,
                                    contact_id=saved["ContactID"]))
    return _render("contact_form.html", tenant_id, contact=dict(request.form), new=True)


@bp.route("/orgs/<tenant_id>/contacts/<contact_id>", methods=("GET", "POST"))
def contact(tenant_id, contact_id):
    with _sb().state.lock:
        found = _org(tenant_id)["contacts"].get(contact_id.lower())
        if found is None:
            abort(404)
        shown = dict(found)
    if request.method == "POST":
        saved = _write(tenant_id, lambda state, org: accountant.save_contact(
            state, org, _contact_data(found), org["contacts"][found["ContactID"]]))
        if saved is not None:
            flash(f"Contact {saved['Name']} saved.", "ok")
            return redirect(url_for("xero_books.contact", tenant_id=tenant_id,
                                    contact_id=contact_id))
        shown.update(request.form)
    return _render("contact_form.html", tenant_id, contact=shown, new=False)


# -- items --------------------------------------------------------------------------------------


def _item_data() -> dict:
    form = _form("Code", "Name", "Description", "UnitPrice", "AccountCode", "TaxType")
    sales = {k: form.pop(k) for k in ("UnitPrice", "AccountCode", "TaxType") if form.get(k)}
    if "UnitPrice" in sales:
        try:
            float(sales["UnitPrice"])
        except ValueError:
            raise documents.Invalid(["The sale price must be a number."]) from None
    data = {k: v for k, v in form.items() if v or k == "Description"}
    if sales:
        data["SalesDetails"] = sales
    data["IsSold"] = True
    return data


@bp.route("/orgs/<tenant_id>/items", methods=("GET", "POST"))
def item_list(tenant_id):
    if request.method == "POST":
        saved = _write(tenant_id, lambda state, org: accountant.save_item(
            state, org, _item_data()))
        if saved is not None:
            flash(f"Item {saved['Code']} created.", "ok")
            return redirect(url_for("xero_books.item_list", tenant_id=tenant_id))
    with _sb().state.lock:
        listed = sorted((dict(i) for i in _org(tenant_id)["items"].values()),
                        key=lambda i: i["Code"].lower())
    return _render("items.html", tenant_id, items=listed, item=dict(request.form))


@bp.route("/orgs/<tenant_id>/items/<item_id>", methods=("GET", "POST"))
def item(tenant_id, item_id):
    with _sb().state.lock:
        found = _org(tenant_id)["items"].get(item_id.lower())
        if found is None:
            abort(404)
        shown = dict(found, **(found.get("SalesDetails") or {}))
    if request.method == "POST":
        if request.form.get("delete"):
            _write(tenant_id, lambda state, org: (
                None, accountant.delete_item(state, org, found)))
            flash(f"Item {found['Code']} deleted.", "ok")
            return redirect(url_for("xero_books.item_list", tenant_id=tenant_id))
        saved = _write(tenant_id, lambda state, org: accountant.save_item(
            state, org, _item_data(), found))
        if saved is not None:
            flash(f"Item {saved['Code']} saved.", "ok")
            return redirect(url_for("xero_books.item_list", tenant_id=tenant_id))
        shown.update(request.form)
    return _render("item_form.html", tenant_id, item=shown)


# -- invoices -----------------------------------------------------------------------------------


def _invoice_data(new: bool) -> dict:
    form = _form("ContactID", "Date", "DueDate", "Reference", "LineAmountTypes")
    data: dict = {"Reference": form["Reference"]}
    if form["ContactID"]:
        data["Contact"] = {"ContactID": form["ContactID"]}
    for key in ("Date", "DueDate"):
        if form[key]:
            data[key] = form[key]
    if form["LineAmountTypes"] in AMOUNT_TYPES:
        data["LineAmountTypes"] = form["LineAmountTypes"]
    lines = []
    for n in range(LINES):
        row = _form(*(f"{k}-{n}" for k in ("ItemCode", "Description", "Quantity",
                                             "UnitAmount", "AccountCode", "TaxType")))
        row = {k.rsplit("-", 1)[0]: v for k, v in row.items() if v}
        if row:
            lines.append(row)
    data["LineItems"] = lines
    if new or request.form.get("approve"):
        data["Status"] = "AUTHORISED" if request.form.get("approve") else "DRAFT"
    return data


def _invoice_form(tenant_id: str, invoice: dict, new: bool):
    with _sb().state.lock:
        org = _org(tenant_id)
        people = sorted((c for c in org["contacts"].values() if c["ContactStatus"] == "ACTIVE"),
                        key=lambda c: c["Name"].lower())
        listed = sorted(org["items"].values(), key=lambda i: i["Code"].lower())
        people = [dict(c) for c in people]
        listed = [dict(i) for i in listed]
    return _render("invoice_form.html", tenant_id, invoice=invoice, new=new, contacts=people,
                   items=listed, lines=range(LINES), amount_types=AMOUNT_TYPES)


def _typed() -> dict:
    return {k: v for k, v in request.form.items()}


@bp.route("/orgs/<tenant_id>/invoices/new", methods=("GET", "POST"))
def new_invoice(tenant_id):
    if request.method == "POST":
        saved = _write(tenant_id, lambda state, org: accountant.save_invoice(
            state, org, _invoice_data(True)))
        if saved is not None:
            flash(f"Invoice {saved['InvoiceNumber']} saved ({saved['Status']}).", "ok")
            return redirect(url_for("xero_pages.invoice", tenant_id=tenant_id,
                                    invoice_id=saved["InvoiceID"]))
    return _invoice_form(tenant_id, _typed(), True)


@bp.route("/orgs/<tenant_id>/invoices/<invoice_id>/edit", methods=("GET", "POST"))
def edit_invoice(tenant_id, invoice_id):
    with _sb().state.lock:
        doc = _org(tenant_id)["invoices"].get(invoice_id.lower())
        if doc is None:
            abort(404)
        shown = {"ContactID": doc["Contact"]["ContactID"], "Date": str(doc["Date"])[:10],
                 "DueDate": str(doc.get("DueDate") or "")[:10],
                 "Reference": doc.get("Reference", ""),
                 "LineAmountTypes": doc["LineAmountTypes"], "InvoiceID": doc["InvoiceID"],
                 "InvoiceNumber": doc["InvoiceNumber"], "Status": doc["Status"]}
        for n, line in enumerate(doc["LineItems"][:LINES]):
            for key in ("ItemCode", "Description", "Quantity", "UnitAmount", "AccountCode",
                        "TaxType"):
                if line.get(key) not in (None, ""):
                    shown[f"{key}-{n}"] = line[key]
    if request.method == "POST":
        saved = _write(tenant_id, lambda state, org: accountant.save_invoice(
            state, org, _invoice_data(False), org["invoices"][doc["InvoiceID"]]))
        if saved is not None:
            flash(f"Invoice {saved['InvoiceNumber']} saved.", "ok")
            return redirect(url_for("xero_pages.invoice", tenant_id=tenant_id,
                                    invoice_id=invoice_id))
        shown.update(_typed())
    return _invoice_form(tenant_id, shown, False)


def _status_change(tenant_id: str, invoice_id: str, change, done: str):
    with _sb().state.lock:
        if _org(tenant_id)["invoices"].get(invoice_id.lower()) is None:
            abort(404)
    saved = _write(tenant_id, lambda state, org: change(
        state, org, org["invoices"][invoice_id.lower()]))
    if saved is not None:
        flash(f"Invoice {saved['InvoiceNumber']} {done}.", "ok")
    return redirect(url_for("xero_pages.invoice", tenant_id=tenant_id, invoice_id=invoice_id))


@bp.post("/orgs/<tenant_id>/invoices/<invoice_id>/approve")
def approve_invoice(tenant_id, invoice_id):
    return _status_change(tenant_id, invoice_id, accountant.approve_invoice, "approved")


@bp.post("/orgs/<tenant_id>/invoices/<invoice_id>/void")
def void_invoice(tenant_id, invoice_id):
    return _status_change(tenant_id, invoice_id, accountant.void_invoice, "voided")
