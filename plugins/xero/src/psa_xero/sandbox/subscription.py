"""The webhook subscription's life when deliveries keep failing (reference 10.5).

Xero retries a failed delivery for 24 hours, then **disables** the subscription until someone
re-enables it. Events of the failed delivery, of the deliveries queued behind it, and every
event raised while it is disabled are kept for 31 days and sent, in order, once it is enabled
again. These functions work on ``state.webhook`` (JSON-able, persisted); call them with
``state.lock`` held.
"""
from __future__ import annotations

HELD_SECONDS = 31 * 86400
DISABLED_REASON = "Deliveries to the URL failed for 24 hours"


def disable(hook: dict, held: list, now: float, at_iso: str,
            reason: str = DISABLED_REASON) -> None:
    """Disable the subscription, keeping ``held`` (the events not delivered) for later."""
    hook["enabled"] = False
    hook["disabled_at"] = at_iso
    hook["disabled_reason"] = reason
    hold(hook, held, now)


def hold(hook: dict, events: list, now: float) -> None:
    hook.setdefault("held", []).extend(dict(e, _held_at=now) for e in events)


def enable(hook: dict, now: float) -> list:
    """Enable the subscription; returns the held events younger than 31 days, oldest first."""
    hook["enabled"] = True
    hook.pop("disabled_at", None)
    hook.pop("disabled_reason", None)
    held = hook.pop("held", [])
    return [{k: v for k, v in e.items() if k != "_held_at"} for e in held
            if now - e["_held_at"] <= HELD_SECONDS]


def summary(hook: dict) -> dict:
    """The subscription as the control API and the pages show it (held events counted)."""
    out = {k: v for k, v in hook.items() if k not in ("key", "held")}
    out["key_set"] = bool(hook.get("key"))
    out["held_events"] = len(hook.get("held", []))
    return out
