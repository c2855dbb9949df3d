"""The fake ledger's side of one tenant, for the contract suite (the ``ProviderState`` protocol).

Reads :data:`fakeledger.LEDGER` directly -- never through the fake provider plugin, since the
suite checks that plugin -- and steers it (faults, a payment typed at the ledger). The model
for a plugin author's own sandbox state: ``plugins/<name>/tests/conftest.py`` returns one of
these from its ``provider_state`` fixture.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import fakeledger
from host.integrations.provider_state import (
    ALL_FAULTS,
    HeldAllocation,
    HeldDocument,
    HeldLine,
    HeldPayment,
    SignedDelivery,
)

#: The ledger's tax code a ``taxed`` line carries: the code of the sample tax rate's 20 %.
TAXED_CODE = "TAX"

#: ``TWO_WAY_METHODS``' keys -> the ledger's own keys, per object.
LEDGER_KEYS = {
    "customer": {"name": "name", "email": "email", "contact": "contact", "tax_id": "tax_id",
                 "active": "active"},
    "item": {"name": "name", "sku": "sku", "unit_price": "unit_price",
             "description": "description", "income_account": "income_account",
             "active": "active"},
    "invoice": {"customer_id": "customer", "issue_date": "issue_date",
                "due_date": "due_date", "memo": "memo", "po_number": "po_number",
                "currency": "currency"},
}


class FakeLedgerState:
    """``ProviderState`` for ``tenant_id`` of a :class:`fakeledger.LedgerState`."""

    fault_categories = ALL_FAULTS

    def __init__(self, tenant_id: str, ledger: fakeledger.LedgerState = fakeledger.LEDGER):
        self.tenant_id = tenant_id
        self.ledger = ledger

    def _mine(self, type_: str) -> list[dict]:
        with self.ledger.lock:
            return [dict(d) for d in self.ledger.documents.values()
                    if d["type"] == type_ and d["tenant"] == self.tenant_id]

    def documents(self, kind):
        return [self._held(d) for d in self._mine(kind)]

    def document(self, external_id):
        with self.ledger.lock:
            doc = self.ledger.documents.get(external_id)
        if doc is None or doc["tenant"] != self.tenant_id or doc["type"] == "payment":
            return None
        return self._held(dict(doc))

    def payments(self, invoice_external_id):
        return [HeldPayment(external_id=p["id"], date=date.fromisoformat(p["date"]),
                            amount=Decimal(p["amount"]),
                            allocations=(HeldAllocation(p["invoice_id"], Decimal(p["amount"])),)
                            if p.get("invoice_id") else (),
                            voided=bool(p.get("voided")))
                for p in self._mine("payment") if p.get("invoice_id") == invoice_external_id]

    def record_payment(self, invoice_external_id, amount, on):
        before = {p.external_id for p in self.payments(invoice_external_id)}
        body, headers = self.ledger.record_payment(invoice_external_id, Decimal(amount),
                                                   tenant_id=self.tenant_id, on=on.isoformat())
        (payment,) = [p for p in self.payments(invoice_external_id)
                      if p.external_id not in before]
        return payment, SignedDelivery(headers=headers, body=body)

    def inject_fault(self, category, *, writes_only=True):
        if category not in self.fault_categories:
            raise ValueError(f"the fake ledger cannot inject {category!r}")
        self.ledger.fail_next(category, writes_only=writes_only)

    def live_records(self):
        return self.ledger.live_records(self.tenant_id)

    def skew_bookings(self):
        """Optional (``OPTIONAL_METHODS``): the ledger books in EUR whatever it is sent."""
        self.ledger.books_in = "EUR"

    def advance_clock(self, seconds):
        """Optional (``OPTIONAL_METHODS``): the ledger's clock moves ``seconds`` ahead."""
        with self.ledger.lock:
            self.ledger.clock_offset += seconds

    # -- reading one document ----------------------------------------------------------------

    def _held(self, doc: dict) -> HeldDocument:
        customer = self.ledger.customers.get(doc.get("customer"), {})
        return HeldDocument(
            external_id=doc["id"],
            kind=doc["type"],
            number=doc.get("number", ""),
            status=self._status(doc),
            currency=doc.get("currency", ""),
            issue_date=date.fromisoformat(doc["issue_date"]),
            due_date=date.fromisoformat(doc["due_date"]) if doc.get("due_date") else None,
            customer_name=customer.get("name", ""),
            lines=tuple(HeldLine(description=line["description"],
                                 quantity=Decimal(line["quantity"]),
                                 unit_price=Decimal(line["unit_price"]),
                                 amount=Decimal(line["amount"]),
                                 tax_amount=Decimal(line["tax_amount"]))
                        for line in doc.get("lines", ())),
            subtotal=Decimal(doc["subtotal"]),
            tax_total=Decimal(doc["tax_total"]),
            total=Decimal(doc["total"]),
            emailed=bool(doc.get("emailed")),
            allocations=tuple(HeldAllocation(a["invoice_id"], Decimal(a["amount"]))
                              for a in doc.get("allocations", ())),
        )

    def _status(self, doc: dict) -> str:
        if doc.get("voided"):
            return "voided"
        if doc["type"] != "invoice":
            return "open"
        settled = sum((Decimal(p["amount"]) for p in self._mine("payment")
                       if p.get("invoice_id") == doc["id"] and not p.get("voided")), Decimal(0))
        settled += sum((Decimal(a["amount"]) for c in self._mine("credit_note")
                        if not c.get("voided") for a in c.get("allocations", ())
                        if a["invoice_id"] == doc["id"]), Decimal(0))
        return "paid" if settled >= Decimal(doc["total"]) else "open"

    # -- two-way sync: the accountant in the ledger's own pages (TWO_WAY_METHODS) -------------

    def _ledger_data(self, object: str, data) -> dict:
        keys = LEDGER_KEYS[object]
        out = {}
        for key, value in data.items():
            if key == "lines":
                out["lines"] = [{"description": line["description"],
                                 "quantity": str(line["quantity"]),
                                 "unit_price": str(line["unit_price"]),
                                 "item": line.get("item_id") or "1",
                                 "tax_code": TAXED_CODE if line.get("taxed") else None}
                                for line in value]
            elif key == "status":
                out["voided"] = value == "voided"
            elif key in keys:
                out[keys[key]] = (value.isoformat() if isinstance(value, date)
                                  else str(value) if isinstance(value, Decimal) else value)
            else:
                raise ValueError(f"the fake ledger's {object} has no {key!r}")
        return out

    def create_record(self, object, data):
        return self.ledger.create_record(object, self._ledger_data(object, data),
                                         tenant_id=self.tenant_id)

    def edit_record(self, object, external_id, changes):
        self.ledger.edit_record(object, external_id, self._ledger_data(object, changes))

    def held_record(self, object, external_id):
        with self.ledger.lock:
            record = self.ledger.record(object, external_id)
            if record is None or record.get("tenant", self.tenant_id) != self.tenant_id:
                return None
            record = dict(record)
        held = {key: record.get(ledger_key) for key, ledger_key in LEDGER_KEYS[object].items()}
        if object == "item" and held["unit_price"] not in (None, ""):
            held["unit_price"] = Decimal(str(held["unit_price"]))
        if object == "invoice":
            held["status"] = self.ledger.invoice_state(record)
            held["emailed"] = bool(record.get("emailed"))
        return held

    def change_delivery(self, object, external_ids, operation):
        body, headers = self.ledger.change_webhook(object, list(external_ids),
                                                   operation.capitalize(), self.tenant_id)
        return SignedDelivery(headers=headers, body=body)

    def unreadable_record(self, object):
        """Optional (``OPTIONAL_TWO_WAY_METHODS``): an invoice whose line quantity the ledger
        lost (``"n/a"``), which no plugin can map."""
        if object != "invoice":
            return None
        customer = self.create_record("customer", {"name": "Unreadable Ltd"})
        oid = self.create_record("invoice", {
            "customer_id": customer, "issue_date": date(2026, 11, 2),
            "due_date": date(2026, 12, 2),
            "lines": [{"description": "Broken", "quantity": 1, "unit_price": 10}]})
        with self.ledger.lock:
            self.ledger.documents[oid]["lines"][0]["quantity"] = "n/a"
        return oid
