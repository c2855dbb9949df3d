"""What the Xero plugin declares to the host (``register_provider``).

Configuration keys (all optional; the defaults are Xero's production URLs):

==============================  ===============================================================
``XERO_CLIENT_ID`` / ``_SECRET``  the app's OAuth 2.0 credentials (developer.xero.com, My Apps)
``XERO_LOGIN_BASE_URL``         authorize page: ``{base}/identity/connect/authorize``
                                (default ``https://login.xero.com``)
``XERO_IDENTITY_BASE_URL``      token and revocation: ``{base}/connect/token``,
                                ``{base}/connect/revocation`` (default ``https://identity.xero.com``)
``XERO_API_BASE_URL``           ``/connections`` and the Accounting API ``/api.xro/2.0``
                                (default ``https://api.xero.com``)
``XERO_APP_BASE_URL``           the Xero web app, for deep links (default ``https://go.xero.com``)
``XERO_WEBHOOK_KEY``            the app's webhook signing key (``x-xero-signature``)
``XERO_SCOPES``                 space-separated scopes, to override the default set (an app
                                created before 2 March 2026 that still uses broad scopes:
                                ``openid profile email offline_access accounting.transactions
                                accounting.contacts accounting.settings.read``)
==============================  ===============================================================

The sandbox serves every one of these paths on one origin, so pointing the four base URLs at
``http://127.0.0.1:5055`` talks to it (see the README, Sandbox).

Reference facts: shared/reference/xero.md 1.1 (URLs), 1.4 (granular scopes), 7 (limits).
"""

from __future__ import annotations

from typing import Any, Mapping

from hookspecs import MappingKind, OAuthMetadata, ProviderInfo, RateLimit

KEY = "xero"
LABEL = "Xero"

LOGIN_BASE_URL = "https://login.xero.com"
IDENTITY_BASE_URL = "https://identity.xero.com"
API_BASE_URL = "https://api.xero.com"
APP_BASE_URL = "https://go.xero.com"

#: Apps created on or after 2 March 2026 get granular scopes only (reference 1.4). The plugin
#: pushes invoices and credit notes (``accounting.invoices``), records payments pushed from the
#: host (``accounting.payments``), finds and creates contacts (``accounting.contacts``) and reads
#: accounts, tax rates, tracking categories, items and the organisation
#: (``accounting.settings.read``). ``offline_access`` gives the refresh token.
SCOPES = ("openid", "profile", "email", "offline_access", "accounting.invoices",
          "accounting.payments", "accounting.contacts", "accounting.settings.read")

#: Xero's limits per app and organisation, and per app (reference 7).
PER_MINUTE = 60
PER_DAY = 5000
APP_PER_MINUTE = 10000
MAX_CONCURRENCY = 5

LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" '
        'r="16" fill="#13b5ea"/><path d="M9.5 11.5l13 9M22.5 11.5l-13 9" stroke="#fff" '
        'stroke-width="2.4" stroke-linecap="round"/></svg>')

MAPPING_KINDS = (
    MappingKind("item", "Items", "service_type",
                help="The Xero item (ItemCode) put on lines of each service type. Unmapped: "
                     "the active item whose name or code equals the service type's name or "
                     "SKU, else no item (the line still books to its revenue account)."),
    MappingKind("account", "Revenue accounts", "gl_account",
                help="The Xero revenue account for each PSA GL account. A contract line's own "
                     "GL account (its accounting details) is used when set; unmapped lines go "
                     "to the default revenue account."),
    MappingKind("tax_type", "Tax rates", "tax_rate",
                help="The Xero tax rate (TaxType) for each PSA tax rate. Unmapped: the only "
                     "active Xero sales rate with the same percentage, else the push stops and "
                     "asks for a mapping. Lines without a tax rate are booked with Xero's "
                     "'no tax' rate."),
    MappingKind("tracking", "Tracking options", "class_label",
                help="The Xero tracking category option for each contract-line class (shown "
                     "as 'Category: Option'). Unmapped classes use the option with the same "
                     "name in the default tracking category, if one is set."),
)

SETTINGS_ON_GL_PAGE = ("default_revenue_account",)


def endpoints(config: Mapping[str, Any]) -> dict[str, str]:
    """Base URLs resolved from the host configuration (``connection.endpoints``)."""
    login = (config.get("XERO_LOGIN_BASE_URL") or LOGIN_BASE_URL).rstrip("/")
    identity = (config.get("XERO_IDENTITY_BASE_URL") or IDENTITY_BASE_URL).rstrip("/")
    return {
        "authorize": f"{login}/identity/connect/authorize",
        "token": f"{identity}/connect/token",
        "revoke": f"{identity}/connect/revocation",
        "api": (config.get("XERO_API_BASE_URL") or API_BASE_URL).rstrip("/"),
        "app": (config.get("XERO_APP_BASE_URL") or APP_BASE_URL).rstrip("/"),
    }


def scopes(config: Mapping[str, Any]) -> tuple[str, ...]:
    configured = config.get("XERO_SCOPES")
    if isinstance(configured, (list, tuple)):
        return tuple(str(s) for s in configured if str(s).strip())
    if configured and str(configured).strip():
        return tuple(str(configured).replace(",", " ").split())
    return SCOPES


def request_tenant(request) -> str | None:
    """The organisation an API request addresses (its ``xero-tenant-id`` header): Xero counts
    the per-organisation limits by it, also for ``on_connect``'s calls before one is chosen."""
    return request.headers.get("xero-tenant-id")


def provider_info(config: Mapping[str, Any]) -> ProviderInfo:
    from .forms import settings_form

    urls = endpoints(config)
    return ProviderInfo(
        key=KEY,
        label=LABEL,
        description="Push invoices and credit notes to a Xero organisation; payments come back.",
        logo_svg=LOGO,
        oauth=OAuthMetadata(
            authorize_url=urls["authorize"],
            token_url=urls["token"],
            revoke_url=urls["revoke"],
            client_id=config.get("XERO_CLIENT_ID") or "",
            client_secret=config.get("XERO_CLIENT_SECRET") or "",
            scopes=scopes(config),
            use_pkce=True,
            token_endpoint_auth_method="client_secret_basic",
        ),
        settings_form=settings_form,
        rate_limits=(
            RateLimit(requests=PER_MINUTE, per_seconds=60, scope="connection",
                      name="Xero: 60 calls per minute per organisation"),
            RateLimit(requests=PER_DAY, per_seconds=86400, scope="connection",
                      name="Xero: 5,000 calls per day per organisation"),
            RateLimit(requests=APP_PER_MINUTE, per_seconds=60, scope="app",
                      name="Xero: 10,000 calls per minute per app"),
        ),
        max_concurrency=MAX_CONCURRENCY,
        request_tenant=request_tenant,
        mapping_kinds=MAPPING_KINDS,
        compatibility=">=0.1",
        number_label="Xero invoice number",
        supports_webhooks=True,
        endpoints=urls,
        financial_settings=SETTINGS_ON_GL_PAGE,
    )
