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

    authorize_url: str  #: the provider's consent page (the admin's browser is sent there)
    token_url: str  #: where the host exchanges the code and refreshes tokens
    client_id: str  #: your app's OAuth client id, read from the host configuration
    client_secret: str  #: your app's OAuth client secret, read from the host configuration
    scopes: tuple[str, ...]  #: the scopes requested at consent
    #: where the host revokes the refresh token at disconnect (None: not revoked)
    revoke_url: str | None = None
    use_pkce: bool = False  #: send a PKCE code challenge (S256) with the authorization request
    #: ``"client_secret_basic"``, ``"client_secret_post"`` or ``"none"``
    token_endpoint_auth_method: str = "client_secret_basic"
    #: extra query parameters for the consent page
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)
    callback_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class RateLimit:
    """A provider limit the host enforces before each request.

    ``scope`` is ``"connection"`` (per company / tenant: counted across all workers) or
    ``"app"`` (across every connection of this provider).
    """

    requests: int  #: at most this many requests ...
    per_seconds: float  #: ... in any window of this many seconds
    scope: Literal["connection", "app"] = "connection"
    #: names the window's shared counter (default: its position in ``rate_limits``)
    name: str = ""


@dataclass(frozen=True)
class MappingKind:
    """One kind of admin-editable mapping the host renders on the Manage page.

    ``host_entity`` is one of ``"service_type"``, ``"tax_rate"``, ``"gl_account"``,
    ``"client"``, ``"class_label"``. Choices come from the plugin's ``list_mapping_choices``.
    """

    #: what ``list_mapping_choices(kind=...)`` and ``connection.mapping(kind, id)`` receive
    key: str
    label: str  #: the mapping table's title on the Manage page
    host_entity: Literal["service_type", "tax_rate", "gl_account", "client", "class_label"]
    help: str = ""  #: a sentence shown under the title
    required: bool = False  #: every host record needs a mapping (no default to fall back to)


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

    key: str  #: the provider key: equal to your entry-point name, unique, stable
    label: str  #: the provider's name as admins know it (tile, pages, messages)
    oauth: OAuthMetadata  #: how the host runs OAuth for you
    settings_form: Callable[..., Any]
    #: only ``financial`` today: one financial connection per business unit
    category: Literal["financial"] = "financial"
    description: str = ""  #: one line under the label on the tile
    logo_svg: str = ""  #: inline SVG markup for the tile (inserted as is; empty: no logo)
    #: the provider's limits; the host waits for a slot before each request
    rate_limits: tuple[RateLimit, ...] = ()
    #: at most this many requests in flight per tenant (None: no bound)
    max_concurrency: int | None = None
    mapping_kinds: tuple[MappingKind, ...] = ()  #: the mapping tables the Manage page shows
    migrations_path: str | None = None
    compatibility: str | None = None
    #: how the provider names its document number ("QuickBooks invoice number"); declared, not shown
    #: by the host yet
    number_label: str = "number"
    #: whether the provider sends webhooks; declared, not read by the host yet
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
    id: int  #: the host client's id (stable: key your ``connection.refs`` on it)
    name: str  #: the client's name
    billing_contact_name: str = ""  #: the person invoices go to
    billing_email: str = ""  #: where the provider emails invoices (empty: none)
    tax_number: str = ""  #: the client's VAT / tax registration number (empty: none)
    #: values of the extra fields the admin mapped ("Add a mapping"), by ``SyncField.key``;
    #: write them to the provider record. A predefined field the admin switched off arrives
    #: empty: never write an empty value over the provider's.
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceTypeData:
    id: int  #: the host service type's id (key of ``connection.mapping(kind, id)``)
    name: str  #: the service type's name (matched against the provider's items)
    sku: str = ""  #: its SKU, matched when the name does not
    unit_price: Decimal | None = None  #: its list price, if the host keeps one
    description: str = ""  #: its sales description
    #: its default income account (map it through the ``gl_account`` mapping), if any
    income_account: "GLAccountData | None" = None
    #: extra mapped fields' values by ``SyncField.key`` (see :attr:`ClientData.fields`)
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaxRateData:
    id: int  #: the host tax rate's id (key of a ``tax_rate`` mapping)
    name: str  #: its name ("VAT 20%")
    rate: Decimal  # percent, e.g. Decimal("20") for 20 %


@dataclass(frozen=True)
class GLAccountData:
    id: int  #: the host GL account's id (key of a ``gl_account`` mapping)
    code: str  #: the account code ("4000")
    name: str  #: the account name ("Consulting revenue")


@dataclass(frozen=True)
class ExternalRef:
    """What the host remembers of an earlier successful push of the same record."""

    external_id: str  #: the provider's id of the record, from ``SyncResult.external_id``
    number: str | None = None  #: the provider's document number, from ``SyncResult.number``
    version: str | None = None  #: the provider's concurrency token, from ``SyncResult.version``
    #: the provider's page of the record, from ``SyncResult.deep_link``
    deep_link: str | None = None


@dataclass(frozen=True)
class LineData:
    """One invoice or credit-note line. ``amount`` = quantity x unit price less discount,
    rounded to cents, before tax. ``gl_account`` is the effective account: the contract line's
    override, else the service type's default (may be None)."""

    id: int  #: the host line's id (key of ``compare``'s intents)
    description: str  #: the line's text
    quantity: Decimal  #: hours or units, may be fractional (never assume 1)
    unit_price: Decimal  #: the list price per unit, before discount
    amount: Decimal
    discount_percent: Decimal = Decimal("0")  #: 0 to 100; already applied in ``amount``
    service_date: date | None = None  #: when the work was done, if known
    service_type: ServiceTypeData | None = None  #: what was sold (map it to the provider's item)
    tax_rate: TaxRateData | None = None  #: the host tax rate of the line (None: untaxed)
    gl_account: GLAccountData | None = None
    class_label: str = ""  #: the contract line's class / tracking label (empty: none)
    contract_line_id: int | None = None  #: the contract line the line was billed from, if any


@dataclass(frozen=True)
class InvoiceData:
    """A sent invoice as the provider should book it. ``external`` is set when the invoice was
    pushed before (an edit re-sent, a void): update that object, never create a second one."""

    id: int  #: the host invoice's id
    number: str  #: the host's invoice number
    #: ``"sent"`` when first pushed; later ``"partially_paid"``, ``"paid"``, ``"void"`` ...
    status: str
    currency: str  #: ISO 4217 code ("USD")
    issue_date: date  #: the invoice date
    due_date: date  #: when payment is due (on or after ``issue_date``)
    client: ClientData  #: who is invoiced
    lines: tuple[LineData, ...]  #: the lines, in order
    subtotal: Decimal  #: sum of the lines' ``amount``
    tax_total: Decimal  #: sum of the lines' tax (per line, half-up to cents)
    total: Decimal  #: ``subtotal`` + ``tax_total``
    memo: str = ""  #: a note for the customer
    project_name: str = ""  #: the project it bills (empty: none)
    business_unit_name: str = ""  #: the business unit that sent it
    external: ExternalRef | None = None
    #: the client's reference / PO number (empty: none)
    reference: str = ""
    #: the admin's choice for this push ("Push now, and email it" / "without emailing"):
    #: True or False overrides the connection's automatic-email setting; None follows it
    send_email: bool | None = None
    #: extra mapped fields' values by ``SyncField.key`` (see :attr:`ClientData.fields`)
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreditNoteData:
    """A credit note against a pushed invoice. ``invoice_external`` is that invoice's push."""

    id: int  #: the host credit note's id
    number: str  #: the host's credit note number
    currency: str  #: ISO 4217 code, the invoice's
    issue_date: date  #: the credit note's date
    client: ClientData  #: the invoice's client
    lines: tuple[LineData, ...]  #: the credited lines
    subtotal: Decimal  #: sum of the lines' ``amount``
    tax_total: Decimal  #: sum of the lines' tax
    total: Decimal  #: ``subtotal`` + ``tax_total``: the amount credited
    invoice_id: int  #: the host id of the invoice it credits
    invoice_number: str  #: that invoice's host number
    invoice_external: ExternalRef | None = None
    reason: str = ""  #: why it was issued, as the user typed it
    external: ExternalRef | None = None  #: set when this credit note was pushed before


@dataclass(frozen=True)
class PaymentData:
    """A payment recorded in the host, to be booked at the provider against the invoice."""

    id: int  #: the host payment's id
    amount: Decimal  #: the amount paid, in ``currency``
    date: date  #: when it was received
    currency: str  #: ISO 4217 code, the invoice's
    invoice_id: int  #: the host id of the invoice it pays
    invoice_number: str  #: that invoice's host number
    invoice_external: ExternalRef  #: that invoice's push: apply the payment to it
    client: ClientData  #: who paid
    reference: str = ""  #: the user's reference (cheque number, bank reference)


# --------------------------------------------------------------------------------------------
# The connection handle (implemented by the host)
# --------------------------------------------------------------------------------------------


#: The ``connection.refs`` kind under which a plugin remembers the provider customer it
#: booked a host client to (``connection.refs.remember(CUSTOMER_REF, client.id, id)``). Two-way
#: sync reads it to recognise that customer as the client's own when it comes in from the ledger.
CUSTOMER_REF = "customer"


class ExternalRefs(Protocol):
    """Remembered external ids for this connection (the OCA 'binder'), stored by the host.

    Kinds are yours to choose, except one the host reads: remember the customer you book a
    client's invoices to under :data:`CUSTOMER_REF` (``"customer"``).
    """

    def get(self, kind: str, host_id: int | str) -> str | None:
        """The external id remembered for ``(kind, host_id)`` ("customer", client id), or None."""
        ...

    def remember(self, kind: str, host_id: int | str, external_id: str) -> None:
        """Remember (or replace) the external id of ``(kind, host_id)`` for this connection."""
        ...

    def host_id_for(self, kind: str, external_id: str) -> str | None:
        """The host id remembered for an external id of ``kind`` (the reverse look-up), or None."""
        ...


class Connection(Protocol):
    """The host's handle on one business unit's connection, passed to every connection hook.

    ``http`` is an ``httpx.Client`` prepared by the host: it adds the bearer token (refreshing
    it before expiry and once on a 401, serialized across workers), waits for the provider's
    declared rate limits, and raises ``RateLimited`` on 429 (with Retry-After), ``ProviderDown``
    on timeouts and dropped connections and ``AuthError`` when the token cannot be refreshed.
    Every other response is returned to the plugin to parse.
    """

    id: int  #: the host's connection id
    provider_key: str  #: your ``ProviderInfo.key``
    business_unit_id: int  #: the business unit the connection belongs to
    business_unit_name: str  #: its name
    #: the company / organisation chosen at connect (None inside ``on_connect``)
    tenant_id: str | None
    tenant_name: str | None  #: its name
    settings: Mapping[str, Any]  #: your settings form's saved values (``form.settings_data()``)
    #: The token response without its secrets, plus ``access_token_claims`` (the unverified
    #: claims of a JWT access token, e.g. Xero's ``authentication_event_id``).
    token_extra: Mapping[str, Any]
    refs: ExternalRefs  #: your remembered external ids
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

    def sync_direction(self, object: str) -> str:
        """The direction the admin chose for ``object`` (one of ``SYNC_OBJECTS``) under
        "What syncs": ``"off"``, ``"out"`` (PSA -> provider), ``"in"`` or ``"both"``, so
        ``test_connection`` can warn about what only matters when records come in (numbers
        that collide when invoices sync both ways)."""
        ...


# --------------------------------------------------------------------------------------------
# What plugins return
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """A company / organisation the authorizing user granted access to."""

    id: str  #: the provider's id of the company (realmId, tenantId)
    name: str  #: its name, shown to the admin
    short_code: str = ""  #: a short code the provider shows beside the name (Xero's shortcode)
    country: str = ""  #: the company's country as the provider gives it ("US", "GB")


@dataclass(frozen=True)
class ConnectionInfo:
    """Returned by ``on_connect``. With more than one tenant the host asks the admin to pick.
    ``settings_defaults`` prefill the settings form (e.g. ``{"non_us": True}``)."""

    tenants: tuple[Tenant, ...]  #: the companies the grant reaches (at least one)
    settings_defaults: Mapping[str, Any] = field(default_factory=dict)


#: ``Check.status``: ``"fail"`` makes ``TestResult.ok`` false; ``"warn"`` is shown but passes.
CheckStatus = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str  #: what was checked ("Company", "Default item")
    status: CheckStatus  #: ``"pass"``, ``"warn"`` or ``"fail"``
    message: str  #: what was found, in plain words
    fix: str = ""  #: what the admin should do (for ``warn`` and ``fail``)


@dataclass(frozen=True)
class TestResult:
    """Returned by ``test_connection``: one :class:`Check` per thing verified."""

    __test__ = False  # not a pytest test class

    checks: tuple[Check, ...]  #: one per thing verified, in the order to show them

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings pass)."""
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

    external_id: str  #: the provider's id of the record (kept, handed back in ``external``)
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

    #: the company the change happened in: the host routes the event to its connection
    tenant_id: str
    #: what changed: one of WEBHOOK_ENTITIES ("invoice", "payment" ...)
    entity: str
    #: the provider's id of the changed record
    entity_id: str
    #: what happened to it: one of WEBHOOK_OPERATIONS ("create", "update" ...)
    operation: str
    #: the provider's id of the event, or one built from its fields (same event, same id)
    event_id: str = ""
    #: when it happened at the provider (UTC), if the delivery says
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class PaymentAllocation:
    invoice_external_id: str  #: the pushed invoice it pays (``SyncResult.external_id``)
    amount: Decimal  #: how much of the payment goes to that invoice


@dataclass(frozen=True)
class PaymentRecord:
    """Money received at the provider against one or more pushed invoices.

    ``kind`` is ``"payment"`` or ``"credit"`` (a credit-note allocation). A payment later
    voided or deleted at the provider comes back with ``voided=True`` and the host reverses it.
    """

    external_id: str  #: the provider's id of the payment (the host records each id once)
    date: date  #: when it was received
    #: which pushed invoices it pays, and how much of each
    allocations: tuple[PaymentAllocation, ...]
    currency: str = ""  #: ISO 4217 code (empty: the invoice's)
    kind: Literal["payment", "credit"] = "payment"
    voided: bool = False  #: voided or deleted at the provider: the host reverses it
    reference: str = ""  #: the provider's reference for it


@dataclass(frozen=True)
class InvoiceState:
    """The provider's view of a pushed invoice, reported by ``fetch_changes`` / ``reconcile``.

    ``status`` is ``"open"``, ``"paid"``, ``"voided"`` or ``"deleted"``. ``differs`` is true when
    the provider's copy was edited there (amounts or lines no longer match what we pushed).
    """

    external_id: str  #: the pushed invoice (``SyncResult.external_id``)
    status: Literal["open", "paid", "voided", "deleted"]
    amount_due: Decimal | None = None  #: what is still owed at the provider, if known
    total: Decimal | None = None  #: the provider's total, if known
    differs: bool = False
    version: str | None = None  #: the provider's concurrency token now, if known


@dataclass(frozen=True)
class ChangeSet:
    """What changed at the provider. ``cursor`` (reconcile only) is stored by the host and
    passed back next time."""

    payments: tuple[PaymentRecord, ...] = ()  #: payments and credit allocations received
    invoices: tuple[InvoiceState, ...] = ()  #: states of pushed invoices
    cursor: str | None = None


@dataclass(frozen=True)
class MappingChoice:
    """One option for a mapping or settings dropdown."""

    external_id: str  #: the provider's id: what the host stores as the mapping
    label: str  #: what the dropdown shows
    detail: str = ""  #: a hint beside it ("Income account 4000")


@dataclass(frozen=True)
class MatchPreview:
    """How a host record would map at the provider, for the reconciliation pass page.

    ``outcome`` is ``"match"`` (found), ``"create"`` (will be created), ``"default"`` (falls back
    to the default item/account) or ``"ambiguous"`` (several candidates: admin must choose).
    """

    host_id: int  #: the host record's id (``ClientData.id`` / ``ServiceTypeData.id``)
    host_label: str  #: its name
    outcome: Literal["match", "create", "default", "ambiguous"]
    external_id: str | None = None  #: the provider record it matches (``match`` / ``default``)
    external_label: str = ""  #: that record's name
    candidates: tuple[MappingChoice, ...] = ()  #: the choices when ``ambiguous``
    reason: str = ""  #: why, in plain words
