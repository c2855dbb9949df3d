"""Admin only, CSRF everywhere, one organization never sees another's connections."""

import pytest

from host.integrations.testing import create_org, csrf_token, login


@pytest.fixture
def other_org(app):
    return create_org(app, name="Umbrella Corp", units=("Umbrella North",))


@pytest.fixture
def conn(connection_factory):
    return connection_factory()


@pytest.mark.parametrize("path", [
    "/settings/integrations", "/settings/plugins", "/settings/plugins.json",
])
def test_member_gets_403_on_settings_pages(member_client, path):
    assert member_client.get(path).status_code == 403


def test_member_gets_403_on_connect_manage_and_disconnect(member_client, conn, org):
    token = csrf_token(member_client, "/login")  # any page carries the session's token
    bu = org.business_unit_ids[0]
    assert member_client.post("/oauth/fakeprovider/start",
                              data={"business_unit": bu, "csrf_token": token}).status_code == 403
    assert member_client.get(f"/settings/integrations/connections/{conn.id}").status_code == 403
    assert member_client.post(f"/settings/integrations/connections/{conn.id}/disconnect",
                              data={"csrf_token": token}).status_code == 403


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/settings/integrations")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_post_without_csrf_token_is_refused(admin_client, conn, org, db):
    assert admin_client.post("/oauth/fakeprovider/start",
                             data={"business_unit": org.business_unit_ids[0]}).status_code == 400
    assert admin_client.post(
        f"/settings/integrations/connections/{conn.id}/disconnect").status_code == 400
    db.session.refresh(conn)
    assert conn.status == "connected"


def test_organization_b_cannot_see_organization_a_connections(app, conn, other_org, org):
    other = login(app.test_client(), other_org.admin_email, other_org.password)
    token = csrf_token(other)
    assert other.get(f"/settings/integrations/connections/{conn.id}").status_code == 404
    assert other.get(f"/settings/integrations/connections/{conn.id}/setup").status_code == 404
    assert other.post(f"/settings/integrations/connections/{conn.id}/disconnect",
                      data={"csrf_token": token}).status_code == 404
    bu_a = org.business_unit_ids[0]
    assert other.get(f"/settings/integrations?business_unit={bu_a}").status_code == 404
    assert other.post("/oauth/fakeprovider/start",
                      data={"business_unit": bu_a, "csrf_token": token}).status_code == 404
    page = other.get("/settings/integrations").get_data(as_text=True)
    assert "Consulting East" not in page and "Fake Books Inc" not in page
    assert 'data-status="not_connected"' in page
