"""Money properties shared by invoices and credit notes (and their lines).

The arithmetic itself lives in ``host.services.totals``; these mixins only expose it, so an
invoice and a credit note can never compute their totals differently.
"""

from __future__ import annotations

from decimal import Decimal

from host.services import totals


class PricedLine:
    """For a line with ``quantity``, ``unit_price``, ``discount_percent`` and ``tax_rate``."""

    @property
    def amount(self) -> Decimal:
        return totals.line_amount(self.quantity, self.unit_price, self.discount_percent)

    @property
    def tax_amount(self) -> Decimal:
        return totals.line_tax(self.amount, self.tax_rate.rate if self.tax_rate else None)


class PricedDocument:
    """For a document with ``lines`` of :class:`PricedLine`."""

    @property
    def summary(self) -> totals.Summary:
        return totals.summarize(self.lines)

    @property
    def subtotal(self) -> Decimal:
        return self.summary.subtotal

    @property
    def tax_total(self) -> Decimal:
        return self.summary.tax_total

    @property
    def total(self) -> Decimal:
        return self.summary.total
