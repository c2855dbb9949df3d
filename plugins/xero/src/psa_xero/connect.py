"""Connecting and disconnecting: which organisations a grant reaches, and leaving one.

``on_connect`` lists ``GET /connections?authEventId=`` (tenant-less; the organisations the user
ticked on Xero's consent screen in this authorization, whose id is the access token's
``authentication_event_id`` claim), keeps the ``ORGANISATION`` tenants and
reads each one's ``/Organisation`` for its short code (deep links) and country. With several
organisations the host asks the admin to pick one. Settings defaults: the usual sales account
(``200``, ``4000`` ...) when every offered organisation has it as an active revenue account.

``on_disconnect`` removes only this organisation's connection (``DELETE /connections/{id}``);
the host then revokes the token. Data stays on both sides.
"""

from __future__ import annotations

from hookspecs import AuthError, ConnectionInfo, ProviderError, Tenant

from . import lookups
from .api import XeroClient

#: Account codes Xero's standard charts use for sales, in order of preference.
USUAL_SALES_CODES = ("200", "4000", "400", "4010", "210")


def _default_code(accounts: list[dict]) -> str:
    revenue = [a for a in accounts if lookups.is_revenue_account(a)]
    codes = [str(a["Code"]) for a in revenue]
    for code in USUAL_SALES_CODES:
        if code in codes:
            return code
    sales = [str(a["Code"]) for a in revenue if a.get("Type") in ("SALES", "REVENUE")]
    return (sorted(sales) or sorted(codes) or [""])[0]


def on_connect(connection, callback_params) -> ConnectionInfo:
    base = XeroClient(connection)
    # Only the organisations ticked in THIS authorization (reference 1.5): /connections alone
    # also lists every organisation the user connected to this app before.
    claims = connection.token_extra.get("access_token_claims") or {}
    event = claims.get("authentication_event_id")
    rows = [c for c in base.connections(event)
            if str(c.get("tenantType") or "ORGANISATION").upper() == "ORGANISATION"
            and c.get("tenantId")]
    if not rows:
        raise AuthError("The Xero authorization gives access to no organisation.",
                        fix="Connect again and tick the organisation to connect on Xero's "
                            "consent screen.")
    tenants: list[Tenant] = []
    defaults: list[str] = []
    banks: list[str] = []
    for row in rows:
        xero = XeroClient(connection, tenant_id=str(row["tenantId"]))
        short, country, code, bank = "", "", "", ""
        try:
            org = xero.organisation()
            short = str(org.get("ShortCode") or "")
            country = str(org.get("CountryCode") or org.get("Version") or "")
            accounts = xero.accounts()
            code = _default_code(accounts)
            bank_codes = [str(a["Code"]) for a in accounts if lookups.is_bank_account(a)
                          and a.get("Type") == "BANK"]
            bank = bank_codes[0] if len(bank_codes) == 1 else ""
        except AuthError:
            raise
        except ProviderError:
            pass  # the organisation is still offered; the setup step shows the problem
        tenants.append(Tenant(id=str(row["tenantId"]),
                              name=str(row.get("tenantName") or row["tenantId"]),
                              short_code=short, country=country))
        defaults.append(code)
        banks.append(bank)
    settings = {"auto_send": False, "tracking_category": "", "bank_account_code": ""}
    if defaults and all(d and d == defaults[0] for d in defaults):
        settings["default_revenue_account"] = defaults[0]
    if banks and all(b and b == banks[0] for b in banks):
        settings["bank_account_code"] = banks[0]  # the organisation's only bank account
    return ConnectionInfo(tenants=tuple(tenants), settings_defaults=settings)


def on_disconnect(connection) -> bool:
    try:
        xero = XeroClient(connection)
        rows = [c for c in xero.connections()
                if str(c.get("tenantId", "")).lower() == str(connection.tenant_id or "").lower()]
        for row in rows:
            xero.delete_connection(str(row["id"]))
    except ProviderError:
        return False
    except Exception:  # noqa: BLE001 - the contract: never raise, report False
        return False
    return True
