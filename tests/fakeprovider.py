"""The fake provider: a deterministic plugin implementing EVERY hook, over real HTTP.

Used by the host's own tests (plugin machinery, OAuth, pages, sync and end to end) the way
pretix uses ``testdummy``. Load it with ``make_app(plugins=("fakeprovider",))`` (the default of
the ``app`` fixture); ``tests/conftest.py`` puts ``tests/`` on ``sys.path``.

Provider key ``fakeprovider``, label "Fake Ledger". Its accounting system is
:mod:`fakeledger` (a Flask app served on 127.0.0.1 in a thread, started lazily, one per
process); steer it through ``fakeledger.LEDGER`` (see that module). Behaviour:

* ``on_connect`` lists the ledger's tenants (``realmId`` in the callback selects one);
  settings defaults ``{"default_item": "1", "auto_send": False}``;
* ``test_connection`` reports an unreachable ledger as a failed check (only a refused
  credential raises); its write check creates a product and deletes it again;
* ``on_invoice_sent`` finds or creates the customer (remembered in ``connection.refs`` under
  ``"customer"``), maps each line's service type through ``connection.mapping("item", id)``
  (else the ``default_item`` setting, else :class:`MappingError`) and its tax rate through
  ``connection.mapping("tax_code", id)`` (else the ledger's tax code of the same rate, else
  :class:`MappingError`), posts with the idempotency key -- or, when ``invoice.external`` is
  set, updates that invoice in place; returns ``SyncResult(external_id, number="INV-<id>",
  deep_link=<ledger>/app/<id>)`` with the ``differences`` between what the ledger answered it
  booked and the invoice (``hookspecs.compare``; ``LEDGER.books_in`` makes the ledger book
  another currency), and ``emailed`` when the ``auto_send`` setting had the ledger send it;
* ``on_credit_note`` allocates the credit note to its invoice and never has it emailed;
* HTTP answers map to the typed errors: 400 -> ValidationError, 401 -> AuthError,
  409 -> ConflictError, 404 -> NotFoundError, 5xx -> ProviderDown (429, a 401 the token
  refresh cures, transport errors: the host's client);
* two-way sync: ``list_sync_fields`` declares the predefined pairs (customer name / email /
  contact, item name / sku / unit_price / description / income_account, invoice memo /
  due_date) and two extras (customer ``tax_id`` -> tax_number, invoice ``po_number`` ->
  reference); ``list_records`` pages through the ledger by id from ``cursor=None`` (cursor
  ``list:<last id>:<change number at the start>``), then, after the last page, through the
  change feed (cursor ``since:<change number>``), listing archived and voided records too and
  an unreadable record with ``problem``; ``push_record`` updates the customer or item linked
  in ``connection.refs`` (else the one of the same name, or SKU, else creates it), never
  writing an empty value; ``on_invoice_sent`` honours ``InvoiceData.send_email`` and writes
  ``fields["po_number"]``;
* webhooks are signed with HMAC-SHA256 (header ``X-Fake-Signature``, key
  ``FAKEPROVIDER_WEBHOOK_SECRET``), one event per changed entity, translated into the host's
  vocabulary (``Payment``/``Create`` -> ``payment``/``create``).

It passes the shared contract suite (``tests/integrations/test_contract_fake.py``), and
``scripts/mutation_check.py`` breaks copies of it to prove the suite notices.

Config keys: ``FAKEPROVIDER_BASE_URL`` (default: start the in-process ledger),
``FAKEPROVIDER_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired

import fakeledger
from hookspecs import (
    AuthError,
    BookedDocument,
    BookedLine,
    ChangeSet,
    Check,
    ConflictError,
    ConnectionInfo,
    InboundCustomer,
    InboundInvoice,
    InboundItem,
    InboundLine,
    InvoiceState,
    MappingChoice,
    MappingError,
    MappingKind,
    MatchPreview,
    NotFoundError,
    OAuthMetadata,
    PaymentAllocation,
    PaymentRecord,
    ProviderDown,
    ProviderError,
    ProviderInfo,
    RateLimit,
    RecordPage,
    SyncField,
    SyncResult,
    Tenant,
    TestResult,
    ValidationError,
    WebhookEvent,
    compare,
    hookimpl,
)
from host.forms.provider_settings import ProviderSettingsForm
from host.integrations.signatures import verify_hmac_sha256_base64

KEY = "fakeprovider"
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32"'
        ' rx="6" fill="#6b7280"/><text x="16" y="21" font-size="14" text-anchor="middle"'
        ' fill="#fff">FL</text></svg>')


class FakeSettingsForm(ProviderSettingsForm):
    default_item = SelectField("Default product/service", validators=[DataRequired()])
    auto_send = BooleanField("Automatically send invoices to the customer")

    def fill_choices(self) -> None:
        self.default_item.choices = self.choices_from("item")


def settings_form(connection, formdata=None):
    return FakeSettingsForm.for_connection(connection, formdata)



_BASE: dict[str, str] = {}


@hookimpl
def register_provider(config):
    base = config.get("FAKEPROVIDER_BASE_URL") or fakeledger.serve()
    _BASE["url"] = base
    return ProviderInfo(
        key=KEY,
        label="Fake Ledger",
        description="A deterministic test ledger (tests only).",
        logo_svg=LOGO,
        oauth=OAuthMetadata(
            authorize_url=f"{base}/oauth/authorize",
            token_url=f"{base}/oauth/token",
            revoke_url=f"{base}/oauth/revoke",
            client_id=fakeledger.CLIENT_ID,
            client_secret=fakeledger.CLIENT_SECRET,
            scopes=("accounting",),
            use_pkce=True,
            callback_params=("realmId",),
        ),
        settings_form=settings_form,
        rate_limits=(RateLimit(requests=1000, per_seconds=60),),
        mapping_kinds=(
            MappingKind("item", "Products and services", "service_type",
                        help="Which ledger product each service type is booked to."),
            MappingKind("tax_code", "Tax codes", "tax_rate"),
        ),
        compatibility=">=0.1",
        number_label="invoice number",
        financial_settings=("default_item",),
    )


# -- helpers -----------------------------------------------------------------------------------


def _call(connection, method: str, path: str, **kwargs):
    headers = kwargs.pop("headers", {})
    if connection.tenant_id:
        headers["X-Tenant-Id"] = connection.tenant_id
    resp = connection.http.request(method, f"{_BASE['url']}{path}", headers=headers, **kwargs)
    if resp.status_code < 300:
        return resp.json() if resp.content else None
    message = (resp.json() if resp.content else {}).get("message", f"HTTP {resp.status_code}")
    if resp.status_code == 400:
        raise ValidationError(message, code="400")
    if resp.status_code == 401:
        raise AuthError("The Fake Ledger refused the connection's credentials", code="401")
    if resp.status_code == 409:
        raise ConflictError(message, code="409")
    if resp.status_code == 404:
        raise NotFoundError("The record no longer exists in the Fake Ledger", code="404")
    if resp.status_code >= 500:
        raise ProviderDown(f"The Fake Ledger answered {resp.status_code}", code=str(resp.status_code))
    raise ValidationError(message, code=str(resp.status_code))


def _customer_id(connection, client) -> str:
    known = connection.refs.get("customer", client.id)
    if known:
        return known
    found = [c for c in _call(connection, "GET", "/api/customers") if c["name"] == client.name]
    if found:
        cid = found[0]["id"]
    else:
        cid = _call(connection, "POST", "/api/customers",
                    json={"name": client.name, "email": client.billing_email},
                    headers={"Idempotency-Key": f"customer-{connection.id}-{client.id}"})["id"]
    connection.refs.remember("customer", client.id, cid)
    return cid


def _tax_code(connection, line) -> str | None:
    if line.tax_rate is None:
        return None
    mapped = connection.mapping("tax_code", line.tax_rate.id)
    if mapped:
        return mapped
    rates = _call(connection, "GET", "/api/tax-rates")
    same = [code for code, rate in rates.items() if Decimal(rate) == line.tax_rate.rate]
    if not same:
        raise MappingError(f"The tax rate {line.tax_rate.name} has no tax code in the Fake Ledger",
                           fix="Map it to a tax code on the Manage page, then retry.")
    return same[0]


def _lines(connection, lines) -> list[dict]:
    out = []
    for line in lines:
        item = None
        if line.service_type is not None:
            item = connection.mapping("item", line.service_type.id)
        item = item or connection.settings.get("default_item")
        if not item:
            raise MappingError(f"Line {line.description!r} has no product in the Fake Ledger",
                               fix="Map its service type to a product on the Manage page, or "
                                   "choose a default product, then retry.")
        out.append({"item": item, "description": line.description, "amount": str(line.amount),
                    "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                    "discount_percent": str(line.discount_percent),
                    "tax_code": _tax_code(connection, line)})
    return out


def _booked(doc: dict) -> BookedDocument:
    """What the ledger answered it booked."""
    lines = tuple(BookedLine(description=line["description"],
                             quantity=Decimal(line["quantity"]),
                             unit_amount=Decimal(line["unit_price"]),
                             amount=Decimal(line["amount"]),
                             tax=Decimal(line["tax_amount"]) if line.get("tax_amount") else None,
                             discount_percent=Decimal(line["discount_percent"]))
                  for line in doc["lines"])
    return BookedDocument(provider="Fake Ledger", total=Decimal(doc["total"]),
                          currency=doc.get("currency", ""), tax=Decimal(doc["tax_total"]),
                          lines=lines)


def _result(doc: dict, document=None) -> SyncResult:
    return SyncResult(external_id=doc["id"], number=doc.get("number"),
                      deep_link=f"{_BASE['url']}/app/{doc['id']}",
                      version=str(doc.get("version") or 1),
                      differences=compare(document, _booked(doc)) if document else (),
                      emailed=bool(doc.get("emailed")))


# -- connection lifecycle ----------------------------------------------------------------------


@hookimpl
def on_connect(connection, callback_params):
    tenants = [Tenant(t["id"], t["name"], country=t.get("country", ""))
               for t in _call(connection, "GET", "/api/tenants")]
    realm = callback_params.get("realmId")
    if realm:
        tenants = [t for t in tenants if t.id == realm]
    return ConnectionInfo(tenants=tuple(tenants),
                          settings_defaults={"default_item": "1", "auto_send": False})


@hookimpl
def test_connection(connection, write_check):
    try:
        return TestResult(checks=tuple(_checks(connection, write_check)))
    except AuthError:
        raise
    except ProviderError as exc:
        return TestResult(checks=(Check("Fake Ledger reachable", "fail", exc.message,
                                        fix="Try again in a few minutes."),))


def _checks(connection, write_check) -> list[Check]:
    company = _call(connection, "GET", "/api/company")
    checks = [Check("Company", "pass", f"Connected to {company['name']}")]
    if not company.get("custom_numbers", True):
        checks.append(Check("Invoice numbers", "fail", "The ledger numbers invoices itself",
                            fix="Turn on custom transaction numbers in the Fake Ledger."))
    item = connection.settings.get("default_item")
    items = {c["id"] for c in _call(connection, "GET", "/api/choices/item")}
    if item in items:
        checks.append(Check("Default product", "pass", "The default product exists"))
    else:
        checks.append(Check("Default product", "fail", "The default product is missing",
                            fix="Choose another default product and test again."))
    if write_check:
        created = _call(connection, "POST", "/api/items", json={"name": "PSA write check"})
        _call(connection, "DELETE", f"/api/items/{created['id']}")
        checks.append(Check("Write access", "pass", "Created and removed a test product"))
    else:
        checks.append(Check("Write access", "warn", "Not checked",
                            fix="Tick 'also check write access' to verify it."))
    return checks


@hookimpl
def on_disconnect(connection):
    try:
        _call(connection, "POST", "/api/disconnect")
    except Exception:  # noqa: BLE001 - the contract: swallow and report False
        return False
    return True


# -- outbound ----------------------------------------------------------------------------------


@hookimpl
def on_invoice_sent(connection, invoice, idempotency_key):
    send = invoice.send_email
    if send is None:
        send = connection.settings.get("auto_send")
    payload = {"customer": _customer_id(connection, invoice.client), "number_ref": invoice.number,
               "currency": invoice.currency, "issue_date": invoice.issue_date.isoformat(),
               "due_date": invoice.due_date.isoformat(), "lines": _lines(connection, invoice.lines),
               "send": bool(send)}
    if invoice.memo:
        payload["memo"] = invoice.memo
    if invoice.fields.get("po_number"):
        payload["po_number"] = invoice.fields["po_number"]
    headers = {"Idempotency-Key": idempotency_key}
    if invoice.external:
        doc = _call(connection, "PUT", f"/api/invoices/{invoice.external.external_id}",
                    json=payload, headers=headers)
    else:
        doc = _call(connection, "POST", "/api/invoices", json=payload, headers=headers)
    return _result(doc, invoice)


@hookimpl
def on_invoice_voided(connection, invoice, idempotency_key):
    doc = _call(connection, "POST", f"/api/invoices/{invoice.external.external_id}/void",
                headers={"Idempotency-Key": idempotency_key})
    return _result(doc)


@hookimpl
def on_credit_note(connection, credit_note, idempotency_key):
    payload = {"customer": _customer_id(connection, credit_note.client),
               "invoice": credit_note.invoice_external.external_id
               if credit_note.invoice_external else None,
               "currency": credit_note.currency,
               "issue_date": credit_note.issue_date.isoformat(),
               "lines": _lines(connection, credit_note.lines)}
    return _result(_call(connection, "POST", "/api/credit-notes", json=payload,
                         headers={"Idempotency-Key": idempotency_key}), credit_note)


@hookimpl
def on_payment(connection, payment, idempotency_key):
    payload = {"invoice_id": payment.invoice_external.external_id, "amount": str(payment.amount),
               "date": payment.date.isoformat()}
    return _result(_call(connection, "POST", "/api/payments", json=payload,
                         headers={"Idempotency-Key": idempotency_key}))


# -- inbound -----------------------------------------------------------------------------------


@hookimpl
def verify_webhook(headers, body, config):
    secret = config.get("FAKEPROVIDER_WEBHOOK_SECRET") or fakeledger.WEBHOOK_SECRET
    return verify_hmac_sha256_base64(secret, body, headers.get("X-Fake-Signature"))


#: The ledger's entity names in the host's vocabulary (``WEBHOOK_ENTITIES``).
ENTITIES = {"Invoice": "invoice", "CreditNote": "credit_note", "Payment": "payment",
            "Customer": "customer", "Item": "item"}


@hookimpl
def parse_webhook(headers, body):
    try:
        data = json.loads(body)
        return [WebhookEvent(tenant_id=e["tenant"], entity=ENTITIES[e["entity"]],
                             entity_id=e["id"], operation=e["operation"].lower(),
                             event_id=e.get("event_id", ""))
                for e in data["events"] if e["entity"] in ENTITIES]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"Malformed Fake Ledger webhook: {exc}") from exc


def _changes(docs) -> ChangeSet:
    payments, invoices = [], []
    for doc in docs:
        if doc["type"] == "payment" and doc.get("invoice_id"):
            payments.append(PaymentRecord(
                external_id=doc["id"], date=date.fromisoformat(doc["date"]),
                allocations=(PaymentAllocation(doc["invoice_id"], Decimal(doc["amount"])),),
                voided=bool(doc.get("voided"))))
        elif doc["type"] == "invoice":
            invoices.append(InvoiceState(external_id=doc["id"],
                                         status="voided" if doc.get("voided") else "open"))
    return ChangeSet(payments=tuple(payments), invoices=tuple(invoices))


@hookimpl
def fetch_changes(connection, events):
    docs = [_call(connection, "GET", f"/api/documents/{e.entity_id}") for e in events]
    return _changes(docs)


@hookimpl
def reconcile(connection, cursor):
    data = _call(connection, "GET", "/api/changes", params={"since": cursor or "0"})
    found = _changes(data["documents"])
    return ChangeSet(payments=found.payments, invoices=found.invoices, cursor=data["cursor"])


# -- mapping support ---------------------------------------------------------------------------


@hookimpl
def list_mapping_choices(connection, kind):
    if kind not in ("item", "tax_code", "default_item"):
        return []
    kind = "item" if kind == "default_item" else kind
    return [MappingChoice(c["id"], c["name"]) for c in _call(connection, "GET", f"/api/choices/{kind}")]


@hookimpl
def preview_matches(connection, kind, records):
    if kind == "client":
        pool = [MappingChoice(c["id"], c["name"]) for c in _call(connection, "GET", "/api/customers")]
    else:
        pool = [MappingChoice(c["id"], c["name"])
                for c in _call(connection, "GET", "/api/choices/item")]
    out = []
    for rec in records:
        hits = [c for c in pool if c.label.lower() == rec.name.lower()]
        if len(hits) == 1:
            out.append(MatchPreview(rec.id, rec.name, "match", hits[0].external_id, hits[0].label))
        elif len(hits) > 1:
            out.append(MatchPreview(rec.id, rec.name, "ambiguous", candidates=tuple(hits),
                                    reason="several records have this name"))
        elif kind == "client":
            out.append(MatchPreview(rec.id, rec.name, "create", reason="new customer"))
        else:
            out.append(MatchPreview(rec.id, rec.name, "default",
                                    external_id=connection.settings.get("default_item"),
                                    reason="booked to the default product"))
    return out


# -- two-way sync ------------------------------------------------------------------------------

#: What the ledger can map, per object: (key, label, host field, predefined).
SYNC_FIELDS = {
    "customer": (("name", "Display name", "name", True),
                 ("email", "Email", "billing_email", True),
                 ("contact", "Contact person", "billing_contact_name", True),
                 ("tax_id", "Tax ID", "tax_number", False)),
    "item": (("name", "Name", "name", True), ("sku", "SKU", "sku", True),
             ("unit_price", "Sales price", "unit_price", True),
             ("description", "Sales description", "description", True),
             ("income_account", "Income account", "income_account", True)),
    "invoice": (("memo", "Message on invoice", "memo", True),
                ("due_date", "Due date", "due_date", True),
                ("po_number", "PO number", "reference", False)),
}


@hookimpl
def list_sync_fields(connection, object):
    return [SyncField(key=key, label=label, object=object, host_field=host_field,
                      predefined=predefined)
            for key, label, host_field, predefined in SYNC_FIELDS.get(object, ())]


def _when(epoch) -> datetime | None:
    return datetime.fromtimestamp(float(epoch), timezone.utc) if epoch else None


def _inbound_customer(c: dict) -> InboundCustomer:
    return InboundCustomer(external_id=c["id"], name=c.get("name") or "",
                           billing_email=c.get("email") or "",
                           billing_contact_name=c.get("contact") or "",
                           tax_number=c.get("tax_id") or "",
                           active=bool(c.get("active", True)), version=str(c.get("version", "")),
                           created_at=_when(c.get("created")), updated_at=_when(c.get("updated")),
                           extra={"tax_id": c["tax_id"]} if c.get("tax_id") else {})


def _inbound_item(i: dict) -> InboundItem:
    price = i.get("unit_price")
    return InboundItem(external_id=i["id"], name=i.get("name") or "", sku=i.get("sku") or "",
                       unit_price=Decimal(str(price)) if price not in (None, "") else None,
                       description=i.get("description") or "",
                       income_account=i.get("income_account") or "",
                       active=bool(i.get("active", True)), version=str(i.get("version", "")),
                       created_at=_when(i.get("created")), updated_at=_when(i.get("updated")))


def _inbound_invoice(doc: dict, rates: dict) -> InboundInvoice:
    lines = tuple(InboundLine(
        description=line.get("description") or "", quantity=Decimal(line["quantity"]),
        unit_price=Decimal(line["unit_price"]), amount=Decimal(line["amount"]),
        item_external_id=line.get("item") or "", tax_code=line.get("tax_code") or "",
        tax_percent=Decimal(rates[line["tax_code"]]) if line.get("tax_code") in rates else None,
        tax_amount=Decimal(line["tax_amount"]) if line.get("tax_amount") else None)
        for line in doc.get("lines") or ())
    paid = sum((Decimal(p["amount"]) for p in doc.get("payments", ()) if not p.get("voided")),
               Decimal(0))
    return InboundInvoice(
        external_id=doc["id"], number=doc.get("number") or "",
        customer_external_id=doc.get("customer") or "", currency=doc.get("currency") or "",
        issue_date=date.fromisoformat(doc["issue_date"]),
        due_date=date.fromisoformat(doc["due_date"]) if doc.get("due_date") else None,
        status=doc.get("state") or "open", lines=lines, subtotal=Decimal(doc["subtotal"]),
        tax_total=Decimal(doc["tax_total"]), total=Decimal(doc["total"]),
        amount_due=Decimal(doc["total"]) - paid, memo=doc.get("memo") or "",
        version=str(doc.get("version", "")), created_at=_when(doc.get("created")),
        updated_at=_when(doc.get("updated")),
        extra={"po_number": doc["po_number"]} if doc.get("po_number") else {},
        payments=_changes(doc.get("payments", ())).payments)


def _inbound(object: str, raw: dict, rates: dict):
    """One ledger record mapped; one that cannot be read comes back with ``problem``."""
    try:
        if object == "customer":
            return _inbound_customer(raw)
        if object == "item":
            return _inbound_item(raw)
        return _inbound_invoice(raw, rates)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        kind = {"customer": InboundCustomer, "item": InboundItem}.get(object)
        problem = f"The Fake Ledger's {object} {raw.get('id')!r} cannot be read ({exc!r})"
        if kind is not None:
            return kind(external_id=str(raw.get("id", "")), name="", problem=problem)
        return InboundInvoice(external_id=str(raw.get("id", "")), number="",
                              customer_external_id="", currency="", issue_date=date.min,
                              due_date=None, status="open", lines=(), subtotal=Decimal(0),
                              tax_total=Decimal(0), total=Decimal(0), problem=problem)


@hookimpl
def list_records(connection, object, cursor, page_size):
    if object not in SYNC_FIELDS:
        return RecordPage(records=(), cursor=cursor or "")
    if cursor is None or cursor.startswith("list:"):
        after, start = cursor.split(":")[1:3] if cursor else ("", "")
        data = _call(connection, "GET", f"/api/records/{object}",
                     params={"after": after, "limit": page_size})
        start = start or str(data["seq"])  # changes from here on come through the feed
        if data["more"]:
            cursor = f"list:{data['records'][-1]['id']}:{start}"
        else:
            cursor = f"since:{start}"
    else:
        since = cursor.removeprefix("since:")
        data = _call(connection, "GET", f"/api/records/{object}",
                     params={"changed_after": since, "limit": page_size})
        cursor = f"since:{data['records'][-1]['seq']}" if data["records"] else cursor
    rates = _call(connection, "GET", "/api/tax-rates") if object == "invoice" else {}
    return RecordPage(records=tuple(_inbound(object, r, rates) for r in data["records"]),
                      cursor=cursor, more=bool(data["more"]))


def _linked(connection, kind: str, host_id: int) -> str | None:
    return connection.mapping(kind, host_id) or connection.refs.get(kind, host_id)


def _customer_payload(client) -> dict:
    payload = {"name": client.name, "email": client.billing_email,
               "contact": client.billing_contact_name, "tax_id": client.fields.get("tax_id", "")}
    return {k: v for k, v in payload.items() if v}  # never blank the ledger's value


def _item_payload(connection, item) -> dict:
    account = connection.mapping("gl_account", item.income_account.id) \
        if item.income_account else None
    payload = {"name": item.name, "sku": item.sku, "description": item.description,
               "unit_price": str(item.unit_price) if item.unit_price is not None else "",
               "income_account": account or ""}
    return {k: v for k, v in payload.items() if v}


def _find(connection, object: str, record) -> str | None:
    """The ledger's record of the same name (customers) or SKU, then name (items)."""
    if object == "customer":
        found = [c for c in _call(connection, "GET", "/api/customers")
                 if c.get("name") == record.name]
    else:
        items = [i for i in _call(connection, "GET", "/api/records/item",
                                  params={"limit": 1000})["records"] if i.get("active", True)]
        found = [i for i in items if record.sku and i.get("sku") == record.sku] or \
                [i for i in items if i.get("name") == record.name]
    return found[0]["id"] if found else None


@hookimpl
def push_record(connection, object, record, idempotency_key):
    if object not in ("customer", "item"):
        raise MappingError(f"The Fake Ledger cannot take a pushed {object}")
    kind, path = ("customer", "customers") if object == "customer" else ("item", "items")
    payload = _customer_payload(record) if object == "customer" \
        else _item_payload(connection, record)
    headers = {"Idempotency-Key": idempotency_key}
    linked = _linked(connection, kind, record.id) or _find(connection, object, record)
    if linked:
        doc = _call(connection, "PUT", f"/api/{path}/{linked}", json=payload, headers=headers)
    else:
        doc = _call(connection, "POST", f"/api/{path}", json=payload, headers=headers)
    connection.refs.remember(kind, record.id, doc["id"])
    return SyncResult(external_id=doc["id"], version=str(doc.get("version", "")),
                      deep_link=f"{_BASE['url']}/app/{path}/{doc['id']}")
