"""Outbound and inbound sync: the ledger's behaviour, the queue, the worker and webhooks.

``init_app(app)`` builds the app's Huey instance, registers the tasks on it and connects the
outbox receivers (idempotent). It runs when the sync blueprint is registered, so every app
from ``create_app`` has it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    if "psa_huey" in app.extensions:
        return
    from host.sync import outbox, queue, tasks

    huey = queue.build_huey(app)
    app.extensions["psa_huey"] = huey
    tasks.register(huey, app)
    outbox.connect_receivers()
