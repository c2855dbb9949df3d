"""Deep links into the QuickBooks web app (reference 11: ``/app/invoice?txnId=``).

The company is named with ``realmId`` so a user signed in to several companies lands in the
right one (the sandbox serves the same path).
"""

from __future__ import annotations

from urllib.parse import urlencode

from .info import APP_BASE_URL

PAGES = {"Invoice": "invoice", "CreditMemo": "creditmemo", "Payment": "recvpayment",
         "Customer": "customerdetail"}


def deep_link(connection, entity: str, ident: str) -> str:
    app = ((connection.endpoints or {}).get("app") or APP_BASE_URL).rstrip("/")
    key = "nameId" if entity == "Customer" else "txnId"
    query = urlencode({key: ident, "realmId": connection.tenant_id or ""})
    return f"{app}/app/{PAGES.get(entity, entity.lower())}?{query}"

