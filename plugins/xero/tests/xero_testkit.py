"""Helpers shared by the Xero plugin's tests (importable: conftest puts this folder on
sys.path). Snapshot builders with sensible defaults, the webhook signer, the host keys pointing
the plugin at a sandbox, and the OpenAPI check of a sandbox's recorded exchanges."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from datetime import date, timedelta
from decimal import Decimal

WEBHOOK_KEY = "TEST-ONLY-webhook-key-1234567890abcdef"
UK_NAME = "Ashdown Consulting"
US_NAME = "Hudson Advisory"
MC_NAME = "Ashdown Global"
_ids = itertools.count(9001)


def client_data(name: str = "Northwind Traders", email: str = "billing@northwind.test",
                cid: int | None = None, contact: str = "Nancy Davolio"):
    from hookspecs import ClientData

    return ClientData(id=cid if cid is not None else next(_ids), name=name,
                      billing_contact_name=contact, billing_email=email)


def line(description="Consulting, March (10 h)", quantity="10", unit_price="150.00",
         discount="0", service_type=None, tax_rate=None, gl_account=None, class_label="",
         lid=None):
    from hookspecs import LineData

    q, p, d = Decimal(quantity), Decimal(unit_price), Decimal(discount)
    amount = (q * p * (Decimal(100) - d) / Decimal(100)).quantize(Decimal("0.01"))
    return LineData(id=lid or next(_ids), description=description, quantity=q, unit_price=p,
                    amount=amount, discount_percent=d, service_type=service_type,
                    tax_rate=tax_rate, gl_account=gl_account, class_label=class_label)


def invoice_data(lines=None, client=None, number=None, currency="GBP", issue=None, due=None,
                 external=None, memo="", project="Apollo", iid=None, tax_total="0"):
    from hookspecs import InvoiceData

    lines = tuple(lines or (line(),))
    subtotal = sum((ln.amount for ln in lines), Decimal("0"))
    issue = issue or date(2026, 11, 20)
    iid = iid or next(_ids)
    return InvoiceData(id=iid, number=number or f"PSA-{iid}", status="sent", currency=currency,
                       issue_date=issue, due_date=due or issue + timedelta(days=30),
                       client=client or client_data(), lines=lines, subtotal=subtotal,
                       tax_total=Decimal(tax_total), total=subtotal + Decimal(tax_total),
                       memo=memo, project_name=project, business_unit_name="Consulting East",
                       external=external)


def sign(body: bytes, key: str = WEBHOOK_KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def xero_config(url: str, **extra) -> dict:
    """The host keys pointing the xero plugin at the sandbox on ``url`` (as host/demo.py does),
    plus ``extra`` host keys."""
    return {"XERO_CLIENT_ID": _demo()[0], "XERO_CLIENT_SECRET": _demo()[1],
            "XERO_LOGIN_BASE_URL": url, "XERO_IDENTITY_BASE_URL": url,
            "XERO_API_BASE_URL": url, "XERO_APP_BASE_URL": url,
            "XERO_WEBHOOK_KEY": WEBHOOK_KEY, **extra}


def openapi_problems(sandbox) -> list[str]:
    """Every recorded exchange of a sandbox (``XeroSandbox``) that does not match Xero's
    official OpenAPI documents (``shared/reference/xero-openapi``), one line each."""
    from psa_xero.sandbox.openapi_check import validate_exchange

    problems: list[str] = []
    for ex in list(sandbox.exchanges):
        found = validate_exchange(
            ex["method"], ex["path"], query=ex["query"], headers=ex["headers"], body=ex["body"],
            status=ex["status"], response_headers=ex["response_headers"],
            response_body=ex["response_body"])
        problems += [f"{ex['method']} {ex['path']}?{ex['query']}: {p}" for p in found]
    return problems


def _demo():
    from psa_xero.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    return DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
