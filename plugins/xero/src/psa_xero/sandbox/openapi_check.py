"""Check HTTP exchanges against Xero's official OpenAPI documents (openapi-core).

Reusable by anything that talks to Xero or to the sandbox::

    from psa_xero.sandbox.openapi_check import check_exchange, check_httpx, check_webhook

    problems = validate_exchange("PUT", "/api.xro/2.0/Invoices", headers=..., body=raw,
                                 status=200, response_body=resp_bytes)
    check_httpx(response)            # an httpx.Response; raises OpenAPIMismatch on a problem
    check_webhook(raw_body)          # a webhook delivery body (xero-webhooks.yaml)
    httpx.Client(event_hooks={"response": [httpx_response_hook()]})  # check a whole client

- ``/api.xro/2.0/...`` is checked against ``xero_accounting.yaml`` (request, when the exchange
  succeeded, and response; ``400`` bodies also against its ``Error`` schema);
- ``/connections`` against ``xero-identity.yaml`` (the spec spells it ``/Connections``);
- ``/connect/token`` responses against that document's ``AccessToken`` schema;
- any other path is not Xero's and yields no problems.

Statuses a path does not document (401, 403, 404, 429, 5xx) are not checked. The documents are
parsed once per process (the accounting one is ~900 KB). The spec location defaults to
``shared/reference/xero-openapi`` beside the checkout and can be set with ``XERO_OPENAPI_DIR``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import warnings
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import yaml

def _find_spec_dir() -> Path:
    """``XERO_OPENAPI_DIR``, else ``shared/reference/xero-openapi`` beside the checkout."""
    if os.environ.get("XERO_OPENAPI_DIR"):
        return Path(os.environ["XERO_OPENAPI_DIR"])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "reference" / "xero-openapi"
        if candidate.is_dir():
            return candidate
    return Path("/work/shared/reference/xero-openapi")


SPEC_DIR = _find_spec_dir()
HOST = "https://api.xero.com"
_CONNECTIONS = re.compile(r"^/connections(/[^/]+)?$", re.IGNORECASE)


class OpenAPIMismatch(AssertionError):
    """An exchange does not conform to Xero's OpenAPI documents."""


@functools.lru_cache(maxsize=None)
def spec_dict(name: str) -> dict:
    """The parsed YAML document (``xero_accounting``, ``xero-identity`` or ``xero-webhooks``)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(SPEC_DIR / f"{name}.yaml", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


@functools.lru_cache(maxsize=None)
def openapi(name: str):
    """An ``openapi_core.OpenAPI`` for the document (the spec itself is not re-validated: the
    official files carry a few schema-invalid examples/defaults)."""
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(spec_dict(name), config=Config(spec_validator_cls=None))


def schema_problems(document: str, schema_name: str, instance) -> list[str]:
    """Validate ``instance`` against ``components/schemas/<schema_name>`` of a document."""
    from openapi_schema_validator import OAS30Validator, OAS31Validator
    from openapi_schema_validator import oas30_format_checker, oas31_format_checker

    root = dict(spec_dict(document))
    root["$ref"] = f"#/components/schemas/{schema_name}"
    root.pop("paths", None)
    root.pop("webhooks", None)
    if str(root.get("openapi", "")).startswith("3.1"):
        validator = OAS31Validator(root, format_checker=oas31_format_checker)
    else:
        validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [f"{schema_name}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(instance)]


def _content_type(headers: dict, default: str = "application/json") -> str:
    for key, value in (headers or {}).items():
        if key.lower() == "content-type":
            return value.split(";")[0].strip()
    return default


READ_ONLY_SENT = "Tried to write read-only property"


def _errors_of(exc, tolerate_read_only: bool = False) -> str | None:
    """Readable problems of an openapi-core error; None when nothing is left after filtering.

    ``tolerate_read_only``: OpenAPI 3.0 says read-only properties SHOULD NOT be sent; Xero
    ignores them and its own SDK (xero-python) sends e.g. ``HasAttachments: false``, so a
    request carrying them is not a mismatch.
    """
    inner = getattr(exc, "__cause__", None)
    details = getattr(inner, "schema_errors", None) or getattr(exc, "schema_errors", None)
    if details and tolerate_read_only:
        details = [e for e in details if READ_ONLY_SENT not in e.message]
        if not details:
            return None
    if details:
        return f"{exc}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in details)
    return f"{type(exc).__name__}: {exc}" + (f" ({inner})" if inner else "")


def validate_exchange(method: str, url: str, *, query: str = "", headers: dict | None = None,
                      body: bytes = b"", status: int, response_headers: dict | None = None,
                      response_body: bytes = b"") -> list[str]:
    """Return a list of problems (empty when the exchange conforms or is not Xero's)."""
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
    from openapi_core.templating.responses.exceptions import ResponseNotFound
    from openapi_core.testing import MockRequest, MockResponse

    parts = urlsplit(url)
    path = parts.path
    query = query or parts.query
    headers = dict(headers or {})
    response_headers = dict(response_headers or {})
    if isinstance(body, str):
        body = body.encode()
    if isinstance(response_body, str):
        response_body = response_body.encode()
    if path == "/connect/token" and method.upper() == "POST":
        if status != 200:
            return []
        try:
            return schema_problems("xero-identity", "AccessToken", json.loads(response_body))
        except ValueError as exc:
            return [f"token response is not JSON: {exc}"]
    if path.startswith("/api.xro/2.0/"):
        document = "xero_accounting"
    elif _CONNECTIONS.match(path):
        document = "xero-identity"
        path = "/Connections" + path[len("/connections"):]
    else:
        return []
    api = openapi(document)
    request = MockRequest(HOST, method, path, args=parse_qsl(query, keep_blank_values=True),
                          headers=headers, data=body or None,
                          content_type=_content_type(headers))
    response = MockResponse(response_body or b"", status_code=status, headers=response_headers,
                            content_type=_content_type(response_headers, ""))
    problems: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openapi-core: "Unsupported scheme type" (oauth2)
        if 200 <= status < 300:
            try:
                api.validate_request(request)
            except Exception as exc:  # noqa: BLE001 - report every kind of mismatch
                detail = _errors_of(exc, tolerate_read_only=True)
                if detail:
                    problems.append(f"request {method} {path}: {detail}")
        try:
            api.validate_response(request, response)
        except ResponseNotFound:
            pass  # a status this operation does not document
        except (PathNotFound, OperationNotFound) as exc:
            if status < 400:  # answering 404/405 for what Xero does not have is right
                problems.append(f"{method} {path} is not in the spec: {exc}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"response {status} {method} {path}: {_errors_of(exc)}")
    if status == 400 and document == "xero_accounting" and response_body:
        try:
            problems += schema_problems(document, "Error", json.loads(response_body))
        except ValueError as exc:
            problems.append(f"400 body is not JSON: {exc}")
    return problems


def check_exchange(method: str, url: str, **kwargs) -> None:
    """Like :func:`validate_exchange` but raises :class:`OpenAPIMismatch`."""
    problems = validate_exchange(method, url, **kwargs)
    if problems:
        raise OpenAPIMismatch("\n".join(problems))


def check_httpx(response) -> None:
    """Check an ``httpx.Response`` (and the request that produced it)."""
    request = response.request
    check_exchange(request.method, str(request.url), headers=dict(request.headers),
                   body=request.content, status=response.status_code,
                   response_headers=dict(response.headers), response_body=response.content)


def validate_webhook(body: bytes | str) -> list[str]:
    """Problems of a webhook delivery body against ``xero-webhooks.yaml``.

    Intent-to-Receive probes (``firstEventSequence`` 0) are exempt from the spec's
    ``minimum: 1`` on the sequence numbers (the documented ITR behaviour contradicts it).
    """
    data = json.loads(body)
    if not isinstance(data, dict):
        return ["webhook body is not an object"]
    if data.get("events") == [] and data.get("firstEventSequence") == 0:
        data = dict(data, firstEventSequence=1, lastEventSequence=1)
    problems = schema_problems("xero-webhooks", "WebhookEvent", data)
    for event in data.get("events") or []:
        if isinstance(event, dict) and event.get("eventCategory") == "CREDITNOTE":
            problems += schema_problems("xero-webhooks", "CreditNoteWebhookEvent",
                                        dict(data, events=[event]))
    return problems


def check_webhook(body: bytes | str) -> None:
    problems = validate_webhook(body)
    if problems:
        raise OpenAPIMismatch("\n".join(problems))


def httpx_response_hook(problems: list | None = None):
    """An httpx ``event_hooks["response"]`` callable checking every exchange of a client.

    With ``problems`` (a list) mismatches are appended to it; without, the hook raises
    :class:`OpenAPIMismatch` as soon as one is seen::

        seen = []
        client = httpx.Client(event_hooks={"response": [httpx_response_hook(seen)]})
        ...
        assert not seen
    """

    def hook(response) -> None:
        response.read()
        request = response.request
        found = validate_exchange(
            request.method, str(request.url), headers=dict(request.headers),
            body=request.content, status=response.status_code,
            response_headers=dict(response.headers), response_body=response.content)
        if not found:
            return
        if problems is None:
            raise OpenAPIMismatch("\n".join(found))
        problems.extend(found)

    return hook
