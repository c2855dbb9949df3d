"""Reading back what the provider holds, and saying in plain words where it is wrong.

The suite never trusts a plugin's own answer about what it wrote: after every call it opens
the provider's books through the ``provider_state`` fixture (:class:`ProviderState`) and
compares them with the host's record, the way an accountant would.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from host.integrations.provider_state import HeldDocument

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT)


def live_invoices(state) -> list[HeldDocument]:
    """The invoices the provider holds that are not deleted."""
    return [d for d in state.documents("invoice") if d.status != "deleted"]


def the_only_invoice(state, what: str) -> HeldDocument:
    """The one invoice the provider holds; fails saying how many there are instead."""
    held = live_invoices(state)
    assert len(held) == 1, (
        f"{what}: the provider holds {len(held)} invoices, expected exactly 1 "
        f"({[d.external_id for d in held]}). Your plugin created a second invoice (or none): "
        "reuse the idempotency key and update invoice.external instead of creating again.")
    return held[0]


def held(state, external_id: str, what: str) -> HeldDocument:
    doc = state.document(external_id)
    assert doc is not None, (
        f"{what}: your plugin returned external_id {external_id!r}, but the provider holds no "
        "invoice or credit note with that id. Return the provider's own id for the record.")
    return doc


def assert_holds_invoice(doc: HeldDocument, invoice, what: str) -> None:
    """The provider's copy books the host invoice's lines, tax, total, currency and due date."""
    assert doc.kind == "invoice", f"{what}: {doc.external_id} is a {doc.kind}, not an invoice"
    assert doc.currency == invoice.currency, (
        f"{what}: the provider holds currency {doc.currency}, the host invoice is in "
        f"{invoice.currency}. Send the invoice's currency.")
    assert doc.due_date == invoice.due_date, (
        f"{what}: the provider holds due date {doc.due_date}, the host invoice is due "
        f"{invoice.due_date}. Send invoice.due_date.")
    assert_holds_lines(doc, invoice, what)
    assert money(doc.tax_total) == money(invoice.tax_total), (
        f"{what}: the provider booked tax {doc.tax_total}, the host invoice has "
        f"{invoice.tax_total}. Map each line's tax rate to the provider's tax code.")
    assert money(doc.total) == money(invoice.total), (
        f"{what}: the provider's total is {doc.total}, the host invoice's is {invoice.total}.")


def books_as_sent(doc: HeldDocument, invoice) -> bool:
    """Whether the provider's copy books the invoice exactly as the host sent it."""
    try:
        assert_holds_invoice(doc, invoice, "")
    except AssertionError:
        return False
    return True


def assert_holds_lines(doc: HeldDocument, document, what: str) -> None:
    """Line by line: quantities, unit prices and amounts (and tax, where held per line)."""
    sent = list(document.lines)
    assert len(doc.lines) == len(sent), (
        f"{what}: the provider holds {len(doc.lines)} lines, the host document has "
        f"{len(sent)}. Send one provider line per host line.")
    for number, (mine, theirs) in enumerate(zip(sent, doc.lines), start=1):
        where = f"{what}, line {number} ({mine.description!r})"
        assert theirs.description == mine.description, (
            f"{where}: the provider holds description {theirs.description!r}.")
        assert Decimal(theirs.quantity) == Decimal(mine.quantity), (
            f"{where}: the provider holds quantity {theirs.quantity}, the host line has "
            f"{mine.quantity}. Send the line's quantity, not 1.")
        assert Decimal(theirs.unit_price) == Decimal(mine.unit_price), (
            f"{where}: the provider holds unit price {theirs.unit_price}, the host line has "
            f"{mine.unit_price}.")
        assert money(theirs.amount) == money(mine.amount), (
            f"{where}: the provider holds amount {theirs.amount}, the host line has "
            f"{mine.amount}.")
        if theirs.tax_amount is not None and mine.tax_rate is not None:
            expected = (Decimal(mine.amount) * Decimal(mine.tax_rate.rate) / 100).quantize(
                CENT, ROUND_HALF_UP)  # the host's rule: per line, half-up to cents
            assert money(theirs.tax_amount) == expected, (
                f"{where}: the provider booked tax {theirs.tax_amount} on the line, "
                f"{mine.tax_rate.rate}% of {mine.amount} is {expected}. Map the line's tax "
                "rate to the provider's tax code.")
