"""What the provider booked, and how it differs from the host document the plugin pushed.

After every push a plugin describes what the provider actually booked -- read from the
provider's response or read back -- as a :class:`BookedDocument`, and calls :func:`compare`
with the host snapshot it pushed (``InvoiceData`` / ``CreditNoteData``). The plain-language
differences go back to the host in ``SyncResult.differences``; the host keeps them on the sync
record and shows them on the invoice's sync panel, so a total, tax, currency, line, account or
dimension the provider booked differently is never found out from the customer.

Money, currency and lines are compared with the snapshot itself. Accounts and dimensions are
provider terms, so the plugin says per host line what the admin's mappings and settings ask for
(:class:`LineIntent`, in the same terms the plugin puts in :class:`BookedLine`); a line without
an intent is not checked for them. A difference the admin chose (a mapping, a setting) is not a
difference: say it in the intent, or leave it out of the comparison.

Leaf module: no Flask or SQLAlchemy imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping, Sequence

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")


@dataclass(frozen=True)
class BookedLine:
    """One line as the provider booked it, in the document's order.

    ``tax`` is None when the provider does not report tax per line. ``discount_percent`` is the
    discount the provider applied itself (Xero's ``DiscountRate``); None when the discount is
    folded into the unit amount (QuickBooks), and ``unit_amount`` is then compared with the host
    line's net unit price. ``account`` and ``dimensions`` ("Class" -> "Consulting", a Xero
    tracking category -> option) use the provider's names, like :class:`LineIntent`."""

    description: str  #: the line's text at the provider
    quantity: Decimal  #: the booked quantity
    unit_amount: Decimal
    amount: Decimal  #: the booked net amount
    tax: Decimal | None = None
    discount_percent: Decimal | None = None
    account: str = ""
    dimensions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BookedDocument:
    """What the provider booked for one invoice or credit note.

    ``provider`` is the label used in the sentences ("QuickBooks"). ``exchange_rate`` is set
    when the document was booked in a currency other than the company's home currency
    (``home_currency``), with ``rate_source`` saying where the rate came from ("QuickBooks'
    rate for 2026-12-01"); :attr:`rate_text` is the sentence for the sync record."""

    provider: str
    total: Decimal  #: the booked total, tax included
    tax: Decimal  #: the booked tax
    currency: str  #: the booked currency (ISO 4217)
    lines: tuple[BookedLine, ...]  #: the booked lines, in the document's order
    home_currency: str = ""
    exchange_rate: Decimal | None = None
    rate_source: str = ""

    @property
    def rate_text(self) -> str:
        """"Booked in EUR at 1 EUR = 1.0850 USD (QuickBooks' rate for 2026-12-01)." or ""."""
        if self.exchange_rate is None or not self.home_currency:
            return ""
        source = f" ({self.rate_source})" if self.rate_source else ""
        return (f"Booked in {self.currency} at 1 {self.currency} = "
                f"{Decimal(self.exchange_rate).normalize():f} {self.home_currency}{source}.")


@dataclass(frozen=True)
class LineIntent:
    """What the admin's mappings and settings ask one host line to book to, in the provider's
    names: ``account`` ("" = no expectation) and ``dimensions`` (name -> option)."""

    account: str = ""
    dimensions: Mapping[str, str] = field(default_factory=dict)


def compare(document, booked: BookedDocument,
            intents: Mapping[int, LineIntent] | None = None) -> tuple[str, ...]:
    """The differences between ``document`` (the host snapshot pushed: ``InvoiceData`` or
    ``CreditNoteData``) and what the provider ``booked``, one plain sentence each; empty when
    the provider booked what the host sent. ``intents`` is keyed by ``LineData.id``."""
    who = booked.provider
    kind = "credit note" if hasattr(document, "invoice_number") else "invoice"
    out: list[str] = []
    if booked.currency and document.currency and \
            booked.currency.upper() != document.currency.upper():
        out.append(f"{who} booked it in {booked.currency.upper()}; the PSA {kind} is in "
                   f"{document.currency.upper()}.")
    if _differs(booked.total, document.total):
        out.append(f"{who} booked a total of {_m(booked.total)}; the PSA {kind} says "
                   f"{_m(document.total)}.")
    if _differs(booked.tax, document.tax_total):
        out.append(f"{who} booked tax of {_m(booked.tax)}; the PSA {kind} says "
                   f"{_m(document.tax_total)}.")
    out.extend(_lines(document.lines, booked, intents or {}))
    return tuple(out)


def _lines(lines: Sequence, booked: BookedDocument,
           intents: Mapping[int, LineIntent]) -> list[str]:
    who = booked.provider
    if len(booked.lines) != len(lines):
        return [f"{who} booked {len(booked.lines)} line(s); the PSA document has {len(lines)}."]
    out: list[str] = []
    for number, (line, got) in enumerate(zip(lines, booked.lines), start=1):
        label = f"Line {number}" + (f" ({line.description})" if line.description else "")
        if _differs(got.quantity, line.quantity, Decimal("0.0001")):
            out.append(f"{label}: {who} booked quantity {_q(got.quantity)}; the PSA says "
                       f"{_q(line.quantity)}.")
        unit = _expected_unit(line, got)
        if unit is not None and _differs(got.unit_amount, unit, HALF_CENT):
            out.append(f"{label}: {who} booked a unit price of {_q(got.unit_amount)}; the PSA "
                       f"says {_q(unit)}.")
        if _differs(got.amount, line.amount):
            out.append(f"{label}: {who} booked an amount of {_m(got.amount)}; the PSA says "
                       f"{_m(line.amount)}.")
        if got.tax is not None and line.tax_rate is not None:
            # the host's own rule (host/services/totals.py): per line, half-up to cents
            expected = (Decimal(line.amount) * Decimal(line.tax_rate.rate) / 100).quantize(
                CENT, rounding=ROUND_HALF_UP)
            if _differs(got.tax, expected):
                out.append(f"{label}: {who} booked tax of {_m(got.tax)}; the PSA's "
                           f"{line.tax_rate.name} gives {_m(expected)}.")
        intent = intents.get(line.id)
        if intent is None:
            continue
        if intent.account and got.account != intent.account:
            out.append(f"{label}: {who} booked it to account {got.account or '(none)'}; the "
                       f"mapping says {intent.account}.")
        for name, option in intent.dimensions.items():
            have = got.dimensions.get(name, "")
            if have != option:
                out.append(f"{label}: {who} booked {name.lower()} {have or '(none)'}; the PSA "
                           f"line has {name.lower()} {option}.")
    return out


def _expected_unit(line, got: BookedLine) -> Decimal | None:
    """The unit price the provider should show: the host's list price when the provider applies
    the discount itself, else the net price per unit (None for a zero quantity)."""
    if got.discount_percent is not None or not line.discount_percent:
        return Decimal(line.unit_price)
    if not line.quantity:
        return None
    return Decimal(line.amount) / Decimal(line.quantity)


def _differs(a, b, tolerance: Decimal = CENT) -> bool:
    return abs(Decimal(str(a)) - Decimal(str(b))) >= tolerance


def _m(value) -> str:
    return f"{Decimal(str(value)).quantize(CENT):,.2f}"


def _q(value) -> str:
    return f"{Decimal(str(value)).normalize():f}"
