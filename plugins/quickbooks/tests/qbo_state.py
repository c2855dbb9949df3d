"""The QuickBooks sandbox as the contract suite sees it: :class:`QboProviderState` implements
:class:`host.integrations.provider_state.ProviderState` for one sandbox company.

It reads the company's stored entities through the sandbox's control API (``/_sandbox/``),
never through the plugin, and maps them the way an accountant reads QuickBooks:

* an **Invoice** or **CreditMemo** becomes a :class:`HeldDocument`: its sales lines (``Qty``,
  ``UnitPrice``, ``Amount``; QuickBooks keeps tax per transaction, so ``HeldLine.tax_amount``
  is None), ``TxnTaxDetail.TotalTax`` as the tax, ``TotalAmt`` as the total and the subtotal
  as their difference (also for tax-inclusive companies, whose line amounts are gross);
  ``status`` voided (QuickBooks zeroes a voided invoice and prefixes ``Voided`` to its
  ``PrivateNote``), paid (nothing left open: ``Balance`` 0), else open; ``emailed`` when the
  send endpoint set ``EmailStatus`` to ``EmailSent``. QuickBooks keeps nothing of a *deleted*
  transaction but a change-data-capture stub, so deleted documents are absent here.
* QuickBooks applies a credit memo to an invoice with a **Payment** whose lines link both
  (reference 3.11, usually of 0). A payment's credit lines are spread over its invoice lines
  in their order: that part is the credit memo's :class:`HeldAllocation`; the rest of each
  invoice line is money received, a :class:`HeldPayment` of the invoice. A payment that only
  moves credit is not a payment of the invoice. A voided payment keeps no lines in QuickBooks,
  so it no longer names the invoice it paid: ``payments()`` cannot list it.

:meth:`QboProviderState.record_payment` is the bookkeeper receiving money in QuickBooks (the
bookkeeper's own app, :class:`qbo_books.Books`) and returns the webhook delivery QuickBooks
signs for the plugin's app with the verifier token of the host's configuration.
:meth:`QboProviderState.inject_fault` answers the company's next request the way Intuit does
(reference 8, sample S4); see :data:`FAULTS`. :meth:`QboProviderState.skew_bookings` (the
protocol's optional method) turns the company's sales tax off. The two-way methods (an
accountant creating and editing records on QuickBooks' own pages) are in
:mod:`qbo_state_twoway`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Mapping

from host.integrations.provider_state import (
    ALL_FAULTS,
    HeldAllocation,
    HeldDocument,
    HeldLine,
    HeldPayment,
    SignedDelivery,
)
from psa_quickbooks.sandbox import faults as qbo_faults
from psa_quickbooks.sandbox.timefmt import qbo_time
from qbo_books import Books
from qbo_state_twoway import TwoWayLedger

KINDS = {"invoice": "Invoice", "credit_note": "CreditMemo"}
#: Name lists counted by :meth:`QboProviderState.live_records` when active.
NAME_LISTS = ("Customer", "Vendor", "Item", "Account", "Class", "Term")
#: Transactions counted when not voided.
TRANSACTIONS = ("Invoice", "CreditMemo", "Payment")
#: The fault categories the QuickBooks sandbox produces (see :meth:`QboProviderState.inject_fault`).
#: ``conflict`` and ``not_found`` are what QuickBooks answers about an existing transaction (the
#: suite injects them before an update): a stale ``SyncToken`` (5010) on the write, and 610 when
#: the transaction was deleted meanwhile (the plugin reads it before updating).
FAULTS = ALL_FAULTS
TOKEN_PATH = "^/oauth2/v1/tokens/bearer$"
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0)).quantize(CENT)


def _number(value) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _voided(obj: dict) -> bool:
    return obj.get("TxnStatus") == "Voided" or str(obj.get("PrivateNote") or "").startswith(
        "Voided")


def _links(payment: dict) -> tuple[list[tuple[str, Decimal]], list[tuple[str, Decimal]]]:
    """(invoice lines, credit memo lines) of a payment: [(Id, amount)] in line order."""
    invoices: list[tuple[str, Decimal]] = []
    credits: list[tuple[str, Decimal]] = []
    for line in payment.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            target = invoices if link.get("TxnType") == "Invoice" else \
                credits if link.get("TxnType") == "CreditMemo" else None
            if target is not None:
                target.append((str(link["TxnId"]), _money(line.get("Amount"))))
    return invoices, credits


def split_payment(payment: dict) -> tuple[list[HeldAllocation], dict[str, list[HeldAllocation]]]:
    """A QuickBooks payment as (money received per invoice, credit applied per credit memo).

    Credit lines are spread over the invoice lines in order, as QuickBooks' "Receive payment"
    screen applies credits; what is left of each invoice line is paid with money.
    """
    invoices, credits = _links(payment)
    open_parts = [[ident, amount] for ident, amount in invoices]
    applied: dict[str, list[HeldAllocation]] = {}
    for memo, credit in credits:
        for part in open_parts:
            if credit <= 0:
                break
            used = min(credit, part[1])
            if used > 0:
                applied.setdefault(memo, []).append(HeldAllocation(part[0], used))
                part[1] -= used
                credit -= used
    cash = [HeldAllocation(ident, amount) for ident, amount in open_parts if amount > 0]
    return cash, applied


class QboProviderState(TwoWayLedger):
    """The provider state of one QuickBooks sandbox company.

    :param qbo: the tests' :class:`qbo_testkit.Sandbox` (control API of the running sandbox).
    :param realm: the company (realm id) the plugin's connection is connected to.
    :param config: the host app's configuration (the plugin's OAuth client id and webhook
        verifier token).
    """

    fault_categories = frozenset(FAULTS)

    def __init__(self, qbo, realm: str, config: Mapping) -> None:
        self.qbo = qbo
        self.realm = realm
        self.client_id = config["QUICKBOOKS_CLIENT_ID"]
        self.verifier_token = config["QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN"]

    # -- reading the books ----------------------------------------------------------------------

    def _all(self, entity: str) -> list[dict]:
        return self.qbo.entities(self.realm, entity)

    def _payments(self) -> list[dict]:
        return self._all("Payment")

    def documents(self, kind: Literal["invoice", "credit_note"]) -> list[HeldDocument]:
        payments = self._payments()
        return [self._held(kind, obj, payments)
                for obj in sorted(self._all(KINDS[kind]), key=lambda o: int(o["Id"]))]

    def document(self, external_id: str) -> HeldDocument | None:
        payments = None
        for kind, entity in KINDS.items():
            found = next((o for o in self._all(entity) if o["Id"] == str(external_id)), None)
            if found is not None:
                payments = self._payments() if payments is None else payments
                return self._held(kind, found, payments)
        return None

    def _held(self, kind: str, obj: dict, payments: list[dict]) -> HeldDocument:
        sales = [ln for ln in obj.get("Line") or []
                 if ln.get("DetailType") == "SalesItemLineDetail"]
        lines = tuple(HeldLine(
            description=str(ln.get("Description") or ""),
            quantity=_number(ln["SalesItemLineDetail"].get("Qty")),
            unit_price=_number(ln["SalesItemLineDetail"].get("UnitPrice")),
            amount=_money(ln.get("Amount"))) for ln in sales)
        tax = _money((obj.get("TxnTaxDetail") or {}).get("TotalTax"))
        total = _money(obj.get("TotalAmt"))
        if _voided(obj):
            status = "voided"
        elif total > 0 and _money(obj.get("Balance")) <= 0:
            status = "paid"
        else:
            status = "open"
        allocations: tuple[HeldAllocation, ...] = ()
        if kind == "credit_note":
            allocations = tuple(a for p in payments if not _voided(p)
                                for a in split_payment(p)[1].get(obj["Id"], []))
        return HeldDocument(
            external_id=str(obj["Id"]), kind=kind, number=str(obj.get("DocNumber") or ""),
            status=status, currency=str(obj["CurrencyRef"]["value"]),
            issue_date=_day(obj.get("TxnDate")), due_date=_day(obj.get("DueDate")),
            customer_name=str((obj.get("CustomerRef") or {}).get("name") or ""),
            lines=lines, subtotal=total - tax, tax_total=tax, total=total,
            emailed=obj.get("EmailStatus") == "EmailSent", allocations=allocations)

    def payments(self, invoice_external_id: str) -> list[HeldPayment]:
        out = []
        for payment in sorted(self._payments(), key=lambda p: int(p["Id"])):
            cash, _ = split_payment(payment)
            if any(a.invoice_external_id == str(invoice_external_id) for a in cash):
                out.append(self._payment(payment))
        return out

    @staticmethod
    def _payment(payment: dict) -> HeldPayment:
        cash, _ = split_payment(payment)
        return HeldPayment(external_id=str(payment["Id"]), date=_day(payment.get("TxnDate")),
                           amount=_money(payment.get("TotalAmt")), allocations=tuple(cash),
                           voided=_voided(payment))

    def live_records(self) -> Mapping[str, int]:
        counts = {entity: sum(1 for o in self._all(entity) if o.get("Active", True) is not False)
                  for entity in NAME_LISTS}
        counts.update({entity: sum(1 for o in self._all(entity) if not _voided(o))
                       for entity in TRANSACTIONS})
        return counts

    # -- steering it -----------------------------------------------------------------------------

    def record_payment(self, invoice_external_id: str, amount: Decimal,
                       on: date) -> tuple[HeldPayment, SignedDelivery]:
        """The bookkeeper receives ``amount`` against the invoice in QuickBooks, dated ``on``.

        The plugin's app's webhook is on (to a dead address) only while the payment is made;
        the one delivery QuickBooks signs for it (Payment created, Invoice updated) is
        returned, not sent.
        """
        books = Books(self.qbo, self.realm)
        try:
            invoice = books.current("Invoice", str(invoice_external_id))
            books.webhooks(client_id=self.client_id, verifier_token=self.verifier_token)
            books.deliveries()  # anything signed before this payment is not its delivery
            payment = books.pay_several(invoice["CustomerRef"]["value"],
                                        {str(invoice_external_id): float(amount)},
                                        on=on.isoformat())
            deliveries = books.deliveries()
        finally:
            books.close()
        assert len(deliveries) == 1, f"expected one webhook delivery, got {deliveries}"
        headers, body = deliveries[0]
        return self._payment(payment), SignedDelivery(headers=headers, body=body)

    def skew_bookings(self) -> None:
        """QuickBooks books the company's documents differently from now on: sales tax is
        turned off in the company (Account and settings), so a taxed invoice is booked
        without its tax."""
        self.qbo.preferences(self.realm, {"TaxPrefs": {"UsingSalesTax": False}})

    def advance_clock(self, seconds: float) -> None:
        """The sandbox's clock (every company's) moves ``seconds`` ahead."""
        self.qbo.control("POST", "clock/advance", json={"seconds": seconds})

    def inject_fault(self, category: str, *, writes_only: bool = True) -> None:
        """QuickBooks' answer to the company's next write (``writes_only``) or request:

        ``validation``     400 ``ValidationFault`` 2020 (a required value missing)
        ``rate_limited``   429 with the XML 3001 ThrottleExceeded fault, no Retry-After
        ``provider_down``  503 from Intuit's gateway (an HTML page, no fault body)
        ``auth``           401 ``AUTHENTICATION`` 3200 (the grant was revoked), and the token
                           refresh that follows answers ``invalid_grant``
        ``lost_response``  the write is committed, then the connection drops unanswered
        ``conflict``       400 ``ValidationFault`` 5010 (stale object) to this write and the
                           next (the plugin re-reads and retries once by itself)
        ``not_found``      400 ``ValidationFault`` 610 to the next read of an invoice (deleted
                           in QuickBooks meanwhile)
        """
        if category not in FAULTS:
            raise ValueError(f"the QuickBooks sandbox cannot produce {category!r}; "
                             f"it produces {sorted(FAULTS)}")
        where = {"method": "POST", "path": f"^/v3/company/{self.realm}/(?!query$)"} \
            if writes_only else {"method": "*", "path": f"^/v3/company/{self.realm}/"}
        now = self.qbo.control("GET", "clock").json()["now"]
        rules: list[dict] = []
        if category == "validation":
            fault = qbo_faults.required("Line")
            rules.append({"kind": "status", "status": 400,
                          "body": {"Fault": fault.fault(), "time": qbo_time(now, millis=True)}})
        elif category == "rate_limited":
            rules.append({"kind": "rate_limit"})
        elif category == "provider_down":
            rules.append({"kind": "status", "status": 503, "headers": {
                "Content-Type": "text/html"}, "body": "<html><body><h1>503 Service Unavailable"
                "</h1>No server is available to handle this request.</body></html>"})
        elif category == "auth":
            body = qbo_faults.gateway_error(
                "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "Token revoked: Authentication failed", "3200", 401, "AUTHENTICATION",
                int(now * 1000))
            rules.append({"kind": "status", "status": 401, "body": body})
            self.qbo.fault(kind="status", status=400, body={"error": "invalid_grant"},
                           method="POST", path=TOKEN_PATH, count=1)
        elif category == "conflict":
            rules.append({"kind": "status", "status": 400, "count": 2, "body": {
                "Fault": qbo_faults.stale().fault(), "time": qbo_time(now, millis=True)}})
        elif category == "not_found":
            latest = max((int(row["Id"]) for row in self._all("Invoice")), default=0)
            where = {"method": "GET", "path": f"^/v3/company/{self.realm}/invoice/\\d+$"}
            rules.append({"kind": "status", "status": 400, "body": {
                "Fault": qbo_faults.not_found("Invoice", str(latest)).fault(),
                "time": qbo_time(now, millis=True)}})
        else:  # lost_response
            rules.append({"kind": "drop_after_commit"})
        for rule in rules:
            self.qbo.fault(**{"count": 1, **where, **rule})
