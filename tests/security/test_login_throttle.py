"""Wrong passwords in a row are throttled per account and per client address."""

import re


def login_form(client, email, password, address="203.0.113.7"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_thirty_wrong_passwords_are_answered_429_after_five(client, org):
    statuses = [login_form(client, org.admin_email, f"guess {i}").status_code
                for i in range(30)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 25
    resp = login_form(client, org.admin_email, org.password)  # even the right one waits
    assert resp.status_code == 429
    assert 0 < int(resp.headers["Retry-After"]) <= 900
    assert "Too many wrong passwords. Try again in 15 minutes." in resp.get_data(as_text=True)
    assert "Log out" not in client.get("/invoices/", follow_redirects=True).get_data(True)


def test_the_lock_ends_when_the_window_has_passed_and_success_resets(app, client, org):
    for i in range(5):
        login_form(client, org.admin_email, f"guess {i}")
    assert login_form(client, org.admin_email, org.password).status_code == 429
    app.config["PSA_LOGIN_WINDOW_SECONDS"] = 0  # the window since the last failure has passed
    assert login_form(client, org.admin_email, org.password).status_code == 302
    app.config["PSA_LOGIN_WINDOW_SECONDS"] = 900
    client.post("/logout", data={})
    # the success cleared the account's count: four more wrong passwords are not locked out
    fresh = app.test_client()
    assert [login_form(fresh, org.admin_email, "nope").status_code for _ in range(4)] == [200] * 4
    assert login_form(fresh, org.admin_email, org.password).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(client, org):
    emails = [f"user{i}@acme.test" for i in range(25)]
    statuses = [login_form(client, email, "wrong").status_code for email in emails]
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429] * 5
    other_address = login_form(client, org.member_email, org.password, address="198.51.100.9")
    assert other_address.status_code == 302
