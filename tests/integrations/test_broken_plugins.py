"""A broken plugin never takes the host down (issue 11, section 2).

One test per broken plugin of ``tests/brokenplugins/``: each shows the host up -- the page an
admin was on renders, the worker's job ends, the other plugins work -- and the plugin named
where the admin looks (the Manage page, the Test result, the flash after Connect, the tiles,
the Plugins page, ``flask integrations plugins``, the invoice's sync panel, the webhook
delivery).
"""

import html
import logging
import re

import pytest
import sqlalchemy as sa

import fakeledger
from host.integrations.testing import connect_via_oauth, csrf_token, make_connection

BROKEN = ("brokenplugins.raising_choices", "brokenplugins.raising_check",
          "brokenplugins.wrong_result", "brokenplugins.raising_connect", "brokenplugins.hanging",
          "brokenplugins.raising_register", "brokenplugins.misspelled",
          "brokenplugins.wrong_args", "brokenplugins.raising_form",
          "brokenplugins.raising_webhook", "brokenplugins.raising_reconcile",
          "brokenplugins.raising_push", "brokenplugins.raising_changes")


@pytest.fixture
def psa_plugins():
    return ("fakeprovider", *BROKEN)


@pytest.fixture
def hanging():
    """The hanging plugin's hooks block until the test is over."""
    from brokenplugins.hanging import RELEASE

    RELEASE.clear()
    yield
    RELEASE.set()


def ledger_tokens():
    with fakeledger.LEDGER.lock:
        return fakeledger.LEDGER.issue_tokens()


def connected(app, org, provider_key, bu_index=0):
    """An active connection of business unit ``bu_index`` to ``provider_key`` (on the fake
    ledger, with real tokens). Returns its id."""
    return make_connection(app, org.business_unit_ids[bu_index], provider_key,
                           tokens=ledger_tokens(), settings={"default_item": "1"})


def text(response):
    return html.unescape(response.get_data(as_text=True))


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]* id="{element_id}"[^>]*>(.*?)</section>', page, re.S)
    assert match, f"no section #{element_id}"
    return match.group(1)


def connections(app, bu_id):
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        return [(c.provider_key, c.status, c.token_ciphertext is not None)
                for c in db.session.scalars(sa.select(Connection).where(
                    Connection.business_unit_id == bu_id).order_by(Connection.id))]


def manage_url(cid):
    return f"/settings/integrations/connections/{cid}"


def run_test(client, cid):
    url = manage_url(cid)
    return client.post(url, data={"csrf_token": csrf_token(client, url), "default_item": "1",
                                  "action": "test"})


# -- hooks raising in a web request ------------------------------------------------------------


def test_hook_list_mapping_choices_raising_keeps_the_manage_page(app, admin_client, org, db):
    cid = connected(app, org, "raisingchoices")
    resp = admin_client.get(manage_url(cid))
    assert resp.status_code == 200
    page = text(resp)
    named = ("The plugin 'brokenplugins.raising_choices' failed in list_mapping_choices: "
             "RuntimeError: the choices cache is corrupt")
    assert named in section(page, "mapping-item")
    assert 'id="run-test"' in page and 'id="disconnect"' in page
    tested = run_test(admin_client, cid)  # the default product has no choices to check against
    assert tested.status_code == 200 and named in section(text(tested), "settings")
    gone = admin_client.post(f"{manage_url(cid)}/disconnect",
                             data={"csrf_token": csrf_token(admin_client, manage_url(cid))})
    assert gone.status_code == 302
    assert connections(app, org.business_unit_ids[0]) == [("raisingchoices", "disconnected",
                                                           False)]


def test_hook_test_connection_raising_is_a_failed_check_naming_the_plugin(app, admin_client,
                                                                           org):
    cid = connected(app, org, "raisingcheck")
    resp = run_test(admin_client, cid)
    assert resp.status_code == 200
    result = section(text(resp), "test-result")
    assert 'data-status="fail"' in result
    assert ("The plugin 'brokenplugins.raising_check' failed in test_connection: "
            "KeyError: 'CompanyName'") in result
    assert "report it to the plugin's author" in result


def test_hook_test_connection_wrong_result_type_is_a_failed_check(app, admin_client, org):
    cid = connected(app, org, "wrongresult")
    result = section(text(run_test(admin_client, cid)), "test-result")
    assert ("The plugin 'brokenplugins.wrong_result' failed in test_connection: returned dict, "
            "not TestResult") in result


def test_hook_on_connect_raising_discards_the_pending_connection(app, admin_client, org):
    """The pending connection and its tokens are gone (revoked at the ledger), the old stays."""
    bu = org.business_unit_ids[0]
    connected(app, org, "fakeprovider")
    resp = connect_via_oauth(app, admin_client, "raisingconnect", bu, consent=fakeledger.consent)
    assert resp.status_code == 302
    page = text(admin_client.get(resp.headers["Location"]))
    assert ("Connecting Consulting East to Raising Connect Ledger failed: The plugin "
            "'brokenplugins.raising_connect' failed in on_connect: ZeroDivisionError") in page
    assert 'data-provider="fakeprovider" data-status="connected"' in page
    assert connections(app, bu) == [("fakeprovider", "connected", True)]
    assert len(fakeledger.LEDGER.revoked) == 1  # the grant made for the failed connection


def test_settings_form_raising_keeps_manage_with_test_on_the_saved_settings(app, admin_client,
                                                                            org):
    cid = connected(app, org, "raisingform")
    page = text(admin_client.get(manage_url(cid)))
    assert ("Raising Form Ledger could not be asked for the settings choices: The plugin "
            "'brokenplugins.raising_form' failed in settings_form: AttributeError") in page
    assert 'id="settings-unavailable"' in page and 'id="disconnect"' in page
    url = manage_url(cid)
    tested = admin_client.post(url, data={"csrf_token": csrf_token(admin_client, url),
                                          "action": "test"})
    assert "Test result: passed" in section(text(tested), "test-result")
    assert admin_client.post(url, data={"action": "test"}).status_code == 400  # no CSRF token


def test_hook_verify_webhook_raising_is_a_refused_delivery(app, client, caplog):
    resp = client.post("/webhooks/raisingwebhook", data=b'{"events": []}',
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 401
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage().startswith(
        "plugin 'brokenplugins.raising_webhook' failed in verify_webhook: TypeError")


def test_hook_reconcile_raising_shows_on_the_manage_page(app, admin_client, org):
    from host.sync.sweeper import reconcile_connection

    cid = connected(app, org, "raisingreconcile")
    with app.app_context():
        assert reconcile_connection(cid) is None  # what the worker runs; it does not raise
    page = text(admin_client.get(manage_url(cid)))
    assert ("The last reconciliation failed: The plugin 'brokenplugins.raising_reconcile' "
            "failed in reconcile: ValueError") in page


def test_hook_on_invoice_sent_raising_fails_the_record_naming_the_plugin(app, admin_client, org,
                                                                         db, caplog):
    from decimal import Decimal

    from host.models import Client, Project, SyncRecord
    from host.services.invoicing import create_invoice, send_invoice
    from host.sync.tasks import process_sync_record

    connected(app, org, "raisingpush")
    client = Client(organization_id=org.id, name="Globex", billing_email="ap@globex.test")
    project = Project(organization_id=org.id, client=client, name="Retainer",
                      business_unit_id=org.business_unit_ids[0])
    db.session.add_all([client, project])
    db.session.flush()
    invoice = send_invoice(create_invoice(project, [{"quantity": 1, "description": "Consulting",
                                                     "unit_price": Decimal("100.00")}]))
    (record,) = db.session.scalars(db.select(SyncRecord)).all()
    assert process_sync_record(record.id) == "failed"  # what the worker runs; it does not raise
    panel = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert ("The plugin 'brokenplugins.raising_push' failed in on_invoice_sent: IndexError: "
            "tuple index out of range") in panel
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "plugin 'brokenplugins.raising_push' failed in on_invoice_sent: IndexError: tuple index "
        "out of range"]


def test_hook_fetch_changes_raising_fails_the_delivery_naming_the_plugin(app, org, db, caplog):
    from host.models import WebhookDelivery
    from host.sync.deliveries import process_delivery, store_delivery

    connected(app, org, "raisingchanges")
    body = (b'{"events": [{"tenant": "t-1", "entity": "Payment", "id": "p-1", '
            b'"operation": "Create"}]}')
    delivery, _ = store_delivery("raisingchanges", {}, body)
    assert process_delivery(delivery.id) == "failed"  # what the worker runs; it does not raise
    kept = db.session.get(WebhookDelivery, delivery.id)
    assert kept.error.startswith("The plugin 'brokenplugins.raising_changes' failed in "
                                 "fetch_changes: AttributeError")
    assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1


# -- hooks that hang ---------------------------------------------------------------------------


def test_hook_test_connection_hanging_answers_within_the_time_limit(app, admin_client, org,
                                                                     hanging):
    app.config["PSA_WEB_HOOK_TIMEOUT"] = 0.2
    cid = connected(app, org, "hanging")
    resp = run_test(admin_client, cid)
    assert resp.status_code == 200
    result = section(text(resp), "test-result")
    assert "Hanging Ledger did not answer within 0.2 s (test_connection)." in result
    assert 'id="disconnect"' in text(resp)


def test_hook_on_connect_hanging_keeps_the_previous_connection(app, admin_client, org, hanging):
    app.config["PSA_WEB_HOOK_TIMEOUT"] = 0.2
    bu = org.business_unit_ids[0]
    connected(app, org, "fakeprovider")
    resp = connect_via_oauth(app, admin_client, "hanging", bu, consent=fakeledger.consent)
    assert resp.status_code == 302
    page = text(admin_client.get(resp.headers["Location"]))
    assert "Hanging Ledger did not answer within 0.2 s (on_connect)." in page
    assert connections(app, bu) == [("fakeprovider", "connected", True)]


# -- plugins that cannot load or register ------------------------------------------------------


def tile(page: str, key: str) -> str:
    match = re.search(rf'data-provider="{re.escape(key)}" data-status="(\w+)"(.*?)</section>',
                      page, re.S)
    assert match, f"no tile for {key}"
    return match.group(1) + match.group(2)


def test_register_provider_raising_is_an_unavailable_tile(app, admin_client):
    page = text(admin_client.get("/settings/integrations"))
    shown = tile(page, "brokenplugins.raising_register")
    assert shown.startswith("unavailable")
    assert ("The plugin 'brokenplugins.raising_register' failed in register_provider: "
            "LookupError: RAISINGREGISTER_CLIENT_ID is not configured") in shown
    assert tile(page, "fakeprovider").startswith("not_connected")


def test_misspelled_hook_unregisters_only_that_plugin(app, admin_client):
    assert app.extensions["psa"].get_plugin("brokenplugins.misspelled") is None
    assert app.extensions["psa"].get_plugin("fakeprovider") is not None
    shown = tile(text(admin_client.get("/settings/integrations")), "brokenplugins.misspelled")
    assert shown.startswith("unavailable")
    assert "implements 'on_invoice_send', which is not a hook of the psa contract" in shown


def test_hookimpl_with_wrong_argument_names_is_unavailable(app, admin_client):
    rows = {r["name"]: r for r in admin_client.get("/settings/plugins.json").get_json()}
    assert "write_checks" in rows["brokenplugins.wrong_args"]["error"]
    assert rows["fakeprovider"]["error"] == "" and "on_invoice_sent" in rows["fakeprovider"][
        "hooks"]


def test_entry_point_raising_on_import_is_unavailable(make_app, monkeypatch):
    from importlib import metadata

    from host.integrations.testing import create_org, login

    broken = metadata.EntryPoint(name="brokenimport", value="brokenplugins.import_error",
                                 group="psa.plugins")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [broken])
    app = make_app(plugins=("fakeprovider", "brokenimport"))
    org = create_org(app)
    client = login(app.test_client(), org.admin_email, org.password)
    shown = tile(text(client.get("/settings/integrations")), "brokenimport")
    assert shown.startswith("unavailable")
    assert ("import failed: RuntimeError: BROKENIMPORT_REGION must be set before import"
            in shown)
    assert 'data-provider="fakeprovider" data-status="not_connected"' in text(
        client.get("/settings/integrations"))


def test_cli_plugins_lists_available_and_unavailable_plugins(app, caplog):
    start_up = caplog.get_records("setup")  # building the app: one line per broken plugin
    assert {r.levelno for r in start_up if "brokenplugins" in r.getMessage()} == {logging.ERROR}
    assert not [r for r in start_up if r.levelno >= logging.ERROR and r.exc_info]
    result = app.test_cli_runner().invoke(args=["integrations", "plugins"])
    assert result.exit_code == 0 and result.exception is None
    lines = {line.split()[0]: line for line in result.output.splitlines()
             if line and not line.startswith(" ")}
    assert lines["fakeprovider"].split()[1:] == ["available"]
    assert lines["brokenplugins.raising_choices"].split()[1:] == ["available"]
    assert "unavailable: The plugin 'brokenplugins.raising_register' failed in " \
           "register_provider" in lines["brokenplugins.raising_register"]
    assert "unavailable: implements 'on_invoice_send'" in lines["brokenplugins.misspelled"]
    assert "unavailable: refused by the plugin manager" in lines["brokenplugins.wrong_args"]
    assert "Traceback" not in result.output
