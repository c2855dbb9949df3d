"""Per-field fingerprints of the last synced state, and who wins when both sides changed.

A :class:`~host.models.SyncLink` keeps ``fingerprint``: each synced host field's value as text,
as it was when the two sides last agreed. When a record comes in from the ledger, each field
falls in one of four cases:

==========================  ==========================================================
host vs fingerprint         ledger vs fingerprint
==========================  ==========================================================
unchanged                   unchanged       -> nothing to do
unchanged                   changed         -> take the ledger's value
changed                     unchanged       -> keep the host's (the outbound push carries it)
changed                     changed         -> a **conflict**, unless both now agree:
                                               the object's policy picks the winner
==========================  ==========================================================

:func:`resolve` is pure: it says what to write on each side and what was overwritten, field by
field; the caller applies it and logs :attr:`Resolution.changes` on the link's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Mapping


def as_text(value: Any) -> str:
    """The canonical text of a field value, as fingerprints keep it (Decimals normalised to
    two places for money, dates ISO, None empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        try:
            cents = value.quantize(Decimal("0.01"))
        except InvalidOperation:  # more digits than the context holds: compare as written
            return str(value.normalize())
        return str(cents) if cents == value else str(value.normalize())
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def fingerprint(values: Mapping[str, Any]) -> dict[str, str]:
    """The fingerprint of a set of field values (``{host_field: text}``)."""
    return {name: as_text(value) for name, value in values.items()}


@dataclass(frozen=True)
class Change:
    """One field a sync overwrote: ``kept`` is the side whose value won (``"host"`` or
    ``"provider"``); ``host`` and ``provider`` are the two values before."""

    field: str
    host: str
    provider: str
    kept: Literal["host", "provider"]
    conflict: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "host": self.host, "provider": self.provider,
                "kept": self.kept, "conflict": self.conflict}


@dataclass(frozen=True)
class Resolution:
    """What to do with an inbound record's fields.

    ``to_host``: fields to write on the host record (``{host_field: provider value}``).
    ``push_back``: the host's values must be pushed to the ledger (a conflict the host won).
    ``changes``: every field that differed, with who won, for the link's history.
    ``fingerprint``: the new fingerprint once the caller has applied the resolution.
    """

    to_host: dict[str, str] = field(default_factory=dict)
    push_back: bool = False
    changes: tuple[Change, ...] = ()
    fingerprint: dict[str, str] = field(default_factory=dict)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.conflict)


def resolve(last: Mapping[str, str], host: Mapping[str, Any], provider: Mapping[str, Any],
            policy: Literal["host", "provider"], *, inbound: bool = True) -> Resolution:
    """Compare the host's and the ledger's values of the synced fields with ``last``.

    :param last: the link's fingerprint (empty for a record never synced: every difference is
        then a conflict, decided by the policy).
    :param host: the host record's current values of the synced fields.
    :param provider: the ledger's values of the same fields.
    :param policy: ``"host"`` ("Use PSA data") or ``"provider"`` ("Use QuickBooks/Xero data").
    :param inbound: the object's direction lets the ledger write to the host; when False the
        ledger's changes are never applied, and a field changed only in the ledger is reported
        (kept ``"host"``) so the record can say so.
    """
    to_host: dict[str, str] = {}
    changes: list[Change] = []
    push_back = False
    new_print: dict[str, str] = {}
    for name in provider:
        h, p = as_text(host.get(name)), as_text(provider.get(name))
        base = last.get(name)
        if h == p:
            new_print[name] = h
            continue
        host_changed = base is None or h != base
        provider_changed = base is None or p != base
        if provider_changed and not host_changed:
            winner = "provider" if inbound else "host"
            conflict = False
        elif host_changed and not provider_changed:
            # only the host changed: the outbound push carries it, nothing to overwrite here
            new_print[name] = base if base is not None else h
            continue
        else:
            winner = policy if inbound else "host"
            conflict = True
        changes.append(Change(field=name, host=h, provider=p, kept=winner, conflict=conflict))
        if winner == "provider":
            to_host[name] = p
            new_print[name] = p
        else:
            push_back = push_back or conflict
            new_print[name] = h
    return Resolution(to_host=to_host, push_back=push_back, changes=tuple(changes),
                      fingerprint=new_print)
