"""README command 1: ``flask --app host demo`` starts host, worker and both sandboxes, seeded,
and prints an admin login that works; the log is quiet and ends with what to do first (a
business unit and its integrations page, each sandbox's payment page, how to stop); Ctrl-C
stops everything."""

import os
import re
import signal
import socket
import subprocess
import time

import httpx
import pytest
from e2ekit import FLASK, ROOT, User, poll

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_starts_everything_seeded_and_prints_a_working_admin_login(tmp_path):
    ports = [_free_port() for _ in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSA_")}
    env["PSA_INSTANCE_DIR"] = str(tmp_path)
    env["PSA_DEMO"] = "1"  # as scripts/demo.sh: the instance generates and keeps its SECRET_KEY
    proc = subprocess.Popen(
        [FLASK, "--app", "host", "demo", "--port", str(ports[0]),
         "--quickbooks-port", str(ports[1]), "--xero-port", str(ports[2])],
        cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    output = []
    try:
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            output.append(line)
            if "Ctrl-C to stop" in line or time.monotonic() > deadline:
                break
        text = "".join(output)
        assert "Ctrl-C to stop" in text, text
        email, password = re.search(r"Admin login:\s+(\S+) / (\S+)", text).groups()
        assert re.search(r"business units: [^,)]+, [^,)]+\)", text), text
        host = f"http://127.0.0.1:{ports[0]}"
        user = User(host).login(email, password)
        assert "Log out" in user.page("/invoices/")
        # Both provider plugins are installed and configured for the sandboxes, and the Xero
        # sandbox's webhook reaches the host (Xero's intent-to-receive check passed).
        tiles = user.page("/settings/integrations")
        for key in ("quickbooks", "xero"):
            assert re.search(rf'data-provider="{key}" data-status="not_connected"', tiles), (
                key, re.findall(r'data-provider="(\w+)" data-status="(\w+)"', tiles))
        assert "Unavailable" not in tiles
        assert re.search(r"Xero sandbox: .*\(webhook: intent-to-receive check passed\)", text), text
        # Quiet: no migration chatter, no log records before the banner.
        assert not re.search(r"INFO|WARNING|alembic", text), text
        # The last block: where to log in, which business unit to start with (its integrations
        # page), the sandboxes' payment pages, how to stop.
        block = text[text.rindex("\n\n"):]
        assert f"Open:               {host}/login" in block, block
        assert "Admin login:" in block and block.rstrip().endswith(
            "Ctrl-C to stop (host, worker and both sandboxes)."), block
        unit, start = re.search(r"Start with:\s+business unit (.+?) and QuickBooks: (\S+)",
                                block).groups()
        assert start.startswith(f"{host}/settings/integrations?business_unit="), start
        assert re.search(rf'<option value="{start.rsplit("=", 1)[1]}" selected[^>]*>\s*{unit}\s*<',
                         user.page(start.removeprefix(host))), unit
        qbo_pay = re.search(r"Pay in QuickBooks:\s+(\S+)", block).group(1)
        xero_pay = re.search(r"Pay in Xero:\s+(\S+)", block).group(1)
        assert re.fullmatch(rf"http://127\.0\.0\.1:{ports[1]}/company/\d+/invoices", qbo_pay)
        assert re.fullmatch(rf"http://127\.0\.0\.1:{ports[2]}/orgs/[0-9a-f-]+", xero_pay)
        for page in (qbo_pay, xero_pay):
            assert httpx.get(page).status_code == 200, page
        # Connecting QuickBooks works end to end: the sandbox's consent page, then the host's
        # Test connection step for the chosen company.
        bu = re.search(r'<option value="(\d+)" selected', tiles).group(1)
        start = user.post_form(f"/settings/integrations?business_unit={bu}",
                               "/oauth/quickbooks/start", {"business_unit": bu})
        assert start.status_code in (302, 303), start.text
        authorize = start.headers["Location"]
        assert authorize.startswith(f"http://127.0.0.1:{ports[1]}/"), authorize
        consent = httpx.get(authorize)
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                               consent.text))
        answer = httpx.post(authorize.split("?")[0], data={**form, "action": "authorize"})
        callback = httpx.URL(answer.headers["Location"])
        assert callback.host == "127.0.0.1" and callback.port == ports[0], callback
        done = user.http.get(f"{callback.path}?{callback.query.decode()}")
        assert done.status_code in (302, 303), done.text
        setup = user.page(done.headers["Location"])
        assert "Test connection" in setup and "Sandbox Company" in setup, setup
        for port in ports[1:]:
            assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        # The worker is up: the Huey queue file exists beside the database.
        poll(lambda: (tmp_path / "huey.sqlite3").exists(), what="the worker's queue")
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, "".join(output) + rest
    assert '"GET /' not in rest and '"POST /' not in rest, rest  # no line per request
