"""The small web UI: one page per organisation (invoices with a Record payment form, credit
notes, contacts), an invoice page, the deep-link entry points and the online invoice.

- ``/`` lists the organisations and the webhook subscription (re-enable it when disabled);
  ``/orgs/<tenant id>`` is an organisation's page.
- ``/orgs/<tenant id>`` also lists the organisation's currencies with today's rates.
- ``/orgs/<tenant id>/invoices/<invoice id>`` is an invoice (with its currency and rate).
- Deep links as Xero documents them: ``/organisationlogin/default.aspx?shortcode=!xxx&
  redirecturl=/AccountsReceivable/View.aspx?InvoiceID=...`` and
  ``/app/<shortcode>/invoicing/view/<invoice id>`` redirect to the invoice page.
- ``/in/<token>`` is the OnlineInvoiceUrl page a customer would see.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import (Blueprint, abort, current_app, flash, g, get_flashed_messages, redirect,
                   render_template, request, url_for)

from . import currencies, documents, payments

bp = Blueprint("xero_pages", __name__)


def _sb():
    return current_app.extensions["xero_sandbox"]


def _org(tenant_id: str) -> dict:
    org = _sb().state.org(tenant_id)
    if org is None:
        abort(404)
    return org


def _by_short_code(short_code: str):
    for tenant_id, org in _sb().state.orgs.items():
        if org["organisation"]["ShortCode"] == short_code:
            return tenant_id, org
    abort(404)


@bp.get("/")
def index():
    orgs = [org["organisation"] for org in _sb().state.orgs.values()]
    return render_template("xero_sandbox/index.html", orgs=orgs, webhook=_sb().webhook_info())


@bp.post("/webhook/enable")
def webhook_enable():
    """Re-enable a disabled webhook subscription (what a developer does in Xero's portal)."""
    _sb().set_webhook_enabled(True)
    flash("Webhook re-enabled: held events are on their way.")
    return redirect(url_for("xero_pages.index"))


@bp.get("/orgs/<tenant_id>")
def organisation(tenant_id):
    sb = _sb()
    with sb.state.lock:
        org = _org(tenant_id)
        invoices = [documents.present(org, "invoice", d) for d in org["invoices"].values()
                    if d["Status"] != "DELETED"]
        notes = [documents.present(org, "credit_note", d) for d in org["credit_notes"].values()
                 if d["Status"] != "DELETED"]
        contacts = sorted(org["contacts"].values(), key=lambda c: c["Name"].lower())
        bank = [a for a in org["accounts"].values() if a["Status"] == "ACTIVE" and (
            a["Type"] == "BANK" or a.get("EnablePaymentsToAccount"))]
        base = org["organisation"]["BaseCurrency"]
        rates = [dict(c, Rate=currencies.day_rate(base, c["Code"]))
                 for c in currencies.enabled(org)]
    return render_template("xero_sandbox/org.html", org=org["organisation"], tenant_id=tenant_id,
                           invoices=invoices, credit_notes=notes, contacts=contacts,
                           currencies=rates,
                           bank_accounts=bank, messages=get_flashed_messages(with_categories=True))


@bp.get("/orgs/<tenant_id>/invoices/<invoice_id>")
def invoice(tenant_id, invoice_id):
    sb = _sb()
    with sb.state.lock:
        org = _org(tenant_id)
        doc = org["invoices"].get(invoice_id.lower())
        if doc is None:
            abort(404)
        shown = documents.present(org, "invoice", doc)
    return render_template("xero_sandbox/invoice.html", org=org["organisation"],
                           tenant_id=tenant_id, invoice=shown,
                           messages=get_flashed_messages(with_categories=True))


@bp.post("/orgs/<tenant_id>/invoices/<invoice_id>/payments")
def record_payment(tenant_id, invoice_id):
    """The Record payment form: a real Payment, and the INVOICE webhook it causes."""
    sb = _sb()
    g.events = []
    g.client_id = "sandbox-ui"
    with sb.state.lock:
        org = _org(tenant_id)
        doc = org["invoices"].get(invoice_id.lower())
        if doc is None:
            abort(404)
        amount = (request.form.get("amount") or "").strip() or str(doc["AmountDue"])
        bank = request.form.get("account_code") or payments.default_bank_code(org)
        element = {"Invoice": {"InvoiceID": doc["InvoiceID"]}, "Account": {"Code": bank},
                   "Amount": amount, "Date": request.form.get("date") or sb.state.today(org),
                   "Reference": request.form.get("reference") or "Recorded in sandbox UI"}
        try:
            payment = payments.record_payment(org, element)
        except documents.Invalid as exc:
            flash("; ".join(exc.messages), "error")
            payment = None
        else:
            sb.state.save()
    for event in g.events:
        sb.publish_event(tenant_id, *event)
    if payment:
        flash(f"Payment of {payment['Amount']:.2f} recorded on {doc['InvoiceNumber']}.", "ok")
    target = request.form.get("next")
    if target and target.startswith("/orgs/"):
        return redirect(target)
    return redirect(url_for("xero_pages.organisation", tenant_id=tenant_id))


@bp.get("/organisationlogin/default.aspx")
def organisation_login():
    tenant_id, _ = _by_short_code(request.args.get("shortcode", ""))
    target = request.args.get("redirecturl", "")
    query = {k.lower(): v for k, v in parse_qs(urlsplit(target).query).items()}
    invoice_id = (query.get("invoiceid") or [None])[0]
    if invoice_id:
        return redirect(url_for("xero_pages.invoice", tenant_id=tenant_id,
                                invoice_id=invoice_id))
    return redirect(url_for("xero_pages.organisation", tenant_id=tenant_id))


@bp.get("/app/<short_code>/invoicing/view/<invoice_id>")
def app_invoice(short_code, invoice_id):
    tenant_id, _ = _by_short_code(short_code)
    return redirect(url_for("xero_pages.invoice", tenant_id=tenant_id, invoice_id=invoice_id))


@bp.get("/in/<token>")
def online_invoice(token):
    sb = _sb()
    with sb.state.lock:
        for org in sb.state.orgs.values():
            for doc in org["invoices"].values():
                if doc.get("_online_token") == token:
                    shown = documents.present(org, "invoice", doc)
                    return render_template("xero_sandbox/online.html",
                                           org=org["organisation"], invoice=shown)
    abort(404)
