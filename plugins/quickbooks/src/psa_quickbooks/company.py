"""What the plugin needs to know about a QuickBooks company: CompanyInfo + Preferences.

Read once per hook call (two GETs). The fields decide how an invoice is built: the tax model
(US ``TAX``/``NON`` lines, or a tax code per line elsewhere, reference 12), whether QuickBooks or
the host numbers invoices (``CustomTxnNumbers``, reference 3.12), class tracking per line,
multicurrency and closed books.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .api import QboClient


@dataclass(frozen=True)
class Company:
    realm: str
    name: str
    country: str = ""
    custom_numbers: bool = False
    class_per_line: bool = False
    class_per_txn: bool = False
    multicurrency: bool = False
    home_currency: str = ""
    using_sales_tax: bool = False
    automated_sales_tax: bool = False
    default_tax_code: str = ""  # US: TaxPrefs.TaxGroupCodeRef, the code used when none is sent
    book_close_date: date | None = None
    #: ``ProductAndServicesPrefs.RevenueRecognitionEnabled`` (QuickBooks Advanced)
    revenue_recognition: bool = False
    subscription_status: str = ""
    edition: str = ""

    @property
    def non_us(self) -> bool:
        """QuickBooks' global tax model (every line needs a tax code)."""
        return bool(self.country) and self.country.upper() != "US"

    @property
    def read_only(self) -> bool:
        return self.subscription_status.upper() in ("CANCELLED", "CANCELED", "SUSPENDED", "EXPIRED")


def _name_value(info: dict, name: str) -> str:
    for pair in info.get("NameValue") or []:
        if pair.get("Name") == name:
            return str(pair.get("Value") or "")
    return ""


def _date(text) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def from_payloads(realm: str, info: dict, prefs: dict) -> Company:
    acc = prefs.get("AccountingInfoPrefs") or {}
    sales = prefs.get("SalesFormsPrefs") or {}
    tax = prefs.get("TaxPrefs") or {}
    cur = prefs.get("CurrencyPrefs") or {}
    return Company(
        realm=realm,
        name=str(info.get("CompanyName") or info.get("LegalName") or realm),
        country=str(info.get("Country") or ""),
        custom_numbers=bool(sales.get("CustomTxnNumbers")),
        class_per_line=bool(acc.get("ClassTrackingPerTxnLine")),
        class_per_txn=bool(acc.get("ClassTrackingPerTxn")),
        multicurrency=bool(cur.get("MultiCurrencyEnabled")),
        home_currency=str((cur.get("HomeCurrency") or {}).get("value") or ""),
        using_sales_tax=bool(tax.get("UsingSalesTax")),
        automated_sales_tax=bool(tax.get("PartnerTaxEnabled")),
        default_tax_code=str((tax.get("TaxGroupCodeRef") or {}).get("value") or ""),
        book_close_date=_date(acc.get("BookCloseDate")),
        revenue_recognition=bool((prefs.get("ProductAndServicesPrefs") or {}).get(
            "RevenueRecognitionEnabled")),
        subscription_status=_name_value(info, "SubscriptionStatus"),
        edition=_name_value(info, "OfferingSku"),
    )


def load(qbo: QboClient) -> Company:
    return from_payloads(qbo.realm, qbo.company_info(), qbo.preferences())
