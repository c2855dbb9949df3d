"""The currency a document is booked in, and the rate Xero booked it at.

Xero books an invoice or credit note in the organisation's base currency, or in a currency the
organisation has added (Settings > Currencies, on plans with multicurrency); any other
currency it refuses. The plugin checks before any write: a PSA document in a currency the
organisation lacks is a mapping error naming both currencies and the fix; it is never booked
in the base currency instead. A foreign-currency document is sent without ``CurrencyRate``, so
Xero applies its own day rate (XE.com), which the admin sees in Xero; the rate Xero used is
read back from its answer and said on the sync record (:mod:`psa_xero.booked`).
"""

from __future__ import annotations

from hookspecs import MappingError

from .api import XeroClient

BASE_REF = "base_currency"


def base_currency(connection, xero: XeroClient) -> str:
    """The organisation's base currency (fixed in Xero; remembered per organisation)."""
    tenant = str(connection.tenant_id)
    known = connection.refs.get(BASE_REF, tenant)
    if known:
        return known
    base = str(xero.organisation().get("BaseCurrency") or "").upper()
    if base:
        connection.refs.remember(BASE_REF, tenant, base)
    return base


def require(connection, xero: XeroClient, currency: str, what: str) -> str:
    """The base currency, once Xero can book ``what`` (e.g. "Invoice PSA-7") in ``currency``;
    a :class:`MappingError` when the organisation has not added that currency."""
    currency = currency.upper()
    base = base_currency(connection, xero)
    if not base or currency == base:
        return base
    if any(str(c.get("Code", "")).upper() == currency for c in xero.currencies()):
        return base
    name = getattr(connection, "tenant_name", None) or "the Xero organisation"
    raise MappingError(
        f"{what} is in {currency}, but {name} keeps its books in {base} and has not added "
        f"{currency} in Xero, so it was not pushed (it is never booked in {base} instead).",
        fix=f"In Xero, add {currency} under Settings > Currencies (the Xero plan must include "
            f"multicurrency), then retry; or issue the document in {base} in the PSA.")
