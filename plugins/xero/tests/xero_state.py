"""The Xero sandbox seen through the contract suite's provider-state protocol.

:class:`XeroProviderState` implements :class:`host.integrations.provider_state.ProviderState`
for one organisation of a running Xero sandbox (``xero_server``): it reads the sandbox's own
state (never through the plugin under test, never through the Accounting API the plugin uses)
and steers it the way Xero would be steered:

- ``documents`` / ``document``: ACCREC invoices and ACCRECCREDIT credit notes with their lines,
  tax, totals, credit allocations and whether Xero sent them (``SentToContact``, set by
  ``POST /Invoices/{id}/Email`` or by the document's writer);
- ``payments``: the payments on an invoice (a Xero payment applies to one document; a deleted
  one reads as voided);
- ``record_payment``: the accountant's Record payment in Xero (the same rules as the sandbox's
  invoice page), returning the ``INVOICE``/``UPDATE`` delivery Xero sends for it, signed with
  ``x-xero-signature`` over the body with the host's ``XERO_WEBHOOK_KEY``, not sent;
- ``inject_fault``: every category, answered in Xero's shapes by the sandbox's API gate
  (:mod:`psa_xero.sandbox.tenant_faults`);
- ``live_records``: active contacts, items, invoices, credit notes, payments and credit
  allocations;
- ``skew_bookings`` (optional in the protocol): Xero's sales tax rates change under the
  plugin, so Xero books more tax than the PSA sent;
- two-way sync (``TWO_WAY_METHODS``): ``create_record`` / ``edit_record`` are the
  accountant's pages (:mod:`psa_xero.sandbox.accountant`, the API's rules), ``held_record``
  reads the store, ``change_delivery`` signs the ``CONTACT`` / ``INVOICE`` delivery Xero sends.
  Xero has no memo on a sales invoice: ``memo`` is its ``Reference`` (where the plugin puts
  the PSA's memo). Xero cannot archive items: ``{"active": False}`` unticks "I sell this"
  (``IsSold``), as an accountant does with an item no longer sold, and Xero sends no webhook
  for items (``change_delivery`` of items is an empty delivery). ``unreadable_record``: an
  invoice whose line amount has lost its rounding (three decimals).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Callable, Mapping

from flask import g

from host.integrations.provider_state import (
    ALL_FAULTS,
    HeldAllocation,
    HeldDocument,
    HeldLine,
    HeldPayment,
    SignedDelivery,
)

#: the client id the sandbox's own pages act under (the accountant in Xero, not an app)
ACCOUNTANT = "sandbox-ui"
_KINDS = {"invoice": ("invoices", "InvoiceID", "InvoiceNumber", "ACCREC"),
          "credit_note": ("credit_notes", "CreditNoteID", "CreditNoteNumber", "ACCRECCREDIT")}
_STATUS = {"PAID": "paid", "VOIDED": "voided", "DELETED": "deleted"}
_CLOSED = ("VOIDED", "DELETED")
#: how many percentage points ``skew_bookings`` raises the organisation's sales tax rates
SKEW_POINTS = Decimal("2.5")


def _dec(value) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def _money(value) -> Decimal:
    return _dec(value).quantize(Decimal("0.01"))


def _day(value) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


class XeroProviderState:
    """One organisation (``tenant_id``) of the sandbox behind ``server`` (a ServerThread whose
    ``.sandbox`` is the :class:`~psa_xero.sandbox.XeroSandbox`); ``webhook_key`` signs the
    deliveries (the host app's ``XERO_WEBHOOK_KEY``)."""

    fault_categories = ALL_FAULTS

    def __init__(self, server, tenant_id: str, webhook_key: str,
                 taxed: Callable[[], str] | str = "OUTPUT2",
                 revenue_account: str = "200") -> None:
        self.server = server
        self.sandbox = server.sandbox
        self.tenant_id = tenant_id
        self.webhook_key = webhook_key
        #: the TaxType a ``taxed`` line carries (a callable: read when the line is written)
        self.taxed = taxed
        #: the account lines of invoices created here book to
        self.revenue_account = revenue_account

    def _org(self) -> dict:
        return self.sandbox.state.org(self.tenant_id)

    # -- documents -------------------------------------------------------------------------------

    def documents(self, kind) -> list[HeldDocument]:
        collection, _, _, doc_type = _KINDS[kind]
        with self.sandbox.state.lock:
            org = self._org()
            return [self._held(org, kind, doc) for doc in org[collection].values()
                    if doc["Type"] == doc_type]

    def document(self, external_id: str) -> HeldDocument | None:
        with self.sandbox.state.lock:
            org = self._org()
            for kind, (collection, _, _, doc_type) in _KINDS.items():
                doc = org[collection].get(str(external_id).lower())
                if doc is not None and doc["Type"] == doc_type:
                    return self._held(org, kind, doc)
        return None

    def _held(self, org: dict, kind: str, doc: dict) -> HeldDocument:
        _, id_field, number_field, _ = _KINDS[kind]
        contact = org["contacts"].get(doc["Contact"]["ContactID"], {})
        emailed = bool(doc.get("SentToContact")) or any(
            e.get("InvoiceID") == doc[id_field] for e in org["emails"])
        allocations = tuple(
            HeldAllocation(invoice_external_id=a["InvoiceID"], amount=_money(a["Amount"]))
            for a in doc.get("_allocations", []) if not a.get("IsDeleted")) \
            if kind == "credit_note" else ()
        return HeldDocument(
            external_id=doc[id_field], kind=kind, number=doc[number_field],
            status=_STATUS.get(doc["Status"], "open"), currency=doc["CurrencyCode"],
            issue_date=_day(doc["Date"]), due_date=_day(doc.get("DueDate")),
            customer_name=contact.get("Name", ""),
            lines=tuple(self._line(doc["LineAmountTypes"], line) for line in doc["LineItems"]),
            subtotal=_money(doc["SubTotal"]), tax_total=_money(doc["TotalTax"]),
            total=_money(doc["Total"]), emailed=emailed, allocations=allocations)

    @staticmethod
    def _line(amount_type: str, line: dict) -> HeldLine:
        tax = _money(line.get("TaxAmount"))
        amount = _money(line.get("LineAmount"))
        if amount_type == "Inclusive":  # Xero's LineAmount includes the tax then
            amount -= tax
        return HeldLine(description=str(line.get("Description", "")),
                        quantity=_dec(line.get("Quantity")), unit_price=_dec(line.get("UnitAmount")),
                        amount=amount, tax_amount=tax)

    # -- payments --------------------------------------------------------------------------------

    def payments(self, invoice_external_id: str) -> list[HeldPayment]:
        wanted = str(invoice_external_id).lower()
        with self.sandbox.state.lock:
            return [self._payment(p) for p in self._org()["payments"].values()
                    if p["_kind"] == "invoice" and p["_document_id"] == wanted]

    @staticmethod
    def _payment(payment: dict) -> HeldPayment:
        return HeldPayment(
            external_id=payment["PaymentID"], date=_day(payment["Date"]),
            amount=_money(payment["Amount"]),
            allocations=(HeldAllocation(invoice_external_id=payment["_document_id"],
                                        amount=_money(payment["Amount"])),),
            voided=payment["Status"] == "DELETED")

    def record_payment(self, invoice_external_id: str, amount: Decimal,
                       on: date) -> tuple[HeldPayment, SignedDelivery]:
        """The accountant's Record payment on the invoice (to the organisation's bank account),
        and the delivery Xero sends for it (not sent)."""
        from host.sandbox_kit import WebhookTarget
        from psa_xero.sandbox import payments
        from psa_xero.sandbox.webhooks import TARGET_KEY

        sandbox, state = self.sandbox, self.sandbox.state
        with self.server.app.test_request_context(base_url=self.server.url):
            g.events, g.client_id = [], ACCOUNTANT
            with state.lock:
                org = self._org()
                payment = payments.record_payment(org, {
                    "Invoice": {"InvoiceID": str(invoice_external_id)},
                    "Account": {"Code": payments.default_bank_code(org)},
                    "Amount": str(amount), "Date": on.isoformat(),
                    "Reference": "Recorded in Xero"})
                state.save()
            events = [sandbox.webhook_event(self.tenant_id, *event) for event in g.events]
        body = sandbox.render_webhook(None, events)
        target = WebhookTarget(key=TARGET_KEY, url="", secret=self.webhook_key)
        return self._payment(payment), SignedDelivery(headers=sandbox.sign_webhook(target, body),
                                                      body=body)

    # -- faults ----------------------------------------------------------------------------------

    def inject_fault(self, category: str, *, writes_only: bool = True) -> None:
        self.sandbox.tenant_faults.inject(self.tenant_id, category, writes_only=writes_only)

    # -- Xero's own rules -------------------------------------------------------------------------

    def skew_bookings(self) -> None:
        """From now on Xero books tax at rates of its own: every sales tax rate above zero
        rises by 2.5 points (as when VAT goes up and Xero updates the organisation's rates
        before the PSA's are changed). Xero computes a line's tax from its TaxType, so a line
        mapped to one is booked with more tax than the PSA's invoice says."""
        with self.sandbox.state.lock:
            for rate in self._org()["tax_rates"].values():
                if rate["CanApplyToRevenue"] and rate["EffectiveRate"] > 0:
                    raised = float(_dec(rate["EffectiveRate"]) + SKEW_POINTS)
                    rate["EffectiveRate"] = rate["DisplayTaxRate"] = raised
                    for component in rate["TaxComponents"]:
                        component["Rate"] = raised
            self.sandbox.state.save()

    def advance_clock(self, seconds: float) -> None:
        """The sandbox's clock (every organisation's) moves ``seconds`` ahead."""
        self.sandbox.clock.advance(seconds)

    # -- what a write check might leave behind ---------------------------------------------------

    def live_records(self) -> dict[str, int]:
        with self.sandbox.state.lock:
            org = self._org()
            credit_notes = [d for d in org["credit_notes"].values() if d["Status"] not in _CLOSED]
            return {
                "Contact": sum(c.get("ContactStatus", "ACTIVE") == "ACTIVE"
                               for c in org["contacts"].values()),
                "Item": len(org["items"]),
                "Invoice": sum(d["Status"] not in _CLOSED for d in org["invoices"].values()),
                "CreditNote": len(credit_notes),
                "Payment": sum(p["Status"] != "DELETED" for p in org["payments"].values()),
                "Allocation": sum(not a.get("IsDeleted") for d in credit_notes
                                  for a in d.get("_allocations", [])),
            }

    # -- two-way sync: the accountant working in Xero ----------------------------------------------

    def _write(self, action) -> Any:
        """Run ``action(state, org) -> (record, events)`` as the accountant's pages do."""
        from psa_xero.sandbox import documents

        state = self.sandbox.state
        with self.server.app.test_request_context(base_url=self.server.url):
            g.events, g.client_id = [], ACCOUNTANT
            with state.lock:
                try:
                    record, _ = action(state, self._org())
                except documents.Invalid as exc:
                    raise ValueError("; ".join(exc.messages)) from exc
                state.save()
        return record

    def _tax_type(self) -> str:
        return self.taxed() if callable(self.taxed) else self.taxed

    def _contact_fields(self, data: Mapping[str, Any]) -> dict:
        out = {}
        if "name" in data:
            out["Name"] = data["name"]
        if "email" in data:
            out["EmailAddress"] = data["email"] or ""
        if "active" in data:
            out["ContactStatus"] = "ACTIVE" if data["active"] else "ARCHIVED"
        return out

    def _item_fields(self, data: Mapping[str, Any], held: dict | None) -> dict:
        out: dict = {}
        if "name" in data:
            out["Name"] = data["name"]
        if "sku" in data:
            out["Code"] = data["sku"]
        if "unit_price" in data:
            sales = dict((held or {}).get("SalesDetails") or {"AccountCode": self.revenue_account})
            sales["UnitPrice"] = float(data["unit_price"])
            out["SalesDetails"] = sales
        return out

    def _invoice_fields(self, data: Mapping[str, Any]) -> dict:
        out: dict = {}
        if "customer_id" in data:
            out["Contact"] = {"ContactID": str(data["customer_id"])}
        for key, field in (("issue_date", "Date"), ("due_date", "DueDate")):
            if data.get(key):
                out[field] = data[key].isoformat()
        if "memo" in data:
            out["Reference"] = data["memo"] or ""
        if "lines" in data:
            org = self._org()
            out["LineItems"] = []
            for line in data["lines"]:
                row = {"Description": line.get("description", ""),
                       "Quantity": float(line.get("quantity", 1)),
                       "UnitAmount": float(line.get("unit_price", 0)),
                       "AccountCode": self.revenue_account,
                       "TaxType": self._tax_type() if line.get("taxed") else "NONE"}
                if line.get("item_id"):
                    row["ItemCode"] = org["items"][str(line["item_id"]).lower()]["Code"]
                out["LineItems"].append(row)
        return out

    def create_record(self, object: str, data: Mapping[str, Any]) -> str:  # noqa: A002
        """Create a contact, item or approved sales invoice as the accountant does."""
        from psa_xero.sandbox import accountant

        if object == "customer":
            saved = self._write(lambda state, org: accountant.save_contact(
                state, org, self._contact_fields(data)))
            return saved["ContactID"]
        if object == "item":
            fields = self._item_fields(data, None)
            fields.setdefault("SalesDetails", {"AccountCode": self.revenue_account})
            saved = self._write(lambda state, org: accountant.save_item(
                state, org, {**fields, "IsSold": True}))
            return saved["ItemID"]
        fields = {"LineAmountTypes": "Exclusive", "Status": "AUTHORISED",
                  **self._invoice_fields(data)}
        saved = self._write(lambda state, org: accountant.save_invoice(state, org, fields))
        return saved["InvoiceID"]

    def edit_record(self, object: str, external_id: str,  # noqa: A002
                    changes: Mapping[str, Any]) -> None:
        """Change a record as the accountant's pages do (its UpdatedDateUTC moves on)."""
        from psa_xero.sandbox import accountant

        key = str(external_id).lower()
        if object == "customer":
            self._write(lambda state, org: accountant.save_contact(
                state, org, self._contact_fields(changes), org["contacts"][key]))
        elif object == "item":
            with self.sandbox.state.lock:
                fields = self._item_fields(changes, self._org()["items"][key])
            if "active" in changes:
                fields["IsSold"] = bool(changes["active"])
            self._write(lambda state, org: accountant.save_item(
                state, org, fields, org["items"][key]))
        elif changes.get("status") in ("voided", "deleted"):
            self._write(lambda state, org: accountant.void_invoice(
                state, org, org["invoices"][key]))
        else:
            self._write(lambda state, org: accountant.save_invoice(
                state, org, self._invoice_fields(changes), org["invoices"][key]))

    def held_record(self, object: str, external_id: str  # noqa: A002
                    ) -> Mapping[str, Any] | None:
        """The record as Xero holds it, in the protocol's keys (None: Xero has none)."""
        key = str(external_id).lower()
        with self.sandbox.state.lock:
            org = self._org()
            if object == "customer":
                c = org["contacts"].get(key)
                return None if c is None else {
                    "name": c["Name"], "email": c.get("EmailAddress", ""),
                    "active": c["ContactStatus"] == "ACTIVE", "tax_number": c.get("TaxNumber", "")}
            if object == "item":
                i = org["items"].get(key)
                if i is None:
                    return None
                price = (i.get("SalesDetails") or {}).get("UnitPrice")
                return {"name": i.get("Name", ""), "sku": i["Code"],
                        "active": i.get("IsSold", True) is not False,
                        "unit_price": None if price is None else _money(price),
                        "description": i.get("Description", "")}
            d = org["invoices"].get(key)
            return None if d is None else {
                "number": d["InvoiceNumber"], "memo": d.get("Reference", ""),
                "customer_id": d["Contact"]["ContactID"],
                "status": _STATUS.get(d["Status"], "open"), "total": _money(d["Total"]),
                "due_date": _day(d.get("DueDate"))}

    def unreadable_record(self, object: str) -> str | None:  # noqa: A002
        """An approved invoice whose first line's amount has three decimals (a record no
        plugin can book in cents); None for customers and items (Xero's own validation keeps
        those readable)."""
        if object != "invoice":
            return None
        with self.sandbox.state.lock:
            name = f"Unreadable {len(self._org()['contacts'])}"
        customer = self.create_record("customer", {"name": name})
        invoice_id = self.create_record("invoice", {
            "customer_id": customer, "issue_date": date(2026, 3, 2),
            "due_date": date(2026, 4, 1), "lines": [
                {"description": "Lost rounding", "quantity": Decimal("1"),
                 "unit_price": Decimal("10"), "taxed": False}]})
        with self.sandbox.state.lock:
            self._org()["invoices"][invoice_id.lower()]["LineItems"][0]["LineAmount"] = 10.005
            self.sandbox.state.save()
        return invoice_id

    def change_delivery(self, object: str, external_ids: list[str],  # noqa: A002
                        operation: str) -> SignedDelivery:
        """The signed delivery Xero sends for those records (``CONTACT`` / ``INVOICE``,
        ``CREATE`` or ``UPDATE``; Xero sends none for items: an empty delivery)."""
        from host.sandbox_kit import WebhookTarget
        from psa_xero.sandbox.webhooks import TARGET_KEY

        category = {"customer": "CONTACT", "invoice": "INVOICE"}.get(object)
        event_type = "CREATE" if str(operation).lower() in ("create", "created") else "UPDATE"
        sandbox = self.sandbox
        with self.server.app.test_request_context(base_url=self.server.url):
            events = [sandbox.webhook_event(self.tenant_id, category, event_type, str(i))
                      for i in external_ids] if category else []
        if events:
            body = sandbox.render_webhook(None, events)
        else:
            import json

            body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                               "entropy": "NOITEMWEBHOOKSINXERO"}, separators=(",", ":")).encode()
        target = WebhookTarget(key=TARGET_KEY, url="", secret=self.webhook_key)
        return SignedDelivery(headers=sandbox.sign_webhook(target, body), body=body)
