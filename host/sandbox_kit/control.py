"""The ``/_sandbox/`` control API shared by every provider sandbox.

JSON endpoints (all answer JSON; errors are ``{"error": "..."}`` with 400/404):

==========  ==========================  ===========================================================
Method      Path                        Body / effect
==========  ==========================  ===========================================================
GET         /_sandbox/                  what this sandbox is (``describe()``), clock
POST        /_sandbox/reset             forget everything (then re-seed if the provider does so)
POST        /_sandbox/seed              provider ``seed(payload)``
POST        /_sandbox/tokens            provider ``mint_tokens(payload)`` -> token response
GET         /_sandbox/clock             clock reading
POST        /_sandbox/clock/advance     ``{"seconds": 3601}``
POST        /_sandbox/clock/scale       ``{"time_scale": 60}``
GET         /_sandbox/faults            active rules
POST        /_sandbox/faults            one rule or a list: ``{"kind": "status", "path": "/invoice",
                                        "method": "POST", "count": 1, "status": 503, "body": {...},
                                        "headers": {...}, "latency_ms": 0}``
DELETE      /_sandbox/faults            remove all rules
GET         /_sandbox/requests          request log; filters ``?path=&method=&limit=``
DELETE      /_sandbox/requests          clear the log
GET         /_sandbox/webhooks          deliveries with their attempts, and targets
POST        /_sandbox/webhooks/flush    deliver pending events now (ignores delays)
POST        /_sandbox/webhooks/targets  ``{"key", "url", "secret", "options"}`` set a target
==========  ==========================  ===========================================================

Providers add their own endpoints through ``ProviderSandbox.register_control_routes(bp)``.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .webhooks import WebhookTarget


def make_control_blueprint(sandbox) -> Blueprint:
    """Build the control blueprint for ``sandbox`` (a :class:`ProviderSandbox`)."""
    bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")

    def body() -> dict:
        data = request.get_json(silent=True)
        return data if isinstance(data, (dict, list)) else {}

    @bp.errorhandler(ValueError)
    def _bad_request(exc):
        return jsonify(error=str(exc)), 400

    @bp.errorhandler(KeyError)
    def _not_found(exc):
        return jsonify(error=f"not found: {exc.args[0] if exc.args else exc}"), 404

    @bp.errorhandler(NotImplementedError)
    def _not_impl(exc):
        return jsonify(error=str(exc)), 501

    @bp.get("/")
    def describe():
        return jsonify(sandbox=sandbox.describe(), clock=sandbox.clock.as_dict())

    @bp.post("/reset")
    def reset():
        sandbox.reset()
        return jsonify(ok=True)

    @bp.post("/seed")
    def seed():
        return jsonify(sandbox.seed(body()) or {})

    @bp.post("/tokens")
    def tokens():
        return jsonify(sandbox.mint_tokens(body()))

    @bp.get("/clock")
    def clock():
        return jsonify(sandbox.clock.as_dict())

    @bp.post("/clock/advance")
    def clock_advance():
        seconds = body().get("seconds")
        if not isinstance(seconds, (int, float)):
            raise ValueError("'seconds' (a number) is required")
        sandbox.clock.advance(seconds)
        return jsonify(sandbox.clock.as_dict())

    @bp.post("/clock/scale")
    def clock_scale():
        scale = body().get("time_scale")
        if not isinstance(scale, (int, float)):
            raise ValueError("'time_scale' (a number) is required")
        sandbox.clock.set_time_scale(scale)
        return jsonify(sandbox.clock.as_dict())

    @bp.get("/faults")
    def faults_list():
        return jsonify(faults=sandbox.faults.rules())

    @bp.post("/faults")
    def faults_add():
        data = body()
        rules = data if isinstance(data, list) else [data]
        try:
            added = [sandbox.faults.add(dict(r)).as_dict() for r in rules]
        except TypeError as exc:
            raise ValueError(str(exc)) from exc
        return jsonify(faults=added), 201

    @bp.delete("/faults")
    def faults_clear():
        sandbox.faults.clear()
        return jsonify(ok=True)

    @bp.get("/requests")
    def requests_list():
        limit = request.args.get("limit", type=int)
        return jsonify(requests=sandbox.request_log.entries(
            path_contains=request.args.get("path"), method=request.args.get("method"), limit=limit))

    @bp.delete("/requests")
    def requests_clear():
        sandbox.request_log.clear()
        return jsonify(ok=True)

    @bp.get("/webhooks")
    def webhooks_list():
        return jsonify(deliveries=sandbox.webhooks.deliveries(),
                       targets=[t.as_dict() for t in sandbox.webhooks.targets()],
                       pending=sandbox.webhooks.pending_count())

    @bp.post("/webhooks/flush")
    def webhooks_flush():
        return jsonify(deliveries=sandbox.webhooks.flush())

    @bp.post("/webhooks/targets")
    def webhooks_target():
        data = body()
        if not data.get("key"):
            raise ValueError("'key' is required")
        target = WebhookTarget(key=str(data["key"]), url=data.get("url") or "",
                               secret=data.get("secret") or "", options=data.get("options") or {})
        sandbox.webhooks.set_target(target)
        return jsonify(target.as_dict())

    sandbox.register_control_routes(bp)
    return bp
