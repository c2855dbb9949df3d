"""What the QuickBooks plugin declares to the host (``register_provider``).

Configuration keys (all optional; the defaults are Intuit's production URLs):

=====================================  ==========================================================
``QUICKBOOKS_CLIENT_ID`` / ``_SECRET``  the app's OAuth 2.0 keys (Intuit developer portal)
``QUICKBOOKS_AUTH_BASE_URL``           one base for authorize, token and revoke (the sandbox:
                                       ``{base}/connect/oauth2``, ``{base}/oauth2/v1/tokens/bearer``,
                                       ``{base}/oauth2/v1/tokens/revoke``). Unset: Intuit's three hosts.
``QUICKBOOKS_API_BASE_URL``            the Accounting API (``/v3/company/<realmId>/...`` below it)
``QUICKBOOKS_APP_BASE_URL``            the QuickBooks web app, for deep links
                                       (``{app}/app/invoice?txnId=..&realmId=..``)
``QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN``  the app's webhook verifier token (``intuit-signature``)
=====================================  ==========================================================

Reference facts: shared/reference/quickbooks-online.md 1.1 (OAuth URLs), 1.2 (scope), 9 (limits).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from hookspecs import MappingKind, OAuthMetadata, ProviderInfo, RateLimit

KEY = "quickbooks"
LABEL = "QuickBooks Online"
SCOPE = "com.intuit.quickbooks.accounting"

AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
API_BASE_URL = "https://quickbooks.api.intuit.com"
APP_BASE_URL = "https://app.qbo.intuit.com"

#: Intuit: 500 requests per minute per company (realm), 10 per second and 10 concurrent per
#: company and app (reference 9).
REQUESTS_PER_MINUTE = 500
REQUESTS_PER_SECOND = 10
MAX_CONCURRENCY = 10

_REALM_IN_PATH = re.compile(r"/v3/company/([^/]+)/")


def request_realm(request) -> str | None:
    """The company an Accounting API request addresses (``/v3/company/<realmId>/...``).
    Intuit counts the limits above per realm, whichever connection calls: ``on_connect`` reads
    the company before the host knows which one was chosen."""
    match = _REALM_IN_PATH.search(request.url.path)
    return match.group(1) if match else None


LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" '
        'r="16" fill="#2ca01c"/><text x="16" y="21" font-size="13" font-family="sans-serif" '
        'font-weight="bold" text-anchor="middle" fill="#fff">qb</text></svg>')

MAPPING_KINDS = (
    MappingKind("item", "Products and services", "service_type",
                help="The QuickBooks product/service each service type is booked to. Unmapped: "
                     "the item with exactly the service type's name, else its SKU, else the "
                     "default product/service."),
    MappingKind("account", "Income accounts", "gl_account",
                help="The QuickBooks income account for each GL account. QuickBooks books a "
                     "line to its item's account: when they differ, the line uses the item's "
                     "variant \"<item> (<account>)\", created once."),
    MappingKind("tax_code", "Tax codes", "tax_rate",
                help="Non-US companies: the QuickBooks tax code for each tax rate (every line "
                     "needs one). US companies: lines are TAX or NON, the invoice carries the "
                     "PSA's tax amount, and the mapped code tells QuickBooks which sales tax "
                     "agency it is filed under (unmapped: the company's default code)."),
    MappingKind("class", "Classes", "class_label",
                help="The QuickBooks class for each contract-line class (needs class tracking "
                     "per line in QuickBooks)."),
)


def endpoints(config: Mapping[str, Any]) -> dict[str, str]:
    """Base URLs resolved from the host configuration (``connection.endpoints``)."""
    auth = (config.get("QUICKBOOKS_AUTH_BASE_URL") or "").rstrip("/")
    return {
        "authorize": f"{auth}/connect/oauth2" if auth else AUTHORIZE_URL,
        "token": f"{auth}/oauth2/v1/tokens/bearer" if auth else TOKEN_URL,
        "revoke": f"{auth}/oauth2/v1/tokens/revoke" if auth else REVOKE_URL,
        "api": (config.get("QUICKBOOKS_API_BASE_URL") or API_BASE_URL).rstrip("/"),
        "app": (config.get("QUICKBOOKS_APP_BASE_URL") or APP_BASE_URL).rstrip("/"),
    }


def provider_info(config: Mapping[str, Any]) -> ProviderInfo:
    from .forms import settings_form

    urls = endpoints(config)
    return ProviderInfo(
        key=KEY,
        label=LABEL,
        description="Push invoices and credit memos to QuickBooks Online; payments come back.",
        logo_svg=LOGO,
        oauth=OAuthMetadata(
            authorize_url=urls["authorize"],
            token_url=urls["token"],
            revoke_url=urls["revoke"],
            client_id=config.get("QUICKBOOKS_CLIENT_ID") or "",
            client_secret=config.get("QUICKBOOKS_CLIENT_SECRET") or "",
            scopes=(SCOPE,),
            token_endpoint_auth_method="client_secret_basic",
            callback_params=("realmId",),
        ),
        settings_form=settings_form,
        rate_limits=(RateLimit(requests=REQUESTS_PER_MINUTE, per_seconds=60, scope="connection",
                               name="realm-per-minute"),
                     RateLimit(requests=REQUESTS_PER_SECOND, per_seconds=1, scope="connection",
                               name="realm-per-second")),
        max_concurrency=MAX_CONCURRENCY,
        request_tenant=request_realm,
        mapping_kinds=MAPPING_KINDS,
        compatibility=">=0.1",
        number_label="QuickBooks invoice number",
        supports_webhooks=True,
        endpoints=urls,
        tenant_id_label="Company ID",
    )
