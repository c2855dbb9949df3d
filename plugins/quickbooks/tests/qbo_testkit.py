"""Helpers shared by the QuickBooks plugin tests (imported by conftest and test modules):
the sandbox control client, the host config aimed at the sandbox, invoice snapshots."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx

from hookspecs import ClientData, InvoiceData, LineData, ServiceTypeData, TaxRateData
from psa_quickbooks.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

VERIFIER_TOKEN = "test-qbo-verifier-token"
#: The app a test uses to change the books "in QuickBooks" (a bookkeeper's edits): not the
#: plugin's app, so its calls do not use up the plugin's 10 requests a second.
BOOKKEEPER_CLIENT_ID = "qbo-bookkeeper"
#: The sandbox's OAuth clients: the plugin's app and the bookkeeper's.
OAUTH_CLIENTS = {
    DEMO_CLIENT_ID: {"client_secret": DEMO_CLIENT_SECRET, "redirect_uris": [],
                     "allow_localhost": True},
    BOOKKEEPER_CLIENT_ID: {"client_secret": "bookkeeper-secret", "redirect_uris": [],
                           "allow_localhost": True},
}

REALM_SETTINGS = {
    "us": {"default_item": "2", "non_us": False, "auto_send": False, "use_classes": True},
    "uk": {"default_item": "2", "non_us": True, "auto_send": False, "use_classes": True},
    "custom_numbers": {"default_item": "2", "non_us": False, "auto_send": False,
                       "use_classes": True},
    "classes": {"default_item": "2", "non_us": False, "auto_send": False, "use_classes": True},
    "multicurrency": {"default_item": "2", "non_us": False, "auto_send": False,
                      "use_classes": False},
}


def app_config(url: str) -> dict:
    return {
        "QUICKBOOKS_CLIENT_ID": DEMO_CLIENT_ID,
        "QUICKBOOKS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "QUICKBOOKS_AUTH_BASE_URL": url,
        "QUICKBOOKS_API_BASE_URL": url,
        "QUICKBOOKS_APP_BASE_URL": url,
        "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": VERIFIER_TOKEN,
    }


class Sandbox:
    """The sandbox's control API and a raw view of its companies, for assertions."""

    def __init__(self, server) -> None:
        self.server = server
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, timeout=15)

    def control(self, method: str, path: str, **kw) -> httpx.Response:
        r = self.http.request(method, "/_sandbox/" + path.lstrip("/"), **kw)
        assert r.status_code < 400, r.text
        return r

    def reset(self) -> None:
        self.control("POST", "reset")

    def tokens(self, realm: str, client_id: str = DEMO_CLIENT_ID) -> dict:
        return self.control("POST", "tokens", json={"client_id": client_id,
                                                    "realm_id": realm}).json()

    def fault(self, **rule) -> None:
        self.control("POST", "faults", json=rule)

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def preferences(self, realm: str, patch: dict) -> None:
        self.control("POST", f"companies/{realm}/preferences", json=patch)

    def entities(self, realm: str, entity: str) -> list[dict]:
        return self.control("GET", f"companies/{realm}/entities/{entity}").json()[entity]

    def entity(self, realm: str, entity: str, ident: str) -> dict:
        return self.control("GET", f"companies/{realm}/entities/{entity}/{ident}").json()[entity]

    def requests(self, path: str = "", method: str = "") -> list[dict]:
        data = self.control("GET", "requests", params={"path": path, "method": method,
                                                       "limit": 500}).json()
        return data.get("requests", data) if isinstance(data, dict) else data

    def settings(self, **values) -> None:
        self.control("POST", "settings", json=values)


CONSULTING = ServiceTypeData(id=1, name="Consulting", sku="CONS")
TRAVEL = ServiceTypeData(id=2, name="Travel")
SALES_TAX = TaxRateData(id=1, name="Springfield", rate=Decimal("8"))
VAT = TaxRateData(id=2, name="VAT 20%", rate=Decimal("20"))


def make_invoice(*, id=1, number="INV-0001", client=None, lines=None, tax_rate=None,
                 external=None, due_days=30, memo="Thank you for your business.",
                 currency="USD") -> InvoiceData:
    """An invoice snapshot: 10 h consulting at 150 and 1 travel line at 80 (taxed by
    ``tax_rate`` when given)."""
    client = client or ClientData(id=1, name="Acme Ltd", billing_contact_name="Ada Lovelace",
                                  billing_email="ap@acme.example")
    issue = date(2026, 11, 2)
    if lines is None:
        lines = (
            LineData(id=1, description="Consulting, October", quantity=Decimal("10"),
                     unit_price=Decimal("150"), amount=Decimal("1500.00"),
                     service_date=date(2026, 10, 31), service_type=CONSULTING,
                     tax_rate=tax_rate, class_label="East"),
            LineData(id=2, description="Travel", quantity=Decimal("1"), unit_price=Decimal("80"),
                     amount=Decimal("80.00"), service_type=TRAVEL, tax_rate=None,
                     class_label="West"),
        )
    subtotal = sum((ln.amount for ln in lines), Decimal("0"))
    tax = sum(((ln.amount * ln.tax_rate.rate / 100).quantize(Decimal("0.01"))
               for ln in lines if ln.tax_rate), Decimal("0"))
    return InvoiceData(id=id, number=number, status="sent", currency=currency, issue_date=issue,
                       due_date=issue + timedelta(days=due_days), client=client, lines=lines,
                       subtotal=subtotal, tax_total=tax, total=subtotal + tax, memo=memo,
                       project_name="Website", business_unit_name="Consulting East",
                       external=external)
