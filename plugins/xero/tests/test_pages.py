"""Issue 6, point 3: the host's reconciliation pass page with the Xero plugin's previews, and the
admin's choices on it deciding what the push uses (clients -> contacts, service types -> items).
Pages through the host's test client; Xero is the sandbox over real HTTP (OpenAPI-checked)."""

from __future__ import annotations

from host.integrations.e2e import reconciliation_previews
from psa_xero.sandbox import UK_TENANT_ID


def test_reconciliation_page_shows_xero_matches_and_the_admins_pick_is_pushed(
        app, admin_client, org, db, xero_connection, handle, hook, sandbox_api):
    from xero_testkit import client_data, invoice_data

    from host.integrations.testing import csrf_token
    from host.models import Client, ServiceType
    from psa_xero.api import XeroClient
    from psa_xero.sandbox.seed import sid

    conn = xero_connection("uk")
    # someone keeps a second Xero contact with Acme's billing email
    dup = XeroClient(handle(conn)).put(
        "Contacts", {"Contacts": [{"Name": "Acme Widgets (old)",
                                   "EmailAddress": "accounts@acme.example"}]},
        key=None, action="adding a second Acme contact")
    db.session.add_all([
        Client(organization_id=org.id, name="Acme", billing_email="accounts@acme.example"),
        Client(organization_id=org.id, name="bluebird  analytics",
               billing_email="new@bluebird.test"),
        Client(organization_id=org.id, name="Oldco Holdings", billing_email="x@oldco.test"),
        Client(organization_id=org.id, name="Brand New Co", billing_email="hi@brandnew.test"),
        ServiceType(organization_id=org.id, name="Consulting hour"),
        ServiceType(organization_id=org.id, name="Retainer", sku="SUPPORT"),
        ServiceType(organization_id=org.id, name="Training")])
    db.session.commit()
    acme = db.session.scalars(db.select(Client).filter_by(name="Acme")).one()

    url = f"/settings/integrations/connections/{conn.id}/reconciliation"
    html = admin_client.get(url).get_data(as_text=True)
    clients = reconciliation_previews(html, "client")
    assert clients["Acme"][0] == "ambiguous"  # two contacts with this email: never silent
    assert "Acme Widgets Ltd" in clients["Acme"][1] and "Acme Widgets (old)" in clients["Acme"][1]
    assert clients["bluebird  analytics"] == ("match", "Bluebird Analytics")  # by name
    assert clients["Oldco Holdings"] == ("create", "Oldco Holdings (2)")  # archived namesake
    assert clients["Brand New Co"] == ("create", "Brand New Co")
    services = reconciliation_previews(html, "service_type")
    assert services["Consulting hour"][0] == "match"
    assert services["Retainer"][0] == "match"  # its SKU is the item code
    assert services["Training"][0] == "default"

    chosen = dup["ContactID"]
    form = {"csrf_token": csrf_token(admin_client, url), f"pick-client-{acme.id}": chosen}
    assert admin_client.post(url, data=form).status_code in (302, 303)
    html = admin_client.get(url).get_data(as_text=True)
    assert reconciliation_previews(html, "client")["Acme"] == ("match", "Acme Widgets (old)")

    # the push uses the admin's pick, not the first contact with the email (and makes none)
    before = len(sandbox_api(UK_TENANT_ID, "contacts"))
    client = client_data("Acme", "accounts@acme.example", cid=acme.id)
    result = hook(conn, "on_invoice_sent", invoice=invoice_data(client=client),
                  idempotency_key="recon-1")
    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    assert doc["Contact"]["ContactID"] == chosen != sid(UK_TENANT_ID, "contact:acme")
    assert len(sandbox_api(UK_TENANT_ID, "contacts")) == before


def test_hook_on_invoice_sent_matches_the_contact_by_contact_number_before_name(
        connected_connection, hook, handle, sandbox_api):
    """Client -> contact: email first, then the contact number (``PSA-<client id>``, which the
    plugin gives every contact it creates), then the name. A client renamed in the PSA whose
    email changed too is still found by its number; a same-named contact is not taken."""
    from xero_testkit import client_data, invoice_data

    from psa_xero.api import XeroClient

    xero = XeroClient(handle(connected_connection))
    ours = xero.put("Contacts", {"Contacts": [{"Name": "Zephyr Old Name Ltd",
                                               "ContactNumber": "PSA-7301",
                                               "EmailAddress": "old@zephyr.test"}]},
                    key=None, action="the contact pushed long ago")
    namesake = xero.put("Contacts", {"Contacts": [{"Name": "Zephyr Holdings",
                                                   "EmailAddress": "other@zephyr.test"}]},
                        key=None, action="another contact with the new name")
    client = client_data("Zephyr Holdings", "new@zephyr.test", cid=7301)
    previews = hook(connected_connection, "preview_matches", kind="client", records=[client])
    assert [(p.outcome, p.external_id) for p in previews] == [("match", ours["ContactID"])]

    result = hook(connected_connection, "on_invoice_sent", invoice=invoice_data(client=client),
                  idempotency_key="number-1")
    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    assert doc["Contact"]["ContactID"] == ours["ContactID"] != namesake["ContactID"]
