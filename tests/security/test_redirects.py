"""Every redirect that follows a ``next`` value or the Referer stays on this host, whatever
the string: the ``Location`` a browser resolves is always same-origin."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.integrations.testing import csrf_token
from host.security.redirects import safe_target

ORIGIN = "http://localhost"

#: Strings near the known tricks, mixed into the arbitrary ones.
TRICKY = st.lists(st.sampled_from(
    ["/", "\\", "\t", "\n", "\r", " ", "\x00", "\x0b", "\x1f", "\x7f", "\u3002", "//", "http:",
     "https://", "javascript:", "evil.example", "localhost", "@", ":", "%2F", ".", "?", "#",
     "\u2028", "\uff0f"]), max_size=8).map("".join)
TARGETS = st.one_of(st.text(max_size=40), TRICKY, st.tuples(TRICKY, st.text(max_size=10))
                    .map("".join))


def browser_resolve(location: str) -> tuple[str, str]:
    """How a browser reads a Location (WHATWG URL parsing, the parts that matter here): tabs and
    newlines dropped, leading/trailing C0 controls and spaces stripped, ``\\`` read as ``/``."""
    location = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21))))
    resolved = urlsplit(urljoin(ORIGIN + "/invoices/1", location.replace("\\", "/")))
    return resolved.scheme, resolved.netloc


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example", "\\\\evil.example",
                                    " //evil.example", "/\n/evil.example", "http://evil.example/",
                                    "javascript:alert(1)", "//localhost@evil.example"])
def test_known_tricks_are_refused(target):
    assert safe_target(target, "localhost") is None


def test_a_path_or_this_hosts_url_is_kept():
    assert safe_target("/invoices/3?tab=sync#panel", "localhost") == "/invoices/3?tab=sync#panel"
    assert safe_target("http://localhost/invoices/3", "localhost") == "/invoices/3"


@given(TARGETS)
@settings(max_examples=2000, deadline=None)
def test_an_accepted_target_always_resolves_to_this_origin(target):
    safe = safe_target(target, "localhost")
    if safe is not None:
        assert browser_resolve(safe) == ("http", "localhost")


@pytest.fixture
def synced_record(db, connection_factory):
    from host.models import SyncRecord

    record = SyncRecord(connection_id=connection_factory().id, object_type="invoice",
                        object_id=1, status="synced")
    db.session.add(record)
    db.session.commit()
    return record.id


@pytest.fixture
def token(admin_client):
    return csrf_token(admin_client, "/settings/integrations")


@given(next_value=TARGETS, referrer=TARGETS)
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sync_retry_redirects_only_to_this_origin(admin_client, synced_record, token,
                                                  next_value, referrer):
    resp = admin_client.post(f"/sync/records/{synced_record}/retry",
                             data={"next": next_value, "csrf_token": token},
                             headers={"Referer": referrer} if referrer.isprintable() else {})
    assert resp.status_code == 302
    assert browser_resolve(resp.headers["Location"]) == ("http", "localhost")


def test_sync_retry_with_a_tab_trick_goes_back_to_the_panel(admin_client, synced_record, token):
    resp = admin_client.post(f"/sync/records/{synced_record}/retry",
                             data={"next": "/\t/evil.example", "csrf_token": token},
                             headers={"Referer": "/\t/evil.example"})
    assert resp.headers["Location"] == "/invoices/1/sync"


def test_login_next_with_a_tab_trick_goes_home(client, org):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login?next=/%09/evil.example", data={
        "email": org.admin_email, "password": org.password, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
