"""Browser: the Manage page's "What syncs" section, end to end in headless Chromium.

The admin turns customers to "Fake Ledger -> PSA" with the arrows, switches a field off, adds
a mapping, sets the created-after filter (shown once the direction lets records in) and saves;
the card shows the import's progress bar, which follows the worker to "done" (polled JSON), and
the "From the ledger" tab shows the customer that waits, with its reason.
"""

import re

import pytest
from playwright.sync_api import expect

import fakeledger

pytestmark = pytest.mark.browser


def test_admin_sets_what_syncs_and_follows_the_import(page, live_server, app, org,
                                                      connection_factory, db):
    from host.models import Client, SyncObjectSetting
    from host.sync.queue import drain

    with fakeledger.LEDGER.lock:
        tokens = fakeledger.LEDGER.issue_tokens()
    conn = connection_factory(tokens=tokens, settings={"default_item": "1"})
    fakeledger.LEDGER.create_record("customer", {"name": "Initech", "tax_id": "GB123"})
    fakeledger.LEDGER.create_record("customer", {"name": "", "email": "who@example.com"})

    page.goto(f"{live_server.url}/login")
    page.fill("#email", org.admin_email)
    page.fill("#password", org.password)
    page.click("#login")
    page.goto(f"{live_server.url}/settings/integrations/connections/{conn.id}")

    card = page.locator("#what-syncs-customer")
    expect(card.locator("h4")).to_have_text("Customers ↔ clients")
    filters = card.locator("fieldset.filters")
    expect(filters).to_be_hidden()  # PSA -> Fake Ledger: nothing comes in, no filters
    card.get_by_label("Fake Ledger → PSA").check()
    expect(filters).to_be_visible()
    card.get_by_label("Use Fake Ledger data").check()
    card.locator("#field-customer-billing_contact_name").uncheck()
    card.locator("#new-key-customer").select_option(label="Tax ID")
    card.locator("#new-host-customer").select_option(label="Tax number")
    card.locator("#created-after-customer").fill("2020-01-31")
    card.locator("#save-customer").click()

    page.wait_for_url(re.compile(r"#what-syncs-customer$"))
    expect(page.locator(".flash, [role=status], .alert").first).to_contain_text("Customers")
    card = page.locator("#what-syncs-customer")
    expect(card.locator("#direction-customer-in")).to_be_checked()
    expect(card.locator("#field-customer-billing_contact_name")).not_to_be_checked()
    expect(card.locator("tr.added[data-key=tax_id]")).to_contain_text("Tax ID")
    expect(card.locator("#created-after-customer")).to_have_value("2020-01-31")
    progress = card.locator(".import-progress")
    expect(progress).to_have_attribute("data-status", "running")
    expect(progress.locator("progress")).to_be_visible()

    assert drain(app) >= 1  # the worker's turn
    expect(progress).to_have_attribute("data-status", "done")  # app.js polls the JSON
    expect(progress.locator("progress")).to_have_attribute("value", "100")
    expect(progress.locator('[data-count="created"]')).to_have_text("1")
    expect(progress.locator('[data-count="failed"]')).to_have_text("1")

    page.click("#from-ledger-link")
    row = page.locator("tr.ledger-record[data-status=waiting]")
    expect(row).to_have_count(1)
    expect(row.locator(".link-reason")).to_contain_text("name")

    db.session.expire_all()
    setting = db.session.query(SyncObjectSetting).filter_by(connection_id=conn.id,
                                                            object="customer").one()
    assert setting.fields == {"off": ["billing_contact_name"],
                              "extra": [{"key": "tax_id", "host_field": "tax_number"}]}
    assert db.session.query(Client).filter_by(name="Initech").one().tax_number == "GB123"
