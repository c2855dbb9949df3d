"""All sandbox state in one object: organisations (the Accounting data) and identity.

State lives in memory, guarded by one re-entrant lock (the sandbox is small; a request holds
the lock for the whole handler so every write is atomic). With ``SANDBOX_DB_PATH`` the state is
also written to a SQLite file (the kit's JsonStore) after every write and reloaded at start-up.
"""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import datetime, timezone

from host.sandbox_kit.store import JsonStore

from . import seed
from .timezones import org_today
from .xerojson import utc_iso

DEMO_CLIENT_ID = "xero-demo-client"
DEMO_CLIENT_SECRET = "xero-demo-secret"
DEMO_APP_NAME = "PSA Demo App"
DEMO_USER = {"xero_userid": "0f5c0b4e-6a9f-4f2e-8d6b-1a2b3c4d5e6f", "email": "demo@psa.example",
             "given_name": "Demo", "family_name": "Admin"}


def new_id() -> str:
    return str(uuid.uuid4())


def fresh_org(data: dict) -> dict:
    data = copy.deepcopy(data)
    return {
        "organisation": data["organisation"],
        "currencies": list(data.get("currencies", ())),  # added to the base currency
        "tax_rates": {t["TaxType"]: t for t in data["tax_rates"]},
        "accounts": {a["AccountID"]: a for a in data["accounts"]},
        "tracking": {c["TrackingCategoryID"]: c for c in data["tracking"]},
        "items": {i["ItemID"]: i for i in data["items"]},
        "contacts": {c["ContactID"]: c for c in data["contacts"]},
        "invoices": {}, "credit_notes": {}, "payments": {}, "history": {},
        "emails": [],
        "counters": {"invoice": 0, "credit_note": 0},
        "prefixes": {"invoice": data["invoice_prefix"], "credit_note": data["credit_note_prefix"]},
    }


class XeroState:
    """The whole sandbox: orgs keyed by tenant id, plus OAuth clients, grants and tokens."""

    def __init__(self, clock, db_path: str | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.store = JsonStore(db_path)
        loaded = self.store.persistent and bool(self.store.load_all())
        self.reset(persist=not loaded)
        if loaded:
            self._load()

    # -- lifecycle ---------------------------------------------------------------------------
    def reset(self, persist: bool = True) -> None:
        with self.lock:
            self.orgs: dict[str, dict] = {t: fresh_org(d) for t, d in seed.seed_orgs().items()}
            self.clients: dict[str, dict] = {
                DEMO_CLIENT_ID: {"client_id": DEMO_CLIENT_ID, "secret": DEMO_CLIENT_SECRET,
                                 "name": DEMO_APP_NAME, "redirect_uris": [],
                                 "allow_localhost": True},
            }
            self.codes: dict[str, dict] = {}
            self.grants: dict[str, dict] = {}
            self.access_tokens: dict[str, dict] = {}
            self.refresh_tokens: dict[str, dict] = {}
            self.connections: dict[str, dict] = {}
            self.idempotency: dict[str, dict] = {}
            self.webhook: dict = {"url": None, "key": None, "categories": ["INVOICE", "CONTACT",
                                                                          "CREDITNOTE"],
                                  "itr": None, "enabled": True}
            self.event_sequence = 0
            if persist:
                self.save()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), timezone.utc)

    def now_iso(self) -> str:
        return utc_iso(self.now())

    def today(self, org: dict) -> str:
        """Today in ``org``'s time zone: the default of document and payment dates."""
        return org_today(self.now(), org)

    # -- accessors ---------------------------------------------------------------------------
    def org(self, tenant_id: str) -> dict | None:
        return self.orgs.get(tenant_id)

    def next_number(self, org: dict, kind: str, taken) -> str:
        """Next free document number like ``INV-0007`` (skipping numbers given by clients)."""
        while True:
            org["counters"][kind] += 1
            number = f"{org['prefixes'][kind]}{org['counters'][kind]:04d}"
            if not taken(number):
                return number

    # -- persistence ---------------------------------------------------------------------------
    _PERSISTED = ("orgs", "clients", "codes", "grants", "access_tokens", "refresh_tokens",
                  "connections", "idempotency", "webhook", "event_sequence")

    def save(self) -> None:
        """Write every collection to the kit's JsonStore (a no-op when in memory only)."""
        if not self.store.persistent:
            return
        with self.lock:
            for name in self._PERSISTED:
                self.store.save(name, getattr(self, name))

    def _load(self) -> None:
        data = self.store.load_all()
        with self.lock:
            for name in self._PERSISTED:
                if name in data:
                    setattr(self, name, data[name])
