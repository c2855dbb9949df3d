"""Connection lifecycle: describe the authorized company (``on_connect``) and leave
(``on_disconnect``).

Intuit names the company in the OAuth redirect (``realmId``); the grant reaches exactly that
one company, so ``on_connect`` returns one tenant. Its settings defaults prefill the setup step:
US / non-US from ``CompanyInfo.Country``, the default product/service (the company's item
named "Services" when it exists, else its first active service), class mapping on when the
company tracks classes per line, auto-send off.
"""

from __future__ import annotations

from hookspecs import AuthError, ConnectionInfo, Tenant

from . import company as company_mod
from . import items as items_mod
from .api import QboClient


def default_item(items: dict[str, dict]) -> str | None:
    usable = [i for i in items.values() if items_mod.usable(i)]
    for preferred in ("services", "service"):
        named = [i for i in usable if str(i.get("Name", "")).strip().lower() == preferred]
        if named:
            return str(named[0]["Id"])
    services = sorted((i for i in usable if i.get("Type") == "Service"),
                      key=lambda i: int(i["Id"]) if str(i["Id"]).isdigit() else 0)
    pick = services or usable
    return str(pick[0]["Id"]) if pick else None


def on_connect(connection, callback_params) -> ConnectionInfo:
    realm = (callback_params or {}).get("realmId") or connection.tenant_id
    if not realm:
        raise AuthError("QuickBooks did not say which company was authorized (no realmId).",
                        fix="Connect again and pick the company on Intuit's page.")
    qbo = QboClient(connection, realm=str(realm))
    company = company_mod.load(qbo)
    defaults = {"non_us": company.non_us, "auto_send": False,
                "use_classes": company.class_per_line}
    item = default_item(items_mod.load(qbo))
    if item:
        defaults["default_item"] = item
    return ConnectionInfo(
        tenants=(Tenant(id=company.realm, name=company.name, country=company.country),),
        settings_defaults=defaults,
    )


def on_disconnect(connection) -> bool:
    """Nothing QuickBooks-specific to undo: revoking the token (done by the host at
    ``OAuthMetadata.revoke_url``) is how an app disconnects from a company (reference 1.6).
    Data stays as it is on both sides."""
    return True
