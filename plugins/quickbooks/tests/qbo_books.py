"""The sandbox company as a bookkeeper uses it, for tests: its pages, its Accounting API (as
the bookkeeper's own app, so the plugin's 10 requests a second are not spent), and the signed
webhook deliveries QuickBooks sends the plugin's app about what the bookkeeper did.

Deliveries are captured, not received: :meth:`Books.webhooks` points the app's webhook at a
dead address, and :meth:`Books.deliveries` flushes the sandbox's sender and returns what it
signed (headers and raw body), for a test to post, parse or withhold.
"""

from __future__ import annotations

import re

import httpx

from psa_quickbooks.sandbox import DEMO_CLIENT_ID, US_REALM
from qbo_testkit import BOOKKEEPER_CLIENT_ID, VERIFIER_TOKEN

DEAD_URL = "http://127.0.0.1:9/webhooks/quickbooks"  # deliveries are captured, not received


class Books:
    """One sandbox company (``realm``) as a bookkeeper uses it; ``qbo`` is the tests'
    :class:`qbo_testkit.Sandbox`."""

    def __init__(self, qbo, realm=US_REALM):
        self.qbo = qbo
        self.realm = realm
        self.token = qbo.tokens(realm, BOOKKEEPER_CLIENT_ID)["access_token"]
        self.http = httpx.Client(base_url=qbo.url, timeout=15)
        self.seen: set[int] = set()
        self.app_client_id = DEMO_CLIENT_ID

    def api(self, method, path, body=None, **params):
        params.setdefault("minorversion", 75)
        r = self.http.request(method, f"/v3/company/{self.realm}/{path}", params=params,
                              json=body, headers={"Authorization": f"Bearer {self.token}",
                                                  "Accept": "application/json"})
        assert r.status_code == 200, r.text
        return r.json()

    def receive_payment(self, invoice_id: str, amount: str) -> str:
        """The 'Receive payment' form on the sandbox's invoices page."""
        r = self.http.post(f"/company/{self.realm}/invoices/{invoice_id}/payments",
                           data={"amount": amount})
        assert r.status_code in (302, 303), r.text
        message = httpx.URL(r.headers["location"]).params.get("message") or ""
        found = re.match(r"Payment (\d+) of", message)
        assert found, r.headers["location"]
        return found.group(1)

    def pay_several(self, customer_id: str, parts: dict[str, float], total=None,
                    credits: dict[str, float] | None = None, on: str | None = None) -> dict:
        """A Payment through the API: ``parts`` {invoice id: amount}, ``credits`` {credit memo
        id: credit used}, dated ``on`` (``yyyy-mm-dd``; default today)."""
        lines = [{"Amount": a, "LinkedTxn": [{"TxnId": i, "TxnType": "Invoice"}]}
                 for i, a in parts.items()]
        lines += [{"Amount": a, "LinkedTxn": [{"TxnId": i, "TxnType": "CreditMemo"}]}
                  for i, a in (credits or {}).items()]
        body = {"CustomerRef": {"value": customer_id},
                "TotalAmt": total if total is not None else sum(parts.values()), "Line": lines}
        if on:
            body["TxnDate"] = on
        return self.api("POST", "payment", body)["Payment"]

    def current(self, entity, ident):
        return self.qbo.entity(self.realm, entity, ident)

    def void(self, entity, ident):
        obj = self.current(entity, ident)
        params = {"operation": "void"} if entity == "Invoice" else {"operation": "update",
                                                                    "include": "void"}
        body = {"Id": ident, "SyncToken": obj["SyncToken"]}
        if entity == "Payment":
            body["sparse"] = True
        return self.api("POST", entity.lower(), body, **params)

    def delete(self, entity, ident):
        obj = self.current(entity, ident)
        return self.api("POST", entity.lower(), {"Id": ident, "SyncToken": obj["SyncToken"]},
                        operation="delete")

    # -- webhooks -----------------------------------------------------------------------------

    def webhooks(self, fmt: str = "legacy", *, client_id: str = DEMO_CLIENT_ID,
                 verifier_token: str = VERIFIER_TOKEN) -> None:
        """Turn on the webhook of the app ``client_id`` (the plugin's), signed with
        ``verifier_token``; deliveries go to a dead address and are kept."""
        self.app_client_id = client_id
        self.qbo.control("POST", "webhooks/apps", json={
            "client_id": client_id, "url": DEAD_URL, "verifier_token": verifier_token,
            "format": fmt})

    def deliveries(self) -> list[tuple[dict, bytes]]:
        """Deliveries the sandbox signed for the app since the last call (sent to a dead URL
        and kept)."""
        out = []
        for d in self.qbo.control("POST", "webhooks/flush").json()["deliveries"]:
            if d["id"] not in self.seen and d["target"] == self.app_client_id:
                self.seen.add(d["id"])
                out.append((d["headers"], d["body"].encode()))
        return out

    def webhooks_off(self) -> None:
        self.qbo.control("POST", "webhooks/apps", json={"client_id": self.app_client_id,
                                                        "url": ""})

    def close(self):
        self.webhooks_off()
        self.http.close()
