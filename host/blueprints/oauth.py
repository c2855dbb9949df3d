"""OAuth 2.0 authorization-code flow for every provider, driven by its ``OAuthMetadata``.

``POST /oauth/<key>/start`` (admin, CSRF, from the confirmation dialog or the Reconnect banner)
remembers ``state`` (+ PKCE verifier) server-side (``host.integrations.oauth_states``) and
redirects to the provider. ``GET /oauth/<key>/callback`` spends the state once (a replayed or
double callback is refused before the code reaches the provider again), handles
``error=access_denied`` (the old connection stays), exchanges the code, stores a *pending*
connection with encrypted tokens, calls the plugin's ``on_connect``, lets the admin pick a
tenant when there are several, then activates the connection (the old financial connection of
the business unit is replaced in the same transaction) and continues with the setup wizard.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from host.contract.errors import PluginFailure, ProviderError
from host.extensions import db
from host.integrations import oauth as oauth_client
from host.integrations import oauth_states
from host.integrations.connections import (
    ConcurrentConnectError,
    activate,
    connection_reconnected,
    discard_pending,
)
from host.integrations.dispatch import call_owner
from host.integrations.registry import get_registry
from host.models import BusinessUnit, Connection
from host.security.crypto import encrypt_tokens
from host.security.permissions import admin_required, org_get_or_404

bp = Blueprint("oauth", __name__, url_prefix="/oauth")


def _provider_or_404(key: str):
    info = get_registry().get(key)
    if info is None:
        abort(404)
    return info


def _back(bu_id: int | None):
    return redirect(url_for("integrations.index", business_unit=bu_id))


@bp.post("/<key>/start")
@admin_required
def start(key: str):
    info = _provider_or_404(key)
    bu = org_get_or_404(BusinessUnit, request.form.get("business_unit", type=int) or 0)
    reconnect_id = request.form.get("reconnect", type=int)
    if reconnect_id:
        conn = org_get_or_404(Connection, reconnect_id)
        if conn.provider_key != key or conn.business_unit_id != bu.id:
            abort(400)
    redirect_uri = url_for("oauth.callback", key=key, _external=True)
    auth = oauth_client.authorization_url(info.oauth, redirect_uri)
    oauth_states.remember(state=auth.state, provider_key=key, business_unit=bu,
                          user=current_user, code_verifier=auth.code_verifier,
                          redirect_uri=redirect_uri, reconnect_connection_id=reconnect_id)
    return redirect(auth.url)


@bp.get("/<key>/callback")
@admin_required
def callback(key: str):
    info = _provider_or_404(key)
    claim = oauth_states.consume(request.args.get("state", ""), key, current_user)
    if claim.already_used:
        return render_template(
            "integrations/oauth_error.html", info=info, bu_id=None,
            message="This authorization was already used (the page was reloaded, or the "
                    "callback arrived twice). Nothing was changed by this request; the "
                    "connection it started is shown in Settings > Integrations."), 409
    flow = claim.flow
    if flow is None:
        return render_template("integrations/oauth_error.html", info=info, bu_id=None,
                               message="This authorization could not be verified (the state does "
                                       "not match a connection started here). Start again from "
                                       "Settings > Integrations."), 400
    bu = org_get_or_404(BusinessUnit, flow.business_unit_id)
    if request.args.get("error"):
        flash(f"Connecting {bu.name} to {info.label} was cancelled at {info.label} "
              f"({request.args['error']}). Nothing was changed.", "info")
        return _back(bu.id)
    try:
        tokens = oauth_client.exchange_code(info.oauth, flow.redirect_uri,
                                            request.args.get("code", ""), flow.code_verifier)
    except oauth_client.OAuthExchangeError as exc:
        flash(f"Could not finish connecting to {info.label}: {exc}. Nothing was changed.", "error")
        return _back(bu.id)
    params = {p: request.args[p] for p in info.oauth.callback_params if p in request.args}
    tokens.update(params)  # kept with the tokens; plugins read them as connection.token_extra
    if flow.reconnect_connection_id:
        return _reconnect(info, bu, flow.reconnect_connection_id, tokens, params)

    conn = Connection(business_unit_id=bu.id, provider_key=key, category=info.category,
                      status="pending", token_ciphertext=encrypt_tokens(tokens),
                      token_expires_at=oauth_client.expires_at_datetime(tokens),
                      connected_by_id=current_user.id, settings={})
    db.session.add(conn)
    db.session.commit()
    try:
        conn_info = call_owner(conn, "on_connect", callback_params=params)
    except ProviderError as exc:
        discard_pending(conn, exc.message)
        flash(f"{info.label} refused the connection: {exc.message} {exc.fix}", "error")
        return _back(bu.id)
    except PluginFailure as exc:  # a plugin fault or no answer in time: nothing changes
        discard_pending(conn, exc.message)
        flash(f"Connecting {bu.name} to {info.label} failed: {exc.message} {exc.fix} Nothing "
              "was changed; a previous connection stays active.", "error")
        return _back(bu.id)
    conn.settings = dict(conn_info.settings_defaults)
    db.session.commit()
    tenants = list(conn_info.tenants)
    if not tenants:
        discard_pending(conn, "the grant reaches no company")
        flash(f"The {info.label} authorization gives access to no company.", "error")
        return _back(bu.id)
    if len(tenants) > 1:
        session[f"psa_tenants_{conn.id}"] = [(t.id, t.name, t.short_code) for t in tenants]
        return render_template("integrations/pick_tenant.html", info=info, bu=bu, conn=conn,
                               tenants=tenants)
    return _finish(info, bu, conn, tenants[0])


@bp.post("/<key>/tenant/<int:connection_id>")
@admin_required
def pick_tenant(key: str, connection_id: int):
    info = _provider_or_404(key)
    conn = org_get_or_404(Connection, connection_id)
    offered = session.pop(f"psa_tenants_{conn.id}", None)
    if conn.status != "pending" or conn.provider_key != key or not offered:
        abort(400)
    chosen = [t for t in offered if t[0] == request.form.get("tenant")]
    if not chosen:
        abort(400)
    from host.contract.types import Tenant

    return _finish(info, conn.business_unit, conn, Tenant(*chosen[0]))


def _finish(info, bu, conn, tenant):
    try:
        replaced = activate(conn, tenant, current_user.id)
    except ConcurrentConnectError:
        return render_template(
            "integrations/oauth_error.html", info=info, bu_id=bu.id,
            message=f"Another financial integration of {bu.name} was completed at the same "
                    f"moment, so this one was discarded. Check Settings > Integrations."), 409
    if replaced is not None:
        registry = get_registry()
        old_label = (registry[replaced.provider_key].label
                     if replaced.provider_key in registry else replaced.provider_key)
        flash(f"{bu.name} is now connected to {info.label} ({tenant.name}); it replaces the "
              f"{old_label} connection, whose sync history is kept.", "success")
    else:
        flash(f"{bu.name} is now connected to {info.label} ({tenant.name}).", "success")
    return redirect(url_for("integrations.setup", connection_id=conn.id))


def _reconnect(info, bu, connection_id: int, tokens: dict, params: dict):
    """Fresh tokens for an existing connection (same tenant): settings, refs and pending work
    are kept."""
    conn = org_get_or_404(Connection, connection_id)
    old_cipher, old_expiry = conn.token_ciphertext, conn.token_expires_at
    conn.token_ciphertext = encrypt_tokens(tokens)
    conn.token_expires_at = oauth_client.expires_at_datetime(tokens)
    db.session.commit()
    from host.integrations.handle import handle_for

    probe = handle_for(conn)
    probe.status = "pending"  # the new tokens are usable although the row says needs_reauth
    try:
        conn_info = call_owner(probe, "on_connect", callback_params=params)
    except (ProviderError, PluginFailure) as exc:
        probe.close()
        conn.token_ciphertext, conn.token_expires_at = old_cipher, old_expiry
        db.session.commit()
        what = "refused the reconnection" if isinstance(exc, ProviderError) else \
            "could not be reconnected"
        flash(f"{info.label} {what}: {exc.message}", "error")
        return _back(bu.id)
    probe.close()
    if conn.tenant_id not in {t.id for t in conn_info.tenants}:
        conn.token_ciphertext, conn.token_expires_at = old_cipher, old_expiry
        db.session.commit()
        flash(f"You authorized a different {info.label} company than {conn.tenant_name}. "
              f"Reconnect with the same company, or connect the new one from its tile.", "error")
        return _back(bu.id)
    conn.status, conn.status_reason = "connected", None
    conn.token_version = (conn.token_version or 0) + 1
    db.session.commit()
    connection_reconnected.send(conn)
    flash(f"{info.label} is reconnected; waiting work resumes.", "success")
    return _back(bu.id)
