"""Which QuickBooks product/service each line is booked to.

Per line, first hit wins (README, "Mapping rules"):

1. the admin's mapping of the line's service type (mapping kind ``item``);
2. the shared matching rules (:func:`host.integrations.matching.match_service_type`): the
   active item with exactly the service type's name, else with its SKU (several hits: the admin
   must choose);
3. the default product/service of the connection's settings (``default_item``).

Income account: QuickBooks books a line to its item's income account (a line has no account of
its own). When the line's GL account is mapped to a QuickBooks income account (kind
``account``) and the item books elsewhere, the line uses the item's *account variant*: an item
named ``"<item> (<account>)"`` booking to the mapped account, found by that name or created
once (same type, description, price and tax defaults) -- the push's note says so.

Only active items that can go on an invoice count: a Category, an inactive item or an
unknown id stops the push with a mapping error that names it (QuickBooks would answer 610,
2500 or 6000 less clearly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hookspecs import LineData, MappingError, NotFoundError
from host.integrations.matching import Candidate, match_service_type

from .api import QboClient
from .idempotency import create_once

#: Item types that can be put on an invoice line.
SELLABLE = {"Service", "NonInventory", "Inventory", "Group", "Bundle"}


def usable(item: dict) -> bool:
    return item.get("Active", True) is not False and item.get("Type", "Service") in SELLABLE


def why_unusable(item: dict) -> str:
    if item.get("Type") == "Category":
        return "is a category (categories only group products; they cannot be invoiced)"
    if item.get("Active") is False:
        return "is inactive in QuickBooks"
    return f"is of type {item.get('Type')!r}, which cannot be put on an invoice"


def load(qbo: QboClient) -> dict[str, dict]:
    """Every item by Id, inactive ones and categories included (``SELECT *, Sku``: reference
    3.5 notes ``SELECT *`` may leave ``Sku`` out)."""
    return {str(i["Id"]): i for i in qbo.query_all("Item", "Active IN (true, false)",
                                                    select="*, Sku")}


def as_candidates(items: dict[str, dict]) -> list[Candidate]:
    return [Candidate(external_id=i, name=item.get("Name", ""), sku=item.get("Sku", "") or "",
                      usable=usable(item), kind="item") for i, item in items.items()]


@dataclass
class ItemResolver:
    """Resolves line items for one document, with the item list loaded once."""

    qbo: QboClient
    connection: object
    idempotency_key: str = ""
    _items: dict[str, dict] | None = None
    _accounts: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> dict[str, dict]:
        if self._items is None:
            self._items = load(self.qbo)
        return self._items

    @property
    def accounts(self) -> dict[str, dict]:
        """The QuickBooks accounts read for mapped GL accounts, by Id."""
        return self._accounts

    def _check(self, ident: str, how: str) -> str:
        item = self.items.get(str(ident))
        if item is None:
            raise MappingError(
                f"The QuickBooks product/service {ident} ({how}) does not exist any more.",
                fix="Choose another product/service on the integration's Manage page, then retry.",
                code="2500")
        if not usable(item):
            raise MappingError(
                f"The QuickBooks product/service {item.get('Name', ident)!r} ({how}) "
                f"{why_unusable(item)}.",
                fix="Reactivate it in QuickBooks, or choose an active product/service (not a "
                    "category) on the integration's Manage page, then retry.", code="610")
        return str(ident)

    def default(self) -> str:
        ident = (self.connection.settings or {}).get("default_item")
        if not ident:
            raise MappingError(
                "No default QuickBooks product/service is set for lines without a mapped service "
                "type.", fix="Choose the default product/service on the integration's Manage "
                "page, then retry.")
        return self._check(ident, "the default product/service")

    def for_line(self, line: LineData) -> str:
        st = line.service_type
        if st is None:
            return self.default()
        mapped = self.connection.mapping("item", st.id)
        if mapped:
            return self._check(mapped, f"mapped to service type {st.name!r}")
        preview = match_service_type(st, as_candidates(self.items))
        if preview.outcome == "match":
            return str(preview.external_id)
        if preview.outcome == "ambiguous":
            names = ", ".join(f"{c.label} ({c.external_id})" for c in preview.candidates)
            raise MappingError(
                f"Several QuickBooks products/services could be service type {st.name!r}: "
                f"{names}.", fix="Map the service type to one of them on the integration's "
                "Manage page, then retry.")
        return self.default()

    def resolve(self, lines) -> dict[int, str]:
        return {line.id: self.with_account(self.for_line(line), line) for line in lines}

    # -- income account per GL account ---------------------------------------------------------

    def _account(self, ident: str, gl_name: str) -> dict:
        if ident not in self._accounts:
            try:
                self._accounts[ident] = self.qbo.read("Account", ident)
            except NotFoundError as exc:
                raise MappingError(
                    f"The QuickBooks account {ident} mapped to GL account {gl_name!r} no longer "
                    "exists.", fix="Map the GL account to an active income account on the "
                    "integration's Manage page (Income accounts), then retry.") from exc
        account = self._accounts[ident]
        if account.get("Active") is False or account.get("AccountType") not in (
                "Income", "Other Income"):
            raise MappingError(
                f"GL account {gl_name!r} is mapped to {account.get('Name', ident)!r}, which is "
                f"{'inactive' if account.get('Active') is False else 'not an income account'} "
                "in QuickBooks.", fix="Map the GL account to an active income account on the "
                "integration's Manage page (Income accounts), then retry.")
        return account

    def with_account(self, item_id: str, line: LineData) -> str:
        gl = line.gl_account
        mapped = self.connection.mapping("account", gl.id) if gl is not None else None
        if not mapped:
            return item_id
        item = self.items[item_id]
        if str((item.get("IncomeAccountRef") or {}).get("value")) == str(mapped):
            return item_id
        account = self._account(str(mapped), gl.name)
        name = f"{item.get('Name', '')} ({account.get('Name', mapped)})"[:100]
        for ident, other in self.items.items():
            if usable(other) and other.get("Name") == name and str(
                    (other.get("IncomeAccountRef") or {}).get("value")) == str(mapped):
                return ident
        payload = {"Name": name, "Type": item.get("Type") if item.get("Type") in (
                       "Service", "NonInventory") else "NonInventory",
                   "IncomeAccountRef": {"value": str(mapped)}}
        for key in ("Description", "UnitPrice", "Taxable", "SalesTaxCodeRef",
                    "ExpenseAccountRef"):
            if item.get(key) not in (None, ""):
                payload[key] = item[key]
        created, _ = create_once(self.qbo, self.connection, "Item", f"{item_id}@{mapped}",
                                 payload, self.idempotency_key,
                                 action=f"creating the product/service {name!r}")
        self.items[str(created["Id"])] = created
        self.notes.append(f"Created the product/service {name!r} so that lines of GL account "
                          f"{gl.name!r} book to {account.get('Name')!r}.")
        return str(created["Id"])
