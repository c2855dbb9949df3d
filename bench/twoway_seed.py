"""Fill a sandbox tenant with N customers, products and invoices, fast, for the import benchmark.

The benchmark measures the host's import, not the sandbox's write path, so the records go
straight into the sandbox's store: one record of each kind is made through the sandbox's own
rules (QuickBooks' ``Operations``, Xero's ``contacts.apply`` / ``documents.save_document``),
so its shape is exactly what the API would hold, and the rest are copies of it with their own
ids, names, e-mails, SKUs / codes and document numbers. No webhook is sent: the host finds
the records by listing them, as an initial import does.

Every customer has a unique name and e-mail (the host creates each one rather than matching
it), every product a SKU (QuickBooks) or code (Xero), and every invoice is open, untaxed and
references one customer and one product (a line of 2 x 120.00), so it imports without waiting
on a tax or currency mapping. Every record is stamped an hour before the sandbox's now
(:data:`AGE`), as a ledger's records are older than the import: an incremental pass's look-back
(QuickBooks re-reads the minute before a listing began) must not find all of them changed.

    seed_quickbooks(sandbox, realm, Counts(5000, 2000, 10000))
    seed_xero(sandbox, tenant_id, Counts(5000, 2000, 10000))
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Counts:
    """How many records of each kind a tenant gets (or a run imported)."""

    customers: int
    items: int
    invoices: int

    def times(self, factor: int) -> "Counts":
        return Counts(self.customers * factor, self.items * factor, self.invoices * factor)

    def of(self, obj: str) -> int:
        """By sync object name (``customer``, ``item``, ``invoice``)."""
        return {"customer": self.customers, "item": self.items, "invoice": self.invoices}[obj]


#: How long before the sandbox's now the seeded records were (last) changed, in seconds.
AGE = 3600.0


def _name(kind: str, n: int) -> str:
    return f"Bench {kind} {n:05d}"


def seed_quickbooks(sandbox, realm: str, counts: Counts) -> None:
    """Add ``counts`` records to the QuickBooks sandbox company ``realm`` (``QboSandbox``)."""
    from psa_quickbooks.sandbox.entities import Operations

    today = date.today()
    with sandbox.state.lock:
        company = sandbox.state.company(realm)
        ops = Operations(company, sandbox.clock.now() - AGE)
        income = next(a for a in company.all("Account") if a["Name"] == "Services")

        def stored(entity: str, shown: dict) -> dict:
            return company.get(entity, shown["Id"])

        def clone(entity: str, template: dict, **changes) -> dict:
            obj = copy.deepcopy(template)
            obj.update(Id=company.next_id(entity), **changes)
            return company.put(entity, obj)

        first = stored("Customer", ops.save("Customer", {
            "DisplayName": _name("Customer", 1),
            "PrimaryEmailAddr": {"Address": "ap00001@bench.example"}}))
        customers = [first]
        for n in range(2, counts.customers + 1):
            name = _name("Customer", n)
            customers.append(clone("Customer", first, DisplayName=name,
                                   FullyQualifiedName=name, PrintOnCheckName=name,
                                   PrimaryEmailAddr={"Address": f"ap{n:05d}@bench.example"}))

        first = stored("Item", ops.save("Item", {
            "Name": _name("Product", 1), "Sku": "BENCH-00001", "Type": "Service",
            "UnitPrice": 120, "Description": _name("Product", 1),
            "IncomeAccountRef": {"value": income["Id"]}}))
        items = [first]
        for n in range(2, counts.items + 1):
            name = _name("Product", n)
            items.append(clone("Item", first, Name=name, FullyQualifiedName=name,
                               Description=name, Sku=f"BENCH-{n:05d}"))

        first = stored("Invoice", ops.save("Invoice", {
            "CustomerRef": {"value": customers[0]["Id"]},
            "TxnDate": today.isoformat(), "DueDate": (today + timedelta(days=30)).isoformat(),
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 240,
                      "Description": "Bench work 00001",
                      "SalesItemLineDetail": {"ItemRef": {"value": items[0]["Id"]}, "Qty": 2,
                                              "UnitPrice": 120, "TaxCodeRef": {"value": "NON"}}}],
        }))
        for n in range(2, counts.invoices + 1):
            customer, item = customers[(n - 1) % len(customers)], items[(n - 1) % len(items)]
            invoice = clone("Invoice", first, DocNumber=company.next_doc_number("Invoice"),
                            CustomerRef={"value": customer["Id"], "name": customer["DisplayName"]})
            line = invoice["Line"][0]
            line["Description"] = f"Bench work {n:05d}"
            line["SalesItemLineDetail"]["ItemRef"] = {"value": item["Id"], "name": item["Name"]}
        sandbox.persist(company)


def seed_xero(sandbox, tenant_id: str, counts: Counts) -> None:
    """Add ``counts`` records to the Xero sandbox organisation ``tenant_id`` (``XeroSandbox``)."""
    from psa_xero.sandbox import contacts, documents
    from psa_xero.sandbox.xerojson import utc_iso

    state = sandbox.state
    today = date.today()
    with state.lock:
        org = state.orgs[tenant_id]
        now_iso = utc_iso(state.now() - timedelta(seconds=AGE))
        account = next(a["Code"] for a in org["accounts"].values()
                       if a["Type"] in ("SALES", "REVENUE") and a["Status"] == "ACTIVE")
        untaxed = next(t["TaxType"] for t in org["tax_rates"].values()
                       if t["EffectiveRate"] == 0 and t["Status"] == "ACTIVE")

        first, _ = contacts.apply(org, {"Name": _name("Customer", 1),
                                        "EmailAddress": "ap00001@bench.example"}, None, now_iso)
        people = [first]
        for n in range(2, counts.customers + 1):
            contact = copy.deepcopy(first)
            contact.update(ContactID=str(uuid.uuid4()), Name=_name("Customer", n),
                           EmailAddress=f"ap{n:05d}@bench.example")
            org["contacts"][contact["ContactID"]] = contact
            people.append(contact)

        codes = []
        for n in range(1, counts.items + 1):
            item = {"ItemID": str(uuid.uuid4()), "Code": f"BENCH-{n:05d}",
                    "Name": _name("Product", n), "Description": _name("Product", n),
                    "IsSold": True, "IsPurchased": False, "IsTrackedAsInventory": False,
                    "SalesDetails": {"UnitPrice": 120.0, "AccountCode": account,
                                     "TaxType": untaxed},
                    "UpdatedDateUTC": now_iso}
            org["items"][item["ItemID"]] = item
            codes.append(item["Code"])

        first, _, _ = documents.save_document(state, org, {
            "Type": "ACCREC", "Contact": {"ContactID": people[0]["ContactID"]},
            "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
            "Date": today.isoformat(), "DueDate": (today + timedelta(days=30)).isoformat(),
            "LineItems": [{"Description": "Bench work 00001", "Quantity": 2, "UnitAmount": 120,
                           "ItemCode": codes[0], "AccountCode": account, "TaxType": untaxed}],
        }, "invoice", None)
        first["UpdatedDateUTC"] = now_iso
        for n in range(2, counts.invoices + 1):
            invoice = copy.deepcopy(first)
            org["counters"]["invoice"] += 1
            invoice.update(InvoiceID=str(uuid.uuid4()),
                           InvoiceNumber=f"{org['prefixes']['invoice']}"
                                         f"{org['counters']['invoice']:04d}",
                           Contact={"ContactID": people[(n - 1) % len(people)]["ContactID"]})
            line = invoice["LineItems"][0]
            line.update(Description=f"Bench work {n:05d}", ItemCode=codes[(n - 1) % len(codes)])
            if "LineItemID" in line:
                line["LineItemID"] = str(uuid.uuid4())
            org["invoices"][invoice["InvoiceID"]] = invoice
        state.save()
