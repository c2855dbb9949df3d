"""What the QuickBooks end-to-end and browser tests share on top of ``host.integrations.e2e``:
the world (the QuickBooks sandbox on a real port + the host over real HTTP with a real worker
process, only the quickbooks plugin), the sandbox's consent page answered for a company, the
sandbox company's stored entities, its Accounting API as a bookkeeper uses it, and connecting /
disconnecting a business unit through the host's pages.

The e2e ``conftest.py`` and the browser ``conftest.py`` put this folder on ``sys.path``.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from psa_quickbooks.sandbox import DEMO_CLIENT_ID, US_REALM
from qbo_testkit import BOOKKEEPER_CLIENT_ID, OAUTH_CLIENTS

SETUP = {"default_item": "2"}
_n = itertools.count(1)


# -- the world ------------------------------------------------------------------------------------


@dataclass
class QboWorld:
    env: object        # host.integrations.e2e.E2E
    sandbox_url: str
    verifier_token: str

    def control(self, method: str, path: str, **kw) -> httpx.Response:
        """The sandbox's ``/_sandbox`` control API (faults, clock, preferences, entities ...)."""
        resp = httpx.request(method, f"{self.sandbox_url}/_sandbox/{path.lstrip('/')}",
                             timeout=15, **kw)
        resp.raise_for_status()
        return resp

    def requests(self, path: str) -> list[dict]:
        """The requests the sandbox received on ``path`` (its request log)."""
        return self.control("GET", "requests", params={"path": path, "limit": 1000}
                            ).json()["requests"]

    def webhooks(self, fmt: str | None) -> None:
        """Aim the sandbox app's webhooks at the host in ``fmt`` (None: not configured).

        Events still buffered for the current target are delivered first: the sandbox cuts a
        batch with the target's URL at that moment, and a batch cut after the URL was cleared
        stays pending forever and holds back every later delivery of the app (in order)."""
        self.control("POST", "webhooks/flush")
        self.control("POST", "webhooks/apps", json={
            "client_id": DEMO_CLIENT_ID,
            "url": f"{self.env.url}/webhooks/quickbooks" if fmt else "",
            "verifier_token": self.verifier_token, "format": fmt or "legacy"})

    def diagnose(self) -> str:
        """What happened to webhooks on both sides, and the worker's last words (for a
        failure message)."""
        sent = [(d.get("status"), d.get("url"), [a.get("status_code") or a.get("error")
                                                 for a in d.get("attempts") or []])
                for d in self.control("GET", "webhooks").json().get("deliveries", [])]
        quiet = [line for line in self.env.worker_log().splitlines(keepends=True)
                 if "sync.sweep" not in line]
        return (f"sandbox deliveries: {sent}\nhost deliveries: {self.env.deliveries()}\n"
                f"worker log (tail, without sweeps):\n{''.join(quiet[-40:])}")


@contextmanager
def running_world(template_db, folder, *, verifier_token: str, sandbox_config: dict | None = None,
                  config: dict | None = None):
    """The sandbox served on a real port and the host (``E2E``) configured for it, started;
    both stopped on exit."""
    from host.integrations.e2e import E2E
    from host.sandbox_kit.serving import ServerThread
    from psa_quickbooks.sandbox import DEMO_CLIENT_SECRET, create_app

    sandbox_app = create_app({"QBO_OAUTH_CLIENTS": OAUTH_CLIENTS, **(sandbox_config or {})})
    sandbox = ServerThread(sandbox_app).start()
    env = E2E(template_db, folder, plugins=("quickbooks",),
              config={"QUICKBOOKS_CLIENT_ID": DEMO_CLIENT_ID,
                      "QUICKBOOKS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                      "QUICKBOOKS_AUTH_BASE_URL": sandbox.url,
                      "QUICKBOOKS_API_BASE_URL": sandbox.url,
                      "QUICKBOOKS_APP_BASE_URL": sandbox.url,
                      "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": verifier_token,
                      **(config or {})})
    try:
        env.start()
        yield QboWorld(env, sandbox.url, verifier_token)
    finally:
        env.stop()
        sandbox.stop()
        sandbox_app.extensions["qbo_sandbox"].close()


# -- connecting -----------------------------------------------------------------------------------


def consent_to(realm: str = US_REALM):
    """The sandbox's consent page answered for the company ``realm`` (what the admin clicks)."""

    def consent(authorize_url: str) -> str:
        resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": realm},
                          follow_redirects=False, timeout=15)
        assert resp.status_code in (302, 303), resp.text
        return resp.headers["Location"]

    return consent


def connect(world: QboWorld, realm: str = US_REALM, *, org=None, user=None, **setup):
    """Connect the first business unit of ``org`` (default: a new organization) to the company
    ``realm`` through the host's pages; ``setup`` adds to / overrides :data:`SETUP`."""
    env = world.env
    return env.connect(org or env.new_org(), "quickbooks", consent=consent_to(realm),
                       setup={**SETUP, **setup}, user=user)


def uk_tax_codes(world: QboWorld) -> dict[str, str]:
    """{tax code name: Id} of the UK company."""
    from psa_quickbooks.sandbox import UK_REALM

    return {c["Name"]: c["Id"] for c in entities(world, "TaxCode", UK_REALM)}


def connect_uk(world: QboWorld):
    """A new organization billing in GBP (the UK company's home currency; it has no
    multicurrency) connected to the UK (VAT) company, untaxed lines at "0.0% Z"; returns
    (tenant, {tax code name: Id})."""
    from host.extensions import db
    from host.models import Organization
    from psa_quickbooks.sandbox import UK_REALM

    codes = uk_tax_codes(world)
    tenant = connect(world, UK_REALM, non_us="y", untaxed_tax_code=codes["0.0% Z"])
    with world.env.app.app_context():
        db.session.get(Organization, tenant.org_id).currency = "GBP"
        db.session.commit()
    return tenant, codes


def disconnect(tenant) -> None:
    """The Manage page's Disconnect for the tenant's connection."""
    page = f"/settings/integrations?business_unit={tenant.business_unit_id}"
    resp = tenant.user.post_form(page, f"/settings/integrations/connections/"
                                       f"{tenant.connection_id}/disconnect")
    assert resp.status_code in (302, 303), resp.text


# -- invoices -------------------------------------------------------------------------------------


def new_invoice(env, tenant, lines=None, project=None, client: dict | None = None, *,
                tag: str) -> tuple[int, str]:
    """A draft invoice for a new client "E2E <Tag> Client <n>" (billing email
    ``ap<n>@<tag>-e2e.test``; ``client`` adds columns); returns (host invoice id, client
    name)."""
    n = next(_n)
    name = f"E2E {tag.title()} Client {n}"
    invoice_id = env.draft_invoice(tenant, lines=lines, project=project, client={
        "name": name, "billing_email": f"ap{n}@{tag}-e2e.test", **(client or {})})
    return invoice_id, name


def send_new_invoice(env, tenant, lines=None, project=None, *, tag: str,
                     **wait) -> tuple[int, str, dict]:
    """:func:`new_invoice`, then the invoice page's Send and the push settled (``wait``: see
    ``E2E.wait_record``); returns (host invoice id, client name, its sync record)."""
    invoice_id, name = new_invoice(env, tenant, lines, project, tag=tag)
    return invoice_id, name, env.send_and_wait(tenant, invoice_id, **wait)


def status_of(tenant, invoice_id: int) -> str | None:
    """The invoice page's status badge (draft, sent, partially_paid, paid, void)."""
    from host.integrations.e2e import invoice_status

    return invoice_status(tenant.user.page(f"/invoices/{invoice_id}"))


def invoice_action(tenant, invoice_id: int, action: str, data: dict | None = None) -> None:
    """Submit a form of the invoice page to ``action`` ("void", "payments", or a full path
    such as the sync panel's Retry); asserts the redirect back."""
    path = action if action.startswith("/") else f"/invoices/{invoice_id}/{action}"
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", path, data)
    assert resp.status_code in (302, 303), resp.text[-2000:]


# -- the sandbox company --------------------------------------------------------------------------


def entities(world: QboWorld, entity: str, realm: str = US_REALM) -> list[dict]:
    """Every stored ``entity`` of the company (the sandbox's control API)."""
    return world.control("GET", f"companies/{realm}/entities/{entity}").json()[entity]


def entity(world: QboWorld, entity_name: str, ident: str, realm: str = US_REALM) -> dict:
    """One stored entity of the company by Id."""
    return world.control("GET", f"companies/{realm}/entities/{entity_name}/{ident}"
                         ).json()[entity_name]


def customer_ids(world: QboWorld, name: str, realm: str = US_REALM) -> list[str]:
    return [c["Id"] for c in entities(world, "Customer", realm) if c["DisplayName"] == name]


def invoices_of(world: QboWorld, customer_name: str, realm: str = US_REALM, *,
                one_customer: bool = True) -> list[dict]:
    """The company's invoices for the customer(s) named ``customer_name``; with
    ``one_customer`` asserts exactly one customer has that name."""
    customers = customer_ids(world, customer_name, realm)
    if one_customer:
        assert len(customers) == 1, customers
    return [i for i in entities(world, "Invoice", realm) if i["CustomerRef"]["value"] in customers]


def sales_lines(invoice: dict, *detail: str) -> list[tuple]:
    """(Description, Amount, *SalesItemLineDetail[d] ...) of the invoice's item lines; a
    ``detail`` name with a dot reads one level deeper (``"TaxCodeRef.value"``)."""
    def read(line, path):
        value = line["SalesItemLineDetail"]
        for key in path.split("."):
            value = value[key]
        return value

    return [(ln["Description"], ln["Amount"], *(read(ln, d) for d in detail))
            for ln in invoice["Line"] if ln["DetailType"] == "SalesItemLineDetail"]


class Books:
    """A company (default: the US one) through its Accounting API and its pages (what a
    bookkeeper does in QuickBooks)."""

    def __init__(self, world: QboWorld, realm: str = US_REALM):
        self.world = world
        self.realm = realm
        self.http = httpx.Client(base_url=world.sandbox_url, timeout=15)
        self.token = world.control("POST", "tokens", json={  # another app: see qbo_testkit
            "client_id": BOOKKEEPER_CLIENT_ID, "realm_id": realm}).json()["access_token"]

    def close(self) -> None:
        self.http.close()

    def api(self, method, path, body=None, **params):
        params.setdefault("minorversion", 75)
        r = self.http.request(method, f"/v3/company/{self.realm}/{path}", params=params,
                              json=body, headers={"Authorization": f"Bearer {self.token}",
                                                  "Accept": "application/json"})
        assert r.status_code == 200, r.text
        return r.json()

    def query(self, entity_name: str) -> list[dict]:
        """``SELECT * FROM <entity>`` (what the API lists: deleted ones are gone)."""
        rows = self.api("GET", "query", query=f"SELECT * FROM {entity_name}")["QueryResponse"]
        return rows.get(entity_name, [])

    def invoice(self, ident) -> dict:
        return self.api("GET", f"invoice/{ident}")["Invoice"]

    def payments_linking(self, invoice_id) -> list[dict]:
        return [p for p in self.query("Payment") if any(
            link["TxnId"] == invoice_id for line in p["Line"] for link in line["LinkedTxn"])]

    def receive_payment(self, invoice_id: str, amount: str) -> str:
        """The company's invoice list "Receive payment" for ``amount``; returns the payment Id."""
        r = self.http.post(f"/company/{self.realm}/invoices/{invoice_id}/payments",
                           data={"amount": amount})
        assert r.status_code in (302, 303), r.text
        message = httpx.URL(r.headers["location"]).params.get("message") or ""
        assert message.startswith("Payment "), r.headers["location"]
        return message.split()[1]

    def _invoice_operation(self, ident, operation: str) -> None:
        current = self.invoice(ident)
        self.api("POST", "invoice", {"Id": ident, "SyncToken": current["SyncToken"]},
                 operation=operation)

    def void_invoice(self, ident) -> None:
        self._invoice_operation(ident, "void")

    def delete_invoice(self, ident) -> None:
        self._invoice_operation(ident, "delete")
