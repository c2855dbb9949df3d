"""What an invoice listing pass keeps of the company, so its pages do not read it again.

Reading an invoice needs three things about the company: its tax model (US ``TAX``/``NON``
or a tax code per line), its home currency (an invoice without ``CurrencyRef`` is in it) and,
outside the US, every tax code's sales percentage. They come from CompanyInfo, Preferences and
the TaxCode / TaxRate queries: two or four requests, where a page of invoices is one.

So the first page of a pass that has invoices reads them and the cursor carries them to the
pass's last page (``"co"`` in the cursor: ``{"non_us": bool, "home": "USD", "rates":
{"3": "20"}}``); the last page's cursor leaves them out, so **every pass reads the company
once**, and a change of the company's settings (the country, the home currency, a tax rate)
is seen by the next pass. A worker restarting mid-pass resumes from the stored cursor and still
has them. The host stores the cursor unread; what comes back from it is checked like any
other input, and anything unexpected reads the company again.

The "Company is outside the US" setting is applied on every page (it costs no request): the
tax codes' rates are read on the first page that needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import company as company_mod
from .api import QboClient
from .taxes import code_rates

#: Tax codes a cursor carries at most; a company with more has them read again on each page.
MAX_CODES = 300
#: The longest tax code Id, currency code or percentage (as text) a cursor carries; a longer
#: one is not carried (the pages read the rates again).
MAX_ID = 30


@dataclass
class PassCompany:
    """The company as one listing pass reads it. ``rates`` is None until a page needs them."""

    non_us: bool
    home_currency: str
    rates: dict[str, Decimal] | None = field(default=None)

    def tax_model(self, connection) -> bool:
        """True: the global (non-US) model, per the admin's setting when saved, else the
        company's country."""
        chosen = (connection.settings or {}).get("non_us")
        return self.non_us if chosen is None else bool(chosen)

    def code_rates(self, qbo: QboClient) -> dict[str, Decimal]:
        if self.rates is None:
            self.rates = code_rates(qbo)
        return self.rates

    def to_cursor(self) -> dict:
        out: dict = {"non_us": self.non_us, "home": self.home_currency}
        rates = {code: str(rate) for code, rate in (self.rates or {}).items()}
        if self.rates is not None and len(rates) <= MAX_CODES and all(
                len(code) <= MAX_ID and len(rate) <= MAX_ID for code, rate in rates.items()):
            out["rates"] = rates
        return out


def load(qbo: QboClient) -> PassCompany:
    """Read the company (CompanyInfo + Preferences: two requests)."""
    company = company_mod.load(qbo)
    return PassCompany(non_us=company.non_us, home_currency=company.home_currency[:MAX_ID])


def from_cursor(data) -> PassCompany | None:
    """The company a cursor carried (:meth:`PassCompany.to_cursor`), or None when it carries
    none or something that is not one (then the page reads the company again)."""
    if not isinstance(data, dict) or not isinstance(data.get("non_us"), bool) \
            or not isinstance(data.get("home"), str) or len(data["home"]) > MAX_ID:
        return None
    rates = data.get("rates")
    if rates is None:
        return PassCompany(non_us=data["non_us"], home_currency=data["home"])
    if not isinstance(rates, dict) or len(rates) > MAX_CODES:
        return None
    parsed: dict[str, Decimal] = {}
    for code, rate in rates.items():
        if not isinstance(rate, str) or len(code) > MAX_ID or len(rate) > MAX_ID:
            return None
        try:
            parsed[code] = Decimal(rate)
        except InvalidOperation:
            return None
        if not parsed[code].is_finite():
            return None
    return PassCompany(non_us=data["non_us"], home_currency=data["home"], rates=parsed)
