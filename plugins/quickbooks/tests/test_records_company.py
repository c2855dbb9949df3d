"""The company an invoice pass carries in its cursor (:mod:`psa_quickbooks.records_company`):
what it writes it reads back, and anything else in the cursor reads as "read the company
again", never as an error."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from psa_quickbooks.records_company import MAX_CODES, PassCompany, from_cursor

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                     lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                     max_leaves=20)


@given(st.booleans(), st.text(max_size=3),
       st.dictionaries(st.text(max_size=30), st.decimals(allow_nan=False, allow_infinity=False),
                       max_size=5) | st.none())
def test_what_a_pass_writes_it_reads_back(non_us, home, rates):
    company = PassCompany(non_us=non_us, home_currency=home, rates=rates)
    again = from_cursor(company.to_cursor())
    assert (again.non_us, again.home_currency) == (non_us, home)
    assert again.rates in (rates, None)  # None: too long to carry, the pages read them again
    if rates is not None and all(len(str(r)) <= 30 and len(c) <= 30 for c, r in rates.items()):
        assert again.rates == rates


@given(_json | st.fixed_dictionaries({"non_us": _json, "home": _json, "rates": _json}))
def test_anything_else_in_the_cursor_is_read_again_not_an_error(data):
    company = from_cursor(data)
    assert company is None or isinstance(company, PassCompany)
    if company is not None and company.rates is not None:
        assert all(rate.is_finite() for rate in company.rates.values())


def test_too_many_tax_codes_are_not_carried():
    many = {str(n): Decimal("20") for n in range(MAX_CODES + 1)}
    carried = PassCompany(non_us=True, home_currency="GBP", rates=many).to_cursor()
    assert "rates" not in carried and from_cursor(carried).rates is None
