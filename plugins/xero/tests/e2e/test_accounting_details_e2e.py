"""Issue 6, point 3 end to end, over real HTTP with the worker process: the host's own settings
pages decide what Xero books.

* Settings > Financials > GL Accounts: the default revenue account of the Xero connection;
* a contract line's accounting details (its GL account override), mapped on the Xero Manage page
  to a Xero revenue account: that line books to it, every other line to the default;
* the contract line's class -> the option of the default tracking category;
* Settings > Invoice settings: the default due days -> Xero's DueDate (a project's own payment
  terms win: ``test_edit_resend_e2e``);
* Reference, CurrencyCode, LineAmountTypes and the item code of the service type.

Every exchange (the worker's) is checked against Xero's OpenAPI documents by the autouse
fixture of ``plugins/xero/tests/conftest.py``.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from xero_e2ekit import connect, send_synced, xero_invoices

from host.integrations.e2e import provider_link
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

pytestmark = pytest.mark.e2e


def test_e2e_host_settings_pages_decide_accounts_tracking_and_due_date_in_xero(env,
                                                                               xero_server):
    from host.extensions import db
    from host.models import Client, ContractLine, GLAccount, Organization, Project, ServiceType
    from host.services.invoicing import create_invoice_from_project
    from psa_xero.sandbox.seed import sid

    tenant = connect(env, US_TENANT_ID, tenants=(UK_TENANT_ID, US_TENANT_ID),
                     default_revenue_account="4010",
                     tracking_category=sid(US_TENANT_ID, "tracking:Class"))
    user, cid = tenant.user, tenant.connection_id

    # Settings > Financials > GL Accounts: the Xero default revenue account, 4010 -> 4000
    gl_page = "/settings/financials/gl-accounts/"
    assert 'name="default_revenue_account"' in user.page(gl_page)
    resp = user.post_form(gl_page, f"/settings/financials/gl-accounts/connections/{cid}/defaults",
                          {"default_revenue_account": "4000"})
    assert resp.status_code in (302, 303), resp.text[-1500:]

    # Settings > Invoice settings: invoices are due 21 days after issue
    resp = user.post_form("/settings/invoices", "/settings/invoices", {"default_due_days": "21"})
    assert resp.status_code in (302, 303), resp.text[-1500:]

    with env.app.app_context():
        assert db.session.get(Organization, tenant.org_id).default_due_days == 21
        client = Client(organization_id=tenant.org_id, name="Details Client",
                        billing_email="ap@details-e2e.test")
        advisory = ServiceType(organization_id=tenant.org_id, name="Advisory hour")
        training = GLAccount(organization_id=tenant.org_id, code="4150", name="Training fees")
        project = Project(organization_id=tenant.org_id, client=client, name="Apollo",
                          business_unit_id=tenant.business_unit_id)
        plain = ContractLine(project=project, position=1, service_type=advisory,
                             description="Advisory", rate=Decimal("200"),
                             class_label="Advisory")
        special = ContractLine(project=project, position=2, service_type=advisory,
                               description="Training day", rate=Decimal("900"))
        db.session.add_all([client, advisory, training, project, plain, special])
        db.session.commit()
        ids = {"project": project.id, "special": special.id, "gl": training.id,
               "advisory": advisory.id}
        db.session.remove()

    # the contract line's accounting details: GL account override "4150 Training fees"
    line_page = f"/projects/{ids['project']}/contract-lines/{ids['special']}"
    assert 'name="gl_account_id"' in user.page(line_page)
    resp = user.post_form(line_page, line_page, {
        "service_type_id": ids["advisory"], "description": "Training day", "rate": "900.00",
        "gl_account_id": ids["gl"], "tax_rate_id": "0", "class_label": ""})
    assert resp.status_code in (302, 303), resp.text[-1500:]
    # ... mapped to Xero's 4010 on the Xero Manage page (Revenue accounts)
    manage = f"/settings/integrations/connections/{cid}"
    assert f'name="map-{ids["gl"]}"' in user.page(manage)
    resp = user.post_form(manage, f"{manage}/mappings/account", {f"map-{ids['gl']}": "4010"})
    assert resp.status_code in (302, 303), resp.text[-1500:]

    with env.app.app_context():
        project = db.session.get(Project, ids["project"])
        assert [cl.gl_account_id for cl in project.contract_lines] == [None, ids["gl"]]
        invoice = create_invoice_from_project(project, {cl.id: 2 for cl in
                                                        project.contract_lines})
        invoice_id, number = invoice.id, invoice.number
        issued, due = invoice.issue_date, invoice.due_date
        db.session.remove()
    assert due == issued + timedelta(days=21)

    assert provider_link(send_synced(env, tenant, invoice_id))[2].strip() == number

    (doc,) = xero_invoices(xero_server.url, number)
    assert doc["Type"] == "ACCREC" and doc["Status"] == "AUTHORISED"
    assert doc["CurrencyCode"] == "USD" and doc["LineAmountTypes"] == "Exclusive"
    assert doc["DueDate"][:10] == due.isoformat() and doc["Date"][:10] == issued.isoformat()
    assert doc["Reference"].startswith("Apollo")
    first, second = doc["LineItems"]
    assert (first["Description"], first["AccountCode"], first["ItemCode"]) == (
        "Advisory", "4000", "ADVISORY")  # the default revenue account from the GL page
    assert [(t["Name"], t["Option"]) for t in first["Tracking"]] == [("Class", "Advisory")]
    assert (second["Description"], second["AccountCode"]) == ("Training day", "4010")
    assert not second.get("Tracking")
    assert Decimal(str(doc["Total"])) == Decimal("2200.00")
    assert env.invoice_facts(invoice_id)["total"] == Decimal("2200.00")
    # the record's page says nothing went to another account than chosen
    panel = html_lib.unescape(user.page(f"/invoices/{invoice_id}/sync"))
    assert not re.search(r"sync-error", panel)
