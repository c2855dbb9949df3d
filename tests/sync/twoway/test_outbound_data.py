"""The admin's field choices in what the host pushes (host.sync.twoway.outbound_data and the
snapshots that use it), with the plugin's declared fields given (no provider call)."""

from datetime import date
from decimal import Decimal

from hypothesis import given, strategies as st
from synchelpers import make_invoice

from host.contract.records import HOST_FIELDS, REQUIRED_HOST_FIELDS, SyncField
from host.models import Client, GLAccount, ServiceType, SyncObjectSetting
from host.models.external_ref import ConnectionMapping
from host.services import snapshots
from host.sync.twoway.outbound import changed_since
from host.sync.twoway.outbound_data import FieldPlan, host_values
from host.sync.twoway.settings import setting_for

DECLARED = {
    "customer": [SyncField("name", "Name", "customer", "name"),
                 SyncField("email", "Email", "customer", "billing_email"),
                 SyncField("contact", "Contact", "customer", "billing_contact_name"),
                 SyncField("VatId", "VAT id", "customer", "tax_number", predefined=False)],
    "item": [SyncField("name", "Name", "item", "name"), SyncField("sku", "SKU", "item", "sku"),
             SyncField("price", "Price", "item", "unit_price"),
             SyncField("Notes", "Notes", "item", "description", predefined=False)],
    "invoice": [SyncField("memo", "Memo", "invoice", "memo"),
                SyncField("CustomField:2", "PO number", "invoice", "reference",
                          predefined=False)],
}


def choose(db, conn, object, off=(), extra=()):
    setting = setting_for(conn, object)
    setting.fields = {"off": list(off), "extra": [{"key": k, "host_field": h} for k, h in extra]}
    db.session.commit()


def test_a_customer_goes_with_its_switched_off_fields_empty_and_its_added_pairs(
        db, org, connection_factory):
    conn = connection_factory()
    choose(db, conn, "customer", off=["billing_email", "name"],
           extra=[("VatId", "tax_number")])
    client = Client(organization_id=org.id, name="Initech", billing_email="ap@initech.test",
                    billing_contact_name="Bill", tax_number="GB-9")
    db.session.add(client)
    db.session.flush()
    data = snapshots.client_data(client, FieldPlan(conn, DECLARED))
    assert data.name == "Initech"  # required: never off
    assert data.billing_email == "" and data.billing_contact_name == "Bill"
    assert data.fields == {"VatId": "GB-9"}
    assert snapshots.client_data(client).fields == {}  # without a plan: as before


def test_a_product_carries_price_description_account_and_its_added_pairs(
        db, org, connection_factory):
    conn = connection_factory()
    choose(db, conn, "item", off=["unit_price"], extra=[("Notes", "description")])
    account = GLAccount(organization_id=org.id, code="4000", name="Consulting")
    row = ServiceType(organization_id=org.id, name="Audit", sku="AUD", unit_price=Decimal("90"),
                      description="Yearly", default_gl_account=account)
    db.session.add(row)
    db.session.flush()
    data = snapshots.service_type_data(row, FieldPlan(conn, DECLARED))
    assert (data.sku, data.unit_price, data.description) == ("AUD", None, "Yearly")
    assert data.income_account.code == "4000" and data.fields == {"Notes": "Yearly"}
    plain = snapshots.service_type_data(row)
    assert plain.unit_price == Decimal("90") and plain.fields == {}


def test_an_invoice_carries_its_reference_added_pairs_and_the_email_choice(
        db, org, connection_factory):
    conn = connection_factory()
    choose(db, conn, "invoice", off=["memo"], extra=[("CustomField:2", "reference")])
    invoice = make_invoice(org)
    invoice.memo, invoice.reference = "Thanks", "PO-7"
    invoice.client.billing_email = "ap@globex.test"
    choose(db, conn, "customer", off=["billing_email"])
    data = snapshots.invoice_data(invoice, plan=FieldPlan(conn, DECLARED), send_email=False)
    assert (data.memo, data.reference, data.send_email) == ("", "PO-7", False)
    assert data.fields == {"CustomField:2": "PO-7"}
    assert data.client.billing_email == "ap@globex.test"  # the invoice needs it to be sent
    assert snapshots.invoice_data(invoice).send_email is None


def test_an_added_pair_the_plugin_no_longer_declares_is_not_sent(db, org, connection_factory):
    conn = connection_factory()
    choose(db, conn, "customer", extra=[("Gone", "tax_number")])
    client = Client(organization_id=org.id, name="Initech", tax_number="GB-9")
    db.session.add(client)
    db.session.flush()
    assert snapshots.client_data(client, FieldPlan(conn, DECLARED)).fields == {}


def test_host_values_give_the_income_account_in_the_provider_s_words(
        db, org, connection_factory):
    conn = connection_factory()
    account = GLAccount(organization_id=org.id, code="4000", name="Consulting")
    row = ServiceType(organization_id=org.id, name="Audit", default_gl_account=account)
    db.session.add(row)
    db.session.flush()
    assert host_values("item", row, conn)["income_account"] == ""
    kind = "account"  # the fake provider declares no gl_account kind: nothing to map through
    db.session.add(ConnectionMapping(connection_id=conn.id, kind=kind, host_id=str(account.id),
                                     external_id="410"))
    db.session.flush()
    assert host_values("item", row, conn)["income_account"] == ""
    assert set(host_values("item", row, conn)) == set(HOST_FIELDS["item"])
    assert set(host_values("customer", Client(name="x"), conn)) == set(HOST_FIELDS["customer"])
    invoice_values = host_values("invoice", make_invoice(org), conn)
    assert set(invoice_values) == set(HOST_FIELDS["invoice"])
    assert isinstance(invoice_values["due_date"], date)


texts = st.text(max_size=20)


@given(off=st.lists(st.sampled_from(HOST_FIELDS["customer"] + ("bogus",)), max_size=5),
       name=texts, email=texts, contact=texts, tax=texts)
def test_blanking_never_empties_a_required_field_nor_one_left_on(off, name, email, contact,
                                                                 tax):
    setting = SyncObjectSetting(object="customer", fields={"off": off})
    plan = FieldPlan(None, DECLARED, settings={"customer": setting})
    values = {"name": name, "billing_email": email, "billing_contact_name": contact,
              "tax_number": tax}
    out = plan.blank("customer", values)
    for field, value in values.items():
        if field in REQUIRED_HOST_FIELDS["customer"] or field not in off:
            assert out[field] == value
        else:
            assert out[field] == ""


@given(last=st.dictionaries(st.sampled_from(HOST_FIELDS["customer"]), texts),
       now=st.dictionaries(st.sampled_from(HOST_FIELDS["customer"]), texts))
def test_changed_since_names_exactly_the_fields_that_differ(last, now):
    changed = changed_since(last, now)
    assert changed == sorted(changed)
    for field, text in now.items():
        assert (field in changed) == (last.get(field, "") != text)
    assert changed_since(now, now) == []
