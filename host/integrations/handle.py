"""The plugin-facing connection handle (implements ``hookspecs.Connection``).

A handle is a snapshot of one ``Connection`` row plus three services:

* ``http``: an :class:`httpx.Client` whose auth flow adds the bearer token, refreshes it shortly
  before expiry and once on a 401 (serialized across processes, see
  :func:`host.integrations.oauth.refresh_serialized`), waits for the provider's declared rate
  limits and ``max_concurrency`` (shared across processes, see
  :mod:`host.integrations.ratelimit`), raises
  ``RateLimited`` on 429 and ``ProviderDown`` on timeouts and transport errors;
* ``refs``: external ids the plugin remembers per ``(kind, host_id)`` (table ``external_refs``);
* ``mapping(kind, host_id)``: the admin's choice (table ``mappings``);
* ``tax_rates()``: the organization's active tax rates (what a tax mapping table lists).

Writes go through short transactions of their own on the engine (never the caller's session),
so a remembered external id survives a hook that fails afterwards. Build handles with
:func:`handle_for` inside an app context; after that the handle needs no context.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, Mapping

import httpx
import sqlalchemy as sa

from host.contract.errors import AuthError, ProviderDown, RateLimited
from host.contract.types import ProviderInfo, TaxRateData
from host.integrations import oauth, ratelimit
from host.security.crypto import TokenBox, token_extra

#: Refresh this many seconds before the access token expires.
REFRESH_MARGIN_SECONDS = 120


class ExternalRefStore:
    """``connection.refs``: remembered external ids of one connection."""

    def __init__(self, engine, connection_id: int) -> None:
        from host.models.external_ref import ExternalRefRow

        self._engine = engine
        self._cid = connection_id
        self._t = ExternalRefRow.__table__

    def get(self, kind: str, host_id: int | str) -> str | None:
        t = self._t
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(t.c.external_id).where(
                    t.c.connection_id == self._cid, t.c.kind == kind, t.c.host_id == str(host_id)
                )
            ).scalar_one_or_none()

    def host_id_for(self, kind: str, external_id: str) -> str | None:
        t = self._t
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(t.c.host_id).where(
                    t.c.connection_id == self._cid, t.c.kind == kind,
                    t.c.external_id == str(external_id),
                ).limit(1)
            ).scalar_one_or_none()

    def remember(self, kind: str, host_id: int | str, external_id: str) -> None:
        from host.models.mixins import utcnow

        t = self._t
        now = utcnow()
        from host.models.dialect_insert import insert_for

        stmt = insert_for(self._engine, t).values(
            connection_id=self._cid, kind=kind, host_id=str(host_id),
            external_id=str(external_id), created_at=now, updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["connection_id", "kind", "host_id"],
            set_={"external_id": str(external_id), "updated_at": now},
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)


class _HostAuth(httpx.Auth):
    def __init__(self, handle: "ConnectionHandle") -> None:
        self.handle = handle

    def auth_flow(self, request: httpx.Request):
        h = self.handle
        request.headers["Authorization"] = f"Bearer {h.access_token()}"
        slots = h.wait_for_rate_limits(request)
        lease_id = h.take_slot(request)
        try:
            response = yield request
        finally:
            h.release_slot(lease_id)
            h.rate_limited_request_answered(slots)
        if response.status_code == 401:
            h.refresh_now()
            request.headers["Authorization"] = f"Bearer {h.access_token()}"
            slots = h.wait_for_rate_limits(request)
            lease_id = h.take_slot(request)
            try:
                response = yield request
            finally:
                h.release_slot(lease_id)
                h.rate_limited_request_answered(slots)
        if response.status_code == 429:
            response.read()
            error = RateLimited(
                f"{h.provider_label} is throttling requests",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                code="429", detail=response.text[:500],
            )
            #: the 429's headers, for plugins that read a provider-specific one
            #: (Xero's ``X-Rate-Limit-Problem``: minute, day, concurrent ...)
            error.headers = dict(response.headers)
            raise error


class ProviderHttpClient(httpx.Client):
    """httpx.Client that turns transport failures into ``ProviderDown``."""

    provider_label = "The provider"

    def send(self, request, **kwargs):
        try:
            return super().send(request, **kwargs)
        except httpx.TimeoutException as exc:
            raise ProviderDown(f"{self.provider_label} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ProviderDown(f"{self.provider_label} could not be reached") from exc


def _period(seconds: float) -> str:
    named = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}
    return named.get(int(seconds), f"{seconds:g} seconds") if seconds == int(seconds) else \
        f"{seconds:g} seconds"


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class ConnectionHandle:
    """What a plugin hook receives as ``connection``."""

    def __init__(self, *, row, info: ProviderInfo, engine, box: TokenBox,
                 settings: Mapping[str, Any] | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None, max_rate_wait: float = 120.0):
        self.id: int = row.id
        self.provider_key: str = row.provider_key
        self.business_unit_id: int = row.business_unit_id
        self.business_unit_name: str = row.business_unit.name if row.business_unit else ""
        self._organization_id = row.business_unit.organization_id if row.business_unit else None
        self.tenant_id: str | None = row.tenant_id
        self.tenant_name: str | None = row.tenant_name
        #: the tenant's short code when the provider has one (Xero ShortCode, for deep links)
        self.tenant_short_code: str | None = getattr(row, "tenant_short_code", None)
        self.status: str = row.status
        self.settings: Mapping[str, Any] = MappingProxyType(
            dict(row.settings or {}) if settings is None else dict(settings)
        )
        self.provider_label = info.label
        self.endpoints: Mapping[str, str] = MappingProxyType(dict(info.endpoints))
        self._info = info
        self._engine = engine
        self._box = box
        self._tokens = box.decrypt(row.token_ciphertext)
        self._version: int = row.token_version or 0
        self._timeout = timeout
        #: how long a request may stay unanswered: connect + read, each up to ``timeout``
        self._in_flight_bound = timeout * 2 + 10
        self._transport = transport
        self._max_rate_wait = max_rate_wait
        self._http: ProviderHttpClient | None = None
        self.refs = ExternalRefStore(engine, row.id)

    def __repr__(self) -> str:  # never shows tokens
        return f"<ConnectionHandle {self.id} {self.provider_key} bu={self.business_unit_id}>"

    @property
    def token_extra(self) -> Mapping[str, Any]:
        return MappingProxyType(token_extra(self._tokens))

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            client = ProviderHttpClient(auth=_HostAuth(self), timeout=self._timeout,
                                        transport=self._transport)
            client.provider_label = self.provider_label
            self._http = client
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def mapping(self, kind: str, host_id: int | str) -> str | None:
        from host.models.external_ref import ConnectionMapping

        t = ConnectionMapping.__table__
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(t.c.external_id).where(
                    t.c.connection_id == self.id, t.c.kind == kind, t.c.host_id == str(host_id)
                )
            ).scalar_one_or_none()

    def tax_rates(self) -> tuple[TaxRateData, ...]:
        from host.models.tax_rate import TaxRate

        t = TaxRate.__table__
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.id, t.c.name, t.c.rate).where(
                t.c.organization_id == self._organization_id, t.c.active.is_(True),
            ).order_by(t.c.name)).all()
        return tuple(TaxRateData(id=r.id, name=r.name, rate=r.rate) for r in rows)

    def sync_direction(self, object: str) -> str:
        from host.models.sync_object import SyncObjectSetting
        from host.sync.twoway.settings import DEFAULT_DIRECTIONS

        t = SyncObjectSetting.__table__
        with self._engine.connect() as conn:
            chosen = conn.execute(sa.select(t.c.direction).where(
                t.c.connection_id == self.id, t.c.object == object)).scalar_one_or_none()
        return chosen or DEFAULT_DIRECTIONS.get(object, "off")

    # -- tokens ---------------------------------------------------------------------------------

    def access_token(self) -> str:
        if self.status in ("needs_reauth", "disconnected", "replaced"):
            raise AuthError(f"The {self.provider_label} connection needs to be reconnected")
        expires_at = self._tokens.get("expires_at")
        if expires_at and float(expires_at) - REFRESH_MARGIN_SECONDS <= time.time():
            self.refresh_now()
        token = self._tokens.get("access_token")
        if not token:
            raise AuthError(f"The {self.provider_label} connection has no token")
        return token

    def refresh_now(self) -> None:
        try:
            self._tokens, self._version = oauth.refresh_serialized(
                self._engine, self._box, self._info.oauth, self.id, self._version
            )
        except AuthError:
            self.status = "needs_reauth"
            raise

    # -- rate limits ----------------------------------------------------------------------------

    def tenant_of(self, request: httpx.Request) -> str | None:
        """The tenant ``request`` addresses (``ProviderInfo.request_tenant``), else the
        connection's: the one the provider counts the request against."""
        read = self._info.request_tenant
        return (read(request) if read else None) or self.tenant_id

    def take_slot(self, request: httpx.Request) -> int | None:
        """An in-flight slot when the provider declared ``max_concurrency`` (else None)."""
        if not self._info.max_concurrency:
            return None
        tenant = self.tenant_of(request)
        owner = f"tenant:{self.provider_key}:{tenant}" if tenant else f"conn:{self.id}"
        return ratelimit.lease(self._engine, f"{owner}:inflight", self._info.max_concurrency,
                               ttl=self._in_flight_bound, max_wait=self._max_rate_wait)

    def release_slot(self, lease_id: int | None) -> None:
        if lease_id is not None:
            ratelimit.release(self._engine, lease_id)

    def wait_for_rate_limits(self, request: httpx.Request) -> list:
        """A slot of every declared rate limit for ``request``'s tenant (:meth:`tenant_of`):
        ``[(lease id, limit)]`` for :meth:`rate_limited_request_answered`."""
        slots = []
        tenant = self.tenant_of(request)
        for index, limit in enumerate(self._info.rate_limits):
            key = ratelimit.bucket_key(limit, index, self.provider_key, self.id, tenant)
            try:
                slots.append((ratelimit.acquire(self._engine, key, limit,
                                                max_wait=self._max_rate_wait,
                                                in_flight=self._in_flight_bound), limit))
            except RateLimited as exc:
                wait = round(exc.retry_after or 0)
                raise RateLimited(
                    f"{self.provider_label} allows {limit.requests} requests per "
                    f"{_period(limit.per_seconds)} for this company, and they are used up: the "
                    f"next one is possible in {wait} s.",
                    fix="Nothing to change: work in the queue waits and retries by itself; on a "
                        "settings page, try again in a moment.",
                    retry_after=exc.retry_after) from exc
        return slots

    def rate_limited_request_answered(self, slots: list) -> None:
        """Count the request in its windows from its answer on (see ``ratelimit.answered``)."""
        for lease_id, limit in slots:
            ratelimit.answered(self._engine, lease_id, limit)


def _max_rate_wait(app) -> float:
    """How long a request may wait for a rate-limit slot: long in the worker (a job holds
    on rather than failing), short in a web request (an admin is looking at the page)."""
    from flask import has_request_context

    if has_request_context():
        return float(app.config.get("PSA_RATE_LIMIT_MAX_WAIT_WEB", 5))
    return float(app.config.get("PSA_RATE_LIMIT_MAX_WAIT", 120))


def handle_for(connection, *, settings: Mapping[str, Any] | None = None, app=None,
               transport: httpx.BaseTransport | None = None) -> ConnectionHandle:
    """A handle on ``connection`` (a ``host.models.Connection``) for the current app."""
    from flask import current_app

    from host.extensions import db
    from host.integrations.registry import get_registry
    from host.security.crypto import token_box

    app = app or current_app._get_current_object()
    info = get_registry(app)[connection.provider_key]
    return ConnectionHandle(
        row=connection, info=info, engine=db.engine, box=token_box(app), settings=settings,
        timeout=float(app.config.get("PSA_HTTP_TIMEOUT", 30)), transport=transport,
        max_rate_wait=_max_rate_wait(app),
    )
