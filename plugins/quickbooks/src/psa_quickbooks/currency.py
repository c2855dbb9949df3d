"""The currency a document is booked in, and at which rate (reference 3.1, 13).

* A company without multicurrency books everything in its home currency: QuickBooks would take
  an EUR invoice of 1,580 as USD 1,580 without a word. So a document in another currency stops
  with a mapping error naming both currencies and the two ways out.
* A multicurrency company books the document in its own currency. A foreign currency must be
  in the company's currency list (``CompanyCurrency``); the document is sent with
  ``ExchangeRate`` = QuickBooks' own rate for its date (``GET /exchangerate``), the rate the
  admin sees in QuickBooks (Settings > Currencies), and the push's note says which rate was
  used (:attr:`hookspecs.BookedDocument.rate_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hookspecs import MappingError, ProviderError

from .api import QboClient
from .company import Company


@dataclass(frozen=True)
class Booking:
    """``code``: the ``CurrencyRef`` to send (None without multicurrency); ``rate`` and
    ``as_of``: QuickBooks' rate for a foreign currency (None for the home currency)."""

    code: str | None = None
    rate: Decimal | None = None
    as_of: str = ""

    @property
    def source(self) -> str:
        return f"QuickBooks' rate for {self.as_of}" if self.rate is not None else ""


def booking(qbo: QboClient, company: Company, currency: str, issued: date,
            label: str) -> Booking:
    """How ``label`` ("invoice INV-1") in ``currency`` is booked, or a :class:`MappingError`."""
    code = (currency or "").upper()
    home = company.home_currency.upper()
    if not company.multicurrency:
        if code and home and code != home:
            raise MappingError(
                f"The {label} is in {code}, but the QuickBooks company {company.name!r} keeps "
                f"its books in {home} only (multicurrency is off): QuickBooks would book the "
                f"{code} amounts as {home}.",
                fix=f"Issue the {label.split()[0]} in {home} in the PSA, or turn on "
                    "multicurrency in QuickBooks (Settings > Account and settings > Advanced > "
                    f"Currency; it cannot be turned off again), add {code} to its currency "
                    "list, and retry.")
        return Booking()
    if not code or code == home:
        return Booking(code=code or home or None)
    listed = {str(c.get("Code") or "").upper() for c in qbo.query_all("CompanyCurrency")
              if c.get("Active", True) is not False}
    if code not in listed:
        raise MappingError(
            f"The {label} is in {code}, which is not in the currency list of the QuickBooks "
            f"company {company.name!r} (home currency {home}).",
            fix=f"Add {code} in QuickBooks (Settings > Currencies > Add currency), then retry.")
    try:
        found = qbo.call("GET", "exchangerate",
                         params={"sourcecurrencycode": code, "asofdate": issued.isoformat()},
                         action=f"reading QuickBooks' {code} exchange rate")["ExchangeRate"]
    except ProviderError as exc:
        if exc.code != "610":
            raise
        raise MappingError(
            f"QuickBooks has no {code} exchange rate for {issued.isoformat()}, so the {label} "
            "cannot be booked at a rate you can check.",
            fix=f"Enter the {code} rate in QuickBooks (Settings > Currencies), then retry.",
            code=exc.code, detail=exc.detail) from exc
    return Booking(code=code, rate=Decimal(str(found["Rate"])),
                   as_of=str(found.get("AsOfDate") or issued.isoformat()))
