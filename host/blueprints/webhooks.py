"""``POST /webhooks/<provider_key>``: provider webhooks, verified, stored once, answered at once.

1. Unknown provider key: 404.
2. The provider's plugin verifies the signature over the raw body (``verify_webhook``); a bad
   signature gets 401 and nothing is stored.
3. The delivery is stored once (a redelivery of the same body is recognised and ignored) and
   the request is answered 200 with an empty body straight away (Xero's intent-to-receive
   check needs exactly that); a job processes it (``host.sync.deliveries``).

CSRF does not apply (the signature is the authentication).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request

from host.contract.errors import PluginFailure
from host.extensions import csrf, db
from host.models.webhook_delivery import WebhookDelivery
from host.sync.deliveries import store_delivery

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)
csrf.exempt(bp)


@bp.record_once
def _setup(state) -> None:
    from host.sync import init_app

    init_app(state.app)
    state.app.jinja_env.globals["webhook_deliveries_for"] = webhook_deliveries_for


def _provider_known(key: str) -> bool:
    from host.integrations.registry import get_registry

    try:
        return key in get_registry()
    except KeyError:  # no registry on this app
        return False


@bp.post("/webhooks/<provider_key>")
def receive(provider_key: str):
    if not _provider_known(provider_key):
        abort(404)
    from host.integrations.dispatch import call_provider

    body = request.get_data(cache=True)
    headers = {k: v for k, v in request.headers.items()}
    try:
        valid = call_provider(provider_key, "verify_webhook", headers=request.headers,
                              body=body, config=current_app.config)
    except PluginFailure:  # a plugin fault (logged by the guard) is not a valid signature
        valid = False
    except Exception:  # noqa: BLE001 - nor is a provider error
        log.exception("verify_webhook of %s raised", provider_key)
        valid = False
    if not valid:
        return Response(status=401)
    delivery, created = store_delivery(provider_key, headers, body)
    if created:
        from host.sync.queue import task

        try:
            task("process_delivery")(delivery.id)
        except Exception:  # noqa: BLE001 - stored; the sweeper re-enqueues it
            log.exception("could not enqueue webhook delivery %s", delivery.id)
    return Response(status=200)


def webhook_deliveries_for(connection, limit: int = 20) -> list[WebhookDelivery]:
    """Recent deliveries of the connection's provider that concern it (its tenant), or that
    could not be attributed to any tenant (malformed / failed)."""
    rows = db.session.scalars(
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.provider_key == connection.provider_key)
        .order_by(WebhookDelivery.id.desc()).limit(limit * 5)
    ).all()
    mine = [d for d in rows if not d.tenant_ids or connection.tenant_id in (d.tenant_ids or [])]
    return mine[:limit]
