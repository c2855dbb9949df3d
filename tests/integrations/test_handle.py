"""The connection handle's HTTP client: bearer token, typed errors, refs and mappings."""

import httpx
import pytest

from hookspecs import ProviderDown, RateLimited
from host.integrations.handle import handle_for, parse_retry_after


def test_bearer_token_is_added_and_429_becomes_rate_limited(connection_factory, db):
    seen = []

    def answer(request):
        seen.append(request.headers["Authorization"])
        return httpx.Response(429, headers={"Retry-After": "12"})

    handle = handle_for(connection_factory(), transport=httpx.MockTransport(answer))
    with pytest.raises(RateLimited) as err:
        handle.http.get("https://ledger.test/api/x")
    assert seen == ["Bearer test-access"]
    assert err.value.retry_after == 12 and err.value.retryable


def test_transport_errors_and_timeouts_become_provider_down(connection_factory, db):
    def boom(request):
        raise httpx.ConnectError("refused", request=request)

    handle = handle_for(connection_factory(), transport=httpx.MockTransport(boom))
    with pytest.raises(ProviderDown, match="could not be reached"):
        handle.http.get("https://ledger.test/api/x")

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    handle = handle_for(connection_factory(business_unit_id=None, status="disconnected"),
                        transport=httpx.MockTransport(slow))
    handle.status = "connected"
    with pytest.raises(ProviderDown, match="did not answer in time"):
        handle.http.get("https://ledger.test/api/x")


def test_other_responses_are_returned_to_the_plugin(connection_factory, db):
    handle = handle_for(connection_factory(),
                        transport=httpx.MockTransport(lambda r: httpx.Response(400, json={"e": 1})))
    assert handle.http.get("https://ledger.test/api/x").json() == {"e": 1}


def test_refs_remember_and_look_up_both_ways(connection_factory, db):
    handle = handle_for(connection_factory())
    assert handle.refs.get("customer", 7) is None
    handle.refs.remember("customer", 7, "C-1")
    handle.refs.remember("customer", 7, "C-2")  # re-remember replaces
    assert handle.refs.get("customer", "7") == "C-2"
    assert handle.refs.host_id_for("customer", "C-2") == "7"
    other = handle_for(connection_factory(business_unit_id=None, status="disconnected"))
    assert other.refs.get("customer", 7) is None, "refs are per connection"


def test_plugins_never_see_tokens(connection_factory, db):
    handle = handle_for(connection_factory(tokens={"access_token": "acc-zz9", "refresh_token": "r",
                                                   "realmId": "123"}))
    assert dict(handle.token_extra)["realmId"] == "123"
    assert "access_token" not in handle.token_extra and "refresh_token" not in handle.token_extra
    assert "acc-zz9" not in repr(handle)


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None



def test_tax_rates_are_the_organizations_active_ones(app, connection_factory, db, org):
    from decimal import Decimal

    from host.integrations.testing import create_org
    from host.models import TaxRate

    other = create_org(app, name="Other Co", admin_email="a@other.test",
                       member_email="m@other.test")
    db.session.add_all([TaxRate(organization_id=org.id, name="VAT", rate=Decimal("20")),
                        TaxRate(organization_id=org.id, name="Old", rate=Decimal("17.5"),
                                active=False),
                        TaxRate(organization_id=other.id, name="GST", rate=Decimal("15"))])
    db.session.commit()
    rates = handle_for(connection_factory()).tax_rates()
    assert [(r.name, r.rate) for r in rates] == [("VAT", Decimal("20.0000"))]
