"""Frozen data types of the plugin contract.

Two directions:

* What the host hands a plugin: snapshots of host records (:class:`InvoiceData`,
  :class:`CreditNoteData`, :class:`PaymentData` ...) and a :class:`Connection` handle. Snapshots
  are immutable: a plugin cannot change host data by accident, and a job retried later sees the
  record as it is then, not as it was.
* What a plugin hands back: :class:`ProviderInfo` at start-up, :class:`ConnectionInfo`,
  :class:`TestResult`, :class:`SyncResult`, :class:`ChangeSet` and friends.

Money is always :class:`decimal.Decimal`; dates are :class:`datetime.date`.
No Flask or SQLAlchemy imports here: this module is a leaf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import httpx

# --------------------------------------------------------------------------------------------
# Declarations (register_provider)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthMetadata:
    """How the host runs OAuth 2.0 authorization-code for a provider.

    The host owns the whole dance (state, PKCE, code exchange, refresh, revoke) through authlib;
    the plugin only declares the endpoints. ``callback_params`` names extra query parameters the
    provider adds to the redirect (QuickBooks' ``realmId``) that the host hands to ``on_connect``.
    """

    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    revoke_url: str | None = None
    use_pkce: bool = False
    token_endpoint_auth_method: str = "client_secret_basic"
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)
    callback_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class RateLimit:
    """A provider limit the host enforces before each request.

    ``scope`` is ``"connection"`` (per company / tenant: counted across all workers) or
    ``"app"`` (across every connection of this provider).
    """

    requests: int
    per_seconds: float
    scope: Literal["connection", "app"] = "connection"
    name: str = ""


@dataclass(frozen=True)
class MappingKind:
    """One kind of admin-editable mapping the host renders on the Manage page.

    ``host_entity`` is one of ``"service_type"``, ``"tax_rate"``, ``"gl_account"``,
    ``"client"``, ``"class_label"``. Choices come from the plugin's ``list_mapping_choices``.
    """

    key: str
    label: str
    host_entity: Literal["service_type", "tax_rate", "gl_account", "client", "class_label"]
    help: str = ""
    required: bool = False


@dataclass(frozen=True)
class ProviderInfo:
    """What a provider plugin declares about itself (returned by ``register_provider``).

    ``settings_form`` is a factory ``(connection, formdata) -> form``; the form subclasses
    ``host.forms.provider_settings.ProviderSettingsForm`` and is rendered by the host in the
    setup wizard and on the Manage page. ``migrations_path`` is the plugin's Alembic
    ``versions`` directory (its tables). ``compatibility`` is a PEP 440 specifier on
    ``psa-host`` (``">=0.1"``); a mismatch shows the tile as unavailable instead of crashing.
    ``endpoints`` holds the base URLs the plugin resolved from the host configuration at
    registration (``{"api": "https://quickbooks.api.intuit.com", "app": ...}``); hooks read them
    back from ``connection.endpoints``, so one process can serve apps aimed at different
    endpoints (a sandbox in tests, the real provider in production) without module globals.
    """

    key: str
    label: str
    oauth: OAuthMetadata
    settings_form: Callable[..., Any]
    category: Literal["financial"] = "financial"
    description: str = ""
    logo_svg: str = ""
    rate_limits: tuple[RateLimit, ...] = ()
    max_concurrency: int | None = None
    mapping_kinds: tuple[MappingKind, ...] = ()
    migrations_path: str | None = None
    compatibility: str | None = None
    number_label: str = "number"
    supports_webhooks: bool = True
    endpoints: Mapping[str, str] = field(default_factory=dict)
    #: Settings-form fields also editable under Settings > Financials > GL Accounts, where an
    #: accountant looks for them (Xero's default revenue account).
    financial_settings: tuple[str, ...] = ()
    #: How the provider names a tenant's id when the host shows it next to the tenant's name
    #: (QuickBooks: "Company ID" for the realmId); empty: the id is not shown.
    tenant_id_label: str = ""
    #: ``(httpx.Request) -> tenant id or None``: the tenant a request addresses (QuickBooks:
    #: the realm in ``/v3/company/<realmId>/``). The host counts per-connection rate limits and
    #: ``max_concurrency`` under the tenant the request addresses rather than the connection's
    #: chosen tenant, so ``on_connect``'s calls (tenant not chosen yet) share the company's
    #: window with every later call. None (or it answers None): ``connection.tenant_id``.
    request_tenant: Callable[[Any], str | None] | None = None


# --------------------------------------------------------------------------------------------
# Host records as plugins see them (read-only snapshots)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientData:
    id: int
    name: str
    billing_contact_name: str = ""
    billing_email: str = ""


@dataclass(frozen=True)
class ServiceTypeData:
    id: int
    name: str
    sku: str = ""


@dataclass(frozen=True)
class TaxRateData:
    id: int
    name: str
    rate: Decimal  # percent, e.g. Decimal("20") for 20 %


@dataclass(frozen=True)
class GLAccountData:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ExternalRef:
    """What the host remembers of an earlier successful push of the same record."""

    external_id: str
    number: str | None = None
    version: str | None = None
    deep_link: str | None = None


@dataclass(frozen=True)
class LineData:
    """One invoice or credit-note line. ``amount`` = quantity x unit price less discount,
    rounded to cents, before tax. ``gl_account`` is the effective account: the contract line's
    override, else the service type's default (may be None)."""

    id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    discount_percent: Decimal = Decimal("0")
    service_date: date | None = None
    service_type: ServiceTypeData | None = None
    tax_rate: TaxRateData | None = None
    gl_account: GLAccountData | None = None
    class_label: str = ""
    contract_line_id: int | None = None


@dataclass(frozen=True)
class InvoiceData:
    """A sent invoice as the provider should book it. ``external`` is set when the invoice was
    pushed before (an edit re-sent, a void): update that object, never create a second one."""

    id: int
    number: str
    status: str
    currency: str
    issue_date: date
    due_date: date
    client: ClientData
    lines: tuple[LineData, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    memo: str = ""
    project_name: str = ""
    business_unit_name: str = ""
    external: ExternalRef | None = None


@dataclass(frozen=True)
class CreditNoteData:
    """A credit note against a pushed invoice. ``invoice_external`` is that invoice's push."""

    id: int
    number: str
    currency: str
    issue_date: date
    client: ClientData
    lines: tuple[LineData, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    invoice_id: int
    invoice_number: str
    invoice_external: ExternalRef | None = None
    reason: str = ""
    external: ExternalRef | None = None


@dataclass(frozen=True)
class PaymentData:
    """A payment recorded in the host, to be booked at the provider against the invoice."""

    id: int
    amount: Decimal
    date: date
    currency: str
    invoice_id: int
    invoice_number: str
    invoice_external: ExternalRef
    client: ClientData
    reference: str = ""


# --------------------------------------------------------------------------------------------
# The connection handle (implemented by the host)
# --------------------------------------------------------------------------------------------


class ExternalRefs(Protocol):
    """Remembered external ids for this connection (the OCA 'binder'), stored by the host."""

    def get(self, kind: str, host_id: int | str) -> str | None: ...

    def remember(self, kind: str, host_id: int | str, external_id: str) -> None: ...

    def host_id_for(self, kind: str, external_id: str) -> str | None: ...


class Connection(Protocol):
    """The host's handle on one business unit's connection, passed to every connection hook.

    ``http`` is an ``httpx.Client`` prepared by the host: it adds the bearer token (refreshing
    it before expiry and once on a 401, serialized across workers), waits for the provider's
    declared rate limits, and raises ``RateLimited`` on 429 (with Retry-After), ``ProviderDown``
    on timeouts and dropped connections and ``AuthError`` when the token cannot be refreshed.
    Every other response is returned to the plugin to parse.
    """

    id: int
    provider_key: str
    business_unit_id: int
    business_unit_name: str
    tenant_id: str | None
    tenant_name: str | None
    settings: Mapping[str, Any]
    #: The token response without its secrets, plus ``access_token_claims`` (the unverified
    #: claims of a JWT access token, e.g. Xero's ``authentication_event_id``).
    token_extra: Mapping[str, Any]
    refs: ExternalRefs
    #: ``ProviderInfo.endpoints`` of the owning plugin (base URLs from the host configuration).
    endpoints: Mapping[str, str]

    @property
    def http(self) -> "httpx.Client": ...

    def mapping(self, kind: str, host_id: int | str) -> str | None:
        """The admin's chosen external id for ``(kind, host_id)``, or None."""
        ...

    def tax_rates(self) -> "tuple[TaxRateData, ...]":
        """The organization's active tax rates (the rows of a ``tax_rate`` mapping table), so
        ``test_connection`` can warn about a rate that will not map before an invoice fails."""
        ...


# --------------------------------------------------------------------------------------------
# What plugins return
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """A company / organisation the authorizing user granted access to."""

    id: str
    name: str
    short_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class ConnectionInfo:
    """Returned by ``on_connect``. With more than one tenant the host asks the admin to pick.
    ``settings_defaults`` prefill the settings form (e.g. ``{"non_us": True}``)."""

    tenants: tuple[Tenant, ...]
    settings_defaults: Mapping[str, Any] = field(default_factory=dict)


CheckStatus = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    message: str
    fix: str = ""


@dataclass(frozen=True)
class TestResult:
    """Returned by ``test_connection``: one :class:`Check` per thing verified."""

    __test__ = False  # not a pytest test class

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


@dataclass(frozen=True)
class SyncResult:
    """Returned by the outbound hooks: where the record now lives at the provider.

    ``number`` is the provider's document number (shown in the host), ``deep_link`` opens the
    record in the provider's web app, ``version`` is the provider's concurrency token (SyncToken,
    UpdatedDateUTC) kept for the next update. ``note`` explains a partial outcome the admin
    should know ("pushed but not emailed: the client has no billing email"). ``emailed`` is true
    when the provider emailed the document to the customer in this call; the host says so on
    the sync panel ("Emailed to the customer by <label>"), so the note need not repeat it.
    ``differences`` lists, one plain sentence each, where the provider booked something the
    admin did not choose (another total, tax, currency, line, account or dimension): build them
    with :func:`host.contract.booking.compare`. The host keeps them on the sync record (replaced
    by the next push) and shows them on the invoice's sync panel as a warning.
    """

    external_id: str
    number: str | None = None
    deep_link: str | None = None
    version: str | None = None
    note: str | None = None
    emailed: bool = False
    differences: tuple[str, ...] = ()


#: ``WebhookEvent.entity``: what changed, in the host's words (the provider's own name --
#: QuickBooks ``CreditMemo``, Xero ``CREDITNOTE`` -- is translated by ``parse_webhook``).
WEBHOOK_ENTITIES = ("invoice", "credit_note", "payment", "customer", "item")

#: ``WebhookEvent.operation``: what happened to it (QuickBooks ``Emailed`` is an ``update``,
#: ``Merge`` a ``delete`` of the merged-away record).
WEBHOOK_OPERATIONS = ("create", "update", "delete", "void")


@dataclass(frozen=True)
class WebhookEvent:
    """One change notification parsed from a webhook delivery.

    ``entity`` is one of :data:`WEBHOOK_ENTITIES` and ``operation`` one of
    :data:`WEBHOOK_OPERATIONS`; ``parse_webhook`` drops events about anything else.
    ``entity_id`` is the provider's id of the changed record.
    """

    tenant_id: str
    entity: str
    entity_id: str
    operation: str
    event_id: str = ""
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class PaymentAllocation:
    invoice_external_id: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentRecord:
    """Money received at the provider against one or more pushed invoices.

    ``kind`` is ``"payment"`` or ``"credit"`` (a credit-note allocation). A payment later
    voided or deleted at the provider comes back with ``voided=True`` and the host reverses it.
    """

    external_id: str
    date: date
    allocations: tuple[PaymentAllocation, ...]
    currency: str = ""
    kind: Literal["payment", "credit"] = "payment"
    voided: bool = False
    reference: str = ""


@dataclass(frozen=True)
class InvoiceState:
    """The provider's view of a pushed invoice, reported by ``fetch_changes`` / ``reconcile``.

    ``status`` is ``"open"``, ``"paid"``, ``"voided"`` or ``"deleted"``. ``differs`` is true when
    the provider's copy was edited there (amounts or lines no longer match what we pushed).
    """

    external_id: str
    status: Literal["open", "paid", "voided", "deleted"]
    amount_due: Decimal | None = None
    total: Decimal | None = None
    differs: bool = False
    version: str | None = None


@dataclass(frozen=True)
class ChangeSet:
    """What changed at the provider. ``cursor`` (reconcile only) is stored by the host and
    passed back next time."""

    payments: tuple[PaymentRecord, ...] = ()
    invoices: tuple[InvoiceState, ...] = ()
    cursor: str | None = None


@dataclass(frozen=True)
class MappingChoice:
    """One option for a mapping or settings dropdown."""

    external_id: str
    label: str
    detail: str = ""


@dataclass(frozen=True)
class MatchPreview:
    """How a host record would map at the provider, for the reconciliation pass page.

    ``outcome`` is ``"match"`` (found), ``"create"`` (will be created), ``"default"`` (falls back
    to the default item/account) or ``"ambiguous"`` (several candidates: admin must choose).
    """

    host_id: int
    host_label: str
    outcome: Literal["match", "create", "default", "ambiguous"]
    external_id: str | None = None
    external_label: str = ""
    candidates: tuple[MappingChoice, ...] = ()
    reason: str = ""
