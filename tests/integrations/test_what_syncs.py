"""The Manage page's "What syncs" section, with the fake provider (its ``list_sync_fields``):
admin-only, CSRF, refused input answered 422 with the card as typed, another organization's
connection a 404, and what is saved is what the importer and the pushes read."""

from __future__ import annotations

import re

import pytest

from host.extensions import db
from host.integrations.testing import create_org, csrf_token, login, make_connection
from host.models import SyncObjectSetting


def _manage(conn_id: int) -> str:
    return f"/settings/integrations/connections/{conn_id}"


def _post(client, conn_id: int, obj: str, data: dict, token: str | None = None):
    token = token or csrf_token(client, _manage(conn_id))
    return client.post(f"{_manage(conn_id)}/sync-objects/{obj}",
                       data={"csrf_token": token, **data})


def _setting(app, conn_id: int, obj: str) -> SyncObjectSetting | None:
    with app.app_context():
        row = db.session.query(SyncObjectSetting).filter_by(connection_id=conn_id,
                                                             object=obj).first()
        if row is not None:
            db.session.expunge(row)
        return row


@pytest.fixture
def conn_id(connection_factory):
    return connection_factory().id


def test_the_section_shows_a_card_per_object_with_the_providers_label(admin_client, conn_id):
    page = admin_client.get(_manage(conn_id)).get_data(as_text=True)
    for obj in ("customer", "item", "invoice"):
        assert f'id="what-syncs-{obj}"' in page
    assert "PSA → Fake Ledger" in page and "Fake Ledger → PSA" in page
    assert "Use PSA data" in page and "Use Fake Ledger data" in page
    assert "Display name" in page and "Tax ID" in page  # predefined pair and an extra
    assert "Only sent invoices" in page
    # rendering wrote nothing: the defaults show until the admin saves
    assert 'id="direction-customer-out" checked' in page
    assert 'id="direction-item-off" checked' in page


def test_saving_a_card_stores_direction_conflict_fields_and_who(app, admin_client, org,
                                                                  conn_id):
    resp = _post(admin_client, conn_id, "customer", {
        "direction": "out", "conflict": "provider", "fields_shown": "1",
        "field_on": ["name", "billing_email"], "new_key": "tax_id", "new_host": "tax_number",
        "created_after": "2026-01-31"})
    assert resp.status_code == 302 and resp.location.endswith("#what-syncs-customer")
    row = _setting(app, conn_id, "customer")
    assert row.direction == "out" and row.conflict == "provider"
    assert row.fields == {"off": ["billing_contact_name"],
                          "extra": [{"key": "tax_id", "host_field": "tax_number"}]}
    assert row.filters == {"created_after": "2026-01-31"}
    assert row.updated_by == org.admin_email
    page = admin_client.get(_manage(conn_id)).get_data(as_text=True)
    card = page[page.index('id="what-syncs-customer"'):page.index('id="what-syncs-item"')]
    assert 'id="field-customer-billing_contact_name" >' in card
    assert 'name="extra_key" value="tax_id"' in card and "Remove" in card
    assert 'id="conflict-customer-provider" checked' in card


def test_remove_drops_an_added_pair(app, admin_client, conn_id):
    _post(admin_client, conn_id, "invoice", {"direction": "out", "conflict": "host",
                                             "fields_shown": "1", "field_on": ["memo"],
                                             "new_key": "po_number", "new_host": "reference"})
    assert _setting(app, conn_id, "invoice").fields["extra"] == [
        {"key": "po_number", "host_field": "reference"}]
    _post(admin_client, conn_id, "invoice", {
        "direction": "out", "conflict": "host", "fields_shown": "1", "field_on": ["memo"],
        "extra_key": "po_number", "extra_host": "reference", "remove_extra": "po_number"})
    row = _setting(app, conn_id, "invoice")
    assert row.fields == {"off": ["due_date"], "extra": []}


def test_a_required_field_cannot_be_switched_off(app, admin_client, conn_id):
    resp = _post(admin_client, conn_id, "customer", {
        "direction": "out", "conflict": "host", "off": "name",  # a forged "off" is ignored
        "fields_shown": "1", "field_on": ["name", "billing_email", "billing_contact_name"]})
    assert resp.status_code == 302
    assert _setting(app, conn_id, "customer").fields["off"] == []
    page = admin_client.get(_manage(conn_id)).get_data(as_text=True)
    assert 'type="hidden" name="field_on" value="name"' in page  # locked, always sent


@pytest.mark.parametrize("data, field, message", [
    ({"direction": "sideways"}, "direction", "direction must be one of"),
    ({"conflict": "mine"}, "conflict", "conflict must be one of"),
    ({"created_after": "31/01/2026"}, "created_after", "must be a date"),
    ({"created_after": "2026-02-30"}, "created_after", "not a calendar date"),
    ({"statuses": ["open", "draft"]}, "statuses", "statuses must be one of"),
    ({"statuses": ["open", "open"]}, "statuses", "twice"),
    ({"customers": ["C-unknown"]}, "customers", "not a linked customer"),
    ({"new_key": "po_number", "new_host": ""}, "extra[0].key", "choose both"),
    ({"new_key": "po_number", "new_host": "memo"}, "extra[0].host_field", "already mapped"),
    ({"new_key": "memo", "new_host": "reference"}, "extra[0].key", "not a field the provider"),
    ({"new_key": "po_number", "new_host": "total"}, "extra[0].host_field", "not a host field"),
    ({"field_on": ["memo", "secret"]}, "on", "not a predefined field"),
])
def test_bad_input_is_refused_with_422_and_the_card_as_typed(app, admin_client, conn_id, data,
                                                             field, message):
    form = {"direction": "both", "conflict": "provider", "fields_shown": "1",
            "field_on": ["memo", "due_date"], "created_after": "2026-03-01", **data}
    resp = _post(admin_client, conn_id, "invoice", form)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    card = page[page.index('id="what-syncs-invoice"'):]
    assert f'data-field="{field}"' in card and message.lower() in card.lower()
    if "direction" not in data:  # what was typed is shown again
        assert 'id="direction-invoice-both" checked' in card
    if "conflict" not in data:
        assert 'id="conflict-invoice-provider" checked' in card
    assert _setting(app, conn_id, "invoice") is None  # nothing saved


def test_typed_text_comes_back_escaped(admin_client, conn_id):
    resp = _post(admin_client, conn_id, "invoice", {
        "direction": "out", "conflict": "host", "created_after": '<script>x</script>"'})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_without_csrf_nothing_is_saved(app, admin_client, conn_id):
    resp = admin_client.post(f"{_manage(conn_id)}/sync-objects/customer",
                             data={"direction": "off", "conflict": "host"})
    assert resp.status_code == 400
    assert _setting(app, conn_id, "customer") is None


def test_members_cannot_see_or_save(app, member_client, conn_id):
    assert member_client.get(_manage(conn_id)).status_code == 403
    token = csrf_token(member_client, "/clients/new")
    resp = _post(member_client, conn_id, "customer", {"direction": "off", "conflict": "host"},
                 token)
    assert resp.status_code == 403
    assert member_client.get(f"{_manage(conn_id)}/sync-objects/progress").status_code == 403
    assert _setting(app, conn_id, "customer") is None


def test_another_organizations_connection_is_a_404(app, admin_client, conn_id):
    other = create_org(app, name="Other Org", units=("Elsewhere", "Also"),
                       admin_email="boss@other.example", member_email="m@other.example")
    theirs = make_connection(app, other.business_unit_ids[0], "fakeprovider")
    token = csrf_token(admin_client, _manage(conn_id))
    assert _post(admin_client, theirs, "customer",
                 {"direction": "off", "conflict": "host"}, token).status_code == 404
    assert admin_client.get(f"{_manage(theirs)}/sync-objects/progress").status_code == 404
    assert admin_client.get(f"/settings/integrations/{theirs}/sync/ledger").status_code == 404
    assert _setting(app, theirs, "customer") is None


def test_an_unknown_object_is_a_404(admin_client, conn_id):
    assert _post(admin_client, conn_id, "expense",
                 {"direction": "off", "conflict": "host"}).status_code == 404


def test_when_the_provider_cannot_list_its_fields_the_page_still_works(
        app, admin_client, conn_id, monkeypatch):
    import fakeprovider

    from host.contract.errors import ProviderDown

    class Down(dict):
        def get(self, *args):
            raise ProviderDown("Fake Books is down for maintenance.", fix="Try later.")

    monkeypatch.setattr(fakeprovider, "SYNC_FIELDS", Down())
    page = admin_client.get(_manage(conn_id)).get_data(as_text=True)
    assert page.count("could not list its fields: Fake Books is down") == 3
    assert 'id="settings-form"' in page
    resp = _post(admin_client, conn_id, "customer", {"direction": "off", "conflict": "host"})
    assert resp.status_code == 302  # the direction saves; the stored field choices stay
    assert _setting(app, conn_id, "customer").direction == "off"


def test_progress_json(app, admin_client, conn_id):
    with app.app_context():
        from host.models import Connection
        from host.sync.twoway.settings import setting_for

        row = setting_for(db.session.get(Connection, conn_id), "customer")
        row.direction, row.import_status = "in", "running"
        row.seen, row.created, row.matched, row.skipped = 10, 3, 1, 1
        db.session.commit()
    data = admin_client.get(f"{_manage(conn_id)}/sync-objects/progress").get_json()
    customer = data["objects"]["customer"]
    assert data["running"] is True
    assert customer["status"] == "running" and customer["percent"] == 50
    assert customer["counts"] == {"seen": 10, "created": 3, "matched": 1, "updated": 0,
                                  "skipped": 1, "failed": 0}
    page = admin_client.get(_manage(conn_id)).get_data(as_text=True)
    assert re.search(r'data-count="created">3<', page)
    assert 'class="import-progress" data-object="customer" data-status="running"' in page


def _flash(client, resp) -> str:
    page = client.get(resp.location).get_data(as_text=True)
    return re.search(r"Customers ↔ clients: [^<]*", page).group(0)


def test_the_saved_message_names_the_provider_and_only_what_changed(admin_client, conn_id):
    """The first save of an untouched card changes nothing; a new direction and policy are
    said with the cards' own words and the provider's name (not "ledger")."""
    untouched = {"direction": "out", "conflict": "host", "fields_shown": "1",
                 "field_on": ["name", "billing_email", "billing_contact_name"]}
    resp = _post(admin_client, conn_id, "customer", untouched)
    assert _flash(admin_client, resp) == "Customers ↔ clients: no changes."
    resp = _post(admin_client, conn_id, "customer",
                 {**untouched, "direction": "in", "conflict": "provider"})
    assert _flash(admin_client, resp).startswith(
        "Customers ↔ clients: direction was PSA → Fake Ledger, now Fake Ledger → PSA; "
        "when both sides changed: Fake Ledger data wins; the import is queued")


def test_the_created_after_filter_says_the_day_itself_counts(admin_client, conn_id):
    """The importer keeps records created on the chosen day (host.sync.twoway.filters), and
    the suggested day is today: the label says "on or after", not "after"."""
    page = admin_client.get(_manage(conn_id)).get_data(as_text=True)
    assert "Records created in Fake Ledger on or after" in page
    assert "Recommended: after today" not in page
