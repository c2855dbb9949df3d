"""Issue 6, point 1 end to end, over real HTTP: the authorization the host sends the admin to
(granular scopes, PKCE), the code exchange with its verifier, and the organisation picker
offering only the organisations ticked in THIS authorization (Xero's ``/connections`` also
lists organisations connected to the app earlier; the plugin filters by the access token's
``authentication_event_id``).

Every exchange with the sandbox is checked against Xero's OpenAPI documents by the autouse
fixture of ``plugins/xero/tests/conftest.py``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from xero_e2ekit import connect, connection_facts, consent, xero_connections

from psa_xero.info import SCOPES
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

pytestmark = pytest.mark.e2e


def connection_row(env, connection_id: int) -> tuple:
    facts = connection_facts(env, connection_id)
    return (facts["tenant_id"], facts["tenant_name"], facts["tenant_short_code"],
            facts["status"])


def test_e2e_authorization_asks_for_granular_scopes_with_pkce_and_sends_the_verifier(
        env, xero_server):
    seen: list[str] = []
    tenant = env.connect(env.new_org(), "xero", consent=consent(seen=seen),
                         tenant_id=UK_TENANT_ID, setup={"default_revenue_account": "200"})
    (url,) = seen
    params = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/identity/connect/authorize"
    scopes = params["scope"][0].split()
    assert sorted(scopes) == sorted(SCOPES)
    assert {"accounting.invoices", "accounting.payments", "accounting.contacts",
            "accounting.settings.read", "offline_access"} <= set(scopes)
    assert not {"accounting.transactions", "accounting.settings"} & set(scopes)  # broad ones
    assert params["response_type"] == ["code"] and params["code_challenge_method"] == ["S256"]
    challenge = params["code_challenge"][0]
    assert len(challenge) == 43  # base64url of a SHA-256, no padding

    # the code exchange: the sandbox refuses it ("invalid code_verifier") unless the verifier
    # hashes to this challenge (psa_xero.sandbox.identity.pkce_ok), so a 200 here is the proof
    token_calls = [ex for ex in list(xero_server.sandbox.exchanges)
                   if ex["method"] == "POST" and ex["path"] == "/connect/token"]
    assert [ex["status"] for ex in token_calls] == [200]
    assert b"refresh_token" in token_calls[0]["response_body"]
    assert connection_row(env, tenant.connection_id) == (
        UK_TENANT_ID, "Ashdown Consulting (UK)", "!uK7dA", "connected")


def test_e2e_a_later_authorization_offers_only_its_own_organisations(env, xero_server):
    # an earlier Connect (another business unit) ticked the UK organisation
    first = connect(env, UK_TENANT_ID)
    assert connection_row(env, first.connection_id)[0] == UK_TENANT_ID
    # this one ticks only the US organisation: no picker (the UK one is not offered again)
    second = connect(env, US_TENANT_ID)
    assert connection_row(env, second.connection_id)[:3] == (US_TENANT_ID,
                                                             "Hudson Advisory (US)", "!uS4hX")
    # both organisations are connected to the app at Xero (what /connections alone lists)
    assert {UK_TENANT_ID, US_TENANT_ID} <= {r.get("tenantId")
                                            for r in xero_connections(xero_server.url)}


def _authorize(env, tenants):
    """Connect through the host's pages and Xero's consent up to the host's answer to the
    callback; (user, business unit, that answer)."""
    org = env.new_org()
    user = env.user().login(org.admin_email, org.password)
    bu = org.business_unit_ids[0]
    start = user.post_form(f"/settings/integrations?business_unit={bu}", "/oauth/xero/start",
                           {"business_unit": bu})
    assert start.status_code in (302, 303), start.text
    callback = httpx.URL(consent(tenants)(start.headers["Location"]))
    return user, bu, user.http.get(f"{callback.path}?{callback.query.decode()}")


def test_e2e_two_organisations_in_one_authorization_ask_the_admin_to_pick(env, xero_server):
    """The host's organisation picker lists exactly the two ticked organisations (name and
    short code); the one picked is stored and shown."""
    user, bu, picker = _authorize(env, (UK_TENANT_ID, US_TENANT_ID))
    assert picker.status_code == 200, picker.text[-1000:]
    assert sorted(re.findall(r'name="tenant" value="([^"]+)"', picker.text)) == sorted(
        [UK_TENANT_ID, US_TENANT_ID])
    assert "Ashdown Consulting (UK)" in picker.text and "Hudson Advisory (US)" in picker.text
    action = re.search(r'action="([^"]*/tenant/\d+)"', picker.text).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', picker.text).group(1)
    chosen = user.http.post(action, data={"csrf_token": token, "tenant": US_TENANT_ID})
    assert chosen.status_code in (302, 303), chosen.text
    setup = chosen.headers["Location"]
    connection_id = int(re.search(r"/connections/(\d+)/setup", setup).group(1))
    done = user.post_form(setup, setup, {"default_revenue_account": "4000", "action": "finish"})
    assert done.status_code in (302, 303), done.text[-1000:]
    assert connection_row(env, connection_id) == (US_TENANT_ID, "Hudson Advisory (US)",
                                                  "!uS4hX", "connected")
    page = user.page(f"/settings/integrations?business_unit={bu}")
    assert "Hudson Advisory (US)" in page and "!uS4hX" in page


def _to_setup(env, tenants=(US_TENANT_ID,)):
    """Connect through the host's pages up to the setup step; (user, setup path, id)."""
    user, _, done = _authorize(env, tenants)
    assert done.status_code in (302, 303), done.text[-1000:]
    setup = done.headers["Location"]
    return user, setup, int(re.search(r"/connections/(\d+)/setup", setup).group(1))


def _checks(html: str) -> dict[str, tuple[str, str, str]]:
    """{check name: (status, message, fix)} of the setup page's test result."""
    import html as html_lib

    found = re.findall(r'<li class="check check-[a-z]+" data-status="([a-z]+)">.*?<strong>'
                       r'([^<]+)</strong>: ([^<]*?)\s*(?:<div class="fix muted">Fix: ([^<]*)'
                       r'</div>)?\s*</li>', html, re.S)
    return {name: (status, html_lib.unescape(msg.strip()), html_lib.unescape(fix.strip()))
            for status, name, msg, fix in found}


def test_e2e_setup_test_shows_xeros_message_and_a_fix_then_passes_and_finishes(env, faults):
    user, setup, connection_id = _to_setup(env)
    page = user.page(setup)
    assert 'name="default_revenue_account"' in page and 'name="auto_send"' in page

    # Xero refuses: the page shows Xero's own words and what to do
    faults("status", path="/api.xro/2.0/Organisation$", method="GET", status=503,
           body="Organisation offline", headers={"Retry-After": "30"})
    failed = user.post_form(setup, setup, {"default_revenue_account": "4000", "action": "test"})
    assert failed.status_code == 200
    assert 'id="test-result" data-ok="false"' in failed.text
    (status, message, fix), = _checks(failed.text).values()
    assert status == "fail" and "Organisation offline" in message and fix

    # an expense account is not a revenue account: refused with the reason
    wrong = user.post_form(setup, setup, {"default_revenue_account": "6000", "action": "test"})
    assert wrong.status_code == 200 and 'id="test-result"' not in wrong.text
    assert "not a revenue account" in wrong.text

    ok = user.post_form(setup, setup, {"default_revenue_account": "4000", "auto_send": "y",
                                       "write_check": "1", "action": "test"})
    checks = _checks(ok.text)
    assert 'id="test-result" data-ok="true"' in ok.text, checks
    assert checks["Default revenue account"][0] == "pass"
    assert checks["Write access"][0] == "pass"
    finish = user.post_form(setup, setup, {"default_revenue_account": "4000", "auto_send": "y",
                                           "action": "finish"})
    assert finish.status_code in (302, 303)
    conn = connection_facts(env, connection_id)
    assert conn["setup_complete"] and conn["settings"]["default_revenue_account"] == "4000"
    assert conn["settings"]["auto_send"] is True

