"""Tax codes on lines (reference 12).

* **US companies**: lines carry ``TAX`` (the line has a non-zero tax rate) or ``NON``; QuickBooks
  takes the rate from the company's sales tax set-up. With sales tax on, a document with a
  taxed line (or any update of one pushed before) sends ``TxnTaxDetail``: the mapped QuickBooks
  tax code of its tax rate as ``TxnTaxCodeRef`` (when mapped; automated sales tax may replace
  it) and the PSA's tax amount as ``TotalTax``, QuickBooks' tax override (reference 3.3, 12),
  so the document in the books equals the one the customer got even when QuickBooks' rate
  differs (see :func:`us_tax_detail`).
* **Other companies** (UK VAT, Canadian GST ...): every line needs a QuickBooks ``TaxCode``.
  Per line: the admin's mapping of the tax rate (kind ``tax_code``), else the one active tax
  code with exactly the rate's name, else the one active tax code whose sales rate equals the
  rate's percentage. A line without a tax rate uses the "Tax code for untaxed lines" setting,
  else the single active 0 % code if there is exactly one. Anything else stops the push with a
  mapping error saying what to map.
"""

from __future__ import annotations

from decimal import Decimal

from hookspecs import LineData, MappingError
from host.integrations.matching import norm

from .api import QboClient
from .mappers import money


def _rates(qbo: QboClient) -> dict[str, Decimal]:
    return {str(r["Id"]): Decimal(str(r.get("RateValue") or 0))
            for r in qbo.query_all("TaxRate")}


def _code_rate(code: dict, rates: dict[str, Decimal]) -> Decimal | None:
    details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    if not details:
        return None
    return sum((rates.get(str((d.get("TaxRateRef") or {}).get("value")), Decimal("0"))
                for d in details), Decimal("0"))


def code_rates(qbo: QboClient) -> dict[str, Decimal]:
    """Every tax code's sales percentage (the sum of its sales rates), by TaxCode Id; codes
    without sales rates are left out."""
    rates = _rates(qbo)
    out = {}
    for code in qbo.query_all("TaxCode", "Active IN (true, false)"):
        rate = _code_rate(code, rates)
        if rate is not None:
            out[str(code["Id"])] = rate
    return out


class TaxCodes:
    """Non-US tax codes for one document (codes and rates loaded once)."""

    def __init__(self, qbo: QboClient, connection) -> None:
        self.qbo = qbo
        self.connection = connection
        self._codes: list[dict] | None = None
        self._rates: dict[str, Decimal] | None = None

    @property
    def codes(self) -> list[dict]:
        if self._codes is None:
            self._codes = [c for c in self.qbo.query_all("TaxCode")
                           if c.get("Active", True) is not False
                           and str(c.get("Id")) not in ("TAX", "NON")]
            self._rates = _rates(self.qbo)
        return self._codes

    def rate_of(self, code: dict) -> Decimal | None:
        self.codes  # noqa: B018 - loads the rates too
        return _code_rate(code, self._rates or {})

    def _by_rate(self, percent: Decimal) -> list[dict]:
        return [c for c in self.codes if c.get("SalesTaxRateList") and self.rate_of(c) == percent]

    def for_line(self, line: LineData) -> str | None:
        rate = line.tax_rate
        if rate is None:
            chosen = (self.connection.settings or {}).get("untaxed_tax_code")
            if chosen:
                return str(chosen)
            zero = self._by_rate(Decimal("0"))
            return str(zero[0]["Id"]) if len(zero) == 1 else None
        mapped = self.connection.mapping("tax_code", rate.id)
        if mapped:
            return str(mapped)
        named = [c for c in self.codes if norm(c.get("Name")) == norm(rate.name)]
        if len(named) == 1:
            return str(named[0]["Id"])
        by_rate = self._by_rate(Decimal(rate.rate))
        if len(by_rate) == 1:
            return str(by_rate[0]["Id"])
        if len(by_rate) > 1:
            names = ", ".join(repr(c.get("Name")) for c in by_rate)
            raise MappingError(
                f"Tax rate {rate.name!r} ({rate.rate}%) could be several QuickBooks tax codes: "
                f"{names}.", fix="Map the tax rate to one of them on the integration's Manage "
                "page (Tax codes), then retry.")
        return None  # the mapper raises the MappingError naming the line

    def resolve(self, lines) -> dict[int, str]:
        out = {}
        for line in lines:
            code = self.for_line(line)
            if code:
                out[line.id] = code
        return out


def us_transaction_code(connection, lines) -> str | None:
    """US: the mapped QuickBooks tax code of the first taxed line's rate, if any."""
    for line in lines:
        if line.tax_rate is not None and line.tax_rate.rate != 0:
            mapped = connection.mapping("tax_code", line.tax_rate.id)
            if mapped and mapped not in ("TAX", "NON"):
                return str(mapped)
    return None


def us_tax_detail(connection, lines, tax_total: Decimal, *, using_sales_tax: bool,
                  updating: bool) -> dict | None:
    """US: the ``TxnTaxDetail`` to send, or None to send none.

    Sales tax off in QuickBooks: none (QuickBooks ignores tax fields then; the push notes the
    total that differs). Otherwise, for a document with a taxed line: ``TxnTaxCodeRef`` = the
    mapped code of the first taxed line's rate, if any (else QuickBooks uses the company's
    default), and ``TotalTax`` = the PSA's tax total, which QuickBooks keeps instead of its own
    computation. An update always sends ``TotalTax`` (0.00 when no line is taxed any more), so a
    tax amount sent with an earlier version never stays on the document (QuickBooks keeps an
    override it is sent again; see the sandbox's NOTES.md).
    """
    if not using_sales_tax:
        return None
    taxed = any(line.tax_rate is not None and line.tax_rate.rate != 0 for line in lines)
    if not taxed and not updating:
        return None
    detail: dict = {}
    code = us_transaction_code(connection, lines)
    if code:
        detail["TxnTaxCodeRef"] = {"value": code}
    detail["TotalTax"] = money(tax_total)
    return detail
