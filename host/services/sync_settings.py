"""Input rules of one sync object's settings (the Manage page's "What syncs" cards).

The same shape as :mod:`host.services.validation`: :func:`clean` takes the raw values as they
came in (strings and lists of strings, whoever sends them) and returns a :class:`CleanSetting`
ready to store on a :class:`~host.models.SyncObjectSetting`, or raises ``InvalidField`` naming
the first refused field. Nothing here reads the database or calls the provider: the caller
passes what the plugin declared (``list_sync_fields``) and which customers can be chosen.

* ``direction`` is one of ``off``, ``out``, ``in``, ``both``; ``conflict`` ``host`` or
  ``provider``.
* ``off`` lists the host fields of predefined pairs switched off: each must be the host field of
  a predefined pair the plugin declares for the object, never a required one
  (:data:`~host.contract.records.REQUIRED_HOST_FIELDS`), no duplicates. A page of switches sends
  ``on`` instead (the pairs left on, each a predefined one): ``off`` is then the rest.
* ``extra`` lists added pairs ``{"key", "host_field"}``: the key one of the plugin's extra
  fields (``predefined=False``) of the object, the host field one of
  :data:`~host.contract.records.HOST_FIELDS` not filled by a predefined pair that is on nor by
  another added pair; each key once.
* Filters (inbound only, kept when the direction has no inbound part so switching it on again
  brings them back): ``created_after`` an ISO date (``YYYY-MM-DD``) or empty; ``statuses``
  among :data:`STATUS_FILTERS` of the object; ``customers`` among the external ids offered
  (linked customers), at most :data:`MAX_CHOSEN_CUSTOMERS`; ``include_without_sku`` a boolean
  (products only).

When the plugin could not declare its fields (``declared=None``: the provider was down), the
fields cannot be checked, so ``clean`` keeps the stored ones (``current_fields``) unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from host.contract.records import HOST_FIELDS, REQUIRED_HOST_FIELDS, SYNC_OBJECTS, SyncField
from host.models.sync_object import CONFLICT_POLICIES, DIRECTIONS
from host.services import validation
from host.services.errors import InvalidField

#: The inbound status filters each object offers (the ledger's invoice statuses the host can
#: import; drafts are never imported).
STATUS_FILTERS: Mapping[str, tuple[str, ...]] = {
    "customer": (),
    "item": (),
    "invoice": ("open", "paid", "voided"),
}
#: The filters each object offers (the others are not shown and stored empty).
FILTERS: Mapping[str, tuple[str, ...]] = {
    "customer": ("created_after",),
    "item": ("created_after", "include_without_sku"),
    "invoice": ("created_after", "statuses", "customers"),
}
#: More chosen customers than a page can list is not a filter anyone typed.
MAX_CHOSEN_CUSTOMERS = 500
#: Longest key a plugin's field may have in a stored choice (``SyncField.key``).
KEY_MAX_LENGTH = 100


@dataclass(frozen=True)
class CleanSetting:
    """What :func:`clean` accepted, in the shapes ``SyncObjectSetting`` stores."""

    direction: str
    conflict: str
    fields: dict = field(default_factory=dict)
    filters: dict = field(default_factory=dict)


def clean(object: str, raw: Mapping, *, declared: Sequence[SyncField] | None,
          customer_choices: Iterable[str] = (), current_fields: Mapping | None = None,
          directions: Sequence[str] = DIRECTIONS) -> CleanSetting:
    """The clean setting of ``object`` from ``raw`` (keys ``direction``, ``conflict``, ``off``
    or ``on``, ``extra``, ``created_after``, ``statuses``, ``customers``,
    ``include_without_sku``). ``directions`` narrows the choice (a plugin without
    ``list_records`` offers no inbound direction)."""
    if object not in SYNC_OBJECTS:
        raise InvalidField("object", f"object must be one of {', '.join(SYNC_OBJECTS)}.",
                           status=404)
    direction = choice(raw.get("direction"), "direction", directions)
    conflict = choice(raw.get("conflict"), "conflict", CONFLICT_POLICIES)
    if declared is None:
        fields = dict(current_fields or {})
    else:
        fields = _fields(object, raw, declared)
    return CleanSetting(direction, conflict, fields,
                        _filters(object, raw, set(customer_choices)))


def choice(value, field: str, allowed: Sequence[str]) -> str:
    """``value`` when it is one of ``allowed`` (exactly, a string)."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidField(field, f"{field} must be one of {', '.join(allowed)}, got {value!r}.")
    return value


def strings(value, field: str, *, max_items: int, max_length: int = KEY_MAX_LENGTH) -> list[str]:
    """A list of distinct strings (None: empty); a repeated value is refused."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidField(field, f"{field} must be a list, got {type(value).__name__}.")
    if len(value) > max_items:
        raise InvalidField(field, f"{field} has more than {max_items} entries.")
    out: list[str] = []
    for item in value:
        item = validation.text(item, field, max_length)
        if item in out:
            raise InvalidField(field, f"{field} names {item!r} twice.")
        out.append(item)
    return out


def _fields(object: str, raw: Mapping, declared: Sequence[SyncField]) -> dict:
    mine = [f for f in declared if f.object == object]
    known = HOST_FIELDS[object]
    predefined = {f.host_field for f in mine if f.predefined and f.host_field in known}
    required = set(REQUIRED_HOST_FIELDS.get(object, ()))
    if "on" in raw:
        on = strings(raw.get("on"), "on", max_items=len(known))
        for host_field in on:
            if host_field not in predefined:
                raise InvalidField("on", f"{host_field!r} is not a predefined field of {object}.")
        off = [f for f in known if f in predefined and f not in on and f not in required]
    else:
        off = strings(raw.get("off"), "off", max_items=len(known))
    for host_field in off:
        if host_field not in predefined:
            raise InvalidField("off", f"{host_field!r} is not a predefined field of {object}.")
        if host_field in required:
            raise InvalidField("off", f"{host_field} is required and cannot be switched off.")
    extras = {f.key: f for f in mine if not f.predefined}
    pairs = validation.objects(raw.get("extra") or [], "extra")
    if len(pairs) > len(extras):
        raise InvalidField("extra", "extra has more pairs than there are fields to add.")
    taken = predefined - set(off)
    keys: set[str] = set()
    extra: list[dict] = []
    for position, pair in enumerate(pairs):
        at = f"extra[{position}]"
        key = validation.text(pair.get("key"), f"{at}.key", KEY_MAX_LENGTH)
        host_field = validation.text(pair.get("host_field"), f"{at}.host_field", KEY_MAX_LENGTH)
        if not (key and host_field):
            raise InvalidField(f"{at}.key", "To add a mapping, choose both a field of the "
                                            "provider and the host field it fills.")
        if key not in extras:
            raise InvalidField(f"{at}.key", f"{key!r} is not a field the provider offers to add.")
        if key in keys:
            raise InvalidField(f"{at}.key", f"{extras[key].label} is mapped twice.")
        if host_field not in known:
            raise InvalidField(f"{at}.host_field",
                               f"{host_field!r} is not a host field of {object}.")
        if host_field in taken:
            raise InvalidField(f"{at}.host_field", f"{host_field} is already mapped.")
        keys.add(key)
        taken.add(host_field)
        extra.append({"key": key, "host_field": host_field})
    return {"off": off, "extra": extra}


def _filters(object: str, raw: Mapping, customer_choices: set[str]) -> dict:
    offered = FILTERS[object]
    out: dict = {}
    if "created_after" in offered:
        day = validation.day(raw.get("created_after"), "created_after")
        out["created_after"] = day.isoformat() if day else ""
    if "statuses" in offered:
        statuses = strings(raw.get("statuses"), "statuses",
                           max_items=len(STATUS_FILTERS[object]))
        for status in statuses:
            choice(status, "statuses", STATUS_FILTERS[object])
        out["statuses"] = statuses
    if "customers" in offered:
        customers = strings(raw.get("customers"), "customers", max_items=MAX_CHOSEN_CUSTOMERS)
        for external_id in customers:
            if external_id not in customer_choices:
                raise InvalidField("customers", f"{external_id!r} is not a linked customer.")
        out["customers"] = customers
    if "include_without_sku" in offered:
        out["include_without_sku"] = validation.boolean(
            raw.get("include_without_sku", False), "include_without_sku")
    return out
