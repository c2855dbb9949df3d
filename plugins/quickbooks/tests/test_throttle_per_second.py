"""Intuit's 10 requests a second per company and app, against the sandbox at that real limit:
the host paces every call of the plugin to one company in one window, including the calls
``on_connect`` makes before the admin's company is the connection's tenant."""

from __future__ import annotations

from psa_quickbooks.sandbox import US_REALM
from qbo_testkit import make_invoice


def test_connect_time_calls_and_a_burst_of_pushes_share_the_company_s_10_a_second(
        qbo, qbo_connection, connection_factory, hook, org):
    tokens = qbo.tokens(US_REALM)
    connecting = connection_factory(  # what the OAuth callback holds: no company chosen yet
        business_unit_id=org.business_unit_ids[1], provider_key="quickbooks", status="pending",
        tenant=None, setup_complete=False,
        tokens={"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                "token_type": "Bearer"})
    booking = qbo_connection("us")

    hook(connecting, "on_connect", callback_params={"realmId": US_REALM})
    pushed = [hook(booking, "on_invoice_sent", idempotency_key=f"burst-{n}",
                   invoice=make_invoice(id=n, number=f"INV-BURST-{n}")).external_id
              for n in (1, 2, 3)]

    calls = qbo.requests("/v3/company/")
    assert len(calls) > 10  # more than a second's worth, sent as fast as allowed
    assert [(c["method"], c["path"]) for c in calls if c["status"] == 429] == []
    booked = {i["Id"]: i["TotalAmt"] for i in qbo.entities(US_REALM, "Invoice")}
    assert len(set(pushed)) == 3 and [booked[i] for i in pushed] == [1580, 1580, 1580]
