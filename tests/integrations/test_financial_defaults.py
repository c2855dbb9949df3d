"""Settings > Financials > GL Accounts shows the provider defaults a plugin declares in
``ProviderInfo.financial_settings`` (Xero's default revenue account), and saves them."""

import re

import fakeledger
from host.integrations.testing import csrf_token


def _connected(connection_factory, **settings):
    with fakeledger.LEDGER.lock:
        tokens = fakeledger.LEDGER.issue_tokens()
    return connection_factory(tokens=tokens, settings={"default_item": "1", "auto_send": True,
                                                       **settings})


def test_gl_accounts_page_edits_the_provider_default_and_keeps_other_settings(
        admin_client, connection_factory, db):
    conn = _connected(connection_factory)
    html = admin_client.get("/settings/financials/gl-accounts/").get_data(as_text=True)
    panel = re.search(rf'<section [^>]*id="provider-defaults-{conn.id}">(.*?)</section>', html,
                      re.S).group(1)
    assert "Fake Ledger defaults" in panel and 'name="default_item"' in panel
    assert 'name="auto_send"' not in panel, "only the declared fields are shown"

    resp = admin_client.post(f"/settings/financials/gl-accounts/connections/{conn.id}/defaults",
                             data={"csrf_token": csrf_token(admin_client),
                                   "default_item": "2"})
    assert resp.status_code == 302
    db.session.refresh(conn)
    assert conn.settings == {"default_item": "2", "auto_send": True}


def test_an_invalid_choice_is_refused_with_the_reason_and_nothing_saved(
        admin_client, connection_factory, db):
    conn = _connected(connection_factory)
    resp = admin_client.post(f"/settings/financials/gl-accounts/connections/{conn.id}/defaults",
                             data={"csrf_token": csrf_token(admin_client),
                                   "default_item": "no-such-item"})
    assert resp.status_code == 400
    assert "Not a valid choice" in resp.get_data(as_text=True)
    db.session.refresh(conn)
    assert conn.settings["default_item"] == "1"


def test_without_csrf_or_as_a_member_nothing_is_saved(admin_client, member_client,
                                                      connection_factory, db):
    conn = _connected(connection_factory)
    url = f"/settings/financials/gl-accounts/connections/{conn.id}/defaults"
    assert admin_client.post(url, data={"default_item": "2"}).status_code == 400
    token = csrf_token(member_client, "/invoices/")
    assert member_client.post(url, data={"default_item": "2", "csrf_token": token}
                              ).status_code == 403
    db.session.refresh(conn)
    assert conn.settings["default_item"] == "1"


def test_another_organizations_connection_is_not_found(admin_client, make_app, app,
                                                       connection_factory, db):
    from host.integrations.testing import create_org, make_connection

    other = create_org(app, name="Other Org", admin_email="a@other.test",
                       member_email="m@other.test")
    cid = make_connection(app, other.business_unit_ids[0], "fakeprovider",
                          settings={"default_item": "1"})
    resp = admin_client.post(f"/settings/financials/gl-accounts/connections/{cid}/defaults",
                             data={"csrf_token": csrf_token(admin_client), "default_item": "2"})
    assert resp.status_code == 404
