"""Small web pages per company (the "QuickBooks UI" of the sandbox).

=========================================================  =====================================
GET  /                                                     companies
GET  /company/<realm>/invoices                             invoices with status, balance and a
                                                           Receive payment form per open invoice
GET  /company/<realm>/invoices/<id>                        one invoice (deep-link target)
POST /company/<realm>/invoices/<id>/payments               form field ``amount``: creates a real
                                                           Payment linked to the invoice (webhooks fire)
GET  /company/<realm>/customers, /company/<realm>/products lists
GET  /app/invoice?txnId=<id>[&realmId=<realm>]             QBO-style deep link -> invoice page
=========================================================  =====================================

The pages that create and edit customers, products and invoices, and void invoices, are in
:mod:`.accountant`.

Stable hooks for browser tests: each invoice row is ``tr[data-invoice-id]``; its form has
``input[name=amount]`` and ``button.receive-payment``; the result message is ``#message``.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from . import faults
from .entities import Operations

bp = Blueprint("qbo_pages", __name__)


def _sandbox():
    return current_app.extensions["qbo_sandbox"]


def _company(realm):
    company = _sandbox().state.company(realm)
    if company is None:
        abort(404)
    return company


def invoice_status(inv: dict) -> str:
    if str(inv.get("PrivateNote", "")).startswith("Voided"):
        return "Voided"
    total, balance = float(inv.get("TotalAmt", 0)), float(inv.get("Balance", 0))
    if balance <= 0 and total > 0:
        return "Paid"
    if 0 < balance < total:
        return "Partially paid"
    return "Open"


@bp.get("/")
def index():
    return render_template("qbo_sandbox/index.html", companies=_sandbox().state.companies)


@bp.get("/company/<realm>/invoices")
def invoices(realm):
    company = _company(realm)
    rows = sorted(company.all("Invoice"), key=lambda i: int(i["Id"]), reverse=True)
    return render_template("qbo_sandbox/invoices.html", company=company, invoices=rows,
                           status=invoice_status, message=request.args.get("message"),
                           error=request.args.get("error"))


@bp.get("/company/<realm>/invoices/<ident>")
def invoice(realm, ident):
    company = _company(realm)
    inv = company.get("Invoice", ident)
    if inv is None:
        abort(404)
    return render_template("qbo_sandbox/invoice.html", company=company, invoice=inv,
                           status=invoice_status(inv))


@bp.get("/app/invoice")
def deep_link():
    ident = request.args.get("txnId", "")
    realm = request.args.get("realmId") or request.args.get("companyId")
    for company in _sandbox().state.companies.values():
        if (realm is None or company.realm_id == realm) and company.get("Invoice", ident):
            return redirect(url_for("qbo_pages.invoice", realm=company.realm_id, ident=ident))
    abort(404)


@bp.post("/company/<realm>/invoices/<ident>/payments")
def receive_payment(realm, ident):
    company = _company(realm)
    sandbox = _sandbox()
    try:
        with sandbox.state.lock:
            inv = company.get("Invoice", ident)
            if inv is None:
                abort(404)
            raw = request.form.get("amount") or str(inv.get("Balance", 0))
            try:
                amount = round(float(raw), 2)
            except ValueError:
                raise faults.business(f"Not an amount: {raw!r}")
            if amount <= 0:
                raise faults.business("The amount must be positive.")
            ops = Operations(company, sandbox.clock.now())
            body = {"CustomerRef": {"value": inv["CustomerRef"]["value"]}, "TotalAmt": amount,
                    "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": ident, "TxnType": "Invoice"}]}]}
            if request.form.get("reference"):
                body["PaymentRefNum"] = request.form["reference"]
            payment = ops.save("Payment", body)
            sandbox.persist(company)
    except faults.QboFault as fault:
        return redirect(url_for("qbo_pages.invoices", realm=realm, error=fault.detail or fault.message))
    sandbox.emit(realm, ops.events)
    message = f"Payment {payment['Id']} of {amount:.2f} recorded for invoice {inv.get('DocNumber') or ident}."
    return redirect(url_for("qbo_pages.invoices", realm=realm, message=message))


@bp.get("/company/<realm>/customers")
def customers(realm):
    company = _company(realm)
    return render_template("qbo_sandbox/customers.html", company=company,
                           customers=sorted(company.all("Customer"), key=lambda c: c["DisplayName"].lower()),
                           message=request.args.get("message"))


@bp.get("/company/<realm>/products")
def products(realm):
    company = _company(realm)
    return render_template("qbo_sandbox/products.html", company=company,
                           items=sorted(company.all("Item"), key=lambda i: i["FullyQualifiedName"].lower()),
                           message=request.args.get("message"))
