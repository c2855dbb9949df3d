"""The admin's inbound filters: which ledger records are imported at all.

Applied before anything is imported (``SyncObjectSetting.filters``); a record a filter
excludes is linked ``skipped`` with the reason, so the sync overview can say why it is not in
the host. The filters:

* ``created_after`` (``"YYYY-MM-DD"``): only records created in the ledger on or after that day
  (``created_at``; an invoice without it is judged by its ``issue_date``; a record with neither
  passes). Seed 003 recommends "only invoices created after today".
* ``statuses`` (invoices): only invoices whose ledger status is one of ``open``, ``paid``,
  ``voided`` (``deleted`` counts as ``voided``); empty: every status.
* ``customers`` (invoices): only invoices of these customers (the provider's external ids);
  empty: every customer.
* ``include_without_sku`` (items): products without a SKU are skipped unless this is true
  (then they match host service types by name).

An invoice already imported is never filtered out by a later change of the filters: its
edits, payments and voids keep following (the filters decide what comes in, not what stays).
"""

from __future__ import annotations

from datetime import date

from host.contract.records import InboundInvoice, InboundItem

#: Why a product without a SKU is skipped, and what the admin can do about it.
NO_SKU = "The product has no SKU; products without a SKU are not imported (filter)."
NO_SKU_FIX = ("To import it, choose \"import them (matched by name)\" for products without a SKU "
              "under What syncs on the Manage page, save, then press Import again.")

#: The invoice statuses the "status" filter offers.
INVOICE_STATUSES = ("open", "paid", "voided")


def _created_after(filters: dict) -> date | None:
    try:
        return date.fromisoformat(str(filters.get("created_after") or "")) or None
    except ValueError:
        return None


def excluded(filters: dict | None, record) -> str | None:
    """Why ``record`` is filtered out by ``filters``, or None when it is imported."""
    filters = filters or {}
    after = _created_after(filters)
    if after is not None:
        created = record.created_at.date() if record.created_at else None
        if created is None and isinstance(record, InboundInvoice):
            created = record.issue_date
        if created is not None and created < after:
            return f"Created in the ledger on {created.isoformat()}, before {after.isoformat()} " \
                   "(filter: created after)."
    if isinstance(record, InboundInvoice):
        statuses = [s for s in filters.get("statuses") or () if s in INVOICE_STATUSES]
        status = "voided" if record.status == "deleted" else record.status
        if statuses and status not in statuses:
            return f"Status {status} is not among the imported statuses ({', '.join(statuses)})."
        customers = [str(c) for c in filters.get("customers") or ()]
        if customers and record.customer_external_id not in customers:
            return "Its customer is not among the customers whose invoices are imported."
    if isinstance(record, InboundItem) and not record.sku.strip() \
            and not filters.get("include_without_sku"):
        return NO_SKU
    return None
