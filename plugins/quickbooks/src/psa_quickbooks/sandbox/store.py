"""In-memory state of the QBO sandbox (companies, their entities), optionally persisted.

A :class:`Company` is a plain JSON-able dict underneath, so the whole company is saved as one
blob through :class:`host.sandbox_kit.JsonStore` when ``SANDBOX_DB_PATH`` is set.
"""
from __future__ import annotations

import copy
import threading

from host.sandbox_kit import JsonStore

#: Entity types the sandbox stores; the value is the URL resource name.
ENTITY_RESOURCES = {
    "Customer": "customer", "Vendor": "vendor", "Item": "item", "Account": "account",
    "TaxCode": "taxcode", "TaxRate": "taxrate", "Class": "class", "Term": "term",
    "Invoice": "invoice", "CreditMemo": "creditmemo", "Payment": "payment",
    "CompanyCurrency": "companycurrency",
}
RESOURCE_ENTITIES = {v: k for k, v in ENTITY_RESOURCES.items()}
NAME_LISTS = {"Customer", "Vendor", "Item", "Account", "Class", "Term", "TaxCode", "TaxRate"}
TRANSACTIONS = {"Invoice", "CreditMemo", "Payment"}


class Company:
    """One QBO company (realm): info, preferences, entities, counters, replay store."""

    def __init__(self, data: dict) -> None:
        self.data = data

    @classmethod
    def new(cls, realm_id: str, info: dict, prefs: dict) -> "Company":
        return cls({"realm_id": realm_id, "info": info, "prefs": prefs,
                    "entities": {name: {} for name in ENTITY_RESOURCES},
                    "counters": {}, "doc_numbers": {}, "deleted": [], "requestids": {}})

    @property
    def realm_id(self) -> str:
        return self.data["realm_id"]

    @property
    def info(self) -> dict:
        return self.data["info"]

    @property
    def prefs(self) -> dict:
        return self.data["prefs"]

    @property
    def is_us(self) -> bool:
        return self.info.get("Country") == "US"

    def pref(self, section: str, key: str, default=None):
        return self.prefs.get(section, {}).get(key, default)

    def next_id(self, entity: str) -> str:
        """The next Id: one sequence for all transactions (an Id names one transaction,
        whatever its type), one per type for name lists."""
        key = "Txn" if entity in TRANSACTIONS else entity
        counters = self.data["counters"]
        counters[key] = counters.get(key, 0) + 1
        return str(counters[key])

    def next_doc_number(self, entity: str) -> str:
        numbers = self.data["doc_numbers"]
        numbers[entity] = numbers.get(entity, 1000) + 1
        return str(numbers[entity])

    def table(self, entity: str) -> dict:
        return self.data["entities"].setdefault(entity, {})

    def get(self, entity: str, ident) -> dict | None:
        return self.table(entity).get(str(ident))

    def all(self, entity: str) -> list[dict]:
        return list(self.table(entity).values())

    def put(self, entity: str, obj: dict) -> dict:
        self.table(entity)[obj["Id"]] = obj
        return obj

    def remove(self, entity: str, ident: str, when: str) -> None:
        self.table(entity).pop(ident, None)
        self.data["deleted"].append({"entity": entity, "Id": ident, "LastUpdatedTime": when})

    def deleted(self) -> list[dict]:
        return self.data["deleted"]

    def replay(self, request_id: str):
        return self.data["requestids"].get(request_id)

    def remember(self, request_id: str, status: int, body) -> None:
        self.data["requestids"][request_id] = [status, body]


class SandboxState:
    """All companies plus the persistence handle; ``lock`` serialises writes."""

    def __init__(self, db_path: str | None = None) -> None:
        self.lock = threading.RLock()
        self.store = JsonStore(db_path)
        self.companies: dict[str, Company] = {}

    def company(self, realm_id: str) -> Company | None:
        return self.companies.get(str(realm_id))

    def add(self, company: Company) -> None:
        self.companies[company.realm_id] = company
        self.save(company)

    def save(self, company: Company) -> None:
        if self.store.persistent:
            self.store.save(f"company:{company.realm_id}", company.data)

    def load(self) -> bool:
        """Load persisted companies; True if any were found."""
        found = False
        for name, data in self.store.load_all().items():
            if name.startswith("company:"):
                self.companies[data["realm_id"]] = Company(data)
                found = True
        return found

    def clear(self) -> None:
        self.companies.clear()
        self.store.clear()


def public(obj: dict) -> dict:
    """A deep copy of an entity without internal (underscore) keys."""
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}
