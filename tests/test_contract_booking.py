"""host.contract.booking: what a provider booked, compared with the host document pushed."""

from datetime import date
from decimal import Decimal as D

from hookspecs import (
    BookedDocument,
    BookedLine,
    ClientData,
    CreditNoteData,
    InvoiceData,
    LineData,
    LineIntent,
    TaxRateData,
    compare,
)

VAT = TaxRateData(id=1, name="VAT 20%", rate=D("20"))


def _invoice(*lines: LineData, tax: str = "0", currency: str = "EUR") -> InvoiceData:
    subtotal = sum((line.amount for line in lines), D(0))
    return InvoiceData(id=1, number="INV-1", status="sent", currency=currency,
                       issue_date=date(2026, 12, 1), due_date=date(2026, 12, 31),
                       client=ClientData(id=1, name="Acme"), lines=lines, subtotal=subtotal,
                       tax_total=D(tax), total=subtotal + D(tax))


def _line(ident=1, qty="2", price="50", amount="100", discount="0", tax_rate=None,
          description="Consulting") -> LineData:
    return LineData(id=ident, description=description, quantity=D(qty), unit_price=D(price),
                    amount=D(amount), discount_percent=D(discount), tax_rate=tax_rate)


def _booked(*lines: BookedLine, total="100", tax="0", currency="EUR", **kw) -> BookedDocument:
    return BookedDocument(provider="Ledger", total=D(total), tax=D(tax), currency=currency,
                          lines=lines, **kw)


def _bl(qty="2", unit="50", amount="100", **kw) -> BookedLine:
    return BookedLine(description="Consulting", quantity=D(qty), unit_amount=D(unit),
                      amount=D(amount), **kw)


def test_booked_as_sent_has_no_differences():
    assert compare(_invoice(_line()), _booked(_bl())) == ()


def test_currency_total_and_tax_differences_are_sentences():
    got = compare(_invoice(_line(), tax="20"), _booked(_bl(), total="100",
                                                       tax="0", currency="USD"))
    assert got == (
        "Ledger booked it in USD; the PSA invoice is in EUR.",
        "Ledger booked a total of 100.00; the PSA invoice says 120.00.",
        "Ledger booked tax of 0.00; the PSA invoice says 20.00.",
    )


def test_less_than_a_cent_is_not_a_difference():
    assert compare(_invoice(_line()), _booked(_bl(amount="100.004"), total="100.004")) == ()


def test_a_missing_line_is_named():
    got = compare(_invoice(_line(), _line(2)), _booked(_bl(), total="200"))
    assert got == ("Ledger booked 1 line(s); the PSA document has 2.",)


def test_line_quantity_unit_amount_and_tax():
    line = _line(tax_rate=VAT)
    got = compare(_invoice(line, tax="20"),
                  _booked(_bl(qty="1", unit="100", tax=D("10")), total="120", tax="20"))
    assert got == (
        "Line 1 (Consulting): Ledger booked quantity 1; the PSA says 2.",
        "Line 1 (Consulting): Ledger booked a unit price of 100; the PSA says 50.",
        "Line 1 (Consulting): Ledger booked tax of 10.00; the PSA's VAT 20% gives 20.00.",
    )


def test_a_discount_folded_into_the_unit_price_or_applied_by_the_provider():
    line = _line(qty="3", price="100", amount="270", discount="10")
    folded = _bl(qty="3", unit="90", amount="270")
    applied = _bl(qty="3", unit="100", amount="270", discount_percent=D("10"))
    assert compare(_invoice(line), _booked(folded, total="270")) == ()
    assert compare(_invoice(line), _booked(applied, total="270")) == ()
    assert compare(_invoice(line), _booked(_bl(qty="3", unit="100", amount="270"),
                                           total="270")) == (
        "Line 1 (Consulting): Ledger booked a unit price of 100; the PSA says 90.",)


def test_accounts_and_dimensions_are_checked_against_the_intent_only():
    intents = {1: LineIntent(account="4000 Sales", dimensions={"Class": "Consulting"})}
    booked = _booked(_bl(account="4100 Other", dimensions={}))
    assert compare(_invoice(_line()), booked) == ()  # nothing asked for: nothing to check
    assert compare(_invoice(_line()), booked, intents) == (
        "Line 1 (Consulting): Ledger booked it to account 4100 Other; the mapping says "
        "4000 Sales.",
        "Line 1 (Consulting): Ledger booked class (none); the PSA line has class Consulting.",
    )
    right = _booked(_bl(account="4000 Sales", dimensions={"Class": "Consulting"}))
    assert compare(_invoice(_line()), right, intents) == ()


def test_credit_notes_are_named_as_such():
    credit = CreditNoteData(id=1, number="CN-1", currency="EUR", issue_date=date(2026, 12, 2),
                            client=ClientData(id=1, name="Acme"), lines=(_line(),),
                            subtotal=D("100"), tax_total=D("0"), total=D("100"), invoice_id=1,
                            invoice_number="INV-1")
    assert compare(credit, _booked(_bl(), total="90")) == (
        "Ledger booked a total of 90.00; the PSA credit note says 100.00.",)


def test_rate_text_names_the_rate_and_its_source():
    booked = _booked(_bl(), home_currency="USD", exchange_rate=D("1.0850"),
                     rate_source="QuickBooks' rate for 2026-12-01")
    assert booked.rate_text == ("Booked in EUR at 1 EUR = 1.085 USD (QuickBooks' rate for "
                                "2026-12-01).")
    assert _booked(_bl()).rate_text == ""


def test_a_half_cent_of_line_tax_rounds_half_up_like_the_host():
    # 0.25 x 10% = 0.025: the host (and Xero, QuickBooks) book 0.03; half-to-even would say 0.02
    line = _line(qty="1", price="0.25", amount="0.25", tax_rate=TaxRateData(id=2, name="GST 10%",
                                                                             rate=D("10")))
    booked = _booked(_bl(qty="1", unit="0.25", amount="0.25", tax=D("0.03")), total="0.28",
                     tax="0.03")
    assert compare(_invoice(line, tax="0.03"), booked) == ()
