"""What the provider holds: the protocol a plugin's test sandbox implements for the contract suite.

The contract suite (:mod:`host.integrations.contract_suite`) calls your hooks and then looks at
the provider's side through this protocol, the way an accountant would open the ledger: is
there exactly one invoice, with these lines, quantities, tax and due date; was the credit note
applied to the invoice and not emailed; is the payment there. Your ``provider_state`` fixture
returns an object that implements :class:`ProviderState` for the tenant that
``connected_connection`` is connected to, reading your sandbox's state directly (not through
your plugin: the suite must not trust the code it checks).

Both bundled sandboxes implement it (``plugins/quickbooks/tests/conftest.py``,
``plugins/xero/tests/conftest.py``), and so does the template's tiny sandbox.

Fault categories :meth:`ProviderState.inject_fault` understands (the provider's answer to the
plugin's next request, and the typed error the plugin must raise for it):

==================  =====================================================  =====================
category            the provider answers                                  the plugin raises
==================  =====================================================  =====================
``validation``      a 400 with the provider's validation message          ``ValidationError``
``rate_limited``    a 429 (with Retry-After where the provider sends it)  ``RateLimited``
``provider_down``   a 503                                                 ``ProviderDown``
``auth``            a 401 the token refresh cannot cure                   ``AuthError``
``conflict``        a stale-version / duplicate answer                    ``ConflictError``
``not_found``       the object no longer exists                           ``NotFoundError``
``lost_response``   the write is committed but the answer never arrives   ``ProviderDown``,
                    (a 503 or a dropped connection)                       and the retry with
                                                                          the same key returns
                                                                          the same record
==================  =====================================================  =====================

The first four are required (:data:`REQUIRED_FAULTS`); list the others in
``fault_categories`` when your sandbox can produce them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Mapping, Protocol, runtime_checkable

FaultCategory = Literal["validation", "rate_limited", "provider_down", "auth", "conflict",
                        "not_found", "lost_response"]

#: Fault categories every provider state must be able to inject.
REQUIRED_FAULTS: frozenset[str] = frozenset({"validation", "rate_limited", "provider_down", "auth"})

#: Every category the suite knows.
ALL_FAULTS: frozenset[str] = REQUIRED_FAULTS | {"conflict", "not_found", "lost_response"}


@dataclass(frozen=True)
class HeldLine:
    """One line of a document as the provider holds it.

    ``amount`` is the line's net amount (quantity x unit price, after discount, before tax).
    ``tax_amount`` is the line's tax when the provider keeps tax per line, else None.
    """

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_amount: Decimal | None = None


@dataclass(frozen=True)
class HeldAllocation:
    """Part of a credit note or payment applied to an invoice (by the invoice's external id)."""

    invoice_external_id: str
    amount: Decimal


@dataclass(frozen=True)
class HeldDocument:
    """An invoice or credit note as the provider holds it.

    ``status``: ``"open"`` (not fully paid or applied), ``"paid"``, ``"voided"`` or
    ``"deleted"``. ``emailed`` is true when the provider sent the document to the customer.
    ``allocations`` (credit notes): the invoices it is applied to.
    """

    external_id: str
    kind: Literal["invoice", "credit_note"]
    number: str
    status: Literal["open", "paid", "voided", "deleted"]
    currency: str
    issue_date: date
    due_date: date | None
    customer_name: str
    lines: tuple[HeldLine, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    emailed: bool = False
    allocations: tuple[HeldAllocation, ...] = ()


@dataclass(frozen=True)
class HeldPayment:
    """A payment the provider holds, with what it is applied to."""

    external_id: str
    date: date
    amount: Decimal
    allocations: tuple[HeldAllocation, ...]
    voided: bool = False


@dataclass(frozen=True)
class SignedDelivery:
    """A webhook delivery exactly as the provider would POST it to the host: headers and raw
    body, signed with the key in the app's configuration (so ``verify_webhook`` accepts it)."""

    headers: Mapping[str, str]
    body: bytes = field(repr=False)


@runtime_checkable
class ProviderState(Protocol):
    """The provider's side of one tenant, read and steered directly in your test sandbox."""

    #: The fault categories :meth:`inject_fault` can produce; a superset of REQUIRED_FAULTS.
    fault_categories: frozenset[str]

    def documents(self, kind: Literal["invoice", "credit_note"]) -> list[HeldDocument]:
        """Every document of ``kind`` the tenant holds, voided and deleted ones included."""
        ...

    def document(self, external_id: str) -> HeldDocument | None:
        """The invoice or credit note with this id, or None when the provider has none."""
        ...

    def payments(self, invoice_external_id: str) -> list[HeldPayment]:
        """The payments applied (wholly or partly) to this invoice, voided ones included."""
        ...

    def record_payment(self, invoice_external_id: str, amount: Decimal,
                       on: date) -> tuple[HeldPayment, SignedDelivery]:
        """An accountant records a payment against the invoice in the provider's own UI.

        Returns the payment and the signed webhook delivery the provider sends for it. The
        delivery is not sent: the suite posts it, or withholds it to play a missed webhook.
        """
        ...

    def inject_fault(self, category: str, *, writes_only: bool = True) -> None:
        """Make the provider answer the tenant's next write (or, with ``writes_only=False``,
        its next request of any kind) with ``category``'s fault (see the module table)."""
        ...

    def live_records(self) -> Mapping[str, int]:
        """How many active records of each kind the tenant holds (customers, items, invoices,
        payments, anything a write check might create): ``{"Customer": 3, "Invoice": 1}``.
        Voided, deleted and inactive records are not counted."""
        ...


#: Optional methods a provider state may add; the scenarios that need one skip without it.
#:
#: ``skew_bookings() -> None``: from now on the provider books the tenant's documents
#: differently from what it is sent, as a provider with rules of its own would (another
#: currency, total, tax or line), so the suite can check that ``SyncResult.differences`` says
#: so. The fake ledger books every document in another currency.
#:
#: ``advance_clock(seconds: float) -> None``: the provider's clock moves ``seconds`` ahead
#: (records keep the times they were saved at). A reconcile pass may re-read a short overlap
#: before its cursor (servers' clocks differ; the host records each payment once); with this
#: method the suite moves past any such overlap and checks that the cursor really advances.
OPTIONAL_METHODS: tuple[str, ...] = ("skew_bookings", "advance_clock")


#: Methods a provider state adds when its plugin implements two-way sync (``list_records``,
#: ``push_record``); the two-way scenarios skip without them. They play an accountant working
#: in the ledger's own pages, never through the plugin.
#:
#: ``create_record(object: str, data: Mapping[str, Any]) -> str``: create a record of
#: ``object`` (``"customer"``, ``"item"``, ``"invoice"``) and return its id. ``data`` keys --
#: customer: ``name``, ``email``; item: ``name``, ``sku``, ``unit_price`` (Decimal); invoice:
#: ``customer_id``, ``issue_date``, ``due_date`` (dates), ``lines``: a list of
#: ``{"description", "quantity", "unit_price", "item_id", "taxed"}`` (``taxed``: the line
#: carries the sales tax code the connected connection's ``tax_rate`` mapping points at, so it
#: maps back to the sample tax rate), and optionally ``memo``.
#:
#: ``edit_record(object: str, external_id: str, changes: Mapping[str, Any]) -> None``: change
#: fields of a record (same keys as ``create_record``; ``{"active": False}`` archives a
#: customer or item; ``{"status": "voided"}`` voids an invoice), as the ledger's UI does (its
#: version / SyncToken moves on, its updated time is the provider clock's now).
#:
#: ``held_record(object: str, external_id: str) -> Mapping[str, Any] | None``: the record as
#: the ledger holds it, in the same keys (``name``, ``email``, ``sku``, ``unit_price``,
#: ``active``, ``memo``), or None.
#:
#: ``change_delivery(object: str, external_ids: list[str], operation: str) -> SignedDelivery``:
#: the signed webhook delivery the provider sends for those changes (not sent).
TWO_WAY_METHODS: tuple[str, ...] = ("create_record", "edit_record", "held_record",
                                    "change_delivery")


#: Optional two-way methods; the scenario that needs one skips without it.
#:
#: ``unreadable_record(object: str) -> str | None``: put a record of ``object`` in the ledger
#: that no plugin can map (the fake ledger: an invoice line whose quantity was lost) and
#: return its id; None when the provider cannot hold such a record of that object. The suite
#: checks that ``list_records`` lists it with ``problem`` set rather than raising.
OPTIONAL_TWO_WAY_METHODS: tuple[str, ...] = ("unreadable_record",)


def supports_two_way(state: object) -> bool:
    """True when ``state`` has every method of :data:`TWO_WAY_METHODS`."""
    return all(callable(getattr(state, name, None)) for name in TWO_WAY_METHODS)
