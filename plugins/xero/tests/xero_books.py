"""Xero as an accountant works in it, for the plugin's tests: the sandbox organisation's
invoice page (Record payment) and another app's Accounting API calls (credit notes, deleting a
payment, voiding, editing), never the plugin's own token. Requests follow Xero's OpenAPI
documents (the tests check every exchange)."""

from __future__ import annotations

import re

import httpx

from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

ACCOUNTANT = "xero-web-ui"
#: each sandbox organisation's first revenue account and its bank account
ACCOUNTS = {UK_TENANT_ID: ("200", "090"), US_TENANT_ID: ("4000", "1000")}


class Xero:
    """An accountant working in an organisation (another app than the plugin's); a context
    manager closing its client. ``revenue`` / ``bank``: the account codes it books to (default:
    the organisation's first revenue account and its bank account)."""

    def __init__(self, url: str, tenant: str = UK_TENANT_ID, revenue: str | None = None,
                 bank: str | None = None) -> None:
        self.url = url
        self.tenant = tenant
        self.revenue, self.bank = revenue or ACCOUNTS[tenant][0], bank or ACCOUNTS[tenant][1]
        httpx.post(f"{url}/_sandbox/clients", json={
            "client_id": ACCOUNTANT, "client_secret": "ui-secret", "name": "Xero web"},
        ).raise_for_status()
        tokens = httpx.post(f"{url}/_sandbox/tokens", json={
            "client_id": ACCOUNTANT, "tenants": [tenant],
            "scope": "openid offline_access accounting.transactions accounting.contacts "
                     "accounting.settings"}).json()
        self.api = httpx.Client(base_url=f"{url}/api.xro/2.0", headers={
            "Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": tenant,
            "Accept": "application/json"})

    def close(self):
        self.api.close()

    def __enter__(self) -> "Xero":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ok(self, resp: httpx.Response) -> dict:
        assert resp.status_code == 200, resp.text
        return resp.json()

    def invoice(self, invoice_id: str) -> dict:
        return self._ok(self.api.get(f"/Invoices/{invoice_id}"))["Invoices"][0]

    def pay_on_page(self, invoice_id: str, amount: str, reference: str = "Bank transfer",
                    day: str = "2026-11-25") -> dict:
        """The invoice page's Record payment form; returns the new payment."""
        before = {p["PaymentID"] for p in self.invoice(invoice_id)["Payments"]}
        with httpx.Client(base_url=self.url, follow_redirects=True, timeout=15) as browser:
            page = browser.post(f"/orgs/{self.tenant}/invoices/{invoice_id}/payments",
                                data={"amount": amount, "reference": reference, "date": day,
                                      "account_code": self.bank})
        assert page.status_code == 200, page.text
        new = [p for p in self.invoice(invoice_id)["Payments"] if p["PaymentID"] not in before]
        flashed = re.findall(r'<p class="flash [^"]*" role="status">([^<]*)</p>', page.text)
        assert len(new) == 1, f"the payment form did not record a payment: {flashed}"
        return new[0]

    def delete_payment(self, payment_id: str) -> None:
        self._ok(self.api.post(f"/Payments/{payment_id}", json={"Status": "DELETED"}))

    def credit(self, invoice: dict, amount: str) -> dict:
        """A credit note made in Xero for the invoice's contact, allocated to the invoice
        (returned with its ``AllocationID``)."""
        note = self._ok(self.api.put("/CreditNotes", json={"CreditNotes": [{
            "Type": "ACCRECCREDIT", "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
            "Date": "2026-11-26", "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Goodwill credit", "Quantity": 1,
                           "UnitAmount": float(amount), "AccountCode": self.revenue,
                           "TaxType": "NONE"}]}]}))["CreditNotes"][0]
        allocated = self._ok(self.api.put(
            f"/CreditNotes/{note['CreditNoteID']}/Allocations", json={
                "Allocations": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                 "Amount": float(amount), "Date": "2026-11-26"}]}))
        return {**note, "AllocationID": allocated["Allocations"][0]["AllocationID"]}

    def remove_allocation(self, note: dict) -> None:
        """Undo a credit note's allocation (Xero: Remove allocation)."""
        self._ok(self.api.delete(
            f"/CreditNotes/{note['CreditNoteID']}/Allocations/{note['AllocationID']}"))

    def update(self, invoice_id: str, **fields) -> dict:
        return self._ok(self.api.post(f"/Invoices/{invoice_id}",
                                      json={"Invoices": [fields]}))["Invoices"][0]

    def create_invoice(self, contact_id: str, status: str = "AUTHORISED",
                       type_: str = "ACCREC") -> dict:
        return self._ok(self.api.put("/Invoices", json={"Invoices": [{
            "Type": type_, "Contact": {"ContactID": contact_id}, "Date": "2026-11-20",
            "DueDate": "2026-12-20", "Status": status, "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Made in Xero", "Quantity": 1, "UnitAmount": 80,
                           "AccountCode": self.revenue if type_ == "ACCREC" else "400",
                           "TaxType": "NONE"}]}]}))["Invoices"][0]
