"""Security headers on the host's pages, cookie flags, and pages that need no inline script."""

import re


def test_every_page_carries_the_security_headers(admin_client, org):
    for url in ("/login", "/invoices/", f"/settings/integrations?business_unit="
                f"{org.business_unit_ids[0]}", "/static/app.js"):
        resp = admin_client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
        assert "unsafe-inline" not in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP


def test_hsts_only_over_https(client):
    resp = client.get("/login", base_url="https://psa.example")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script_or_handler(admin_client, org):
    """What the policy forbids would silently stop working in the browser."""
    for url in ("/login", "/invoices/", "/invoices/new",
                f"/settings/integrations?business_unit={org.business_unit_ids[0]}"):
        page = admin_client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert not re.search(r"\son[a-z]+\s*=", page), url
        assert not re.search(r"\sstyle\s*=", page), url
        assert "<style" not in page, url


def test_session_cookie_is_samesite_lax_httponly_and_secure_behind_https(make_app):
    from host.integrations.testing import create_org, login

    for base, secure in (("http://127.0.0.1:5000", False), ("https://psa.example", True)):
        app = make_app(PSA_BASE_URL=base)
        org = create_org(app)
        client = login(app.test_client(), org.admin_email, org.password)
        cookie = client.get_cookie("psa_session")
        assert cookie.same_site == "Lax" and cookie.http_only
        assert cookie.secure is secure

