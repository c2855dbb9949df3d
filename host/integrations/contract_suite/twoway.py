"""Scenarios: two-way sync -- records an accountant keeps in the ledger, read and written.

The plugin's side of issue 12's contract, checked against the provider's own books:

* ``list_sync_fields`` declares, for each object, fields whose host fields the host knows,
  under keys that stay the same from call to call;
* a customer, an item and an invoice created on the ledger's own pages come back from
  ``list_records(cursor=None)`` mapped right: the invoice's lines, quantities, amounts, its
  customer, and its taxed line's tax code mapping back to the sample invoice's tax rate;
* paging with a small ``page_size`` lists every record once, and the last page's cursor then
  lists only what changed after it (an edit comes back with a new version);
* archived customers and items and voided invoices are listed as such; a record the plugin
  cannot map comes with ``problem`` instead of an exception;
* ``push_record`` creates a customer or an item, then updates that same record (the same key
  twice makes one record; a field sent empty is not blanked at the provider);
* an invoice pushed with an extra field's value in ``fields`` shows it in ``list_records``'
  ``extra``; ``send_email=False`` wins over the plugin's automatic emailing;
* a change made in the ledger sends a webhook that parses into events for it.

Every scenario skips unless the provider state implements
:data:`~host.integrations.provider_state.TWO_WAY_METHODS` and the plugin the hooks it needs.
The host-level scenarios (import, edits on each side, conflicts, echo) are in
:mod:`.twoway_host`.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import Headers

from host.contract.records import (
    HOST_FIELDS,
    REQUIRED_HOST_FIELDS,
    SYNC_OBJECTS,
    InboundCustomer,
    InboundInvoice,
    InboundItem,
    RecordPage,
    SyncField,
)
from host.contract.types import ClientData, ServiceTypeData, SyncResult
from host.integrations.contract_suite.hooks import call, call_keyless, need
from host.integrations.contract_suite.inbound import PAST_ANY_OVERLAP
from host.integrations.contract_suite.readback import CENT, money
from host.integrations.provider_state import supports_two_way

#: The Inbound type ``list_records`` returns for each object.
INBOUND_TYPES = {"customer": InboundCustomer, "item": InboundItem, "invoice": InboundInvoice}

#: The page size the paging scenario asks for (small, so a handful of records spans pages).
SMALL_PAGE = 2

_names = itertools.count(1)


def two_way(app, provider_key: str, provider_state, *hooks: str) -> None:
    """Skip unless the provider state can play the ledger's own pages and the plugin
    implements ``hooks``."""
    if not supports_two_way(provider_state):
        pytest.skip("the provider state does not implement TWO_WAY_METHODS "
                    "(host.integrations.provider_state)")
    need(app, provider_key, *hooks)


def unique(prefix: str) -> str:
    """A record name no other scenario uses (providers refuse duplicate names)."""
    return f"{prefix} {next(_names)}"


def list_all(connection, object: str, cursor=None, page_size: int = 100):
    """Page through ``list_records`` from ``cursor``: (records, pages, last cursor)."""
    records, pages = [], 0
    while True:
        page = call(connection, "list_records", object=object, cursor=cursor,
                    page_size=page_size)
        assert isinstance(page, RecordPage), (
            f"list_records({object!r}) returned {page!r}; return a RecordPage")
        assert len(page.records) <= page_size, (
            f"list_records({object!r}, page_size={page_size}) returned {len(page.records)} "
            "records; return at most page_size per page")
        for record in page.records:
            assert isinstance(record, INBOUND_TYPES[object]), (
                f"list_records({object!r}) returned a {type(record).__name__}; return "
                f"{INBOUND_TYPES[object].__name__} records for {object!r}")
        assert page.cursor, f"list_records({object!r}) returned no cursor"
        records.extend(page.records)
        pages += 1
        assert pages < 1000, f"list_records({object!r}) never stopped saying more=True"
        cursor = page.cursor
        if not page.more:
            return records, pages, cursor


def the_one(records, external_id: str, what: str):
    found = [r for r in records if r.external_id == external_id]
    assert len(found) == 1, (
        f"{what}: list_records listed the ledger's record {external_id!r} {len(found)} times "
        f"(listed: {[r.external_id for r in records]}); list every record once")
    return found[0]


def sample_tax_rate(sample_invoice):
    rates = [line.tax_rate for line in sample_invoice.lines if line.tax_rate is not None]
    assert rates, "the sample invoice has no taxed line (the suite's fixtures say it must)"
    return rates[0]


def tax_codes_for(app, provider_key: str, connection, rate) -> set[str]:
    """The provider tax codes the admin mapped the host tax rate to."""
    from host.integrations.registry import get_registry

    kinds = [k.key for k in get_registry(app)[provider_key].mapping_kinds
             if k.host_entity == "tax_rate"]
    from host.integrations.handle import handle_for

    with app.app_context():
        handle = handle_for(connection)
        try:
            return {code for code in (handle.mapping(kind, rate.id) for kind in kinds) if code}
        finally:
            handle.close()


def live_total(provider_state) -> int:
    return sum(provider_state.live_records().values())


class TwoWayScenarios:
    """``list_sync_fields``, ``list_records`` and ``push_record`` against the ledger."""

    def test_hook_list_sync_fields_declares_known_host_fields_under_stable_keys(
            self, app, db, provider_key, connected_connection, provider_state):
        two_way(app, provider_key, provider_state, "list_sync_fields")
        for object in SYNC_OBJECTS:
            fields = call(connected_connection, "list_sync_fields", object=object)
            assert isinstance(fields, list) and all(isinstance(f, SyncField) for f in fields), (
                f"list_sync_fields({object!r}) returned {fields!r}; return a list of SyncField")
            keys = [f.key for f in fields]
            assert all(keys) and len(set(keys)) == len(keys), (
                f"list_sync_fields({object!r}) declares keys {keys}; each needs its own key")
            for f in fields:
                assert f.object == object, (
                    f"the field {f.key!r} listed for {object!r} says object={f.object!r}")
                if f.predefined or f.host_field:
                    assert f.host_field in HOST_FIELDS[object], (
                        f"the {object} field {f.key!r} pairs with host field "
                        f"{f.host_field!r}; use one of {HOST_FIELDS[object]}")
                assert f.directions and set(f.directions) <= {"in", "out"}, (
                    f"the {object} field {f.key!r} has directions {f.directions!r}")
            if fields:
                paired = {f.host_field for f in fields if f.predefined}
                missing = set(REQUIRED_HOST_FIELDS[object]) - paired
                assert not missing, (
                    f"list_sync_fields({object!r}) has no predefined pair for the required "
                    f"host field(s) {sorted(missing)}")
            again = call(connected_connection, "list_sync_fields", object=object)
            assert [f.key for f in again] == keys, (
                f"list_sync_fields({object!r}) changed its keys between two calls ({keys} then "
                f"{[f.key for f in again]}); the admin's choices are stored under them")

    def test_hook_list_records_maps_a_customer_an_item_and_an_invoice_from_the_ledger(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        two_way(app, provider_key, provider_state, "list_records")
        name = unique("Two-Way Customer")
        customer_id = provider_state.create_record(
            "customer", {"name": name, "email": "ap@two-way.test"})
        item_id = provider_state.create_record(
            "item", {"name": unique("Two-Way Item"), "sku": unique("TW").replace(" ", "-"),
                     "unit_price": Decimal("42.50")})
        issue = sample_invoice.issue_date
        lines = [{"description": "Audit work", "quantity": Decimal("3"),
                  "unit_price": Decimal("42.50"), "item_id": item_id, "taxed": True},
                 {"description": "Untaxed extra", "quantity": Decimal("1"),
                  "unit_price": Decimal("19.99"), "item_id": item_id, "taxed": False}]
        invoice_id = provider_state.create_record(
            "invoice", {"customer_id": customer_id, "issue_date": issue,
                        "due_date": issue + timedelta(days=30), "lines": lines})

        customers = list_all(connected_connection, "customer")[0]
        customer = the_one(customers, customer_id, "the customer created in the ledger")
        assert (customer.name, customer.billing_email, customer.active, customer.problem) == (
            name, "ap@two-way.test", True, ""), (
            f"the ledger's customer {name!r} <ap@two-way.test> came back as {customer!r}")
        items = list_all(connected_connection, "item")[0]
        item = the_one(items, item_id, "the item created in the ledger")
        assert item.sku and item.unit_price is not None and money(item.unit_price) == money(
            "42.50"), f"the ledger's item (price 42.50, with a SKU) came back as {item!r}"
        invoices = list_all(connected_connection, "invoice")[0]
        invoice = the_one(invoices, invoice_id, "the invoice created in the ledger")
        assert invoice.problem == "", f"the invoice came back with a problem: {invoice.problem}"
        assert invoice.customer_external_id == customer_id, (
            f"the invoice bills the ledger's customer {customer_id!r}, list_records says "
            f"{invoice.customer_external_id!r}")
        assert invoice.status == "open", (
            f"an unpaid invoice came back with status {invoice.status!r}, not 'open'")
        got = [(line.description, Decimal(line.quantity), money(line.unit_price),
                money(line.amount)) for line in invoice.lines]
        assert got == [("Audit work", Decimal("3"), money("42.50"), money("127.50")),
                       ("Untaxed extra", Decimal("1"), money("19.99"), money("19.99"))], (
            f"the invoice's lines came back as {got}; map each line's description, quantity "
            "(not 1), unit price and net amount")
        assert invoice.lines[0].item_external_id == item_id, (
            f"the first line books item {item_id!r}, list_records says "
            f"{invoice.lines[0].item_external_id!r}")
        rate = sample_tax_rate(sample_invoice)
        taxed, untaxed = invoice.lines
        mapped = tax_codes_for(app, provider_key, connected_connection, rate)
        assert taxed.tax_code in mapped or (
            taxed.tax_percent is not None and Decimal(taxed.tax_percent) == rate.rate), (
            f"the taxed line came back with tax code {taxed.tax_code!r} and percent "
            f"{taxed.tax_percent}; the host maps it back to its tax rate {rate.name} "
            f"({rate.rate} %) through the tax mapping {sorted(mapped)} or the percentage: "
            "give the code the provider booked and the percentage it applies")
        assert not untaxed.tax_amount and not untaxed.tax_percent, (
            f"the untaxed line came back with tax {untaxed.tax_amount} / {untaxed.tax_percent} %")
        expected_tax = (Decimal("127.50") * rate.rate / 100).quantize(CENT)
        assert money(invoice.subtotal) == money("147.49") and money(
            invoice.tax_total) == expected_tax and money(invoice.total) == money(
            Decimal("147.49") + expected_tax), (
            f"the invoice's totals came back as subtotal {invoice.subtotal}, tax "
            f"{invoice.tax_total}, total {invoice.total}; the ledger booked 147.49, "
            f"{expected_tax}, {Decimal('147.49') + expected_tax}")

    def test_hook_list_records_pages_each_record_once_then_lists_only_what_changed(
            self, app, db, provider_key, connected_connection, provider_state):
        two_way(app, provider_key, provider_state, "list_records")
        created = [provider_state.create_record("customer", {"name": unique("Paged Customer")})
                   for _ in range(2 * SMALL_PAGE + 1)]
        moved = hasattr(provider_state, "advance_clock")
        if moved:  # the records predate any overlap the change pass re-reads
            provider_state.advance_clock(PAST_ANY_OVERLAP)
        records, pages, cursor = list_all(connected_connection, "customer",
                                          page_size=SMALL_PAGE)
        assert pages >= 3, (
            f"{len(records)} customers came back in {pages} page(s) of at most {SMALL_PAGE}")
        before = {oid: the_one(records, oid, "paging with a small page_size")
                  for oid in created}
        edited = created[1]
        provider_state.edit_record("customer", edited, {"email": "changed@two-way.test"})
        changed, _, after_changes = list_all(connected_connection, "customer", cursor=cursor,
                                             page_size=SMALL_PAGE)
        mine = the_one(changed, edited, "the pass after an edit in the ledger")
        assert mine.billing_email == "changed@two-way.test", (
            f"after the edit the customer came back with email {mine.billing_email!r}")
        if before[edited].version:
            assert mine.version != before[edited].version, (
                f"the edited customer came back with the same version {mine.version!r}; give "
                "the provider's new concurrency token")
        if moved:
            unchanged = sorted({r.external_id for r in changed} & (set(created) - {edited}))
            assert unchanged == [], (
                f"the pass from the last page's cursor listed the unchanged customers "
                f"{unchanged}, created {PAST_ANY_OVERLAP // 60} minutes before the listing: "
                "the cursor must move past what the listing saw")
            # one more pass may re-read the edit (a watermark of whole seconds, an overlap);
            # the pass after it must not: every pass's cursor moves past what it listed
            provider_state.advance_clock(PAST_ANY_OVERLAP)
            settled = list_all(connected_connection, "customer", cursor=after_changes)[2]
            provider_state.advance_clock(PAST_ANY_OVERLAP)
            again = {r.external_id for r in list_all(connected_connection, "customer",
                                                     cursor=settled)[0]}
            assert not again & set(created), (
                f"two passes after the change pass (the last from cursor {settled!r}) still "
                f"listed {sorted(again & set(created))}, changed {2 * PAST_ANY_OVERLAP // 60} "
                "minutes before: each pass's cursor must move past what it listed")

    def test_hook_list_records_lists_archived_and_voided_records_as_such(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        two_way(app, provider_key, provider_state, "list_records")
        customer_id = provider_state.create_record("customer", {"name": unique("Archived")})
        item_id = provider_state.create_record(
            "item", {"name": unique("Archived Item"), "sku": unique("AR").replace(" ", "-"),
                     "unit_price": Decimal("10")})
        issue = sample_invoice.issue_date
        invoice_id = provider_state.create_record("invoice", {
            "customer_id": customer_id, "issue_date": issue, "due_date": issue + timedelta(7),
            "lines": [{"description": "Voided work", "quantity": Decimal("2"),
                       "unit_price": Decimal("10"), "item_id": item_id, "taxed": False}]})
        provider_state.edit_record("invoice", invoice_id, {"status": "voided"})
        provider_state.edit_record("customer", customer_id, {"active": False})
        provider_state.edit_record("item", item_id, {"active": False})
        customer = the_one(list_all(connected_connection, "customer")[0], customer_id,
                           "an archived customer")
        assert customer.active is False, "an archived customer came back with active=True"
        item = the_one(list_all(connected_connection, "item")[0], item_id, "an archived item")
        assert item.active is False, "an archived item came back with active=True"
        invoice = the_one(list_all(connected_connection, "invoice")[0], invoice_id,
                          "a voided invoice")
        assert invoice.status in ("voided", "deleted"), (
            f"a voided invoice came back with status {invoice.status!r}")

    def test_hook_list_records_lists_an_unmappable_record_with_a_problem(
            self, app, db, provider_key, connected_connection, provider_state):
        two_way(app, provider_key, provider_state, "list_records")
        if not hasattr(provider_state, "unreadable_record"):
            pytest.skip("the provider state cannot hold an unreadable record "
                        "(optional unreadable_record)")
        for object in SYNC_OBJECTS:
            external_id = provider_state.unreadable_record(object)
            if external_id is None:
                continue
            try:
                records = list_all(connected_connection, object)[0]
            except Exception as exc:  # noqa: BLE001 - the scenario's point
                pytest.fail(f"list_records({object!r}) raised {type(exc).__name__} ({exc}) on "
                            f"a record it cannot map; list it with problem set instead")
            record = the_one(records, external_id, f"an unmappable {object}")
            assert record.problem, (
                f"the unmappable {object} {external_id!r} came back without a problem: "
                f"{record!r}")

    def test_hook_push_record_creates_then_updates_the_same_customer(
            self, app, db, provider_key, connected_connection, provider_state):
        two_way(app, provider_key, provider_state, "push_record")
        client = ClientData(id=9101, name=unique("Pushed Client"),
                            billing_email="first@two-way.test")
        before = live_total(provider_state)
        first = call(connected_connection, "push_record", object="customer", record=client,
                     idempotency_key="contract-twoway-c1")
        assert isinstance(first, SyncResult) and first.external_id, (
            f"push_record returned {first!r}; return a SyncResult with the provider's id")
        held = provider_state.held_record("customer", first.external_id)
        assert held and held["name"] == client.name and held["email"] == client.billing_email, (
            f"after push_record the provider holds {held!r} as {first.external_id!r}")
        again = call(connected_connection, "push_record", object="customer", record=client,
                     idempotency_key="contract-twoway-c1")
        assert again.external_id == first.external_id and live_total(provider_state) == (
            before + 1), (
            "the same push with the same key made a second record; send the key as the "
            "provider's idempotency key")
        blanked = replace(client, billing_email="")
        call(connected_connection, "push_record", object="customer", record=blanked,
             idempotency_key="contract-twoway-c2")
        held = provider_state.held_record("customer", first.external_id)
        assert held["email"] == client.billing_email, (
            f"a push with the email switched off (sent empty) left {held['email']!r}; never "
            "write an empty value over the provider's")
        edited = replace(client, billing_email="second@two-way.test")
        third = call(connected_connection, "push_record", object="customer", record=edited,
                     idempotency_key="contract-twoway-c3")
        held = provider_state.held_record("customer", first.external_id)
        assert third.external_id == first.external_id and held["email"] == (
            "second@two-way.test"), (
            f"the edited client was pushed as {third.external_id!r} (first {first.external_id!r})"
            f" and the provider holds email {held['email']!r}: update the linked record")
        assert live_total(provider_state) == before + 1, (
            "pushing the client three times left more than one new record at the provider")

    def test_hook_push_record_creates_then_updates_the_same_item(
            self, app, db, provider_key, connected_connection, provider_state):
        two_way(app, provider_key, provider_state, "push_record")
        service = ServiceTypeData(id=9102, name=unique("Pushed Service"),
                                  sku=unique("PS").replace(" ", "-"),
                                  unit_price=Decimal("80.00"))
        before = live_total(provider_state)
        first = call(connected_connection, "push_record", object="item", record=service,
                     idempotency_key="contract-twoway-i1")
        held = provider_state.held_record("item", first.external_id)
        assert held and held["sku"] == service.sku and money(held["unit_price"]) == money(
            "80.00"), f"after push_record the provider holds the item as {held!r}"
        changed = replace(service, sku="", unit_price=Decimal("95.00"))
        again = call(connected_connection, "push_record", object="item", record=changed,
                     idempotency_key="contract-twoway-i2")
        held = provider_state.held_record("item", first.external_id)
        assert again.external_id == first.external_id and live_total(provider_state) == (
            before + 1), "the item's second push made a second record; update the linked one"
        assert money(held["unit_price"]) == money("95.00") and held["sku"] == service.sku, (
            f"after pushing price 95.00 with the SKU sent empty the provider holds {held!r}: "
            "write the new price, keep the SKU")

    def test_hook_on_invoice_sent_writes_an_extra_field_list_records_reads_back(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        two_way(app, provider_key, provider_state, "list_sync_fields", "list_records",
                "on_invoice_sent")
        extras = [f for f in call(connected_connection, "list_sync_fields", object="invoice")
                  if not f.predefined and {"in", "out"} <= set(f.directions)]
        if not extras:
            pytest.skip("the plugin declares no extra invoice field that syncs both ways")
        field = extras[0]
        invoice = replace(sample_invoice, fields={field.key: "PO-2W-77"})
        result = call(connected_connection, "on_invoice_sent", invoice=invoice,
                      idempotency_key="contract-twoway-extra")
        listed = the_one(list_all(connected_connection, "invoice")[0], result.external_id,
                         "the pushed invoice")
        assert listed.extra.get(field.key) == "PO-2W-77", (
            f"the invoice was pushed with {field.key!r} = 'PO-2W-77', list_records gives its "
            f"extra as {dict(listed.extra)!r}")

    def test_hook_on_invoice_sent_send_email_false_wins_over_automatic_emailing(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        two_way(app, provider_key, provider_state, "on_invoice_sent")
        setting = getattr(self, "auto_send_setting", None)
        if not setting:
            pytest.skip("the plugin has no automatic-email setting (auto_send_setting)")
        connected_connection.settings = {**connected_connection.settings, setting: True}
        db.session.commit()
        quiet = replace(sample_invoice, send_email=False)
        result = call(connected_connection, "on_invoice_sent", invoice=quiet,
                      idempotency_key="contract-twoway-quiet")
        doc = provider_state.document(result.external_id)
        assert doc is not None and not doc.emailed and not result.emailed, (
            "the admin pushed the invoice 'without emailing it' (send_email=False), but with "
            "automatic emailing on the provider emailed it; send_email overrides the setting")

    def test_hook_parse_webhook_names_a_record_changed_in_the_ledger(
            self, app, db, provider_key, connected_connection, provider_state):
        two_way(app, provider_key, provider_state, "parse_webhook", "verify_webhook")
        customer_id = provider_state.create_record("customer", {"name": unique("Hooked")})
        delivery = provider_state.change_delivery("customer", [customer_id], "update")
        headers = Headers(list(delivery.headers.items()))
        assert call_keyless(app, provider_key, "verify_webhook", headers=headers,
                            body=delivery.body, config=app.config) is True, (
            "verify_webhook refused the ledger's signed delivery for a customer change")
        events = call_keyless(app, provider_key, "parse_webhook", headers=headers,
                              body=delivery.body)
        named = [(e.entity, e.entity_id, e.tenant_id) for e in events]
        assert ("customer", customer_id, connected_connection.tenant_id) in named, (
            f"the ledger's webhook for the customer {customer_id!r} parsed into {named}; "
            "expected a 'customer' event for it in the connection's tenant")
