"""The PSA plugin contract: every hook an accounting provider plugin can implement.

What a provider plugin is
=========================

A provider plugin connects a business unit of the PSA host to an accounting system (QuickBooks
Online, Xero, ...). It is an installable distribution that declares an entry point in the group
``psa.plugins`` whose name is the provider key and whose value is the module holding the hook
implementations::

    [project.entry-points."psa.plugins"]
    myledger = "psa_myledger.plugin"

The host finds it at start-up (pluggy's ``load_setuptools_entrypoints``), calls
:func:`register_provider` once, and from then on calls the connection hooks **only on the plugin
that owns the connection** (the host selects it; a plugin never asks "is this connection mine?").

Import everything from this module::

    from hookspecs import hookimpl, ProviderInfo, SyncResult, RateLimited

The host owns the plumbing: OAuth (state, PKCE, token exchange, refresh, revoke), token
encryption, the queue, retries with backoff, rate limiting, the webhook ledger, settings and
mapping storage, and every page. A plugin owns narrow, idempotent operations: map a host record
to a provider payload, push it, report back the external id, number and deep link.

Call styles used below
======================

* **collected** -- called on every plugin, results gathered in a list.
* **owner only** -- ``firstresult=True``; called only on the plugin owning the connection (or,
  for webhook hooks, the plugin whose key is in the URL). Returning ``None`` where a value is
  due is a contract error the host reports with the plugin's name.

Stability
=========

* New arguments may be added to a hook at any time. pluggy passes an implementation only the
  arguments it names, so existing plugins keep working. Implementations must not give defaults
  to arguments they want passed.
* A hook or argument is removed only after one minor release of ``warn_on_impl`` warnings.

Errors
======

Plugins raise the typed errors re-exported here (:class:`ProviderError` and its subclasses
``AuthError``, ``ValidationError``, ``MappingError``, ``ConflictError``, ``NotFoundError``,
``RateLimited``, ``ProviderDown``) with a plain message and a fix. They never return error codes.
The host records ``category``, ``message`` and ``fix`` on the sync record, shows them to the
admin with a Retry button, and retries automatically when ``retryable`` is true.
Anything else a hook raises, a ``None`` where a value is due, or a result of the wrong type
(checked against the return annotations below) is a bug: the host raises
:class:`PluginFailure` naming the plugin and the hook (:class:`HookTimeout` when a hook called
in a web request does not answer within ``PSA_WEB_HOOK_TIMEOUT``), logs it once and keeps
running.

The reference implementations are ``psa_quickbooks.plugin`` and ``psa_xero.plugin`` (the
"Reference:" pointers below name them): thin hook functions delegating to one module per
concept. The smallest complete example ships with the host as a template:
``flask --app host integrations new-plugin myledger`` (or ``python -m host.plugin_template
myledger``) writes a distribution implementing every hook against its own offline sandbox,
passing the contract suite as created (the files: ``host/plugin_template/skeleton/``).
"""

from __future__ import annotations

from typing import Any, Mapping

import pluggy

from host.contract.errors import (
    AuthError,
    ConflictError,
    HookTimeout,
    MappingError,
    NotFoundError,
    PluginContractError,
    PluginFailure,
    ProviderDown,
    ProviderError,
    RateLimited,
    ValidationError,
)
from host.contract.booking import BookedDocument, BookedLine, LineIntent, compare
from host.contract.records import (
    HOST_FIELDS,
    REQUIRED_HOST_FIELDS,
    SYNC_OBJECTS,
    InboundCustomer,
    InboundInvoice,
    InboundItem,
    InboundLine,
    InboundRecord,
    RecordPage,
    SyncField,
)
from host.contract.types import (
    WEBHOOK_ENTITIES,
    WEBHOOK_OPERATIONS,
    ChangeSet,
    Check,
    CheckStatus,
    ClientData,
    Connection,
    ConnectionInfo,
    CreditNoteData,
    ExternalRef,
    ExternalRefs,
    GLAccountData,
    InvoiceData,
    InvoiceState,
    LineData,
    MappingChoice,
    MappingKind,
    MatchPreview,
    OAuthMetadata,
    PaymentAllocation,
    PaymentData,
    PaymentRecord,
    ProviderInfo,
    RateLimit,
    ServiceTypeData,
    SyncResult,
    TaxRateData,
    Tenant,
    TestResult,
    WebhookEvent,
)

PROJECT_NAME = "psa"
ENTRY_POINT_GROUP = "psa.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "hookimpl",
    "hookspec",
    # errors
    "AuthError",
    "ConflictError",
    "HookTimeout",
    "MappingError",
    "NotFoundError",
    "PluginContractError",
    "PluginFailure",
    "ProviderDown",
    "ProviderError",
    "RateLimited",
    "ValidationError",
    # types
    "BookedDocument",
    "BookedLine",
    "ChangeSet",
    "Check",
    "CheckStatus",
    "ClientData",
    "Connection",
    "ConnectionInfo",
    "CreditNoteData",
    "ExternalRef",
    "ExternalRefs",
    "GLAccountData",
    "InvoiceData",
    "InvoiceState",
    "LineData",
    "LineIntent",
    "MappingChoice",
    "MappingKind",
    "MatchPreview",
    "OAuthMetadata",
    "PaymentAllocation",
    "PaymentData",
    "PaymentRecord",
    "ProviderInfo",
    "RateLimit",
    "ServiceTypeData",
    "SyncResult",
    "TaxRateData",
    "Tenant",
    "TestResult",
    "WebhookEvent",
    # two-way sync (records from the ledger)
    "InboundCustomer",
    "InboundInvoice",
    "InboundItem",
    "InboundLine",
    "InboundRecord",
    "RecordPage",
    "SyncField",
    "HOST_FIELDS",
    "REQUIRED_HOST_FIELDS",
    "SYNC_OBJECTS",
    # the vocabulary of WebhookEvent.entity / .operation
    "WEBHOOK_ENTITIES",
    "WEBHOOK_OPERATIONS",
    # booked-vs-sent comparison
    "compare",
]


# =============================================================================================
# 1. Registration
# =============================================================================================


@hookspec
def register_provider(config: Mapping[str, Any]) -> ProviderInfo:
    """Declare the accounting provider this plugin implements.

    **When**: once, while ``create_app`` builds the plugin manager (no request, no transaction).

    **Called for**: every plugin (collected). A plugin that is not a provider does not implement
    it.

    :param config: the host's configuration mapping (read-only). Read your client id and secret,
        and your endpoint base URLs, from it (e.g. ``config["QUICKBOOKS_CLIENT_ID"]``) so the same
        code talks to the real provider or to its sandbox.
    :returns: a :class:`ProviderInfo` whose ``key`` equals the entry-point name.
    :raises: nothing on purpose. Raising aborts start-up; declare a missing optional dependency
        through ``compatibility`` instead so the tile shows as unavailable.

    **Must**: return the same key every time; keys are unique across installed plugins.
    **Must not**: make network calls or touch the database.

    Reference: ``psa_quickbooks.plugin.register_provider``.

    .. versionadded:: 0.1
    """


# =============================================================================================
# 2. Connection lifecycle (owner only)
# =============================================================================================


@hookspec(firstresult=True)
def on_connect(connection: Connection, callback_params: Mapping[str, str]) -> ConnectionInfo:
    """Describe the company (tenant) the admin just authorized.

    **When**: in the web request of the OAuth callback, after the host exchanged the code for
    tokens and before the business unit's previous financial connection is replaced. The tokens
    are already usable through ``connection.http``.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the new, not yet active connection. ``connection.tenant_id`` is None,
        so its calls count in a tenant's rate-limit windows only when the plugin declares
        ``ProviderInfo.request_tenant`` (which tenant a request addresses).
    :param callback_params: the extra redirect parameters the provider declared in
        ``OAuthMetadata.callback_params`` (QuickBooks: ``{"realmId": "..."}``).
    :returns: :class:`ConnectionInfo` listing the tenants this grant reaches. With one tenant
        the host selects it; with several the admin picks one. ``settings_defaults`` prefill the
        setup step (e.g. the US / non-US choice from the company's country).
    :raises AuthError: the grant lacks a scope or the provider refused the token (not retried;
        the old connection stays active).
    :raises ProviderDown: the provider could not be reached (the admin is asked to try again).

    **Must not**: write anything at the provider.

    Reference: ``psa_xero.plugin.on_connect`` (several organisations).

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def test_connection(connection: Connection, write_check: bool) -> TestResult:
    """Check that the connection can do its job, and say what to fix when it cannot.

    **When**: in a web request, when the admin presses Test in the setup step or on the Manage
    page. ``connection.settings`` holds the values being tested (already validated by the form).

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the connection, with its tenant chosen.
    :param write_check: the admin asked for a write check: create a throw-away record at the
        provider and remove it again. When false the test must be read-only.
    :returns: :class:`TestResult` with one :class:`Check` per verification (credentials, company,
        default item or account, numbering, tax codes ...), each ``pass``, ``warn`` or ``fail``
        with a fix.
    :raises AuthError: credentials are refused (shown as a failed test with a Reconnect link).

    **Must**: report problems as failed checks rather than raising, except for auth.
    **Must**: clean up after a write check, even when it fails half-way.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def on_disconnect(connection: Connection) -> bool:
    """Tell the provider we are leaving (revoke the token, remove the tenant connection).

    **When**: in the web request of Disconnect, or when a new connection replaces this one;
    before the host deletes the stored tokens.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the connection being disconnected; tokens are still available.
    :returns: True when the provider confirmed; False when it could not be reached (the host
        disconnects anyway and says so).
    :raises: nothing: swallow provider errors and return False.

    **Must not**: delete or change any data, on either side. Revoking the OAuth token itself is
    done by the host when ``OAuthMetadata.revoke_url`` is set; do the provider-specific part only.

    .. versionadded:: 0.1
    """


# =============================================================================================
# 3. Outbound, in the worker (owner only)
# =============================================================================================


@hookspec(firstresult=True)
def on_invoice_sent(
    connection: Connection, invoice: InvoiceData, idempotency_key: str
) -> SyncResult:
    """Create (or update) the invoice at the provider.

    **When**: in the worker, for a sync record written in the same transaction that marked the
    invoice sent. No database transaction is open while the hook runs. Never while the
    connection's sync is paused (the record waits for Resume); with the connection's automatic
    push off, only once an admin pushed the held record.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the business unit's active connection.
    :param invoice: a read-only snapshot. ``invoice.external`` is set when this invoice was
        pushed before: update that object (an edited invoice re-sent), never create another.
    :param idempotency_key: stable for this sync record across retries. Send it as the
        provider's idempotency key (QuickBooks ``requestid``, Xero ``Idempotency-Key``) so a retry
        after a lost response returns the first result instead of a duplicate.
    :returns: :class:`SyncResult` with the provider's id, document number and deep link, and
        ``differences``: describe what the provider booked (from its response, or read back) as
        a :class:`BookedDocument` and return ``compare(invoice, booked, intents)`` -- the
        total, tax, currency, lines, accounts or dimensions it booked differently from the
        snapshot, unless the admin chose it. The host shows them on the invoice's sync panel.
        A foreign-currency invoice's exchange rate goes in ``note`` (``booked.rate_text``).
        ``emailed=True`` when the provider emailed the invoice to the customer (auto-send); the
        host shows that on the sync panel the same way for every provider.
    :raises MappingError: a line cannot be mapped (no item, no tax code); not retried.
    :raises ValidationError: the provider rejected the data; not retried.
    :raises ConflictError: stale version or a name collision the plugin could not resolve.
    :raises RateLimited: throttled; retried after ``retry_after``.
    :raises ProviderDown: 5xx, timeout, or the response was lost; retried with backoff.
    :raises AuthError: the connection needs the admin; the record waits for reconnection.

    **Must**: be safe to call again with the same key. Find or create the customer and items it
    needs; remember external ids through ``connection.refs``.

    Reference: ``psa_quickbooks.plugin.on_invoice_sent``.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def on_invoice_voided(
    connection: Connection, invoice: InvoiceData, idempotency_key: str
) -> SyncResult:
    """Void at the provider an invoice that was voided in the host.

    **When**: in the worker, after an invoice with a synced record is voided in the host.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the business unit's active connection.
    :param invoice: the snapshot, with ``invoice.external`` always set.
    :param idempotency_key: stable across retries of this void.
    :returns: :class:`SyncResult` for the voided object.
    :raises ValidationError: the provider refuses (e.g. payments are applied); not retried.
    :raises NotFoundError: already gone at the provider.
    :raises RateLimited, ProviderDown, AuthError: as for :func:`on_invoice_sent`.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def on_credit_note(
    connection: Connection, credit_note: CreditNoteData, idempotency_key: str
) -> SyncResult:
    """Create the credit note at the provider (QuickBooks CreditMemo, Xero ACCRECCREDIT).

    **When**: in the worker, after a credit note is issued in the host.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the business unit's active connection.
    :param credit_note: read-only snapshot; ``credit_note.invoice_external`` points at the pushed
        invoice it credits (allocate to it where the provider supports that).
    :param idempotency_key: stable across retries.
    :returns: :class:`SyncResult` with the credit note's id, number and deep link, and
        ``differences`` as for :func:`on_invoice_sent` (``compare(credit_note, booked)``).
    :raises: as :func:`on_invoice_sent`.

    **Must not**: email the credit note to the customer, whatever the auto-send setting.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def on_payment(connection: Connection, payment: PaymentData, idempotency_key: str) -> SyncResult:
    """Record at the provider a payment that was recorded in the host.

    **When**: in the worker, after a user records a payment in the host against a pushed
    invoice. Payments that came *from* the provider are never passed here (no echo).

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the business unit's active connection.
    :param payment: read-only snapshot; ``payment.invoice_external`` is the pushed invoice.
    :param idempotency_key: stable across retries.
    :returns: :class:`SyncResult` with the provider's payment id.
    :raises: as :func:`on_invoice_sent`.

    .. versionadded:: 0.1
    """


# =============================================================================================
# 4. Inbound: webhooks and reconciliation
# =============================================================================================


@hookspec(firstresult=True)
def verify_webhook(headers: Mapping[str, str], body: bytes, config: Mapping[str, Any]) -> bool:
    """Check a webhook delivery's signature.

    **When**: in the web request of ``POST /webhooks/<key>``, before anything is stored.

    **Called for**: only the plugin whose provider key is in the URL (firstresult).

    :param headers: the request headers (case-insensitive mapping).
    :param body: the raw request body, byte for byte. Sign exactly these bytes.
    :param config: the host configuration (read your webhook key / verifier token from it).
    :returns: True when the signature is valid. False makes the host answer 401 and store
        nothing. Compare with :func:`hmac.compare_digest`; for the common base64 HMAC-SHA256
        signature the whole hook is ``host.integrations.signatures.verify_signed_delivery(
        headers, "<header>", config, "<key setting>", body)``, which finds the header whatever
        its case.
    :raises: nothing.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def parse_webhook(headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
    """Turn a verified delivery into change notifications.

    **When**: in the worker, for a stored delivery whose signature was verified.

    **Called for**: only the plugin whose provider key is in the URL (firstresult).

    :param headers: the request headers as stored (a case-insensitive mapping, as for
        :func:`verify_webhook`).
    :param body: the raw body as received.
    :returns: a list of :class:`WebhookEvent` (possibly empty: Xero's intent-to-receive check has
        no events). Each event names the tenant; the host routes it to that tenant's connection.
        ``entity`` is one of :data:`WEBHOOK_ENTITIES` (``"invoice"``, ``"credit_note"``,
        ``"payment"``, ``"customer"``, ``"item"``) and ``operation`` one of
        :data:`WEBHOOK_OPERATIONS` (``"create"``, ``"update"``, ``"delete"``, ``"void"``):
        translate the provider's names, drop events about other entities, and call a verb the
        vocabulary has no word for an ``"update"``.
    :raises ValidationError: the payload is malformed (the delivery is marked failed, with the
        reason, and kept for inspection).

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def fetch_changes(connection: Connection, events: list[WebhookEvent]) -> ChangeSet:
    """Fetch what the webhook events point at and report payments and invoice states.

    **When**: in the worker, after :func:`parse_webhook`, with the events of one tenant. While
    that tenant's connection is paused the delivery is only stored; this runs when sync
    resumes, for the stored deliveries in the order they arrived.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the connection of the events' tenant.
    :param events: the events for this connection: invoices, credit notes and payments
        (``customer`` and ``item`` events go to the host's two-way import instead, which asks
        :func:`list_records` for what changed).
    :returns: :class:`ChangeSet` with payments (each with its allocations to invoices, so one
        payment that covers several invoices updates each of them) and invoice states (voided,
        deleted, edited at the provider).
    :raises: ``RateLimited``, ``ProviderDown`` (retried), ``AuthError`` (waits for reconnect).

    **Must**: report each payment with its provider id: the host records it once whatever
    the number of deliveries.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def reconcile(connection: Connection, cursor: str | None) -> ChangeSet:
    """Catch up on everything that changed since the last pass (what webhooks missed).

    **When**: in the worker, periodically for every active connection, and when the admin
    presses "Reconcile now"; never while the connection's sync is paused (one pass runs when
    it resumes).

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: an active connection.
    :param cursor: the ``ChangeSet.cursor`` returned by the previous pass, or None the first time
        (then look back over the invoices this connection pushed).
    :returns: :class:`ChangeSet` with a new ``cursor`` (QuickBooks CDC time, Xero
        If-Modified-Since watermark).
    :raises: ``RateLimited``, ``ProviderDown``, ``AuthError``.

    .. versionadded:: 0.1
    """


# =============================================================================================
# 5. Mapping support
# =============================================================================================


@hookspec(firstresult=True)
def list_mapping_choices(connection: Connection, kind: str) -> list[MappingChoice]:
    """List the provider-side options for a settings field or a mapping kind.

    **When**: in a web request, while the host renders the setup step, the Manage page or a
    mapping form.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the connection.
    :param kind: a ``MappingKind.key`` the plugin declared, or a settings-field name its form
        asks for (``"item"``, ``"account"``, ``"tax_code"``, ``"class"`` ...).
    :returns: active, usable choices only (no archived accounts, no Category items).
    :raises: ``AuthError``, ``ProviderDown``: the page shows the error instead of the choices.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def preview_matches(
    connection: Connection, kind: str, records: list[Any]
) -> list[MatchPreview]:
    """Say, without writing anything, how host records would match at the provider.

    **When**: in a web request, on the reconciliation pass page, before automatic push is on.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the connection.
    :param kind: ``"client"`` (records are :class:`ClientData`) or ``"service_type"`` (records are
        :class:`ServiceTypeData`).
    :param records: the host records to preview.
    :returns: one :class:`MatchPreview` per record: match, create, default or ambiguous.
    :raises: ``AuthError``, ``ProviderDown``.

    **Must not**: create anything at the provider.

    .. versionadded:: 0.1
    """


# =============================================================================================
# 6. Two-way sync: customers, products and invoices from the ledger (owner only)
# =============================================================================================


@hookspec(firstresult=True)
def list_sync_fields(connection: Connection, object: str) -> list[SyncField]:
    """Declare which provider fields of ``object`` can be mapped to host fields.

    **When**: in a web request, while the host renders the Manage page's "What syncs" section,
    and in the worker before an import or a push applies the admin's field choices.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: the connection.
    :param object: one of :data:`SYNC_OBJECTS` (``"customer"``, ``"item"``, ``"invoice"``).
    :returns: the predefined pairs (``predefined=True``, ``host_field`` one of
        ``HOST_FIELDS[object]``; the admin may switch each off unless the host requires it) and
        the extra fields the provider offers (``predefined=False``; the admin pairs one with a
        host field under "Add a mapping"): QuickBooks' invoice custom fields, Xero's Reference,
        a contact's tax number. Return ``[]`` for an object you do not sync.
    :raises: ``AuthError``, ``ProviderDown`` when the fields depend on the provider's settings
        and it cannot be read (QuickBooks' custom fields live in Preferences); the page shows
        the predefined pairs the host knows and the error.

    **Must**: keep keys stable: the admin's choices are stored under them.

    Reference: ``psa_quickbooks.plugin.list_sync_fields`` (custom fields from Preferences).

    .. versionadded:: 0.3
    """


@hookspec(firstresult=True)
def list_records(
    connection: Connection, object: str, cursor: str | None, page_size: int
) -> RecordPage:
    """List one page of the ledger's records of ``object``, mapped to the host's fields.

    **When**: in the worker: page after page during the initial import after the admin turns
    an inbound direction on; then for incremental passes, after a webhook names a record of
    ``object`` (``WebhookEvent.entity`` ``"customer"``, ``"item"`` or ``"invoice"``), on the
    periodic reconcile schedule, and on Retry. The host applies each page (filters, matching,
    validation, conflicts) and stores ``RecordPage.cursor`` before asking for the next, so an
    import interrupted by a restart continues after the last page applied.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: an active connection.
    :param object: one of :data:`SYNC_OBJECTS`.
    :param cursor: None the first time: list **every** record from the beginning, in a stable
        order (QuickBooks: a query ordered by Id with STARTPOSITION; Xero: ``page=N``). Else the
        ``RecordPage.cursor`` of the previous call: the next page, or, after the last page of a
        listing, the records changed since (QuickBooks CDC, Xero If-Modified-Since paging).
        Encode in the cursor whatever you need (position, watermark); the host never reads it.
    :param page_size: how many records the host wants per page at most (the provider's own
        page limit may be smaller).
    :returns: :class:`RecordPage` with :class:`InboundCustomer`, :class:`InboundItem` or
        :class:`InboundInvoice` records (matching ``object``), the cursor to continue from and
        whether more pages follow. Inactive, archived, voided and deleted records are listed
        too (``active=False`` / ``status``), so the host can follow them. A record you cannot
        map is listed with ``problem`` set rather than dropped or raised.
    :raises: ``RateLimited``, ``ProviderDown`` (the host retries the same cursor),
        ``AuthError`` (the import waits for reconnection).

    **Must**: list only what the ledger holds; never write. Return each record once per page
    and keep a watermark overlap small: the host applies a record seen twice only once.
    **Must not**: filter by the admin's filters (the host applies them) or skip records the
    host pushed itself (the host recognises its own records and does not echo them).

    Reference: ``psa_quickbooks.plugin.list_records`` (query paging, then CDC) and
    ``psa_xero.plugin.list_records`` (page=N, then If-Modified-Since).

    .. versionadded:: 0.3
    """


@hookspec(firstresult=True)
def push_record(
    connection: Connection,
    object: str,
    record: ClientData | ServiceTypeData,
    idempotency_key: str,
) -> SyncResult:
    """Create or update a customer or product at the provider from the host record.

    **When**: in the worker, when the customers' or products' direction includes PSA ->
    provider and a host client or service type was created or edited (or when a conflict is
    resolved with "Use PSA data"); retried with the same key after a retryable error.

    **Called for**: only the plugin that owns the connection (firstresult).

    :param connection: an active connection.
    :param object: ``"customer"`` (``record`` is :class:`ClientData`) or ``"item"``
        (:class:`ServiceTypeData`).
    :param record: the host record; ``record.fields`` holds the extra mapped fields' values.
        A predefined field the admin switched off arrives empty: leave the provider's value.
    :param idempotency_key: stable across retries of this push.
    :returns: :class:`SyncResult` with the provider's id (the host links the record to it),
        ``version`` and ``deep_link``.
    :raises MappingError: the record cannot be booked as it is (a name taken by a record of
        another kind); ``ValidationError``, ``ConflictError`` (stale version: the host re-reads
        and applies its conflict policy), ``RateLimited``, ``ProviderDown``, ``AuthError``.

    **Must**: update the record linked to this host record (``connection.mapping("client",
    id)``, then ``connection.refs``) rather than create a second one; find it by the same
    rules the invoice push uses when there is no link yet.

    .. versionadded:: 0.3
    """
