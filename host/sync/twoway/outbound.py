"""Customers and products out: host clients and service types pushed with ``push_record``.

Pushes go through the same outbox, worker, retries and idempotency keys as invoices
(``host.sync.outbox``, ``host.sync.tasks``): a :class:`~host.models.SyncRecord` of
``object_type`` ``"client"`` or ``"service_type"``, per connection, written in the transaction
that saved the host record and enqueued after its commit.

When a save is pushed (``host.events.client_saved`` / ``service_type_saved``, sent by the
clients' and service types' forms and the API; never by two-way sync's import, so what came
from the ledger does not bounce back), for every active connection of the organization whose
object setting sends PSA -> provider (direction ``out`` or ``both``):

* **customers**, direction ``both``: every client created or edited is pushed (the two sides
  mirror each other);
* **customers**, direction ``out`` (today's default): a client already at the provider (linked,
  mapped by the admin, or with an invoice pushed there) is updated when edited; a new client
  is created at the provider with its first invoice, as before two-way sync existed -- the
  ledger does not fill with clients who are never billed;
* **products**, direction ``out`` or ``both``: every service type created or edited is pushed
  (created at the provider, then updated), and invoice lines then book to that item;
* a save that changes none of the synced fields (the link's fingerprint still matches) pushes
  nothing.

Automatic push off holds these records like invoices (``host.sync.hold``); a paused sync keeps
them until it resumes.

After a successful push (:func:`after_push`, called by the worker before it commits the
result) the host links the record: the :class:`~host.models.SyncLink` (origin ``host`` when it
is new) gets the host id, the provider's version and the fingerprint of the values pushed, and
the connection's mapping (``"client"``, or the plugin's service type mapping kind) points at
the provider's id, so the next invoice books to it and the next inbound pass finds the ledger
holding what the host holds: nothing changes, nothing is pushed back (echo suppression).
Invoice pushes write an ``invoice`` link too, and their client's when the plugin created it.

:func:`push_back` is what the engine calls when a conflict is resolved with "Use PSA data";
:func:`export_existing` sends what the provider does not have yet when the What syncs card
switches an outbound direction on; :func:`push_invoice_now` is the invoice page's "Push to
<provider> now".
"""

from __future__ import annotations

import sqlalchemy as sa

from host import events
from host.extensions import db
from host.models import Client, Invoice, ServiceType, SyncLink, SyncRecord
from host.models.connection import ACTIVE_STATUSES, Connection
from host.models.external_ref import ConnectionMapping
from host.models.mixins import utcnow
from host.sync import outbox
from host.sync.twoway.conflicts import as_text, fingerprint
from host.sync.twoway.outbound_data import HOST_MODELS, FieldPlan, host_values, mapping_kind

#: ``SyncRecord.object_type`` -> the sync object ``push_record`` receives.
OBJECTS = {"client": "customer", "service_type": "item"}
#: The sync object -> ``SyncRecord.object_type``.
RECORD_TYPES = {v: k for k, v in OBJECTS.items()}
#: Invoice statuses "Push now" accepts: open invoices.
OPEN_STATUSES = ("sent", "partially_paid")
#: ``SyncEvent.kind`` of the admin's "Push now", with and without emailing.
PUSH_NOW_KINDS = {"push_now_email": True, "push_now_no_email": False}

_connected = False


def connect_receivers() -> None:
    """Connect the receivers once per process (called by ``outbox.connect_receivers``)."""
    global _connected
    if _connected:
        return
    events.client_saved.connect(on_client_saved, weak=False)
    events.service_type_saved.connect(on_service_type_saved, weak=False)
    _connected = True


# -- receivers --------------------------------------------------------------------------------


def on_client_saved(client, created: bool = False, **_kw) -> None:
    _queue_pushes("customer", client, created)


def on_service_type_saved(service_type, created: bool = False, **_kw) -> None:
    _queue_pushes("item", service_type, created)


def organization_connections(organization_id: int) -> list[Connection]:
    """The active financial connections of the organization's business units."""
    from host.models.business_unit import BusinessUnit

    return list(db.session.scalars(
        sa.select(Connection).join(BusinessUnit, BusinessUnit.id == Connection.business_unit_id)
        .where(BusinessUnit.organization_id == organization_id,
               Connection.status.in_(ACTIVE_STATUSES), Connection.category == "financial")
        .order_by(Connection.id)))


def _queue_pushes(object: str, obj, created: bool) -> None:
    from host.sync.twoway import importing
    from host.sync.twoway.settings import setting_for

    if importing.active():
        return  # written from the ledger's record: never echoed back
    obj_id = outbox._ensure_id(obj)
    for connection in organization_connections(obj.organization_id):
        setting = setting_for(connection, object)
        if not setting.outbound:
            continue
        link = link_for(connection.id, object, obj_id)
        at_provider = link is not None or _at_provider(connection, object, obj_id)
        if object == "customer" and setting.direction == "out" and not at_provider:
            continue  # created at the provider with its first invoice, as always
        if link is not None and link.fingerprint and not changed_since(
                link.fingerprint, synced_print(connection, object, obj, setting)):
            continue  # none of the synced fields changed
        what = "Client" if object == "customer" else "Service type"
        verb = "created" if created else "edited"
        outbox.queue_record(connection, RECORD_TYPES[object], obj,
                            f"{what} {verb}: queued for the provider.",
                            operation="update" if at_provider else "create")


def link_for(connection_id: int, object: str, host_id: int) -> SyncLink | None:
    """The linked :class:`SyncLink` of a host record on a connection, if any."""
    return db.session.scalars(sa.select(SyncLink).filter_by(
        connection_id=connection_id, object=object, host_id=host_id, status="linked")
        .order_by(SyncLink.id.desc())).first()


def _at_provider(connection: Connection, object: str, host_id: int) -> bool:
    """Whether the provider already holds the host record: mapped by the admin, pushed before
    (a synced record), or, for a client, billed by an invoice pushed there."""
    kind = mapping_kind(connection, HOST_MODELS[object])
    if kind and db.session.scalar(sa.select(ConnectionMapping.id).filter_by(
            connection_id=connection.id, kind=kind, host_id=str(host_id)).limit(1)):
        return True
    pushed = db.session.scalar(sa.select(SyncRecord.id).filter_by(
        connection_id=connection.id, object_type=RECORD_TYPES[object], object_id=host_id)
        .where(SyncRecord.external_id.is_not(None)).limit(1))
    if pushed or object != "customer":
        return bool(pushed)
    from host.models.project import Project

    return bool(db.session.scalar(
        sa.select(SyncRecord.id).join(Invoice, Invoice.id == SyncRecord.object_id)
        .join(Project, Project.id == Invoice.project_id)
        .where(SyncRecord.connection_id == connection.id, SyncRecord.object_type == "invoice",
               SyncRecord.external_id.is_not(None), Project.client_id == host_id).limit(1)))


def changed_since(last: dict[str, str], now: dict[str, str]) -> list[str]:
    """The fields of ``now`` whose value differs from the fingerprint ``last`` (a field the
    fingerprint does not hold counts as empty there)."""
    return sorted(name for name, text in now.items() if last.get(name, "") != text)


def synced_print(connection: Connection, object: str, obj, setting) -> dict[str, str]:
    """``obj``'s values now of the fields its link's last sync covered, plus the admin's
    added pairs (decided in the web request: no call to the plugin)."""
    link = link_for(connection.id, object, obj.id)
    names = set((link.fingerprint or {}) if link is not None else ())
    names |= {pair.get("host_field") for pair in (setting.fields or {}).get("extra") or ()}
    values = host_values(object, obj, connection)
    return fingerprint({k: v for k, v in values.items() if k in names})


# -- the worker's side --------------------------------------------------------------------------


def read_ledger_first(record: SyncRecord) -> str | None:
    """Before a client or service type is pushed while its object also syncs provider -> PSA,
    read what changed in the ledger (one incremental pass of the importer, in this worker).

    A field the accountant changed in the ledger since the last sync is then applied to the
    host, or -- changed on both sides -- settled by the object's conflict policy with a history
    line naming the value that loses, before the push writes anything: a push never overwrites
    a ledger edit the host has not seen. Returns why the push must wait (a pass of the same
    object is running, the ledger cannot be read right now), or None to push.
    """
    from host.sync.twoway.importer import run_import
    from host.sync.twoway.settings import setting_for

    setting = setting_for(record.connection, OBJECTS[record.object_type])
    if not setting.inbound:
        return None
    setting_id = setting.id
    db.session.commit()  # the claim and its history line; the pass opens its own transactions
    outcome = run_import(setting_id)
    if outcome in ("done", "idle", "off"):
        return None
    return (f"Waiting to read the ledger's changes to this {OBJECTS[record.object_type]} "
            f"before pushing (the pass says: {outcome}).")


def build_call(record: SyncRecord) -> tuple[str, dict]:
    """``push_record`` and its arguments for a client or service type record."""
    from host.services import snapshots

    object = OBJECTS[record.object_type]
    model = Client if object == "customer" else ServiceType
    obj = db.session.get(model, record.object_id)
    if obj is None:
        raise LookupError(f"{model.__name__} {record.object_id} no longer exists in the host.")
    plan = FieldPlan(record.connection)
    data = (snapshots.client_data(obj, plan) if object == "customer"
            else snapshots.service_type_data(obj, plan))
    return "push_record", {"object": object, "record": data}


def invoice_call_options(record: SyncRecord) -> dict:
    """The extra ``invoice_data`` arguments of an invoice push: the admin's field choices and,
    for a "Push now", their email choice (:func:`email_choice`)."""
    return {"plan": FieldPlan(record.connection), "send_email": email_choice(record)}


def email_choice(record: SyncRecord) -> bool | None:
    """The admin's "Push now" email choice for the push ``record`` is about to make, or None
    (the connection's setting). The choice is logged with the idempotency key of the push it
    was made for, so it holds through that push's retries and never for a later push."""
    from host.models.sync_record import SyncEvent

    event = db.session.scalars(
        sa.select(SyncEvent).where(SyncEvent.record_id == record.id,
                                   SyncEvent.kind.in_(PUSH_NOW_KINDS))
        .order_by(SyncEvent.id.desc()).limit(1)).first()
    if event is None or event.detail != record.idempotency_key:
        return None
    return PUSH_NOW_KINDS[event.kind]


def after_push(record: SyncRecord, result, sent: dict) -> None:
    """Link what a successful push created or updated (see the module's docstring). ``sent``
    holds the hook's arguments (the snapshot pushed). Runs in the worker's result
    transaction."""
    connection = record.connection
    if record.object_type in OBJECTS and "record" in sent:
        object = OBJECTS[record.object_type]
        data = sent["record"]
        _link(connection, object, record.object_id, result.external_id, data.name,
              _pushed_print(connection, object, data), result.version)
        _map(connection, object, record.object_id, result.external_id, data.name)
    elif record.object_type == "invoice" and "invoice" in sent:
        from host.sync.twoway.apply_invoices import lines_digest

        invoice = sent["invoice"]
        lines = [{"description": line.description, "quantity": line.quantity,
                  "unit_price": line.unit_price,
                  "service_type_id": line.service_type.id if line.service_type else None,
                  "tax_rate_id": line.tax_rate.id if line.tax_rate else None}
                 for line in invoice.lines]
        values = {"memo": invoice.memo, "reference": invoice.reference,
                  "due_date": invoice.due_date, "total": invoice.total,
                  "lines": lines_digest(lines)}
        _link(connection, "invoice", record.object_id, result.external_id,
              result.number or invoice.number, fingerprint(values), result.version,
              keep=True)


def _pushed_print(connection: Connection, object: str, data) -> dict[str, str]:
    """The fingerprint of the synced fields' values in the snapshot pushed."""
    synced = FieldPlan(connection).synced(object)
    if object == "customer":
        values = {"name": data.name, "billing_email": data.billing_email,
                  "billing_contact_name": data.billing_contact_name,
                  "tax_number": data.tax_number}
    else:
        account = data.income_account
        values = {"name": data.name, "sku": data.sku, "unit_price": data.unit_price,
                  "description": data.description,
                  "income_account": _mapped_account(connection, account)}
    return fingerprint({k: v for k, v in values.items() if k in synced})


def _mapped_account(connection: Connection, account) -> str:
    if account is None:
        return ""
    kind = mapping_kind(connection, "gl_account")
    if kind is None:
        return ""
    return db.session.scalars(sa.select(ConnectionMapping.external_id).filter_by(
        connection_id=connection.id, kind=kind, host_id=str(account.id))).first() or ""


def _link(connection: Connection, object: str, host_id: int, external_id: str, label: str,
          values: dict[str, str], version: str | None, *, keep: bool = False) -> SyncLink:
    """Write the link of a pushed record; ``keep``: fingerprint fields the push does not
    compute (those the inbound pass may add) stay as they were."""
    link = db.session.scalars(sa.select(SyncLink).filter_by(
        connection_id=connection.id, object=object, external_id=str(external_id))).first()
    new = link is None
    if new:
        link = SyncLink(connection_id=connection.id, object=object,
                        external_id=str(external_id), origin="host")
        db.session.add(link)
    changed = changed_since(link.fingerprint or {}, values)
    link.host_id = host_id
    link.status = "linked"
    link.reason = link.fix = None
    link.label = as_text(label)[:200]
    link.fingerprint = {**(link.fingerprint or {}), **values} if keep else dict(values)
    link.provider_version = (version or None) and str(version)[:100]
    link.synced_at = utcnow()
    if new:
        link.log("pushed", "Created at the provider from the host.")
    elif changed:
        link.log("pushed", "Pushed from the host: " + ", ".join(sorted(changed)) + ".")
    return link


def _map(connection: Connection, object: str, host_id: int, external_id: str,
         label: str) -> None:
    kind = mapping_kind(connection, HOST_MODELS[object])
    if kind is None:
        return
    row = db.session.scalars(sa.select(ConnectionMapping).filter_by(
        connection_id=connection.id, kind=kind, host_id=str(host_id))).first()
    if row is None:
        row = ConnectionMapping(connection_id=connection.id, kind=kind, host_id=str(host_id))
        db.session.add(row)
    row.external_id = str(external_id)
    row.external_label = as_text(label)[:300]


# -- asked for by the engine, the What syncs card and the invoice page -------------------------


def export_existing(setting) -> int:
    """Queue the push of the host records the provider does not have yet, after ``setting``'s
    outbound direction was switched on (the What syncs card calls it): every active service
    type for products (``out`` or ``both``), every active client for customers with ``both``
    (with ``out`` clients keep going with their first invoice). The plugin's ``push_record``
    finds a ledger record of the same name before creating one. A paused connection keeps them
    until it resumes; automatic push off holds them. The caller commits. Returns how many
    pushes were queued."""
    if not setting.outbound or (setting.object == "customer" and setting.direction != "both"):
        return 0
    if setting.object not in RECORD_TYPES:
        return 0
    connection = db.session.get(Connection, setting.connection_id)
    model = Client if setting.object == "customer" else ServiceType
    rows = db.session.scalars(sa.select(model).where(
        model.organization_id == connection.business_unit.organization_id,
        model.active.is_(True)).order_by(model.id))
    what = "Client" if setting.object == "customer" else "Service type"
    queued = 0
    for row in rows:
        if link_for(connection.id, setting.object, row.id) is not None or \
                _at_provider(connection, setting.object, row.id):
            continue
        outbox.queue_record(connection, RECORD_TYPES[setting.object], row,
                            f"{what} sent to the provider: the direction now includes "
                            "PSA -> provider.")
        queued += 1
    return queued



def push_back(link: SyncLink) -> SyncRecord | None:
    """Push the host's values of ``link``'s record to the ledger (a conflict resolved with
    "Use PSA data"): a client or service type through ``push_record``, an invoice through its
    update push. The caller commits; the push is enqueued after the commit. None when the host
    record is gone or was never linked."""
    if link.host_id is None:
        return None
    connection = db.session.get(Connection, link.connection_id)
    message = "Conflict resolved with PSA data: the host's values go back to the provider."
    if link.object == "invoice":
        invoice = db.session.get(Invoice, link.host_id)
        if invoice is None:
            return None
        return outbox.queue_record(connection, "invoice", invoice, message, operation="update")
    model = Client if link.object == "customer" else ServiceType
    obj = db.session.get(model, link.host_id)
    if obj is None:
        return None
    return outbox.queue_record(connection, RECORD_TYPES[link.object], obj, message,
                               operation="update")


class CannotPush(ValueError):
    """Why "Push now" cannot push this invoice (shown to the admin)."""


def push_invoice_now(invoice: Invoice, *, email: bool, user) -> SyncRecord:
    """Push an open invoice to its business unit's provider now, emailing it or not, whatever
    the automatic settings say: a record held by "automatic push off" is released for this
    push, and ``email`` overrides the connection's automatic-email setting for this push only.
    Only enqueues (the worker calls the provider); the history says who asked and whether
    email was requested. The caller commits.

    :raises CannotPush: the invoice is not open, or its business unit has no connection.
    """
    if invoice.status not in OPEN_STATUSES:
        raise CannotPush("Only an open invoice (sent or partially paid) can be pushed.")
    connection = outbox.active_connection(invoice.business_unit_id)
    if connection is None:
        raise CannotPush("This invoice's business unit has no accounting integration.")
    existing = outbox.find_record(connection.id, "invoice", invoice.id)
    operation = "update" if existing is not None and existing.external_id else "create"
    actor = getattr(user, "email", None) or "an admin"
    how = "and email it to the customer" if email else "without emailing it"
    record = outbox.queue_record(connection, "invoice", invoice,
                                 f"Push now requested by {actor}, {how}.",
                                 operation=operation, by_hand=True)
    kind = "push_now_email" if email else "push_now_no_email"
    record.log(kind, f"Push now by {actor}, {how}.", detail=record.idempotency_key)
    return record
