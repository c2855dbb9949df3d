"""403, 404 and 500 are pages in the app's layout (problem+json under /api/); a favicon."""

from host.integrations.testing import create_org, login


def _is_styled(resp, code: int, title: str) -> None:
    page = resp.get_data(as_text=True)
    assert resp.status_code == code and resp.mimetype == "text/html"
    assert f'id="error-page" data-code="{code}"' in page and f"<h1>{title}</h1>" in page
    assert 'class="topbar"' in page and "app.css" in page  # the layout, not werkzeug's page


def test_unknown_page_and_another_organizations_record_are_the_styled_404(app, org,
                                                                          admin_client):
    _is_styled(admin_client.get("/no/such/page"), 404, "Page not found")
    _is_styled(admin_client.get("/invoices/999999"), 404, "Page not found")
    other = create_org(app, name="Other Co", admin_email="a@other.test",
                       member_email="m@other.test")
    _is_styled(login(app.test_client(), other.admin_email, other.password).get("/clients/999"),
               404, "Page not found")


def test_member_on_settings_gets_the_styled_403(member_client):
    _is_styled(member_client.get("/settings/"), 403, "Not allowed")


def test_api_errors_stay_problem_json(admin_client):
    resp = admin_client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_an_unexpected_error_is_the_styled_500(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/explode", view_func=explode)
    org = create_org(app)
    client = login(app.test_client(), org.admin_email, org.password)
    resp = client.get("/explode")
    _is_styled(resp, 500, "Something went wrong")
    assert "boom" not in resp.get_data(as_text=True)


def test_favicon_is_linked_from_the_layout_and_answers_at_favicon_ico(admin_client):
    page = admin_client.get("/invoices/").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in page
    for url in ("/static/favicon.svg", "/favicon.ico"):
        resp = admin_client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
        assert resp.get_data(as_text=True).startswith("<svg")
