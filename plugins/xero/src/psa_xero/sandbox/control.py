"""Xero additions to the kit's ``/_sandbox/`` control API.

==========  ====================================  ==================================================
GET         /_sandbox/entities/<tenant>/<kind>    every record of a kind (raw stored form)
GET         /_sandbox/entities/<tenant>/<kind>/<id>  one record; kinds: invoices, credit_notes,
                                                  payments, contacts, accounts, items,
                                                  tax_rates, tracking, organisation, emails,
                                                  history
POST        /_sandbox/lock-dates                  ``{"tenant_id", "PeriodLockDate",
                                                  "EndOfYearLockDate"}`` (YYYY-MM-DD or null)
POST        /_sandbox/tenant-faults               ``{"tenant_id", "category", "writes_only": true}``:
                                                  the organisation's next write (or request)
                                                  answered with a fault category in Xero's shape
                                                  (see ``tenant_faults``); GET lists, DELETE clears
GET/POST    /_sandbox/webhook                     ``{"url", "key", "categories", "client_id",
                                                  "itr": true}``: configure and run the
                                                  Intent-to-Receive check; GET shows the result
POST        /_sandbox/webhook/itr                 re-run the ITR check on the configured URL
POST        /_sandbox/webhook/enable              re-enable a disabled subscription (held events
                                                  go out in order); ``/disable`` disables it
GET/POST    /_sandbox/limits                      ``{"minute", "day", "concurrent",
                                                  "app_minute", "slow_ms"}``
POST        /_sandbox/clients                     register an OAuth client ``{"client_id",
                                                  "client_secret", "redirect_uris", "name"}``
GET         /_sandbox/connections                 every connection (all clients)
GET         /_sandbox/exchanges                   recorded request/response pairs (when on)
==========  ====================================  ==================================================
"""

from __future__ import annotations

from flask import jsonify, request

from .xerojson import parse_date


def register(sandbox, bp) -> None:
    state = sandbox.state

    def body() -> dict:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    def org_or_404(tenant_id: str) -> dict:
        org = state.org(tenant_id)
        if org is None:
            raise KeyError(tenant_id)
        return org

    @bp.get("/entities/<tenant_id>/<kind>")
    @bp.get("/entities/<tenant_id>/<kind>/<entity_id>")
    def entity(tenant_id, kind, entity_id=None):
        with state.lock:
            org = org_or_404(tenant_id)
            if kind not in org:
                raise KeyError(kind)
            collection = org[kind]
            if entity_id is None:
                return jsonify(collection)
            if isinstance(collection, dict):
                found = collection.get(entity_id) or collection.get(entity_id.lower())
                if found is None:
                    raise KeyError(entity_id)
                return jsonify(found)
            raise KeyError(entity_id)

    @bp.post("/lock-dates")
    def lock_dates():
        data = body()
        with state.lock:
            org = org_or_404(str(data.get("tenant_id", "")))
            for field in ("PeriodLockDate", "EndOfYearLockDate"):
                if field in data:
                    value = parse_date(data[field]) if data[field] else None
                    if value:
                        org["organisation"][field] = value
                    else:
                        org["organisation"].pop(field, None)
            state.save()
            return jsonify({k: org["organisation"].get(k)
                            for k in ("PeriodLockDate", "EndOfYearLockDate")})

    @bp.post("/tenant-faults")
    def tenant_faults_add():
        data = body()
        org_or_404(str(data.get("tenant_id", "")))
        fault = sandbox.tenant_faults.inject(data["tenant_id"], str(data.get("category", "")),
                                             writes_only=data.get("writes_only", True) is not False)
        return jsonify(fault), 201

    @bp.get("/tenant-faults")
    def tenant_faults_list():
        return jsonify(sandbox.tenant_faults.queued())

    @bp.delete("/tenant-faults")
    def tenant_faults_clear():
        sandbox.tenant_faults.clear()
        return jsonify(ok=True)

    @bp.get("/webhook")
    def webhook_get():
        return jsonify(sandbox.webhook_info())

    @bp.post("/webhook")
    def webhook_set():
        data = body()
        if not data.get("url") or not data.get("key"):
            raise ValueError("'url' and 'key' are required")
        return jsonify(sandbox.configure_webhook(
            data["url"], data["key"], data.get("categories"), data.get("client_id"),
            run_itr=data.get("itr", True)))

    @bp.post("/webhook/itr")
    def webhook_itr():
        hook = state.webhook
        if not hook.get("url"):
            raise ValueError("no webhook configured")
        return jsonify(sandbox.configure_webhook(hook["url"], hook["key"], hook["categories"],
                                                 hook.get("client_id")))

    @bp.post("/webhook/enable")
    def webhook_enable():
        return jsonify(sandbox.set_webhook_enabled(True))

    @bp.post("/webhook/disable")
    def webhook_disable():
        return jsonify(sandbox.set_webhook_enabled(False))

    @bp.get("/limits")
    def limits_get():
        from dataclasses import asdict

        return jsonify(asdict(sandbox.limits.config))

    @bp.post("/limits")
    def limits_set():
        from dataclasses import asdict

        sandbox.limits.config.update(body())
        return jsonify(asdict(sandbox.limits.config))

    @bp.post("/clients")
    def clients_add():
        data = body()
        if not data.get("client_id") or not data.get("client_secret"):
            raise ValueError("'client_id' and 'client_secret' are required")
        with state.lock:
            state.clients[data["client_id"]] = {
                "client_id": data["client_id"], "secret": data["client_secret"],
                "name": data.get("name") or data["client_id"],
                "redirect_uris": list(data.get("redirect_uris") or []),
                "allow_localhost": bool(data.get("allow_localhost", True))}
            state.save()
        return jsonify({"client_id": data["client_id"]}), 201

    @bp.get("/connections")
    def connections_all():
        with state.lock:
            return jsonify(list(state.connections.values()))

    @bp.get("/exchanges")
    def exchanges():
        return jsonify([{k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
                         for k, v in e.items()} for e in list(sandbox.exchanges)])
