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
