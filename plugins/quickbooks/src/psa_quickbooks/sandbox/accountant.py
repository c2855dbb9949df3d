"""The accountant's pages that write: create and edit customers, products and invoices, void
an invoice, the way someone working in QuickBooks' own screens does.

=========================================================  =====================================
GET/POST /company/<realm>/customers/new                     new customer
GET/POST /company/<realm>/customers/<id>/edit               edit (``active`` unticked: inactive)
GET/POST /company/<realm>/products/new                      new product/service
GET/POST /company/<realm>/products/<id>/edit                edit
GET/POST /company/<realm>/invoices/new                      new invoice
GET/POST /company/<realm>/invoices/<id>/edit                edit
POST     /company/<realm>/invoices/<id>/void                void
=========================================================  =====================================

Every write goes through the same :class:`.entities.Operations` as the API (validation, ids,
``SyncToken``, ``MetaData.LastUpdatedTime``), so it shows in queries and change data capture
like an API write, and fires the same webhooks. Edits are sparse updates with the record's
current ``SyncToken``. QuickBooks' answer to a bad form (a duplicate name, an inactive item)
re-renders the form with the fault's text and status 400.

Form fields (stable names for httpx and browser tests):

* customer: ``display_name``, ``email``, ``given_name``, ``family_name``, ``tax_id``
  (``PrimaryTaxIdentifier``), ``active`` ("on" when ticked; edit forms only);
* product: ``name``, ``sku``, ``type`` (Service/NonInventory/Inventory/Category), ``unit_price``,
  ``description``, ``income_account`` (an Account Id), ``active``;
* invoice: ``customer`` (Id), ``txn_date``, ``due_date``, ``memo`` (CustomerMemo),
  ``custom_<DefinitionId>`` (custom fields), and per line ``N`` (1..``LINE_SLOTS``):
  ``line-N-item``, ``line-N-description``, ``line-N-qty``, ``line-N-rate``, ``line-N-tax``
  (US: "on" for a taxable line; elsewhere a TaxCode Id). A line without an item is left out.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, redirect, render_template, request, url_for

from . import customfields, faults
from .entities import Operations
from .pages import _company, _sandbox

bp = Blueprint("qbo_accountant", __name__)
#: Line rows an invoice form offers (filled ones are kept on edit, plus blanks up to this).
LINE_SLOTS = 5


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _amount(name: str, label: str):
    raw = _text(name)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise faults.business(f"{label}: not a number ({raw[:20]!r}).") from None
    if not value.is_finite() or abs(value) >= Decimal("1e13"):
        raise faults.business(f"{label}: not a number QuickBooks can keep.")
    return float(value)


def write(company, entity: str, body: dict, operation: str | None = None) -> dict:
    """One write as the API makes it: under the state lock, persisted, webhooks fired."""
    sandbox = _sandbox()
    with sandbox.state.lock:
        ops = Operations(company, sandbox.clock.now())
        result = ops.void(entity, body) if operation == "void" else ops.save(entity, body)
        sandbox.persist(company)
    sandbox.emit(company.realm_id, ops.events)
    return result


def _current(company, entity: str, ident: str) -> dict:
    obj = company.get(entity, ident)
    if obj is None:
        abort(404)
    return obj


# -- customers ------------------------------------------------------------------------------------


def customer_body() -> dict:
    body: dict = {"DisplayName": _text("display_name")}
    for field, key in (("GivenName", "given_name"), ("FamilyName", "family_name"),
                       ("PrimaryTaxIdentifier", "tax_id")):
        if _text(key):
            body[field] = _text(key)
    if _text("email"):
        body["PrimaryEmailAddr"] = {"Address": _text("email")}
    return body


@bp.route("/company/<realm>/customers/new", methods=["GET", "POST"])
@bp.route("/company/<realm>/customers/<ident>/edit", methods=["GET", "POST"])
def customer_form(realm, ident=None):
    company = _company(realm)
    current = _current(company, "Customer", ident) if ident else None
    error = None
    if request.method == "POST":
        body = customer_body()
        if current is not None:
            body.update(Id=ident, SyncToken=current["SyncToken"], sparse=True,
                        Active=request.form.get("active") == "on")
        try:
            saved = write(company, "Customer", body)
        except faults.QboFault as fault:
            error = fault.detail or fault.message
        else:
            return redirect(url_for("qbo_pages.customers", realm=realm,
                                    message=f"Customer {saved['Id']} saved."))
    return render_template("qbo_sandbox/customer_form.html", company=company, customer=current,
                           error=error, form=request.form), 400 if error else 200


# -- products and services ------------------------------------------------------------------------


def item_body(company) -> dict:
    body: dict = {"Name": _text("name"), "Type": _text("type") or "Service"}
    for field, key in (("Sku", "sku"), ("Description", "description")):
        if _text(key):
            body[field] = _text(key)
    price = _amount("unit_price", "Price")
    if price is not None:
        body["UnitPrice"] = price
    if _text("income_account"):
        body["IncomeAccountRef"] = {"value": _text("income_account")}
    return body


@bp.route("/company/<realm>/products/new", methods=["GET", "POST"])
@bp.route("/company/<realm>/products/<ident>/edit", methods=["GET", "POST"])
def product_form(realm, ident=None):
    company = _company(realm)
    current = _current(company, "Item", ident) if ident else None
    error = None
    if request.method == "POST":
        try:
            body = item_body(company)
            if current is not None:
                body.update(Id=ident, SyncToken=current["SyncToken"], sparse=True,
                            Active=request.form.get("active") == "on")
            saved = write(company, "Item", body)
        except faults.QboFault as fault:
            error = fault.detail or fault.message
        else:
            return redirect(url_for("qbo_pages.products", realm=realm,
                                    message=f"Product {saved['Id']} saved."))
    accounts = [a for a in company.all("Account")
                if a.get("AccountType") in ("Income", "Other Income") and a.get("Active")]
    return render_template("qbo_sandbox/product_form.html", company=company, item=current,
                           accounts=accounts, error=error, form=request.form), \
        400 if error else 200


# -- invoices -------------------------------------------------------------------------------------


def invoice_body(company) -> dict:
    body: dict = {"CustomerRef": {"value": _text("customer")}}
    for field, key in (("TxnDate", "txn_date"), ("DueDate", "due_date")):
        if _text(key):
            body[field] = _text(key)
    body["CustomerMemo"] = {"value": _text("memo")}
    body["CustomField"] = [{"DefinitionId": n, "Type": "StringType",
                            "StringValue": _text(f"custom_{n}")}
                           for n in customfields.definitions(company)]
    lines = []
    for n in range(1, LINE_SLOTS + 1):
        item = _text(f"line-{n}-item")
        if not item:
            continue
        qty = _amount(f"line-{n}-qty", f"Line {n} quantity")
        rate = _amount(f"line-{n}-rate", f"Line {n} rate")
        qty = 1.0 if qty is None else qty
        rate = 0.0 if rate is None else rate
        detail: dict = {"ItemRef": {"value": item}, "Qty": qty, "UnitPrice": rate}
        tax = _text(f"line-{n}-tax")
        if company.is_us:
            detail["TaxCodeRef"] = {"value": "TAX" if tax == "on" else "NON"}
        elif tax:
            detail["TaxCodeRef"] = {"value": tax}
        line = {"DetailType": "SalesItemLineDetail",
                "Amount": float((Decimal(str(qty)) * Decimal(str(rate))).quantize(
                    Decimal("0.01"))), "SalesItemLineDetail": detail}
        if _text(f"line-{n}-description"):
            line["Description"] = _text(f"line-{n}-description")
        lines.append(line)
    body["Line"] = lines
    return body


@bp.route("/company/<realm>/invoices/new", methods=["GET", "POST"])
@bp.route("/company/<realm>/invoices/<ident>/edit", methods=["GET", "POST"])
def invoice_form(realm, ident=None):
    company = _company(realm)
    current = _current(company, "Invoice", ident) if ident else None
    error = None
    if request.method == "POST":
        try:
            body = invoice_body(company)
            if current is not None:
                body.update(Id=ident, SyncToken=current["SyncToken"], sparse=True)
            saved = write(company, "Invoice", body)
        except faults.QboFault as fault:
            error = fault.detail or fault.message
        else:
            return redirect(url_for("qbo_pages.invoice", realm=realm, ident=saved["Id"]))
    sales = [ln for ln in (current or {}).get("Line", [])
             if ln.get("DetailType") == "SalesItemLineDetail"]
    return render_template(
        "qbo_sandbox/invoice_form.html", company=company, invoice=current, error=error,
        form=request.form, lines=sales + [None] * max(0, LINE_SLOTS - len(sales)),
        customers=[c for c in company.all("Customer") if c.get("Active")],
        items=[i for i in company.all("Item") if i.get("Active") and i.get("Type") != "Category"],
        tax_codes=[] if company.is_us else [t for t in company.all("TaxCode") if t.get("Active")],
        custom=customfields.definitions(company),
        custom_values={f["DefinitionId"]: f["StringValue"]
                       for f in (current or {}).get("CustomField", [])}), 400 if error else 200


@bp.post("/company/<realm>/invoices/<ident>/void")
def void_invoice(realm, ident):
    company = _company(realm)
    current = _current(company, "Invoice", ident)
    try:
        write(company, "Invoice", {"Id": ident, "SyncToken": current["SyncToken"]}, "void")
    except faults.QboFault as fault:
        return redirect(url_for("qbo_pages.invoices", realm=realm,
                                error=fault.detail or fault.message))
    return redirect(url_for("qbo_pages.invoices", realm=realm,
                            message=f"Invoice {current.get('DocNumber') or ident} voided."))
