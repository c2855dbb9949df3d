"""The QuickBooks Online Accounting API v3 client, on the host's authed ``connection.http``.

Every call goes to ``{connection.endpoints["api"]}/v3/company/{realmId}/...`` with
``minorversion=75`` and ``Accept: application/json`` (reference 2.1-2.3). Writes carry
``?requestid=`` (reference 2.4): QuickBooks replays the first answer for a repeated id, so a
write retried after a lost response never makes a second object. The host's client adds the
bearer token (refreshing it), waits for the declared rate limits and raises ``RateLimited`` /
``ProviderDown`` / ``AuthError``; everything else QuickBooks answers is parsed here, and every
fault (also a 200 carrying a ``Fault``) is raised as a typed error by :mod:`.faults`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any, Iterable

from hookspecs import MappingError, ProviderDown, RateLimited, ValidationError

from . import faults
from .info import API_BASE_URL

log = logging.getLogger(__name__)

MINOR_VERSION = "75"
#: QuickBooks' limit on ``requestid`` for single writes (batch: 36).
REQUEST_ID_MAX = 50
#: Rows per query page (QuickBooks' maximum ``MAXRESULTS``).
PAGE_SIZE = 1000


def request_id(idempotency_key: str, *parts: str) -> str:
    """A deterministic ``requestid`` of at most 50 characters for one write.

    ``parts`` derive distinct ids for the several writes of one sync record
    (``request_id(key, "customer")``); a longer id is replaced by a hash of it.
    """
    raw = "-".join([str(idempotency_key), *(str(p) for p in parts if p)])
    if len(raw) <= REQUEST_ID_MAX:
        return raw
    return "psa-" + hashlib.sha256(raw.encode()).hexdigest()[: REQUEST_ID_MAX - 4]


def quote(text: str) -> str:
    """A query string literal: single quotes, backslash before ``\\`` and ``'`` (reference 4)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def resource(entity: str) -> str:
    """The URL segment of an entity: ``CreditMemo`` -> ``creditmemo``."""
    return entity.lower()


class QboClient:
    """One company's API, for the length of one hook call."""

    def __init__(self, connection, realm: str | None = None) -> None:
        """``realm`` overrides ``connection.tenant_id`` (``on_connect``: not chosen yet)."""
        self.connection = connection
        realm = realm or connection.tenant_id
        if not realm:
            raise ValidationError(
                "The QuickBooks connection has no company selected.",
                fix="Finish connecting QuickBooks (choose the company) from Settings > "
                    "Integrations.")
        self.realm: str = str(realm)
        api = (connection.endpoints or {}).get("api") or API_BASE_URL
        self.base = f"{api.rstrip('/')}/v3/company/{self.realm}"
        #: the ``time`` of QuickBooks' last answer (its own clock), '' before the first
        self.last_time: str = ""

    # -- transport -----------------------------------------------------------------------------

    def call(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
             content: bytes | str | None = None, content_type: str | None = None,
             action: str = "") -> dict:
        """One request; returns the parsed JSON envelope or raises a typed error."""
        query = {"minorversion": MINOR_VERSION}
        query.update({k: v for k, v in (params or {}).items() if v is not None})
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        url = f"{self.base}/{path.lstrip('/')}"
        try:
            resp = self.connection.http.request(method, url, params=query, json=json,
                                                content=content, headers=headers)
        except RateLimited as exc:
            raise faults.error_for(429, None, action=action, retry_after=exc.retry_after) from exc
        tid = resp.headers.get("intuit_tid", "")
        if resp.status_code >= 400:
            log.info("QuickBooks %s %s -> %s (intuit_tid %s)", method, path, resp.status_code, tid)
            raise faults.error_for(resp.status_code, resp.text, action=action)
        try:
            data = resp.json()
        except ValueError as exc:
            faults_found = faults.parse(resp.text)
            if faults_found:
                raise faults.error_for(resp.status_code, resp.text, action=action) from exc
            raise ProviderDown(
                f"QuickBooks sent an answer the plugin could not read (HTTP {resp.status_code}).",
                detail=f"intuit_tid {tid}") from exc
        if isinstance(data, dict) and ("Fault" in data or "fault" in data) and faults.parse(data):
            raise faults.error_for(resp.status_code, data, action=action)
        if isinstance(data, dict) and isinstance(data.get("time"), str):
            self.last_time = data["time"]
        return data

    # -- reads ---------------------------------------------------------------------------------

    def company_info(self) -> dict:
        return self.call("GET", f"companyinfo/{self.realm}",
                         action="reading the company")["CompanyInfo"]

    def preferences(self) -> dict:
        return self.call("GET", "preferences", action="reading the company's preferences")[
            "Preferences"]

    def read(self, entity: str, ident: str) -> dict:
        """The entity, unwrapped. An unknown or deleted Id raises ``NotFoundError``."""
        try:
            return self.call("GET", f"{resource(entity)}/{ident}",
                             action=f"reading {entity} {ident}")[entity]
        except MappingError as exc:
            if exc.code == "610":
                raise faults.not_found(entity, ident, detail=exc.detail) from exc
            raise

    def query(self, statement: str) -> list[dict]:
        """One page of rows (the entity's list in ``QueryResponse``; [] when none)."""
        data = self.call("GET", "query", params={"query": statement},
                         action="searching QuickBooks")
        found = data.get("QueryResponse") or {}
        return next((v for v in found.values() if isinstance(v, list)), [])

    def query_all(self, entity: str, where: str = "", *, select: str = "*",
                  page_size: int = PAGE_SIZE) -> list[dict]:
        """Every row of ``SELECT <select> FROM <entity> [WHERE ...]``, page by page."""
        rows: list[dict] = []
        start = 1
        clause = f" WHERE {where}" if where else ""
        while True:
            page = self.query(f"SELECT {select} FROM {entity}{clause} "
                              f"STARTPOSITION {start} MAXRESULTS {page_size}")
            rows.extend(page)
            if len(page) < page_size:
                return rows
            start += page_size

    # -- writes --------------------------------------------------------------------------------

    def create(self, entity: str, body: dict, *, request_id: str | None = None,
               action: str = "") -> dict:
        return self.call("POST", resource(entity), params={"requestid": request_id}, json=body,
                         action=action or f"creating the {entity}")[entity]

    def update(self, entity: str, body: dict, *, request_id: str | None = None,
               sparse: bool = True, action: str = "") -> dict:
        """Full or sparse update; ``body`` holds ``Id`` and the current ``SyncToken``."""
        payload = dict(body, sparse=True) if sparse else dict(body)
        return self.call("POST", resource(entity), params={"requestid": request_id}, json=payload,
                         action=action or f"updating the {entity}")[entity]

    def void(self, entity: str, ident: str, sync_token: str, *, request_id: str | None = None,
             action: str = "") -> dict:
        """Void a transaction. Invoices: ``?operation=void``; payments (and sales receipts):
        a sparse update with ``include=void`` (reference 2.1)."""
        body = {"Id": str(ident), "SyncToken": str(sync_token)}
        if entity in ("Payment", "SalesReceipt"):
            params = {"operation": "update", "include": "void", "requestid": request_id}
            body["sparse"] = True
        else:
            params = {"operation": "void", "requestid": request_id}
        return self.call("POST", resource(entity), params=params, json=body,
                         action=action or f"voiding the {entity}")[entity]

    def delete(self, entity: str, ident: str, sync_token: str, *, request_id: str | None = None,
               action: str = "") -> dict:
        return self.call("POST", resource(entity),
                         params={"operation": "delete", "requestid": request_id},
                         json={"Id": str(ident), "SyncToken": str(sync_token)},
                         action=action or f"deleting the {entity}")[entity]

    def send(self, entity: str, ident: str, *, send_to: str | None = None,
             request_id: str | None = None, action: str = "") -> dict:
        """Email the document (``POST <entity>/<id>/send[?sendTo=]``); returns the entity."""
        return self.call("POST", f"{resource(entity)}/{ident}/send",
                         params={"sendTo": send_to, "requestid": request_id}, content=b"",
                         content_type="application/octet-stream",
                         action=action or f"emailing the {entity}")[entity]

    def cdc(self, entities: Iterable[str], changed_since: datetime | str) -> tuple[dict[str, list[dict]], str]:
        """Change data capture: ({entity: [objects]}, the answer's ``time``).

        Deleted objects come as ``{"Id", "status": "Deleted", ...}`` (reference 6).
        """
        since = changed_since.isoformat() if isinstance(changed_since, datetime) else changed_since
        data = self.call("GET", "cdc", params={"entities": ",".join(entities),
                                               "changedSince": since},
                         action="reading changes")
        out: dict[str, list[dict]] = {}
        for block in data.get("CDCResponse") or []:
            for qr in block.get("QueryResponse") or []:
                for key, value in (qr or {}).items():
                    if isinstance(value, list):
                        out.setdefault(key, []).extend(value)
        return out, str(data.get("time") or "")
