from decimal import Decimal
from types import SimpleNamespace

import pytest

from host.services.totals import cents, line_amount, line_tax, summarize


def test_line_amount_is_quantity_times_price_rounded_half_up_to_cents():
    assert line_amount("3", "33.335") == Decimal("100.01")  # 100.005 -> 100.01
    assert line_amount("1.5", "80") == Decimal("120.00")


def test_discount_percent_reduces_the_line_before_rounding():
    assert line_amount("10", "150", "10") == Decimal("1350.00")
    assert line_amount("1", "99.99", "12.5") == Decimal("87.49")  # 87.49125


def test_tax_is_rounded_per_line():
    assert line_tax(Decimal("1350.00"), Decimal("8.875")) == Decimal("119.81")  # 119.8125
    assert line_tax(Decimal("0.05"), Decimal("10")) == Decimal("0.01")  # 0.005 rounds up
    assert line_tax(Decimal("100"), None) == Decimal("0.00")


def test_summary_sums_rounded_lines():
    lines = [SimpleNamespace(amount=line_amount(1, "0.125"), tax_amount=line_tax(line_amount(1, "0.125"), 20))
             for _ in range(3)]
    # each line 0.13 with tax 0.03: per-line rounding, not rounding of the sum (0.375 / 0.075)
    summary = summarize(lines)
    assert summary.subtotal == Decimal("0.39")
    assert summary.tax_total == Decimal("0.09")
    assert summary.total == Decimal("0.48")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        cents(0.1)
