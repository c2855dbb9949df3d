"""The invoice's sync panel in headless Chromium: it updates live (app.js polling) while the
real worker retries, shows the provider number as a link to the provider, and Retry works."""

import fakeledger
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
LEDGER = fakeledger.LEDGER


def _login(page, e2e, tenant):
    from host.extensions import db
    from host.models import User

    with e2e.app.app_context():
        email = db.session.scalars(db.select(User).filter_by(
            organization_id=tenant.org_id, role="admin")).first().email
        db.session.remove()
    page.goto(f"{e2e.url}/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse")
    page.click("#login")
    page.wait_for_url(lambda url: "/login" not in url)


def test_panel_follows_the_worker_live_and_links_to_the_provider(e2e, tenant, page):
    invoice_id = e2e.draft_invoice(tenant)
    _login(page, e2e, tenant)
    page.goto(f"{e2e.url}/invoices/{invoice_id}")
    LEDGER.fail_next("rate_limited")  # Retry-After: 7 s
    page.click("#send-invoice")
    # The first push fails; the panel shows the error while the worker backs off ...
    error = page.locator(".sync-error[data-category='rate_limited']")
    error.wait_for(timeout=45000)
    assert "retries automatically" in error.inner_text()
    # ... and turns Synced without a reload once the automatic retry succeeds.
    page.locator(".sync-status[data-status='synced']").wait_for(timeout=60000)
    link = page.locator("a.provider-number")
    (pushed,) = [d for d in LEDGER.invoices()]
    assert link.inner_text() == pushed["number"]
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("href") == f"{e2e.ledger_url}/app/{pushed['id']}"


def test_retry_button_resends_a_failed_invoice(e2e, tenant, page):
    invoice_id = e2e.draft_invoice(tenant)
    _login(page, e2e, tenant)
    page.goto(f"{e2e.url}/invoices/{invoice_id}")
    LEDGER.fail_next("validation")
    page.click("#send-invoice")
    page.locator(".sync-error[data-category='validation']").wait_for(timeout=45000)
    assert "Customer email is invalid" in page.locator(".sync-error").inner_text()
    page.click("#retry-sync")
    page.locator(".sync-status[data-status='synced']").wait_for(timeout=45000)
    assert page.locator(".sync-error").count() == 0
    assert len(LEDGER.invoices()) == 1


def test_a_payment_the_provider_refused_shows_on_the_panel_and_retry_sends_it(e2e, tenant, page):
    invoice_id = e2e.draft_invoice(tenant)
    _login(page, e2e, tenant)
    page.goto(f"{e2e.url}/invoices/{invoice_id}")
    page.click("#send-invoice")
    page.locator(".sync-record[data-object-type='invoice'] .sync-status[data-status='synced']"
                 ).wait_for(timeout=45000)
    LEDGER.fail_next("validation")
    page.fill("#payment-amount", "40.00")
    page.fill("#payment-date", "2026-12-01")
    page.click("#record-payment")
    # The refused push shows on the invoice's panel, live, with its fix and a Retry.
    payment = page.locator(".sync-record[data-object-type='payment']")
    payment.locator(".sync-error[data-category='validation']").wait_for(timeout=45000)
    text = payment.inner_text()
    assert "Payment of 40.00 on" in text and "Customer email is invalid" in text
    assert "Fix:" in text
    payment.locator(".retry-sync").click()
    page.locator(".sync-record[data-object-type='payment'] .sync-status[data-status='synced']"
                 ).wait_for(timeout=45000)
    assert payment.locator(".sync-error").count() == 0
    assert len([d for d in LEDGER.documents.values() if d["type"] == "payment"]) == 1
