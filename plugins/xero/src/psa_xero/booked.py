"""What Xero booked for a pushed invoice or credit note, for the host's booked-vs-sent check.

After every push the document Xero answered with (or the one it already held, when nothing
needed to change) is described as a :class:`hookspecs.BookedDocument` -- Total, TotalTax,
CurrencyCode and, for a foreign currency, the CurrencyRate Xero applied; per line Quantity,
UnitAmount, LineAmount, TaxAmount, DiscountRate, AccountCode and Tracking (category name ->
option name) -- and compared with the PSA snapshot by :func:`hookspecs.compare`. What each line
was meant to book to (:class:`hookspecs.LineIntent`) is what the admin's mappings and settings
resolved to: the account code sent and the tracking options sent (Xero's names). A class the
admin mapped to "Not tracked in Xero" has no intent, so its untracked line is no difference.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hookspecs import BookedDocument, BookedLine, LineIntent, compare

from .mappers import ResolvedRefs
from .mappers.invoice import account_code_for

PROVIDER = "Xero"
RATE_PLACES = Decimal("0.000001")


def _dec(value: Any) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def booked_document(doc: dict, base: str) -> BookedDocument:
    """The Xero ``Invoice`` / ``CreditNote`` as a :class:`BookedDocument` (``base``: the
    organisation's base currency). Xero's CurrencyRate is units of the document's currency per
    unit of the base currency; the host states rates the other way round, so both are said."""
    code = str(doc.get("CurrencyCode") or base).upper()
    rate = _dec(doc.get("CurrencyRate") or 1)
    foreign = bool(base) and code != base and rate > 0
    lines = tuple(
        BookedLine(description=str(item.get("Description") or ""),
                   quantity=_dec(item.get("Quantity")), unit_amount=_dec(item.get("UnitAmount")),
                   amount=_dec(item.get("LineAmount")),
                   tax=_dec(item.get("TaxAmount")) if "TaxAmount" in item else None,
                   discount_percent=_dec(item.get("DiscountRate")),
                   account=str(item.get("AccountCode") or ""),
                   dimensions={str(t.get("Name")): str(t.get("Option"))
                               for t in item.get("Tracking") or []})
        for item in doc.get("LineItems") or [])
    return BookedDocument(
        provider=PROVIDER, total=_dec(doc.get("Total")), tax=_dec(doc.get("TotalTax")),
        currency=code, lines=lines, home_currency=base if foreign else "",
        exchange_rate=(1 / rate).quantize(RATE_PLACES) if foreign else None,
        rate_source=(f"Xero's rate: 1 {base} = {rate.normalize():f} {code}" if foreign else ""))


def line_intents(lines, refs: ResolvedRefs) -> dict[int, LineIntent]:
    """What the mappings and settings asked each PSA line to book to, in Xero's terms."""
    return {line.id: LineIntent(account=account_code_for(line, refs),
                                dimensions=dict(refs.tracking_names.get(
                                    line.class_label.strip(), {})))
            for line in lines}


def differences(document, doc: dict, refs: ResolvedRefs, base: str) -> tuple[BookedDocument,
                                                                           tuple[str, ...]]:
    """``(booked, differences)`` of the pushed PSA ``document`` and Xero's ``doc``."""
    booked = booked_document(doc, base)
    return booked, compare(document, booked, line_intents(document.lines, refs))
