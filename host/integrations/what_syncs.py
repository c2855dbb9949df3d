"""Data for the Manage page's "What syncs" section: one card per sync object, and its import
progress.

A card shows the object's direction and conflict policy (with the provider's label in the
arrows), the plugin's predefined field pairs with a switch each, the pairs the admin added, the
inbound filters and the outbound rules that exist today (read-only), and the progress of the
import. The plugin is asked for its fields (``list_sync_fields``, through ``call_owner``) while
the page renders, as the mapping tables ask for their choices; when the provider cannot answer
the card says why and the rest of the page works.

Rendering never writes: an object without a stored setting shows the defaults of
:data:`host.sync.twoway.settings.DEFAULT_DIRECTIONS` (the row is created when the admin saves).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from host.contract.errors import PluginFailure, ProviderError
from host.contract.records import HOST_FIELDS, REQUIRED_HOST_FIELDS, SYNC_OBJECTS, SyncField
from host.extensions import db
from host.forms.sync_objects import CardValues
from host.integrations.dispatch import call_owner, implements
from host.models import SyncLink, SyncObjectSetting
from host.services.sync_settings import FILTERS, STATUS_FILTERS
from host.sync.twoway.settings import DEFAULT_DIRECTIONS

TITLES = {"customer": "Customers ↔ clients", "item": "Products ↔ service types",
          "invoice": "Invoices and their payments"}
#: What a host field is called on the page.
HOST_FIELD_LABELS = {
    "name": "Name", "billing_email": "Billing email", "billing_contact_name": "Billing contact",
    "tax_number": "Tax number", "sku": "SKU", "unit_price": "Unit price",
    "description": "Description", "income_account": "Income account", "memo": "Memo",
    "reference": "Reference / PO number", "due_date": "Due date",
}
STATUS_LABELS = {"open": "Open", "paid": "Paid", "voided": "Voided"}
#: Linked customers offered in the invoice filter's list (the most recently synced first).
CUSTOMER_CHOICES_LIMIT = 500
COUNTS = ("seen", "created", "matched", "updated", "skipped", "failed")


def direction_choices(label: str, inbound: bool = True) -> list[tuple[str, str]]:
    """The direction radios of a card: ``(value, text)`` with seed 003's arrows."""
    choices = [("out", f"PSA → {label}"), ("in", f"{label} → PSA"),
               ("both", f"PSA ⇄ {label} (both ways)"), ("off", "Off")]
    return [c for c in choices if inbound or c[0] in ("out", "off")]


def conflict_choices(label: str) -> list[tuple[str, str]]:
    return [("host", "Use PSA data"), ("provider", f"Use {label} data")]


@dataclass
class Card:
    """One object's card."""

    object: str
    title: str
    setting: SyncObjectSetting
    values: CardValues
    #: the plugin's fields of the object; None when it could not say (``fields_error``)
    declared: list[SyncField] | None
    fields_error: str = ""
    #: the refused input of a POST: (field, message)
    form_error: tuple[str, str] | None = None
    directions: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    customers: list[tuple[str, str]] = field(default_factory=list)
    filters: tuple[str, ...] = ()
    statuses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def predefined(self) -> list[SyncField]:
        known = HOST_FIELDS[self.object]
        return [f for f in self.declared or () if f.predefined and f.host_field in known]

    @property
    def extras(self) -> list[SyncField]:
        return [f for f in self.declared or () if not f.predefined]

    @property
    def required(self) -> tuple[str, ...]:
        return REQUIRED_HOST_FIELDS.get(self.object, ())

    def field_label(self, key: str) -> str:
        return next((f.label for f in self.extras if f.key == key), key)

    @property
    def free_host_fields(self) -> list[str]:
        """Host fields "Add a mapping" can still fill."""
        taken = {f.host_field for f in self.predefined if f.host_field not in self.values.off}
        taken |= {p.get("host_field") for p in self.values.extra}
        return [h for h in HOST_FIELDS[self.object] if h not in taken]

    @property
    def free_extras(self) -> list[SyncField]:
        used = {p.get("key") for p in self.values.extra}
        return [f for f in self.extras if f.key not in used]

    @property
    def inbound(self) -> bool:
        return self.values.direction in ("in", "both")

    @property
    def progress(self) -> dict:
        return progress_of(self.setting)


def declared_fields(connection, object: str) -> tuple[list[SyncField] | None, str]:
    """The plugin's fields of ``object`` and ``""``, or ``(None, why)`` when it cannot say. A
    plugin without ``list_sync_fields`` declares none."""
    if not implements(connection.provider_key, "list_sync_fields"):
        return [], ""
    try:
        return list(call_owner(connection, "list_sync_fields", object=object)), ""
    except (ProviderError, PluginFailure) as exc:
        return None, exc.message


def offers_inbound(connection) -> bool:
    """Whether the provider's plugin can list the ledger's records (``list_records``)."""
    return implements(connection.provider_key, "list_records")


def stored_setting(connection, object: str) -> SyncObjectSetting:
    """The stored setting, or an unsaved one with the defaults (rendering never writes)."""
    row = db.session.scalars(sa.select(SyncObjectSetting).filter_by(
        connection_id=connection.id, object=object)).first()
    if row is not None:
        return row
    return SyncObjectSetting(connection_id=connection.id, object=object,
                             direction=DEFAULT_DIRECTIONS[object], conflict="host", fields={},
                             filters={}, import_status="idle", initial_done=False,
                             **{name: 0 for name in COUNTS})


def customer_choices(connection) -> list[tuple[str, str]]:
    """Linked customers of ``connection`` as ``(external id, label)`` (the invoice filter)."""
    rows = db.session.execute(
        sa.select(SyncLink.external_id, SyncLink.label)
        .where(SyncLink.connection_id == connection.id, SyncLink.object == "customer",
               SyncLink.status == "linked")
        .order_by(SyncLink.label, SyncLink.external_id).limit(CUSTOMER_CHOICES_LIMIT)).all()
    return [(external_id, label or external_id) for external_id, label in rows]


def cards(connection, label: str, posted: dict | None = None) -> list[Card]:
    """Every object's card; ``posted`` maps an object to ``(CardValues, InvalidField)`` of a
    refused POST, shown as typed with its error."""
    inbound = offers_inbound(connection)
    out = []
    for obj in SYNC_OBJECTS:
        setting = stored_setting(connection, obj)
        declared, error = declared_fields(connection, obj)
        values, form_error = CardValues.of(setting), None
        if posted and obj in posted:
            values, exc = posted[obj]
            form_error = (exc.field or "", exc.message)
        out.append(Card(
            object=obj, title=TITLES[obj], setting=setting, values=values, declared=declared,
            fields_error=error, form_error=form_error,
            directions=direction_choices(label, inbound), conflicts=conflict_choices(label),
            customers=customer_choices(connection) if "customers" in FILTERS[obj] else [],
            filters=FILTERS[obj] if inbound else (),
            statuses=[(s, STATUS_LABELS[s]) for s in STATUS_FILTERS[obj]]))
    return out


def progress_of(setting: SyncObjectSetting) -> dict:
    """An object's import progress, as the card renders it and the JSON endpoint returns it.

    ``percent`` is how much of what was seen has been dealt with while the import runs (the
    ledger's total is not known in advance), 100 when done, None before any run.
    """
    counts = {name: getattr(setting, name) or 0 for name in COUNTS}
    dealt = sum(counts[n] for n in ("created", "matched", "updated", "skipped", "failed"))
    status = setting.import_status or "idle"
    if status == "done":
        percent = 100
    elif counts["seen"]:
        percent = min(100, round(100 * dealt / counts["seen"]))
    else:
        percent = None if status == "idle" else 0
    return {"object": setting.object, "status": status, "direction": setting.direction,
            "counts": counts, "percent": percent, "initial_done": bool(setting.initial_done),
            "started_at": _iso(setting.import_started_at),
            "finished_at": _iso(setting.import_finished_at),
            "error": setting.import_error or ""}


def progress_for(connection) -> dict:
    """Every object's progress on ``connection`` (the JSON endpoint polled by app.js)."""
    objects = {obj: progress_of(stored_setting(connection, obj)) for obj in SYNC_OBJECTS}
    return {"objects": objects,
            "running": any(p["status"] in ("running", "waiting") for p in objects.values())}


def _iso(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""
