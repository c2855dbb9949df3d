"""Products in (host.sync.twoway.apply_items): by SKU, else skipped unless the admin says."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from host.contract.records import InboundItem
from host.models import GLAccount, ServiceType, SyncLink
from host.models.sync_link import SyncLinkEvent
from host.models.external_ref import ConnectionMapping
from host.sync.twoway import apply_items


def _link(db, external_id):
    return db.session.scalars(db.select(SyncLink).filter_by(object="item",
                                                            external_id=external_id)).one()


def _types(db, org):
    return {s.name: s for s in db.session.scalars(db.select(ServiceType).filter_by(
        organization_id=org.id))}


def test_a_product_becomes_a_service_type_with_price_and_income_account(
        app, db, org, connection, inbound_run, monkeypatch):
    account = GLAccount(organization_id=org.id, code="4000", name="Sales")
    db.session.add(account)
    db.session.flush()
    db.session.add(ConnectionMapping(connection_id=connection.id, kind="gl_account",
                                     host_id=str(account.id), external_id="A40"))
    db.session.commit()
    run = inbound_run("item")
    monkeypatch.setattr(run, "mapping_kind", lambda entity: {
        "service_type": "item", "gl_account": "gl_account"}.get(entity))
    apply_items.apply_page(run, [InboundItem("P1", "Audit", sku="AUD-1",
                                             unit_price=Decimal("150.005"),
                                             description="Yearly audit", income_account="A40")])
    db.session.commit()
    audit = _types(db, org)["Audit"]
    assert (audit.sku, audit.unit_price, audit.description) == ("AUD-1", Decimal("150.01"),
                                                                "Yearly audit")
    assert audit.default_gl_account_id == account.id
    item_map = db.session.scalars(db.select(ConnectionMapping).filter_by(kind="item")).one()
    assert (item_map.host_id, item_map.external_id) == (str(audit.id), "P1")


def test_matched_by_sku_first_then_name(db, org, connection, inbound_run):
    db.session.add_all([ServiceType(organization_id=org.id, name="Support", sku="SUP"),
                        ServiceType(organization_id=org.id, name="Training", sku="")])
    db.session.commit()
    run = inbound_run("item")
    apply_items.apply_page(run, [InboundItem("P1", "Helpdesk", sku="SUP"),
                                 InboundItem("P2", "Training", sku="TRN")])
    db.session.commit()
    types = _types(db, org)
    assert _link(db, "P1").host_id == types["Support"].id
    assert _link(db, "P2").host_id == types["Training"].id
    assert (run.setting.matched, run.setting.created) == (2, 0)
    assert types["Support"].name == "Support"  # the host's name is kept on a first match
    assert "Helpdesk" not in types


def test_without_sku_skipped_unless_the_admin_includes_them(db, org, connection, inbound_run):
    run = inbound_run("item")
    apply_items.apply_page(run, [InboundItem("P1", "Misc")])
    db.session.commit()
    assert _link(db, "P1").status == "skipped" and "SKU" in _link(db, "P1").reason
    assert "import them (matched by name)" in _link(db, "P1").fix  # what to do says how
    run = inbound_run("item", filters={"include_without_sku": True})
    apply_items.apply_page(run, [InboundItem("P1", "Misc")])
    db.session.commit()
    assert _link(db, "P1").status == "linked" and "Misc" in _types(db, org)
    assert _link(db, "P1").fix is None


def test_a_nameless_product_waits_and_a_price_edit_follows(db, org, connection, inbound_run):
    run = inbound_run("item")
    apply_items.apply_page(run, [InboundItem("P1", "", sku="X"),
                                 InboundItem("P2", "Audit", sku="AUD", unit_price=Decimal("10"))])
    apply_items.apply_page(run, [InboundItem("P2", "Audit", sku="AUD", unit_price=Decimal("12"))])
    db.session.commit()
    assert _link(db, "P1").status == "waiting" and "name" in _link(db, "P1").reason
    assert _types(db, org)["Audit"].unit_price == Decimal("12.00")
    (change,) = _link(db, "P2").events[-1].changes
    assert (change["field"], change["host"], change["provider"]) == ("unit_price", "10.00",
                                                                    "12.00")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=400), sku=st.text(max_size=200),
       price=st.one_of(st.none(), st.decimals(allow_nan=True, allow_infinity=True)))
def test_hostile_products_never_break_the_import(db, org, connection, inbound_run, name, sku,
                                                 price):
    run = inbound_run("item", filters={"include_without_sku": True})
    apply_items.apply_page(run, [InboundItem("H1", name, sku=sku, unit_price=price)])
    db.session.commit()
    link = _link(db, "H1")
    assert link.status in ("linked", "waiting")
    if link.status == "linked":
        service_type = db.session.get(ServiceType, link.host_id)
        assert 0 < len(service_type.name) <= 200 and len(service_type.sku) <= 100
        assert service_type.unit_price is None or service_type.unit_price.is_finite()
    db.session.execute(db.delete(SyncLinkEvent))
    db.session.execute(db.delete(SyncLink))
    db.session.execute(db.delete(ConnectionMapping))
    db.session.execute(db.delete(ServiceType))
    db.session.commit()
