"""The two-way half of the QuickBooks provider state: an accountant working in QuickBooks' own
screens (the sandbox's pages, :mod:`psa_quickbooks.sandbox.accountant`), for the contract
suite's two-way scenarios (:data:`host.integrations.provider_state.TWO_WAY_METHODS`).

``create_record`` and ``edit_record`` post the pages' forms over HTTP, so each write is what
QuickBooks makes of a screen edit (a new ``SyncToken``, ``LastUpdatedTime`` on the sandbox
clock, change data capture, webhooks). ``held_record`` reads the stored record through the
sandbox's control API, never through the plugin. ``change_delivery`` is the webhook delivery
QuickBooks signs for the plugin's app about those changes (legacy ``eventNotifications``,
signed with the host's verifier token), built by the sandbox's own webhook module; it is
returned, not sent.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Mapping

import httpx

from host.integrations.provider_state import SignedDelivery
from psa_quickbooks.sandbox import webhooks as qbo_webhooks
from psa_quickbooks.sandbox.namelists import DELETED_SUFFIX

ENTITIES = {"customer": "Customer", "item": "Item", "invoice": "Invoice"}
OPERATIONS = {"create": "Create", "update": "Update", "delete": "Delete", "void": "Void"}
#: The income account the accountant books new products to ("Services").
SERVICES_ACCOUNT = "2"


class TwoWayLedger:
    """Mixed into :class:`qbo_state.QboProviderState` (which sets ``qbo``, ``realm`` and
    ``verifier_token``)."""

    qbo: Any
    realm: str
    verifier_token: str

    def _post(self, path: str, data: Mapping[str, str]) -> httpx.Response:
        response = self.qbo.http.post(f"/company/{self.realm}/{path}", data=dict(data))
        assert response.status_code == 302, (
            f"the sandbox page {path} refused the form: {response.text[:500]}")
        return response

    @staticmethod
    def _saved(response: httpx.Response) -> str:
        location = httpx.URL(response.headers["location"])
        found = re.search(r"(\d+) saved", location.params.get("message", ""))
        return found.group(1) if found else location.path.rstrip("/").split("/")[-1]

    # -- forms ----------------------------------------------------------------------------------

    def _customer_form(self, data: Mapping[str, Any], current: dict | None = None) -> dict:
        current = current or {}
        name = current.get("DisplayName", "")
        if current.get("Active") is False:
            name = name.removesuffix(DELETED_SUFFIX)
        form = {"display_name": data.get("name", name),
                "email": data.get("email", (current.get("PrimaryEmailAddr") or {}).get(
                    "Address", "")),
                "given_name": current.get("GivenName", ""),
                "family_name": current.get("FamilyName", "")}
        if data.get("active", current.get("Active", True)) is not False:
            form["active"] = "on"
        return form

    def _item_form(self, data: Mapping[str, Any], current: dict | None = None) -> dict:
        current = current or {}
        price = data.get("unit_price", current.get("UnitPrice", ""))
        form = {"name": data.get("name", current.get("Name", "")),
                "sku": data.get("sku", current.get("Sku", "")),
                "type": current.get("Type", "Service"),
                "unit_price": "" if price in (None, "") else str(price),
                "description": data.get("description", current.get("Description", "")),
                "income_account": (current.get("IncomeAccountRef") or {}).get(
                    "value", SERVICES_ACCOUNT)}
        if data.get("active", current.get("Active", True)) is not False:
            form["active"] = "on"
        return form

    def _invoice_form(self, data: Mapping[str, Any], current: dict | None = None) -> dict:
        current = current or {}
        form = {"customer": str(data.get("customer_id", (current.get("CustomerRef") or {}).get(
                    "value", ""))),
                "memo": data.get("memo", (current.get("CustomerMemo") or {}).get("value", ""))}
        for key, field in (("issue_date", "TxnDate"), ("due_date", "DueDate")):
            value = data.get(key) or current.get(field)
            if value:
                form[f"{'txn' if key == 'issue_date' else 'due'}_date"] = str(value)
        for f in current.get("CustomField") or []:
            form[f"custom_{f['DefinitionId']}"] = f.get("StringValue", "")
        if "lines" in data:
            lines = [{"item": str(ln["item_id"]), "description": ln.get("description", ""),
                      "qty": str(ln["quantity"]), "rate": str(ln["unit_price"]),
                      "tax": "on" if ln.get("taxed") else ""} for ln in data["lines"]]
        else:
            lines = [{"item": ln["SalesItemLineDetail"]["ItemRef"]["value"],
                      "description": ln.get("Description", ""),
                      "qty": str(ln["SalesItemLineDetail"].get("Qty", 1)),
                      "rate": str(ln["SalesItemLineDetail"].get("UnitPrice", 0)),
                      "tax": "on" if (ln["SalesItemLineDetail"].get("TaxCodeRef") or {}).get(
                          "value") == "TAX" else ""}
                     for ln in current.get("Line") or []
                     if ln.get("DetailType") == "SalesItemLineDetail"]
        for n, line in enumerate(lines, start=1):
            for key, value in line.items():
                if value:
                    form[f"line-{n}-{key}"] = value
        return form

    # -- TWO_WAY_METHODS ------------------------------------------------------------------------

    def create_record(self, object: str, data: Mapping[str, Any]) -> str:
        if object == "customer":
            return self._saved(self._post("customers/new", self._customer_form(data)))
        if object == "item":
            return self._saved(self._post("products/new", self._item_form(data)))
        if object == "invoice":
            return self._saved(self._post("invoices/new", self._invoice_form(data)))
        raise ValueError(f"unknown object {object!r}")

    def edit_record(self, object: str, external_id: str, changes: Mapping[str, Any]) -> None:
        current = self.qbo.entity(self.realm, ENTITIES[object], str(external_id))
        if object == "customer":
            self._post(f"customers/{external_id}/edit", self._customer_form(changes, current))
        elif object == "item":
            self._post(f"products/{external_id}/edit", self._item_form(changes, current))
        elif changes.get("status") == "voided":
            self._post(f"invoices/{external_id}/void", {})
        else:
            self._post(f"invoices/{external_id}/edit", self._invoice_form(changes, current))

    def held_record(self, object: str, external_id: str) -> Mapping[str, Any] | None:
        rows = [r for r in self.qbo.entities(self.realm, ENTITIES[object])
                if r["Id"] == str(external_id)]
        if not rows:
            return None
        row = rows[0]
        active = row.get("Active", True) is not False
        if object == "customer":
            name = row.get("DisplayName", "")
            return {"name": name if active else name.removesuffix(DELETED_SUFFIX),
                    "email": (row.get("PrimaryEmailAddr") or {}).get("Address", ""),
                    "active": active}
        if object == "item":
            price = row.get("UnitPrice")
            return {"name": row.get("Name", ""), "sku": row.get("Sku", ""), "active": active,
                    "unit_price": None if price is None else Decimal(str(price))}
        return {"memo": (row.get("CustomerMemo") or {}).get("value", ""),
                "active": not str(row.get("PrivateNote") or "").startswith("Voided")}

    def change_delivery(self, object: str, external_ids: list[str],
                        operation: str) -> SignedDelivery:
        now = self.qbo.control("GET", "clock").json()["now"]
        events = [qbo_webhooks.event(self.realm, ENTITIES[object], str(ident),
                                     OPERATIONS.get(operation, "Update"), now)
                  for ident in external_ids]
        body = qbo_webhooks.render("legacy", events)
        return SignedDelivery(headers=qbo_webhooks.headers(self.verifier_token, body, now),
                              body=body)

    def unreadable_record(self, object: str) -> str | None:
        """An invoice with a whole-invoice discount line (the PSA cannot hold one), made
        through the bookkeeper's own app; customers and items QuickBooks always keeps
        readable (None)."""
        if object != "invoice":
            return None
        from qbo_books import Books

        books = Books(self.qbo, self.realm)
        try:
            body = {"CustomerRef": {"value": "1"}, "Line": [
                {"DetailType": "SalesItemLineDetail", "Amount": 100,
                 "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "Qty": 1,
                                         "UnitPrice": 100}},
                {"DetailType": "DiscountLineDetail", "Amount": 10,
                 "DiscountLineDetail": {"PercentBased": False}}]}
            return str(books.api("POST", "invoice", body)["Invoice"]["Id"])
        finally:
            books.close()
