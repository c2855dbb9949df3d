"""The Xero Accounting API client, on the host's authed ``connection.http``.

One :class:`XeroClient` per hook call::

    from psa_xero.api import XeroClient
    xero = XeroClient(connection)
    org = xero.organisation()                      # dict (Organisations[0])
    inv = xero.put("Invoices", {"Invoices": [...]}, key="k-1", action="creating invoice X")

Every Accounting call goes to ``{connection.endpoints["api"]}/api.xro/2.0/...`` with
``xero-tenant-id: connection.tenant_id`` and ``Accept: application/json`` (without it Xero
answers XML). Bodies are serialized with :func:`psa_xero.mappers.dumps` (Decimal amounts as
exact JSON numbers); answers are parsed with Decimal numbers. Writes carry an
``Idempotency-Key`` (max 128 characters; Xero replays the first answer for 6 minutes) and
``summarizeErrors=false`` so a rejected element comes back with its own ``ValidationErrors``.

The host's client adds the bearer token (refreshing it), waits for the declared rate limits and
raises ``RateLimited`` / ``ProviderDown`` / ``AuthError``; every other non-2xx answer is turned
into a typed error with Xero's own message and a fix by :mod:`psa_xero.errors`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from hookspecs import ProviderDown, RateLimited, ValidationError

from . import errors
from .mappers import dumps

log = logging.getLogger(__name__)

API_BASE_URL = "https://api.xero.com"
ACCOUNTING = "/api.xro/2.0"
IDEMPOTENCY_KEY_MAX = 128
PAGE_SIZE = 100


def idempotency_key(base: str, *parts: Any) -> str:
    """A deterministic ``Idempotency-Key`` (<= 128 characters) for one write of a sync record:
    ``idempotency_key(key, "invoice")``. Longer keys are replaced by a hash of themselves."""
    raw = ":".join([str(base), *(str(p) for p in parts if p not in (None, ""))])
    if len(raw) <= IDEMPOTENCY_KEY_MAX:
        return raw
    return "psa-" + hashlib.sha256(raw.encode()).hexdigest()


def body_key(base: str, purpose: str, body: Any) -> str:
    """An idempotency key for a write whose body may change between attempts of one sync
    record (the admin fixed a mapping and pressed Retry): same body -> same key (Xero replays
    the first answer), different body -> a new key (instead of Xero's 400 "already used with a
    different request"). Duplicates are still prevented by the unique invoice number."""
    digest = hashlib.sha256(dumps(body).encode()).hexdigest()[:12]
    return idempotency_key(base, purpose, digest)


def guid(value: str) -> str:
    """A ``where`` Guid literal; refuses anything that is not a plain id."""
    text = str(value)
    if not all(c in "0123456789abcdefABCDEF-" for c in text):
        raise ValidationError(f"{text!r} is not a Xero id.", fix="Check the mapping.")
    return f'Guid("{text}")'


def quote(value: str) -> str:
    """A ``where`` string literal: double quotes, inner quotes and backslashes escaped."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def since_header(moment: datetime, *, precise: bool = False) -> str:
    """``If-Modified-Since`` value in UTC (ISO 8601, as the spec's example); ``precise`` keeps
    the milliseconds (the spec's example has them: ``2020-02-06T12:17:43.202-08:00``), so a
    watermark set to a record's own ``UpdatedDateUTC`` leaves that record out."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    if precise:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class XeroClient:
    """One organisation's Accounting API (and the tenant-less ``/connections``)."""

    def __init__(self, connection, *, tenant_id: str | None = None) -> None:
        self.connection = connection
        self.tenant_id = tenant_id or connection.tenant_id
        self.api_base = ((getattr(connection, "endpoints", None) or {}).get("api")
                         or API_BASE_URL).rstrip("/")
        self.organisation_name = getattr(connection, "tenant_name", None) or ""

    # -- transport -----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                body: Any = None, key: str | None = None, headers: Mapping[str, str] | None = None,
                action: str = "calling Xero", accounting: bool = True,
                allow: Iterable[int] = ()) -> tuple[int, Any, Any]:
        """One HTTP exchange. Returns ``(status, parsed body or None, response headers)`` for a
        2xx answer (or a status listed in ``allow``); raises a typed error otherwise."""
        url = f"{self.api_base}{ACCOUNTING if accounting else ''}/{path.lstrip('/')}"
        send = {"Accept": "application/json"}
        if accounting:
            if not self.tenant_id:
                raise ValidationError(
                    "The Xero connection has no organisation selected.",
                    fix="Finish connecting Xero (choose the organisation) from Settings > "
                        "Integrations.")
            send["xero-tenant-id"] = str(self.tenant_id)
        content = None
        if body is not None:
            content = dumps(body).encode("utf-8")
            send["Content-Type"] = "application/json"
        if key:
            send["Idempotency-Key"] = idempotency_key(key)
        send.update(headers or {})
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            resp = self.connection.http.request(method, url, params=query, content=content,
                                                headers=send)
        except RateLimited as exc:
            raise errors.rate_limited(exc, organisation=self.organisation_name) from exc
        status = resp.status_code
        if status >= 300 and status not in set(allow):
            log.info("Xero %s %s -> %s (correlation %s)", method, path, status,
                     resp.headers.get("Xero-Correlation-Id", ""))
            raise errors.error_for(status, resp.text, action=action, headers=resp.headers,
                                   organisation=self.organisation_name)
        if not resp.content:
            return status, None, resp.headers
        try:
            data = errors.loads(resp.content)
        except ValueError as exc:
            if status >= 300:
                return status, resp.text, resp.headers
            raise ProviderDown(
                f"Xero sent an answer the plugin could not read while {action} (HTTP {status}, "
                f"{resp.headers.get('Content-Type', 'no content type')}).",
                detail=resp.text[:500]) from exc
        return status, data, resp.headers

    def get(self, path: str, *, params: Mapping[str, Any] | None = None,
            modified_since: datetime | None = None, action: str = "reading from Xero",
            precise: bool = False) -> Any:
        headers = {"If-Modified-Since": since_header(modified_since, precise=precise)} \
            if modified_since else None
        status, data, _ = self.request("GET", path, params=params, headers=headers, action=action,
                                       allow=(304,))
        return data if status != 304 else None

    def write(self, method: str, path: str, envelope: str, body: dict, *, key: str | None,
              action: str, params: Mapping[str, Any] | None = None) -> dict:
        """PUT/POST one element wrapped as ``{envelope: [..]}``; returns the saved element.

        Sent with ``summarizeErrors=false``: an element Xero rejected raises its typed error."""
        query = {"summarizeErrors": "false", **(params or {})}
        _, data, _ = self.request(method, path, params=query, body=body, key=key, action=action)
        elements = (data or {}).get(envelope) or []
        if not elements:
            raise ProviderDown(f"Xero's answer to {action} held no {envelope}.",
                               detail=str(data)[:500])
        element = elements[0]
        failure = errors.element_error(element, action=action)
        if failure is not None:
            raise failure
        return element

    def put(self, collection: str, body: dict, *, key: str | None, action: str,
            params: Mapping[str, Any] | None = None) -> dict:
        """Create (``PUT /<collection>``) one element."""
        return self.write("PUT", collection, collection, body, key=key, action=action,
                          params=params)

    def post(self, path: str, envelope: str, body: dict, *, key: str | None, action: str,
             params: Mapping[str, Any] | None = None) -> dict:
        """Create or update (``POST /<path>``, e.g. ``Invoices/{id}``) one element."""
        return self.write("POST", path, envelope, body, key=key, action=action, params=params)

    def get_all(self, collection: str, *, params: Mapping[str, Any] | None = None,
                modified_since: datetime | None = None, action: str = "",
                paged: bool = True) -> list[dict]:
        """Every element of a listing (page by page for the paged collections)."""
        action = action or f"reading {collection} from Xero"
        if not paged:
            data = self.get(collection, params=params, modified_since=modified_since,
                            action=action)
            return list((data or {}).get(collection) or [])
        out: list[dict] = []
        page = 1
        while True:
            query = {**(params or {}), "page": page, "pageSize": PAGE_SIZE}
            data = self.get(collection, params=query, modified_since=modified_since,
                            action=action)
            rows = list((data or {}).get(collection) or [])
            out.extend(rows)
            pagination = (data or {}).get("pagination") or {}
            if len(rows) < PAGE_SIZE or (pagination.get("pageCount")
                                         and page >= int(pagination["pageCount"])):
                return out
            page += 1

    # -- identity (tenant-less) ----------------------------------------------------------------

    def connections(self, auth_event_id: str | None = None) -> list[dict]:
        """``GET /connections``: every organisation this user connected to the app, or only
        those of one authorization (``?authEventId=``)."""
        params = {"authEventId": auth_event_id} if auth_event_id else None
        _, data, _ = self.request("GET", "connections", accounting=False, params=params,
                                  action="listing the organisations you connected")
        return list(data or [])

    def delete_connection(self, connection_id: str) -> None:
        self.request("DELETE", f"connections/{connection_id}", accounting=False,
                     action="disconnecting the organisation")

    # -- settings ------------------------------------------------------------------------------

    def organisation(self) -> dict:
        data = self.get("Organisation", action="reading the organisation")
        orgs = (data or {}).get("Organisations") or []
        if not orgs:
            raise ProviderDown("Xero returned no organisation.", detail=str(data)[:300])
        return orgs[0]

    def currencies(self) -> list[dict]:
        """The organisation's currencies (its base currency and the ones it added)."""
        return self.get_all("Currencies", paged=False, action="reading the currencies")

    def accounts(self, where: str | None = None) -> list[dict]:
        return self.get_all("Accounts", params={"where": where}, paged=False,
                            action="reading the chart of accounts")

    def tax_rates(self) -> list[dict]:
        return self.get_all("TaxRates", paged=False, action="reading the tax rates")

    def tracking_categories(self) -> list[dict]:
        return self.get_all("TrackingCategories", paged=False,
                            action="reading the tracking categories")

    def items(self) -> list[dict]:
        return self.get_all("Items", paged=False, action="reading the items")

    def item(self, item_id: str) -> dict | None:
        """One item by its ItemID (None when Xero has no such item)."""
        try:
            guid(item_id)
            data = self.get(f"Items/{item_id}", action="reading the item")
        except (errors.NotFoundError, ValidationError):
            return None
        rows = (data or {}).get("Items") or []
        return rows[0] if rows else None

    def item_by_code(self, code: str) -> dict | None:
        """The item with this ``Code`` (``where=Code=="..."``; the path takes only ids)."""
        rows = self.get_all("Items", params={"where": f"Code=={quote(code)}"}, paged=False,
                            action="looking up the item by code")
        return next((r for r in rows if str(r.get("Code") or "").casefold()
                     == code.casefold()), None)

    # -- contacts ------------------------------------------------------------------------------

    def contacts(self, *, where: str | None = None, include_archived: bool = False,
                 search: str | None = None) -> list[dict]:
        params = {"where": where, "searchTerm": search,
                  "includeArchived": "true" if include_archived else None}
        return self.get_all("Contacts", params=params, action="searching the contacts")

    def contact(self, contact_id: str) -> dict | None:
        try:
            data = self.get(f"Contacts/{contact_id}", action="reading the contact")
        except errors.NotFoundError:
            return None
        rows = (data or {}).get("Contacts") or []
        return rows[0] if rows else None

    # -- invoices ------------------------------------------------------------------------------

    def invoice(self, invoice_id: str) -> dict | None:
        """One invoice by id (None when Xero has no such invoice)."""
        try:
            data = self.get(f"Invoices/{invoice_id}", action="reading the invoice")
        except errors.NotFoundError:
            return None
        rows = (data or {}).get("Invoices") or []
        return rows[0] if rows else None

    def invoices(self, *, ids: Iterable[str] = (), numbers: Iterable[str] = (),
                 statuses: Iterable[str] = (), where: str | None = None,
                 modified_since: datetime | None = None, summary_only: bool = False) -> list[dict]:
        params = {"IDs": ",".join(ids) or None, "InvoiceNumbers": ",".join(numbers) or None,
                  "Statuses": ",".join(statuses) or None, "where": where,
                  "summaryOnly": "true" if summary_only else None}
        return self.get_all("Invoices", params=params, modified_since=modified_since,
                            action="searching the invoices")

    def email_invoice(self, invoice_id: str, *, key: str | None) -> None:
        """``POST /Invoices/{id}/Email`` (204): Xero emails the invoice to the contact."""
        self.request("POST", f"Invoices/{invoice_id}/Email", body={}, key=key,
                     action="emailing the invoice to the customer")

    # -- credit notes --------------------------------------------------------------------------

    def credit_note(self, credit_note_id: str) -> dict | None:
        try:
            data = self.get(f"CreditNotes/{credit_note_id}", action="reading the credit note")
        except errors.NotFoundError:
            return None
        rows = (data or {}).get("CreditNotes") or []
        return rows[0] if rows else None

    def credit_notes(self, *, where: str | None = None,
                     modified_since: datetime | None = None) -> list[dict]:
        return self.get_all("CreditNotes", params={"where": where},
                            modified_since=modified_since, action="searching the credit notes")

    def allocate(self, credit_note_id: str, body: dict, *, key: str | None,
                 action: str = "allocating the credit note to its invoice") -> dict:
        """``PUT /CreditNotes/{id}/Allocations``; returns the allocation."""
        return self.write("PUT", f"CreditNotes/{credit_note_id}/Allocations", "Allocations",
                          body, key=key, action=action)

    # -- payments ------------------------------------------------------------------------------

    def payment(self, payment_id: str) -> dict | None:
        try:
            data = self.get(f"Payments/{payment_id}", action="reading the payment")
        except errors.NotFoundError:
            return None
        rows = (data or {}).get("Payments") or []
        return rows[0] if rows else None

    def payments(self, *, where: str | None = None,
                 modified_since: datetime | None = None) -> list[dict]:
        return self.get_all("Payments", params={"where": where}, modified_since=modified_since,
                            action="reading the payments")


def client(connection) -> XeroClient:
    return XeroClient(connection)


def parse_xero_datetime(value: Any) -> datetime | None:
    """``/Date(1552262400000+0000)/`` or an ISO string (``2026-03-10T09:15:42``, with or
    without a zone) -> an aware UTC datetime; None for empty values."""
    import re

    if not value:
        return None
    text = str(value)
    match = re.match(r"^/Date\((-?\d+)([+-]\d{4})?\)/$", text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_xero_date(value: Any, string_value: Any = None):
    """A ``date`` from Xero's ``DateString`` (preferred: org-local calendar date) or ``Date``."""
    if string_value:
        moment = parse_xero_datetime(string_value)
        if moment:
            return moment.date()
    moment = parse_xero_datetime(value)
    return moment.date() if moment else None
