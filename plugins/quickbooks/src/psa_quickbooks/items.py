"""Which QuickBooks product/service each line is booked to.

Per line, first hit wins (README, "Mapping rules"):

1. the admin's mapping of the line's service type (mapping kind ``item``);
2. the shared matching rules (:func:`host.integrations.matching.match_service_type`): the
   active item with exactly the service type's name, else with its SKU (several hits: the admin
   must choose);
3. the default product/service of the connection's settings (``default_item``).

Only active items that can go on an invoice count: a Category, an inactive item or an
unknown id stops the push with a mapping error that names it (QuickBooks would answer 610,
2500 or 6000 less clearly).
"""

from __future__ import annotations

from dataclasses import dataclass

from hookspecs import LineData, MappingError
from host.integrations.matching import Candidate, match_service_type

from .api import QboClient

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
    _items: dict[str, dict] | None = None

    @property
    def items(self) -> dict[str, dict]:
        if self._items is None:
            self._items = load(self.qbo)
        return self._items

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
        return {line.id: self.for_line(line) for line in lines}
