"""Integrations pages: tiles, setup wizard (Test, Save & finish), Manage (mappings),
reconciliation pass, Plugins page."""

import re

import pytest

import fakeledger
from host.integrations.testing import csrf_token


def ledger_tokens():
    with fakeledger.LEDGER.lock:
        return fakeledger.LEDGER.issue_tokens()


@pytest.fixture
def live(connection_factory):
    return connection_factory(tokens=ledger_tokens(), settings={"default_item": "1"},
                              setup_complete=False)


def test_tiles_show_label_logo_status_and_the_confirmation_sentence(admin_client, org):
    page = admin_client.get(f"/settings/integrations?business_unit={org.business_unit_ids[1]}")
    html = page.get_data(as_text=True)
    assert 'id="business-unit-select"' in html
    assert 'data-provider="fakeprovider" data-status="not_connected"' in html
    assert "<svg" in html and "Fake Ledger" in html
    assert ("This will connect Consulting West to Fake Ledger. Any other financial integration "
            "of this business unit will be removed.") in html
    assert '<template id="tpl-confirm-connect-fakeprovider">' in html
    # without JavaScript the Connect link reloads the page with the dialog open
    bu = org.business_unit_ids[1]
    html = admin_client.get(f"/settings/integrations?business_unit={bu}&confirm=fakeprovider")
    assert re.search(r'<dialog id="confirm-connect-fakeprovider"[^>]* open>',
                     html.get_data(as_text=True))


def test_hook_test_connection_from_the_wizard_then_finish(admin_client, live, db):
    url = f"/settings/integrations/connections/{live.id}/setup"
    html = admin_client.get(url).get_data(as_text=True)
    assert 'id="run-test"' in html and 'id="finish-setup"' in html
    assert '<option selected value="1">Services</option>' in html  # prefilled default
    token = csrf_token(admin_client, url)
    tested = admin_client.post(url, data={"csrf_token": token, "default_item": "2",
                                          "action": "test", "write_check": "1"})
    checks = re.findall(r'data-status="(pass|warn|fail)"', tested.get_data(as_text=True))
    assert checks == ["pass", "pass", "pass"]
    assert "Created and removed a test product" in tested.get_data(as_text=True)
    # a passing Test completes the setup with the settings it tested
    assert 'id="setup-complete"' in tested.get_data(as_text=True)
    db.session.refresh(live)
    assert live.setup_complete and live.settings["default_item"] == "2"
    done = admin_client.post(url, data={"csrf_token": token, "default_item": "2",
                                        "auto_send": "y", "action": "finish"})
    assert done.status_code == 302
    db.session.refresh(live)
    assert live.setup_complete and live.settings["default_item"] == "2"
    assert live.settings["auto_send"] is True
    tiles = admin_client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-status="connected"' in tiles and 'class="button manage"' in tiles


def test_failed_check_shows_the_fix(admin_client, live, db):
    url = f"/settings/integrations/connections/{live.id}/setup"
    fakeledger.LEDGER.custom_numbers = False
    html = admin_client.post(url, data={"csrf_token": csrf_token(admin_client, url),
                                        "default_item": "1", "action": "test"}).get_data(True)
    assert 'data-ok="false"' in html and 'data-status="fail"' in html
    assert "Fix: Turn on custom transaction numbers in the Fake Ledger." in html
    assert 'id="setup-complete"' not in html
    live_row = db.session.get(type(live), live.id)
    db.session.refresh(live_row)
    assert not live_row.setup_complete  # a failing Test does not complete the setup


def test_hook_list_mapping_choices_feed_the_mapping_table(admin_client, live, db, org):
    from host.models import ConnectionMapping, ServiceType

    st = ServiceType(organization_id=org.id, name="Consulting")
    db.session.add(st)
    db.session.commit()
    url = f"/settings/integrations/connections/{live.id}"
    html = admin_client.get(url).get_data(as_text=True)
    assert 'id="mapping-item"' in html and f'name="map-{st.id}"' in html
    assert ">Hardware</option>" in html
    resp = admin_client.post(f"{url}/mappings/item",
                             data={"csrf_token": csrf_token(admin_client, url), f"map-{st.id}": "3"})
    assert resp.status_code == 302
    row = db.session.query(ConnectionMapping).filter_by(connection_id=live.id).one()
    assert (row.kind, row.host_id, row.external_id) == ("item", str(st.id), "3")
    from host.integrations.handle import handle_for

    assert handle_for(live).mapping("item", st.id) == "3"


def test_hook_preview_matches_on_the_reconciliation_pass(admin_client, live, db, org):
    from host.models import Client, ConnectionMapping

    db.session.add_all([Client(organization_id=org.id, name="Globex"),
                        Client(organization_id=org.id, name="Initech")])
    db.session.commit()
    fakeledger.LEDGER.customers = {
        "c1": {"id": "c1", "name": "Globex", "tenant": "t-1"},
        "c2": {"id": "c2", "name": "globex", "tenant": "t-1"},
    }
    url = f"/settings/integrations/connections/{live.id}/reconciliation"
    html = admin_client.get(url).get_data(as_text=True)
    assert "outcome-ambiguous" in html and "outcome-create" in html
    globex = db.session.query(Client).filter_by(name="Globex").one()
    resp = admin_client.post(url, data={"csrf_token": csrf_token(admin_client, url),
                                        f"pick-client-{globex.id}": "c2", "auto_push": "1"})
    assert resp.status_code == 302
    db.session.refresh(live)
    assert live.auto_push is True
    row = db.session.query(ConnectionMapping).filter_by(kind="client").one()
    assert row.external_id == "c2"


def test_plugins_page_lists_name_hooks_and_errors(admin_client):
    html = admin_client.get("/settings/plugins").get_data(as_text=True)
    assert 'data-plugin="fakeprovider"' in html and "on_invoice_sent" in html
    data = admin_client.get("/settings/plugins.json").get_json()
    fake = next(r for r in data if r["name"] == "fakeprovider")
    assert fake["provider_key"] == "fakeprovider" and "register_provider" in fake["hooks"]


def test_confirmation_names_the_connection_it_replaces(admin_client, org, connection_factory):
    # Another provider's active connection (its plugin is not installed here: the key stands in
    # for the label) is what connecting the fake provider replaces; the dialog says so.
    connection_factory(provider_key="oldbooks", tenant=("r-9", "Old Books Ltd"))
    bu = org.business_unit_ids[0]
    html = admin_client.get(f"/settings/integrations?business_unit={bu}").get_data(as_text=True)
    assert ("This will connect Consulting East to Fake Ledger. It replaces the oldbooks "
            "connection (Old Books Ltd): new invoices go to Fake Ledger; what was already sent "
            "keeps its oldbooks number, link and sync history.") in html


def test_mapping_rows_read_as_the_admin_knows_them(app, org, db):
    from decimal import Decimal

    from host.integrations.pages import host_rows
    from host.models import GLAccount, TaxRate

    db.session.add_all([TaxRate(organization_id=org.id, name="UK VAT 20%", rate=Decimal("20")),
                        TaxRate(organization_id=org.id, name="NY", rate=Decimal("8.875")),
                        GLAccount(organization_id=org.id, code="4000", name="Services")])
    db.session.commit()
    assert [label for _, label in host_rows("tax_rate", org.id)] == [
        "NY (8.875 %)", "UK VAT 20% (20 %)"]
    assert [label for _, label in host_rows("gl_account", org.id)] == ["4000 Services"]


def test_saving_a_mapping_table_says_what_changed(admin_client, live, db, org):
    from decimal import Decimal

    from host.models import TaxRate

    vat = TaxRate(organization_id=org.id, name="VAT", rate=Decimal("20"))
    zero = TaxRate(organization_id=org.id, name="Zero", rate=Decimal("0"))
    db.session.add_all([vat, zero])
    db.session.commit()
    url = f"/settings/integrations/connections/{live.id}"

    def save(**chosen):
        data = {"csrf_token": csrf_token(admin_client, url),
                **{f"map-{r.id}": chosen.get(r.name, "") for r in (vat, zero)}}
        resp = admin_client.post(f"{url}/mappings/tax_code", data=data, follow_redirects=True)
        return re.search(r'class="flash flash-success" role="status">([^<]*)<',
                         resp.get_data(as_text=True)).group(1)

    assert save(VAT="TAX") == "Tax codes: VAT (20 %) -&gt; Standard 20%: mapped."
    assert save(VAT="TAX") == "Tax codes: no changes."
    assert save(VAT="NON", Zero="NON") == (
        "Tax codes: VAT (20 %) -&gt; Exempt: changed (was Standard 20%); "
        "Zero (0 %) -&gt; Exempt: mapped.")
    assert save(Zero="NON") == "Tax codes: VAT (20 %): unmapped (was Exempt)."
