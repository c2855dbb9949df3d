"""The ``plain_decimal`` filter: quantities and percentages without an exponent."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from host.numbers import plain_decimal

# What the columns hold: Numeric(12, 4) quantities, Numeric(7, 4) percentages.
stored = st.decimals(min_value=Decimal("-99999999.9999"), max_value=Decimal("99999999.9999"),
                     places=4, allow_nan=False, allow_infinity=False)


@given(stored)
def test_plain_decimal_reads_back_as_the_same_number_without_exponent(value):
    text = plain_decimal(value)
    assert "E" not in text.upper()
    assert Decimal(text) == value


@given(stored)
def test_plain_decimal_has_no_trailing_zeros(value):
    text = plain_decimal(value)
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")


def test_plain_decimal_examples():
    assert plain_decimal(Decimal("10.0000")) == "10"
    assert plain_decimal(Decimal("50.00")) == "50"
    assert plain_decimal(Decimal("1.5000")) == "1.5"
    assert plain_decimal(Decimal("0.0000")) == "0"
    assert plain_decimal(Decimal("-0")) == "0"
    assert plain_decimal(None) == ""
