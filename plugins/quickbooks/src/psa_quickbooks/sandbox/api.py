"""The v3 Accounting API under ``/v3/company/<realmId>/`` (reference 2-7).

Every request goes through :func:`guarded`: bearer-token check (401 / 3200 gateway envelope;
403 / 3100 for a realm the token does not cover), throttles (per-realm requests per minute,
requests per second per realm and app, in-flight requests per realm and app, batch calls per
minute; 429 with the 3001 fault), then
``requestid`` replay for writes, then the handler. Responses carry ``time`` and ``intuit_tid``.
"""
from __future__ import annotations

import json
import time
from functools import wraps

from flask import Blueprint, Response, current_app, g, request

from . import batch as batch_mod
from . import cdc as cdc_mod
from . import currencies, faults, query
from .control import faults_tid
from .entities import Operations
from .pdf import invoice_pdf
from .store import ENTITY_RESOURCES, RESOURCE_ENTITIES, public
from .taxservice import create_tax_code
from .timefmt import parse_date, qbo_date, qbo_time

bp = Blueprint("qbo_api", __name__, url_prefix="/v3/company/<realm>")
SENDABLE = {"Invoice", "CreditMemo", "Payment"}


def _sandbox():
    return current_app.extensions["qbo_sandbox"]


def respond(status: int, body) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["intuit_tid"] = g.get("intuit_tid") or faults_tid()
    return response


def envelope(payload: dict) -> dict:
    return dict(payload, time=qbo_time(_sandbox().clock.now(), millis=True))


def fault_response(fault: faults.QboFault) -> Response:
    return respond(fault.status, envelope({"Fault": fault.fault()}))


def _auth_failure(status: int, code: str, name: str, detail: str, fault_type: str) -> Response:
    message = f"message={name}; errorCode={int(code):06d}; statusCode={status}"
    body = faults.gateway_error(message, detail, code, status, fault_type,
                                int(_sandbox().clock.now() * 1000))
    return respond(status, body)


def _throttled() -> Response:
    status, headers, body = _sandbox().throttle_response()
    response = Response(body, status=status)
    for key, value in headers:
        response.headers[key] = value
    return response


def guarded(kind: str = "api"):
    """Authenticate, throttle, replay; ``kind`` is ``api`` or ``batch``."""
    def decorator(view):
        @wraps(view)
        def wrapper(realm, *args, **kwargs):
            sandbox = _sandbox()
            g.intuit_tid = faults_tid()
            header = request.headers.get("Authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            grant, reason = sandbox.tokens.check_access(token)
            if grant is None:
                return _auth_failure(401, "3200", "AuthenticationFailed",
                                     f"{reason}: Authentication failed", "AUTHENTICATION")
            company = sandbox.state.company(realm)
            if grant["realm_id"] != realm or company is None:
                return _auth_failure(403, "3100", "ApplicationAuthorizationFailed",
                                     "App is not authorized to access this company", "SERVICE")
            config = sandbox.config
            if not sandbox.limiter.hit(("realm", realm), int(config["QBO_RATE_PER_MINUTE"]), 60).allowed:
                return _throttled()
            if not sandbox.limiter.hit(("second", realm, grant["client_id"]),
                                       int(config["QBO_RATE_PER_SECOND"]), 1).allowed:
                return _throttled()
            if kind == "batch" and not sandbox.limiter.hit(
                    ("batch", realm, grant["client_id"]), int(config["QBO_BATCH_PER_MINUTE"]), 60).allowed:
                return _throttled()
            gate_key = ("inflight", realm, grant["client_id"])
            if not sandbox.gate.try_acquire(gate_key, int(config["QBO_CONCURRENT_PER_REALM"])):
                return _throttled()
            try:
                if config.get("QBO_HANDLER_DELAY_MS"):
                    time.sleep(float(config["QBO_HANDLER_DELAY_MS"]) / 1000.0)
                request_id = request.args.get("requestid")
                if request.method == "POST" and request_id:
                    if len(request_id) > (36 if kind == "batch" else 50):
                        return fault_response(faults.QboFault(2130, "Invalid Request Id Format",
                                                              "requestid is too long", "requestid"))
                    with sandbox.state.lock:
                        replay = company.replay(request_id)
                    if replay is not None:
                        return respond(replay[0], replay[1])
                try:
                    status, body = view(company, *args, **kwargs)
                except faults.QboFault as fault:
                    status, body = fault.status, envelope({"Fault": fault.fault()})
                if isinstance(body, Response):
                    return body
                if request.method == "POST" and request_id and status < 500:
                    with sandbox.state.lock:
                        company.remember(request_id, status, body)
                        sandbox.persist(company)
                return respond(status, body)
            finally:
                sandbox.gate.release(gate_key)
        return wrapper
    return decorator


def entity_for(resource: str) -> str:
    entity = RESOURCE_ENTITIES.get(resource.lower())
    if entity is None:
        raise faults.unsupported(f"Unsupported Operation: resource '{resource}' is not supported.")
    return entity


def write(company, entity: str, body, operation: str | None, options: dict) -> dict:
    """One write under the state lock; persists and emits webhooks. Returns the response payload."""
    sandbox = _sandbox()
    with sandbox.state.lock:
        ops = Operations(company, sandbox.clock.now())
        if operation == "delete":
            result = ops.delete(entity, body if isinstance(body, dict) else {})
        elif operation == "void" or (entity == "Payment" and options.get("void")):
            result = ops.void(entity, body if isinstance(body, dict) else {})
        elif operation in (None, "", "create", "update"):
            result = ops.save(entity, body, options)
        else:
            raise faults.unsupported(f"Operation {operation} is not supported.")
        sandbox.persist(company)
    sandbox.emit(company.realm_id, ops.events)
    return {entity: result}


def _options() -> dict:
    include = {p.strip().lower() for p in request.args.get("include", "").split(",") if p.strip()}
    return {"allow_duplicate_docnum": "allowduplicatedocnum" in include, "void": "void" in include}


def _json_body():
    raw = request.get_data()
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except UnicodeDecodeError:
        raise faults.unsupported("Unsupported Operation: MalformedByteSequenceException")
    except ValueError as exc:
        raise faults.bad_property(f"failed to parse json object: {exc}")


@bp.get("/companyinfo/<ident>")
@guarded()
def companyinfo(company, ident):
    if ident != company.realm_id and ident != company.info.get("Id"):
        raise faults.not_found("CompanyInfo", ident)
    return 200, envelope({"CompanyInfo": dict(company.info)})


@bp.route("/preferences", methods=["GET"])
@guarded()
def preferences(company):
    return 200, envelope({"Preferences": dict(company.prefs, Id="1", SyncToken="0", domain="QBO",
                                              sparse=False)})


@bp.route("/query", methods=["GET", "POST"])
@guarded()
def run_query(company):
    text = request.args.get("query")
    if text is None:
        text = request.get_data().decode("utf-8", "replace")
    with _sandbox().state.lock:
        result = query.execute(company, text)
    return 200, envelope({"QueryResponse": result})


@bp.post("/batch")
@guarded("batch")
def run_batch(company):
    return 200, envelope(batch_mod.run(company, _json_body(), write, _options))


@bp.get("/cdc")
@guarded()
def run_cdc(company):
    return 200, envelope(cdc_mod.run(company, request.args.get("entities", ""),
                                     request.args.get("changedSince", ""), _sandbox().clock.now()))


@bp.post("/taxservice/taxcode")
@guarded()
def taxservice(company):
    sandbox = _sandbox()
    with sandbox.state.lock:
        result, events = create_tax_code(company, _json_body(), sandbox.clock.now())
        sandbox.persist(company)
    sandbox.emit(company.realm_id, events)
    return 200, envelope(result)


@bp.get("/exchangerate")
@guarded()
def exchangerate(company):
    """QuickBooks' own rate of ``sourcecurrencycode`` into the home currency on ``asofdate``
    (default today), see :mod:`.currencies`."""
    sandbox = _sandbox()
    now = sandbox.clock.now()
    as_of = request.args.get("asofdate") or qbo_date(now)
    if parse_date(as_of) is None:
        raise faults.QboFault(2060, "Invalid Date", f"Invalid date: {as_of}", "asofdate")
    with sandbox.state.lock:
        rate = currencies.exchange_rate(company, request.args.get("sourcecurrencycode", ""),
                                        as_of, qbo_time(now))
    return 200, envelope({"ExchangeRate": rate})


@bp.post("/<resource>")
@guarded()
def save(company, resource):
    entity = entity_for(resource)
    body = _json_body()
    if body is None:
        raise faults.required(entity)
    return 200, envelope(write(company, entity, body, request.args.get("operation"), _options()))


@bp.get("/<resource>/<ident>")
@guarded()
def read(company, resource, ident):
    entity = entity_for(resource)
    with _sandbox().state.lock:
        obj = Operations(company, _sandbox().clock.now()).read(entity, ident)
    return 200, envelope({entity: obj})


@bp.post("/<resource>/<ident>/send")
@guarded()
def send(company, resource, ident):
    entity = entity_for(resource)
    if entity not in SENDABLE:
        raise faults.unsupported(f"Operation send is not supported for {entity}")
    sandbox = _sandbox()
    with sandbox.state.lock:
        ops = Operations(company, sandbox.clock.now())
        result = ops.send(entity, ident, request.args.get("sendTo"))
        sandbox.persist(company)
    sandbox.emit(company.realm_id, ops.events)
    return 200, envelope({entity: result})


@bp.get("/<resource>/<ident>/pdf")
@guarded()
def pdf(company, resource, ident):
    entity = entity_for(resource)
    with _sandbox().state.lock:
        obj = company.get(entity, ident)
        if obj is None:
            raise faults.not_found(entity, ident)
        data = invoice_pdf(company, entity, public(obj))
    response = Response(data, status=200, mimetype="application/pdf")
    response.headers["intuit_tid"] = g.intuit_tid
    return 200, response


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
@guarded()
def unknown(company, rest):
    raise faults.unsupported(f"Unsupported Operation: {request.method} {rest}")


__all__ = ["bp", "ENTITY_RESOURCES"]
