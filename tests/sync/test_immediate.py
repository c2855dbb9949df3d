"""HUEY_IMMEDIATE runs the job inline right after the commit (unit-test mode of the queue)."""

import fakeledger
from synchelpers import make_invoice, records

from host.extensions import db
from host.integrations.testing import create_org, make_connection

LEDGER = fakeledger.LEDGER


def test_immediate_mode_syncs_during_the_commit(make_app):
    app = make_app(HUEY_IMMEDIATE=True)
    org = create_org(app)
    make_connection(app, org.business_unit_ids[0], "fakeprovider",
                    settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())
    with app.app_context():
        make_invoice(org, send=True)
        db.session.expire_all()
        (record,) = records("invoice")
        assert record.status == "synced"
        assert record.number == LEDGER.invoices()[0]["number"]
        db.session.remove()
