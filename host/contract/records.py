"""Records that come in from the ledger: what a plugin reads, maps and hands to the host.

Two-way sync (customers, products, invoices) splits the work this way:

* the **plugin** lists the records of one object changed since a cursor
  (``list_records`` -> :class:`RecordPage`), maps each provider record to an
  :class:`InboundCustomer`, :class:`InboundItem` or :class:`InboundInvoice`, declares which
  provider fields can be mapped (``list_sync_fields`` -> :class:`SyncField`) and pushes a host
  customer or product when asked (``push_record``);
* the **host** owns everything else: scheduling, the cursor, filters, matching to host
  records, validation (everything here is untrusted input), conflict detection (per-field
  fingerprints of the last synced state), echo suppression, rate limits and the pages.

Nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Mapping, Union

from host.contract.types import PaymentRecord

#: The objects two-way sync knows, in the host's words: ``"customer"`` (host clients),
#: ``"item"`` (host service types: products and services) and ``"invoice"``.
SYNC_OBJECTS = ("customer", "item", "invoice")

#: The host fields each object's provider fields can be mapped to. The predefined pairs a
#: plugin declares use these names as :attr:`SyncField.host_field`; "Add a mapping" lets the
#: admin pair one of the plugin's extra fields with a host field from the same list.
HOST_FIELDS: Mapping[str, tuple[str, ...]] = {
    "customer": ("name", "billing_email", "billing_contact_name", "tax_number"),
    "item": ("name", "sku", "unit_price", "description", "income_account"),
    "invoice": ("memo", "reference", "due_date"),
}

#: Host fields that cannot be switched off (a record without them cannot be synced).
REQUIRED_HOST_FIELDS: Mapping[str, tuple[str, ...]] = {
    "customer": ("name",),
    "item": ("name",),
    "invoice": (),
}

#: ``InboundInvoice.status``: ``"draft"`` invoices are never imported (not yet issued in the
#: ledger); ``"voided"`` and ``"deleted"`` ones void the host's copy.
InvoiceStatus = Literal["draft", "open", "paid", "voided", "deleted"]


@dataclass(frozen=True)
class SyncField:
    """One provider field that can be mapped, as ``list_sync_fields`` declares it.

    A **predefined** field (``predefined=True``) comes with its host field and is on by
    default; the admin may switch it off unless the host field is required. An **extra** field
    (``predefined=False``, ``host_field`` empty or a suggestion) is offered under "Add a
    mapping", where the admin pairs it with a host field of :data:`HOST_FIELDS`.
    """

    #: your stable id of the provider field ("PrimaryEmailAddr", "CustomField:2", "Reference").
    #: Extra fields' values travel under this key in ``extra`` (inbound) and ``fields``
    #: (outbound).
    key: str
    #: what the admin reads ("Email", "PO Number (custom field 2)")
    label: str
    #: one of :data:`SYNC_OBJECTS`
    object: str
    #: the host field it pairs with (one of ``HOST_FIELDS[object]``); a suggestion for extras
    host_field: str = ""
    #: True: a predefined pair, on by default, with a switch; False: offered under "Add a mapping"
    predefined: bool = True
    #: the directions the provider supports for it
    directions: tuple[Literal["in", "out"], ...] = ("in", "out")


@dataclass(frozen=True)
class InboundCustomer:
    """A customer / contact as the ledger holds it, mapped to the host's fields.

    ``problem`` is set (and the rest may be empty) when the plugin could not read the record:
    the host keeps it waiting on the sync overview with that reason instead of importing it.
    """

    external_id: str  #: the provider's id of the customer
    name: str  #: its display name (empty: the host keeps it waiting, "a customer needs a name")
    billing_email: str = ""  #: the address invoices go to
    billing_contact_name: str = ""  #: the person invoices go to
    tax_number: str = ""  #: VAT / tax registration number, where the provider keeps one
    currency: str = ""  #: ISO 4217 code of a single-currency customer (empty: any)
    active: bool = True  #: False: archived / inactive / deleted / merged away in the ledger
    version: str = ""  #: the provider's concurrency token (SyncToken, UpdatedDateUTC)
    created_at: datetime | None = None  #: when it was created in the ledger (UTC)
    updated_at: datetime | None = None  #: when it last changed there (UTC)
    #: extra fields' values keyed by :attr:`SyncField.key` (only fields the plugin declared)
    extra: Mapping[str, str] = field(default_factory=dict)
    problem: str = ""  #: why the plugin could not map it (empty: mapped)


@dataclass(frozen=True)
class InboundItem:
    """A product / service as the ledger holds it (it becomes a host service type).

    Only items that can go on an invoice line are listed: no categories or groups.
    """

    external_id: str  #: the provider's id of the item
    name: str  #: its name (empty: waits, "a product needs a name")
    sku: str = ""  #: its SKU / item code (empty: skipped unless the admin imports those too)
    unit_price: Decimal | None = None  #: its sales price, if it has one
    description: str = ""  #: its sales description
    #: the provider's id of its income / revenue account (mapped back through the host's GL
    #: account mapping), empty when none
    income_account: str = ""
    active: bool = True  #: False: archived / inactive / deleted in the ledger
    version: str = ""  #: the provider's concurrency token
    created_at: datetime | None = None  #: when it was created in the ledger (UTC)
    updated_at: datetime | None = None  #: when it last changed there (UTC)
    extra: Mapping[str, str] = field(default_factory=dict)  #: extra fields by SyncField.key
    problem: str = ""  #: why the plugin could not map it (empty: mapped)


@dataclass(frozen=True)
class InboundLine:
    """One invoice line as the ledger holds it. ``amount`` is before tax."""

    description: str  #: the line's text
    quantity: Decimal  #: units or hours
    unit_price: Decimal  #: price per unit
    amount: Decimal  #: the line's net amount as the ledger books it
    item_external_id: str = ""  #: the provider's item on the line (empty: none)
    #: the provider's tax code / type of the line (mapped back through the tax-rate mapping)
    tax_code: str = ""
    #: the percentage that code applies, when the provider says (used when no mapping exists:
    #: the host's only tax rate with that percentage)
    tax_percent: Decimal | None = None
    tax_amount: Decimal | None = None  #: the line's tax, where the provider keeps tax per line
    service_date: date | None = None  #: when the work was done, if the line says
    #: the provider's income / revenue account of the line, when it has its own
    account_external_id: str = ""


@dataclass(frozen=True)
class InboundInvoice:
    """An invoice as the ledger holds it, mapped to the host's fields.

    The host imports it (or updates its copy) in one transaction with its lines, after
    checking that the customer, items, currency and tax codes resolve and that the lines add
    up to the totals; otherwise it waits on the sync overview with the reason.
    """

    external_id: str  #: the provider's id of the invoice
    number: str  #: the ledger's document number
    customer_external_id: str  #: the provider's customer / contact it bills
    currency: str  #: ISO 4217 code
    issue_date: date  #: the invoice date
    due_date: date | None  #: when payment is due
    status: InvoiceStatus  #: see :data:`InvoiceStatus`
    lines: tuple[InboundLine, ...]  #: the lines, in order
    subtotal: Decimal  #: sum of the lines' amounts
    tax_total: Decimal  #: the invoice's tax
    total: Decimal  #: ``subtotal`` + ``tax_total``
    amount_due: Decimal | None = None  #: what is still owed, if known
    memo: str = ""  #: the note for the customer
    version: str = ""  #: the provider's concurrency token
    created_at: datetime | None = None  #: when it was created in the ledger (UTC)
    updated_at: datetime | None = None  #: when it last changed there (UTC)
    extra: Mapping[str, str] = field(default_factory=dict)  #: extra fields by SyncField.key
    #: the payments and credits applied to it so far, each with its provider id (Xero: the
    #: invoice's Payments and CreditNotes; QuickBooks: the Payments in its LinkedTxn, read by
    #: id). The host records each once, so a later webhook or reconcile pass reporting the same
    #: payment does not record it again.
    payments: tuple[PaymentRecord, ...] = ()
    problem: str = ""  #: why the plugin could not map it (empty: mapped)


#: What ``list_records`` returns records as: one of the three inbound types.
InboundRecord = Union[InboundCustomer, InboundItem, InboundInvoice]


@dataclass(frozen=True)
class RecordPage:
    """One page of ``list_records``.

    ``cursor`` is opaque to the host: it stores it after applying the page and passes it back
    for the next page, so an import resumes after a restart where it stopped. ``more`` is
    true while the listing has further pages; on the last page, ``cursor`` is the point the
    next incremental pass starts from (records changed after it).
    """

    records: tuple[InboundRecord, ...]  #: the page's records, mapped
    cursor: str  #: where the next call continues
    more: bool = False  #: True: call again with ``cursor`` for the next page
