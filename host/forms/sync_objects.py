"""The "What syncs" cards of the Manage page: one form per sync object.

Its inputs depend on what the plugin declares (``list_sync_fields``), so the form carries only
the CSRF token (:class:`SyncObjectForm`); :func:`raw_values` reads the posted inputs into the
raw mapping :func:`host.services.sync_settings.clean` checks, and :class:`CardValues` holds what
a card shows: the stored setting, or what was posted when it was refused (nothing typed is
lost).

Inputs of a card: ``direction`` and ``conflict`` (radios); ``fields_shown`` (present when the
switches were rendered) and ``field_on`` (one checkbox per predefined pair, value its host
field); ``extra_key`` / ``extra_host`` (the added pairs, in order), ``remove_extra`` (a button
whose value is the key of the pair to drop), ``new_key`` / ``new_host`` ("Add a mapping");
``created_after``, ``statuses``, ``customers`` and ``include_without_sku`` (``import`` or
``skip``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_wtf import FlaskForm

from host.services.errors import InvalidField


class SyncObjectForm(FlaskForm):
    """A "What syncs" card's POST: the CSRF token (the inputs are read by ``raw_values``)."""


@dataclass
class CardValues:
    """What one card shows in its inputs."""

    direction: str
    conflict: str
    off: list[str] = field(default_factory=list)
    extra: list[dict] = field(default_factory=list)
    filters: dict = field(default_factory=dict)

    @classmethod
    def of(cls, setting) -> "CardValues":
        fields = setting.fields or {}
        return cls(setting.direction, setting.conflict, list(fields.get("off") or ()),
                   [dict(p) for p in fields.get("extra") or ()], dict(setting.filters or {}))

    @classmethod
    def posted(cls, raw: dict, fallback: "CardValues") -> "CardValues":
        """The values of a refused POST, shown as typed (``fallback`` for what was not sent)."""
        def text(value) -> str:
            return value if isinstance(value, str) else ""

        off = raw["off"] if "off" in raw else fallback.off
        if "on" in raw:  # switches: what is not on is off
            off = [f for f in raw.get("all_predefined", ()) if f not in raw["on"]]
        return cls(text(raw.get("direction")), text(raw.get("conflict")), list(off),
                   [dict(p) for p in raw.get("extra") or ()],
                   {"created_after": text(raw.get("created_after")),
                    "statuses": list(raw.get("statuses") or ()),
                    "customers": list(raw.get("customers") or ()),
                    "include_without_sku": raw.get("include_without_sku") is True})


def raw_values(formdata, predefined: list[str] | None) -> dict:
    """The raw setting a card posted (see the module docstring). ``predefined`` lists the host
    fields of the predefined pairs rendered as switches (None: the plugin could not say, the
    switches were not shown and the stored choices stay)."""
    raw: dict = {"direction": formdata.get("direction"), "conflict": formdata.get("conflict"),
                 "created_after": formdata.get("created_after", ""),
                 "statuses": formdata.getlist("statuses"),
                 "customers": formdata.getlist("customers")}
    sku = formdata.get("include_without_sku", "skip")
    raw["include_without_sku"] = {"import": True, "skip": False}.get(sku, sku)
    if predefined is not None and formdata.get("fields_shown"):
        raw["on"] = formdata.getlist("field_on")
        raw["all_predefined"] = list(predefined)
    keys, hosts = formdata.getlist("extra_key"), formdata.getlist("extra_host")
    if len(keys) != len(hosts):  # the page always sends them in pairs
        raise InvalidField("extra", "Each added mapping needs its provider field and host field.",
                           status=400)
    removed = formdata.get("remove_extra")
    extra = [{"key": k, "host_field": h} for k, h in zip(keys, hosts) if k != removed]
    new_key, new_host = formdata.get("new_key", ""), formdata.get("new_host", "")
    if new_key or new_host:  # one of the two missing is refused by the rules, and kept
        extra.append({"key": new_key, "host_field": new_host})
    raw["extra"] = extra
    return raw
