"""The sync overview's "From the ledger" tab and a ledger record's history: waiting, ambiguous
and skipped records with their reason and fix, the field-by-field changes a sync made, all
escaped; admin-only; another organization's records are a 404."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from host.extensions import db
from host.integrations.testing import create_org, csrf_token, make_connection
from host.models import SyncLink


def _link(app, conn_id: int, **kw) -> int:
    with app.app_context():
        events = kw.pop("events", ())
        link = SyncLink(connection_id=conn_id, object=kw.pop("object", "customer"),
                        external_id=kw.pop("external_id", "C-1"), **kw)
        db.session.add(link)
        db.session.flush()
        for kind, message, changes in events:
            link.log(kind, message, changes)
        db.session.commit()
        return link.id


@pytest.fixture
def conn_id(connection_factory):
    return connection_factory().id


def test_waiting_ambiguous_and_skipped_records_with_reason_and_fix(app, admin_client, conn_id):
    _link(app, conn_id, external_id="C-1", status="waiting", label="<b>Nameless</b>",
          reason="A customer needs a name.", fix="Give it a name in Fake Ledger.")
    _link(app, conn_id, external_id="C-2", status="ambiguous", label="Acme",
          reason="2 clients match: Acme Corp, Acme Ltd.")
    _link(app, conn_id, object="item", external_id="I-1", status="skipped", label="Widget",
          reason="No SKU.")
    _link(app, conn_id, external_id="C-3", status="linked", label="Linked Co")
    page = admin_client.get(f"/settings/integrations/{conn_id}/sync/ledger").get_data(
        as_text=True)
    assert "&lt;b&gt;Nameless&lt;/b&gt;" in page and "<b>Nameless" not in page
    assert "A customer needs a name." in page and "Give it a name in Fake Ledger." in page
    assert "2 clients match" in page
    assert f"/settings/integrations/connections/{conn_id}/reconciliation" in page
    assert "Widget" not in page and "Linked Co" not in page  # attention: waiting + ambiguous
    skipped = admin_client.get(f"/settings/integrations/{conn_id}/sync/ledger?status=skipped")
    assert "No SKU." in skipped.get_data(as_text=True)
    linked = admin_client.get(f"/settings/integrations/{conn_id}/sync/ledger?status=linked")
    assert "Linked Co" in linked.get_data(as_text=True)
    assert admin_client.get(
        f"/settings/integrations/{conn_id}/sync/ledger?status=bogus").status_code == 404
    overview = admin_client.get(f"/settings/integrations/{conn_id}/sync").get_data(as_text=True)
    assert 'id="tab-from-ledger"' in overview


def test_history_says_what_each_sync_overwrote(app, admin_client, conn_id):
    link_id = _link(app, conn_id, status="linked", label="Acme Corp", events=[
        ("conflict", "Changed on both sides; PSA data wins.",
         [{"field": "name", "host": "Acme Corp", "provider": "Acme Ltd", "kept": "host",
           "conflict": True}]),
        ("updated", "Updated from Fake Ledger.",
         [{"field": "billing_email", "host": "a@x.example", "provider": "<i>b@x.example</i>",
           "kept": "provider", "conflict": False}])])
    page = admin_client.get(
        f"/settings/integrations/{conn_id}/sync/ledger/{link_id}").get_data(as_text=True)
    assert "Name: PSA &#39;Acme Corp&#39; kept, Fake Ledger &#39;Acme Ltd&#39; overwritten" in page
    assert ("Billing email: Fake Ledger &#39;&lt;i&gt;b@x.example&lt;/i&gt;&#39; kept, "
            "PSA &#39;a@x.example&#39; overwritten") in page


def test_members_cannot_see_or_retry(app, member_client, conn_id):
    link_id = _link(app, conn_id, status="waiting", reason="No name.")
    url = f"/settings/integrations/{conn_id}/sync/ledger/{link_id}/retry"
    token = csrf_token(member_client, "/clients/new")
    assert member_client.post(url, data={"csrf_token": token}).status_code == 403
    assert member_client.get(f"/settings/integrations/{conn_id}/sync/ledger").status_code == 403
    assert member_client.get(
        f"/settings/integrations/{conn_id}/sync/ledger/{link_id}").status_code == 403


def test_retry_needs_csrf_and_the_same_org(app, admin_client, conn_id):
    link_id = _link(app, conn_id, status="waiting", reason="No name.")
    url = f"/settings/integrations/{conn_id}/sync/ledger/{link_id}/retry"
    assert admin_client.post(url).status_code == 400
    other = create_org(app, name="Other Org", units=("Elsewhere", "Also"),
                       admin_email="boss@other.example", member_email="m@other.example")
    theirs = make_connection(app, other.business_unit_ids[0], "fakeprovider")
    their_link = _link(app, theirs, status="waiting", reason="Secret reason.")
    assert admin_client.get(
        f"/settings/integrations/{theirs}/sync/ledger/{their_link}").status_code == 404
    # their link through my connection's address is a 404 too
    assert admin_client.get(
        f"/settings/integrations/{conn_id}/sync/ledger/{their_link}").status_code == 404
    token = csrf_token(admin_client, f"/settings/integrations/{conn_id}/sync/ledger")
    assert admin_client.post(f"/settings/integrations/{conn_id}/sync/ledger/{their_link}/retry",
                             data={"csrf_token": token}).status_code == 404


ledger_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=ledger_text, reason=ledger_text, fix=ledger_text, old=ledger_text, new=ledger_text)
def test_whatever_the_ledger_sends_is_shown_escaped(app, admin_client, conn_id, label, reason,
                                                    fix, old, new):
    with app.app_context():
        db.session.query(SyncLink).delete()
        db.session.commit()
    link_id = _link(app, conn_id, status="waiting", label=label[:200], reason=reason, fix=fix,
                    events=[("updated", reason, [{"field": "name", "host": old,
                                                  "provider": new, "kept": "provider"}])])
    ledger = admin_client.get(f"/settings/integrations/{conn_id}/sync/ledger")
    history = admin_client.get(f"/settings/integrations/{conn_id}/sync/ledger/{link_id}")
    assert ledger.status_code == history.status_code == 200
    for page, texts in ((ledger.get_data(as_text=True), (label, reason, fix)),
                        (history.get_data(as_text=True), (label, reason, old, new))):
        for text in texts:
            if text.strip():
                assert str(escape(text.strip())) in page
        assert "<script" not in page.lower().replace('<script src="/static/', "")


def test_what_to_do_links_the_page_it_names(app, admin_client, conn_id):
    """A waiting invoice's fix names the Manage page (as the engine writes it for an unmapped
    tax code): the From the ledger tab and the record's page link it, like the sync overview."""
    link_id = _link(app, conn_id, object="invoice", external_id="I-9", status="waiting",
                    label="Invoice 1001",
                    reason="The tax code 2 (8 %) is not mapped to a host tax rate.",
                    fix="Map it on the integration's Manage page (tax rates), then press Retry.")
    manage = f'href="/settings/integrations/connections/{conn_id}"'
    for url in (f"/settings/integrations/{conn_id}/sync/ledger",
                f"/settings/integrations/{conn_id}/sync/ledger/{link_id}"):
        page = admin_client.get(url).get_data(as_text=True)
        assert f'<a class="fix-link" {manage}>Manage page</a>' in page
