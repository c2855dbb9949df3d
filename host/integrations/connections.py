"""Connection lifecycle in the host: activate (replacing the old one), disconnect, queries.

Exclusivity is the database's job: the partial unique index
``uq_connections_one_active_financial_per_bu`` allows one active financial connection per
business unit. :func:`activate` marks the old one ``replaced`` and the new one ``connected`` in
ONE transaction; a concurrent activation for the same business unit hits the index and gets
:class:`ConcurrentConnectError`.

Signals (blinker, sent after commit, ``sender`` = the ``Connection``), for the sync engine:

* ``connection_activated`` (kwarg ``replaced``: the previous connection or None);
* ``connection_reconnected``: fresh tokens after ``needs_reauth``; parked work can resume;
* ``connection_disconnected``: the admin disconnected; stop syncing.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.exc import IntegrityError

from host.contract.errors import PluginFailure
from host.contract.types import Tenant
from host.extensions import db
from host.models.connection import ACTIVE_STATUSES, Connection
from host.models.mixins import utcnow

log = logging.getLogger(__name__)

_signals = Namespace()
connection_activated = _signals.signal("connection-activated")
connection_reconnected = _signals.signal("connection-reconnected")
connection_disconnected = _signals.signal("connection-disconnected")


class ConcurrentConnectError(Exception):
    """Another connection of this business unit was completed at the same moment."""


def active_connection(business_unit_id: int, category: str = "financial") -> Connection | None:
    """The business unit's active (connected or needs_reauth) connection of ``category``."""
    return db.session.execute(
        sa.select(Connection).where(
            Connection.business_unit_id == business_unit_id,
            Connection.category == category,
            Connection.status.in_(ACTIVE_STATUSES),
        )
    ).scalar_one_or_none()


def mark_needs_reauth(connection_id: int, reason: str) -> None:
    """Set ``needs_reauth`` on a connected connection (own short transaction)."""
    table = Connection.__table__
    with db.engine.begin() as conn:
        conn.execute(
            table.update().where(table.c.id == connection_id, table.c.status == "connected")
            .values(status="needs_reauth", status_reason=reason, updated_at=utcnow())
        )


def say_goodbye(connection: Connection) -> bool:
    """Best effort: the plugin's ``on_disconnect`` and the host's token revocation."""
    from host.integrations import oauth
    from host.integrations.dispatch import call_owner
    from host.integrations.registry import get_registry
    from host.security.crypto import decrypt_tokens

    confirmed = False
    registry = get_registry()
    if connection.provider_key not in registry or not connection.token_ciphertext:
        return False
    try:
        confirmed = bool(call_owner(connection, "on_disconnect"))
    except PluginFailure:  # logged by the guard; a plugin failing must not block disconnecting
        pass
    except Exception:  # noqa: BLE001 - a provider error: still disconnect
        log.warning("on_disconnect failed for connection %s", connection.id, exc_info=True)
    try:
        tokens = decrypt_tokens(connection.token_ciphertext)
        revoked = oauth.revoke(registry[connection.provider_key].oauth, tokens)
    except Exception:  # noqa: BLE001
        log.warning("revoking the token of connection %s failed", connection.id, exc_info=True)
        revoked = False
    return confirmed or revoked


def _wipe(connection: Connection, status: str, reason: str | None = None) -> None:
    connection.status = status
    connection.status_reason = reason
    connection.token_ciphertext = None
    connection.token_expires_at = None
    connection.disconnected_at = utcnow()


def activate(connection: Connection, tenant: Tenant, user_id: int | None) -> Connection | None:
    """Make ``connection`` the business unit's active one, replacing the previous one.

    Calls the old connection's goodbye (on_disconnect + revoke) first, then in ONE transaction
    marks it ``replaced`` and the new one ``connected``. Returns the replaced connection.
    Raises :class:`ConcurrentConnectError` when the unique index refuses (and discards the new
    connection).
    """
    old = active_connection(connection.business_unit_id, connection.category)
    if old is not None and old.id != connection.id:
        say_goodbye(old)
        _wipe(old, "replaced", f"replaced by {connection.provider_key} connection {connection.id}")
    connection.tenant_id = tenant.id
    connection.tenant_name = tenant.name
    connection.tenant_short_code = tenant.short_code or None
    resume_earlier(connection)
    connection.status = "connected"
    connection.status_reason = None
    connection.connected_at = utcnow()
    connection.connected_by_id = user_id
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        discarded = db.session.get(Connection, connection.id)
        _wipe(discarded, "disconnected", "another connection was completed at the same time")
        db.session.commit()
        raise ConcurrentConnectError(str(exc.orig)) from exc
    replaced = old if old is not None and old.id != connection.id else None
    connection_activated.send(connection, replaced=replaced)
    return replaced


def resume_earlier(connection: Connection) -> Connection | None:
    """The same company connected again (after Disconnect or a switch away and back): the new
    connection takes over the newest earlier connection of this business unit, provider and
    tenant -- its sync records, remembered external ids, mappings, provider payments, settings,
    automatic push switch and reconciliation cursor -- so edits, voids and payments of invoices pushed before keep
    finding their provider copies and nothing is matched or pushed twice. The caller commits.
    Returns the earlier connection, or None."""
    from host.models import ConnectionMapping, ExternalRefRow, Payment, SyncRecord

    earlier = db.session.scalars(
        sa.select(Connection).where(
            Connection.business_unit_id == connection.business_unit_id,
            Connection.provider_key == connection.provider_key,
            Connection.tenant_id == connection.tenant_id,
            Connection.id != connection.id,
            Connection.status.in_(("disconnected", "replaced")),
        ).order_by(Connection.id.desc())
    ).first()
    if earlier is None or connection.tenant_id is None:
        return None
    for model in (SyncRecord, ExternalRefRow, ConnectionMapping, Payment):
        db.session.execute(sa.update(model).where(model.connection_id == earlier.id)
                           .values(connection_id=connection.id))
    connection.settings = {**(earlier.settings or {}), **(connection.settings or {})}
    connection.auto_push = earlier.auto_push  # its held records come along, still held
    connection.reconcile_cursor = connection.reconcile_cursor or earlier.reconcile_cursor
    earlier.status_reason = (f"{earlier.status_reason + '; ' if earlier.status_reason else ''}"
                             f"resumed by connection {connection.id}")
    return earlier


def disconnect(connection: Connection) -> bool:
    """Admin pressed Disconnect: goodbye, then tokens wiped and status ``disconnected``.
    Data on both sides is left as it is. Returns whether the provider confirmed."""
    confirmed = say_goodbye(connection)
    _wipe(connection, "disconnected", None if confirmed else
          "the provider could not be told; remove the app there if it is still listed")
    db.session.commit()
    connection_disconnected.send(connection)
    return confirmed


def discard_pending(connection: Connection, reason: str) -> None:
    """A pending connection whose set-up failed (the provider refused, the plugin failed or
    did not answer in time): its tokens are revoked (best effort) and the row is deleted with
    anything remembered for it, so nothing holds the grant and no "previous connection" that
    never was appears. The business unit's active connection is untouched."""
    from host.models import ConnectionMapping, ExternalRefRow

    say_goodbye_revoke_only(connection)
    log.info("pending %s connection %s discarded: %s", connection.provider_key, connection.id,
             reason)
    for model in (ExternalRefRow, ConnectionMapping):
        db.session.execute(sa.delete(model).where(model.connection_id == connection.id))
    db.session.delete(connection)
    db.session.commit()


def say_goodbye_revoke_only(connection: Connection) -> None:
    from host.integrations import oauth
    from host.integrations.registry import get_registry
    from host.security.crypto import decrypt_tokens

    registry = get_registry()
    if connection.provider_key in registry and connection.token_ciphertext:
        try:
            oauth.revoke(registry[connection.provider_key].oauth,
                         decrypt_tokens(connection.token_ciphertext))
        except Exception:  # noqa: BLE001
            log.warning("revoking pending connection %s failed", connection.id, exc_info=True)
