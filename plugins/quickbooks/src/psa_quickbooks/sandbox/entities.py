"""Create, read, update (full and sparse), delete and void, the way QBO does them.

:class:`Operations` works on one company at one instant. Every write returns the entity as the
API shows it plus the change events ``(entity, id, operation)`` for webhooks. Callers hold the
state lock.
"""
from __future__ import annotations

import copy
from decimal import Decimal

from . import balances, faults, payments
from .namelists import BUILDERS
from .store import NAME_LISTS, TRANSACTIONS, public
from .tax import money
from .timefmt import qbo_time
from .transactions import build_sales_txn, check_closed_period
from .validation import blank, check_known_fields

READ_ONLY = {"TaxCode", "TaxRate", "CompanyCurrency"}
#: stored-only key: the US ``TotalTax`` override this transaction keeps (see ``_tax_override``)
OVERRIDE = "_tax_override"
Event = tuple  # (entity, id, operation)


class Operations:
    """The write/read rules for one company; ``now`` is the sandbox clock's epoch seconds."""

    def __init__(self, company, now: float) -> None:
        self.company = company
        self.now = now
        self.stamp = qbo_time(now)
        self.events: list[Event] = []

    # -- reads --------------------------------------------------------------------------------
    def read(self, entity: str, ident: str) -> dict:
        obj = self.company.get(entity, ident)
        if obj is None:
            raise faults.not_found(entity, ident)
        return self._shown(entity, obj)

    def _shown(self, entity: str, obj: dict) -> dict:
        """The entity as the API shows it (computed balances of customers and vendors)."""
        return balances.shown(self.company, entity, public(obj))

    # -- writes -------------------------------------------------------------------------------
    def save(self, entity: str, body: dict, options: dict | None = None) -> dict:
        """POST /<entity>: create without ``Id``, update with one."""
        options = options or {}
        if not isinstance(body, dict):
            raise faults.bad_property(f"{entity} failed to parse json object")
        if entity in READ_ONLY:
            where = ("the company's currency list (seeded)" if entity == "CompanyCurrency"
                     else "the TaxService resource")
            raise faults.unsupported(
                f"Operation Create/Update is not supported for {entity}; use {where}.")
        check_known_fields(entity, body)
        if not blank(body.get("Id")):
            return self._update(entity, body, options)
        return self._create(entity, body, options)

    def _create(self, entity: str, body: dict, options: dict) -> dict:
        obj = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("Id", "SyncToken", "MetaData", "sparse")}
        obj = self._build(entity, obj, None, options)
        obj.update(Id=self.company.next_id(entity), SyncToken="0", domain="QBO", sparse=False,
                   MetaData={"CreateTime": self.stamp, "LastUpdatedTime": self.stamp})
        self.company.put(entity, obj)
        self.events.append((entity, obj["Id"], "Create"))
        if entity == "Payment":
            self._refresh(options.pop("_touched", set()))
        return self._shown(entity, obj)

    def _current(self, entity: str, body: dict) -> dict:
        existing = self.company.get(entity, str(body["Id"]))
        if existing is None:
            raise faults.not_found(entity, str(body["Id"]))
        if blank(body.get("SyncToken")):
            raise faults.required("SyncToken")
        if str(body["SyncToken"]) != existing["SyncToken"]:
            raise faults.stale()
        return existing

    def _update(self, entity: str, body: dict, options: dict) -> dict:
        existing = self._current(entity, body)
        if entity == "Payment" and options.get("void"):
            return self.void(entity, body)
        sparse = body.get("sparse") in (True, "true")
        payload = {k: copy.deepcopy(v) for k, v in body.items()
                   if k not in ("Id", "SyncToken", "MetaData", "sparse", "domain")}
        if sparse:
            merged = {k: copy.deepcopy(v) for k, v in existing.items()
                      if k not in ("Id", "SyncToken", "MetaData", "sparse", "domain")}
            if entity in ("Customer", "Vendor") and "DisplayName" in payload and blank(payload["DisplayName"]):
                payload.pop("DisplayName")  # a sparse update cannot remove DisplayName
            merged.update(payload)
        else:
            merged = payload
            for keep in ("CurrencyRef", "LinkedTxn"):
                if keep in existing and keep not in merged:
                    merged[keep] = copy.deepcopy(existing[keep])
        obj = self._build(entity, merged, existing, options)
        obj.update(Id=existing["Id"], SyncToken=str(int(existing["SyncToken"]) + 1), domain="QBO",
                   sparse=False, MetaData={"CreateTime": existing["MetaData"]["CreateTime"],
                                           "LastUpdatedTime": self.stamp})
        self.company.put(entity, obj)
        self.events.append((entity, obj["Id"], "Update"))
        if entity == "Payment":
            self._refresh(options.pop("_touched", set()))
        return self._shown(entity, obj)

    def _build(self, entity: str, obj: dict, existing: dict | None, options: dict) -> dict:
        if entity in ("Invoice", "CreditMemo"):
            applied = (payments.applied_to(self.company, entity, existing["Id"]) if existing else Decimal("0"))
            override = self._tax_override(obj, existing)
            obj.pop(OVERRIDE, None)  # a sparse merge copies the stored marker; decided above
            if existing is not None:
                obj["LinkedTxn"] = existing.get("LinkedTxn", [])
                sent, old = obj.get("TxnTaxDetail"), existing.get("TxnTaxDetail") or {}
                # US: whatever is not an override is computed; non-US: an unchanged TotalTax
                # echoed back (or kept by a sparse update) is dropped, a changed one is checked
                if isinstance(sent, dict) and override is None and (
                        self.company.is_us or sent.get("TotalTax") == old.get("TotalTax")):
                    obj["TxnTaxDetail"] = {k: v for k, v in sent.items() if k in ("TxnTaxCodeRef",)}
            built = build_sales_txn(self.company, entity, obj, existing, now=self.now,
                                    allow_duplicate_docnum=options.get("allow_duplicate_docnum", False),
                                    applied=applied)
            kept = (built.get("TxnTaxDetail") or {}).get("TotalTax")
            if override is not None and kept is not None and money(kept) == override:
                built[OVERRIDE] = str(override)
            if existing is not None:
                for key in ("EmailStatus", "DeliveryInfo"):
                    if key in existing and key not in obj:
                        built[key] = existing[key]
            return built
        if entity == "Payment":
            if existing is not None:
                check_closed_period(self.company, existing.get("TxnDate"))
            built, touched = payments.build_payment(self.company, obj, existing, now=self.now)
            options["_touched"] = touched
            return built
        return BUILDERS[entity](self.company, obj, existing)

    def _tax_override(self, obj: dict, existing: dict | None) -> Decimal | None:
        """The ``TotalTax`` this write keeps as the US tax override, or None to compute the tax.

        An override is a ``TotalTax`` the client sent on create, or a changed one on update. It
        is remembered on the stored object (``_tax_override``, hidden from the API), so sending
        the same value again -- a re-sent edit whose tax did not change, or a sparse update
        that leaves ``TxnTaxDetail`` out -- keeps it. The same value echoed back when it was
        never an override (a full-object client returning QuickBooks' computed tax) is
        recomputed. A ``TxnTaxDetail`` without ``TotalTax`` asks for the computed tax again.
        """
        detail = obj.get("TxnTaxDetail")
        if not self.company.is_us or not isinstance(detail, dict):
            return None
        value = detail.get("TotalTax")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        value = money(value)
        if existing is None:
            return value
        old = (existing.get("TxnTaxDetail") or {}).get("TotalTax")
        if old is None or isinstance(old, bool) or money(old) != value:
            return value
        remembered = existing.get(OVERRIDE)
        return value if remembered is not None and money(remembered) == value else None

    def _refresh(self, touched: set) -> None:
        for entity, ident in sorted(touched):
            if payments.refresh_linked(self.company, entity, ident, self.stamp) is not None:
                self.events.append((entity, ident, "Update"))

    def delete(self, entity: str, body: dict) -> dict:
        """``?operation=delete``: transactions only; name lists are made inactive instead."""
        if entity in NAME_LISTS:
            raise faults.unsupported(f"Operation Delete is not supported for {entity}; make it inactive "
                                     "with an update setting Active to false.")
        existing = self._current(entity, body)
        check_closed_period(self.company, existing.get("TxnDate"))
        touched = set()
        if entity == "Payment":
            touched = payments.void_payment(copy.deepcopy(existing))
        else:
            self._unlink_payments(entity, existing["Id"])
        self.company.remove(entity, existing["Id"], self.stamp)
        self.events.append((entity, existing["Id"], "Delete"))
        self._refresh(touched)
        return {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}

    def void(self, entity: str, body: dict) -> dict:
        """``?operation=void`` for invoices; ``include=void`` (or operation=void) for payments."""
        if entity not in TRANSACTIONS or entity == "CreditMemo":
            raise faults.unsupported(f"Operation Void is not supported for {entity}")
        existing = self._current(entity, body)
        check_closed_period(self.company, existing.get("TxnDate"))
        if entity == "Payment":
            touched = payments.void_payment(existing)
        else:
            touched = set()
            self._unlink_payments(entity, existing["Id"])
            for line in existing.get("Line", []):
                if "Amount" in line:
                    line["Amount"] = 0
            if "TxnTaxDetail" in existing:
                existing["TxnTaxDetail"] = {"TotalTax": 0}
            existing.pop(OVERRIDE, None)
            existing.update(TotalAmt=0, Balance=0, HomeTotalAmt=0)
            existing["PrivateNote"] = ("Voided " + existing.get("PrivateNote", "")).strip()
        existing["SyncToken"] = str(int(existing["SyncToken"]) + 1)
        existing["MetaData"]["LastUpdatedTime"] = self.stamp
        self.events.append((entity, existing["Id"], "Void"))
        self._refresh(touched)
        return public(existing)

    def _unlink_payments(self, entity: str, ident: str) -> None:
        """Payments applied to a deleted/voided transaction become unapplied (their lines go)."""
        for pid in payments.payments_linking(self.company, entity, ident):
            payment = self.company.get("Payment", pid)
            kept = [l for l in payment["Line"] if not any(
                k["TxnType"] == entity and k["TxnId"] == ident for k in l.get("LinkedTxn", []))]
            payment["Line"] = kept
            applied = sum(Decimal(str(l["Amount"])) for l in kept)
            payment["UnappliedAmt"] = float(Decimal(str(payment["TotalAmt"])) - applied)
            payment["SyncToken"] = str(int(payment["SyncToken"]) + 1)
            payment["MetaData"]["LastUpdatedTime"] = self.stamp
            self.events.append(("Payment", pid, "Update"))

    def send(self, entity: str, ident: str, send_to: str | None) -> dict:
        """``/invoice/<id>/send[?sendTo=]``: EmailStatus EmailSent, DeliveryInfo, BillEmail."""
        from .validation import valid_email

        existing = self.company.get(entity, ident)
        if existing is None:
            raise faults.not_found(entity, ident)
        if send_to:
            if not valid_email(send_to):
                raise faults.QboFault(2210, "Invalid Email", f"Invalid email address: {send_to}", "sendTo")
            existing["BillEmail"] = {"Address": send_to}
        if not (existing.get("BillEmail") or {}).get("Address"):
            raise faults.QboFault(6420, "Email address is required",
                                  "Provide a BillEmail on the transaction or a sendTo address.", "BillEmail")
        existing["EmailStatus"] = "EmailSent"
        existing["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": self.stamp}
        existing["SyncToken"] = str(int(existing["SyncToken"]) + 1)
        existing["MetaData"]["LastUpdatedTime"] = self.stamp
        self.events.append((entity, ident, "Emailed"))
        return public(existing)
